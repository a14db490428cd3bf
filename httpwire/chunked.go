package httpwire

import (
	"bytes"
	"io"
)

const (
	ruleChunked    = "RFC 9112 §7.1"
	ruleChunkExt   = "RFC 9112 §7.1.1"
	ruleTrailer    = "RFC 9112 §7.1.2"
	maxChunkLine   = 4096 // chunk-size and extensions, CRLF included
	maxChunkDigits = 15   // 15 hex digits always fit in an int64
)

// readChunked decodes a chunked body (RFC 9112 §7.1) into *body and its
// trailer section into *trailer, storing the trailer's octets in *store.
// It reports true when the stream ended before the last chunk's trailer
// section did.
func (r *Reader) readChunked(body *[]byte, trailer *Header, store *[]byte, request bool) (bool, error) {
	limit := r.Limits.body()
	for {
		line, err := r.readChunkLine()
		if err != nil {
			return eofTruncates(err)
		}
		size, err := parseChunkLine(line)
		if err != nil {
			return false, err
		}
		if size == 0 {
			break
		}
		if int64(len(*body))+size > limit {
			return false, protoErr(413, "RFC 9110 §15.5.14", "chunked body exceeds the body limit")
		}
		if trunc, err := r.readN(body, size); trunc || err != nil {
			return trunc, err
		}
		for r.w-r.r < 2 {
			if err := r.fill(); err != nil {
				return eofTruncates(err)
			}
		}
		if r.buf[r.r] != '\r' || r.buf[r.r+1] != '\n' {
			return false, protoErr(400, ruleChunked, "chunk data not followed by CRLF")
		}
		r.r += 2
	}
	from := len(*trailer)
	size, err := r.readHead(blockTrailer, func(b []byte) (int, error) {
		*trailer = (*trailer)[:from]
		n, _, err := parseFields(b, 0, trailer, request)
		return n, err
	})
	if err != nil {
		*trailer = (*trailer)[:from] // nothing may point into the read buffer
		if err == io.ErrUnexpectedEOF {
			return true, nil
		}
		return false, err
	}
	keep(store, r.buf[r.r:r.r+size], *trailer, from)
	r.r += size
	return false, nil
}

// readChunkLine returns the next chunk line without its CRLF and consumes
// it. The line must end in CRLF: a bare LF is rejected (CVE-2025-22871).
func (r *Reader) readChunkLine() ([]byte, error) {
	scan := 0
	for {
		avail := r.buf[r.r:r.w]
		if i := bytes.IndexByte(avail[scan:], '\n'); i >= 0 {
			nl := scan + i
			if nl == 0 || avail[nl-1] != '\r' {
				return nil, protoErr(400, ruleChunked, "bare LF in a chunk line")
			}
			r.r += nl + 1
			return avail[:nl-1], nil
		}
		scan = len(avail)
		if scan >= maxChunkLine {
			return nil, protoErr(400, ruleChunkExt, "chunk line longer than 4096 bytes")
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// parseChunkLine parses chunk-size [ chunk-ext ]:
//
//	chunk-size = 1*HEXDIG
//	chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//	chunk-ext-val = token / quoted-string
//
// Extensions are checked and ignored (§7.1.1: unknown ones MUST be ignored).
func parseChunkLine(line []byte) (int64, error) {
	var size int64
	i := 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if i == maxChunkDigits {
			return 0, protoErr(400, ruleChunked, "chunk size too large")
		}
		size = size<<4 | int64(d)
	}
	if i == 0 {
		return 0, protoErr(400, ruleChunked, "chunk size is not a hex number")
	}
	for i < len(line) {
		ws := i
		i = skipBWS(line, i)
		if i == len(line) || line[i] != ';' {
			if i == ws {
				return 0, protoErr(400, ruleChunked, "invalid character after the chunk size")
			}
			return 0, protoErr(400, ruleChunkExt, "whitespace not followed by ';' in a chunk line")
		}
		i = skipBWS(line, i+1)
		n := i
		for i < len(line) && isTchar(line[i]) {
			i++
		}
		if i == n {
			return 0, protoErr(400, ruleChunkExt, "empty chunk extension name")
		}
		j := skipBWS(line, i)
		if j < len(line) && line[j] == '=' {
			i = skipBWS(line, j+1)
			if i < len(line) && line[i] == '"' {
				var ok bool
				if i, ok = skipQuoted(line, i); !ok {
					return 0, protoErr(400, ruleChunkExt, "invalid quoted-string in a chunk extension")
				}
			} else {
				v := i
				for i < len(line) && isTchar(line[i]) {
					i++
				}
				if i == v {
					return 0, protoErr(400, ruleChunkExt, "empty chunk extension value")
				}
			}
		}
	}
	return size, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

func skipBWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// skipQuoted skips quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
// (RFC 9110 §5.6.4) starting at b[i] == '"'.
func skipQuoted(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
			if i == len(b) || !fieldByteOK[b[i]] {
				return 0, false
			}
		case !fieldByteOK[c]:
			return 0, false
		}
	}
	return 0, false
}
