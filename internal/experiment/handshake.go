package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
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
	b, err := Setup(ctx, h.Name(), p, netlab.ClientServer, nil)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.Capture(b.Client, b.ClientIf); err != nil {
		return nil, err
	}
	txs, err := h.drive(ctx, b, p)
	if err != nil {
		return nil, err
	}
	pkts, cstats, err := b.StopCaptures()
	if err != nil {
		return nil, err
	}
	b.RecordEnv(r)
	b.RecordLinkStats(r)
	r.Metric("capture_kernel_drops", float64(cstats.KernelDrops))
	w := h.observeWire(txs, pkts)
	h.check(r, p, txs, w)
	if err := WritePcap(r, p.PcapPath(h.Name()), pkts); err != nil {
		return nil, err
	}
	return r.Finish(), nil
}
