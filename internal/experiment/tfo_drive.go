package experiment

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/peer"
	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/tfo"
)

// tfoStyle is how a client connection opens and sends its request.
type tfoStyle int

const (
	// tfoStylePlain: connect(2), then write(2); no Fast Open (the baseline).
	tfoStylePlain tfoStyle = iota
	// tfoStyleConnect: setsockopt TCP_FASTOPEN_CONNECT, connect(2), write(2).
	tfoStyleConnect
	// tfoStyleSendto: sendto(2) with MSG_FASTOPEN, connect and send in one call.
	tfoStyleSendto
)

func (s tfoStyle) String() string {
	switch s {
	case tfoStylePlain:
		return "plain connect+write"
	case tfoStyleConnect:
		return "TCP_FASTOPEN_CONNECT"
	case tfoStyleSendto:
		return "sendto MSG_FASTOPEN"
	}
	return "style(" + strconv.Itoa(int(s)) + ")"
}

// tfoStyleOf is the client style of Fast Open connection k (1-based):
// the first fetches the cookie with TCP_FASTOPEN_CONNECT, then sendto
// MSG_FASTOPEN and TCP_FASTOPEN_CONNECT alternate, so that both styles send
// a request in the SYN whenever there are at least two connections.
func tfoStyleOf(k int) tfoStyle {
	if k%2 == 0 {
		return tfoStyleSendto
	}
	return tfoStyleConnect
}

// tfoConn is one HTTP exchange on a fresh connection, timed by the client's
// clock and read back from the kernel.
type tfoConn struct {
	k       int // 1-based, within its group (Fast Open or plain)
	style   tfoStyle
	local   netip.AddrPort
	request []byte

	start     time.Time // before connect(2) / sendto(2)
	opened    time.Time // the dial (or sendto) returned, the request handed to the kernel
	firstByte time.Time // first response byte read
	done      time.Time // whole response read

	stateAtOpen sockopt.TCPState // tcpi_state when the dial returned
	info        tfo.Info         // TCP_INFO after the response
	infoErr     error
	rtt         time.Duration // tcpi_rtt after the response
}

func (c *tfoConn) ttfb() time.Duration { return c.firstByte.Sub(c.start) }
func (c *tfoConn) open() time.Duration { return c.opened.Sub(c.start) }

// tfoAccept is the server kernel's view of a connection when accept(2)
// returned it.
type tfoAccept struct {
	state   sockopt.TCPState
	synData bool // tcpi_options has TCPI_OPT_SYN_DATA: the SYN's data was accepted
	err     error
}

// tfoRun is everything the drive phase measured.
type tfoRun struct {
	fastOpen, plain []*tfoConn
	accepts         map[netip.AddrPort]tfoAccept // by the client's address

	qlen                   int // the listener's TCP_FASTOPEN read back
	qlenErr                error
	clientMode, serverMode tfo.Mode
	modeErr                error
	flushErr               error
	before, after          tfoCounters
	countersErr            error
}

const tfoPort = 8080

