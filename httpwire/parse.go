package httpwire

import (
	"bytes"
	"errors"
)

// Rules cited by the head parser.
const (
	ruleMessage     = "RFC 9112 §2.2"
	ruleRequestLine = "RFC 9112 §3"
	ruleTarget      = "RFC 9112 §3.2"
	ruleHost        = "RFC 9112 §3.2"
	ruleStatusLine  = "RFC 9112 §4"
	ruleFieldLine   = "RFC 9112 §5"
	ruleFieldName   = "RFC 9112 §5.1"
	ruleObsFold     = "RFC 9112 §5.2"
	ruleFieldValue  = "RFC 9110 §5.5"
	ruleVersion     = "RFC 9112 §2.3"
	ruleH2Preface   = "RFC 9113 §3.4"
	ruleTooLarge    = "RFC 9110 §5.4"
)

// errIncomplete is returned by the head parser when b ends before the
// header section does. It never leaves the package: the reader reads more.
var errIncomplete = errors.New("httpwire: incomplete header section")

// The head parser works on a prefix of the stream. It reports errIncomplete
// whenever a decision needs an octet past the end of b, and a *ProtocolError
// only on octets it has seen, so that the verdict does not depend on how the
// stream was split into reads.

// lineEnd checks the octets of a line from b[i] on as field-value octets
// (RFC 9110 §5.5) and returns the index of the CR of the CRLF that ends it.
// A bare LF or a bare CR is rejected (RFC 9112 §2.2 lets a recipient choose;
// this codec does not); so is any other control character but HTAB. Errors
// name the first offending octet.
func lineEnd(b []byte, i int) (int, error) {
	nl := bytes.IndexByte(b[i:], '\n')
	if nl < 0 {
		return 0, errIncomplete
	}
	end := i + nl - 1 // the CR
	if nl == 0 || b[end] != '\r' {
		end++ // no CR: the LF is bare
	}
	if hasCtl(b[i:end]) {
		if j := badFieldByte(b[i:end]); j >= 0 {
			return 0, badValueByte(b[i+j])
		}
	}
	if b[end] == '\n' {
		return 0, badValueByte('\n')
	}
	return end, nil
}

// crlfAt checks that a line ends at b[i] with CRLF.
func crlfAt(b []byte, i int) error {
	switch {
	case i >= len(b) || b[i] == '\r' && i+1 == len(b):
		return errIncomplete
	case b[i] == '\r' && b[i+1] == '\n':
		return nil
	case b[i] == '\r' || b[i] == '\n':
		return badValueByte(b[i])
	}
	return protoErr(400, ruleMessage, "line does not end in CRLF")
}

// parseRequestHead parses the header section at the start of b into req and
// returns its length. The strings of req point into b.
func parseRequestHead(req *Request, b []byte) (int, error) {
	pos, err := parseRequestLine(req, b)
	if err != nil {
		return 0, err
	}
	n, sum, err := parseFields(b, pos, &req.Header, true)
	if err != nil {
		return 0, err
	}
	req.sum = sum
	if sum.hosts > 1 {
		return 0, protoErr(400, ruleHost, "more than one Host field")
	}
	if sum.hosts == 0 && atLeast11(req.Major, req.Minor) {
		return 0, protoErr(400, ruleHost, "HTTP/1.1 request without Host")
	}
	return n, nil
}

