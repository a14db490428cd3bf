package experiment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/peer"
)

func init() { Register(80, func() Experiment { return NewPageLoad() }) }

// PageLoad loads a page — one HTML document that references Objects
// objects on the same server — in the five ways of §4.3–4.6: serial with a
// new connection per resource, Parallel new connections at once, one
// persistent connection, Parallel persistent connections, and one pipelined
// persistent connection. It does so twice: on a link without a rate limit,
// where the round trips dominate, and on a slow link with larger objects,
// where the link's bandwidth dominates (claims C15–C21, C28–C30).
type PageLoad struct {
	Objects  int // objects the document references
	Size     int // bytes per object in the latency-bound round
	Parallel int // connections at once in the parallel strategies
	// Repeats is the number of loads per strategy and round; the timing
	// checks read the fastest, the others are checked for their structure.
	// 0 picks by RTT, since a busy machine's scheduling delays of a few
	// milliseconds matter most where round trips are short: in the
	// latency-bound round 3 below 50 ms, 2 below 100 ms, else 1; in the
	// bandwidth-bound round 2 below 100 ms, else 1.
	Repeats int

	// BandwidthRate is the link rate of the bandwidth-bound round in bit/s,
	// used when the plan sets no rate (--rate overrides it).
	BandwidthRate int64
	// BandwidthSize is the bytes per object of the bandwidth-bound round;
	// 0 picks enough for one object to take two RTTs at the link rate
	// (at least 32 KiB), so the link, not the latency, is the bottleneck.
	BandwidthSize int
}

// NewPageLoad returns the experiment with its default parameters.
func NewPageLoad() *PageLoad {
	return &PageLoad{Objects: 8, Size: 2048, Parallel: 4, BandwidthRate: 2_000_000}
}

// repeats is the number of loads per strategy in a round under plan p.
func (pl *PageLoad) repeats(p Plan, round string) int {
	switch {
	case pl.Repeats > 0:
		return pl.Repeats
	case round == plLatency && p.RTT < 50*time.Millisecond:
		return 3
	case p.RTT < 100*time.Millisecond:
		return 2
	}
	return 1
}

func (pl *PageLoad) Name() string    { return "pageload" }
func (pl *PageLoad) Section() string { return "4.3–4.6" }
func (pl *PageLoad) Title() string {
	return "loading a page: serial, parallel, persistent, persistent+parallel and pipelined connections"
}

// strategies returns the five ways to load the page, in the order they run.
func (pl *PageLoad) strategies() []peer.Strategy {
	return []peer.Strategy{
		{Mode: peer.SerialNew},
		{Mode: peer.ParallelNew, Conns: pl.Parallel},
		{Mode: peer.PersistentSerial},
		{Mode: peer.PersistentParallel, Conns: pl.Parallel},
		{Mode: peer.Pipelined},
	}
}

// plKey is a strategy's name in metric and artifact names.
func plKey(m peer.Mode) string { return strings.ReplaceAll(m.String(), "-", "_") }

// Rounds of the experiment.
const (
	plLatency   = "latency"
	plBandwidth = "bandwidth"
)

// plRoundSpec is one round's link and page.
type plRoundSpec struct {
	name    string
	rateBps int64
	size    int
}

// rounds returns the two rounds under plan p.
func (pl *PageLoad) rounds(p Plan) []plRoundSpec {
	rate := pl.BandwidthRate
	if p.RateBps > 0 {
		rate = p.RateBps
	}
	size := pl.BandwidthSize
	if size == 0 {
		size = plAutoSize(p.RTT, rate)
	}
	return []plRoundSpec{{plLatency, 0, pl.Size}, {plBandwidth, rate, size}}
}

// plAutoSize is the object size of the bandwidth-bound round: two RTTs'
// worth of bytes at the link rate, rounded up to 8 KiB, at least 32 KiB.
func plAutoSize(rtt time.Duration, rate int64) int {
	n := int(2 * rtt.Seconds() * float64(rate) / 8)
	n = (n + 8191) / 8192 * 8192
	return max(n, 32<<10)
}

func (pl *PageLoad) params(p Plan) map[string]any {
	rs := pl.rounds(p)
	return map[string]any{
		"objects":                pl.Objects,
		"object_bytes":           pl.Size,
		"parallel":               pl.Parallel,
		"latency_repeats":        pl.repeats(p, plLatency),
		"bandwidth_repeats":      pl.repeats(p, plBandwidth),
		"latency_round_rate_bps": 0,
		"bandwidth_rate_bps":     rs[1].rateBps,
		"bandwidth_object_bytes": rs[1].size,
	}
}

