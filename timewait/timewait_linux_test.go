package timewait

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/labtest"
)

// waitCensus polls census until ok accepts its result or 3 s pass.
func waitCensus(t *testing.T, census func() ([]Socket, error), ok func([]Socket) bool) []Socket {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		ss, err := census()
		if err != nil {
			t.Fatal(err)
		}
		if ok(ss) || time.Now().After(deadline) {
			return ss
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// closeFirst connects to ln, has the client close first and the server
// close after reading EOF, and returns the client's and server's addresses.
func closeFirst(t *testing.T, ln net.Listener) (client, server netip.AddrPort) {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client = c.LocalAddr().(*net.TCPAddr).AddrPort()
	server = c.RemoteAddr().(*net.TCPAddr).AddrPort()
	c.Close()
	s.SetReadDeadline(time.Now().Add(3 * time.Second))
	if n, err := s.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("server read after client close = %d, %v; want EOF", n, err)
	}
	s.Close()
	return client, server
}

func TestCensusActiveCloser(t *testing.T) {
	labtest.EnterFreshNetns(t)
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln := listenTCP(t, addr)
		client, server := closeFirst(t, ln)
		for name, census := range map[string]func() ([]Socket, error){"inet_diag": Census, "proc": CensusProc} {
			ss := waitCensus(t, census, func(ss []Socket) bool { return CountTimeWait(ss, client, server) == 1 })
			if n := CountTimeWait(ss, client, server); n != 1 {
				t.Fatalf("%s %s: %d TIME_WAIT entries for client %v → %v, want 1: %v", addr, name, n, client, server, ss)
			}
			if n := CountTimeWait(ss, server, netip.AddrPort{}); n != 0 {
				t.Errorf("%s %s: the passive closer holds %d TIME_WAIT entries, want 0", addr, name, n)
			}
			for _, s := range ss {
				if s.Local == client && (s.Remaining < 59*time.Second || s.Remaining > 60500*time.Millisecond) {
					t.Errorf("%s %s: TIME_WAIT remaining %v, want 59–60.5 s (TCP_TIMEWAIT_LEN)", addr, name, s.Remaining)
				} else if s.Local == client {
					t.Logf("%s %s: %v → %v TIME_WAIT, %v left", addr, name, client, server, s.Remaining)
				}
			}
		}
	}
}

func TestSocketsStates(t *testing.T) {
	labtest.EnterFreshNetns(t)
	ln := listenTCP(t, "127.0.0.1:0")
	lap := ln.Addr().(*net.TCPAddr).AddrPort()
	ss, err := Sockets(StateListen)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0].Local != lap || ss[0].State != StateListen {
		t.Fatalf("Sockets(StateListen) = %v, want only the listener on %v", ss, lap)
	}
	if ss, err := Census(); err != nil || len(ss) != 0 {
		t.Fatalf("Census in a fresh netns = %v, %v; want none", ss, err)
	}
}

