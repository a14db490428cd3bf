package experiment

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// nagleModeTimes are one mode's exchanges split by the rules: the first
// exempt exchanges of the connection (quickack at its start), the ones that
// followed a slow reply (the server answered the previous request later than
// its ato, so it was not in interactive mode), and the rest — the ones the
// medians use.
type nagleModeTimes struct {
	clock, wire, held, gap []float64 // ms; held = ACK of the header − RTT
	firstHeld, firstClock  []float64 // the exempt exchanges at the start
	slowHeld, slowClock    []float64 // the exchanges after a slow reply
	late, turn             []float64 // counted exchanges: clock − wire (the client program's own delay); reply in − body out − RTT (the server's turnaround)
	complete, reqSegs1     int       // counted exchanges fully seen on the wire; of them, requests in one segment
	pureHeaderAcks         int       // counted exchanges whose header was ACKed by a pure ACK
	counted                int       // exchanges after the exempt ones
}

// nagleSplitTimes sorts a connection's exchanges by the rules. slow is the
// server turnaround (reply in − body out − RTT, on the wire) from which the
// next exchange no longer counts; 0 disables that rule.
func nagleSplitTimes(c *nagleConn, wc *nagleWireConn, rtt time.Duration, exempt int, slow time.Duration) nagleModeTimes {
	var t nagleModeTimes
	seen := func(k int) (nagleWireExchange, bool) {
		if wc == nil || k < 0 || k >= len(wc.ex) || !wc.ex[k].complete() {
			return nagleWireExchange{}, false
		}
		return wc.ex[k], true
	}
	for k, et := range c.times {
		x, ok := seen(k)
		held := ms(x.ackAfter() - rtt)
		if k < exempt {
			t.firstClock = append(t.firstClock, ms(et.dur()))
			if ok {
				t.firstHeld = append(t.firstHeld, held)
			}
			continue
		}
		if prev, pok := seen(k - 1); slow > 0 && pok && prev.tReply.Sub(prev.tBody)-rtt >= slow {
			t.slowClock = append(t.slowClock, ms(et.dur()))
			if ok {
				t.slowHeld = append(t.slowHeld, held)
			}
			continue
		}
		t.counted++
		t.clock = append(t.clock, ms(et.dur()))
		if !ok {
			continue
		}
		t.complete++
		t.wire = append(t.wire, ms(x.total()))
		t.held = append(t.held, held)
		t.gap = append(t.gap, ms(x.gap()))
		t.late = append(t.late, ms(et.dur()-x.total()))
		t.turn = append(t.turn, ms(x.tReply.Sub(x.tBody)-rtt))
		if x.reqSegs == 1 {
			t.reqSegs1++
		}
		if x.ackPure {
			t.pureHeaderAcks++
		}
	}
	return t
}

