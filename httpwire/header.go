package httpwire

import "strings"

// Field is one header or trailer field line, name and value as received
// (RFC 9110 §5). The value has its leading and trailing OWS removed.
type Field struct{ Name, Value string }

// Header is an ordered list of field lines. Order and name case are kept, as
// on the wire; lookups ignore ASCII case (RFC 9110 §5.1).
type Header []Field

// Get returns the value of the first field called name, or "".
func (h Header) Get(name string) string {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Has reports whether a field called name is present.
func (h Header) Has(name string) bool {
	for i := range h {
		if equalFold(h[i].Name, name) {
			return true
		}
	}
	return false
}

// Values returns the values of every field called name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h {
		if equalFold(h[i].Name, name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// Add appends a field line.
func (h *Header) Add(name, value string) {
	*h = append(*h, Field{Name: name, Value: value})
}

// Set replaces every field called name by one field line, kept at the
// position of the first one (or appended).
func (h *Header) Set(name, value string) {
	for i := range *h {
		if equalFold((*h)[i].Name, name) {
			(*h)[i] = Field{Name: name, Value: value}
			rest := (*h)[i+1:].del(name)
			*h = (*h)[:i+1+len(rest)]
			return
		}
	}
	h.Add(name, value)
}

// Del removes every field called name, keeping the order of the others.
func (h *Header) Del(name string) {
	*h = h.del(name)
}

func (h Header) del(name string) Header {
	out := h[:0]
	for _, f := range h {
		if !equalFold(f.Name, name) {
			out = append(out, f)
		}
	}
	clear(h[len(out):])
	return out
}

// Clone returns a deep copy of h whose strings share no storage with h.
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	n := 0
	for _, f := range h {
		n += len(f.Name) + len(f.Value)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range h {
		b.WriteString(f.Name)
		b.WriteString(f.Value)
	}
	s := b.String()
	out := make(Header, len(h))
	for i, f := range h {
		out[i].Name, s = s[:len(f.Name)], s[len(f.Name):]
		out[i].Value, s = s[:len(f.Value)], s[len(f.Value):]
	}
	return out
}

// equalFold reports whether a and b are equal under ASCII case folding.
// Field names and connection options are tokens, so Unicode folding would be
// wrong here (it maps "K" to the Kelvin sign's lower case).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || lower(x) != lower(y) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerASCII returns s in ASCII lower case, without allocating when s is
// already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}
