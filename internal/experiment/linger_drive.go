package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/linger"
	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/timewait"
)

// The variants, in the order they run.
const (
	lingerDefault  = "default"        // Default {0}
	lingerAbortive = "abortive"       // Abortive {1, 0}, peer stalled
	lingerTimeout  = "timeout"        // Timeout(d), peer stalled (zero window)
	lingerReader   = "timeout_reader" // Timeout(d), peer reads and closes at EOF
)

// Buffer sizes of the stalled variants: a small receive buffer on the
// server so its window closes after a few kilobytes, and a bounded send
// buffer on the client so that "everything written" is a known, finite
// amount, most of it never sent. The kernel doubles both (socket(7)).
const (
	lingerServerRcvBuf = 4096
	lingerClientSndBuf = 16384
)

// lingerRun is one connection closed with one SO_LINGER mode, as the
// client's clock, the peer's reads and the kernel saw it.
type lingerRun struct {
	variant       string
	port          uint16
	set, got      linger.Mode // the mode set, and read back with getsockopt
	stalled       bool        // the peer did not read until after the close
	local, remote netip.AddrPort

	written   int // bytes the client's write(2)s accepted
	notsent   int // tcpi_notsent_bytes just before close: written, never sent
	unacked   int // tcpi_unacked segments just before close
	peerState sockopt.TCPState

	closeStart, closeEnd time.Time
	closeErr             error

	peerResumed time.Time // when the stalled peer started reading
	received    int       // bytes the peer read
	peerErr     error     // what ended the peer's reading: io.EOF for a FIN

	twClient, twServer twCount // TIME_WAIT census of the 4-tuple, both sides
	anyClient          int     // client sockets of the 4-tuple in any state
}

func (r *lingerRun) closeBlock() time.Duration { return r.closeEnd.Sub(r.closeStart) }

