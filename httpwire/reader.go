package httpwire

import (
	"bytes"
	"errors"
	"io"
	"unsafe"
)

// Reader reads HTTP/1.x messages from a byte stream that may hold several
// pipelined messages. It buffers what it reads; bytes past the last message
// it parsed stay available through Leftover.
//
// End of stream: a clean EOF between messages gives io.EOF; an EOF inside a
// header section gives io.ErrUnexpectedEOF and no message; an EOF inside a
// body gives the message with the octets received so far, Truncated set and a
// nil error (RFC 9112 §8). After a message that does not keep the connection
// (RFC 9112 §9.3, §9.6), after a 101 or a 2xx answer to CONNECT, and after a
// truncated message, the Reader reads nothing more and returns io.EOF: the
// rest is Leftover. After a *ProtocolError it returns that error again.
type Reader struct {
	Limits Limits
	Trace  *Trace

	src  io.Reader
	buf  []byte
	r, w int
	rerr error // sticky error of src
	err  error // sticky error of the Reader
}

const initialBufSize = 4096

// NewReader returns a Reader that reads from src.
func NewReader(src io.Reader) *Reader {
	return &Reader{src: src, buf: make([]byte, initialBufSize)}
}

// Reset discards the buffered bytes and state and reads from src, keeping
// the Limits, the Trace and the buffer's storage.
func (r *Reader) Reset(src io.Reader) {
	if r.buf == nil {
		r.buf = make([]byte, initialBufSize)
	}
	r.src, r.r, r.w, r.rerr, r.err = src, 0, 0, nil, nil
}

// Leftover returns the bytes that were read from the source but not parsed:
// after a 101 or a 2xx answer to CONNECT they are the first bytes of the new
// protocol; after a message that closes the connection they are what the peer
// sent anyway. The slice is valid until the next call on r.
func (r *Reader) Leftover() []byte { return r.buf[r.r:r.w] }

