package handshake_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/tcplab/tcplab/handshake"
)

// pair dials a loopback connection from d to a listener made with lc and
// returns both ends after one request/response, so both ends have seen the
// whole handshake and some data; everything is closed at the end.
func pair(t *testing.T, lc *net.ListenConfig, d *net.Dialer) (client, server *net.TCPConn) {
	t.Helper()
	c, s, err := dialPair(lc, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// dialPair is pair without testing.T, for use inside a namespace goroutine.
// The caller closes both conns.
func dialPair(lc *net.ListenConfig, d *net.Dialer) (client, server *net.TCPConn, err error) {
	ctx := context.Background()
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	accepted := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			buf := make([]byte, 5)
			if _, err = c.Read(buf); err == nil {
				_, err = c.Write(buf)
			}
		}
		accepted <- res{c, err}
	}()
	c, err := d.DialContext(ctx, "tcp4", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		c.Close()
		return nil, nil, err
	}
	if _, err := c.Read(make([]byte, 5)); err != nil {
		c.Close()
		return nil, nil, err
	}
	r := <-accepted
	if r.err != nil {
		c.Close()
		return nil, nil, r.err
	}
	return c.(*net.TCPConn), r.c.(*net.TCPConn), nil
}

// negotiatedPair dials a pair with dialPair and returns what Negotiated
// reads on each end; both conns are closed.
func negotiatedPair(lc *net.ListenConfig, d *net.Dialer) (client, server handshake.Result, err error) {
	c, s, err := dialPair(lc, d)
	if err != nil {
		return client, server, err
	}
	defer c.Close()
	defer s.Close()
	client, cerr := handshake.Negotiated(c)
	server, serr := handshake.Negotiated(s)
	if cerr != nil || serr != nil {
		return client, server, errorf("%v %v", cerr, serr)
	}
	return client, server, nil
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