// Validate rejects parameters the experiment cannot honour under any plan;
// its errors name the command-line flag of the parameter.
func (pl *PageLoad) Validate() error {
	switch {
	case pl.Objects < 2 || pl.Objects > 64:
		return fmt.Errorf("--objects %d out of range (2 to 64)", pl.Objects)
	case pl.Size < 1 || pl.Size > 1<<20:
		return fmt.Errorf("--size %d out of range (1 B to 1 MiB)", pl.Size)
	case pl.Parallel < 2 || pl.Parallel > 16:
		return fmt.Errorf("--parallel %d out of range (2 to 16)", pl.Parallel)
	case pl.Repeats < 0 || pl.Repeats > 5:
		return fmt.Errorf("--repeats %d out of range (1 to 5, or 0 for automatic)", pl.Repeats)
	case pl.BandwidthRate < 100_000 || pl.BandwidthRate > 100_000_000:
		return fmt.Errorf("--bw-rate %d bit/s out of range (100kbit to 100mbit)", pl.BandwidthRate)
	case pl.BandwidthSize != 0 && (pl.BandwidthSize < 1024 || pl.BandwidthSize > 8<<20):
		return fmt.Errorf("--bw-size %d out of range (1 KiB to 8 MiB, or 0 for automatic)", pl.BandwidthSize)
	}
	return nil
}

// validate is Validate, then the limits plan p sets.
func (pl *PageLoad) validate(p Plan) error {
	if err := pl.Validate(); err != nil {
		return fmt.Errorf("pageload: %w", err)
	}
	switch {
	case p.RTT < 2*time.Millisecond || p.RTT > time.Second:
		return fmt.Errorf("pageload: --rtt %v out of range (2ms to 1s): the strategies differ by round trips", p.RTT)
	case p.Loss > 0:
		return fmt.Errorf("pageload: --loss must be 0: the model counts round trips and bytes, not retransmissions")
	case p.RateBps > 100_000_000:
		return fmt.Errorf("pageload: --rate %d bit/s sets the bandwidth-bound round and must be at most 100 Mbit/s", p.RateBps)
	}
	bw := pl.rounds(p)[1]
	if page := pl.Objects * bw.size; page > 32<<20 {
		return fmt.Errorf("pageload: the bandwidth-bound round would move %d MiB; lower --rate, --rtt or --objects", page>>20)
	}
	mp := pl.modelParams(peer.Strategy{Mode: peer.PersistentParallel, Conns: pl.Parallel}, bw, p.RTT)
	if share := mp.transferTime().Seconds() / pageloadModel(mp).total.Seconds(); share < 0.5 {
		return fmt.Errorf("pageload: with %d-byte objects at %d bit/s the link carries the page in %.0f%% of the "+
			"best load time: not bandwidth-bound; raise --bw-size or lower --rate", bw.size, bw.rateBps, 100*share)
	}
	return nil
}

// Run loads the page with every strategy in two labs — the plan's RTT
// without a rate limit, then the same RTT at the bandwidth-bound round's
// rate — with a capture on the client's link, and checks the clocks, the
// wire and the peers' records against the model.
func (pl *PageLoad) Run(ctx context.Context, p Plan) (*Result, error) {
	if err := pl.validate(p); err != nil {
		return nil, err
	}
	r := NewResult(pl, p, pl.params(p))
	var rounds []*plRound
	for i, spec := range pl.rounds(p) {
		rd, err := pl.runRound(ctx, p, spec, r, i == 0)
		if err != nil {
			return nil, err
		}
		rounds = append(rounds, rd)
	}
	pl.check(r, p, rounds)
	if err := pl.plot(r, p, rounds); err != nil {
		return nil, err
	}
	if err := WritePcap(r, p.PcapPath(pl.Name()), rounds[0].pkts); err != nil {
		return nil, err
	}
	path := plSecondPcap(p.PcapPath(pl.Name()))
	if err := WritePcap(r, path, rounds[1].pkts); err != nil {
		return nil, err
	}
	r.Artifacts["pcap"] = p.PcapPath(pl.Name())
	r.Artifacts["pcap_bandwidth"] = path
	return r.Finish(), nil
}

// plSecondPcap names the bandwidth-bound round's capture after the first
// one: out/pageload.pcapng → out/pageload-bandwidth.pcapng.
func plSecondPcap(first string) string {
	if i := strings.LastIndex(first, "."); i > strings.LastIndex(first, "/") {
		return first[:i] + "-" + plBandwidth + first[i:]
	}
	return first + "-" + plBandwidth
}
