package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
)

func init() { Register(40, func() Experiment { return NewSlowStart() }) }

// SlowStart shows the congestion window at work (§4.2, claim C7): a cold
// connection starts with an initial window of 10 segments that doubles
// every round trip, the same connection transfers faster once warm, and
// after an idle period longer than the RTO Linux restarts the window from
// the initial one unless tcp_slow_start_after_idle is 0 (or the congestion
// control is BBR).
//
// One connection carries four transfers of Size bytes from the server to
// the client: cold (just after the handshake), warm (right after the cold
// one), idle (after an idle period, tcp_slow_start_after_idle=1) and
// idle_noss (after the same kind of idle period, tcp_slow_start_after_idle=0
// on the sender). The wire gives the segments per round trip; TCP_INFO on
// the sender, sampled every SampleEvery, gives cwnd, ssthresh, RTT and the
// delivery rate.
type SlowStart struct {
	// Size is the bytes of each transfer; 0 picks whole rounds of slow
	// start that fit the link (see ssAutoSegments).
	Size int
	// SampleEvery is the TCP_INFO sampling period on the sender.
	SampleEvery time.Duration
	// DefaultRateBps is the link rate used when the plan's rate is 0
	// (unlimited): slow start needs a bottleneck to stop against.
	DefaultRateBps int64
}

// NewSlowStart returns the experiment with its default parameters.
func NewSlowStart() *SlowStart {
	return &SlowStart{SampleEvery: 2 * time.Millisecond, DefaultRateBps: 50_000_000}
}

func (s *SlowStart) Name() string    { return "slowstart" }
func (s *SlowStart) Section() string { return "4.2" }
func (s *SlowStart) Title() string {
	return "slow start: the congestion window doubles per round trip, warm connections are faster, idle ones start over"
}

func (s *SlowStart) params(size int, auto, defRate bool) map[string]any {
	return map[string]any{
		"size_bytes":        size,
		"size_auto":         auto,
		"sample_ms":         ms(s.SampleEvery),
		"default_rate_used": defRate,
	}
}

// Run builds a client⇄server lab on a rate-limited link, runs the four
// transfers on one connection, and checks the wire and the sender's
// TCP_INFO against the slow-start model.
func (s *SlowStart) Run(ctx context.Context, p Plan) (*Result, error) {
	if s.Size < 0 || s.Size > 64<<20 {
		return nil, fmt.Errorf("slowstart: size %d out of range (0 = auto, up to 64 MiB)", s.Size)
	}
	if s.SampleEvery <= 0 {
		return nil, fmt.Errorf("slowstart: sampling period must be positive")
	}
	defRate := p.RateBps == 0
	if defRate {
		p.RateBps = s.DefaultRateBps
	}
	path := ssPath{RTT: p.RTT, RateBps: p.RateBps, Queue: p.Queue, MSS: ssDefaultMSS}
	size, auto := s.Size, s.Size == 0
	if auto {
		segs, _ := ssAutoSegments(path)
		size = segs * ssDefaultMSS
	}
	r := NewResult(s, p, s.params(size, auto, defRate))
	b, err := Setup(ctx, s.Name(), p, netlab.ClientServer, ssSysctls)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	// The sender is the server: capture where its segments leave and its
	// ACKs arrive, so rounds follow its ACK clock.
	if err := b.Capture(b.Server, b.ServerIf); err != nil {
		return nil, err
	}
	run, err := s.drive(ctx, b, p, size)
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
	w := ssObserve(run, pkts)
	notes := s.check(r, p, path, run, w, defRate, auto)
	w.annotate(pkts, run, notes)
	if err := s.plot(r, p, run, w); err != nil {
		return nil, err
	}
	if err := WritePcap(r, p.PcapPath(s.Name()), pkts); err != nil {
		return nil, err
	}
	return r.Finish(), nil
}

// ssSysctls are set in both namespaces of the lab. tcp_wmem's maximum is
// raised so the sender's autotuned send buffer never limits a window of
// over a thousand segments; tcp_rmem's likewise for the receiver. The
// defaults (4096 16384 4194304 and 4096 131072 33554432 here) stay as they
// are otherwise: autotuning still runs.
var ssSysctls = map[string]string{
	"net.ipv4.tcp_slow_start_after_idle": "1",
	"net.ipv4.tcp_wmem":                  "4096 16384 33554432",
	"net.ipv4.tcp_rmem":                  "4096 4194304 33554432",
}
