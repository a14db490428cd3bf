package peer

import (
	"iter"
	"strings"
)

// splitCommaSeq yields the non-empty elements of a comma-separated list with
// spaces and tabs trimmed (RFC 9110 §5.6.1).
func splitCommaSeq(v string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for e := range strings.SplitSeq(v, ",") {
			e = strings.Trim(e, " \t")
			if e != "" && !yield(e) {
				return
			}
		}
	}
}

// equalFoldASCII compares two strings ignoring ASCII case.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// statusText returns the reason phrase of the common status codes
// (RFC 9110 §15), or "Status".
func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 204:
		return "No Content"
	case 301:
		return "Moved Permanently"
	case 304:
		return "Not Modified"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 413:
		return "Content Too Large"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Status"
}
