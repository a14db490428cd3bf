package httpwire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// Fuzz targets. Each checks that parsing never panics, that the result does
// not depend on how the stream is split into reads and that no byte past
// the parsed messages is consumed (dump includes Leftover plus the unread
// rest), that parse → write → parse is stable, and that on inputs net/http
// also accepts, both frame the first message alike.

func FuzzReadRequest(f *testing.F) {
	for _, tt := range requestTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte(browserRequest + browserRequest))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := dumpRequests(bytes.NewReader(data), Limits{MaxHeaderBytes: 4096, MaxBodyBytes: 1 << 16})
		split := dumpRequests(iotest.OneByteReader(bytes.NewReader(data)), Limits{MaxHeaderBytes: 4096, MaxBodyBytes: 1 << 16})
		if whole != split {
			t.Fatalf("whole reads:\n%s\n1-byte reads:\n%s", whole, split)
		}
		rd := NewReader(bytes.NewReader(data))
		var req Request
		for i := 0; rd.ReadRequest(&req) == nil; i++ {
			if i == 0 {
				compareRequestWithNetHTTP(t, data, &req)
			}
			if !req.Truncated {
				checkRequestRoundTrip(t, &req)
			}
		}
	})
}

func FuzzReadResponse(f *testing.F) {
	for _, tt := range responseTests {
		f.Add([]byte(tt.in), uint8(0))
		f.Add([]byte(tt.in), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, m uint8) {
		methods := [][]string{{"GET"}, {"HEAD", "GET"}, {"CONNECT"}, {"POST", "HEAD"}}[m%4]
		whole := dumpResponses(bytes.NewReader(data), methods, Limits{MaxHeaderBytes: 4096, MaxBodyBytes: 1 << 16})
		split := dumpResponses(iotest.OneByteReader(bytes.NewReader(data)), methods, Limits{MaxHeaderBytes: 4096, MaxBodyBytes: 1 << 16})
		if whole != split {
			t.Fatalf("whole reads:\n%s\n1-byte reads:\n%s", whole, split)
		}
		rd := NewReader(bytes.NewReader(data))
		var resp Response
		if rd.ReadResponse(&resp, methods[0]) == nil {
			compareResponseWithNetHTTP(t, data, methods[0], &resp)
			if !resp.Truncated {
				checkResponseRoundTrip(t, &resp, methods[0])
			}
		}
	})
}

// FuzzChunkLine checks the chunk-size line parser against a plain reading of
// RFC 9112 §7.1: the size it returns is the hex prefix.
func FuzzChunkLine(f *testing.F) {
	for _, s := range []string{"0", "a;x=y", "1F ; n = \"v\\\"\"", "10000000000000000", "5 ", ";", "7;a=", "ff;a;b;c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		n, err := parseChunkLine([]byte(line))
		if err != nil {
			return
		}
		hex := 0
		for hex < len(line) && unhex(line[hex]) >= 0 {
			hex++
		}
		var want int64
		fmt.Sscanf(line[:hex], "%x", &want)
		if n != want || hex == 0 || hex > maxChunkDigits {
			t.Errorf("%q: size %d, want %d", line, n, want)
		}
		if rest := line[hex:]; rest != "" && strings.TrimLeft(rest, " \t")[0] != ';' {
			t.Errorf("%q accepted with %q after the size", line, rest)
		}
	})
}

// FuzzConnectionFields runs the Connection, hop-by-hop and Keep-Alive
// helpers on arbitrary values.
func FuzzConnectionFields(f *testing.F) {
	f.Add("close, X-Foo", "timeout=5, max=100")
	f.Add(" ,,Keep-Alive", "max=\"3\"")
	f.Fuzz(func(t *testing.T, conn, ka string) {
		h := Header{{"Connection", conn}, {"Keep-Alive", ka}, {"X-Foo", "1"}, {"Host", "x"}}
		toks := ConnectionTokens(h)
		for _, tok := range toks {
			if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
				t.Errorf("token %q", tok)
			}
			if !hasConnectionOption(h, tok) {
				t.Errorf("token %q not found by hasConnectionOption", tok)
			}
		}
		kept, removed := StripHopByHop(h)
		if len(kept)+countFields(h, removed) != len(h) {
			t.Errorf("kept %v + removed %v != %v", kept, removed, h)
		}
		if p, ok := ParseKeepAlive(h); ok && (p.Timeout < 0 || p.Max < 0) {
			t.Errorf("negative parameters %+v", p)
		}
	})
}

func countFields(h Header, names []string) int {
	n := 0
	for _, f := range h {
		for _, name := range names {
			if strings.EqualFold(f.Name, name) {
				n++
				break
			}
		}
	}
	return n
}