// parseRequestLine parses request-line = method SP request-target SP
// HTTP-version CRLF at the start of b and returns the position after it.
func parseRequestLine(req *Request, b []byte) (int, error) {
	i := 0
	for i < len(b) && isTchar(b[i]) {
		i++
	}
	if i == len(b) {
		return 0, errIncomplete
	}
	if i == 0 || b[i] != ' ' {
		switch c := b[i]; {
		case i == 0 && c == ' ':
			return 0, protoErr(400, ruleRequestLine, "request line starts with whitespace")
		case c == '\r' || c == '\n':
			if err := crlfAt(b, i); err != nil {
				return 0, err
			}
			if i == 0 {
				return 0, protoErr(400, ruleMessage, "empty line before the start line")
			}
			return 0, protoErr(400, ruleRequestLine, "request line without SP")
		}
		return 0, protoErr(400, ruleRequestLine, "invalid character in method")
	}
	method := b[:i]
	i++
	t := i
	i += badTargetByte(b[i:])
	if i == len(b) {
		return 0, errIncomplete
	}
	switch c := b[i]; {
	case c == ' ' && i == t:
		return 0, protoErr(400, ruleRequestLine, "more than one SP in the request line")
	case c == ' ':
	case c == '\r' || c == '\n':
		if err := crlfAt(b, i); err != nil {
			return 0, err
		}
		if i == t {
			return 0, protoErr(400, ruleTarget, "empty request-target")
		}
		return 0, protoErr(400, ruleRequestLine, "request line without HTTP-version")
	default:
		return 0, protoErr(400, ruleTarget, "invalid character in request-target")
	}
	target := b[t:i]
	i++
	// HTTP-version CRLF: 10 octets, unless the line ends or breaks sooner.
	v := i
	if v+10 <= len(b) && b[v+8] == '\r' && b[v+9] == '\n' {
		if major, minor, ok := parseVersion(b[v : v+8]); ok && major == 1 {
			req.Method, req.Target = internMethod(method), bstr(target)
			req.Major, req.Minor = major, minor
			return v + 10, checkTarget(req.Method, req.Target)
		}
	}
	for ; i < len(b) && i < v+10 && b[i] != '\n' && b[i] != ' '; i++ {
	}
	if i == len(b) {
		return 0, errIncomplete
	}
	major, minor, ok := 0, 0, false
	if i >= v+8 && (b[i] == '\n' || i == v+10) {
		major, minor, ok = parseVersion(b[v : v+8])
	}
	if !ok || b[v+8] != '\r' {
		switch {
		case b[i] == ' ':
			return 0, protoErr(400, ruleRequestLine, "more than one SP in the request line")
		case ok && b[v+8] == '\n':
			return 0, crlfAt(b, v+8)
		}
		return 0, protoErr(400, ruleVersion, "invalid HTTP-version")
	}
	if err := crlfAt(b, v+8); err != nil {
		return 0, err
	}
	if major != 1 {
		if major == 2 && string(method) == "PRI" && string(target) == "*" {
			return 0, protoErr(505, ruleH2Preface, "HTTP/2 connection preface on an HTTP/1.x connection")
		}
		return 0, protoErr(505, ruleVersion, "unsupported HTTP version "+string(b[v:v+8]))
	}
	req.Method, req.Target = internMethod(method), bstr(target)
	req.Major, req.Minor = major, minor
	return v + 10, checkTarget(req.Method, req.Target)
}

// checkTarget checks the four request-target forms (RFC 9112 §3.2):
// origin-form "/…", absolute-form "scheme:…", authority-form "host:port"
// (CONNECT only, and required there) and asterisk-form "*" (OPTIONS only).
func checkTarget(method, target string) error {
	if method == "CONNECT" {
		if !authorityForm(target) {
			return protoErr(400, ruleTarget+".3", "CONNECT without an authority-form target (host:port)")
		}
		return nil
	}
	switch {
	case target == "*":
		if method != "OPTIONS" {
			return protoErr(400, ruleTarget+".4", "asterisk-form target with a method other than OPTIONS")
		}
	case target[0] == '/':
	case !absoluteForm(target):
		return protoErr(400, ruleTarget, "request-target is neither origin-form nor absolute-form")
	}
	return nil
}

// authorityForm reports whether s is uri-host ":" port (RFC 9112 §3.2.3).
func authorityForm(s string) bool {
	colon := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			colon = i
		case '/', '?', '#', '@':
			return false
		}
	}
	return colon > 0 && colon < len(s)-1 && allDigits(s[colon+1:])
}