// check compares the clocks, the wire and both kernels with the model.
func (n *Nagle) check(r *Result, p Plan, runs *nagleRuns, w *nagleWire) {
	exempt := runs.pingpongThresh
	rtt := w.rtt
	if rtt <= 0 {
		rtt = p.RTT
	}
	conn := map[nagleMode]*nagleConn{}
	for _, c := range runs.conns {
		conn[c.mode] = c
	}
	srv := conn[nagleModeOn].server
	ato, srtt := nagleDelackMin, time.Duration(0)
	if srv != nil {
		ato, srtt = srv.ATO, srv.RTT
	}
	d := nagleEffectiveDelack(ato, srtt)
	times := map[nagleMode]nagleModeTimes{}
	for _, c := range runs.conns {
		slow := time.Duration(0)
		if c.mode == nagleModeOn {
			slow = ato - nagleJiffy
		}
		times[c.mode] = nagleSplitTimes(c, w.conns[c.mode], rtt, exempt, slow)
	}
	lo, hi := nagleDelackWindow(d)

	r.Model = fmt.Sprintf("Request = header (%d B) + body (%d B) in two writes, reply %d B, %d exchanges per connection, RTT %.1f ms "+
		"(measured on the wire). NODELAY or CORK: header and body leave together, one exchange = 1 RTT. Nagle on: the body "+
		"waits until the header is ACKed, and the server delays that ACK because it has nothing to send yet: 2 RTT + D, "+
		"where D is the server's delayed-ACK timer — tcpi_ato %.0f ms, capped by max(srtt, 40 ms) when above 40 ms and by "+
		"200 ms: D = %.0f ms, seen as %.0f…%.0f ms in 4 ms ticks. QUICKACK on the server sends that ACK at once, but Nagle "+
		"still waits for it: 2 RTT. Rules: the first %d exchange(s) of each connection are excluded from the medians — "+
		"the server is in quickack mode until it has answered tcp_pingpong_thresh=%d time(s) within its ato; so is a Nagle "+
		"exchange that follows a reply the server sent ≥ ato − 4 ms after the request (on the wire): a slow server leaves "+
		"interactive mode and ACKs the next header when it reads it, not after D. QUICKACK is re-armed after every read and "+
		"reply. A burst of %d 1-byte writes: "+
		"one segment each with NODELAY (%d B of headers per byte with timestamps), about one segment per RTT with Nagle.",
		runs.headerLen, runs.bodyLen, runs.replyLen, n.Exchanges, ms(rtt), ms(ato), ms(d), ms(lo), ms(hi),
		exempt, exempt, n.Burst, nagleHeaderModel(w.ts))

	if w.decode != nil {
		r.Finding("some captured frames could not be decoded: %v", w.decode)
	}
	r.Metric("rtt_wire_ms", ms(rtt))
	r.Metric("exchanges_excluded", float64(exempt))
	r.Metric("delack_model_ms", ms(d))
	for _, m := range nagleModes {
		r.Metric("model_"+string(m)+"_ms", ms(nagleModelExchange(m, rtt, d, false)))
		r.Metric("median_"+string(m)+"_ms", median(times[m].clock))
		r.Metric("wire_median_"+string(m)+"_ms", median(times[m].wire))
	}
	r.Metric("first_nagle_ms", median(times[nagleModeOn].firstClock))
	var late, turn []float64
	for _, m := range nagleModes {
		late = append(late, times[m].late...)
		turn = append(turn, times[m].turn...)
	}
	r.Metric("client_late_p90_ms", nagleQuantile(late, 0.9))
	r.Metric("server_turnaround_p90_ms", nagleQuantile(turn, 0.9))
	if nagleQuantile(late, 0.9) > 5 || nagleQuantile(turn, 0.9) > 5 {
		r.Finding("the machine was busy: in 1 exchange of 10 the client program saw the reply ≥ %.1f ms after the capture did, or the server answered ≥ %.1f ms after the request arrived — scheduling delays of that size blur the timing checks", nagleQuantile(late, 0.9), nagleQuantile(turn, 0.9))
	}

	n.checkNagle(r, rtt, exempt, lo, hi, times, srv != nil)
	n.checkCures(r, rtt, lo, times)
	n.checkClockWire(r, times)
	n.checkPiggyback(r, runs, w, times, exempt)
	n.checkBurst(r, runs, w)
	n.checkKernel(r, runs, w, times, ato, srtt, d, lo, hi)

	r.Explain("Nagle's rule: a small segment may not leave while an earlier small segment is unacknowledged. The body is small and the header is still in flight, so the body waits for the header's ACK.")
	r.Explain("The server has nothing to send until the body arrives, so it delays that ACK, hoping to piggyback it on data — the two wait for each other until the delayed-ACK timer (here %.0f ms) fires. Every exchange pays it, except the first, when the server still ACKs at once (quickack).", ms(d))
	r.Explain("TCP_NODELAY sends the body at once; TCP_CORK (or one write) puts header and body in one segment; TCP_QUICKACK on the server kills the delay but Nagle still costs a round trip per write-write-read.")
	r.Explain("Open the pcapng: each header, body, server ACK and reply is annotated with the times the experiment read from it.")
}

