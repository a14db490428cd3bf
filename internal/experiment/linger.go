package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/linger"
)

func init() { Register(60, func() Experiment { return NewLinger() }) }

// Linger closes one connection with each SO_LINGER mode (§4.2, claim C11)
// and reads what close(2) did from the clock, the wire and the kernel:
//
//   - Default {0}: close returns at once, FIN, the peer reads everything
//     then EOF, the closer holds TIME_WAIT.
//   - Abortive {1, 0}: RST instead of FIN, data still queued for sending is
//     discarded, no TIME_WAIT on either side.
//   - Timeout(d) {1, d} against a peer that does not read (zero window):
//     close blocks about d, then the orphan carries on — no RST, the data
//     flows when the peer reads again, FIN at the end.
//   - Timeout(d) against a peer that reads: close returns as soon as the
//     FIN is acknowledged, about one RTT.
type Linger struct {
	// Linger is the Timeout variant's d. SO_LINGER counts whole seconds, so
	// it is rounded up to one; Run raises it to 3 RTT if it is shorter, so
	// that "returns when the FIN is acknowledged" stays distinguishable
	// from "waited d".
	Linger time.Duration
	// Payload is what the Default and reader variants send before closing.
	Payload int
}

// NewLinger returns the experiment with its default parameters.
func NewLinger() *Linger { return &Linger{Linger: time.Second, Payload: 10_000} }

func (l *Linger) Name() string    { return "linger" }
func (l *Linger) Section() string { return "4.2" }
func (l *Linger) Title() string {
	return "SO_LINGER: graceful close, abortive close (RST), and a close that waits"
}

// effectiveLinger is the Timeout mode Run uses under plan p.
func (l *Linger) effectiveLinger(p Plan) linger.Mode {
	d := l.Linger
	if floor := 3 * p.RTT; d < floor {
		d = floor
	}
	return linger.Timeout(d)
}

func (l *Linger) params(p Plan) map[string]any {
	return map[string]any{
		"linger_s":      l.effectiveLinger(p).Duration().Seconds(),
		"payload_bytes": l.Payload,
	}
}

// Run builds a client⇄server lab, closes one connection per variant and
// checks each close against the model.
func (l *Linger) Run(ctx context.Context, p Plan) (*Result, error) {
	if l.Payload < 1 || l.Payload > 1<<20 {
		return nil, fmt.Errorf("linger: payload %d out of range (1 B to 1 MiB)", l.Payload)
	}
	if l.Linger < 0 {
		return nil, fmt.Errorf("linger: negative linger time %v", l.Linger)
	}
	r := NewResult(l, p, l.params(p))
	return runInLab(ctx, l, p, r, labRun[[]*lingerRun]{
		drive: l.drive,
		verdict: func(_ *Bench, runs []*lingerRun, pkts []capture.Packet) {
			l.check(r, p, runs, l.observeWire(runs, pkts))
		},
	})
}
