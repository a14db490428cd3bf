package httpwire

import (
	"strconv"
	"strings"
)

// Rules cited by the framing functions.
const (
	ruleBodyLength = "RFC 9112 §6.3"
	ruleTE         = "RFC 9112 §6.1"
	ruleCL         = "RFC 9110 §8.6"
)

// RequestFraming decides how the body of a request is delimited. It applies
// the rules of RFC 9112 §6.3 in their order (rules 1, 2 and 8 are about
// responses only):
//
//  3. Transfer-Encoding and Content-Length together: rejected. The RFC lets
//     a recipient use Transfer-Encoding alone, but the pair is the classic
//     request-smuggling vector and "ought to be handled as an error".
//  4. Transfer-Encoding: its only coding must be chunked. A request whose
//     final coding is not chunked is rejected (400); another coding before
//     chunked is rejected as not implemented (501, §6.1); chunked twice is
//     rejected (§6.1); so is any Transfer-Encoding in an HTTP/1.0 request
//     (§6.1: its framing is faulty).
//  5. Content-Length that is not 1*DIGIT, overflows, or lists differing
//     values: rejected. A list of equal values ("5, 5"), in one field or
//     several, is that value.
//  6. A valid Content-Length gives the body length.
//  7. Otherwise the request has no body.
//
// The returned length is the Content-Length, or -1 when none was given.
func RequestFraming(major, minor int, h Header) (Framing, int64, error) {
	hasTE, hasCL := scanFraming(h)
	if hasTE && hasCL { // rule 3
		return FramingNone, -1, protoErr(400, ruleBodyLength+" rule 3", "Content-Length together with Transfer-Encoding")
	}
	if hasTE { // rule 4
		if !atLeast11(major, minor) {
			return FramingNone, -1, protoErr(400, ruleTE, "Transfer-Encoding in an HTTP/1.0 request")
		}
		chunkedLast, n, err := transferCodings(h)
		if err != nil {
			return FramingNone, -1, err
		}
		if !chunkedLast {
			return FramingNone, -1, protoErr(400, ruleBodyLength+" rule 4", "request Transfer-Encoding does not end in chunked")
		}
		if n > 1 {
			return FramingNone, -1, protoErr(501, ruleTE, "transfer coding other than chunked in a request")
		}
		return FramingChunked, -1, nil
	}
	if hasCL { // rules 5 and 6
		n, err := contentLength(h)
		if err != nil {
			return FramingNone, -1, err
		}
		return FramingContentLength, n, nil
	}
	return FramingNone, -1, nil // rule 7
}

// ResponseFraming decides how the body of a response to a request with the
// given method is delimited, applying RFC 9112 §6.3 in rule order:
//
//  1. A response to HEAD and a 1xx, 204 or 304 response has no body,
//     whatever its fields say.
//  2. A 2xx response to CONNECT ends HTTP on the connection: the bytes
//     after the header section belong to the tunnel. So does 101
//     (RFC 9110 §15.2.2). endsHTTP reports both.
//  3. Transfer-Encoding and Content-Length together: rejected.
//  4. Transfer-Encoding whose final coding is chunked: chunked. Otherwise the
//     body runs until the close of the connection; so it does in an
//     HTTP/1.0 response with Transfer-Encoding (§6.1: faulty framing).
//     chunked applied twice is rejected (§6.1).
//  5. An invalid Content-Length: rejected, as for requests.
//  6. A valid Content-Length gives the body length.
//  8. Otherwise the body runs until the close of the connection.
//
// The returned length is the Content-Length, or -1 when none was given (under
// rule 1 a valid Content-Length is still reported, and an invalid one ignored).
func ResponseFraming(method string, status, major, minor int, h Header) (f Framing, length int64, endsHTTP bool, err error) {
	if method == "HEAD" || status/100 == 1 || status == 204 || status == 304 { // rule 1
		n, err := contentLength(h)
		if err != nil {
			n = -1
		}
		return FramingNone, n, status == 101, nil
	}
	if method == "CONNECT" && status/100 == 2 { // rule 2
		return FramingNone, -1, true, nil
	}
	hasTE, hasCL := scanFraming(h)
	if hasTE && hasCL { // rule 3
		return FramingNone, -1, false, protoErr(502, ruleBodyLength+" rule 3", "Content-Length together with Transfer-Encoding")
	}
	if hasTE { // rule 4
		if !atLeast11(major, minor) {
			return FramingClose, -1, false, nil
		}
		chunkedLast, _, err := transferCodings(h)
		if err != nil {
			return FramingNone, -1, false, err
		}
		if chunkedLast {
			return FramingChunked, -1, false, nil
		}
		return FramingClose, -1, false, nil
	}
	if hasCL { // rules 5 and 6
		n, err := contentLength(h)
		if err != nil {
			return FramingNone, -1, false, err
		}
		return FramingContentLength, n, false, nil
	}
	return FramingClose, -1, false, nil // rule 8
}

