package bench

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/valyala/fasthttp"
)

// The three parsers agree on what the benchmark inputs say, so that they
// do the same work.
func TestInputsAgree(t *testing.T) {
	if n := len(browserRequest); n < 650 || n > 750 {
		t.Errorf("browser request is %d bytes", n)
	}
	if n := len(smallRequest); n < 60 || n > 80 {
		t.Errorf("small request is %d bytes", n)
	}
	for _, in := range requestInputs {
		stream := strings.Repeat(in.msg, 2)
		rd := httpwire.NewReader(strings.NewReader(stream))
		br := bufio.NewReader(strings.NewReader(stream))
		br2 := bufio.NewReader(strings.NewReader(stream))
		for range 2 {
			var req httpwire.Request
			if err := rd.ReadRequest(&req); err != nil {
				t.Fatal(err)
			}
			hr, err := http.ReadRequest(br)
			if err != nil {
				t.Fatal(err)
			}
			var fh fasthttp.RequestHeader
			if err := fh.Read(br2); err != nil {
				t.Fatal(err)
			}
			if req.Method != hr.Method || req.Target != hr.RequestURI || string(fh.Method()) != req.Method ||
				string(fh.RequestURI()) != req.Target || len(req.Header)-1 != len(hr.Header) || fh.Len() != len(req.Header) {
				t.Errorf("%s: httpwire %s %s (%d fields), net/http %s %s (%d), fasthttp %s %s (%d)", in.name,
					req.Method, req.Target, len(req.Header), hr.Method, hr.RequestURI, len(hr.Header),
					fh.Method(), fh.RequestURI(), fh.Len())
			}
		}
	}
	for _, in := range responseInputs {
		var resp httpwire.Response
		if err := httpwire.NewReader(strings.NewReader(in.msg)).ReadResponse(&resp, "GET"); err != nil {
			t.Fatal(err)
		}
		hr, err := http.ReadResponse(bufio.NewReader(strings.NewReader(in.msg)), &http.Request{Method: "GET"})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(hr.Body)
		var fr fasthttp.Response
		if err := fr.Read(bufio.NewReader(strings.NewReader(in.msg))); err != nil {
			t.Fatal(err)
		}
		if resp.Status != hr.StatusCode || !bytes.Equal(resp.Body, body) || !bytes.Equal(fr.Body(), body) || fr.StatusCode() != resp.Status {
			t.Errorf("%s: bodies %q %q %q", in.name, resp.Body, body, fr.Body())
		}
	}
}
