package linger_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/linger"
	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/timewait"
)

// bufSize is the SO_RCVBUF of the server and SO_SNDBUF of the client in the
// tests that fill the window, so that it fills after a few kilobytes.
const bufSize = 4096

func setBuf(opt int) sockopt.Control {
	return func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, bufSize) })
		return err
	}
}

// pair returns a connected loopback client and server (no MPTCP). ctl runs
// on the client socket, lctl on the listener (accepted sockets inherit it).
func pair(t *testing.T, ctl, lctl sockopt.Control) (client, server *net.TCPConn) {
	t.Helper()
	lc := net.ListenConfig{Control: lctl}
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Control: ctl}
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func addrs(c net.Conn) (local, remote netip.AddrPort) {
	return c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()
}

// fill writes to c until the peer's window and c's send buffer are full.
func fill(t *testing.T, c net.Conn) int {
	t.Helper()
	buf := make([]byte, 1024)
	total := 0
	c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		n, err := c.Write(buf)
		total += n
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.EAGAIN) || isTimeout(err) {
			c.SetWriteDeadline(time.Time{})
			return total
		}
		if err != nil {
			t.Fatalf("write after %d bytes: %v", total, err)
		}
		if total > 64<<20 {
			t.Fatalf("wrote %d bytes and the window is still open", total)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readAll reads c to the end and returns the byte count and the error that
// ended it (io.EOF for a FIN).
func readAll(c net.Conn) (int, error) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := c.Read(buf)
		total += n
		if err != nil {
			return total, err
		}
	}
}

// timeWait polls the census of this netns for up to 2 s until want(n) holds
// for the number of TIME_WAIT entries from local to remote.
func timeWait(t *testing.T, local, remote netip.AddrPort, want func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		ss, err := timewait.Census()
		if err != nil {
			t.Fatal(err)
		}
		n := timewait.CountTimeWait(ss, local, remote)
		if want(n) || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestApplyGetRoundTrip(t *testing.T) {
	c, _ := pair(t, nil, nil)
	tests := []struct {
		set, want linger.Mode
	}{
		{linger.Abortive(), linger.Abortive()},
		{linger.Timeout(1500 * time.Millisecond), linger.Timeout(2 * time.Second)},
		{linger.Default(), linger.Default()}, // the kernel keeps l_linger 2 here
		{linger.Timeout(0), linger.Timeout(time.Second)},
		{linger.Timeout(90 * time.Second), linger.Timeout(90 * time.Second)},
	}
	for _, tt := range tests {
		if err := tt.set.Apply(c); err != nil {
			t.Fatalf("Apply(%v): %v", tt.set, err)
		}
		got, err := linger.Get(c)
		if err != nil || got != tt.want {
			t.Errorf("Get after Apply(%v) = %v, %v; want %v", tt.set, got, err, tt.want)
		}
	}
}

func TestControl(t *testing.T) {
	c, s := pair(t, linger.Timeout(3*time.Second).Control(), linger.Abortive().Control())
	if got, err := linger.Get(c); err != nil || got != linger.Timeout(3*time.Second) {
		t.Errorf("dialed socket: Get = %v, %v; want Timeout(3s)", got, err)
	}
	if got, err := linger.Get(s); err != nil || got != linger.Abortive() {
		t.Errorf("accepted socket (inherits the listener's): Get = %v, %v; want Abortive", got, err)
	}
	if got, err := linger.Get(sockopt.FD(-1)); err == nil {
		t.Errorf("Get on fd -1 = %v, want an error", got)
	}
}

func TestDefaultCloseHoldsTimeWait(t *testing.T) {
	c, s := pair(t, linger.Default().Control(), nil)
	client, server := addrs(c)
	c.Close()
	if n, err := readAll(s); n != 0 || err != io.EOF {
		t.Fatalf("peer read = %d, %v; want 0, EOF (FIN)", n, err)
	}
	s.Close()
	if n := timeWait(t, client, server, func(n int) bool { return n == 1 }); n != 1 {
		t.Errorf("active closer %v holds %d TIME_WAIT entries, want 1", client, n)
	}
	if n := timeWait(t, server, client, func(n int) bool { return n == 0 }); n != 0 {
		t.Errorf("passive closer %v holds %d TIME_WAIT entries, want 0", server, n)
	}
}

func TestAbortiveCloseResets(t *testing.T) {
	for _, unsent := range []bool{false, true} {
		c, s := pair(t, setBuf(unix.SO_SNDBUF), setBuf(unix.SO_RCVBUF))
		client, server := addrs(c)
		written := 0
		if unsent {
			written = fill(t, c) // the peer does not read
		}
		if err := linger.Abortive().Apply(c); err != nil {
			t.Fatal(err)
		}
		c.Close()
		got, err := readAll(s)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("unsent=%v: peer read ended with %v, want ECONNRESET", unsent, err)
		}
		if unsent && got >= written {
			t.Errorf("peer received %d of %d bytes written; the send queue was not discarded", got, written)
		}
		t.Logf("unsent=%v: wrote %d, peer received %d, then %v", unsent, written, got, err)
		s.Close()
		time.Sleep(20 * time.Millisecond)
		if n := timeWait(t, client, server, func(n int) bool { return n == 0 }); n != 0 {
			t.Errorf("unsent=%v: closer holds %d TIME_WAIT entries after an abortive close", unsent, n)
		}
		if n := timeWait(t, server, client, func(n int) bool { return n == 0 }); n != 0 {
			t.Errorf("unsent=%v: peer holds %d TIME_WAIT entries after an abortive close", unsent, n)
		}
	}
}

