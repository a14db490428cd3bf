package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

func init() { Register(120, func() Experiment { return NewClose() }) }

// Close compares the ways an HTTP connection can end (§4.7, claims C34 and
// C35), each on its own connection and server port:
//
//   - half-close: the client sends its request and shutdown(SHUT_WR); the
//     server reads to EOF, answers in full and closes;
//   - reset: the client pipelines two requests; the server answers the first
//     and close(2)s with the second still unread, so its kernel sends RST;
//   - graceful: the same two requests; the server answers the first,
//     shutdown(SHUT_WR)s, reads until the client's FIN, then closes.
type Close struct {
	// ResponseSize is the body of the one response the server sends per
	// connection. It should exceed the initial window (10 segments) so that
	// part of it is still in the server's send queue when the reset comes.
	ResponseSize int
	// ReadDelay is how long the client waits at least after sending its
	// pipelined requests before it reads (reset and graceful modes), and
	// then until its kernel has the server's RST or FIN; 0 means 2 RTT +
	// 50 ms.
	ReadDelay time.Duration
}

// NewClose returns the experiment with its default parameters.
func NewClose() *Close { return &Close{ResponseSize: 64 << 10} }

func (c *Close) Name() string    { return "close" }
func (c *Close) Section() string { return "4.7" }
func (c *Close) Title() string {
	return "graceful close versus reset: half-close, unread data and RST, drain before close"
}

func (c *Close) params() map[string]any {
	return map[string]any{"response_size": c.ResponseSize, "read_delay_ms": ms(c.ReadDelay)}
}

// readDelay is the client's pause before reading under plan p.
func (c *Close) readDelay(p Plan) time.Duration {
	if c.ReadDelay > 0 {
		return c.ReadDelay
	}
	return 2*p.RTT + 50*time.Millisecond
}

// Close modes, in the order they run; each has its own server port.
const (
	modeHalfClose = "halfclose"
	modeReset     = "reset"
	modeGraceful  = "graceful"
)

var closeModes = []struct {
	name string
	port uint16
}{{modeHalfClose, 7001}, {modeReset, 7002}, {modeGraceful, 7003}}

// Run builds a client⇄server lab, runs the three modes one after the other
// with a capture on the client's interface, and checks the wire and the
// kernels of both ends against C34 and C35.
func (c *Close) Run(ctx context.Context, p Plan) (*Result, error) {
	if c.ResponseSize < 1 || c.ResponseSize > 4<<20 {
		return nil, fmt.Errorf("close: response size %d out of range (1 B to 4 MiB)", c.ResponseSize)
	}
	if c.ReadDelay < 0 || (c.ReadDelay > 0 && c.ReadDelay <= p.RTT) {
		return nil, fmt.Errorf("close: read delay %v must exceed the RTT %v so the server's RST has arrived", c.ReadDelay, p.RTT)
	}
	r := NewResult(c, p, c.params())
	return runInLab(ctx, c, p, r, labRun[[]*closeRun]{
		drive: c.driveModes,
		// Let the last ACKs and any late RST reach the capture.
		settle: p.RTT + 20*time.Millisecond,
		verdict: func(b *Bench, runs []*closeRun, pkts []capture.Packet) {
			segs, _ := analyze.Decode(Frames(pkts))
			flows := analyze.Flows(segs)
			for _, run := range runs {
				run.wire = observeClose(flows, run)
				annotateClose(pkts, run)
			}
			c.check(r, p, runs, linkDrops(b))
		},
	})
}

// driveModes runs the close modes one after the other, each on its own
// connection and server port.
func (c *Close) driveModes(ctx context.Context, b *Bench, p Plan) ([]*closeRun, error) {
	runs := make([]*closeRun, 0, len(closeModes))
	for _, m := range closeModes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		run, err := c.drive(ctx, b, p, m.name, m.port)
		if err != nil {
			return nil, fmt.Errorf("close: %s: %w", m.name, err)
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// linkDrops is the number of packets the lab's links dropped, both ways.
func linkDrops(b *Bench) int {
	n := 0
	for _, l := range b.Links {
		for _, d := range l.Stats().Dirs() {
			n += int(d.DroppedQueue + d.DroppedLoss)
		}
	}
	return n
}