// Buffered returns the number of bytes read from the source but not parsed.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads once from the source into the free end of the buffer, growing
// or compacting it when full.
func (r *Reader) fill() error {
	if r.rerr != nil {
		return r.rerr
	}
	if r.r == r.w {
		r.r, r.w = 0, 0
	}
	if r.w == len(r.buf) {
		if r.r > 0 {
			r.w = copy(r.buf, r.buf[r.r:r.w])
			r.r = 0
		} else {
			nb := make([]byte, 2*len(r.buf)+initialBufSize)
			copy(nb, r.buf[:r.w])
			r.buf = nb
		}
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.rerr = err
			if n > 0 {
				return nil
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	r.rerr = io.ErrNoProgress
	return r.rerr
}

// readDirect reads from the source into p, bypassing the buffer, for body
// octets that the buffer does not hold.
func (r *Reader) readDirect(p []byte) (int, error) {
	if r.rerr != nil {
		return 0, r.rerr
	}
	for range 100 {
		n, err := r.src.Read(p)
		if err != nil {
			r.rerr = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if n > 0 {
			return n, nil
		}
	}
	r.rerr = io.ErrNoProgress
	return 0, r.rerr
}

// readHead parses a header section (or a trailer section) at the start of
// the buffer with parse and returns its length, reading as needed.
//
// The common case is one parse of the buffered bytes. When they end before
// the section does, later reads are only searched for its end (CRLF CRLF, or
// an empty line ended by a bare LF, which the parser then rejects), so that a
// section arriving in many small reads is not parsed again each time. parse
// sees at most limit octets: a section that does not end within them is too
// large, unless the parser finds an error in them first. The outcome does not
// depend on how the stream was split into reads.
//
// For a request, one CRLF before the request line is skipped (RFC 9112 §2.2).
func (r *Reader) readHead(kind blockKind, parse func([]byte) (int, error)) (int, error) {
	limit := r.Limits.header()
	from, lf := 0, 0 // where the two searches resume
	tried := false
	skipped := kind != blockRequest
	traced := r.Trace == nil || r.Trace.FirstByte == nil || kind == blockTrailer
	for {
		avail := r.buf[r.r:r.w]
		if !traced && len(avail) > 0 {
			traced = true
			r.Trace.FirstByte()
		}
		ready := true
		if !skipped {
			if len(avail) < 2 {
				ready = false
			} else {
				skipped = true
				if avail[0] == '\r' && avail[1] == '\n' {
					r.r += 2
					continue
				}
			}
		}
		if ready {
			b := avail[:min(len(avail), limit)]
			if !tried || sectionEnds(b, &from, &lf) || len(b) == limit {
				tried = true
				n, err := parse(b)
				if err != errIncomplete {
					return n, err
				}
				if len(b) == limit {
					return 0, tooLarge(kind, limit)
				}
			}
		}
		if err := r.fill(); err != nil {
			if err != io.EOF {
				return 0, err
			}
			if r.r == r.w && kind != blockTrailer {
				return 0, io.EOF
			}
			// An error in the octets that did arrive is reported as such,
			// as it is when they arrive in one read.
			if _, err := parse(r.buf[r.r:min(r.w, r.r+limit)]); err != errIncomplete && err != nil {
				return 0, err
			}
			return 0, io.ErrUnexpectedEOF
		}
	}
}

// sectionEnds searches b, from where the last search stopped, for the end
// of a header section: CRLF CRLF, or an empty line ended by a bare LF.
func sectionEnds(b []byte, from, lf *int) bool {
	if *from < len(b) {
		if bytes.Contains(b[*from:], crlfcrlf) {
			return true
		}
		*from = max(0, len(b)-3)
	}
	for *lf < len(b) {
		i := bytes.IndexByte(b[*lf:], '\n')
		if i < 0 {
			*lf = len(b)
			break
		}
		k := *lf + i
		*lf = k + 1
		if k == 0 || b[k-1] == '\n' || b[k-1] == '\r' && (k == 1 || b[k-2] == '\n') {
			return true
		}
	}
	return false
}

var crlfcrlf = []byte("\r\n\r\n")

// keep copies a parsed section (head = the buffered bytes it was parsed
// from) to the end of *store and moves the strings of h[from:] and of ss
// that point into head to the same offsets in the copy, so that they
// survive the next read. Other strings (constants, unfolded values) stay.
func keep(store *[]byte, head []byte, h Header, from int, ss ...*string) {
	start := len(*store)
	*store = append(*store, head...)
	dst := (*store)[start:]
	if len(head) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(head)))
	move := func(s string) string {
		off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - base
		if len(s) == 0 || off >= uintptr(len(head)) { // off wraps when s is below head
			return s
		}
		return unsafe.String(&dst[off], len(s))
	}
	for i := from; i < len(h); i++ {
		h[i].Name = move(h[i].Name)
		h[i].Value = move(h[i].Value)
	}
	for _, p := range ss {
		*p = move(*p)
	}
}

type blockKind uint8

const (
	blockRequest blockKind = iota
	blockResponse
	blockTrailer
)

func tooLarge(kind blockKind, max int) error {
	what := "header section"
	if kind == blockTrailer {
		what = "trailer section"
	}
	return protoErr(431, ruleTooLarge, what+" larger than "+itoa(int64(max))+" bytes")
}

// ReadRequest reads the next request into req, reusing req's storage (see
// the package comment): when req is reused, a message costs no allocation.
func (r *Reader) ReadRequest(req *Request) error {
	if r.err != nil {
		return r.err
	}
	req.Method, req.Target, req.Major, req.Minor = "", "", 0, 0
	req.Header, req.Trailer, req.Body = req.Header[:0], req.Trailer[:0], req.Body[:0]
	req.Framing, req.ContentLength, req.Truncated = FramingNone, -1, false
	size, err := r.readHead(blockRequest, func(b []byte) (int, error) {
		req.Header = req.Header[:0]
		return parseRequestHead(req, b)
	})
	if err != nil {
		req.Method, req.Target, req.Header = "", "", req.Header[:0] // nothing may point into the read buffer
		return r.fail(err)
	}
	req.buf = req.buf[:0]
	keep(&req.buf, r.buf[r.r:r.r+size], req.Header, 0, &req.Method, &req.Target)
	r.r += size
	f, n := FramingNone, int64(-1) // RFC 9112 §6.3 rule 7, unless a framing field is present
	if req.sum.framing {
		if f, n, err = RequestFraming(req.Major, req.Minor, req.Header); err != nil {
			return r.fail(err)
		}
	}
	req.Framing, req.ContentLength = f, n
	if r.Trace != nil && r.Trace.HeadersDone != nil {
		r.Trace.HeadersDone()
	}
	req.Truncated, err = r.readBody(f, n, &req.Body, &req.Trailer, &req.buf, true)
	if err != nil {
		return r.fail(err)
	}
	if r.Trace != nil && r.Trace.BodyDone != nil {
		r.Trace.BodyDone()
	}
	keep := atLeast11(req.Major, req.Minor) && !req.Truncated // RFC 9112 §9.3 without a Connection field
	if req.sum.connection {
		keep, _ = req.KeepAlive()
	}
	if !keep {
		r.err = io.EOF
	}
	return nil
}

// ReadResponse reads the next response into resp, reusing resp's storage.
// method is the method of the request it answers: a response to HEAD has no
// body and a 2xx answer to CONNECT ends HTTP on the connection (RFC 9112 §6.3).
// A 1xx response other than 101 is interim: the final response to the same
// request follows.
func (r *Reader) ReadResponse(resp *Response, method string) error {
	if r.err != nil {
		return r.err
	}
	resp.Major, resp.Minor, resp.Status, resp.Reason = 0, 0, 0, ""
	resp.Header, resp.Trailer, resp.Body = resp.Header[:0], resp.Trailer[:0], resp.Body[:0]
	resp.Framing, resp.ContentLength, resp.Truncated, resp.EndsHTTP = FramingNone, -1, false, false
	size, err := r.readHead(blockResponse, func(b []byte) (int, error) {
		resp.Header = resp.Header[:0]
		return parseResponseHead(resp, b)
	})
	if err != nil {
		resp.Reason, resp.Header = "", resp.Header[:0] // nothing may point into the read buffer
		return r.fail(asResponseError(err))
	}
	resp.buf = resp.buf[:0]
	keep(&resp.buf, r.buf[r.r:r.r+size], resp.Header, 0, &resp.Reason)
	r.r += size
	// Without a Content-Length or Transfer-Encoding field, the framing rules
	// read no field: skip the scan.
	framingFields := resp.Header
	if !resp.sum.framing {
		framingFields = nil
	}
	f, n, ends, err := ResponseFraming(method, resp.Status, resp.Major, resp.Minor, framingFields)
	if err != nil {
		return r.fail(asResponseError(err))
	}
	resp.Framing, resp.ContentLength, resp.EndsHTTP = f, n, ends
	if r.Trace != nil && r.Trace.HeadersDone != nil {
		r.Trace.HeadersDone()
	}
	resp.Truncated, err = r.readBody(f, n, &resp.Body, &resp.Trailer, &resp.buf, false)
	if err != nil {
		return r.fail(asResponseError(err))
	}
	if r.Trace != nil && r.Trace.BodyDone != nil {
		r.Trace.BodyDone()
	}
	connFields := resp.Header
	if !resp.sum.connection {
		connFields = nil
	}
	if keep, _ := resp.keepAlive(connFields); !keep {
		r.err = io.EOF
	}
	return nil
}

// asResponseError gives a bad response the status a gateway answers with
// (502, RFC 9110 §15.6.3), or keeps 413 and 431 for limits.
func asResponseError(err error) error {
	if pe, ok := err.(*ProtocolError); ok && pe.Status == 400 {
		pe.Status = 502
	}
	return err
}

// fail makes err sticky. After an EOF in a header section the stream is
// over: later reads give io.EOF.
func (r *Reader) fail(err error) error {
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		r.err = io.EOF
	case errors.As(err, new(*ProtocolError)):
		r.err = err
	default:
		err = &readError{err}
		r.err = err
	}
	return err
}

