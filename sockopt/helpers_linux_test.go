package sockopt_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/sockopt"
)

// rawSocket returns a fresh AF_INET TCP socket closed at the end of the test.
func rawSocket(t *testing.T) sockopt.FD {
	t.Helper()
	fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return sockopt.FD(fd)
}

// pair dials a loopback connection from d to a listener made with lc and
// returns both ends; everything is closed at the end of the test.
func pair(t *testing.T, lc *net.ListenConfig, d *net.Dialer) (client, server *net.TCPConn) {
	t.Helper()
	ctx := context.Background()
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	c, err := d.DialContext(ctx, "tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// rawConnOf returns the syscall.RawConn of a socket, to call a Control
// factory by hand.
func rawConnOf(t *testing.T, c interface {
	SyscallConn() (rawConn, error)
}) rawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// sockoptInt reads an integer option directly, as an independent witness.
func sockoptInt(t *testing.T, c interface {
	SyscallConn() (rawConn, error)
}, level, opt int) int {
	t.Helper()
	var v int
	var err error
	if cerr := rawConnOf(t, c).Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), level, opt) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(os.NewSyscallError("getsockopt", err))
	}
	return v
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