// drive runs the four variants, each on its own server port, one after
// the other.
func (l *Linger) drive(ctx context.Context, b *Bench, p Plan) ([]*lingerRun, error) {
	variants := []struct {
		name    string
		mode    linger.Mode
		stalled bool
	}{
		{lingerDefault, linger.Default(), false},
		{lingerAbortive, linger.Abortive(), true},
		{lingerTimeout, l.effectiveLinger(p), true},
		{lingerReader, l.effectiveLinger(p), false},
	}
	var runs []*lingerRun
	for i, v := range variants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		run := &lingerRun{variant: v.name, set: v.mode, stalled: v.stalled, port: uint16(7001 + i)}
		if err := l.closeOne(ctx, b, p, run); err != nil {
			return nil, fmt.Errorf("%s close: %w", v.name, err)
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// closeOne opens a connection, writes, sets the mode, closes, lets the peer
// read what it can, and reads the census of the 4-tuple on both sides.
func (l *Linger) closeOne(ctx context.Context, b *Bench, p Plan, run *lingerRun) error {
	run.remote = netip.AddrPortFrom(b.ServerAddr, run.port)
	lctl, dctl := pinned(p), pinned(p)
	if run.stalled {
		lctl = pinned(p, sockopt.RecvBuffer(lingerServerRcvBuf))
		dctl = pinned(p, sockopt.SendBuffer(lingerClientSndBuf))
	}
	var ln net.Listener
	err := b.Server.Do(func() error {
		var err error
		ln, err = sockopt.ListenConfig(lctl).Listen(ctx, "tcp4", run.remote.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("server listen: %w", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()

	var c net.Conn
	err = b.Client.Do(func() error {
		var err error
		c, err = sockopt.Dialer(dctl).DialContext(ctx, "tcp4", run.remote.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close() // a no-op after the close under test
	run.local = c.LocalAddr().(*net.TCPAddr).AddrPort()
	var sc net.Conn
	select {
	case sc = <-accepted:
	case <-time.After(5*time.Second + 4*p.RTT):
	}
	if sc == nil {
		return errors.New("the server accepted no connection")
	}
	defer sc.Close()
	rtt := max(p.RTT, time.Millisecond)
	readTimeout := 10*time.Second + 40*rtt

	// The peer of the non-stalled variants reads to EOF, then closes.
	peerDone := make(chan struct{})
	if !run.stalled {
		go func() {
			defer close(peerDone)
			run.received, run.peerErr = lingerReadAll(sc, readTimeout)
			sc.Close()
		}()
	}

	if run.stalled {
		quiet := max(300*time.Millisecond, 2*p.RTT+100*time.Millisecond)
		run.written, err = lingerFill(c, quiet)
		if err == nil {
			// A window smaller than a segment is filled by the next
			// window probe, an RTO later: wait for the zero window.
			lingerAwaitZeroWindow(c.(*net.TCPConn), 5*time.Second+20*p.RTT)
		}
	} else {
		run.written, err = c.Write(make([]byte, l.Payload))
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	tc := c.(*net.TCPConn)
	if err := run.set.Apply(tc); err != nil {
		return err
	}
	if run.got, err = linger.Get(tc); err != nil {
		return err
	}
	if info, err := sockopt.GetTCPInfo(tc); err == nil {
		run.notsent, run.unacked = int(info.NotsentBytes), int(info.Unacked)
	}

	run.closeStart = time.Now()
	run.closeErr = c.Close()
	run.closeEnd = time.Now()

	if run.stalled {
		if run.set == linger.Abortive() {
			// Let the RST arrive before the peer reads, so what it reads is
			// what its kernel had already received.
			run.peerState = lingerAwaitState(sc.(*net.TCPConn), sockopt.StateClose, 2*time.Second+4*p.RTT)
		}
		run.peerResumed = time.Now()
		run.received, run.peerErr = lingerReadAll(sc, readTimeout)
		sc.Close()
	} else {
		<-peerDone
	}

	// TIME_WAIT is entered when the closer's last ACK leaves, half an RTT
	// after the peer's FIN; allow a few RTTs and a loaded machine.
	settle := time.Second + 4*p.RTT
	wantTW := func(n int) bool { return n == 1 }
	if run.set == linger.Abortive() {
		wantTW = func(n int) bool { return n == 0 }
	}
	if run.twClient, err = twAwait(ctx, b.Client, run.local, run.remote, wantTW, settle); err != nil {
		return err
	}
	if run.twServer, err = twCountIn(b.Server, run.remote, run.local); err != nil {
		return err
	}
	err = b.Client.Do(func() error {
		ss, err := timewait.Sockets()
		for _, s := range ss {
			if s.Local == run.local && s.Remote == run.remote {
				run.anyClient++
			}
		}
		return err
	})
	return err
}

// lingerFill writes to c until a write has been blocked for quiet: the
// peer's window is closed and c's send buffer is full.
func lingerFill(c net.Conn, quiet time.Duration) (int, error) {
	buf := make([]byte, 1024)
	total := 0
	defer c.SetWriteDeadline(time.Time{})
	for total < 64<<20 {
		c.SetWriteDeadline(time.Now().Add(quiet))
		n, err := c.Write(buf)
		total += n
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, fmt.Errorf("wrote %d bytes and the peer's window is still open", total)
}

// lingerAwaitZeroWindow polls tcpi_snd_wnd, the window the peer last
// advertised, until it is zero or timeout passes.
func lingerAwaitZeroWindow(c *net.TCPConn, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		info, err := sockopt.GetTCPInfo(c)
		if err != nil || !info.Has(sockopt.FieldSndWnd) || info.SndWnd == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lingerReadAll reads c until an error (io.EOF for a FIN) or timeout and
// returns the byte count and that error.
func lingerReadAll(c net.Conn, timeout time.Duration) (int, error) {
	c.SetReadDeadline(time.Now().Add(timeout))
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

// lingerAwaitState polls tcpi_state of c until it is want or timeout
// passes, and returns the last state read.
func lingerAwaitState(c *net.TCPConn, want sockopt.TCPState, timeout time.Duration) sockopt.TCPState {
	deadline := time.Now().Add(timeout)
	for {
		info, err := sockopt.GetTCPInfo(c)
		if err != nil {
			return 0
		}
		if info.State == want || time.Now().After(deadline) {
			return info.State
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// lingerErrName names the error that ended a read the way a student
// expects: "EOF", "ECONNRESET", or the error text.
func lingerErrName(err error) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return err.Error()
}
