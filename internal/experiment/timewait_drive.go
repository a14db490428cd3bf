package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/linger"
	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/timewait"
)

// timewaitLen is TCP_TIMEWAIT_LEN (include/net/tcp.h): 60 s, fixed.
const timewaitLen = 60 * time.Second

// The client's ephemeral range starts here; Ports ports long.
const twPortLow = 40000

// Server ports: one per phase, so that no phase meets another's TIME_WAIT.
const (
	twPortHoldClient = 9001 // the client closes first
	twPortHoldServer = 9002 // the server closes first
	twPortExhaust    = 9010 // tcp_tw_reuse=2 (the default) on the link
	twPortSecond     = 9011 // a second destination
	twPortReuse0     = 9020 // tcp_tw_reuse=0
	twPortReuse1     = 9021 // tcp_tw_reuse=1, timestamps on
	twPortReuse1NoTS = 9022 // tcp_tw_reuse=1, timestamps off
	twPortAbortive   = 9023 // SO_LINGER {1,0}
	twPortPool       = 9024 // persistent connections
	twPortLoopback   = 9030 // tcp_tw_reuse=2 on 127.0.0.1 inside the client namespace
	twPortNoReuse    = 9201 // server restart without SO_REUSEADDR
	twPortReuseAddr  = 9202 // server restart with SO_REUSEADDR
)

// The phases of the port-exhaustion part, by name.
const (
	twExhaust    = "exhaust"
	twSecond     = "second_destination"
	twReuse0     = "reuse0"
	twReuse1     = "reuse1"
	twReuse1NoTS = "reuse1_no_timestamps"
	twLoopback   = "reuse2_loopback"
	twAbortive   = "abortive"
)

// twIOTimeout bounds every blocking connect and read of the raw client
// sockets (SO_SNDTIMEO, SO_RCVTIMEO), so a lost SYN cannot hang the run.
const twIOTimeout = 15 * time.Second

// twObs is everything the run measured, before the wire is read.
type twObs struct {
	n          int           // ports in the client's range
	delay      time.Duration // tcp_tw_reuse_delay as read back
	delayKnown bool          // the kernel has tcp_tw_reuse_delay (6.14+)
	rtt        time.Duration // median connect time of the first phase

	holdClient, holdServer twHold
	expiry                 *twExpiry

	phases []*twPhase
	pool   twPool

	restart []twRestart

	recycle bool // net.ipv4.tcp_tw_recycle exists
}

func (o *twObs) phase(name string) *twPhase {
	for _, ph := range o.phases {
		if ph.name == name {
			return ph
		}
	}
	return nil
}

// twHold is one connection closed by one side first, with the census of
// the 4-tuple on both sides afterwards.
type twHold struct {
	local, remote      netip.AddrPort
	clientTW, serverTW twCount
}

// twConn is one successful connect and close.
type twConn struct {
	start, end time.Time
	local      netip.AddrPort
}

// twPhase is one connect-and-close loop toward one destination.
type twPhase struct {
	name      string
	dst       netip.AddrPort
	settings  string // the client namespace's sysctls during the phase, read back
	abortive  bool   // close with SO_LINGER {1,0}
	want      int    // successes the phase aims at
	hold      time.Duration
	start     time.Time
	end       time.Time
	ok        []twConn
	fails     int       // connect(2) → EADDRNOTAVAIL
	failAfter int       // successes before the first EADDRNOTAVAIL; -1 if none
	firstFail time.Time // when it happened
	drought   time.Duration
	tw        twCount // client census toward dst after the phase
	twServer  twCount // server census from dst
}

// ports returns the distinct local ports of the phase's connections.
func (ph *twPhase) ports() map[uint16]int {
	m := map[uint16]int{}
	for _, c := range ph.ok {
		m[c.local.Port()]++
	}
	return m
}

// twLoop says when a phase stops.
type twLoop struct {
	want       int           // stop after this many successes
	stopAtFail bool          // stop at the first EADDRNOTAVAIL
	hold       time.Duration // stop after this long without a success once connects fail
	budget     time.Duration // stop after this long in any case
}

