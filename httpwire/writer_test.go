package httpwire

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteRequest(t *testing.T) {
	tests := []struct {
		name  string
		chunk int
		req   Request
		want  string
	}{
		{"RFC9112_3_no_body", 0, Request{Method: "GET", Target: "/a", Major: 1, Minor: 1, Header: Header{{"Host", "x"}, {"connection", "keep-alive"}}},
			"GET /a HTTP/1.1\r\nHost: x\r\nconnection: keep-alive\r\n\r\n"},
		{"RFC9112_3_default_version_1.1", 0, Request{Method: "GET", Target: "/", Header: Header{{"Host", "x"}}},
			"GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"RFC9112_6.3_rule6_content_length_added", 0, Request{Method: "POST", Target: "/p", Major: 1, Minor: 0, Header: Header{{"X", "1"}}, Body: []byte("hello"), Framing: FramingContentLength},
			"POST /p HTTP/1.0\r\nX: 1\r\nContent-Length: 5\r\n\r\nhello"},
		{"RFC9112_6.3_rule6_given_content_length_kept_as_is", 0, Request{Method: "POST", Target: "/p", Major: 1, Minor: 1, Header: Header{{"Host", "x"}, {"content-length", "9"}}, Body: []byte("short"), Framing: FramingContentLength},
			"POST /p HTTP/1.1\r\nHost: x\r\ncontent-length: 9\r\n\r\nshort"},
		{"RFC9112_7.1_chunked_added_with_trailer", 4, Request{Method: "PUT", Target: "/u", Major: 1, Minor: 1, Header: Header{{"Host", "x"}, {"Trailer", "X-Sum"}},
			Body: []byte("0123456789"), Trailer: Header{{"X-Sum", "45"}}, Framing: FramingChunked},
			"PUT /u HTTP/1.1\r\nHost: x\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n0123\r\n4\r\n4567\r\n2\r\n89\r\n0\r\nX-Sum: 45\r\n\r\n"},
		{"RFC9112_7.1_empty_chunked_body", 0, Request{Method: "POST", Target: "/", Major: 1, Minor: 1, Header: Header{{"Host", "x"}, {"Transfer-Encoding", "chunked"}}, Framing: FramingChunked},
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"RFC9112_7.1_one_chunk_of_hex_size", 0, Request{Method: "POST", Target: "/", Major: 1, Minor: 1, Header: Header{{"Host", "x"}}, Body: bytes.Repeat([]byte("z"), 26), Framing: FramingChunked},
			"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n" + strings.Repeat("z", 26) + "\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.ChunkSize = tt.chunk
			if err := w.WriteRequest(&tt.req); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("wrote %q\nwant  %q", buf.String(), tt.want)
			}
			// What was written reads back as the same message.
			var got Request
			if err := NewReader(&buf).ReadRequest(&got); err != nil {
				if strings.Contains(tt.name, "given_content_length") {
					return
				}
				t.Fatalf("read back: %v", err)
			}
			if got.Method != tt.req.Method || !bytes.Equal(got.Body, tt.req.Body) || got.Framing != tt.req.Framing ||
				dumpHeader(got.Trailer) != dumpHeader(tt.req.Trailer) {
				t.Errorf("read back %+v", got)
			}
		})
	}
}

func TestWriteResponse(t *testing.T) {
	tests := []struct {
		name string
		resp Response
		want string
	}{
		{"RFC9112_4_content_length", Response{Major: 1, Minor: 1, Status: 200, Reason: "OK", Header: Header{{"Connection", "keep-alive"}, {"Keep-Alive", "timeout=5, max=100"}}, Body: []byte("hi"), Framing: FramingContentLength},
			"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 2\r\n\r\nhi"},
		{"RFC9112_6.3_rule1_HEAD_keeps_content_length_no_body", Response{Major: 1, Minor: 1, Status: 200, Reason: "OK", Header: Header{{"Content-Length", "1234"}}},
			"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"},
		{"RFC9112_6.3_rule8_close_delimited", Response{Major: 1, Minor: 0, Status: 200, Reason: "OK", Header: Header{{"Connection", "close"}}, Body: []byte("until close"), Framing: FramingClose},
			"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nuntil close"},
		{"RFC9112_4_empty_reason", Response{Major: 1, Minor: 1, Status: 204}, "HTTP/1.1 204 \r\n\r\n"},
		{"RFC9112_7.1_chunked", Response{Major: 1, Minor: 1, Status: 200, Reason: "OK", Body: []byte("abc"), Framing: FramingChunked},
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewWriter(&buf).WriteResponse(&tt.resp); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("wrote %q\nwant  %q", buf.String(), tt.want)
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		req  Request
	}{
		{"body_with_FramingNone", Request{Method: "POST", Target: "/", Body: []byte("x")}},
		{"RFC9112_6.3_rule7_request_close_delimited", Request{Method: "POST", Target: "/", Framing: FramingClose}},
		{"RFC9112_7.1.2_trailer_without_chunked", Request{Method: "POST", Target: "/", Trailer: Header{{"X", "y"}}, Framing: FramingContentLength}},
		{"RFC9110_5.5_CRLF_in_value", Request{Method: "GET", Target: "/", Header: Header{{"X", "a\r\nInjected: 1"}}}},
		{"RFC9110_5.5_NUL_in_value", Request{Method: "GET", Target: "/", Header: Header{{"X", "a\x00"}}}},
		{"RFC9110_5.1_space_in_name", Request{Method: "GET", Target: "/", Header: Header{{"X Y", "a"}}}},
		{"RFC9112_3_space_in_method", Request{Method: "G T", Target: "/"}},
		{"RFC9112_3.2_space_in_target", Request{Method: "GET", Target: "/a b"}},
		{"RFC9112_3.2_empty_target", Request{Method: "GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewWriter(&buf).WriteRequest(&tt.req); err == nil {
				t.Errorf("wrote %q, want an error", buf.String())
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q before failing", buf.String())
			}
		})
	}
}

// The writer makes one Write call per message, so that a message leaves in
// as few segments as the socket allows.
func TestWriteOneCallPerMessage(t *testing.T) {
	var cw countWriter
	w := NewWriter(&cw)
	w.ChunkSize = 1
	req := Request{Method: "POST", Target: "/", Header: Header{{"Host", "x"}}, Body: []byte("abcdef"), Framing: FramingChunked}
	for range 3 {
		if err := w.WriteRequest(&req); err != nil {
			t.Fatal(err)
		}
	}
	if cw.calls != 3 {
		t.Errorf("%d Write calls for 3 messages", cw.calls)
	}
}

type countWriter struct{ calls int }

func (c *countWriter) Write(p []byte) (int, error) { c.calls++; return len(p), nil }
