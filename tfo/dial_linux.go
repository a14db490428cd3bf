package tfo

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/sockopt"
)

// Dialer dials TCP connections whose first bytes ride in the SYN.
type Dialer struct {
	// Base supplies the timeout, deadline, local address, keep-alive and
	// an optional Control or ControlContext, which runs before
	// TCP_FASTOPEN_CONNECT is set. Its MPTCP setting is ignored: the dial
	// uses plain TCP.
	Base net.Dialer
	// NoCookie sets TCP_FASTOPEN_NO_COOKIE (34): send the SYN data even
	// without a cookie, for servers that accept it (ServerNoCookie).
	NoCookie bool
}

// DialWithData dials with a zero Dialer whose Base.Control runs ctl in
// order. See Dialer.DialWithData.
func DialWithData(ctx context.Context, network, addr string, data []byte, ctl ...sockopt.Control) (net.Conn, error) {
	d := Dialer{Base: net.Dialer{Control: sockopt.Compose(ctl...)}}
	return d.DialWithData(ctx, network, addr, data)
}

// DialWithData connects with setsockopt(IPPROTO_TCP, TCP_FASTOPEN_CONNECT,
// 1) and writes data (net/ipv4/tcp_fastopen.c tcp_fastopen_defer_connect,
// net/ipv4/tcp.c tcp_sendmsg_fastopen):
//
//   - with a cookie for the server cached, connect(2) returns 0 at once
//     without sending anything, and the write of data sends the SYN with
//     cookie and data (as much as fits in one segment); DialWithData
//     returns before the SYN-ACK arrives, so errors of the handshake
//     surface at the next Read or Write;
//   - without one, connect(2) sends a SYN with a cookie request and
//     completes the handshake as usual (EINPROGRESS, then writable), and
//     data goes after it: no saving on this connection.
//
// With empty data and a cached cookie no SYN leaves until the first Write.
// Read Status after the first byte of the response to learn whether the
// SYN data was acknowledged.
func (d *Dialer) DialWithData(ctx context.Context, network, addr string, data []byte) (net.Conn, error) {
	nd := d.Base
	nd.SetMultipathTCP(false)
	user, userCtx := nd.Control, nd.ControlContext
	nd.Control = nil
	nd.ControlContext = func(ctx context.Context, network, address string, rc syscall.RawConn) error {
		var err error
		switch {
		case userCtx != nil:
			err = userCtx(ctx, network, address, rc)
		case user != nil:
			err = user(network, address, rc)
		}
		if err != nil {
			return err
		}
		if err := sockopt.FastOpenConnect(true)(network, address, rc); err != nil {
			return err
		}
		if d.NoCookie {
			return noCookie(network, address, rc)
		}
		return nil
	}
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return c, nil
	}
	if dl := d.deadline(ctx, time.Now()); !dl.IsZero() {
		c.SetWriteDeadline(dl)
		defer c.SetWriteDeadline(time.Time{})
	}
	if err := writeSYNData(c.(*net.TCPConn), data); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "write", Net: network, Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return c, nil
}

// deadline is the earliest of ctx's deadline, Base.Deadline and
// now+Base.Timeout, or zero.
func (d *Dialer) deadline(ctx context.Context, now time.Time) time.Time {
	var dl []time.Time
	if t, ok := ctx.Deadline(); ok {
		dl = append(dl, t)
	}
	if !d.Base.Deadline.IsZero() {
		dl = append(dl, d.Base.Deadline)
	}
	if d.Base.Timeout > 0 {
		dl = append(dl, now.Add(d.Base.Timeout))
	}
	var min time.Time
	for _, t := range dl {
		if min.IsZero() || t.Before(min) {
			min = t
		}
	}
	return min
}

// noCookie sets TCP_FASTOPEN_NO_COOKIE (34): the SYN carries data even
// without a cached cookie (net/ipv4/tcp_fastopen.c tcp_fastopen_no_cookie).
func noCookie(_, _ string, rc syscall.RawConn) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_FASTOPEN_NO_COOKIE, 1)
	}); cerr != nil {
		return cerr
	}
	if err != nil {
		return os.NewSyscallError("setsockopt TCP_FASTOPEN_NO_COOKIE", err)
	}
	return nil
}

// writeSYNData writes all of data through the runtime poller. On a
// non-blocking socket whose connect was deferred, write(2) returns the
// bytes that went into the SYN (EINPROGRESS if none did), then EAGAIN
// until the handshake completes: both mean wait until writable, then write
// the rest.
func writeSYNData(c *net.TCPConn, data []byte) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for len(data) > 0 {
			n, err := unix.Write(int(fd), data)
			if n > 0 {
				data = data[n:]
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINPROGRESS):
				return false
			case err != nil:
				werr = os.NewSyscallError("write", err)
				return true
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return werr
}