type readError struct{ err error }

func (e *readError) Error() string { return "httpwire: read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// readBody reads a body framed by f into *body (and a chunked body's trailer
// section into *trailer, its strings stored in *store). It reports whether
// the stream ended before the body did.
func (r *Reader) readBody(f Framing, n int64, body *[]byte, trailer *Header, store *[]byte, request bool) (bool, error) {
	switch f {
	case FramingContentLength:
		if n > r.Limits.body() {
			return false, protoErr(413, "RFC 9110 §15.5.14", "Content-Length "+itoa(n)+" exceeds the body limit")
		}
		return r.readN(body, n)
	case FramingChunked:
		return r.readChunked(body, trailer, store, request)
	case FramingClose:
		return false, r.readToEOF(body)
	}
	return false, nil
}

// smallRead is the size under which body octets are read through the
// buffer rather than straight into the body.
const smallRead = 2048

// readN appends n body octets to *dst. It reports true when the stream ended
// first.
func (r *Reader) readN(dst *[]byte, n int64) (bool, error) {
	b := *dst
	defer func() { *dst = b }()
	for n > 0 {
		if r.r < r.w {
			k := int(min(n, int64(r.w-r.r)))
			b = append(b, r.buf[r.r:r.r+k]...)
			r.r += k
			n -= int64(k)
			continue
		}
		if n <= smallRead {
			if err := r.fill(); err != nil {
				return eofTruncates(err)
			}
			continue
		}
		if cap(b) == len(b) {
			grow := int(min(n, int64(max(len(b), 32<<10))))
			b = append(b, make([]byte, grow)...)[:len(b)]
		}
		m, err := r.readDirect(b[len(b) : len(b)+int(min(n, int64(cap(b)-len(b))))])
		b = b[:len(b)+m]
		n -= int64(m)
		if err != nil {
			return eofTruncates(err)
		}
	}
	return false, nil
}

func eofTruncates(err error) (bool, error) {
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

// readToEOF appends octets to *dst until the stream ends: a close-delimited
// body (RFC 9112 §6.3 rule 8), complete when the stream ends (§8).
func (r *Reader) readToEOF(dst *[]byte) error {
	b := *dst
	defer func() { *dst = b }()
	limit := r.Limits.body()
	for {
		if r.r < r.w {
			b = append(b, r.buf[r.r:r.w]...)
			r.r = r.w
		}
		if int64(len(b)) > limit {
			return protoErr(413, "RFC 9110 §15.5.14", "close-delimited body exceeds the body limit")
		}
		if cap(b)-len(b) < smallRead {
			b = append(b, make([]byte, max(len(b), 32<<10))...)[:len(b)]
		}
		m, err := r.readDirect(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			if int64(len(b)) > limit {
				return protoErr(413, "RFC 9110 §15.5.14", "close-delimited body exceeds the body limit")
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}
