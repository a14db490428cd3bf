package httpwire_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/tcplab/tcplab/httpwire"
)

// Two pipelined requests on one connection; the second asks to close, so
// what follows it is never parsed (RFC 9112 §9.6).
func ExampleReader_ReadRequest() {
	stream := "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n" +
		"POST /b HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello" +
		"GET /c HTTP/1.1\r\nHost: example.com\r\n\r\n"
	rd := httpwire.NewReader(strings.NewReader(stream))
	var req httpwire.Request
	for {
		err := rd.ReadRequest(&req)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		keep, why := req.KeepAlive()
		fmt.Printf("%s %s: %s, body %q, keep-alive %v: %s\n", req.Method, req.Target, req.Framing, req.Body, keep, why)
	}
	fmt.Printf("leftover %q\n", rd.Leftover())
	// Output:
	// GET /a: none, body "", keep-alive true: HTTP/1.1 without the close option is persistent (RFC 9112 §9.3)
	// POST /b: content-length, body "hello", keep-alive false: the close connection option ends the connection after this message (RFC 9112 §9.6)
	// leftover "GET /c HTTP/1.1\r\nHost: example.com\r\n\r\n"
}

// The writer adds Content-Length when the header lacks it, and writes the
// message in one Write call.
func ExampleWriter_WriteResponse() {
	var wire strings.Builder
	w := httpwire.NewWriter(&wire)
	err := w.WriteResponse(&httpwire.Response{
		Major: 1, Minor: 1, Status: 200, Reason: "OK",
		Header:  httpwire.Header{{Name: "Content-Type", Value: "text/plain"}},
		Body:    []byte("hi"),
		Framing: httpwire.FramingContentLength,
	})
	fmt.Printf("%q %v\n", wire.String(), err)
	// Output:
	// "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi" <nil>
}
