package sockopt_test

import (
	"io"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/sockopt"
)

// A connection built from raw calls: the addresses each side reports agree,
// and SHUT_WR reaches the peer as end of file.
func TestRawSocketCalls(t *testing.T) {
	tests := []struct {
		name   string
		family int
		bind   netip.AddrPort
		want   netip.Addr // the listener's address as getsockname reports it
	}{
		{"inet", unix.AF_INET, netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddr("127.0.0.1")},
		{"inet6 v4-mapped", unix.AF_INET6, netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddr("::ffff:127.0.0.1")},
		{"inet6", unix.AF_INET6, netip.MustParseAddrPort("[::1]:0"), netip.MustParseAddr("::1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lfd := open(t, tt.family)
			if err := sockopt.Bind(lfd, tt.bind); err != nil {
				if tt.family == unix.AF_INET6 && tt.want.Is6() && !tt.want.Is4In6() {
					t.Skipf("skipping, no IPv6 loopback: %v", err)
				}
				t.Fatal(err)
			}
			if err := sockopt.Listen(lfd, 4); err != nil {
				t.Fatal(err)
			}
			laddr, err := sockopt.LocalAddr(lfd)
			if err != nil || laddr.Addr() != tt.want || laddr.Port() == 0 {
				t.Fatalf("listener LocalAddr = %v, %v; want %v:port", laddr, err, tt.want)
			}

			cfd := open(t, tt.family)
			if err := sockopt.Connect(cfd, netip.AddrPortFrom(tt.bind.Addr(), laddr.Port())); err != nil {
				t.Fatal(err)
			}
			sfd, peer, err := sockopt.Accept(lfd)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sockopt.Close(sfd) })
			caddr, err := sockopt.LocalAddr(cfd)
			if err != nil || caddr != peer {
				t.Fatalf("client LocalAddr = %v, %v; Accept's peer = %v", caddr, err, peer)
			}
			if p, err := sockopt.PeerAddr(cfd); err != nil || p != laddr {
				t.Fatalf("client PeerAddr = %v, %v; want %v", p, err, laddr)
			}
			if _, err := unix.Write(cfd, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := sockopt.Shutdown(cfd, sockopt.ShutWrite); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 8)
			n, err := unix.Read(sfd, buf)
			if err != nil || n != 1 {
				t.Fatalf("read = %d, %v; want the byte", n, err)
			}
			if n, err := unix.Read(sfd, buf); err != nil || n != 0 {
				t.Fatalf("read after SHUT_WR = %d, %v; want 0 (FIN)", n, err)
			}
		})
	}
}

func open(t *testing.T, family int) int {
	t.Helper()
	fd, err := sockopt.Socket(family, unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// A raw socket starts without Go's defaults, and FileConn keeps it so.
func TestFileConnKeepsOptions(t *testing.T) {
	lfd := open(t, unix.AF_INET)
	if err := sockopt.Bind(lfd, netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	if err := sockopt.Listen(lfd, 1); err != nil {
		t.Fatal(err)
	}
	if on, err := sockopt.GetReuseAddr(sockopt.FD(lfd)); err != nil || on {
		t.Fatalf("raw listener SO_REUSEADDR = %v, %v; want off", on, err)
	}
	laddr, err := sockopt.LocalAddr(lfd)
	if err != nil {
		t.Fatal(err)
	}
	cfd := open(t, unix.AF_INET)
	if err := sockopt.Connect(cfd, laddr); err != nil {
		t.Fatal(err)
	}
	sfd, _, err := sockopt.Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sockopt.Close(sfd) })

	c, err := sockopt.FileConn(cfd)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := c.(interface {
		SyscallConn() (rawConn, error)
	})
	if v := sockoptInt(t, tc, unix.IPPROTO_TCP, unix.TCP_NODELAY); v != 0 {
		t.Errorf("FileConn: TCP_NODELAY = %d; want 0 as the raw socket had it", v)
	}
	if v := sockoptInt(t, tc, unix.SOL_SOCKET, unix.SO_KEEPALIVE); v != 0 {
		t.Errorf("FileConn: SO_KEEPALIVE = %d; want 0 as the raw socket had it", v)
	}
	if err := sockopt.Close(cfd); err != nil { // the caller's copy; c has its own
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(fdReader(sfd), buf); err != nil || string(buf) != "hello" {
		t.Fatalf("server read %q, %v", buf, err)
	}
}

type fdReader int

func (fd fdReader) Read(p []byte) (int, error) {
	n, err := unix.Read(int(fd), p)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}
