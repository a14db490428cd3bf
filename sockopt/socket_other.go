//go:build !linux

package sockopt

import (
	"net"
	"net/netip"
)

// Socket wraps socket(2); only Linux is supported.
func Socket(family, typ int) (int, error) { return -1, unsupported("socket") }

// Bind wraps bind(2); only Linux is supported.
func Bind(fd int, ap netip.AddrPort) error { return unsupported("bind") }

// Listen wraps listen(2); only Linux is supported.
func Listen(fd, backlog int) error { return unsupported("listen") }

// Connect wraps connect(2); only Linux is supported.
func Connect(fd int, ap netip.AddrPort) error { return unsupported("connect") }

// Accept wraps accept4(2); only Linux is supported.
func Accept(fd int) (int, netip.AddrPort, error) {
	return -1, netip.AddrPort{}, unsupported("accept4")
}

// Shutdown wraps shutdown(2); only Linux is supported.
func Shutdown(fd, how int) error { return unsupported("shutdown") }

// Close wraps close(2); only Linux is supported.
func Close(fd int) error { return unsupported("close") }

// LocalAddr wraps getsockname(2); only Linux is supported.
func LocalAddr(fd int) (netip.AddrPort, error) { return netip.AddrPort{}, unsupported("getsockname") }

// PeerAddr wraps getpeername(2); only Linux is supported.
func PeerAddr(fd int) (netip.AddrPort, error) { return netip.AddrPort{}, unsupported("getpeername") }

// FileConn hands a raw socket to Go's net package; only Linux is supported.
func FileConn(fd int) (net.Conn, error) { return nil, unsupported("FileConn") }
