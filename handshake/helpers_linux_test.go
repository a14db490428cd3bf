package handshake_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
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

// inNetns runs fn on a goroutine whose thread has unshared into a new
// network namespace with loopback up. The thread stays locked, so the
// runtime discards it when the goroutine ends; the namespace dies with its
// last socket.
func inNetns(t *testing.T, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		if err := loopbackUp(); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// loopbackUp sets IFF_UP on lo with SIOCSIFFLAGS.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
