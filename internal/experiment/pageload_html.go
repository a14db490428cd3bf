package experiment

import "bytes"

// pageloadLinks returns the values of the src attributes of an HTML
// document, in document order: the embedded resources a browser fetches
// once the document has arrived (the dependency of §4.3: the objects wait
// for the page that names them). It is a scanner, not an HTML parser: it
// finds src= preceded by a space, a tab or a newline, followed by a value in
// double or single quotes or unquoted up to whitespace or '>'. Empty values
// are skipped.
func pageloadLinks(doc []byte) []string {
	var out []string
	for i := 0; i < len(doc); {
		j := bytes.Index(doc[i:], []byte("src="))
		if j < 0 {
			break
		}
		at := i + j
		i = at + len("src=")
		if at == 0 || !plSpace(doc[at-1]) {
			continue
		}
		if i >= len(doc) {
			break
		}
		var val []byte
		switch q := doc[i]; q {
		case '"', '\'':
			end := bytes.IndexByte(doc[i+1:], q)
			if end < 0 {
				return out
			}
			val = doc[i+1 : i+1+end]
			i += end + 2
		default:
			end := i
			for end < len(doc) && !plSpace(doc[end]) && doc[end] != '>' {
				end++
			}
			val = doc[i:end]
			i = end
		}
		if len(val) > 0 {
			out = append(out, string(val))
		}
	}
	return out
}

func plSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
