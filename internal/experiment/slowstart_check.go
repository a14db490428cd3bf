package experiment

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// ssInfiniteSsthresh is TCP_INFINITE_SSTHRESH (include/net/tcp.h): the
// connection has not left slow start.
const ssInfiniteSsthresh = 0x7fffffff

// ssModelView is the model evaluated for this run.
type ssModelView struct {
	path       ssPath
	segs       int
	bdp        float64
	clean      float64 // largest flight that doubles cleanly for the CC
	exitLo     float64
	exitHi     float64
	cold       ssSim // loss-free slow start from IW, no exit
	nominal    ssSim // slow start from IW ending at the nominal exit
	doubling   []int // rounds checked for doubling
	roundsMin  int
	roundsMax  int
	coldMs     float64
	warmMs     float64
	fullSS     bool // the whole cold transfer stays in clean slow start
	idleMs     float64
	idleNossMs float64
	warmStart  uint32
	idleStart  uint32
	nossStart  uint32
	warmSsthr  uint32
	idleSsthr  uint32
	nossSsthr  uint32
}

// model evaluates the slow-start model for the run's path, size and the
// windows the kernel reported at each write.
func (s *SlowStart) model(p Plan, path ssPath, run *ssRun) ssModelView {
	m := ssModelView{path: path}
	m.segs = path.segments(run.size)
	m.bdp = path.bdp()
	m.clean = ssCleanLimit(path, p.CC)
	m.exitLo, m.exitHi = ssExitRange(path, p.CC)
	inf := math.Inf(1)
	m.cold = ssSimulate(path, m.segs, ssIW, inf)
	nominalExit := inf
	if p.CC != "reno" {
		nominalExit = math.Max(ssHystartLow, m.bdp)
	}
	m.nominal = ssSimulate(path, m.segs, ssIW, nominalExit)
	m.doubling = ssDoublingRounds(m.cold.Flights, m.clean)
	m.fullSS = m.cold.LossAt < 0
	for _, f := range m.cold.Flights {
		if float64(f) > m.clean {
			m.fullSS = false
		}
	}
	m.roundsMin, m.roundsMax = ssRoundsRange(path, m.segs, m.exitLo, m.exitHi)
	if m.fullSS {
		// Every flight stays within the clean limit: slow start cannot
		// end before the transfer does, wherever it would end.
		m.roundsMin, m.roundsMax = len(m.cold.Flights), len(m.cold.Flights)
	}
	half := ms(path.RTT) / 2
	m.coldMs = half + ms(m.nominal.Done)
	at := func(i int) (uint32, uint32) {
		if i < len(run.phases) && run.phases[i].atWrite != nil {
			return run.phases[i].atWrite.SndCwnd, run.phases[i].atWrite.SndSsthresh
		}
		return ssIW, ssInfiniteSsthresh
	}
	m.warmStart, m.warmSsthr = at(1)
	m.idleStart, m.idleSsthr = at(2)
	m.nossStart, m.nossSsthr = at(3)
	predict := func(w0, ssthr uint32) float64 {
		return half + ms(ssSimulate(path, m.segs, float64(w0), float64(ssthr)).Done)
	}
	m.warmMs = predict(m.warmStart, m.warmSsthr)
	m.idleMs = predict(m.idleStart, m.idleSsthr)
	m.idleNossMs = predict(m.nossStart, m.nossSsthr)
	return m
}

