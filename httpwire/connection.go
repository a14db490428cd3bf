package httpwire

import (
	"slices"
	"strconv"
)

// nextElem splits the first element off a comma-separated list
// (RFC 9110 §5.6.1), with OWS trimmed. Empty elements are returned as "" and
// are to be skipped by the caller.
func nextElem(s string) (elem, rest string) {
	i := 0
	for i < len(s) && s[i] != ',' {
		i++
	}
	elem = trimOWS(s[:i])
	if i < len(s) {
		rest = s[i+1:]
	}
	return elem, rest
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// hasConnectionOption reports whether a Connection field of h lists opt,
// case-insensitively (RFC 9110 §7.6.1). It does not allocate.
func hasConnectionOption(h Header, opt string) bool {
	for i := range h {
		if len(h[i].Name) != len("Connection") || !equalFold(h[i].Name, "Connection") {
			continue
		}
		for rest := h[i].Value; rest != ""; {
			var e string
			e, rest = nextElem(rest)
			if equalFold(e, opt) {
				return true
			}
		}
	}
	return false
}

// ConnectionTokens returns the connection options of every Connection field
// of h, in lower case and in order, repeated fields and comma lists
// flattened, empty elements dropped (RFC 9110 §7.6.1).
// Proxy-Connection is not read: it is not a standard field (RFC 9112 App. C.2.2).
func ConnectionTokens(h Header) []string {
	var toks []string
	for i := range h {
		if !equalFold(h[i].Name, "Connection") {
			continue
		}
		for rest := h[i].Value; rest != ""; {
			var e string
			e, rest = nextElem(rest)
			if e != "" {
				toks = append(toks, lowerASCII(e))
			}
		}
	}
	return toks
}

// fixedHopByHop are the fields that apply to one connection only whether or
// not Connection lists them: RFC 9110 §7.6.1 names Proxy-Connection,
// Keep-Alive, TE, Transfer-Encoding and Upgrade; RFC 2616 §13.5.1 adds
// Proxy-Authenticate, Proxy-Authorization and Trailer(s).
var fixedHopByHop = []string{
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
	"proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
}

func isHopByHop(name string, listed []string) bool {
	for _, n := range fixedHopByHop {
		if equalFold(name, n) {
			return true
		}
	}
	for _, n := range listed {
		if equalFold(name, n) {
			return true
		}
	}
	return false
}

// HopByHop returns the sorted lower-case names of the fields present in h
// that are hop-by-hop: Connection, every field it names, and the fields that
// are always connection-specific (see StripHopByHop).
func HopByHop(h Header) []string {
	listed := ConnectionTokens(h)
	var names []string
	for i := range h {
		if isHopByHop(h[i].Name, listed) {
			names = append(names, lowerASCII(h[i].Name))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// StripHopByHop returns the fields of h that a proxy forwards, in order, and
// the sorted lower-case names of those it removed. Before forwarding, an
// intermediary removes Connection and every field it lists (RFC 9110 §7.6.1,
// a MUST), Keep-Alive, Proxy-Connection, TE, Transfer-Encoding and Upgrade
// (a SHOULD), and Proxy-Authenticate, Proxy-Authorization and Trailer
// (RFC 2616 §13.5.1). Proxy-Connection is removed as a field but its value is
// not read as connection options. h is not modified.
func StripHopByHop(h Header) (kept Header, removed []string) {
	listed := ConnectionTokens(h)
	kept = make(Header, 0, len(h))
	for _, f := range h {
		if isHopByHop(f.Name, listed) {
			removed = append(removed, lowerASCII(f.Name))
			continue
		}
		kept = append(kept, f)
	}
	slices.Sort(removed)
	return kept, slices.Compact(removed)
}

// KeepAliveParams are the parameters of the Keep-Alive field
// (RFC 2068 §19.7.1.1): the idle time in seconds the sender keeps the
// connection open, and the number of further requests it accepts.
type KeepAliveParams struct {
	Timeout, Max       int
	HasTimeout, HasMax bool
}

// ParseKeepAlive reads "timeout=" and "max=" from the Keep-Alive fields of h
// (names case-insensitive, the first valid occurrence wins, other parameters
// and invalid values ignored). It reports whether either was found. The
// parameters mean something only with the keep-alive connection option
// (RFC 9112 App. C.2.2).
func ParseKeepAlive(h Header) (KeepAliveParams, bool) {
	var p KeepAliveParams
	for i := range h {
		if !equalFold(h[i].Name, "Keep-Alive") {
			continue
		}
		for rest := h[i].Value; rest != ""; {
			var e string
			e, rest = nextElem(rest)
			eq := 0
			for eq < len(e) && e[eq] != '=' {
				eq++
			}
			if eq == len(e) {
				continue
			}
			name, val := trimOWS(e[:eq]), trimOWS(e[eq+1:])
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || !allDigits(val) {
				continue
			}
			switch {
			case equalFold(name, "timeout") && !p.HasTimeout:
				p.Timeout, p.HasTimeout = n, true
			case equalFold(name, "max") && !p.HasMax:
				p.Max, p.HasMax = n, true
			}
		}
	}
	return p, p.HasTimeout || p.HasMax
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
