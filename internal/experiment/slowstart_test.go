package experiment

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/sockopt"
)

// TestSlowStartVerdicts runs the experiment at two settings of the brief —
// a short RTT on a fast link and a long RTT on a slower one, cubic — and
// reno once, and requires every check to pass, the pictures to be written
// and the annotated capture to read in tshark.
func TestSlowStartVerdicts(t *testing.T) {
	labtest.RequirePriv(t)
	cases := []struct {
		name string
		rtt  time.Duration
		rate int64
		cc   string
	}{
		{"20ms-50mbit-cubic", 20 * time.Millisecond, 50_000_000, "cubic"},
		{"100ms-20mbit-cubic", 100 * time.Millisecond, 20_000_000, "cubic"},
		{"20ms-default-reno", 20 * time.Millisecond, 0, "reno"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireVerdicts(t, func() (Experiment, Plan) {
				p := planAt(tc.rtt)
				p.RateBps, p.CC = tc.rate, tc.cc
				return NewSlowStart(), p
			}, "initial window", func(t *testing.T, _ Experiment, _ Plan, res *Result) {
				logResult(t, res)
				if got := res.Metrics["iw_segments"]; got != 10 {
					t.Errorf("iw_segments = %v, want 10", got)
				}
				if tc.rate == 0 && res.Metrics["rate_bps"] != 50e6 {
					t.Errorf("rate_bps = %v, want the 50 Mbit/s default", res.Metrics["rate_bps"])
				}
				for _, a := range []string{"tseq_svg", "cwnd_svg"} {
					path := res.Artifacts[a]
					if path == "" {
						t.Errorf("no %s artifact", a)
						continue
					}
					if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "<svg") {
						t.Errorf("artifact %s (%s) unreadable: %v", a, path, err)
					}
				}
			})
		})
	}
}

func logResult(t *testing.T, r *Result) {
	t.Helper()
	t.Logf("model: %s", r.Model)
	for _, c := range r.Checks {
		t.Logf("%v %s: expected %s; observed %s", c.Pass, c.Name, c.Expected, c.Observed)
	}
	for _, f := range r.Findings {
		t.Logf("finding: %s", f)
	}
	for _, k := range r.MetricNames() {
		t.Logf("  %s = %g", k, r.Metrics[k])
	}
}

func TestSSAutoSegments(t *testing.T) {
	tests := []struct {
		rtt          time.Duration
		rate         int64
		segs, rounds int
		queue        int
	}{
		{40 * time.Millisecond, 50e6, 310, 5, 1000},    // BDP 166.7: 160 fits
		{20 * time.Millisecond, 50e6, 150, 4, 1000},    // BDP 83.3: 80 fits
		{100 * time.Millisecond, 20e6, 310, 5, 1000},   // BDP 166.7
		{5 * time.Millisecond, 10e6, 70, 3, 1000},      // BDP 4.2: the minimum
		{300 * time.Millisecond, 100e6, 630, 6, 1000},  // BDP 2500: 1270 would overflow the queue
		{300 * time.Millisecond, 100e6, 1270, 7, 5000}, // a deep queue: the round cap
		{40 * time.Millisecond, 50e6, 70, 3, 30},       // a shallow queue: the minimum
	}
	for _, tc := range tests {
		p := ssPath{RTT: tc.rtt, RateBps: tc.rate, Queue: tc.queue, MSS: 1448}
		segs, rounds := ssAutoSegments(p)
		if segs != tc.segs || rounds != tc.rounds {
			t.Errorf("%v %d bit/s (BDP %.1f): got %d segments in %d rounds, want %d in %d",
				tc.rtt, tc.rate, p.bdp(), segs, rounds, tc.segs, tc.rounds)
		}
	}
}

func TestSSSimulateSlowStart(t *testing.T) {
	p := ssPath{RTT: 100 * time.Millisecond, RateBps: 1e9, Queue: 1000, MSS: 1448}
	sim := ssSimulate(p, 310, ssIW, math.Inf(1))
	want := []int{10, 20, 40, 80, 160}
	if ssInts(sim.Flights) != ssInts(want) {
		t.Fatalf("flights %v, want %v", sim.Flights, want)
	}
	if sim.EndCwnd != 320 {
		t.Errorf("end cwnd %v, want 320 (10 + one per ACKed segment)", sim.EndCwnd)
	}
	// Five rounds: four full RTTs, then the last round's serialisation and
	// half an RTT of flight.
	if d := sim.Done; d < 450*time.Millisecond || d > 460*time.Millisecond {
		t.Errorf("done after %v, want ≈ 452 ms", d)
	}
	if sim.LossAt != -1 {
		t.Errorf("loss at %d on an unloaded gigabit link", sim.LossAt)
	}

	// A warm start with cwnd above the transfer: one round.
	if warm := ssSimulate(p, 310, 320, math.Inf(1)); len(warm.Flights) != 1 || warm.Flights[0] != 310 {
		t.Errorf("warm flights %v, want [310]", warm.Flights)
	}
}