// check compares the wire and the sender's TCP_INFO with the model.
func (s *SlowStart) check(r *Result, p Plan, path ssPath, run *ssRun, w ssWire, defRate, auto bool) map[string][]string {
	if len(run.phases) > 0 && run.phases[0].atWrite != nil && run.phases[0].atWrite.SndMSS > 0 {
		path.MSS = int(run.phases[0].atWrite.SndMSS)
	}
	m := s.model(p, path, run)
	cold, warm, idle, noss := run.phases[0], run.phases[1], run.phases[2], run.phases[3]
	wp := func(i int) ssWirePhase {
		if i < len(w.phases) {
			return w.phases[i]
		}
		return ssWirePhase{}
	}
	wCold, wWarm, wIdle, wNoss := wp(0), wp(1), wp(2), wp(3)

	s.describe(r, p, m, run, defRate, auto)
	if m.cold.LossAt >= 0 && p.CC == "reno" {
		r.Finding("The model expects the cold transfer to overflow the %d-packet queue at segment %d (reno doubles until a loss); after it, loss recovery takes rounds the model does not count.", p.Queue, m.cold.LossAt+1)
	}
	if sim := ssSimulate(path, m.segs, float64(m.warmStart), float64(m.warmSsthr)); sim.LossAt >= 0 {
		r.Finding("The warm transfer leaves as one burst of up to %d segments at the sender's line rate, more than the %d-packet queue holds: the model expects tail drops from segment %d, which cost the warm connection part of its head start.", min(int(m.warmStart), m.segs), p.Queue, sim.LossAt+1)
	}
	s.metrics(r, p, m, run, w)

	// Initial window: the kernel's cwnd as the first byte was queued, and
	// the first round on the wire.
	wantIW := min(ssIW, m.segs)
	r.Check("initial-window",
		"C7: a new connection starts with a small congestion window — 10 segments on Linux (RFC 6928)",
		fmt.Sprintf("TCP_INFO cwnd = %d at the cold write; first round on the wire = %d segments", ssIW, wantIW),
		fmt.Sprintf("cwnd %d, first round %d segments", cold.atWrite.SndCwnd, wCold.flight(1)),
		cold.atWrite.SndCwnd == ssIW && wCold.flight(1) == wantIW)

	s.checkDoubling(r, p, m, wCold)
	s.checkKernelGrowth(r, p, m, run, wCold)

	rounds := len(wCold.flights)
	r.Check("cold-rounds",
		fmt.Sprintf("C7: a cold transfer of %d bytes needs the rounds slow start predicts", run.size),
		fmt.Sprintf("%s rounds ± 1 (model %s)", ssRangeText(m.roundsMin, m.roundsMax), ssInts(m.nominal.Flights)),
		fmt.Sprintf("%d rounds: %s", rounds, ssInts(wCold.flights)),
		wCold.found && rounds >= m.roundsMin-1 && rounds <= m.roundsMax+1)

	s.checkWarm(r, p, m, cold, warm, wCold, wWarm)
	s.checkIdle(r, p, m, run, w, idle, wIdle, noss, wNoss)
	s.checkCwndLimited(r, run)

	r.Explain("A new connection does not know the path, so it sends 10 segments and waits: every ACKed segment lets it send two more, so the flight doubles each round trip until the link, HyStart or a loss stops it.")
	r.Explain("The warm transfer starts with the window the cold one built and skips those rounds — that is why a persistent connection beats a new one even after the handshake.")
	r.Explain("After an idle period longer than the RTO Linux stops trusting that window (tcp_slow_start_after_idle=1, the default) and shrinks it towards 10 segments, so an idle keep-alive connection starts slow again; BBR, and the setting 0, keep it.")
	notes := s.roundNotes(m, run, w)
	r.Explain("slowstart-tseq.svg shows the cold transfer's staircase (one step per round trip) and slowstart-cwnd.svg cwnd in each phase; in the pcapng the first segment of every round carries a comment.")
	return notes
}

// roundNotes says, per phase and round, what the model expected there; the
// pcapng comments carry it.
func (s *SlowStart) roundNotes(m ssModelView, run *ssRun, w ssWire) map[string][]string {
	notes := map[string][]string{}
	for k, f := range m.cold.Flights {
		text := fmt.Sprintf("model %d", f)
		if k == 0 {
			text = "initial window (RFC 6928): model 10"
		}
		notes["cold"] = append(notes["cold"], text)
	}
	for i, ph := range run.phases {
		if i == 0 || ph.atWrite == nil {
			continue
		}
		text := fmt.Sprintf("TCP_INFO cwnd %d at the write", ph.atWrite.SndCwnd)
		if ph.idle && ph.before != nil && i-1 < len(w.phases) {
			text = fmt.Sprintf("after %.0f ms idle (RTO %.0f ms), tcp_slow_start_after_idle=%s: TCP_INFO cwnd %d → %d",
				ms(ph.writeAt.Sub(w.phases[i-1].lastData)), ms(ph.before.RTO), ph.ssai, ph.before.SndCwnd, ph.atWrite.SndCwnd)
		}
		notes[ph.name] = []string{text}
	}
	return notes
}

