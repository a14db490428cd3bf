package bench

import (
	"bufio"
	"io"
	"net/http"
	"testing"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/valyala/fasthttp"
)

// Each sub-benchmark reads the same stream of messages. httpwire and
// fasthttp reuse one message value; net/http builds a new *Request or
// *Response each time, as it must. Response bodies are read by all three.

func BenchmarkReadRequest(b *testing.B) {
	for _, in := range requestInputs {
		b.Run(in.name+"/httpwire", func(b *testing.B) {
			rd := httpwire.NewReader(&loopReader{data: []byte(in.msg)})
			var req httpwire.Request
			run(b, in, func() error { return rd.ReadRequest(&req) })
		})
		b.Run(in.name+"/nethttp", func(b *testing.B) {
			br := bufio.NewReader(&loopReader{data: []byte(in.msg)})
			run(b, in, func() error {
				req, err := http.ReadRequest(br)
				if err != nil {
					return err
				}
				return req.Body.Close()
			})
		})
		b.Run(in.name+"/fasthttp", func(b *testing.B) {
			br := bufio.NewReader(&loopReader{data: []byte(in.msg)})
			var h fasthttp.RequestHeader
			run(b, in, func() error { return h.Read(br) })
		})
	}
}

func BenchmarkReadResponse(b *testing.B) {
	for _, in := range responseInputs {
		b.Run(in.name+"/httpwire", func(b *testing.B) {
			rd := httpwire.NewReader(&loopReader{data: []byte(in.msg)})
			var resp httpwire.Response
			run(b, in, func() error { return rd.ReadResponse(&resp, "GET") })
		})
		b.Run(in.name+"/nethttp", func(b *testing.B) {
			br := bufio.NewReader(&loopReader{data: []byte(in.msg)})
			get := &http.Request{Method: "GET"}
			run(b, in, func() error {
				resp, err := http.ReadResponse(br, get)
				if err != nil {
					return err
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					return err
				}
				return resp.Body.Close()
			})
		})
		b.Run(in.name+"/fasthttp", func(b *testing.B) {
			br := bufio.NewReader(&loopReader{data: []byte(in.msg)})
			var resp fasthttp.Response
			run(b, in, func() error { return resp.Read(br) })
		})
	}
}

func run(b *testing.B, in input, read func() error) {
	b.SetBytes(int64(len(in.msg) * in.msgs))
	b.ReportAllocs()
	for b.Loop() {
		for range in.msgs {
			if err := read(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
