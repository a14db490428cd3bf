package tfo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/sockopt"
)

// served is what the server saw of one connection.
type served struct {
	request []byte
	info    Info
	err     error
}

// serve accepts connections on ln; for each it reads a request of size
// bytes, records the server-side Status, answers "OK:" + request and
// closes.
func serve(ln net.Listener, size int) <-chan served {
	ch := make(chan served, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(ch)
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			req := make([]byte, size)
			_, err = io.ReadFull(c, req)
			var info Info
			if err == nil {
				info, err = Status(c.(*net.TCPConn))
			}
			if err == nil {
				_, err = c.Write(append([]byte("OK:"), req...))
			}
			c.Close()
			ch <- served{req, info, err}
		}
	}()
	return ch
}

// exchange reads the whole response on c and returns the client's Info.
func exchange(t *testing.T, c net.Conn, req []byte) Info {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if want := append([]byte("OK:"), req...); !bytes.Equal(resp, want) {
		t.Fatalf("response %q, want %q", resp, want)
	}
	info, err := Status(c.(syscall.Conn))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestFastOpenCookieFlow(t *testing.T) {
	labtest.EnterFreshNetns(t)
	if err := WriteMode(Client | Server); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadMode(); err != nil || m != Client|Server {
		t.Fatalf("ReadMode = %v, %v; want Client|Server", m, err)
	}
	if err := HaveClient(); err != nil {
		t.Fatalf("HaveClient: %v", err)
	}
	if err := HaveServer(); err != nil {
		t.Fatalf("HaveServer: %v", err)
	}
	const qlen = 16
	ln, err := Listen(context.Background(), "tcp4", "127.0.0.1:0", qlen)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	checkListener(t, ln, qlen)
	const size = 32
	srv := serve(ln, size)
	addr := ln.Addr().String()

	dials := []struct {
		name     string
		flush    bool
		sendto   bool
		wantData bool
		wantFail sockopt.FastOpenFail
	}{
		{"first: cookie request", true, false, false, sockopt.FastOpenFailCookieUnavailable},
		{"second: data in SYN", false, false, true, sockopt.FastOpenFailUnspec},
		{"third: data in SYN", false, false, true, sockopt.FastOpenFailUnspec},
		{"after flush: cookie request", true, false, false, sockopt.FastOpenFailCookieUnavailable},
		{"sendto MSG_FASTOPEN: data in SYN", false, true, true, sockopt.FastOpenFailUnspec},
	}
	for i, d := range dials {
		if d.flush {
			if err := FlushCookies(); err != nil {
				t.Fatalf("FlushCookies: %v", err)
			}
		}
		req := []byte(fmt.Sprintf("GET /%02d HTTP/1.1\r\nHost: lab\r\n\r\n", i))[:size]
		var info Info
		if d.sendto {
			info = sendtoExchange(t, netip.MustParseAddrPort(addr), req)
		} else {
			c, err := DialWithData(context.Background(), "tcp4", addr, req)
			if err != nil {
				t.Fatalf("%s: DialWithData: %v", d.name, err)
			}
			info = exchange(t, c, req)
			c.Close()
		}
		s := <-srv
		if s.err != nil || !bytes.Equal(s.request, req) {
			t.Fatalf("%s: server read %q, %v; want %q", d.name, s.request, s.err, req)
		}
		t.Logf("%s: client %+v, server %+v", d.name, info, s.info)
		if info.SynData != d.wantData || info.ClientFail != d.wantFail {
			t.Errorf("%s: client Status = %+v, want SynData %v, ClientFail %v", d.name, info, d.wantData, d.wantFail)
		}
		if s.info.SynData != d.wantData {
			t.Errorf("%s: server Status SynData = %v, want %v", d.name, s.info.SynData, d.wantData)
		}
	}
}

// checkListener reads back what Listen set: plain TCP (not MPTCP) and the
// Fast Open queue length (getsockopt TCP_FASTOPEN returns max_qlen).
func checkListener(t *testing.T, ln net.Listener, qlen int) {
	t.Helper()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		if p, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL); err != nil || p != unix.IPPROTO_TCP {
			t.Errorf("listener SO_PROTOCOL = %d, %v; want IPPROTO_TCP (MPTCP off)", p, err)
		}
		if q, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_FASTOPEN); err != nil || q != qlen {
			t.Errorf("listener TCP_FASTOPEN = %d, %v; want %d", q, err, qlen)
		}
	})
}