// checkDoubling checks the ratio of consecutive rounds where the model says
// slow start is clean.
func (s *SlowStart) checkDoubling(r *Result, p Plan, m ssModelView, wCold ssWirePhase) {
	if p.CC == "bbr" {
		var ratios []string
		for k := 2; k <= len(wCold.flights); k++ {
			ratios = append(ratios, fmt.Sprintf("×%.2f", float64(wCold.flights[k-1])/float64(wCold.flights[k-2])))
		}
		r.Finding("BBR has no slow start to check: its STARTUP paces at 2.89× the delivery rate it measures (net/ipv4/tcp_bbr.c bbr_high_gain), which also about doubles the data per round, but not by the ACK-counting rule — flights %s (%s).",
			ssInts(wCold.flights), strings.Join(ratios, " "))
		return
	}
	if len(m.doubling) == 0 {
		if m.segs < 3*ssIW {
			r.Finding("The transfer (%d segments) ends before a full second round (10 + 20 segments), so slow start has nothing to double; use a larger --size to see it. Flights seen: %s.", m.segs, ssInts(wCold.flights))
			return
		}
		r.Finding("No round of this transfer can double cleanly: the first flight that would (20 segments) exceeds %s (%.1f segments), so the link, not slow start, sets the pace. Flights seen: %s.",
			ssLimitText(p.CC), m.clean, ssInts(wCold.flights))
		return
	}
	ok := true
	var parts []string
	for _, k := range m.doubling {
		a, b := wCold.flight(k-1), wCold.flight(k)
		ratio := math.NaN()
		if a > 0 {
			ratio = float64(b) / float64(a)
		}
		if !(ratio >= 1.75 && ratio <= 2.25) {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("%d→%d ×%.2f", a, b, ratio))
	}
	r.Check("flights-double",
		"C7: in slow start the window doubles every round trip (10, 20, 40, … segments)",
		fmt.Sprintf("round k / round k−1 = 2 ± 0.25 for rounds %s (model flights %s, each ≤ %s = %.0f segments)",
			ssInts(m.doubling), ssInts(m.cold.Flights), ssLimitText(p.CC), m.clean),
		strings.Join(parts, ", "), ok)
}

