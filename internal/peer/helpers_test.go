package peer

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// startServer runs a Server with cfg on a loopback port until the test ends.
func startServer(t *testing.T, cfg ServerConfig) (*Server, string) {
	t.Helper()
	ln, err := Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Config: cfg}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != ErrServerClosed {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, ln.Addr().String()
}

// serveOn runs serve on a new loopback listener and returns its address.
func serveOn(t *testing.T, serve func(net.Listener) error, stop func() error) string {
	t.Helper()
	ln, err := Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	t.Cleanup(func() {
		_ = stop()
		<-done
	})
	return ln.Addr().String()
}

// rawConn is a hand-driven client connection for tests that need to control
// the bytes on the wire.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *httpwire.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, nc: nc, r: httpwire.NewReader(nc)}
}

// send writes request lines joined with CRLF and a final empty line.
func (c *rawConn) send(lines ...string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, strings.Join(lines, "\r\n")+"\r\n\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

// response reads one response to method.
func (c *rawConn) response(method string) (*httpwire.Response, error) {
	resp := new(httpwire.Response)
	err := c.r.ReadResponse(resp, method)
	return resp, err
}

func (c *rawConn) mustResponse(method string) *httpwire.Response {
	c.t.Helper()
	resp, err := c.response(method)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	return resp
}

// readEOF reads the raw socket until it ends and returns the error (nil for
// a clean EOF) and the time it took.
func (c *rawConn) readEOF(limit time.Duration) (error, time.Duration) {
	start := time.Now()
	_ = c.nc.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c.nc)
	return err, time.Since(start)
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closedConns counts the records with a close time.
func closedConns(recs []ConnRecord) int {
	n := 0
	for _, r := range recs {
		if !r.Closed.IsZero() {
			n++
		}
	}
	return n
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func gets(targets ...string) []Request {
	reqs := make([]Request, len(targets))
	for i, tg := range targets {
		reqs[i] = Request{Target: tg}
	}
	return reqs
}
