package httpwire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// stingyReader hands out its data and then fails the test if read again:
// a reader on a live connection must not ask for bytes the message does not
// need, or it would block until the peer sends more.
type stingyReader struct {
	t    *testing.T
	data []byte
}

func (s *stingyReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		s.t.Error("Read called after the message was complete")
		return 0, errors.New("blocked")
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

func TestNoReadPastMessage(t *testing.T) {
	reqs := []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("b", 5000),
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n",
	}
	for _, in := range reqs {
		for _, rd := range readers {
			var req Request
			if err := NewReader(rd.wrap(&stingyReader{t: t, data: []byte(in)})).ReadRequest(&req); err != nil {
				t.Errorf("%q: %v", in, err)
			}
		}
	}
	var resp Response
	in := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"
	if err := NewReader(&stingyReader{t: t, data: []byte(in)}).ReadResponse(&resp, "GET"); err != nil {
		t.Error(err)
	}
}

// A reused message value costs no allocation per message.
func TestZeroAllocsWithReuse(t *testing.T) {
	msgs := map[string]string{
		"request":         browserRequest,
		"chunked request": "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"response":        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
	}
	for name, msg := range msgs {
		src := &loopReader{data: []byte(msg)}
		rd := NewReader(src)
		var req Request
		var resp Response
		read := func() {
			var err error
			if strings.HasPrefix(msg, "HTTP/") {
				err = rd.ReadResponse(&resp, "GET")
			} else {
				err = rd.ReadRequest(&req)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		read()
		if n := testing.AllocsPerRun(200, read); n != 0 {
			t.Errorf("%s: %v allocs per message", name, n)
		}
	}
}

// loopReader repeats data forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], l.data[l.off:])
		n += k
		l.off = (l.off + k) % len(l.data)
	}
	return n, nil
}

const browserRequest = "GET /wiki/Hypertext_Transfer_Protocol HTTP/1.1\r\n" +
	"Host: en.wikipedia.org\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.google.com/\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: WMF-Last-Access=05-Jan-2026; WMF-Last-Access-Global=05-Jan-2026; GeoIP=DE:BE:Berlin:52.52:13.40:v4\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-Site: cross-site\r\n" +
	"Sec-Fetch-User: ?1\r\n" +
	"Priority: u=0, i\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"\r\n"

func TestTraceHooks(t *testing.T) {
	var events []string
	tr := &Trace{
		FirstByte:   func() { events = append(events, "first") },
		HeadersDone: func() { events = append(events, "headers") },
		BodyDone:    func() { events = append(events, "body") },
	}
	in := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: x\r\n\r\n"
	rd := NewReader(strings.NewReader(in))
	rd.Trace = tr
	var req Request
	for rd.ReadRequest(&req) == nil {
		events = append(events, req.Method)
	}
	want := "first headers body POST first headers body GET"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestCloneSurvivesReuse(t *testing.T) {
	rd := NewReader(strings.NewReader("POST /a HTTP/1.1\r\nHost: one\r\nContent-Length: 1\r\n\r\n1POST /b HTTP/1.1\r\nHost: two\r\nContent-Length: 1\r\n\r\n2"))
	var req Request
	if err := rd.ReadRequest(&req); err != nil {
		t.Fatal(err)
	}
	c := req.Clone()
	if err := rd.ReadRequest(&req); err != nil {
		t.Fatal(err)
	}
	if c.Target != "/a" || c.Header.Get("Host") != "one" || string(c.Body) != "1" {
		t.Errorf("clone changed: %+v", c)
	}
	if req.Target != "/b" || req.Header.Get("Host") != "two" || string(req.Body) != "2" {
		t.Errorf("second request: %+v", req)
	}
}

func TestLargeBodies(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	var wire bytes.Buffer
	w := NewWriter(&wire)
	w.ChunkSize = 10000
	for _, f := range []Framing{FramingContentLength, FramingChunked} {
		if err := w.WriteRequest(&Request{Method: "PUT", Target: "/", Header: Header{{"Host", "x"}}, Body: body, Framing: f}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteResponse(&Response{Status: 200, Reason: "OK", Body: body, Framing: FramingClose}); err != nil {
		t.Fatal(err)
	}
	for _, rd := range readers[:2] {
		r := NewReader(rd.wrap(bytes.NewReader(wire.Bytes())))
		var req Request
		for i := range 2 {
			if err := r.ReadRequest(&req); err != nil || !bytes.Equal(req.Body, body) || req.Truncated {
				t.Fatalf("%s request %d: %v, %d bytes", rd.name, i, err, len(req.Body))
			}
		}
		var resp Response
		if err := r.ReadResponse(&resp, "GET"); err != nil || !bytes.Equal(resp.Body, body) {
			t.Fatalf("%s close-delimited response: %v, %d bytes", rd.name, err, len(resp.Body))
		}
	}
}

func TestBodyLimits(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"RFC9110_15.5.14_chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n123456789\r\n0\r\n\r\n"},
		{"RFC9110_15.5.14_close_delimited", "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("x", 17)},
	}
	for _, tt := range tests {
		rd := NewReader(strings.NewReader(tt.in))
		rd.Limits.MaxBodyBytes = 16
		var err error
		if strings.HasPrefix(tt.in, "HTTP") {
			err = rd.ReadResponse(new(Response), "GET")
		} else {
			err = rd.ReadRequest(new(Request))
		}
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Status != 413 {
			t.Errorf("%s: %v, want a 413 ProtocolError", tt.name, err)
		}
	}
}

func TestDefaultHeaderLimit(t *testing.T) {
	pad := strings.Repeat("a", DefaultMaxHeaderBytes)
	in := "GET / HTTP/1.1\r\nHost: x\r\nX: " + pad + "\r\n\r\n"
	err := NewReader(strings.NewReader(in)).ReadRequest(new(Request))
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Status != 431 {
		t.Errorf("%v, want 431", err)
	}
	in = "GET / HTTP/1.1\r\nHost: x\r\nX: " + pad[:DefaultMaxHeaderBytes-100] + "\r\n\r\n"
	if err := NewReader(strings.NewReader(in)).ReadRequest(new(Request)); err != nil {
		t.Errorf("a header section under the limit: %v", err)
	}
}

func TestProtocolErrorIsSticky(t *testing.T) {
	rd := NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost : x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	err1 := rd.ReadRequest(new(Request))
	err2 := rd.ReadRequest(new(Request))
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v then %v", err1, err2)
	}
	if !strings.Contains(err1.Error(), "RFC 9112 §5.1") {
		t.Errorf("error %q does not name its rule", err1)
	}
}

func TestReadErrorWrapped(t *testing.T) {
	boom := errors.New("boom")
	rd := NewReader(io.MultiReader(strings.NewReader("GET / HT"), iotestErr{boom}))
	err := rd.ReadRequest(new(Request))
	if !errors.Is(err, boom) {
		t.Errorf("%v, want it to wrap boom", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }
