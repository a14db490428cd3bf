package timewait

import (
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/sockopt"
)

// ListenReuseAddr opens a listening TCP socket on addr with raw system
// calls: socket(2), setsockopt(SOL_SOCKET, SO_REUSEADDR, reuse) set
// explicitly either way, bind(2) and listen(2) with SOMAXCONN. Go's
// net.Listen always sets SO_REUSEADDR, which hides the EADDRINUSE that
// bind(2) returns without it while connections on the port sit in
// TIME_WAIT (net/ipv4/inet_connection_sock.c inet_bind_conflict: both
// sockets need sk_reuse, and a TIME_WAIT socket keeps the flag of the
// socket it came from).
//
// The result is a blocking descriptor owned by the caller: accept with
// sockopt.Accept, close with sockopt.Close. On failure the socket is
// closed and the error wraps the errno, so errors.Is(err,
// syscall.EADDRINUSE) works.
func ListenReuseAddr(addr netip.AddrPort, reuse bool) (fd int, err error) {
	family := unix.AF_INET6
	if addr.Addr().Is4() {
		family = unix.AF_INET
	}
	fd, err = sockopt.Socket(family, unix.SOCK_STREAM)
	if err != nil {
		return -1, err
	}
	defer func() {
		if err != nil {
			sockopt.Close(fd)
			fd = -1
		}
	}()
	if err := sockopt.SetReuseAddr(sockopt.FD(fd), reuse); err != nil {
		return -1, err
	}
	if err := sockopt.Bind(fd, addr); err != nil {
		return -1, err
	}
	if err := sockopt.Listen(fd, unix.SOMAXCONN); err != nil {
		return -1, err
	}
	return fd, nil
}
