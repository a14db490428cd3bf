package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/netlab"
)

func init() { Register(100, func() Experiment { return NewProxy() }) }

// Proxy shows the dumb proxy problem of §4.5 (claims C14, C24–C27): an
// HTTP/1.0 client's Connection: Keep-Alive goes through a proxy that
// understands nothing of persistence; the server agrees to keep the
// connection, the proxy relays the answer and waits for a close that never
// comes, and the client's second request on the connection hangs until the
// client's timeout. A smart proxy that strips the hop-by-hop fields has no
// hang. Then the Proxy-Connection workaround: harmless through one dumb
// proxy, understood by one smart proxy, and broken again when a dumb proxy
// sits between the smart one and the server.
//
// The lab is client ⇄ proxy ⇄ server with an emulated link on each side;
// both links are captured and merged into one pcapng. Every proxy runs in
// the proxy namespace; for the chain, the smart proxy (on the client link)
// forwards to a dumb one listening on 127.0.0.1 in the same namespace, which
// forwards over the server link.
type Proxy struct {
	// HangTimeout is how long the client waits for a response without
	// progress, and the smart proxy for an upstream response. Run raises it
	// to 6 RTT + 100 ms, so that an answered request through two links
	// (at most 3 RTT) is never taken for a hang.
	HangTimeout time.Duration
	// Size is the body size of every object.
	Size int
}

// NewProxy returns the experiment with its default parameters.
func NewProxy() *Proxy { return &Proxy{HangTimeout: 2 * time.Second, Size: 1500} }

func (x *Proxy) Name() string    { return "proxy" }
func (x *Proxy) Section() string { return "4.5" }
func (x *Proxy) Title() string {
	return "keep-alive through dumb and smart proxies: the hang, hop-by-hop fields, and Proxy-Connection"
}

// effectiveHang is the timeout Run uses under plan p.
func (x *Proxy) effectiveHang(p Plan) time.Duration {
	return max(x.HangTimeout, 6*p.RTT+100*time.Millisecond)
}

func (x *Proxy) params(p Plan) map[string]any {
	return map[string]any{"hang_timeout_ms": ms(x.effectiveHang(p)), "size": x.Size}
}

// Run builds the client⇄proxy⇄server lab, runs the five phases one after
// the other (each with its own ports), and checks the clocks, the peers'
// records and both links' captures against the model.
func (x *Proxy) Run(ctx context.Context, p Plan) (*Result, error) {
	if x.HangTimeout <= 0 || x.HangTimeout > time.Minute {
		return nil, fmt.Errorf("proxy: hang timeout %v out of range (0 to 1m)", x.HangTimeout)
	}
	if x.Size < 1 || x.Size > 1<<20 {
		return nil, fmt.Errorf("proxy: object size %d out of range (1 B to 1 MiB)", x.Size)
	}
	r := NewResult(x, p, x.params(p))
	return runInLab(ctx, x, p, r, labRun[[]*pxRun]{
		topology:  netlab.ClientProxyServer,
		bothLinks: true,
		drive:     x.drive,
		verdict: func(b *Bench, runs []*pxRun, pkts []capture.Packet) {
			w := x.observe(b, runs, pkts)
			x.check(r, p, runs, w)
			x.annotate(runs, w, pkts)
		},
	})
}
