package httpwire

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Benchmark inputs; bench/ compares the same bytes against net/http and
// fasthttp.
const (
	smallRequest  = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\n\r\n"
	smallResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
	typicalResp   = "HTTP/1.1 200 OK\r\n" +
		"Date: Mon, 05 Jan 2026 10:00:00 GMT\r\n" +
		"Content-Type: text/html; charset=UTF-8\r\n" +
		"Content-Length: 128\r\n" +
		"Connection: keep-alive\r\n" +
		"Server: nginx/1.27.0\r\n" +
		"Cache-Control: private, s-maxage=0, max-age=0, must-revalidate\r\n" +
		"Content-Language: en\r\n" +
		"Vary: Accept-Encoding,Cookie\r\n" +
		"Last-Modified: Sun, 04 Jan 2026 08:00:00 GMT\r\n" +
		"Age: 0\r\n" +
		"X-Cache: cp3066 miss, cp3066 pass\r\n" +
		"X-Cache-Status: pass\r\n" +
		"Strict-Transport-Security: max-age=106384710; includeSubDomains; preload\r\n" +
		"Set-Cookie: WMF-Last-Access=05-Jan-2026;Path=/;HttpOnly;secure;Expires=Fri, 06 Feb 2026 00:00:00 GMT\r\n" +
		"Accept-Ranges: bytes\r\n" +
		"\r\n"
)

var typicalResponse = typicalResp + strings.Repeat("x", 128)

func benchRequests(b *testing.B, msg string, perOp int) {
	src := &loopReader{data: []byte(strings.Repeat(msg, perOp))}
	rd := NewReader(src)
	var req Request
	b.SetBytes(int64(len(msg) * perOp))
	b.ReportAllocs()
	for b.Loop() {
		for range perOp {
			if err := rd.ReadRequest(&req); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchResponses(b *testing.B, msg string, perOp int) {
	src := &loopReader{data: []byte(strings.Repeat(msg, perOp))}
	rd := NewReader(src)
	var resp Response
	b.SetBytes(int64(len(msg) * perOp))
	b.ReportAllocs()
	for b.Loop() {
		for range perOp {
			if err := rd.ReadResponse(&resp, "GET"); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkReadRequest(b *testing.B) {
	b.Run("browser", func(b *testing.B) { benchRequests(b, browserRequest, 1) })
	b.Run("small", func(b *testing.B) { benchRequests(b, smallRequest, 1) })
	b.Run("pipelined10", func(b *testing.B) { benchRequests(b, smallRequest, 10) })
	b.Run("chunked", func(b *testing.B) {
		benchRequests(b, "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n", 1)
	})
}

func BenchmarkReadResponse(b *testing.B) {
	b.Run("typical", func(b *testing.B) { benchResponses(b, typicalResponse, 1) })
	b.Run("small", func(b *testing.B) { benchResponses(b, smallResponse, 1) })
	b.Run("pipelined10", func(b *testing.B) { benchResponses(b, smallResponse, 10) })
}

func BenchmarkWriteRequest(b *testing.B) {
	var req Request
	if err := NewReader(strings.NewReader(browserRequest)).ReadRequest(&req); err != nil {
		b.Fatal(err)
	}
	w := NewWriter(io.Discard)
	b.SetBytes(int64(len(browserRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteRequest(&req); err != nil {
			b.Fatal(err)
		}
	}
}

// The benchmark inputs parse as intended.
func TestBenchInputs(t *testing.T) {
	if len(browserRequest) < 650 || len(browserRequest) > 750 || len(smallRequest) > 80 {
		t.Errorf("request sizes %d and %d", len(browserRequest), len(smallRequest))
	}
	var resp Response
	if err := NewReader(strings.NewReader(typicalResponse)).ReadResponse(&resp, "GET"); err != nil || !bytes.Equal(resp.Body, bytes.Repeat([]byte("x"), 128)) {
		t.Errorf("typical response: %v", err)
	}
}
