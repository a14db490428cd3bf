package experiment

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/sockopt"
)

const (
	slowStartPort = 8081
	ssaiKey       = "net.ipv4.tcp_slow_start_after_idle"
)

// ssPhaseSpec is one transfer of the run: its name, whether an idle period
// precedes it, and the tcp_slow_start_after_idle value the sender has.
type ssPhaseSpec struct {
	name string
	idle bool
	ssai string
}

// ssPhases is the order of the transfers on the one connection. The idle
// with tcp_slow_start_after_idle=1 comes first, so the connection is still
// warm from the warm transfer when it starts; the one with 0 follows, on the
// window the restarted transfer built up again.
var ssPhases = []ssPhaseSpec{
	{name: "cold", ssai: "1"},
	{name: "warm", ssai: "1"},
	{name: "idle", idle: true, ssai: "1"},
	{name: "idle_noss", idle: true, ssai: "0"},
}

// ssPhase is what the two ends recorded about one transfer.
type ssPhase struct {
	ssPhaseSpec
	size int
	// idleSleep is the client's pause before the request.
	idleSleep time.Duration

	// The client's clock.
	reqSent, firstByte, lastByte time.Time

	// The server's side (the sender). before is TCP_INFO when the request
	// was read; atWrite right after the response's first byte was queued
	// with TCP_CORK set, which is when Linux applies the idle restart
	// (tcp_slow_start_after_idle_check runs as a new skb is queued) and
	// before anything is sent; end when the next request was read, after
	// every ACK of this transfer had arrived.
	reqRead, writeAt     time.Time
	before, atWrite, end *sockopt.TCPInfo
}

// elapsed is the transfer's time on the client's clock: request sent →
// last byte read.
func (ph *ssPhase) elapsed() time.Duration { return ph.lastByte.Sub(ph.reqSent) }

// ssSample is one TCP_INFO reading on the sender.
type ssSample struct {
	at   time.Time
	info *sockopt.TCPInfo
}

// ssRun is everything the drive recorded.
type ssRun struct {
	size      int
	local     netip.AddrPort // the client's end of the connection
	connect   time.Duration
	senderCC  string
	phases    []*ssPhase
	samples   []ssSample
	connectAt time.Time
	rxPkts    []capture.Packet // the capture at the receiver
}

// ssServerEvent is what the server reports per request it answered.
type ssServerEvent struct {
	reqRead, writeAt time.Time
	before, atWrite  *sockopt.TCPInfo
	err              error
}

