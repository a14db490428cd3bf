package httpwire

import (
	"errors"
	"io"
)

// Writer writes HTTP/1.x messages byte for byte: the start line, the Header
// fields in order and as given, then the body framed by the message's
// Framing. Each message goes to the underlying writer in one Write call.
type Writer struct {
	// ChunkSize splits a chunked body into chunks of at most this many
	// octets; 0 sends it as one chunk.
	ChunkSize int

	dst io.Writer
	buf []byte
}

// NewWriter returns a Writer that writes to dst.
func NewWriter(dst io.Writer) *Writer { return &Writer{dst: dst} }

// Reset makes w write to dst.
func (w *Writer) Reset(dst io.Writer) { w.dst = dst }

var (
	errBodyWithoutFraming = errors.New("httpwire: write: body with FramingNone")
	errRequestClose       = errors.New("httpwire: write: a request cannot be close-delimited (RFC 9112 §6.3 rule 7)")
	errTrailerNotChunked  = errors.New("httpwire: write: trailer fields need chunked framing (RFC 9112 §7.1.2)")
)

// WriteRequest writes req: "Method SP Target SP HTTP/M.m CRLF" (HTTP/1.1 when
// the version is 0.0), the fields, and the body. FramingContentLength adds
// "Content-Length: len(Body)" after the fields when no Content-Length field
// is given (a given one is written as is, even when it does not match the
// body); FramingChunked adds "Transfer-Encoding: chunked" when no
// Transfer-Encoding field is given, and writes the Trailer fields after the
// last chunk. A body with FramingNone, and FramingClose, are errors.
func (w *Writer) WriteRequest(req *Request) error {
	if req.Framing == FramingClose {
		return errRequestClose
	}
	if err := checkToken(req.Method, "method"); err != nil {
		return err
	}
	if req.Target == "" {
		return errors.New("httpwire: write: empty request-target")
	}
	for i := 0; i < len(req.Target); i++ {
		if c := req.Target[i]; c < 0x21 || c > 0x7e {
			return errors.New("httpwire: write: invalid character in the request-target")
		}
	}
	b := append(w.buf[:0], req.Method...)
	b = append(b, ' ')
	b = append(b, req.Target...)
	b = append(b, ' ')
	b = appendVersion(b, req.Major, req.Minor)
	return w.finish(b, req.Header, req.Body, req.Trailer, req.Framing)
}

// WriteResponse writes resp: "HTTP/M.m SP Status SP Reason CRLF", the fields
// and the body, framed as for WriteRequest; FramingClose writes the body
// unframed (the caller then closes the connection). A response to HEAD, or a
// 1xx, 204 or 304 response, has FramingNone and no body, whatever its
// Content-Length field says.
func (w *Writer) WriteResponse(resp *Response) error {
	if resp.Status < 100 || resp.Status > 999 {
		return errors.New("httpwire: write: status code outside 100..999")
	}
	if !validValue(resp.Reason) {
		return errors.New("httpwire: write: control character in the reason-phrase")
	}
	b := appendVersion(w.buf[:0], resp.Major, resp.Minor)
	b = append(b, ' ')
	b = appendInt(b, int64(resp.Status))
	b = append(b, ' ')
	b = append(b, resp.Reason...)
	return w.finish(b, resp.Header, resp.Body, resp.Trailer, resp.Framing)
}

func appendVersion(b []byte, major, minor int) []byte {
	if major == 0 && minor == 0 {
		major, minor = 1, 1
	}
	b = append(b, "HTTP/"...)
	b = appendInt(b, int64(major))
	b = append(b, '.')
	return appendInt(b, int64(minor))
}

func (w *Writer) finish(b []byte, h Header, body []byte, trailer Header, f Framing) error {
	b = append(b, "\r\n"...)
	var err error
	if b, err = appendFields(b, h); err != nil {
		return err
	}
	if len(trailer) > 0 && f != FramingChunked {
		return errTrailerNotChunked
	}
	switch f {
	case FramingNone:
		if len(body) > 0 {
			return errBodyWithoutFraming
		}
		b = append(b, "\r\n"...)
	case FramingContentLength:
		if !h.Has("Content-Length") {
			b = append(b, "Content-Length: "...)
			b = appendInt(b, int64(len(body)))
			b = append(b, "\r\n"...)
		}
		b = append(b, "\r\n"...)
		b = append(b, body...)
	case FramingChunked:
		if !h.Has("Transfer-Encoding") {
			b = append(b, "Transfer-Encoding: chunked\r\n"...)
		}
		b = append(b, "\r\n"...)
		for rest := body; len(rest) > 0; {
			n := len(rest)
			if w.ChunkSize > 0 && n > w.ChunkSize {
				n = w.ChunkSize
			}
			b = appendHex(b, uint64(n))
			b = append(b, "\r\n"...)
			b = append(b, rest[:n]...)
			b = append(b, "\r\n"...)
			rest = rest[n:]
		}
		b = append(b, "0\r\n"...)
		if b, err = appendFields(b, trailer); err != nil {
			return err
		}
		b = append(b, "\r\n"...)
	case FramingClose:
		b = append(b, "\r\n"...)
		b = append(b, body...)
	default:
		return errors.New("httpwire: write: unknown framing")
	}
	w.buf = b
	_, err = w.dst.Write(b)
	return err
}

// appendFields writes "Name: Value CRLF" per field. Names must be tokens and
// values free of control characters other than HTAB, so that a value can
// never inject a field or a message (RFC 9110 §5.5).
func appendFields(b []byte, h Header) ([]byte, error) {
	for _, f := range h {
		if err := checkToken(f.Name, "field name"); err != nil {
			return b, err
		}
		if !validValue(f.Value) {
			return b, errors.New("httpwire: write: control character in the value of " + quote(f.Name))
		}
		b = append(b, f.Name...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	return b, nil
}

func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if !fieldByteOK[s[i]] {
			return false
		}
	}
	return true
}

func checkToken(s, what string) error {
	if s == "" {
		return errors.New("httpwire: write: empty " + what)
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return errors.New("httpwire: write: invalid character in " + what + " " + quote(s))
		}
	}
	return nil
}

func appendHex(b []byte, n uint64) []byte {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[n&15]
		n >>= 4
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