// twPool is the pool remedy: the same number of requests over a few
// persistent connections.
type twPool struct {
	dst       netip.AddrPort
	conns     int
	requests  int // answered correctly
	attempted int
	dialFails int
	locals    []netip.AddrPort
	twDuring  twCount // client census toward dst while the pool is open
	twAfter   twCount // after the pool closed its connections
	elapsed   time.Duration
}

// twRestart is a server restarted while its old connection sits in
// TIME_WAIT on its side.
type twRestart struct {
	reuse     bool
	addr      netip.AddrPort
	readBack  bool // SO_REUSEADDR of the first listener, read back
	client    netip.AddrPort
	twBefore  twCount // server census on addr when the restart was tried
	err       error   // of the restart's socket/bind/listen
	errno     syscall.Errno
	readBack2 bool
	served    bool // a connection to the restarted server completed
}

// twExpiry is the watch of the first TIME_WAIT entry until it is gone.
type twExpiry struct {
	local, remote  netip.AddrPort
	firstSeen      time.Time
	firstRemaining time.Duration
	lastSeen       time.Time
	goneAt         time.Time
	err            error
}

// drive runs every phase and returns what it measured.
func (t *Timewait) drive(ctx context.Context, b *Bench, p Plan) (*twObs, error) {
	o := &twObs{n: t.Ports, delay: t.ReuseDelay, delayKnown: true}
	if err := b.Client.SetSysctl("net.ipv4.ip_local_port_range",
		fmt.Sprintf("%d %d", twPortLow, twPortLow+t.Ports-1)); err != nil {
		return nil, err
	}
	// On 127.0.0.1 the server's delayed pure ACK and its FIN can pass each
	// other (loopback queues packets per CPU); the client's TIME_WAIT then
	// answers the stale ACK, the closed server answers with an RST whose
	// sequence number is exactly right, and that RST ends the TIME_WAIT
	// early ("TIME-WAIT assassination", RFC 1337), freeing a port. Measured
	// in 1–2 % of loopback runs; tcp_rfc1337=1 makes TIME_WAIT ignore
	// RSTs, so the phases count what tcp_tw_reuse does and nothing else.
	if err := b.Client.SetSysctl("net.ipv4.tcp_rfc1337", "1"); err != nil {
		return nil, err
	}
	err := b.Client.SetSysctl("net.ipv4.tcp_tw_reuse_delay", strconv.FormatInt(t.ReuseDelay.Milliseconds(), 10))
	if errors.Is(err, fs.ErrNotExist) {
		// Before Linux 6.14 the delay is a fixed "one second later" (1–2 s).
		o.delay, o.delayKnown = time.Second, false
	} else if err != nil {
		return nil, err
	}
	if err := b.Client.Do(func() error { o.recycle = timewait.RecycleAvailable(); return nil }); err != nil {
		return nil, err
	}

	ctl := pinned(p)
	stop, err := t.servers(ctx, b, ctl)
	if err != nil {
		return nil, err
	}
	defer stop()
	settle := time.Second + 4*p.RTT

	// Who holds TIME_WAIT.
	if o.holdClient, err = t.hold(ctx, b, ctl, twPortHoldClient, false, settle); err != nil {
		return nil, err
	}
	var expiryDone <-chan *twExpiry
	if t.WaitExpiry {
		expiryDone = t.watchExpiry(ctx, b.Client, o.holdClient.local, o.holdClient.remote)
	}
	if o.holdServer, err = t.hold(ctx, b, ctl, twPortHoldServer, true, settle); err != nil {
		return nil, err
	}

	// Port exhaustion and the kernel's remedies, one destination each.
	n := t.Ports
	// A port whose TIME_WAIT began 2 RTT after its connect could be taken
	// over D later: a hold longer than D + 2 RTT shows nothing was.
	hold := o.delay + 2*p.RTT + 250*time.Millisecond
	budget := time.Duration(4*n)*(p.RTT+5*time.Millisecond) + 2*o.delay + 10*time.Second
	untilHold := twLoop{want: 2 * n, hold: hold, budget: budget}
	phases := []struct {
		name           string
		port           uint16
		loopback       bool
		reuse, ts      string
		abortive       bool
		loop           twLoop
		wantTimeWaitOf func(ph *twPhase) int
	}{
		{twExhaust, twPortExhaust, false, "2", "1", false, untilHold, twAllPorts},
		{twSecond, twPortSecond, false, "2", "1", false, twLoop{want: 2 * n, stopAtFail: true, budget: budget}, twAllPorts},
		{twReuse0, twPortReuse0, false, "0", "1", false, untilHold, twAllPorts},
		{twReuse1, twPortReuse1, false, "1", "1", false, untilHold, twAllPorts},
		{twReuse1NoTS, twPortReuse1NoTS, false, "1", "0", false, untilHold, twAllPorts},
		{twLoopback, twPortLoopback, true, "2", "1", false, untilHold, twAllPorts},
		{twAbortive, twPortAbortive, false, "2", "1", true, untilHold, func(*twPhase) int { return 0 }},
	}
	for _, spec := range phases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ph := &twPhase{name: spec.name, abortive: spec.abortive, want: spec.loop.want, hold: spec.loop.hold}
		ph.dst = netip.AddrPortFrom(b.ServerAddr, spec.port)
		if spec.loopback {
			ph.dst = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), spec.port)
		}
		if ph.settings, err = t.setReuse(b, spec.reuse, spec.ts); err != nil {
			return nil, err
		}
		if err := t.hammer(ctx, b, ctl, ph, spec.loop); err != nil {
			return nil, err
		}
		want := spec.wantTimeWaitOf(ph)
		if ph.tw, err = twAwait(ctx, b.Client, netip.AddrPort{}, ph.dst, func(n int) bool { return n == want }, settle); err != nil {
			return nil, err
		}
		if !spec.loopback {
			if ph.twServer, err = twCountIn(b.Server, ph.dst, netip.AddrPort{}); err != nil {
				return nil, err
			}
		}
		o.phases = append(o.phases, ph)
		if spec.name == twExhaust {
			o.rtt = twMedianConnect(ph)
		}
	}
	if _, err := t.setReuse(b, "2", "1"); err != nil {
		return nil, err
	}

	// The application's remedy: a few persistent connections.
	if o.pool, err = t.runPool(ctx, b, ctl, settle); err != nil {
		return nil, err
	}

	// SO_REUSEADDR: restart a server whose side holds TIME_WAIT.
	for _, rs := range []struct {
		port  uint16
		reuse bool
	}{{twPortNoReuse, false}, {twPortReuseAddr, true}} {
		x, err := t.restartServer(ctx, b, p, ctl, rs.port, rs.reuse, settle)
		if err != nil {
			return nil, err
		}
		o.restart = append(o.restart, x)
	}

	if expiryDone != nil {
		select {
		case o.expiry = <-expiryDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return o, nil
}

// twAllPorts is the TIME_WAIT count a phase that closes gracefully leaves
// toward its destination: one entry per local port it used.
func twAllPorts(ph *twPhase) int { return len(ph.ports()) }

// twMedianConnect is the median time connect(2) took in ph.
func twMedianConnect(ph *twPhase) time.Duration {
	var xs []float64
	for _, c := range ph.ok {
		xs = append(xs, float64(c.end.Sub(c.start)))
	}
	if len(xs) == 0 {
		return 0
	}
	return time.Duration(median(xs))
}

// setReuse sets tcp_tw_reuse and tcp_timestamps in the client namespace
// and returns them as read back.
func (t *Timewait) setReuse(b *Bench, reuse, ts string) (string, error) {
	if err := b.Client.SetSysctl("net.ipv4.tcp_tw_reuse", reuse); err != nil {
		return "", err
	}
	if err := b.Client.SetSysctl("net.ipv4.tcp_timestamps", ts); err != nil {
		return "", err
	}
	r, err := b.Client.Sysctl("net.ipv4.tcp_tw_reuse")
	if err != nil {
		return "", err
	}
	s, err := b.Client.Sysctl("net.ipv4.tcp_timestamps")
	if err != nil {
		return "", err
	}
	return "tcp_tw_reuse=" + r + " tcp_timestamps=" + s, nil
}

// servers starts the listeners of every phase: Go listeners (pinned) in
// the server namespace, and one on 127.0.0.1 in the client namespace. The
// returned function closes them.
func (t *Timewait) servers(ctx context.Context, b *Bench, ctl sockopt.Control) (func(), error) {
	var lns []net.Listener
	stop := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	listen := func(ns *netlab.NS, ap netip.AddrPort, closeAtOnce bool) error {
		var ln net.Listener
		err := ns.Do(func() error {
			var err error
			ln, err = sockopt.ListenConfig(ctl).Listen(ctx, "tcp4", ap.String())
			return err
		})
		if err != nil {
			return fmt.Errorf("listen on %v: %w", ap, err)
		}
		lns = append(lns, ln)
		go twServe(ln, closeAtOnce)
		return nil
	}
	for _, port := range []uint16{twPortHoldClient, twPortExhaust, twPortSecond, twPortReuse0, twPortReuse1,
		twPortReuse1NoTS, twPortAbortive, twPortPool} {
		if err := listen(b.Server, netip.AddrPortFrom(b.ServerAddr, port), false); err != nil {
			stop()
			return nil, err
		}
	}
	if err := listen(b.Server, netip.AddrPortFrom(b.ServerAddr, twPortHoldServer), true); err != nil {
		stop()
		return nil, err
	}
	if err := listen(b.Client, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), twPortLoopback), false); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// twServe accepts until ln is closed. Each connection is closed at once