// sendtoExchange sends req with SendtoFastOpen on a blocking raw socket and
// reads the response.
func sendtoExchange(t *testing.T, addr netip.AddrPort, req []byte) Info {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval((5 * time.Second).Nanoseconds())
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	n, err := SendtoFastOpen(fd, req, addr)
	if err != nil || n != len(req) {
		t.Fatalf("SendtoFastOpen = %d, %v; want %d", n, err, len(req))
	}
	var resp []byte
	buf := make([]byte, 256)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if n == 0 {
			break
		}
		resp = append(resp, buf[:n]...)
	}
	if want := append([]byte("OK:"), req...); !bytes.Equal(resp, want) {
		t.Fatalf("response %q, want %q", resp, want)
	}
	info, err := Status(sockopt.FD(fd))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestProbes(t *testing.T) {
	labtest.EnterFreshNetns(t)
	tests := []struct {
		mode           Mode
		client, server bool
	}{
		{0, false, false},
		{Client, true, false},
		{Server, false, true},
		{Client | Server, true, true},
	}
	for _, tt := range tests {
		if err := WriteMode(tt.mode); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			name string
			f    func() error
			want bool
		}{{"HaveClient", HaveClient, tt.client}, {"HaveServer", HaveServer, tt.server}} {
			err := p.f()
			if p.want && err != nil {
				t.Errorf("mode %v: %s = %v, want nil", tt.mode, p.name, err)
			}
			if !p.want && !(errors.Is(err, ErrNotSupported) && errors.Is(err, errors.ErrUnsupported)) {
				t.Errorf("mode %v: %s = %v, want ErrNotSupported", tt.mode, p.name, err)
			}
		}
	}
	// With the Client bit off the kernel refuses TCP_FASTOPEN_CONNECT.
	if err := WriteMode(Server); err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(context.Background(), "tcp4", "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if c, err := DialWithData(context.Background(), "tcp4", ln.Addr().String(), []byte("x")); !errors.Is(err, syscall.EOPNOTSUPP) {
		if c != nil {
			c.Close()
		}
		t.Errorf("DialWithData with tcp_fastopen=Server: %v, want EOPNOTSUPP", err)
	}
}

func TestDialerNoCookie(t *testing.T) {
	labtest.EnterFreshNetns(t)
	if err := WriteMode(Client | Server | ServerNoCookie); err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(context.Background(), "tcp4", "127.0.0.1:0", 4)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	req := []byte("no cookie needed")
	srv := serve(ln, len(req))
	if err := FlushCookies(); err != nil {
		t.Fatal(err)
	}
	ran := false
	d := Dialer{NoCookie: true, Base: net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, _ syscall.RawConn) error {
		ran = true
		return nil
	}}}
	c, err := d.DialWithData(context.Background(), "tcp4", ln.Addr().String(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info := exchange(t, c, req)
	if s := <-srv; s.err != nil || !s.info.SynData {
		t.Errorf("server: %+v, want SYN data accepted", s)
	}
	if !info.SynData {
		t.Errorf("client Status = %+v: the first connection without a cookie did not carry SYN data", info)
	}
	if !ran {
		t.Error("Base.Control did not run")
	}
}

func TestDialWithDataRefused(t *testing.T) {
	labtest.EnterFreshNetns(t)
	if err := WriteMode(Client); err != nil {
		t.Fatal(err)
	}
	// Port 9 on lo of a fresh netns has no listener: with no cookie cached
	// connect(2) sends the SYN (with a cookie request) and gets an RST.
	c, err := DialWithData(context.Background(), "tcp4", "127.0.0.1:9", []byte("hello"))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("DialWithData to a closed port: %v, want ECONNREFUSED", err)
	}
	if _, err := Listen(context.Background(), "tcp4", "127.0.0.1:0", 0); err == nil {
		t.Error("Listen with qlen 0: no error")
	}
}
