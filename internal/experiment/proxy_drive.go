package experiment

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/peer"
)

// pxPhase is one arrangement of client, proxies and server. Each phase has
// its own ports, so its flows are found in the capture by port.
type pxPhase struct {
	name       string
	serverPort int // on the server, over the server link
	proxyPort  int // the client-facing proxy, on the proxy's client-link address
	chainPort  int // chain only: the dumb proxy behind the smart one, on 127.0.0.1 in the proxy namespace
	smart      bool
	proxyConn  bool // the client asks for keep-alive with Proxy-Connection
}

// The five phases, in the order they run.
var pxPhases = []pxPhase{
	{name: "dumb", serverPort: 8081, proxyPort: 3128},
	{name: "smart", serverPort: 8082, proxyPort: 3129, smart: true},
	{name: "pc-dumb", serverPort: 8083, proxyPort: 3130, proxyConn: true},
	{name: "pc-smart", serverPort: 8084, proxyPort: 3131, smart: true, proxyConn: true},
	{name: "chain", serverPort: 8085, proxyPort: 3132, chainPort: 3133, smart: true, proxyConn: true},
}

// pxHopHeader is what the client of the Connection phases adds to every
// request: the HTTP/1.0 keep-alive option (the book's Connection:
// Keep-Alive), a Keep-Alive field, a custom field that Connection declares
// hop-by-hop, and an end-to-end field that every proxy must pass on.
var pxHopHeader = httpwire.Header{
	{Name: "Connection", Value: "Keep-Alive, X-Hop-Note"},
	{Name: "Keep-Alive", Value: "timeout=120"},
	{Name: "X-Hop-Note", Value: "for-the-first-hop-only"},
	{Name: "X-End-To-End", Value: "kept"},
}

// pxEndToEnd is what the Proxy-Connection phases add.
var pxEndToEnd = httpwire.Header{{Name: "X-End-To-End", Value: "kept"}}

// pxServerIdle is the server's idle timeout: far beyond any hang, so that
// only the experiment's shutdown ends a connection the server kept.
const pxServerIdle = 60 * time.Second

// pxRun is what one phase did, from the programs' own records.
type pxRun struct {
	ph         pxPhase
	serverAddr string // host:port of the server
	proxyAddr  string // host:port of the client-facing proxy
	targets    []string
	results    []peer.Result
	execs      map[string]int
	server     []peer.ConnRecord
	client     []peer.ConnRecord
	front      []peer.ConnRecord // the client-facing proxy's client-side connections
	forwards   []peer.Forward    // by the client-facing proxy
	chainFw    []peer.Forward    // by the dumb proxy behind the smart one
	behind     []peer.ConnRecord // the dumb proxy behind: its connections from the smart one
}

// exec returns how many times the server executed the i-th request.
func (run *pxRun) exec(i int) int { return run.execs[peer.ExecKey("GET", run.targets[i])] }

// wait returns how long the client waited for the i-th response: from the
// request's write to the end of the attempt.
func (run *pxRun) wait(i int) time.Duration {
	t := run.results[i].Timing()
	if t.Written.IsZero() || t.Done.IsZero() {
		return 0
	}
	return t.Done.Sub(t.Written)
}

// drive runs every phase in turn.
func (x *Proxy) drive(ctx context.Context, b *Bench, p Plan) ([]*pxRun, error) {
	var runs []*pxRun
	for _, ph := range pxPhases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		run, err := x.runPhase(ctx, b, p, ph)
		if err != nil {
			return nil, fmt.Errorf("phase %s: %w", ph.name, err)
		}
		runs = append(runs, run)
	}
	// Let the last closes and their ACKs cross both links.
	time.Sleep(p.RTT + 20*time.Millisecond)
	return runs, nil
}