// (closeAtOnce: the server closes first) or echoes what it reads and is
// closed after the client's FIN (the client closes first).
func twServe(ln net.Listener, closeAtOnce bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			if closeAtOnce {
				return
			}
			c.SetDeadline(time.Now().Add(2 * time.Minute))
			buf := make([]byte, 512)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}(c)
	}
}

// twConnectClose makes one connection from ns to dst with raw system
// calls — socket(2), the controls, a blocking connect(2) — and closes it:
// at once, after reading the server's EOF (awaitEOF), and with SO_LINGER
// {1,0} if abortive. It returns the local address connect(2) chose; a
// failing connect returns its errno (EADDRNOTAVAIL when no port is free).
func twConnectClose(ns *netlab.NS, ctl sockopt.Control, dst netip.AddrPort, abortive, awaitEOF bool) (netip.AddrPort, error) {
	var local netip.AddrPort
	err := ns.Do(func() error {
		fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
		if err != nil {
			return err
		}
		defer func() {
			if fd >= 0 {
				sockopt.Close(fd)
			}
		}()
		tv := unix.NsecToTimeval(int64(twIOTimeout))
		for _, opt := range []int{unix.SO_SNDTIMEO, unix.SO_RCVTIMEO} {
			if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
				return os.NewSyscallError("setsockopt SO_SNDTIMEO/SO_RCVTIMEO", err)
			}
		}
		rc, _ := sockopt.FD(fd).SyscallConn()
		if err := ctl("tcp4", dst.String(), rc); err != nil {
			return err
		}
		if err := sockopt.Connect(fd, dst); err != nil {
			return err
		}
		if local, err = sockopt.LocalAddr(fd); err != nil {
			return err
		}
		if awaitEOF {
			buf := make([]byte, 64)
			for {
				n, err := unix.Read(fd, buf)
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					return os.NewSyscallError("read", err)
				}
				if n == 0 {
					break
				}
			}
		}
		if abortive {
			if err := linger.Abortive().Apply(sockopt.FD(fd)); err != nil {
				return err
			}
		}
		err = sockopt.Close(fd)
		fd = -1
		return err
	})
	return local, err
}