// checkKernelGrowth checks the kernel's witness of slow start, sample by
// sample: while the cold transfer is in clean slow start, every TCP_INFO
// sample has cwnd = IW + the segments delivered since the write
// (tcpi_delivered), and ssthresh is still infinite. Clean means the ACKs of
// the rounds before the last doubling round (cubic, BBR: a later round's ACK
// train may trigger HyStart) or of every doubling round (reno).
func (s *SlowStart) checkKernelGrowth(r *Result, p Plan, m ssModelView, run *ssRun, wCold ssWirePhase) {
	exit := ssColdExit(run)
	if exit > 0 {
		r.Finding("Slow start ended during the cold transfer without waiting for loss: the kernel set ssthresh to %d segments (%s).", exit, ssExitCause(p.CC, wCold.retrans))
	}
	if p.CC == "bbr" {
		r.Finding("BBR has no ssthresh-driven slow start: its STARTUP paces at 2.89× the measured delivery rate and sets cwnd from its bandwidth-delay estimate (net/ipv4/tcp_bbr.c); cwnd after the cold transfer was %d.", m.warmStart)
		return
	}
	if len(m.doubling) == 0 {
		return
	}
	last := m.doubling[len(m.doubling)-1]
	upto := last - 1
	if p.CC == "reno" {
		upto = last
	}
	clean := 0
	for k := 0; k < upto && k < len(m.cold.Flights); k++ {
		clean += m.cold.Flights[k]
	}
	cold, next := run.phases[0], run.phases[1]
	n, exact, worst := 0, 0, 0
	infinite := true
	var examples []string
	lastShown := -1
	for _, sm := range run.samples {
		if sm.at.Before(cold.writeAt) || sm.at.After(next.reqRead) {
			continue
		}
		acked := int(sm.info.Delivered) - int(cold.atWrite.Delivered)
		if acked <= 0 || acked > clean {
			continue
		}
		n++
		dev := ssAbs(int(sm.info.SndCwnd) - ssIW - acked)
		worst = max(worst, dev)
		if dev == 0 {
			exact++
		}
		if sm.info.SndSsthresh < ssInfiniteSsthresh {
			infinite = false
		}
		if acked > lastShown && len(examples) < 6 && (lastShown < 0 || acked >= 2*lastShown) {
			examples = append(examples, fmt.Sprintf("%d→%d", acked, sm.info.SndCwnd))
			lastShown = acked
		}
	}
	// TCP_INFO is read while ACKs are processed, so a sample can fall
	// between one ACK's tcpi_delivered and its cwnd update: one delayed
	// ACK, two segments.
	r.Check("kernel-cwnd-grows-per-ack",
		"C7: slow start opens the window by one segment per ACKed segment (RFC 5681 §3.1), which doubles it per round — the kernel's own count",
		fmt.Sprintf("every TCP_INFO sample of the cold transfer up to %d segments delivered (the ACKs of rounds 1–%d): cwnd = 10 + delivered (± 2, one delayed ACK caught mid-update), ssthresh infinite; at least one such sample", clean, upto),
		fmt.Sprintf("%d samples (%d exact), largest deviation %d, ssthresh %s; delivered→cwnd %s", n, exact, worst, map[bool]string{true: "infinite", false: "finite"}[infinite], strings.Join(examples, ", ")),
		n >= 1 && worst <= 2 && infinite)
}

// checkWarm checks that the warm transfer skips slow start's rounds. Times
// are the receiver's wire times (request out → last byte in, from the
// capture at the client), which no goroutine's scheduling can stretch; the
// model's are the same span.
func (s *SlowStart) checkWarm(r *Result, p Plan, m ssModelView, cold, warm *ssPhase, wCold, wWarm ssWirePhase) {
	coldMs, warmMs := ms(wCold.duration()), ms(wWarm.duration())
	clock := fmt.Sprintf(" (client's clock, request → last byte: %.1f and %.1f ms)", ms(cold.elapsed()), ms(warm.elapsed()))
	saving := m.coldMs - m.warmMs
	first := wWarm.flight(1)
	wantFirst := min(int(m.warmStart), m.segs)
	firstOK := first >= wantFirst-max(2, wantFirst/50)
	found := coldMs > 0 && warmMs > 0
	if saving >= math.Max(ms(p.RTT)/2, 2) {
		r.Check("warm-faster",
			"C7: a warm connection is already tuned and transfers faster than a new one",
			fmt.Sprintf("warm starts with cwnd %d: first round %d segments, and saves ≥ half the model's %.1f ms (cold %.1f ms, warm %.1f ms on the wire)",
				m.warmStart, wantFirst, saving, m.coldMs, m.warmMs),
			fmt.Sprintf("first round %d segments; cold %.1f ms, warm %.1f ms on the wire: saved %.1f ms%s", first, coldMs, warmMs, coldMs-warmMs, clock),
			found && firstOK && coldMs-warmMs >= saving/2)
		return
	}
	tol := math.Max(2, 0.1*coldMs)
	if m.segs <= ssIW {
		r.Finding("The transfer (%d segments) fits in the initial window, so a warm window cannot help: the model expects the warm transfer to save %.1f ms.", m.segs, saving)
	} else {
		r.Finding("On this path the initial window already nearly fills the link (BDP %.1f segments), so the model expects the warm transfer to save only %.1f ms.", m.bdp, saving)
	}
	r.Check("warm-faster",
		"C7: a warm connection is already tuned and transfers faster than a new one",
		fmt.Sprintf("warm starts with cwnd %d (first round %d segments) and is not slower than cold + %.1f ms on the wire (model saving %.1f ms)", m.warmStart, wantFirst, tol, saving),
		fmt.Sprintf("first round %d segments; cold %.1f ms, warm %.1f ms on the wire%s", first, coldMs, warmMs, clock),
		found && firstOK && warmMs <= coldMs+tol)
}