// checkNagle checks the stall with Nagle on, on the client's clock and on
// the wire, and the quickack exemption at the connection's start.
func (n *Nagle) checkNagle(r *Result, rtt time.Duration, exempt int, lo, hi time.Duration, times map[nagleMode]nagleModeTimes, haveInfo bool) {
	t := times[nagleModeOn]
	nagle := median(t.clock)
	twoRTT := ms(nagleModelExchange(nagleModeOn, rtt, 0, true))
	tol := ms(nagleTolerance(2 * rtt))
	least, most := ms(nagleModelExchange(nagleModeOn, rtt, lo, false))-tol, ms(nagleModelExchange(nagleModeOn, rtt, hi, false))+tol
	stalled := 0
	for _, c := range t.clock {
		if c >= least {
			stalled++
		}
	}
	enough := t.counted >= (n.Exchanges-exempt+1)/2
	r.Metric("exchanges_after_slow_reply", float64(len(t.slowClock)))
	r.Check("nagle-stalls-each-exchange",
		"C9: with Nagle on, write-write-read stalls each exchange by the server's delayed ACK (clock)",
		fmt.Sprintf("median = 2 RTT + D = %.1f + %.0f…%.0f ms (± %.1f ms); every counted exchange stalled; at least half of the %d after the first %d counted",
			twoRTT, ms(lo), ms(hi), tol, n.Exchanges-exempt, exempt),
		fmt.Sprintf("median %s; %d of %d counted exchanges stalled (%d after a slow reply not counted); first exchange(s) %s",
			fmtMs(nagle), stalled, len(t.clock), len(t.slowClock), nagleList(t.firstClock)),
		enough && nagle >= least && nagle <= most && stalled == len(t.clock))

	held, gap := median(t.held), median(t.gap)
	clockStall := nagle - 2*median(times[nagleModeNoDelay].clock)
	r.Metric("stall_ms", held)
	r.Metric("stall_clock_ms", clockStall)
	r.Metric("nagle_gap_ms", gap)
	inWindow := 0
	for _, h := range t.held {
		if h >= ms(lo) && h <= ms(hi) {
			inWindow++
		}
	}
	r.Check("stall-on-the-wire",
		"C9: the capture shows the stall: the server's pure ACK of the header comes D late, and only then does the body leave",
		fmt.Sprintf("ACK of the header held D = %.0f…%.0f ms beyond the RTT (median, and ≥ 80%% of the counted exchanges), pure for every one; header→body gap = RTT + D; clock's stall (Nagle − 2×NODELAY) within 8 ms of the wire's", ms(lo), ms(hi)),
		fmt.Sprintf("median held %s (%d of %d in range, %d pure), gap %s = RTT %s + %s; clock's stall %s",
			fmtMs(held), inWindow, t.complete, t.pureHeaderAcks, fmtMs(gap), fmtMs(ms(rtt)), fmtMs(gap-ms(rtt)), fmtMs(clockStall)),
		enough && t.complete == t.counted && 5*inWindow >= 4*t.complete && held >= ms(lo) && held <= ms(hi) &&
			t.pureHeaderAcks == t.complete && within(gap-ms(rtt), held, 2) && within(clockStall, held, 8))

	quick := 0
	for _, h := range t.firstHeld {
		if h < ms(lo)/2 {
			quick++
		}
	}
	r.Check("quickack-at-connection-start",
		fmt.Sprintf("C9 (Linux): ACKs are immediate at the start of a connection (quickack), so the first %d exchange(s) escape the stall — excluded from the medians by rule", exempt),
		fmt.Sprintf("the first %d exchange(s): the ACK of the header held < %.0f ms, so the body is not held back (read on the wire: one sample each, which a busy machine can delay on the client's clock)", exempt, ms(lo)/2),
		fmt.Sprintf("held %s; exchange on the clock %s (stalled median %s)", nagleList(t.firstHeld), nagleList(t.firstClock), fmtMs(nagle)),
		len(t.firstHeld) == exempt && quick == exempt)
	if len(t.slowHeld) > 0 {
		r.Finding("%d Nagle exchange(s) followed a reply the server sent more than its ato after the request and were not counted: the server then is not in interactive (pingpong) mode, so it ACKs the next header as soon as it reads it (held %s) — a stall needs a server that answers quickly", len(t.slowHeld), nagleList(t.slowHeld))
	}
	if !haveInfo {
		r.Finding("the server's TCP_INFO could not be read; D was modelled as 40 ms")
	}
}

