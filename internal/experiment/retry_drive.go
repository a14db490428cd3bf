package experiment

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/peer"
)

// rtScenario names a scenario and its server port.
type rtScenario struct {
	name     string
	port     int
	pipeline bool
	retryAll bool
}

var rtScenarios = []rtScenario{
	{name: "pipeline", port: 8081, pipeline: true},
	{name: "safe", port: 8082},
	{name: "retry-all", port: 8083, retryAll: true},
}

// rtMaxAttempts bounds the tries of the scripted requests.
const rtMaxAttempts = 3

// steps is the scripted list of the safe and retry-all scenarios.
func (x *Retry) steps() []rtStep {
	short := fmt.Sprintf("size=%d&short=%d", x.Size, x.Short)
	return []rtStep{
		{name: "warm", method: "GET", query: "size=1000"},
		{name: "get_short", method: "GET", query: short, fail: rtFailShort},
		{name: "post_drop", method: "POST", query: "size=1000&drop=1", fail: rtFailDrop},
		{name: "after", method: "GET", query: "size=1000"},
		{name: "post_short", method: "POST", query: short, fail: rtFailShort},
	}
}

// pipelineSize is the body size of the i-th pipelined GET: all different, so
// that a response matched to the wrong request shows.
func pipelineSize(i int) int { return 1000 + 100*i }

// rtRun is what one scenario did, from the programs' own records.
type rtRun struct {
	sc      rtScenario
	addr    string
	targets []string // per request, origin form
	methods []string
	steps   []rtStep // scripted scenarios only
	results []peer.Result
	execs   map[string]int
	server  []peer.ConnRecord
	client  []peer.ConnRecord
}

// exec returns how many times the server executed request i.
func (run *rtRun) exec(i int) int {
	return run.execs[peer.ExecKey(run.methods[i], run.targets[i])]
}

// rtFailOnce is a Handler that applies the scripted failure (short body,
// drop) only to the first execution of each request: a server that fails
// once, so that a retry can succeed — and a replayed POST succeeds too.
type rtFailOnce struct {
	mu   sync.Mutex
	seen map[string]int
}

func (f *rtFailOnce) handle(req *httpwire.Request) peer.Reply {
	rep := peer.Objects(req)
	key := peer.ExecKey(req.Method, req.Target)
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	f.seen[key]++
	n := f.seen[key]
	f.mu.Unlock()
	if n > 1 {
		rep.Short, rep.Drop = 0, false
	}
	return rep
}

// drive runs the scenarios one after the other.
func (x *Retry) drive(ctx context.Context, b *Bench, p Plan) ([]*rtRun, error) {
	var runs []*rtRun
	for _, sc := range rtScenarios {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		run, err := x.runScenario(ctx, b, p, sc)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		runs = append(runs, run)
	}
	time.Sleep(p.RTT + 20*time.Millisecond)
	return runs, nil
}

func (x *Retry) runScenario(ctx context.Context, b *Bench, p Plan, sc rtScenario) (*rtRun, error) {
	ctl := pinned(p)
	run := &rtRun{sc: sc, addr: netip.AddrPortFrom(b.ServerAddr, uint16(sc.port)).String()}
	prefix := strings.ReplaceAll(sc.name, "-", "")

	scfg := peer.ServerConfig{IdleTimeout: 30 * time.Second}
	ccfg := peer.ClientConfig{
		Addr: run.addr, Dial: pxDial(b.Client, ctl), CloseMode: peer.CloseImmediate,
		ResponseTimeout: 10*time.Second + 10*p.RTT, MaxAttempts: rtMaxAttempts, RetryAll: sc.retryAll,
	}
	var reqs []peer.Request
	strategy := peer.Strategy{Mode: peer.PersistentSerial}
	if sc.pipeline {
		scfg.CloseAfter, scfg.ExactReads, scfg.CloseMode = x.CloseAfter, true, peer.CloseImmediate
		// Every request must survive one failed try per connection.
		ccfg.MaxAttempts = len(rtPipelineModel(x.Requests, x.CloseAfter)) + 1
		strategy.Mode = peer.Pipelined
		for i := 0; i < x.Requests; i++ {
			t := fmt.Sprintf("/obj/%s-%d?size=%d", prefix, i, pipelineSize(i))
			run.targets, run.methods = append(run.targets, t), append(run.methods, "GET")
			reqs = append(reqs, peer.Request{Target: t})
		}
	} else {
		scfg.Handler = (&rtFailOnce{}).handle
		run.steps = x.steps()
		for _, s := range run.steps {
			t := fmt.Sprintf("/obj/%s-%s?%s", prefix, strings.ReplaceAll(s.name, "_", "-"), s.query)
			run.targets, run.methods = append(run.targets, t), append(run.methods, s.method)
			req := peer.Request{Method: s.method, Target: t}
			if s.method == "POST" {
				req.Body = []byte("order=" + s.name + "&qty=1")
			}
			reqs = append(reqs, req)
		}
	}

	srv := &peer.Server{Config: scfg}
	ln, err := pxListen(ctx, b.Server, run.addr, ctl)
	if err != nil {
		return nil, err
	}
	stopServer := pxServe(ln, srv.Serve, srv.Close)
	defer stopServer()

	client := &peer.Client{Config: ccfg}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second+60*p.RTT)
	defer cancel()
	run.results, _ = client.Fetch(fctx, reqs, strategy)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	client.Close()
	time.Sleep(p.RTT + 10*time.Millisecond)
	// Let the server finish the closes it started (a graceful close drains
	// until the client's FIN).
	pxWait(2*time.Second+4*p.RTT, func() bool {
		for _, rec := range srv.Conns() {
			if rec.Closed.IsZero() {
				return false
			}
		}
		return true
	})
	stopServer()
	run.execs = srv.ExecutionCounts()
	run.server = srv.Conns()
	run.client = client.Conns()
	return run, nil
}