func TestTimeoutBlocksOnZeroWindow(t *testing.T) {
	const d = time.Second
	c, s := pair(t, setBuf(unix.SO_SNDBUF), setBuf(unix.SO_RCVBUF))
	client, server := addrs(c)
	written := fill(t, c)
	if err := linger.Timeout(d).Apply(c); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	blocked := time.Since(start)
	t.Logf("wrote %d bytes into a zero window; close blocked %v with Timeout(%v)", written, blocked, d)
	// The kernel sleeps d in jiffies (4 ms at HZ=250); allow a loaded machine.
	if blocked < d-10*time.Millisecond || blocked > d+1500*time.Millisecond {
		t.Errorf("close blocked %v, want about %v", blocked, d)
	}
	// No RST on timeout: the orphan delivers everything, then FIN.
	got, err := readAll(s)
	if got != written || err != io.EOF {
		t.Errorf("peer read %d bytes then %v; want %d then EOF", got, err, written)
	}
	s.Close()
	if n := timeWait(t, client, server, func(n int) bool { return n == 1 }); n != 1 {
		t.Errorf("the orphaned closer holds %d TIME_WAIT entries, want 1", n)
	}
}

// TestTimeoutReturnsWhenFINAcked has the peer close after EOF, so that its
// FIN carries the ACK of ours at once. A peer that reads but does not close
// acknowledges the FIN only when its delayed-ACK timer fires (tcp_fin puts
// it in pingpong mode), about 40 ms later on this machine.
func TestTimeoutReturnsWhenFINAcked(t *testing.T) {
	const d = 5 * time.Second
	c, s := pair(t, nil, nil)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() { // a server that reads to EOF, then closes
		n, err := readAll(s)
		s.Close()
		done <- result{n, err}
	}()
	data := make([]byte, 1<<20)
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := linger.Timeout(d).Apply(c); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	blocked := time.Since(start)
	t.Logf("close with a reading peer and Timeout(%v) blocked %v", d, blocked)
	if blocked > time.Second {
		t.Errorf("close blocked %v with a reading peer, want well under %v", blocked, d)
	}
	if r := <-done; r.n != len(data) || r.err != io.EOF {
		t.Errorf("peer read %d bytes then %v; want %d then EOF", r.n, r.err, len(data))
	}
}
