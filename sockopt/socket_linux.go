package sockopt

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Socket wraps socket(2) for TCP: family is unix.AF_INET or unix.AF_INET6,
// typ is unix.SOCK_STREAM (SOCK_NONBLOCK may be or-ed in). The descriptor
// is close-on-exec, blocking unless asked otherwise, and has none of the
// options Go's net package would set: no SO_REUSEADDR, no TCP_NODELAY, no
// keepalive, no MPTCP. Wrap it with FD to use this package's setters.
func Socket(family, typ int) (int, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// Bind wraps bind(2). An IPv4 address given to an AF_INET6 socket is bound
// as its IPv4-mapped form.
func Bind(fd int, ap netip.AddrPort) error {
	sa, err := sockaddr(fd, ap)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}

// Listen wraps listen(2). The kernel caps backlog at net.core.somaxconn.
func Listen(fd, backlog int) error {
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// Connect wraps connect(2). On a blocking socket it returns when the
// handshake is done or has failed; on a non-blocking one it returns an
// error matching unix.EINPROGRESS while the SYN is outstanding.
func Connect(fd int, ap netip.AddrPort) error {
	sa, err := sockaddr(fd, ap)
	if err != nil {
		return err
	}
	for {
		err = unix.Connect(fd, sa)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return os.NewSyscallError("connect", err)
	}
	return nil
}

// Accept wraps accept4(2) with SOCK_CLOEXEC and returns the new descriptor
// and the peer's address. On a blocking listener it waits for a connection.
func Accept(fd int) (int, netip.AddrPort, error) {
	for {
		nfd, sa, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, netip.AddrPort{}, os.NewSyscallError("accept4", err)
		}
		return nfd, addrPort(sa), nil
	}
}

// Shutdown wraps shutdown(2); how is ShutRead, ShutWrite or ShutBoth.
func Shutdown(fd, how int) error {
	if err := unix.Shutdown(fd, how); err != nil {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}

// Close wraps close(2).
func Close(fd int) error {
	if err := unix.Close(fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// LocalAddr wraps getsockname(2).
func LocalAddr(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	return addrPort(sa), nil
}

// PeerAddr wraps getpeername(2).
func PeerAddr(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getpeername", err)
	}
	return addrPort(sa), nil
}

// FileConn hands a raw socket to Go's net package: it returns a net.Conn
// (a *net.TCPConn for a connected TCP socket) over a duplicate of fd. The
// caller still owns fd and may close it at once. Go makes its descriptor
// non-blocking, and since a duplicate shares the open file, so is fd.
//
// net.FileConn sets TCP_NODELAY=1 and a 15 s keepalive on the socket, as it
// does for dialled connections; FileConn puts TCP_NODELAY, SO_KEEPALIVE and
// the TCP_KEEP* timers back to what they were, so the experiment keeps the
// socket it built.
func FileConn(fd int) (net.Conn, error) {
	raw := FD(fd)
	nodelay, err := GetNoDelay(raw)
	if err != nil {
		return nil, err
	}
	ka, err := GetKeepAlive(raw)
	if err != nil {
		return nil, err
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
	}
	f := os.NewFile(uintptr(dup), "tcp:"+strconv.Itoa(fd))
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	if err := SetNoDelay(raw, nodelay); err != nil {
		c.Close()
		return nil, err
	}
	if err := SetKeepAlive(raw, ka); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// sockaddr converts ap for the address family of fd (SO_DOMAIN).
func sockaddr(fd int, ap netip.AddrPort) (unix.Sockaddr, error) {
	family, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return nil, os.NewSyscallError("getsockopt SO_DOMAIN", err)
	}
	addr, port := ap.Addr(), int(ap.Port())
	switch {
	case family == unix.AF_INET && addr.Unmap().Is4():
		return &unix.SockaddrInet4{Port: port, Addr: addr.Unmap().As4()}, nil
	case family == unix.AF_INET6 && addr.IsValid():
		sa := &unix.SockaddrInet6{Port: port, Addr: addr.As16()}
		if z := addr.Zone(); z != "" {
			idx, err := zoneIndex(z)
			if err != nil {
				return nil, err
			}
			sa.ZoneId = idx
		}
		return sa, nil
	}
	return nil, fmt.Errorf("sockopt: address %v does not fit a socket of family %d", ap, family)
}

// zoneIndex resolves an IPv6 zone, a name or a number, to an interface index.
func zoneIndex(zone string) (uint32, error) {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("sockopt: zone %q: %w", zone, err)
	}
	return uint32(ifi.Index), nil
}

// addrPort converts a socket address from the kernel. IPv4-mapped IPv6
// addresses are returned as the kernel gave them; netip.Addr.Unmap strips
// them.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(sa.ZoneId), 10))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}
