package experiment

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
)

func init() { Register(70, func() Experiment { return NewTimewait() }) }

// Timewait shows TIME_WAIT and what it costs (§4.2, claims C10, C12, C13):
// which side holds it and for how long; how a client that connects and
// closes in a loop runs out of local ports toward one destination; and what
// helps — tcp_tw_reuse (with timestamps, after tcp_tw_reuse_delay; value 2
// only on loopback), SO_LINGER {1,0}, a pool of persistent connections —
// and what no longer exists (tcp_tw_recycle). Last, SO_REUSEADDR lets a
// server restart while its old connections sit in TIME_WAIT.
//
// Every phase talks to its own server port, so the TIME_WAIT entries one
// phase leaves never stand in the way of the next: port exhaustion is per
// destination, which is one of the things the experiment shows.
type Timewait struct {
	// Ports is the size of the client namespace's ip_local_port_range.
	Ports int
	// ReuseDelay is net.ipv4.tcp_tw_reuse_delay in the client namespace:
	// how old a TIME_WAIT entry must be before tcp_tw_reuse may take it
	// over. The kernel's default is 1 s; the lab may shorten it.
	ReuseDelay time.Duration
	// PoolConns is the number of persistent connections of the pool.
	PoolConns int
	// WaitExpiry makes the run wait until the first TIME_WAIT entry has
	// expired (about 60 s) and measure when it did.
	WaitExpiry bool
	// Progress, if set, receives one line every few seconds while the run
	// waits for the expiry. The experiment writes nothing else.
	Progress io.Writer
}

// NewTimewait returns the experiment with its default parameters.
func NewTimewait() *Timewait {
	return &Timewait{Ports: 16, ReuseDelay: time.Second, PoolConns: 4}
}

func (t *Timewait) Name() string    { return "timewait" }
func (t *Timewait) Section() string { return "4.2" }
func (t *Timewait) Title() string {
	return "TIME_WAIT: who holds it, port exhaustion, and the remedies"
}

func (t *Timewait) params() map[string]any {
	return map[string]any{
		"ports":          t.Ports,
		"reuse_delay_ms": ms(t.ReuseDelay),
		"pool_conns":     t.PoolConns,
		"wait_expiry":    t.WaitExpiry,
	}
}

// Validate rejects parameters the run cannot honour; its errors name the
// command-line flag of the parameter.
func (t *Timewait) Validate() error {
	switch {
	case t.Ports < 4 || t.Ports > 128:
		return fmt.Errorf("--ports %d out of range (4 to 128)", t.Ports)
	case t.ReuseDelay < time.Millisecond || t.ReuseDelay > 60*time.Second:
		return fmt.Errorf("--reuse-delay %v out of range (1ms to 1m, the kernel's limits)", t.ReuseDelay)
	case t.ReuseDelay%time.Millisecond != 0:
		return fmt.Errorf("--reuse-delay %v is not a whole number of milliseconds", t.ReuseDelay)
	case t.PoolConns < 1 || t.PoolConns >= t.Ports:
		return fmt.Errorf("--pool %d out of range (1 to %d, fewer than --ports)", t.PoolConns, t.Ports-1)
	}
	return nil
}

// Run builds a client⇄server lab, shrinks the client's port range and runs
// the phases one after the other, with captures on the client's link and
// on its loopback device.
func (t *Timewait) Run(ctx context.Context, p Plan) (*Result, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("timewait: %w", err)
	}
	r := NewResult(t, p, t.params())
	return runInLab(ctx, t, p, r, labRun[*twObs]{
		// The loopback phase's packets never cross the link: capture lo
		// in the client namespace too (merged into the same pcapng).
		prepare: func(b *Bench) error { return b.Capture(b.Client, "lo") },
		drive:   t.drive,
		verdict: func(_ *Bench, obs *twObs, pkts []capture.Packet) {
			t.check(r, p, obs, t.observeWire(obs, pkts))
		},
	})
}
