package httpwire

// Framing says how a message body is delimited on the wire (RFC 9112 §6.3).
type Framing uint8

const (
	// FramingNone: the message has no body (HEAD, 1xx, 204 and 304
	// responses, a request without Content-Length or Transfer-Encoding, the
	// end of HTTP after 101 or a 2xx answer to CONNECT).
	FramingNone Framing = iota
	// FramingContentLength: the body is Content-Length octets long.
	FramingContentLength
	// FramingChunked: the body is in the chunked transfer coding (RFC 9112 §7.1).
	FramingChunked
	// FramingClose: the body runs until the server closes the connection
	// (responses only, RFC 9112 §6.3 rule 8).
	FramingClose
)

// String returns "none", "content-length", "chunked" or "close-delimited".
func (f Framing) String() string {
	switch f {
	case FramingNone:
		return "none"
	case FramingContentLength:
		return "content-length"
	case FramingChunked:
		return "chunked"
	case FramingClose:
		return "close-delimited"
	}
	return "framing(" + itoa(int64(f)) + ")"
}

// Request is an HTTP/1.x request message (RFC 9112 §3).
//
// After Reader.ReadRequest the strings, Header, Trailer and Body share
// storage that the next ReadRequest into the same Request overwrites: a
// string kept from one message (a Target, a header value) changes with the
// next. Copy what outlives the message (strings.Clone, Clone).
type Request struct {
	Method, Target string
	Major, Minor   int

	Header  Header
	Body    []byte
	Trailer Header

	Framing       Framing
	ContentLength int64 // -1 when not given
	// Truncated is set when the stream ended inside the body: Body holds the
	// octets received (RFC 9112 §8).
	Truncated bool

	buf []byte       // storage for the strings of the last message read
	sum fieldSummary // of the last header section read
}

// Response is an HTTP/1.x response message (RFC 9112 §4). Its strings and
// slices share storage as a Request's do.
type Response struct {
	Major, Minor int
	Status       int
	Reason       string

	Header  Header
	Body    []byte
	Trailer Header

	Framing       Framing
	ContentLength int64 // -1 when not given
	// Truncated is set when the stream ended inside the body: Body holds the
	// octets received (RFC 9112 §8).
	Truncated bool

	// EndsHTTP is set on a 101 (Switching Protocols) response and on a 2xx
	// answer to CONNECT: the bytes after its header section are no longer
	// HTTP/1.1 (RFC 9112 §6.3 rule 2, RFC 9110 §15.2.2).
	EndsHTTP bool

	buf []byte
	sum fieldSummary
}

// Limits bound what a Reader accepts. Zero values select the defaults.
type Limits struct {
	// MaxHeaderBytes bounds a header section, start line and final CRLF
	// included, and separately a trailer section (default 16 KiB).
	MaxHeaderBytes int
	// MaxBodyBytes bounds a body (default 64 MiB; negative: no limit).
	MaxBodyBytes int64
}

// Default limits.
const (
	DefaultMaxHeaderBytes       = 16 << 10
	DefaultMaxBodyBytes   int64 = 64 << 20
)

func (l Limits) header() int {
	if l.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return l.MaxHeaderBytes
}

func (l Limits) body() int64 {
	switch {
	case l.MaxBodyBytes == 0:
		return DefaultMaxBodyBytes
	case l.MaxBodyBytes < 0:
		return 1<<63 - 1
	}
	return l.MaxBodyBytes
}

// Trace holds optional hooks called while a message is read, for timing
// experiments. Nil hooks are skipped.
type Trace struct {
	FirstByte   func() // the first octet of the message is available
	HeadersDone func() // the header section is parsed
	BodyDone    func() // the body (and trailer section) is complete
}

// Version strings for the common cases, so that formatting does not allocate.
func versionString(major, minor int) string {
	switch {
	case major == 1 && minor == 1:
		return "HTTP/1.1"
	case major == 1 && minor == 0:
		return "HTTP/1.0"
	}
	return "HTTP/" + itoa(int64(major)) + "." + itoa(int64(minor))
}

// Proto returns the version as on the wire, "HTTP/1.1".
func (r *Request) Proto() string { return versionString(r.Major, r.Minor) }

// Proto returns the version as on the wire, "HTTP/1.1".
func (r *Response) Proto() string { return versionString(r.Major, r.Minor) }

// atLeast11 reports whether a version is HTTP/1.1 or a later 1.x minor
// version, which RFC 9110 §6.2 says to treat as 1.1.
func atLeast11(major, minor int) bool { return major > 1 || major == 1 && minor >= 1 }

// KeepAlive reports whether the connection persists after this request, per
// RFC 9112 §9.3, and the rule that decided, as a sentence.
func (r *Request) KeepAlive() (bool, string) {
	if r.Truncated {
		return false, "the request was truncated, so the connection cannot be reused (RFC 9112 §8)"
	}
	return persistence(r.Major, r.Minor, r.Header)
}