// hammer connects and closes toward ph.dst, one connection at a time, as
// fast as the round trip allows, until the loop's condition stops it. A
// connect that fails with EADDRNOTAVAIL is counted and retried 2 ms later;
// any other error ends the run.
func (t *Timewait) hammer(ctx context.Context, b *Bench, ctl sockopt.Control, ph *twPhase, lp twLoop) error {
	ph.failAfter = -1
	ph.start = time.Now()
	var streak time.Time // the first failure since the last success
	for len(ph.ok) < lp.want && time.Since(ph.start) < lp.budget {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := twConn{start: time.Now()}
		local, err := twConnectClose(b.Client, ctl, ph.dst, ph.abortive, false)
		c.end = time.Now()
		if err == nil {
			c.local = local
			ph.ok = append(ph.ok, c)
			if !streak.IsZero() {
				ph.drought = max(ph.drought, c.end.Sub(streak))
				streak = time.Time{}
			}
			continue
		}
		if !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return fmt.Errorf("%s: connect %d to %v: %w", ph.name, len(ph.ok)+1, ph.dst, err)
		}
		ph.fails++
		if ph.failAfter < 0 {
			ph.failAfter, ph.firstFail = len(ph.ok), c.start
		}
		if streak.IsZero() {
			streak = c.start
		}
		if lp.stopAtFail || time.Since(streak) >= lp.hold {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if !streak.IsZero() {
		ph.drought = max(ph.drought, time.Since(streak))
	}
	ph.end = time.Now()
	return nil
}

// hold makes one connection to port and closes it — the client first, or
// the server first (serverFirst: the server closes at once, the client
// reads EOF and closes) — then reads the census of the 4-tuple on both
// sides once the closer's TIME_WAIT has begun.
func (t *Timewait) hold(ctx context.Context, b *Bench, ctl sockopt.Control, port uint16, serverFirst bool, settle time.Duration) (twHold, error) {
	h := twHold{remote: netip.AddrPortFrom(b.ServerAddr, port)}
	var err error
	if h.local, err = twConnectClose(b.Client, ctl, h.remote, false, serverFirst); err != nil {
		return h, fmt.Errorf("connect to %v: %w", h.remote, err)
	}
	one := func(n int) bool { return n == 1 }
	if serverFirst {
		if h.serverTW, err = twAwait(ctx, b.Server, h.remote, h.local, one, settle); err != nil {
			return h, err
		}
		h.clientTW, err = twCountIn(b.Client, h.local, h.remote)
		return h, err
	}
	if h.clientTW, err = twAwait(ctx, b.Client, h.local, h.remote, one, settle); err != nil {
		return h, err
	}
	h.serverTW, err = twCountIn(b.Server, h.remote, h.local)
	return h, err
}

// watchExpiry polls the census of ns every 100 ms until the TIME_WAIT
// entry from local to remote is gone (or 75 s have passed), writing a
// progress line every 5 s to t.Progress.
func (t *Timewait) watchExpiry(ctx context.Context, ns *netlab.NS, local, remote netip.AddrPort) <-chan *twExpiry {
	done := make(chan *twExpiry, 1)
	go func() {
		x := &twExpiry{local: local, remote: remote}
		defer func() { done <- x }()
		start := time.Now()
		lastLine := time.Time{}
		for time.Since(start) < 75*time.Second {
			c, err := twCountIn(ns, local, remote)
			if err != nil {
				x.err = err
				return
			}
			if c.n == 0 {
				if !x.firstSeen.IsZero() {
					x.goneAt = c.at
					entered := x.firstSeen.Add(x.firstRemaining - timewaitLen)
					t.progress("TIME_WAIT %v → %v is gone, %.1f s after it began", local, remote, c.at.Sub(entered).Seconds())
					return
				}
			} else {
				if x.firstSeen.IsZero() {
					x.firstSeen, x.firstRemaining = c.at, c.remaining
				}
				x.lastSeen = c.at
				if c.at.Sub(lastLine) >= 5*time.Second {
					t.progress("waiting for TIME_WAIT %v → %v to expire: %4.1f s left by the census", local, remote, c.remaining.Seconds())
					lastLine = c.at
				}
			}
			select {
			case <-ctx.Done():
				x.err = ctx.Err()
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		x.err = errors.New("the TIME_WAIT entry was still there after 75 s")
	}()
	return done
}

// progress writes one line to t.Progress, if set.
func (t *Timewait) progress(format string, args ...any) {
	if t.Progress != nil {
		fmt.Fprintf(t.Progress, "timewait: "+format+"\n", args...)
	}
}

// runPool sends 2×Ports one-byte requests over PoolConns persistent
// connections, in parallel, each answered by the echo server, then closes
// them.
func (t *Timewait) runPool(ctx context.Context, b *Bench, ctl sockopt.Control, settle time.Duration) (twPool, error) {
	pool := twPool{dst: netip.AddrPortFrom(b.ServerAddr, twPortPool), conns: t.PoolConns}
	total := 2 * t.Ports
	conns := make([]net.Conn, t.PoolConns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	start := time.Now()
	for i := range conns {
		err := b.Client.Do(func() error {
			var err error
			conns[i], err = sockopt.Dialer(ctl).DialContext(ctx, "tcp4", pool.dst.String())
			return err
		})
		if err != nil {
			pool.dialFails++
			return pool, fmt.Errorf("pool connection %d: %w", i+1, err)
		}
		pool.locals = append(pool.locals, conns[i].LocalAddr().(*net.TCPAddr).AddrPort())
	}
	type tally struct{ attempted, answered int }
	results := make(chan tally, len(conns))
	for i, c := range conns {
		share := total / len(conns)
		if i < total%len(conns) {
			share++
		}
		go func(c net.Conn, share int) {
			var tl tally
			defer func() { results <- tl }()
			c.SetDeadline(time.Now().Add(twIOTimeout + time.Duration(share)*time.Second))
			buf := make([]byte, 1)
			for k := 0; k < share; k++ {
				tl.attempted++
				req := byte('a' + k%26)
				if _, err := c.Write([]byte{req}); err != nil {
					return
				}
				if _, err := c.Read(buf); err != nil || buf[0] != req {
					return
				}
				tl.answered++
			}
		}(c, share)
	}
	for range conns {
		tl := <-results
		pool.attempted += tl.attempted
		pool.requests += tl.answered
	}
	pool.elapsed = time.Since(start)
	var err error
	if pool.twDuring, err = twCountIn(b.Client, netip.AddrPort{}, pool.dst); err != nil {
		return pool, err
	}
	for i, c := range conns {
		c.Close()
		conns[i] = nil
	}
	want := t.PoolConns
	pool.twAfter, err = twAwait(ctx, b.Client, netip.AddrPort{}, pool.dst, func(n int) bool { return n == want }, settle)
	return pool, err
}

// restartServer runs a server on port with SO_REUSEADDR set to reuse (raw
// system calls: Go's listeners always set it), lets it close one
// connection first so that its side holds TIME_WAIT, stops it, and starts
// it again the same way. With reuse the restart works and serves a new
// connection; without it bind(2) fails with EADDRINUSE.
func (t *Timewait) restartServer(ctx context.Context, b *Bench, p Plan, ctl sockopt.Control, port uint16, reuse bool, settle time.Duration) (twRestart, error) {
	x := twRestart{reuse: reuse, addr: netip.AddrPortFrom(b.ServerAddr, port)}
	start := func() (net.Listener, bool, error) {
		var ln net.Listener
		var readBack bool
		err := b.Server.Do(func() error {
			fd, err := timewait.ListenReuseAddr(x.addr, reuse)
			if err != nil {
				return err
			}
			f := os.NewFile(uintptr(fd), "listener "+x.addr.String())
			defer f.Close()
			if err := sockopt.SetCongestion(sockopt.FD(fd), p.CC); err != nil {
				return err
			}
			if readBack, err = sockopt.GetReuseAddr(sockopt.FD(fd)); err != nil {
				return err
			}
			ln, err = net.FileListener(f)
			return err
		})
		return ln, readBack, err
	}
	ln, readBack, err := start()
	if err != nil {
		return x, fmt.Errorf("first server on %v: %w", x.addr, err)
	}
	x.readBack = readBack
	go twServe(ln, true)
	x.client, err = twConnectClose(b.Client, ctl, x.addr, false, true)
	if err != nil {
		ln.Close()
		return x, fmt.Errorf("connect to the first server on %v: %w", x.addr, err)
	}
	if _, err := twAwait(ctx, b.Server, x.addr, x.client, func(n int) bool { return n == 1 }, settle); err != nil {
		ln.Close()
		return x, err
	}
	ln.Close()
	if x.twBefore, err = twCountIn(b.Server, x.addr, netip.AddrPort{}); err != nil {
		return x, err
	}
	ln2, readBack2, err := start()
	x.err = err
	if err != nil {
		if !errors.As(err, &x.errno) {
			return x, fmt.Errorf("restart on %v: %w", x.addr, err)
		}
		return x, nil
	}
	defer ln2.Close()
	x.readBack2 = readBack2
	go twServe(ln2, true)
	if _, err := twConnectClose(b.Client, ctl, x.addr, false, true); err == nil {
		x.served = true
	}
	return x, nil
}