func scanFraming(h Header) (hasTE, hasCL bool) {
	for i := range h {
		switch len(h[i].Name) {
		case len("Content-Length"):
			hasCL = hasCL || equalFold(h[i].Name, "Content-Length")
		case len("Transfer-Encoding"):
			hasTE = hasTE || equalFold(h[i].Name, "Transfer-Encoding")
		}
	}
	return hasTE, hasCL
}

// transferCodings reads the coding list of every Transfer-Encoding field
// (RFC 9112 §6.1) and reports whether chunked is the final coding and how
// many codings there are. chunked before the final coding is an error.
func transferCodings(h Header) (chunkedLast bool, n int, err error) {
	for i := range h {
		if !equalFold(h[i].Name, "Transfer-Encoding") {
			continue
		}
		for rest := h[i].Value; rest != ""; {
			var e string
			e, rest = nextElem(rest)
			if e == "" {
				continue
			}
			if chunkedLast {
				return false, 0, protoErr(400, ruleTE, "chunked is not the final transfer coding")
			}
			n++
			chunkedLast = equalFold(e, "chunked")
			if !chunkedLast && !validCoding(e) {
				return false, 0, protoErr(400, ruleTE, "invalid transfer coding "+quote(e))
			}
		}
	}
	if n == 0 {
		return false, 0, protoErr(400, ruleTE, "empty Transfer-Encoding")
	}
	return chunkedLast, n, nil
}

// validCoding checks transfer-coding = token *( OWS ";" OWS transfer-parameter )
// loosely: a token, then anything after a ";".
func validCoding(s string) bool {
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	rest := trimOWS(s[i:])
	return rest == "" || rest[0] == ';'
}

// contentLength reads every Content-Length field. Content-Length = 1*DIGIT
// (RFC 9110 §8.6); a comma-separated list of identical values, in one field
// or several, stands for that value (RFC 9112 §6.3 rule 5). It returns -1
// when there is none.
func contentLength(h Header) (int64, error) {
	n := int64(-1)
	for i := range h {
		if len(h[i].Name) != len("Content-Length") || !equalFold(h[i].Name, "Content-Length") {
			continue
		}
		v := h[i].Value
		if v == "" {
			return -1, protoErr(400, ruleCL, "empty Content-Length")
		}
		for rest := v; ; {
			e, more := rest, false
			if i := strings.IndexByte(rest, ','); i >= 0 {
				e, rest, more = rest[:i], rest[i+1:], true
			}
			m, err := parseLength(trimOWS(e))
			if err != nil {
				return -1, err
			}
			if n >= 0 && m != n {
				return -1, protoErr(400, ruleBodyLength+" rule 5", "differing Content-Length values")
			}
			n = m
			if !more {
				break
			}
		}
	}
	return n, nil
}

func parseLength(s string) (int64, error) {
	if s == "" {
		return -1, protoErr(400, ruleCL, "empty element in Content-Length")
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1, protoErr(400, ruleCL, "Content-Length "+quote(s)+" is not a non-negative decimal number")
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return -1, protoErr(400, ruleCL, "Content-Length "+quote(s)+" overflows")
		}
		n = n*10 + d
	}
	return n, nil
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}