// checkIdle checks the restart after idle, with the sysctl at 1 and at 0.
func (s *SlowStart) checkIdle(r *Result, p Plan, m ssModelView, run *ssRun, w ssWire, idle *ssPhase, wIdle ssWirePhase, noss *ssPhase, wNoss ssWirePhase) {
	idleGap := func(i int) time.Duration {
		ph := run.phases[i]
		if i == 0 || i-1 >= len(w.phases) || !w.phases[i-1].found {
			return 0
		}
		return ph.writeAt.Sub(w.phases[i-1].lastData)
	}
	gap1, gap0 := idleGap(2), idleGap(3)
	rto1, rto0 := idle.before.RTO, noss.before.RTO
	before1, after1 := idle.before.SndCwnd, idle.atWrite.SndCwnd
	before0, after0 := noss.before.SndCwnd, noss.atWrite.SndCwnd

	want1 := ssRestartCwnd(before1, gap1, rto1)
	if p.CC == "bbr" {
		want1 = before1
		r.Finding("Under BBR the idle restart does not happen even with tcp_slow_start_after_idle=1: Linux skips tcp_cwnd_restart for a congestion control with its own cong_control (include/net/tcp.h tcp_slow_start_after_idle_check), and BBR instead resumes by pacing at its bandwidth estimate (bbr_cwnd_event). cwnd stayed %d after %.0f ms idle.", after1, ms(gap1))
	} else if before1 > ssIW {
		r.Finding("Linux does not drop cwnd to the initial window after one RTO of idle as RFC 5681 §4.1 says: it halves it once per further RTO of idle (tcp_cwnd_restart). After %.0f ms idle (%.1f RTOs of %.0f ms) cwnd went %d → %d.", ms(gap1), float64(gap1)/float64(rto1), ms(rto1), before1, after1)
	}
	first1 := wIdle.flight(1)
	wantFirst1 := min(int(want1), m.segs)
	wireOK1 := first1 == wantFirst1
	if p.CC == "bbr" {
		// BBR paces the resumed transfer, so its first round is what the
		// pacing rate lets out in one RTT, not cwnd.
		wireOK1 = first1 > 0
	}
	r.Check("idle-restart",
		"C7 (Linux): after idle longer than the RTO, tcp_slow_start_after_idle=1 restarts slow start from the initial window — a tuned connection loses its window (not under BBR)",
		fmt.Sprintf("idle %.0f ms > RTO %.0f ms: TCP_INFO cwnd %d → %d at the write%s", ms(gap1), ms(rto1), before1, want1, ssFirstRoundText(p.CC, wantFirst1)),
		fmt.Sprintf("cwnd %d → %d, first round %d segments (sysctl %s)", before1, after1, first1, idle.ssai),
		gap1 > rto1 && after1 == want1 && wireOK1)

	wantFirst0 := min(int(before0), m.segs)
	first0 := wNoss.flight(1)
	wireOK0 := first0 >= wantFirst0-max(2, wantFirst0/50)
	if p.CC == "bbr" {
		wireOK0 = first0 > 0
	}
	r.Check("idle-no-restart",
		"C7 (Linux): with tcp_slow_start_after_idle=0 the same idle keeps the window",
		fmt.Sprintf("idle %.0f ms > RTO %.0f ms: TCP_INFO cwnd stays %d at the write%s", ms(gap0), ms(rto0), before0, ssFirstRoundText(p.CC, wantFirst0)),
		fmt.Sprintf("cwnd %d → %d, first round %d segments (sysctl %s)", before0, after0, first0, noss.ssai),
		gap0 > rto0 && after0 == before0 && wireOK0)

	idleMs, nossMs := ms(wIdle.duration()), ms(wNoss.duration())
	found := idleMs > 0 && nossMs > 0
	clock := fmt.Sprintf(" (client's clock: %.1f and %.1f ms)", ms(idle.elapsed()), ms(noss.elapsed()))
	penalty := m.idleMs - m.idleNossMs
	if penalty >= math.Max(ms(p.RTT)/2, 2) {
		r.Check("idle-costs-rounds",
			"C7 (Linux): the restarted transfer pays slow start's rounds again; without the restart it runs like a warm one",
			fmt.Sprintf("on the wire, the after-idle transfer is slower than the no-restart one by ≥ half the model's %.1f ms (%.1f vs %.1f ms); rounds %d vs %d",
				penalty, m.idleMs, m.idleNossMs, len(ssSimulate(m.path, m.segs, float64(m.idleStart), float64(m.idleSsthr)).Flights),
				len(ssSimulate(m.path, m.segs, float64(m.nossStart), float64(m.nossSsthr)).Flights)),
			fmt.Sprintf("%.1f vs %.1f ms (%.1f ms slower); rounds %d vs %d%s", idleMs, nossMs, idleMs-nossMs, len(wIdle.flights), len(wNoss.flights), clock),
			found && idleMs-nossMs >= penalty/2)
		return
	}
	tol := math.Max(2, 0.1*nossMs)
	r.Check("idle-costs-rounds",
		"C7 (Linux): without a restart the transfer after idle runs like a warm one",
		fmt.Sprintf("model: no penalty (%.1f ms): on the wire, the after-idle transfer is within %.1f ms of the no-restart one", penalty, tol),
		fmt.Sprintf("%.1f vs %.1f ms; rounds %d vs %d%s", idleMs, nossMs, len(wIdle.flights), len(wNoss.flights), clock),
		found && math.Abs(idleMs-nossMs) <= tol)
}

