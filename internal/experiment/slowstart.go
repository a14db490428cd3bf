package experiment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
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
	var (
		b      *Bench
		run    *ssRun
		pkts   []capture.Packet
		cstats capture.Stats
		late   time.Duration
		missed []string
	)
	limit := ssLateLimit(p.RTT)
	began := time.Now()
	for attempt := 1; ; attempt++ {
		var err error
		start := time.Now()
		b, run, pkts, cstats, err = s.attempt(ctx, p, size)
		if err != nil {
			return nil, err
		}
		late = ssLinkLate(b)
		budgetLeft := time.Since(began)+time.Since(start) <= ssRetryBudget
		if late <= limit || attempt == ssAttempts || !budgetLeft {
			r.Metric("attempts", float64(attempt))
			break
		}
		missed = append(missed, fmt.Sprintf("%.1f ms", ms(late)))
		b.Close()
	}
	defer b.Close()
	if len(missed) > 0 {
		r.Finding("The link emulator delivered packets up to %s late in %d earlier attempt(s) (this experiment tolerates %.1f ms: a stall of the relay splits or merges round trips); those runs were discarded.",
			strings.Join(missed, ", "), len(missed), ms(limit))
	}
	if late > limit {
		r.Finding("The link emulator was still %.1f ms late in this run (more than the %.1f ms tolerated): the machine is too busy for the relay, and round or timing checks may fail for that reason.", ms(late), ms(limit))
	}
	b.Record(r, cstats.KernelDrops)
	if len(b.Links) > 0 {
		st := b.Links[0].Stats()
		r.Metric("link_late_max_ms", ms(late))
		r.Metric("link_rev_late_p99_ms", ms(st.Reverse.LateP99))
	}
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

// ssAttempts is how many times the experiment runs before it accepts a run
// in which the link emulator fell behind; it stops repeating once another
// attempt would end after ssRetryBudget.
const (
	ssAttempts    = 3
	ssRetryBudget = 40 * time.Second
)

// ssLateLimit is how late the emulator may deliver a packet before a run is
// repeated: a stall of RTT/2 splits a round, and the timing checks allow a
// quarter of an RTT.
func ssLateLimit(rtt time.Duration) time.Duration { return max(5*time.Millisecond, rtt/8) }

// ssLinkLate is the latest the emulator delivered a packet, either way.
func ssLinkLate(b *Bench) time.Duration {
	var late time.Duration
	for _, l := range b.Links {
		st := l.Stats()
		late = max(late, st.Forward.LateMax, st.Reverse.LateMax)
	}
	return late
}

// attempt builds the lab and runs the four transfers once, with the
// capture on. The caller closes the bench.
func (s *SlowStart) attempt(ctx context.Context, p Plan, size int) (*Bench, *ssRun, []capture.Packet, capture.Stats, error) {
	b, err := Setup(ctx, s.Name(), p, netlab.ClientServer, ssSysctls)
	if err != nil {
		return nil, nil, nil, capture.Stats{}, err
	}
	fail := func(err error) (*Bench, *ssRun, []capture.Packet, capture.Stats, error) {
		b.Close()
		return nil, nil, nil, capture.Stats{}, err
	}
	// The sender is the server: capture where its segments leave and its
	// ACKs arrive, so rounds follow its ACK clock. This is the capture the
	// pcapng keeps.
	if err := b.Capture(b.Server, b.ServerIf); err != nil {
		return fail(err)
	}
	// A second capture at the receiver times each transfer as the client's
	// network sees it: request out → last byte in, in kernel timestamps
	// that neither the scheduler nor the receiver's delayed ACK can stretch.
	rx, err := openCapture(b.Client, b.ClientIf)
	if err != nil {
		return fail(err)
	}
	run, err := s.drive(ctx, b, p, size)
	rxPkts, _, rxErr := rx.Stop()
	if err != nil {
		return fail(err)
	}
	if rxErr != nil {
		return fail(fmt.Errorf("capture at the receiver: %w", rxErr))
	}
	run.rxPkts = rxPkts
	pkts, cstats, err := b.StopCaptures()
	if err != nil {
		return fail(err)
	}
	return b, run, pkts, cstats, nil
}

// ssSysctls are set in both namespaces of the lab (defaults here: tcp_wmem
// 4096 16384 4194304, tcp_rmem 4096 131072 33554432).
//
// tcp_wmem's initial value is 16 MiB, so the sender's one write puts the
// whole response into the socket at once: the kernel always has data to
// send and the sender stays cwnd-limited (with the default 16 KiB the
// write trickles in as ACKs free space, and a late wake-up of the writer
// leaves the sender application-limited, which freezes cwnd).
//
// tcp_rmem's initial value is 4 MiB: with the default 128 KiB the receiver's
// window limits the fourth round (80 segments) before autotuning catches up,
// which the sender sees as tcpi_rwnd_limited. Autotuning still runs in
// both directions.
var ssSysctls = map[string]string{
	"net.ipv4.tcp_slow_start_after_idle": "1",
	"net.ipv4.tcp_wmem":                  "4096 16777216 33554432",
	"net.ipv4.tcp_rmem":                  "4096 4194304 33554432",
}