// drive serves HTTP behind a Fast Open listener in the server namespace and
// runs the client's connections from the client namespace: one plain
// exchange to warm up the link and both programs (the emulator's first
// packet in a direction can be late by milliseconds), then startCaptures,
// the cookie cache flushed, the Fast Open connections, and as many plain
// ones.
func (e *FastOpen) drive(ctx context.Context, b *Bench, p Plan, startCaptures func() error) (*tfoRun, error) {
	run := &tfoRun{}
	ctl := pinned(p)
	server := netip.AddrPortFrom(b.ServerAddr, tfoPort)

	var ln net.Listener
	err := b.Server.Do(func() error {
		var err error
		if ln, err = tfo.Listen(ctx, "tcp4", server.String(), e.QueueLen, ctl); err != nil {
			return err
		}
		run.serverMode, run.modeErr = tfo.ReadMode()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tfo: server listen: %w", err)
	}
	run.qlen, run.qlenErr = sockopt.GetFastOpen(ln.(*net.TCPListener))
	wl := &tfoWitnessListener{Listener: ln, accepts: map[netip.AddrPort]tfoAccept{}}
	srv := &peer.Server{Config: peer.ServerConfig{NoKeepAlive: true}}
	go srv.Serve(wl)
	defer srv.Close()

	if _, err := e.exchange(ctx, b, ctl, server, tfoStylePlain, 0); err != nil {
		return nil, fmt.Errorf("tfo: warm-up exchange: %w", err)
	}
	time.Sleep(p.RTT + 5*time.Millisecond)
	if err := startCaptures(); err != nil {
		return nil, err
	}

	err = b.Client.Do(func() error {
		var err error
		run.clientMode, err = tfo.ReadMode()
		if err != nil && run.modeErr == nil {
			run.modeErr = err
		}
		run.flushErr = tfo.FlushCookies()
		return nil
	})
	if err != nil {
		return nil, err
	}
	run.before, run.countersErr = readTFOCounters(b)

	gap := p.RTT + 5*time.Millisecond // let each FIN exchange finish: one connection at a time on the wire
	for k := 1; k <= e.Connections; k++ {
		c, err := e.exchange(ctx, b, ctl, server, tfoStyleOf(k), k)
		if err != nil {
			return nil, fmt.Errorf("tfo: Fast Open connection %d (%v): %w", k, tfoStyleOf(k), err)
		}
		run.fastOpen = append(run.fastOpen, c)
		time.Sleep(gap)
	}
	for k := 1; k <= e.Connections; k++ {
		c, err := e.exchange(ctx, b, ctl, server, tfoStylePlain, k)
		if err != nil {
			return nil, fmt.Errorf("tfo: plain connection %d: %w", k, err)
		}
		run.plain = append(run.plain, c)
		time.Sleep(gap)
	}

	var cerr error
	run.after, cerr = readTFOCounters(b)
	if run.countersErr == nil {
		run.countersErr = cerr
	}
	run.accepts = wl.snapshot()
	return run, nil
}

// tfoRequest is the HTTP request connection k of a group sends.
func tfoRequest(server netip.AddrPort, group string, k, size int) ([]byte, error) {
	req := &httpwire.Request{
		Method: "GET", Target: fmt.Sprintf("/obj/%s%d?size=%d", group, k, size), Major: 1, Minor: 1,
		Header: httpwire.Header{{Name: "Host", Value: server.String()}, {Name: "Connection", Value: "close"}},
	}
	var buf bytes.Buffer
	if err := httpwire.NewWriter(&buf).WriteRequest(req); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// exchange opens one connection in the given style, sends the request,
// reads the response and reads the kernel's view back.
func (e *FastOpen) exchange(ctx context.Context, b *Bench, ctl sockopt.Control, server netip.AddrPort, style tfoStyle, k int) (*tfoConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	group := "tfo"
	if style == tfoStylePlain {
		group = "plain"
	}
	req, err := tfoRequest(server, group, k, e.ResponseBytes)
	if err != nil {
		return nil, err
	}
	c := &tfoConn{k: k, style: style, request: req}
	limit := 30*time.Second + 20*b.plan.RTT
	var conn net.Conn
	switch style {
	case tfoStylePlain:
		conn, err = tfoDialPlain(ctx, b.Client, ctl, server, c, limit)
	case tfoStyleConnect:
		conn, err = tfoDialConnect(ctx, b.Client, ctl, server, c, limit)
	case tfoStyleSendto:
		conn, err = tfoDialSendto(b.Client, ctl, server, c, limit)
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c.local = netip.MustParseAddrPort(conn.LocalAddr().String())
	conn.SetDeadline(time.Now().Add(limit))

	rd := httpwire.NewReader(conn)
	rd.Trace = &httpwire.Trace{FirstByte: func() { c.firstByte = time.Now() }}
	var resp httpwire.Response
	if err := rd.ReadResponse(&resp, "GET"); err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	c.done = time.Now()
	if resp.Status != 200 || resp.Truncated || len(resp.Body) != e.ResponseBytes {
		return nil, fmt.Errorf("response %d with %d body bytes, want 200 with %d", resp.Status, len(resp.Body), e.ResponseBytes)
	}
	c.info, c.infoErr = tfo.Status(conn.(syscall.Conn))
	if ti, err := sockopt.GetTCPInfo(conn.(syscall.Conn)); err == nil {
		c.rtt = ti.RTT
	}
	return c, nil
}

// tfoStateOf is tcpi_state of c, or 0 if it cannot be read.
func tfoStateOf(c syscall.Conn) sockopt.TCPState {
	ti, err := sockopt.GetTCPInfo(c)
	if err != nil {
		return 0
	}
	return ti.State
}

// tfoDialPlain is the baseline: Go's dialer (connect(2) returns after the
// handshake), then one write(2) of the request.
func tfoDialPlain(ctx context.Context, ns *netlab.NS, ctl sockopt.Control, server netip.AddrPort, c *tfoConn, limit time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := ns.Do(func() error {
		d := sockopt.Dialer(ctl)
		d.Timeout = limit
		c.start = time.Now()
		var err error
		conn, err = d.DialContext(ctx, "tcp4", server.String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	c.stateAtOpen = tfoStateOf(conn.(syscall.Conn))
	conn.SetWriteDeadline(time.Now().Add(limit))
	if _, err := conn.Write(c.request); err != nil {
		conn.Close()
		return nil, fmt.Errorf("send request: %w", err)
	}
	c.opened = time.Now()
	return conn, nil
}

// tfoDialConnect uses TCP_FASTOPEN_CONNECT: with a cookie cached,
// connect(2) returns at once and the write puts the request into the SYN;
// without one, connect(2) requests a cookie and waits for the handshake.
func tfoDialConnect(ctx context.Context, ns *netlab.NS, ctl sockopt.Control, server netip.AddrPort, c *tfoConn, limit time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := ns.Do(func() error {
		d := tfo.Dialer{Base: net.Dialer{KeepAlive: -1, Timeout: limit, Control: ctl}}
		c.start = time.Now()
		var err error
		conn, err = d.DialWithData(ctx, "tcp4", server.String(), c.request)
		c.opened = time.Now()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dial with TCP_FASTOPEN_CONNECT: %w", err)
	}
	c.stateAtOpen = tfoStateOf(conn.(syscall.Conn))
	return conn, nil
}

// tfoDialSendto opens a blocking socket and sends the request with sendto(2)
// MSG_FASTOPEN, which returns once the connection is established (the
// request in the SYN when a cookie is cached); the socket is then handed
// to Go for reading.
func tfoDialSendto(ns *netlab.NS, ctl sockopt.Control, server netip.AddrPort, c *tfoConn, limit time.Duration) (net.Conn, error) {
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer sockopt.Close(fd)
	raw, _ := sockopt.FD(fd).SyscallConn()
	if err := sockopt.Compose(ctl, sockopt.NoDelay(true))("tcp4", server.String(), raw); err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(limit.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("setsockopt SO_SNDTIMEO: %w", err)
	}
	c.start = time.Now()
	n, err := tfo.SendtoFastOpen(fd, c.request, server)
	c.opened = time.Now()
	if err != nil {
		return nil, err
	}
	if n != len(c.request) {
		return nil, fmt.Errorf("sendto MSG_FASTOPEN sent %d of %d bytes", n, len(c.request))
	}
	c.stateAtOpen = tfoStateOf(sockopt.FD(fd))
	return sockopt.FileConn(fd)
}

// tfoWitnessListener reads the kernel's view of every accepted connection
// before handing it to the server: a Fast Open child is accepted while
// still in SYN_RECV, with the SYN's data already queued.
type tfoWitnessListener struct {
	net.Listener
	mu      sync.Mutex
	accepts map[netip.AddrPort]tfoAccept
}

func (l *tfoWitnessListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	var a tfoAccept
	if ti, err := sockopt.GetTCPInfo(c.(syscall.Conn)); err != nil {
		a.err = err
	} else {
		a.state, a.synData = ti.State, ti.Options.Has(sockopt.TCPI_OPT_SYN_DATA)
	}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		l.mu.Lock()
		l.accepts[ap] = a
		l.mu.Unlock()
	}
	return c, nil
}

func (l *tfoWitnessListener) snapshot() map[netip.AddrPort]tfoAccept {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[netip.AddrPort]tfoAccept, len(l.accepts))
	for k, v := range l.accepts {
		out[k] = v
	}
	return out
}
