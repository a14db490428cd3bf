package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
)

func init() { Register(20, func() Experiment { return NewHandshake() }) }

// Handshake measures what one HTTP transaction on a fresh connection costs
// (§4.2): connection setup, request, server processing, response — and how
// much of it is the TCP handshake (claims C2, C4, C5, and C7 for the larger
// responses).
type Handshake struct {
	Sizes       []int         // response body sizes, smallest first
	ServerDelay time.Duration // the server's processing time per request
	Repeats     int           // fresh connections per size
}

// NewHandshake returns the experiment with its default parameters.
func NewHandshake() *Handshake {
	return &Handshake{Sizes: []int{100, 10_000, 100_000}, ServerDelay: time.Millisecond, Repeats: 3}
}

func (h *Handshake) Name() string    { return "handshake" }
func (h *Handshake) Section() string { return "4.2" }
func (h *Handshake) Title() string {
	return "what an HTTP transaction costs, and the TCP handshake's share of it"
}

func (h *Handshake) params() map[string]any {
	return map[string]any{"sizes": h.Sizes, "server_delay_ms": ms(h.ServerDelay), "repeats": h.Repeats}
}

// Run builds a client⇄server lab, runs Repeats transactions per size, each
// on a new connection, and checks the clocks, the wire and TCP_INFO against
// the model.
func (h *Handshake) Run(ctx context.Context, p Plan) (*Result, error) {
	if len(h.Sizes) == 0 || h.Repeats < 1 {
		return nil, fmt.Errorf("handshake: need at least one size and one repeat")
	}
	r := NewResult(h, p, h.params())
	return runInLab(ctx, h, p, r, labRun[[]transaction]{
		drive: h.drive,
		verdict: func(_ *Bench, txs []transaction, pkts []capture.Packet) {
			h.check(r, p, txs, h.observeWire(txs, pkts))
		},
	})
}