// drive runs the server in the server namespace and the four transfers
// from the client namespace, on one connection.
func (s *SlowStart) drive(ctx context.Context, b *Bench, p Plan, size int) (*ssRun, error) {
	ctl := pinned(p)
	addr := netip.AddrPortFrom(b.ServerAddr, slowStartPort)
	var ln net.Listener
	err := b.Server.Do(func() error {
		var err error
		ln, err = sockopt.ListenConfig(ctl).Listen(ctx, "tcp4", addr.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server listen: %w", err)
	}
	defer ln.Close()

	accepted := make(chan net.Conn, 1)
	events := make(chan ssServerEvent, len(ssPhases)+1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			events <- ssServerEvent{err: fmt.Errorf("accept: %w", err)}
			close(accepted)
			return
		}
		accepted <- c
		ssServe(c, events)
	}()

	run := &ssRun{size: size}
	var conn net.Conn
	err = b.Client.Do(func() error {
		run.connectAt = time.Now()
		var err error
		conn, err = sockopt.Dialer(ctl).DialContext(ctx, "tcp4", addr.String())
		run.connect = time.Since(run.connectAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	run.local = netip.MustParseAddrPort(conn.LocalAddr().String())

	var srv net.Conn
	select {
	case srv = <-accepted:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if srv == nil {
		ev := <-events
		return nil, ev.err
	}
	defer srv.Close()
	if cc, err := sockopt.GetCongestion(srv.(*net.TCPConn)); err == nil {
		run.senderCC = cc
	}

	// Sample the sender's TCP_INFO for the whole connection.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		run.samples = ssSampleLoop(srv.(*net.TCPConn), s.SampleEvery, stop)
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}()

	deadline := time.Now().Add(2*time.Minute + 200*p.RTT)
	conn.SetDeadline(deadline)
	srv.SetDeadline(deadline)
	rd := bufio.NewReaderSize(conn, 256<<10)
	for _, spec := range ssPhases {
		ph := &ssPhase{ssPhaseSpec: spec, size: size}
		if spec.idle {
			if err := ssIdle(ctx, b, p, srv.(*net.TCPConn), spec.ssai, ph); err != nil {
				return nil, err
			}
		}
		if err := ssTransfer(conn, rd, ph); err != nil {
			return nil, fmt.Errorf("%s transfer: %w", spec.name, err)
		}
		run.phases = append(run.phases, ph)
	}
	// Say goodbye: the server reads TCP_INFO once more, after every ACK of
	// the last transfer.
	if _, err := io.WriteString(conn, "DONE\n"); err != nil {
		return nil, fmt.Errorf("send DONE: %w", err)
	}
	evs := make([]ssServerEvent, 0, len(ssPhases)+1)
	for range len(ssPhases) + 1 {
		select {
		case ev := <-events:
			if ev.err != nil {
				return nil, fmt.Errorf("server: %w", ev.err)
			}
			evs = append(evs, ev)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10*time.Second + 10*p.RTT):
			return nil, fmt.Errorf("server: no answer to request %d", len(evs)+1)
		}
	}
	close(stop)
	wg.Wait()
	for i, ph := range run.phases {
		ev := evs[i]
		ph.reqRead, ph.writeAt, ph.before, ph.atWrite = ev.reqRead, ev.writeAt, ev.before, ev.atWrite
		ph.end = evs[i+1].before
	}
	// Let the FIN exchange finish inside the capture.
	conn.Close()
	time.Sleep(p.RTT + 10*time.Millisecond)
	return run, nil
}

// ssIdle waits long enough for the sender's idle restart to take cwnd back
// to the initial window (ssIdleFor, from the sender's cwnd and RTO once the
// last transfer's ACKs are in), and sets tcp_slow_start_after_idle in the
// sender's namespace to ssai meanwhile.
func ssIdle(ctx context.Context, b *Bench, p Plan, srv *net.TCPConn, ssai string, ph *ssPhase) error {
	start := time.Now()
	settle := p.RTT/2 + 10*time.Millisecond
	if err := ssSleep(ctx, settle); err != nil {
		return err
	}
	info, err := sockopt.GetTCPInfo(srv)
	if err != nil {
		return fmt.Errorf("idle: sender TCP_INFO: %w", err)
	}
	if err := b.Server.SetSysctl(ssaiKey, ssai); err != nil {
		return err
	}
	want := ssIdleFor(info.SndCwnd, info.RTO)
	if err := ssSleep(ctx, want-time.Since(start)); err != nil {
		return err
	}
	ph.idleSleep = time.Since(start)
	return nil
}

// ssTransfer asks for ph.size bytes and reads them all.
func ssTransfer(conn net.Conn, rd *bufio.Reader, ph *ssPhase) error {
	ph.reqSent = time.Now()
	if _, err := fmt.Fprintf(conn, "SEND %d\n", ph.size); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	buf := make([]byte, 256<<10)
	got := 0
	for got < ph.size {
		n, err := rd.Read(buf[:min(len(buf), ph.size-got)])
		if n > 0 && got == 0 {
			ph.firstByte = time.Now()
		}
		got += n
		if err != nil && got < ph.size {
			return fmt.Errorf("read response: %d of %d bytes: %w", got, ph.size, err)
		}
	}
	ph.lastByte = time.Now()
	return nil
}

// ssServe answers the client's requests on c: "SEND n" with n bytes written
// at once (the sender stays cwnd-limited), "DONE" with nothing. It reports
// one event per request. The response's first byte is written alone with
// TCP_CORK set, so the kernel queues it without sending, and TCP_INFO is
// read then: the cwnd the transfer starts with, after any idle restart.
// Then the rest follows in one write and the cork is pulled.
func ssServe(c net.Conn, events chan<- ssServerEvent) {
	defer c.Close()
	tc := c.(*net.TCPConn)
	rd := bufio.NewReader(c)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			events <- ssServerEvent{err: fmt.Errorf("read request: %w", err)}
			return
		}
		ev := ssServerEvent{reqRead: time.Now()}
		if ev.before, err = sockopt.GetTCPInfo(tc); err != nil {
			events <- ssServerEvent{err: err}
			return
		}
		line = strings.TrimSpace(line)
		if line == "DONE" {
			events <- ev
			return
		}
		n, err := strconv.Atoi(strings.TrimPrefix(line, "SEND "))
		if err != nil || n < 1 || n > 64<<20 {
			events <- ssServerEvent{err: fmt.Errorf("bad request %q", line)}
			return
		}
		body := bytes.Repeat([]byte{'x'}, n)
		if err := sockopt.SetCork(tc, true); err != nil {
			events <- ssServerEvent{err: err}
			return
		}
		if _, err := c.Write(body[:1]); err != nil {
			events <- ssServerEvent{err: fmt.Errorf("write: %w", err)}
			return
		}
		ev.writeAt = time.Now()
		if ev.atWrite, err = sockopt.GetTCPInfo(tc); err != nil {
			events <- ssServerEvent{err: err}
			return
		}
		if _, err := c.Write(body[1:]); err != nil {
			events <- ssServerEvent{err: fmt.Errorf("write: %w", err)}
			return
		}
		if err := sockopt.SetCork(tc, false); err != nil {
			events <- ssServerEvent{err: err}
			return
		}
		events <- ev
	}
}

// ssSampleLoop reads TCP_INFO from c every period until stop is closed.
func ssSampleLoop(c *net.TCPConn, period time.Duration, stop <-chan struct{}) []ssSample {
	var out []ssSample
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if info, err := sockopt.GetTCPInfo(c); err == nil {
			out = append(out, ssSample{at: time.Now(), info: info})
		}
		select {
		case <-stop:
			return out
		case <-t.C:
		}
	}
}

// ssSleep sleeps for d or until ctx is done.
func ssSleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