// KeepAlive reports whether the connection persists after this response,
// per RFC 9112 §9.3, and the rule that decided, as a sentence. A truncated or
// close-delimited response, and one that ends HTTP on the connection, never
// leaves a reusable connection.
func (r *Response) KeepAlive() (bool, string) { return r.keepAlive(r.Header) }

// keepAlive decides with the Connection fields of h, which the reader sets
// to nil when it saw none.
func (r *Response) keepAlive(h Header) (bool, string) {
	switch {
	case r.Truncated:
		return false, "the response was truncated, so the connection cannot be reused (RFC 9112 §8)"
	case r.Framing == FramingClose:
		return false, "the body is delimited by the close of the connection (RFC 9112 §6.3 rule 8)"
	case r.EndsHTTP && r.Status == 101:
		return false, "101 Switching Protocols: the connection leaves HTTP/1.1 after this header section (RFC 9110 §15.2.2)"
	case r.EndsHTTP:
		return false, "a 2xx answer to CONNECT turns the connection into a tunnel (RFC 9112 §6.3 rule 2)"
	}
	return persistence(r.Major, r.Minor, h)
}

func persistence(major, minor int, h Header) (bool, string) {
	if hasConnectionOption(h, "close") {
		return false, "the close connection option ends the connection after this message (RFC 9112 §9.6)"
	}
	if atLeast11(major, minor) {
		if major == 1 && minor == 1 {
			return true, "HTTP/1.1 without the close option is persistent (RFC 9112 §9.3)"
		}
		return true, "HTTP/1.x with a minor version above 1 is treated as HTTP/1.1 and is persistent without the close option (RFC 9112 §9.3, RFC 9110 §6.2)"
	}
	if major == 1 && minor == 0 && hasConnectionOption(h, "keep-alive") {
		return true, "HTTP/1.0 with the keep-alive connection option is persistent (RFC 9112 §9.3, App. C.2.2)"
	}
	return false, "HTTP/1.0 without the keep-alive connection option closes after this message (RFC 9112 §9.3)"
}

// Clone returns a deep copy of r that shares no storage with it, so that it
// survives the next read into r.
func (r *Request) Clone() *Request {
	c := *r
	c.buf = nil
	c.Method = cloneString(r.Method)
	c.Target = cloneString(r.Target)
	c.Header = r.Header.Clone()
	c.Trailer = r.Trailer.Clone()
	c.Body = cloneBytes(r.Body)
	return &c
}

// Clone returns a deep copy of r that shares no storage with it, so that it
// survives the next read into r.
func (r *Response) Clone() *Response {
	c := *r
	c.buf = nil
	c.Reason = cloneString(r.Reason)
	c.Header = r.Header.Clone()
	c.Trailer = r.Trailer.Clone()
	c.Body = cloneBytes(r.Body)
	return &c
}

func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func itoa(n int64) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		if n == -1<<63 {
			return append(b, "9223372036854775808"...)
		}
		n = -n
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// FramingReason says, as a sentence, which rule of RFC 9112 §6.3 framed the
// body of r.
func (r *Request) FramingReason() string {
	switch r.Framing {
	case FramingContentLength:
		return "Content-Length gives the body length (RFC 9112 §6.3 rule 6)"
	case FramingChunked:
		return "Transfer-Encoding ends in chunked (RFC 9112 §6.3 rule 4)"
	}
	return "a request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3 rule 7)"
}

// FramingReason says, as a sentence, which rule of RFC 9112 §6.3 framed the
// body of r.
func (r *Response) FramingReason() string {
	switch r.Framing {
	case FramingContentLength:
		return "Content-Length gives the body length (RFC 9112 §6.3 rule 6)"
	case FramingChunked:
		return "Transfer-Encoding ends in chunked (RFC 9112 §6.3 rule 4)"
	case FramingClose:
		switch {
		case !r.Header.Has("Transfer-Encoding"):
			return "no Content-Length or Transfer-Encoding: the body runs until the server closes (RFC 9112 §6.3 rule 8)"
		case !atLeast11(r.Major, r.Minor):
			return "Transfer-Encoding in HTTP/1.0 is faulty framing: the body runs until the server closes (RFC 9112 §6.1)"
		}
		return "Transfer-Encoding does not end in chunked: the body runs until the server closes (RFC 9112 §6.3 rule 4)"
	}
	switch {
	case r.Status == 101:
		return "101 Switching Protocols: the next bytes belong to the new protocol (RFC 9112 §6.3 rule 1, RFC 9110 §15.2.2)"
	case r.EndsHTTP:
		return "a 2xx answer to CONNECT: the next bytes belong to the tunnel (RFC 9112 §6.3 rule 2)"
	case r.Status/100 == 1:
		return "a 1xx response has no body (RFC 9112 §6.3 rule 1)"
	case r.Status == 204 || r.Status == 304:
		return "a " + itoa(int64(r.Status)) + " response has no body (RFC 9112 §6.3 rule 1)"
	}
	return "a response to HEAD has no body (RFC 9112 §6.3 rule 1)"
}
