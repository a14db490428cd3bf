package experiment

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/peer"
	"github.com/tcplab/tcplab/timewait"
)

// plRound is one round: its link, the runs of every strategy and the
// capture of the client's link.
type plRound struct {
	spec plRoundSpec
	all  []*plRun // every load, in the order they ran
	// runs holds the fastest load of each strategy, in strategy order: the
	// one least disturbed by anything else the machine was doing, since
	// disturbances only add time.
	runs    []*plRun
	pkts    []capture.Packet
	wireRTT time.Duration // median SYN → SYN/ACK on the capture
}

// plRun is one strategy's load of the page.
type plRun struct {
	strategy peer.Strategy
	repeat   int // 0 for the first load of the strategy
	port     uint16
	start    time.Time     // before the document was requested
	clock    time.Duration // start → the last response complete, client's clock
	// total is the page-load time on the wire: the first SYN to the last
	// response byte, as the capture on the client's link saw them.
	total   time.Duration
	targets []string      // the objects, as read from the document
	results []peer.Result // the document first, then the objects
	timings []peer.Timing
	client  []peer.ConnRecord
	server  []peer.ConnRecord
	// established counts the server's ESTABLISHED sockets on the port once
	// the page had loaded and before the client closed anything: the
	// kernel's view of the connections kept open.
	established int

	params plModelParams
	model  plModel
	rounds float64 // the model in RTTs at an unlimited rate
	wire   plWire
}

// Ports: one server per strategy and repeat, so the capture tells them
// apart: plBasePort + 10·repeat + the strategy's number.
const (
	plWarmPort = 8080
	plBasePort = 8081
)

// runRound builds a lab for one round, loads the page with every strategy,
// and reads the capture.
func (pl *PageLoad) runRound(ctx context.Context, p Plan, spec plRoundSpec, r *Result, first bool) (*plRound, error) {
	rp := p
	rp.RateBps = spec.rateBps
	// Each connection starts from the initial window and no cached RTT, as
	// the model assumes.
	sysctls := map[string]string{"net.ipv4.tcp_no_metrics_save": "1"}
	b, err := Setup(ctx, pl.Name()+"-"+spec.name[:3], rp, netlab.ClientServer, sysctls)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.Capture(b.Client, b.ClientIf); err != nil {
		return nil, err
	}
	rd := &plRound{spec: spec}
	if err := pl.warmUp(ctx, b, p); err != nil {
		return nil, fmt.Errorf("pageload: %s round: warm-up: %w", spec.name, err)
	}
	// The repeats alternate the strategies, so that a burst of load on the
	// machine does not spoil every load of one strategy.
	for rep := range pl.repeats(p, spec.name) {
		for i, s := range pl.strategies() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			run, err := pl.load(ctx, b, p, s, uint16(plBasePort+10*rep+i), spec.size)
			if err != nil {
				return nil, fmt.Errorf("pageload: %s round, %s: %w", spec.name, s, err)
			}
			run.repeat = rep
			run.params = pl.modelParams(s, spec, p.RTT)
			run.model = pageloadModel(run.params)
			run.rounds = run.params.rttRounds()
			rd.all = append(rd.all, run)
		}
	}
	pkts, cstats, err := b.StopCaptures()
	if err != nil {
		return nil, err
	}
	if first {
		b.RecordEnv(r)
	}
	plLinkStats(r, b, spec.name)
	r.Metric(spec.name+"_capture_kernel_drops", float64(cstats.KernelDrops))
	rd.pkts = pkts
	pl.observe(rd)
	best := make([]*plRun, len(pl.strategies()))
	for i, run := range rd.all {
		run.total = run.wire.total
		k := i % len(best)
		if best[k] == nil || run.total < best[k].total {
			best[k] = run
		}
	}
	rd.runs = best
	return rd, nil
}

// modelParams are the model's inputs for strategy s in a round.
func (pl *PageLoad) modelParams(s peer.Strategy, spec plRoundSpec, rtt time.Duration) plModelParams {
	return plModelParams{
		mode: s.Mode, conns: s.Conns, objects: pl.Objects,
		docBytes: plDocBytes(pl.Objects, spec.size), objBytes: spec.size + plRespHdrB,
		rtt: rtt, rateBps: spec.rateBps,
	}
}

// plDocTarget is the document of a page of n objects of size bytes.
func plDocTarget(n, size int) string { return fmt.Sprintf("/page?objects=%d&size=%d", n, size) }

// plDocBytes is the document's response as the model counts it: the body
// the server's handler makes, plus a typical header.
func plDocBytes(n, size int) int {
	rep := peer.Objects(&httpwire.Request{Method: "GET", Target: plDocTarget(n, size), Major: 1, Minor: 1})
	return len(rep.Body) + plRespHdrB
}

// plLinkStats adds the emulator's counters of one round to r's metrics.
func plLinkStats(r *Result, b *Bench, round string) {
	for _, l := range b.Links {
		for dir, d := range l.Stats().Dirs() {
			r.Metric(fmt.Sprintf("%s_link_%s_forwarded", round, dir), float64(d.Forwarded))
			r.Metric(fmt.Sprintf("%s_link_%s_dropped", round, dir), float64(d.DroppedQueue+d.DroppedLoss+d.DeviceDropped))
		}
	}
	plLateStats(r, b, round+"_")
}