// runPhase starts the server and the proxies of ph, fetches two objects
// over one client connection (when the proxies allow it), and shuts
// everything down in the order that shows on the wire who waited for whom:
// the client first, then a smart proxy (which follows the client), then the
// server, whose close is the first one a dumb proxy sees.
func (x *Proxy) runPhase(ctx context.Context, b *Bench, p Plan, ph pxPhase) (*pxRun, error) {
	ctl := pinned(p)
	hang := x.effectiveHang(p)
	run := &pxRun{
		ph:         ph,
		serverAddr: netip.AddrPortFrom(b.ServerAddr, uint16(ph.serverPort)).String(),
		proxyAddr:  netip.AddrPortFrom(b.ProxyClientAddr, uint16(ph.proxyPort)).String(),
	}
	for i := 1; i <= 2; i++ {
		run.targets = append(run.targets, fmt.Sprintf("/obj/%s-%d?size=%d", ph.name, i, x.Size))
	}

	srv := &peer.Server{Config: peer.ServerConfig{IdleTimeout: pxServerIdle}}
	sln, err := pxListen(ctx, b.Server, run.serverAddr, ctl)
	if err != nil {
		return nil, err
	}
	stopServer := pxServe(sln, srv.Serve, srv.Close)
	defer stopServer()

	proxyDial := pxDial(b.Proxy, ctl)
	upstream := run.serverAddr
	var (
		behind     *peer.DumbProxy
		stopBehind = func() {}
	)
	if ph.chainPort != 0 {
		behind = &peer.DumbProxy{Config: peer.DumbProxyConfig{Upstream: run.serverAddr, Dial: proxyDial}}
		upstream = fmt.Sprintf("127.0.0.1:%d", ph.chainPort)
		bln, err := pxListen(ctx, b.Proxy, upstream, ctl)
		if err != nil {
			return nil, err
		}
		stopBehind = pxServe(bln, behind.Serve, behind.Close)
		defer stopBehind()
	}

	pln, err := pxListen(ctx, b.Proxy, run.proxyAddr, ctl)
	if err != nil {
		return nil, err
	}
	var (
		dumb      *peer.DumbProxy
		smart     *peer.SmartProxy
		stopFront func()
	)
	if ph.smart {
		smart = &peer.SmartProxy{Config: peer.SmartProxyConfig{
			Upstream: upstream, Dial: proxyDial, UpstreamTimeout: hang, MaxAttempts: 1,
		}}
		stopFront = pxServe(pln, smart.Serve, smart.Close)
	} else {
		dumb = &peer.DumbProxy{Config: peer.DumbProxyConfig{Upstream: upstream, Dial: proxyDial}}
		stopFront = pxServe(pln, dumb.Serve, dumb.Close)
	}
	defer stopFront()

	cfg := peer.ClientConfig{
		Addr: run.proxyAddr, Dial: pxDial(b.Client, ctl), Version: peer.HTTP10,
		AbsoluteForm: true, Origin: run.serverAddr, MaxAttempts: 1,
		CloseMode: peer.CloseImmediate, ResponseTimeout: hang, Header: pxHopHeader,
	}
	if ph.proxyConn {
		cfg.ProxyConnection, cfg.Header = true, pxEndToEnd
	}
	if ph.chainPort != 0 {
		// Long enough to hear the smart proxy's 504 after its own timeout.
		cfg.ResponseTimeout = 2*hang + 6*p.RTT
	}
	client := &peer.Client{Config: cfg}
	reqs := make([]peer.Request, len(run.targets))
	for i, t := range run.targets {
		reqs[i] = peer.Request{Target: t}
	}
	fctx, cancel := context.WithTimeout(ctx, 4*hang+40*p.RTT+10*time.Second)
	defer cancel()
	run.results, _ = client.Fetch(fctx, reqs, peer.Strategy{Mode: peer.PersistentSerial})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, res := range run.results {
		if res.Timing().Written.IsZero() {
			return nil, fmt.Errorf("request %d was never sent: %v", i+1, res.Err)
		}
	}

	// The client is done: it closes what it still holds. A smart proxy
	// follows the client's close and then closes its upstream pool; a dumb
	// proxy waits for the server, whose close here is the first one it sees.
	client.Close()
	time.Sleep(p.RTT + 10*time.Millisecond)
	limit := 2*time.Second + 4*p.RTT
	allClosed := func(recs []peer.ConnRecord) bool {
		for _, rec := range recs {
			if rec.Closed.IsZero() {
				return false
			}
		}
		return true
	}
	if smart != nil {
		pxWait(limit, func() bool { return allClosed(smart.Conns()) })
		run.forwards, run.front = smart.Forwards(), smart.Conns()
		stopFront()
		time.Sleep(p.RTT + 10*time.Millisecond)
	}
	stopServer()
	if dumb != nil {
		pxWait(limit, func() bool { return allClosed(dumb.Conns()) })
		run.forwards, run.front = dumb.Forwards(), dumb.Conns()
	}
	if behind != nil {
		pxWait(limit, func() bool { return allClosed(behind.Conns()) })
		run.chainFw, run.behind = behind.Forwards(), behind.Conns()
	}
	stopFront()
	stopBehind()
	time.Sleep(p.RTT/2 + 10*time.Millisecond)

	run.execs = srv.ExecutionCounts()
	run.server = srv.Conns()
	run.client = client.Conns()
	return run, nil
}