// absoluteForm reports whether s starts with a URI scheme and ":"
// (scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), RFC 3986 §3.1).
func absoluteForm(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c|0x20 && c|0x20 <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// parseVersion parses HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
func parseVersion(v []byte) (major, minor int, ok bool) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

// parseResponseHead parses the header section at the start of b into resp
// and returns its length. The strings of resp point into b.
// status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
func parseResponseHead(resp *Response, b []byte) (int, error) {
	if len(b) >= 1 && b[0] == '\r' {
		if err := crlfAt(b, 0); err != nil {
			return 0, err
		}
		return 0, protoErr(400, ruleMessage, "empty line before the start line")
	}
	// Decide on each octet as soon as it is there.
	const proto = "HTTP/"
	for i := 0; i < len(proto) && i < len(b); i++ {
		if b[i] != proto[i] {
			return 0, protoErr(502, ruleVersion, "invalid HTTP-version in the status line")
		}
	}
	if len(b) < 13 {
		return 0, errIncomplete
	}
	major, minor, ok := parseVersion(b[:8])
	if !ok {
		return 0, protoErr(502, ruleVersion, "invalid HTTP-version in the status line")
	}
	if major != 1 {
		return 0, protoErr(502, ruleVersion, "unsupported HTTP version "+string(b[:8]))
	}
	if b[8] != ' ' {
		return 0, protoErr(502, ruleStatusLine, "no SP after the HTTP-version")
	}
	status := 0
	for _, c := range b[9:12] {
		if c < '0' || c > '9' {
			return 0, protoErr(502, ruleStatusLine, "status code is not three digits")
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 || status > 599 {
		return 0, protoErr(502, "RFC 9110 §15", "status code outside 100..599")
	}
	switch b[12] {
	case ' ':
	case '\r', '\n':
		if err := crlfAt(b, 12); err != nil {
			return 0, err
		}
		return 0, protoErr(502, ruleStatusLine, "no SP after the status code")
	default:
		return 0, protoErr(502, ruleStatusLine, "status code is not three digits")
	}
	end, err := lineEnd(b, 13)
	if err != nil {
		if pe, ok := err.(*ProtocolError); ok && pe.Rule == ruleFieldValue {
			return 0, protoErr(502, ruleStatusLine, "control character in the reason-phrase")
		}
		return 0, err
	}
	resp.Major, resp.Minor, resp.Status, resp.Reason = major, minor, status, bstr(b[13:end])
	n, sum, err := parseFields(b, end+2, &resp.Header, false)
	resp.sum = sum
	return n, err
}

// fieldSummary notes the fields that the reader acts on, so that it skips
// the framing and persistence rules where they cannot apply.
type fieldSummary struct {
	hosts      int
	connection bool // a Connection field
	framing    bool // a Content-Length or Transfer-Encoding field
}

// parseFields parses field lines from pos up to and including the empty
// line that ends the section into *h (RFC 9112 §5) and returns the position
// after it. A request rejects obs-fold; a response unfolds it to one SP
// (§5.2). It also returns the number of Host fields.
func parseFields(b []byte, pos int, h *Header, request bool) (n int, sum fieldSummary, err error) {
	first := true
	for {
		if pos >= len(b) {
			return 0, sum, errIncomplete
		}
		switch b[pos] {
		case '\r', '\n':
			if err := crlfAt(b, pos); err != nil {
				return 0, sum, err
			}
			return pos + 2, sum, nil
		case ' ', '\t':
			if first {
				return 0, sum, protoErr(400, ruleMessage, "whitespace before the first field line")
			}
			if request {
				return 0, sum, protoErr(400, ruleObsFold, "obs-fold (line folding) in a request")
			}
			end, err := lineEnd(b, pos)
			if err != nil {
				return 0, sum, err
			}
			unfold(*h, b[pos:end])
			pos = end + 2
			continue
		}
		first = false
		i := pos
		for i < len(b) && isTchar(b[i]) {
			i++
		}
		if i == len(b) {
			return 0, sum, errIncomplete
		}
		if i == pos || b[i] != ':' {
			return 0, sum, badFieldName(b, pos, i)
		}
		name := b[pos:i]
		i++
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		end, err := lineEnd(b, i)
		if err != nil {
			return 0, sum, err
		}
		pos = end + 2
		for end > i && (b[end-1] == ' ' || b[end-1] == '\t') {
			end--
		}
		value := b[i:end]
		switch len(name) {
		case len("Host"):
			if equalFold(bstr(name), "Host") {
				sum.hosts++
				if request && !validHost(value) {
					return 0, sum, protoErr(400, ruleHost, "invalid Host field value")
				}
			}
		case len("Connection"):
			sum.connection = sum.connection || equalFold(bstr(name), "Connection")
		case len("Content-Length"):
			sum.framing = sum.framing || equalFold(bstr(name), "Content-Length")
		case len("Transfer-Encoding"):
			sum.framing = sum.framing || equalFold(bstr(name), "Transfer-Encoding")
		}
		*h = append(*h, Field{Name: bstr(name), Value: bstr(value)})
	}
}

// badFieldName explains why the field line at b[start:] has no valid name
// before a colon: the name ended at b[i].
func badFieldName(b []byte, start, i int) error {
	if i == len(b) {
		return errIncomplete
	}
	switch c := b[i]; {
	case i == start && c == ':':
		return protoErr(400, ruleFieldName, "empty field name")
	case c == ' ' || c == '\t':
		j := i
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		if j == len(b) {
			return errIncomplete
		}
		if b[j] == ':' {
			return protoErr(400, ruleFieldName, "whitespace between the field name and the colon")
		}
	case c == '\r' || c == '\n':
		if err := crlfAt(b, i); err != nil {
			return err
		}
		return protoErr(400, ruleFieldLine, "field line without a colon")
	}
	return protoErr(400, ruleFieldName, "invalid character in field name")
}

func badValueByte(c byte) error {
	switch c {
	case 0:
		return protoErr(400, ruleFieldValue, "NUL in a field value")
	case '\r':
		return protoErr(400, ruleMessage, "bare CR not followed by LF")
	case '\n':
		return protoErr(400, ruleMessage, "bare LF as line terminator")
	}
	return protoErr(400, ruleFieldValue, "control character in a field value")
}

// unfold appends an obs-fold continuation line to the last field, joined by
// one SP (RFC 9112 §5.2). This is the one allocating path of the parser.
func unfold(h Header, line []byte) {
	cont := trimOWSBytes(line)
	if len(cont) == 0 {
		return
	}
	last := &h[len(h)-1]
	if last.Value == "" {
		last.Value = string(cont)
	} else {
		last.Value = last.Value + " " + string(cont)
	}
}

func trimOWSBytes(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// hostByte marks the octets of uri-host [ ":" port ] (RFC 3986 §3.2):
// unreserved, pct-encoded, sub-delims, ":", and "[" "]" for IP literals.
var hostByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	for _, c := range "-._~%!$&'()*+,;=:[]" {
		t[c] = true
	}
	return t
}()

// validHost reports whether a Host value is made of authority octets
// (RFC 9112 §3.2: a server rejects an invalid Host). An empty value is valid.
func validHost(v []byte) bool {
	for _, c := range v {
		if !hostByte[c] {
			return false
		}
	}
	return true
}

// internMethod returns the registered methods of RFC 9110 §9 and PATCH as
// constant strings, which stay valid when the message is reused; other
// methods share the message's storage.
func internMethod(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "CONNECT":
		return "CONNECT"
	case "OPTIONS":
		return "OPTIONS"
	case "TRACE":
		return "TRACE"
	case "PATCH":
		return "PATCH"
	}
	return bstr(m)
}