// checkCures checks TCP_NODELAY, TCP_CORK and TCP_QUICKACK.
func (n *Nagle) checkCures(r *Result, rtt, lo time.Duration, times map[nagleMode]nagleModeTimes) {
	one := ms(nagleModelExchange(nagleModeNoDelay, rtt, 0, false))
	tol1 := ms(nagleTolerance(rtt))
	nd := times[nagleModeNoDelay]
	r.Check("nodelay-one-rtt",
		"C8: with Nagle off (TCP_NODELAY) the body leaves at once and an exchange takes about one RTT",
		fmt.Sprintf("median = RTT %.1f ± %.1f ms on the clock and on the wire; the body follows the header within 1 ms", one, tol1),
		fmt.Sprintf("median %s (wire %s); median header→body gap %.3f ms", fmtMs(median(nd.clock)), fmtMs(median(nd.wire)), median(nd.gap)),
		len(nd.clock) > 0 && within(median(nd.clock), one, tol1) && within(median(nd.wire), one, tol1) && nd.complete == nd.counted && median(nd.gap) < 1)

	ck := times[nagleModeCork]
	r.Check("cork-one-rtt",
		"C8: TCP_CORK around the two writes sends header and body as one segment: one RTT, no stall",
		fmt.Sprintf("median = RTT %.1f ± %.1f ms on the clock and on the wire; every request one segment", one, tol1),
		fmt.Sprintf("median %s (wire %s); %d of %d requests in one segment", fmtMs(median(ck.clock)), fmtMs(median(ck.wire)), ck.reqSegs1, ck.complete),
		len(ck.clock) > 0 && within(median(ck.clock), one, tol1) && within(median(ck.wire), one, tol1) && ck.complete == ck.counted && ck.reqSegs1 == ck.complete)

	qa := times[nagleModeQuickAck]
	two := ms(nagleModelExchange(nagleModeQuickAck, rtt, 0, false))
	tol2 := ms(nagleTolerance(2 * rtt))
	nagle := median(times[nagleModeOn].clock)
	r.Check("quickack-removes-stall",
		"C9: TCP_QUICKACK on the server removes the delayed-ACK stall (Nagle still waits one RTT for the ACK)",
		fmt.Sprintf("median = 2 RTT %.1f ± %.1f ms on the clock and on the wire; ACK of the header held < %.0f ms; at least %.0f ms faster than Nagle alone", two, tol2, ms(lo)/2, ms(lo)),
		fmt.Sprintf("median %s (wire %s; Nagle %s); ACK held median %s", fmtMs(median(qa.clock)), fmtMs(median(qa.wire)), fmtMs(nagle), fmtMs(median(qa.held))),
		len(qa.clock) > 0 && within(median(qa.clock), two, tol2) && within(median(qa.wire), two, tol2) && qa.complete == qa.counted &&
			median(qa.held) < ms(lo)/2 && nagle-median(qa.clock) >= ms(lo))
	if median(qa.clock) > one+tol1 {
		r.Finding("TCP_QUICKACK removes the delayed-ACK stall but not Nagle's own cost: the body still waits one round trip for the header's ACK (%.1f ms vs %.1f ms with TCP_NODELAY). On loopback the RTT is ~0 and the two look the same.", median(qa.clock), median(nd.clock))
	}
}

// checkClockWire checks that the client's clock and the capture agree on
// every mode's exchange time.
func (n *Nagle) checkClockWire(r *Result, times map[nagleMode]nagleModeTimes) {
	worst := 0.0
	var parts []string
	ok := true
	for _, m := range nagleModes {
		t := times[m]
		if len(t.wire) == 0 {
			ok = false
			parts = append(parts, fmt.Sprintf("%s: not on the wire", m))
			continue
		}
		diff := math.Abs(median(t.clock)-median(t.wire)) - math.Max(5, 0.02*median(t.wire))
		worst = math.Max(worst, math.Abs(median(t.clock)-median(t.wire)))
		if diff > 0 {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("%s %.2f/%.2f", m, median(t.clock), median(t.wire)))
	}
	r.Check("clock-agrees-with-wire",
		"C9: the two witnesses agree: the client's clock and the capture give the same exchange times",
		"|median clock − median wire (header out → reply in)| ≤ max(5 ms, 2 %) in every mode: the client program's own scheduling is all that separates them",
		fmt.Sprintf("clock/wire ms: %s; worst difference %.3f ms", strings.Join(parts, ", "), worst),
		ok)
}