func TestSSSimulateBottleneck(t *testing.T) {
	// 5 ms at 10 Mbit/s: BDP ≈ 4 segments; the queue fills while reno keeps
	// doubling, and a 30-packet queue overflows.
	p := ssPath{RTT: 5 * time.Millisecond, RateBps: 10e6, Queue: 30, MSS: 1448}
	sim := ssSimulate(p, 300, ssIW, math.Inf(1))
	if sim.LossAt < 0 {
		t.Errorf("no loss predicted with a 30-packet queue (max queue %d)", sim.MaxQueue)
	}
	if len(sim.Flights) < 3 || sim.Flights[1] != 20 {
		t.Errorf("flights %v: reno should still double through the queue", sim.Flights)
	}
	// Bandwidth bound: 300 packets of 1500 bytes at 10 Mbit/s take 360 ms.
	if sim.Done < 360*time.Millisecond {
		t.Errorf("done after %v, faster than the link", sim.Done)
	}
	// Slow start capped at 16 segments: the rest goes at about one window
	// per round.
	capped := ssSimulate(p, 300, ssIW, 16)
	if len(capped.Flights) <= len(sim.Flights) {
		t.Errorf("capped flights %v not more rounds than uncapped %v", capped.Flights, sim.Flights)
	}
}

func TestSSDoublingRounds(t *testing.T) {
	tests := []struct {
		model []int
		limit float64
		want  string
	}{
		{[]int{10, 20, 40, 80, 160}, 166.7, "2, 3, 4, 5"},
		{[]int{10, 20, 40, 80, 160}, 83.3, "2, 3, 4"},
		{[]int{10, 20, 40, 80, 55}, 1000, "2, 3, 4"}, // last round partial
		{[]int{10, 20}, 4.2, ""},
		{[]int{10}, 1000, ""},
	}
	for _, tc := range tests {
		if got := ssInts(ssDoublingRounds(tc.model, tc.limit)); got != tc.want {
			t.Errorf("ssDoublingRounds(%v, %v) = %q, want %q", tc.model, tc.limit, got, tc.want)
		}
	}
}

func TestSSRestartCwnd(t *testing.T) {
	rto := 240 * time.Millisecond
	tests := []struct {
		cwnd uint32
		idle time.Duration
		want uint32
	}{
		{320, 200 * time.Millisecond, 320}, // not idle long enough
		{320, 300 * time.Millisecond, 160}, // one halving
		{320, 500 * time.Millisecond, 80},  // two
		{320, 5 * rto, 20},
		{320, ssIdleFor(320, rto), 10},
		{630, ssIdleFor(630, rto), 10},
		{12, ssIdleFor(12, rto), 10},
		{6, 10 * rto, 6}, // below IW: restart at min(IW, cwnd)
	}
	for _, tc := range tests {
		if got := ssRestartCwnd(tc.cwnd, tc.idle, rto); got != tc.want {
			t.Errorf("ssRestartCwnd(%d, %v) = %d, want %d", tc.cwnd, tc.idle, got, tc.want)
		}
	}
	if d := ssIdleFor(320, rto); d <= 5*rto || d > 6*rto {
		t.Errorf("ssIdleFor(320) = %v: want more than the 5 RTOs five halvings need, less than 6", d)
	}
}

func TestSSRoundsRange(t *testing.T) {
	p := ssPath{RTT: 40 * time.Millisecond, RateBps: 50e6, Queue: 1000, MSS: 1448}
	// Reno has no early exit: one answer.
	lo, hi := ssExitRange(p, "reno")
	if a, b := ssRoundsRange(p, 310, lo, hi); a != 5 || b != 5 {
		t.Errorf("reno: rounds %d–%d, want 5", a, b)
	}
	// Far beyond the BDP, where HyStart ends slow start matters: a range.
	lo, hi = ssExitRange(p, "cubic")
	a, b := ssRoundsRange(p, 3000, lo, hi)
	if a >= b || a < 10 {
		t.Errorf("cubic: rounds %d–%d for 3000 segments: want a range of more than 10", a, b)
	}
}

// TestSSChecksCanFail feeds the checks wire and kernel records that break
// the model and requires them to fail, and good ones to pass.
func TestSSChecksCanFail(t *testing.T) {
	p := DefaultPlan()
	m := ssModelView{doubling: []int{2, 3}, cold: ssSim{Flights: []int{10, 20, 40}}, clean: 100}
	for _, tc := range []struct {
		flights []int
		pass    bool
	}{
		{[]int{10, 20, 40}, true},
		{[]int{10, 20, 38}, true},  // ×1.9
		{[]int{10, 20, 25}, false}, // a round split by a stall
		{[]int{10, 20}, false},     // a round missing
	} {
		r := &Result{}
		(&SlowStart{}).checkDoubling(r, p, m, ssWirePhase{found: true, flights: tc.flights})
		if len(r.Checks) != 1 || r.Checks[0].Pass != tc.pass {
			t.Errorf("flights %v: checks %+v, want one with pass=%v", tc.flights, r.Checks, tc.pass)
		}
	}

	info := func(rwnd, busy time.Duration) *sockopt.TCPInfo {
		return &sockopt.TCPInfo{RwndLimited: rwnd, BusyTime: busy}
	}
	run := &ssRun{phases: []*ssPhase{
		{ssPhaseSpec: ssPhaseSpec{name: "cold"}, atWrite: info(0, 0), end: info(24*time.Millisecond, 100*time.Millisecond)},
	}}
	r := &Result{}
	(&SlowStart{}).checkCwndLimited(r, run)
	if len(r.Checks) != 1 || r.Checks[0].Pass {
		t.Errorf("24 ms limited by the receiver's window passed: %+v", r.Checks)
	}
	run.phases[0].end = info(0, 100*time.Millisecond)
	r = &Result{}
	(&SlowStart{}).checkCwndLimited(r, run)
	if len(r.Checks) != 1 || !r.Checks[0].Pass {
		t.Errorf("a cwnd-limited transfer failed: %+v", r.Checks)
	}
}
