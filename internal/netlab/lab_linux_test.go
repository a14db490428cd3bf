package netlab

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
	"golang.org/x/sys/unix"
)

// newTestLab builds a lab and removes it when the test ends.
func newTestLab(t testing.TB, cfg Config) *Lab {
	t.Helper()
	labtest.RequirePriv(t)
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// socketIn opens a socket inside ns; the caller closes it.
func socketIn(t testing.TB, ns *NS, typ int) int {
	t.Helper()
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatalf("socket in %s: %v", ns.Name(), err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func sockaddr(a netip.Addr, port int) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Addr: a.As4(), Port: port}
}

// listenIn returns a TCP listener inside ns on addr:port (an ephemeral port
// when 0) and the port.
func listenIn(t testing.TB, ns *NS, addr netip.Addr) (net.Listener, int) {
	t.Helper()
	var ln net.Listener
	err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns.Name(), err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// connectTimes measures n blocking connect(2) calls from the client to the
// server: the time from the call to its return is one round trip (SYN out,
// SYN/ACK back).
func connectTimes(t testing.TB, l *Lab, server netip.Addr, port, n int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for range n {
		fd := socketIn(t, l.Client, unix.SOCK_STREAM)
		start := time.Now()
		if err := unix.Connect(fd, sockaddr(server, port)); err != nil {
			t.Fatalf("connect: %v", err)
		}
		out = append(out, time.Since(start))
		unix.Close(fd)
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestConnectTakesOneRTT(t *testing.T) {
	for _, rtt := range []time.Duration{5 * time.Millisecond, 40 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			l := newTestLab(t, Config{Link: LinkConfig{Delay: rtt / 2}})
			_, port := listenIn(t, l.Server, l.ServerAddr)
			got := connectTimes(t, l, l.ServerAddr, port, 7)
			tol := max(rtt*3/100, time.Millisecond)
			m := median(got)
			t.Logf("RTT %v: connect times %v, median %v", rtt, got, m)
			if m < rtt-tol || m > rtt+tol {
				t.Errorf("median connect %v, want %v ± %v", m, rtt, tol)
			}
			st := l.Links[0].Stats()
			if st.Forward.Forwarded < 14 || st.Reverse.Forwarded < 7 {
				t.Errorf("link stats %+v: want at least 2 packets forward and 1 back per connect", st)
			}
		})
	}
}
