package httpwire

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readers gives every test its input whole, one byte per Read, and in
// reads of 3 bytes, so that no rule depends on how the stream is split.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"1-byte", iotest.OneByteReader},
	{"3-byte", func(r io.Reader) io.Reader { return &chunkReader{r: r, n: 3} }},
}

type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// dumpHeader renders fields as {Name=Value,...}.
func dumpHeader(h Header) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%s", f.Name, f.Value)
	}
	b.WriteByte('}')
	return b.String()
}

func dumpTail(h Header, body []byte, trailer Header, f Framing, cl int64, keep, trunc bool) string {
	s := fmt.Sprintf("%s %s", dumpHeader(h), f)
	if cl >= 0 {
		s += fmt.Sprintf(":%d", cl)
	}
	s += fmt.Sprintf(" body=%q", body)
	if len(trailer) > 0 {
		s += " trailer" + dumpHeader(trailer)
	}
	if keep {
		s += " keep"
	} else {
		s += " close"
	}
	if trunc {
		s += " truncated"
	}
	return s
}

// dumpRequests reads every request of in and renders them one per line,
// then "end: <error>" and the leftover bytes.
func dumpRequests(src io.Reader, lim Limits) string {
	rd := NewReader(src)
	rd.Limits = lim
	var out []string
	var req Request
	for {
		err := rd.ReadRequest(&req)
		if err != nil {
			out = append(out, "end: "+errString(err)+fmt.Sprintf(" leftover=%q", unread(rd, src)))
			break
		}
		keep, _ := req.KeepAlive()
		out = append(out, fmt.Sprintf("%s %s HTTP/%d.%d %s", req.Method, req.Target, req.Major, req.Minor,
			dumpTail(req.Header, req.Body, req.Trailer, req.Framing, req.ContentLength, keep, req.Truncated)))
	}
	return strings.Join(out, "\n")
}

// dumpResponses reads every response of in, answering methods in order
// (the last one repeats; 1xx responses other than 101 do not use one up).
func dumpResponses(src io.Reader, methods []string, lim Limits) string {
	rd := NewReader(src)
	rd.Limits = lim
	var out []string
	var resp Response
	for i := 0; ; {
		m := methods[min(i, len(methods)-1)]
		err := rd.ReadResponse(&resp, m)
		if err != nil {
			out = append(out, "end: "+errString(err)+fmt.Sprintf(" leftover=%q", unread(rd, src)))
			break
		}
		if resp.Status/100 != 1 || resp.Status == 101 {
			i++
		}
		keep, _ := resp.KeepAlive()
		s := fmt.Sprintf("HTTP/%d.%d %d %q %s", resp.Major, resp.Minor, resp.Status, resp.Reason,
			dumpTail(resp.Header, resp.Body, resp.Trailer, resp.Framing, resp.ContentLength, keep, resp.Truncated))
		if resp.EndsHTTP {
			s += " ends-http"
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// unread returns the bytes the reader did not parse: its Leftover followed
// by what it never read from src. It must not depend on how src splits reads.
func unread(rd *Reader, src io.Reader) []byte {
	rest, _ := io.ReadAll(src)
	return append(append([]byte{}, rd.Leftover()...), rest...)
}

func errString(err error) string {
	var pe *ProtocolError
	switch {
	case err == io.EOF:
		return "EOF"
	case err == io.ErrUnexpectedEOF:
		return "unexpected EOF"
	case errors.As(err, &pe):
		return fmt.Sprintf("%d %s: %s", pe.Status, pe.Rule, pe.Reason)
	}
	return "error " + err.Error()
}

// check compares a dump with the expected one, line by line.
func check(t *testing.T, got, want string) {
	t.Helper()
	want = strings.TrimSpace(want)
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