// checkCwndLimited checks the experiment's premise from the kernel: in
// every transfer the sender was limited by cwnd alone, never by the
// receiver's window or its own send buffer.
func (s *SlowStart) checkCwndLimited(r *Result, run *ssRun) {
	ok := true
	var parts []string
	for _, ph := range run.phases {
		if ph.atWrite == nil || ph.end == nil {
			ok = false
			continue
		}
		rw := ph.end.RwndLimited - ph.atWrite.RwndLimited
		sb := ph.end.SndbufLimited - ph.atWrite.SndbufLimited
		busy := ph.end.BusyTime - ph.atWrite.BusyTime
		if rw > 0 || sb > 0 || busy <= 0 {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("%s: busy %.1f ms, rwnd-limited %.1f ms, sndbuf-limited %.1f ms", ph.name, ms(busy), ms(rw), ms(sb)))
	}
	r.Check("sender-cwnd-limited",
		"C7: slow start grows the window only while the sender is limited by it (each response is written at once)",
		"TCP_INFO per transfer: tcpi_rwnd_limited and tcpi_sndbuf_limited do not grow, tcpi_busy_time does",
		strings.Join(parts, "; "), ok)
}

// ssColdExit is the ssthresh the kernel set during the cold transfer (0 if
// it stayed infinite): where HyStart or a loss ended slow start.
func ssColdExit(run *ssRun) uint32 {
	if len(run.phases) < 2 {
		return 0
	}
	from, to := run.phases[0].writeAt, run.phases[1].reqRead
	for _, sm := range run.samples {
		if sm.at.Before(from) || sm.at.After(to) {
			continue
		}
		if t := sm.info.SndSsthresh; t > 0 && t < ssInfiniteSsthresh {
			return t
		}
	}
	if e := run.phases[0].end; e != nil && e.SndSsthresh < ssInfiniteSsthresh {
		return e.SndSsthresh
	}
	return 0
}