func oneRequest(t *testing.T, wire []byte) string {
	var req Request
	if err := NewReader(bytes.NewReader(wire)).ReadRequest(&req); err != nil {
		t.Fatalf("re-reading %q: %v", wire, err)
	}
	keep, _ := req.KeepAlive()
	return fmt.Sprintf("%s %s %d.%d %s", req.Method, req.Target, req.Major, req.Minor,
		dumpTail(req.Header, req.Body, req.Trailer, req.Framing, req.ContentLength, keep, req.Truncated))
}

func checkRequestRoundTrip(t *testing.T, req *Request) {
	var wire bytes.Buffer
	if err := NewWriter(&wire).WriteRequest(req); err != nil {
		t.Fatalf("write: %v", err)
	}
	keep, _ := req.KeepAlive()
	want := fmt.Sprintf("%s %s %d.%d %s", req.Method, req.Target, req.Major, req.Minor,
		dumpTail(req.Header, req.Body, req.Trailer, req.Framing, req.ContentLength, keep, req.Truncated))
	if got := oneRequest(t, wire.Bytes()); got != want {
		t.Fatalf("parse → write → parse changed the request:\n%s\n%s\nwire %q", want, got, wire.Bytes())
	}
}

func checkResponseRoundTrip(t *testing.T, resp *Response, method string) {
	var wire bytes.Buffer
	if err := NewWriter(&wire).WriteResponse(resp); err != nil {
		t.Fatalf("write: %v", err)
	}
	var again Response
	if err := NewReader(bytes.NewReader(wire.Bytes())).ReadResponse(&again, method); err != nil {
		t.Fatalf("re-reading %q: %v", wire.Bytes(), err)
	}
	a := fmt.Sprintf("%d.%d %d %q %s %v", resp.Major, resp.Minor, resp.Status, resp.Reason,
		dumpTail(resp.Header, resp.Body, resp.Trailer, resp.Framing, resp.ContentLength, false, resp.Truncated), resp.EndsHTTP)
	b := fmt.Sprintf("%d.%d %d %q %s %v", again.Major, again.Minor, again.Status, again.Reason,
		dumpTail(again.Header, again.Body, again.Trailer, again.Framing, again.ContentLength, false, again.Truncated), again.EndsHTTP)
	if a != b {
		t.Fatalf("parse → write → parse changed the response:\n%s\n%s\nwire %q", a, b, wire.Bytes())
	}
}

// compareRequestWithNetHTTP checks that net/http frames the first request
// as httpwire does, when it accepts it too.
func compareRequestWithNetHTTP(t *testing.T, data []byte, req *Request) {
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return
	}
	defer hr.Body.Close()
	chunked := len(hr.TransferEncoding) > 0
	if chunked != (req.Framing == FramingChunked) {
		t.Fatalf("net/http chunked=%v, httpwire framing %v", chunked, req.Framing)
	}
	if req.Framing == FramingContentLength && hr.ContentLength != req.ContentLength {
		t.Fatalf("net/http Content-Length %d, httpwire %d", hr.ContentLength, req.ContentLength)
	}
	if req.Framing == FramingNone && hr.ContentLength != 0 {
		t.Fatalf("net/http Content-Length %d, httpwire no body", hr.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(hr.Body, 1<<16+1))
	if err == nil && !req.Truncated && !bytes.Equal(body, req.Body) {
		t.Fatalf("net/http body %q, httpwire %q", body, req.Body)
	}
	if err == nil && req.Truncated {
		t.Fatalf("net/http read the whole body %q, httpwire found it truncated at %q", body, req.Body)
	}
}

func compareResponseWithNetHTTP(t *testing.T, data []byte, method string, resp *Response) {
	if resp.EndsHTTP || resp.Status/100 == 1 {
		return // net/http hands 1xx and tunnels to other code paths
	}
	hr, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), &http.Request{Method: method})
	if err != nil {
		return
	}
	defer hr.Body.Close()
	chunked := len(hr.TransferEncoding) > 0
	// Under rule 1 net/http still reports the fields; only the (empty) body is compared.
	if resp.Framing != FramingNone && chunked != (resp.Framing == FramingChunked) {
		t.Fatalf("net/http chunked=%v, httpwire framing %v", chunked, resp.Framing)
	}
	if resp.Framing == FramingClose && hr.ContentLength != -1 {
		t.Fatalf("net/http Content-Length %d, httpwire close-delimited", hr.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(hr.Body, 1<<16+1))
	if err == nil && !resp.Truncated && !bytes.Equal(body, resp.Body) {
		t.Fatalf("net/http body %q, httpwire %q", body, resp.Body)
	}
}