// plLateStats records how late the emulator delivered packets (99th
// percentile and worst, per direction): the first thing to read when a
// timing check fails on a busy machine.
func plLateStats(r *Result, b *Bench, prefix string) {
	for _, l := range b.Links {
		for dir, d := range l.Stats().Dirs() {
			r.Metric(fmt.Sprintf("%slink_%s_late_p99_ms", prefix, dir), ms(d.LateP99))
			r.Metric(fmt.Sprintf("%slink_%s_late_max_ms", prefix, dir), ms(d.LateMax))
		}
	}
}

// plDialer returns a DialFunc whose sockets are made inside the client's
// namespace, with the plan's congestion control pinned.
func plDialer(b *Bench, p Plan) peer.DialFunc {
	d := peer.Dialer(pinned(p))
	return func(ctx context.Context, addr string) (net.Conn, error) {
		var nc net.Conn
		err := b.Client.Do(func() error {
			var err error
			nc, err = d(ctx, addr)
			return err
		})
		return nc, err
	}
}

// plServe starts a server on port inside the server's namespace.
func plServe(ctx context.Context, b *Bench, p Plan, port uint16, cfg peer.ServerConfig) (*peer.Server, string, error) {
	addr := netip.AddrPortFrom(b.ServerAddr, port).String()
	var ln net.Listener
	err := b.Server.Do(func() error {
		var err error
		ln, err = peer.Listen(ctx, addr, pinned(p))
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &peer.Server{Config: cfg}
	go func() { _ = srv.Serve(ln) }()
	return srv, addr, nil
}

// warmUp makes one exchange on a port of its own, so that the first timed
// load does not pay for goroutines, threads and buffers made the first time.
func (pl *PageLoad) warmUp(ctx context.Context, b *Bench, p Plan) error {
	srv, addr, err := plServe(ctx, b, p, plWarmPort, peer.ServerConfig{})
	if err != nil {
		return err
	}
	defer srv.Close()
	c := &peer.Client{Config: peer.ClientConfig{Addr: addr, Dial: plDialer(b, p), ResponseTimeout: plResponseTimeout(p)}}
	if res := c.Do(ctx, peer.Request{Target: "/obj/warm?size=100"}); res.Err != nil {
		return res.Err
	}
	c.Close()
	time.Sleep(p.RTT + 20*time.Millisecond)
	return nil
}

func plResponseTimeout(p Plan) time.Duration { return 30*time.Second + 20*p.RTT }

// load fetches the document with strategy s, reads the object targets from
// it, and fetches them with the same strategy and client (persistent
// connections stay in its pool between the two).
func (pl *PageLoad) load(ctx context.Context, b *Bench, p Plan, s peer.Strategy, port uint16, size int) (*plRun, error) {
	srv, addr, err := plServe(ctx, b, p, port, peer.ServerConfig{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	cfg := peer.ClientConfig{Addr: addr, Dial: plDialer(b, p), ResponseTimeout: plResponseTimeout(p)}
	if s.Mode == peer.PersistentParallel {
		cfg.MaxConnsPerHost = s.Conns
	}
	c := &peer.Client{Config: cfg}
	run := &plRun{strategy: s, port: port}

	run.start = time.Now()
	doc, err := c.Fetch(ctx, []peer.Request{{Target: plDocTarget(pl.Objects, size)}}, s)
	if err != nil {
		return nil, fmt.Errorf("fetch the document: %w", err)
	}
	run.targets = pageloadLinks(doc[0].Response.Body)
	if len(run.targets) != pl.Objects {
		return nil, fmt.Errorf("the document references %d objects, want %d", len(run.targets), pl.Objects)
	}
	reqs := make([]peer.Request, len(run.targets))
	for i, t := range run.targets {
		reqs[i] = peer.Request{Target: t}
	}
	objs, err := c.Fetch(ctx, reqs, s)
	if err != nil {
		return nil, fmt.Errorf("fetch the objects: %w", err)
	}
	run.results = append(doc, objs...)
	for _, res := range run.results {
		if d := res.Timing().Done.Sub(run.start); d > run.clock {
			run.clock = d
		}
		if res.Response == nil || len(res.Response.Body) == 0 {
			return nil, fmt.Errorf("%s: empty response", res.Request.Target)
		}
	}
	run.established, err = plEstablished(b.Server, port)
	if err != nil {
		return nil, err
	}
	c.Close()
	run.timings = c.Timings()
	run.client = c.Conns()
	run.server = plServerClosed(srv, p)
	// Let the last ACKs cross the link before the next strategy starts.
	time.Sleep(p.RTT/2 + 10*time.Millisecond)
	return run, nil
}

// plServerClosed waits until the server has closed every connection it
// accepted (the closes cross the link, and a graceful close reads to the
// peer's FIN), up to 2 s + 10 RTT, and returns its records.
func plServerClosed(srv *peer.Server, p Plan) []peer.ConnRecord {
	end := time.Now().Add(2*time.Second + 10*p.RTT)
	for {
		recs := srv.Conns()
		open := 0
		for _, c := range recs {
			if c.Closed.IsZero() {
				open++
			}
		}
		if open == 0 || time.Now().After(end) {
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// plEstablished counts the ESTABLISHED sockets of ns whose local port is
// port (inet_diag, read from a thread inside the namespace).
func plEstablished(ns *netlab.NS, port uint16) (int, error) {
	var ss []timewait.Socket
	err := ns.Do(func() error {
		var err error
		ss, err = timewait.Sockets(timewait.StateEstablished)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("socket census of %s: %w", ns.Name(), err)
	}
	n := 0
	for _, s := range ss {
		if s.Local.Port() == port {
			n++
		}
	}
	return n, nil
}