func TestListenReuseAddrAfterTimeWait(t *testing.T) {
	labtest.EnterFreshNetns(t)
	fd, err := ListenReuseAddr(netip.MustParseAddrPort("127.0.0.1:0"), true)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(sa.(*unix.SockaddrInet4).Port)
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR); err != nil || v != 1 {
		t.Fatalf("SO_REUSEADDR read back = %d, %v; want 1", v, err)
	}

	// The server closes first, so the server's port holds TIME_WAIT.
	c, err := net.Dial("tcp", server.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	afd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(afd)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client read = %v, want EOF", err)
	}
	c.Close()
	unix.Close(fd)
	ss := waitCensus(t, Census, func(ss []Socket) bool { return CountTimeWait(ss, server, netip.AddrPort{}) == 1 })
	if CountTimeWait(ss, server, netip.AddrPort{}) != 1 {
		t.Fatalf("no TIME_WAIT on the server port %d: %v", port, ss)
	}

	// Restart without SO_REUSEADDR: the TIME_WAIT entry conflicts.
	fd2, err := ListenReuseAddr(server, false)
	if !errors.Is(err, syscall.EADDRINUSE) {
		if err == nil {
			unix.Close(fd2)
		}
		t.Fatalf("restart with reuse=false: %v, want EADDRINUSE", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "bind" {
		t.Errorf("error %v does not name bind", err)
	}
	// With SO_REUSEADDR (as the old listener had) the restart works.
	fd3, err := ListenReuseAddr(server, true)
	if err != nil {
		t.Fatalf("restart with reuse=true: %v", err)
	}
	unix.Close(fd3)
}

func TestSysctlsStayInNetns(t *testing.T) {
	readHost := func() (lo, hi uint16, r Reuse) {
		done := make(chan struct{})
		go func() { // an unlocked goroutine: not on the test's netns thread
			defer close(done)
			var err error
			if lo, hi, err = ReadPortRange(); err != nil {
				t.Error(err)
			}
			if r, err = ReadReuse(); err != nil {
				t.Error(err)
			}
		}()
		<-done
		return lo, hi, r
	}
	hostLo, hostHi, hostReuse := readHost()
	labtest.EnterFreshNetns(t)

	if err := WritePortRange(40000, 40009); err != nil {
		t.Fatal(err)
	}
	if lo, hi, err := ReadPortRange(); err != nil || lo != 40000 || hi != 40009 {
		t.Errorf("ReadPortRange = %d, %d, %v; want 40000, 40009", lo, hi, err)
	}
	if err := WritePortRange(50000, 40000); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("WritePortRange(50000, 40000) = %v, want EINVAL", err)
	}
	for _, r := range []Reuse{ReuseOn, ReuseOff, ReuseLoopbackOnly} {
		if err := WriteReuse(r); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadReuse(); err != nil || got != r {
			t.Errorf("ReadReuse after WriteReuse(%d) = %v, %v", r, got, err)
		}
	}
	if err := WriteReuseDelay(250 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d, err := ReadReuseDelay(); err != nil || d != 250*time.Millisecond {
		t.Errorf("ReadReuseDelay = %v, %v; want 250ms", d, err)
	}
	if RecycleAvailable() {
		t.Error("tcp_tw_recycle exists; it was removed in Linux 4.12")
	}

	if lo, hi, r := readHost(); lo != hostLo || hi != hostHi || r != hostReuse {
		t.Errorf("host changed: port range %d-%d → %d-%d, tw_reuse %d → %d", hostLo, hostHi, lo, hi, hostReuse, r)
	}
}

func TestPortRangeExhaustion(t *testing.T) {
	labtest.EnterFreshNetns(t)
	const lo, hi = 40000, 40003
	if err := WritePortRange(lo, hi); err != nil {
		t.Fatal(err)
	}
	if err := WriteReuse(ReuseOff); err != nil {
		t.Fatal(err)
	}
	// The server's port lies outside the range; it reads to EOF, then closes.
	ln := listenTCP(t, "127.0.0.1:8080")
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, s); s.Close() }()
		}
	}()
	dial := func() error {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		return c.Close()
	}
	n := 0
	var err error
	for ; n < 20; n++ {
		if err = dial(); err != nil {
			break
		}
	}
	if n != hi-lo+1 || !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Fatalf("with %d ports and tcp_tw_reuse=0: %d connects, then %v; want %d, then EADDRNOTAVAIL", hi-lo+1, n, err, hi-lo+1)
	}
	// tcp_tw_reuse=1 with a 1 ms delay frees the TIME_WAIT 4-tuples for
	// connect (timestamps are on by default).
	if err := WriteReuse(ReuseOn); err != nil {
		t.Fatal(err)
	}
	if err := WriteReuseDelay(time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := dial(); err != nil {
		t.Fatalf("connect with tcp_tw_reuse=1: %v", err)
	}
}
