package experiment

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// twPhaseWire is what the capture says about the flows toward one
// destination.
type twPhaseWire struct {
	flows      int
	ports      map[uint16]int   // flows per client port
	reuses     int              // flows on a client port an earlier flow to the same destination used
	minGap     time.Duration    // smallest time from a port's TIME_WAIT start to its reuse SYN; -1 if none
	firstReuse *analyze.Segment // the SYN of the first reuse
	synTS      int              // SYNs with the timestamps option
	clientFINs int
	clientRSTs int
	flowsReset int                                // flows with a RST from the client
	twClient   int                                // flows whose close left the client in TIME_WAIT
	twServer   int                                // … the server
	dataBytes  int                                // client payload bytes
	gaps       map[*analyze.Segment]time.Duration // reuse SYN → time since its port's TIME_WAIT began
}

// twHoldWire is what the capture says about one holder connection.
type twHoldWire struct {
	found   bool
	holder  string           // analyze.Teardown.TimeWaitHolder
	lastAck *analyze.Segment // TIME_WAIT begins when this leaves (or arrives)
}

// twWire is the wire's witness for the whole run.
type twWire struct {
	holdClient, holdServer twHoldWire
	phases                 map[string]*twPhaseWire
	pool                   *twPhaseWire
	restart                []*twPhaseWire
}

// observeWire reads every phase's flows from the capture and annotates
// the packets.
func (t *Timewait) observeWire(o *twObs, pkts []capture.Packet) *twWire {
	segs, _ := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	w := &twWire{phases: map[string]*twPhaseWire{}}

	holder := func(h twHold, who string) twHoldWire {
		f := twFlowOf(flows, h.local, h.remote)
		if f == nil {
			return twHoldWire{}
		}
		hw := twHoldWire{found: true, holder: f.Teardown().TimeWaitHolder, lastAck: twLastAck(f)}
		td := f.Teardown()
		if who == "client" {
			twNote(pkts, td.FirstFIN, fmt.Sprintf("FIN — the client closes first: it will hold TIME_WAIT (census: %.2f s left)", h.clientTW.remaining.Seconds()))
		} else {
			twNote(pkts, td.FirstFIN, fmt.Sprintf("FIN — the server closes first: TIME_WAIT is on the server (census: %.2f s left), none on the client", h.serverTW.remaining.Seconds()))
		}
		twNote(pkts, hw.lastAck, fmt.Sprintf("last ACK — TIME_WAIT begins on the %s: the 4-tuple stays reserved for 60 s", hw.holder))
		return hw
	}
	w.holdClient = holder(o.holdClient, "client")
	w.holdServer = holder(o.holdServer, "server")

	for _, ph := range o.phases {
		fl := twFlowsTo(flows, ph.dst)
		pw := twReadFlows(fl)
		w.phases[ph.name] = pw
		if len(fl) > 0 {
			hs, _ := fl[0].Handshake()
			twNote(pkts, hs.SYN, fmt.Sprintf("SYN — phase %s: connect-and-close loop to %v begins (%s)", ph.name, ph.dst, ph.settings))
		}
		if ph.failAfter > 0 && ph.failAfter <= len(fl) {
			hs, _ := fl[ph.failAfter-1].Handshake()
			twNote(pkts, hs.SYN, fmt.Sprintf("SYN — connect %d, the last free port toward %v: the next connect() fails with EADDRNOTAVAIL and sends nothing", ph.failAfter, ph.dst))
		}
		if pw.firstReuse != nil {
			twNote(pkts, pw.firstReuse, fmt.Sprintf("SYN — port %d taken over from TIME_WAIT %.0f ms after it began (%s, tcp_tw_reuse_delay %v)",
				pw.firstReuse.Src.Port(), ms(pw.minGapOf(pw.firstReuse)), ph.settings, o.delay))
		}
		if ph.abortive && len(fl) > 0 {
			td := fl[0].Teardown()
			twNote(pkts, td.FirstRST, "RST — SO_LINGER {1,0}: no FIN, no TIME_WAIT; the port is free for the next connect at once")
		}
	}

	pf := twFlowsTo(flows, o.pool.dst)
	w.pool = twReadFlows(pf)
	for i, f := range pf {
		hs, _ := f.Handshake()
		twNote(pkts, hs.SYN, fmt.Sprintf("SYN — pool connection %d of %d: %d requests share %d ports", i+1, o.pool.conns, o.pool.requests, o.pool.conns))
	}

	for _, x := range o.restart {
		fl := twFlowsTo(flows, x.addr)
		w.restart = append(w.restart, twReadFlows(fl))
		if len(fl) > 0 {
			td := fl[0].Teardown()
			text := "FIN — the server closes first and holds TIME_WAIT; restarting it without SO_REUSEADDR: bind() → " + twErrnoName(x.errno)
			if x.reuse {
				text = "FIN — the server closes first and holds TIME_WAIT; restarting it with SO_REUSEADDR works"
			}
			twNote(pkts, td.FirstFIN, text)
		}
		if len(fl) > 1 {
			hs, _ := fl[1].Handshake()
			twNote(pkts, hs.SYN, "SYN — to the restarted server (SO_REUSEADDR), while the old connection is still in TIME_WAIT on its side")
		}
	}
	return w
}

// twReadFlows summarises the flows toward one destination, in capture
// order.
func twReadFlows(fl []*analyze.Flow) *twPhaseWire {
	pw := &twPhaseWire{ports: map[uint16]int{}, minGap: -1, gaps: map[*analyze.Segment]time.Duration{}}
	last := map[uint16]*analyze.Flow{}
	for _, f := range fl {
		pw.flows++
		port := f.Client.Port()
		pw.ports[port]++
		hs, _ := f.Handshake()
		if hs.SYN != nil && hs.ClientOpts.HasTS {
			pw.synTS++
		}
		if prev := last[port]; prev != nil {
			pw.reuses++
			if la := twLastAck(prev); la != nil && hs.SYN != nil {
				gap := hs.SYN.Time.Sub(la.Time)
				pw.gaps[hs.SYN] = gap
				if pw.minGap < 0 || gap < pw.minGap {
					pw.minGap = gap
				}
				if pw.firstReuse == nil {
					pw.firstReuse = hs.SYN
				}
			}
		}
		last[port] = f
		td := f.Teardown()
		fins := twSegs(f, true, func(s *analyze.Segment) bool { return s.FIN })
		rsts := twSegs(f, true, func(s *analyze.Segment) bool { return s.RST })
		pw.clientFINs += len(fins)
		pw.clientRSTs += len(rsts)
		if len(rsts) > 0 {
			pw.flowsReset++
		}
		switch td.TimeWaitHolder {
		case "client":
			pw.twClient++
		case "server":
			pw.twServer++
		}
		pw.dataBytes += f.Bytes(true)
	}
	return pw
}

// minGapOf is the TIME_WAIT-to-reuse gap measured for the reuse SYN s.
func (pw *twPhaseWire) minGapOf(s *analyze.Segment) time.Duration { return pw.gaps[s] }

// twErrnoName names an errno as the C constant ("EADDRINUSE").
func twErrnoName(e syscall.Errno) string {
	switch e {
	case 0:
		return "no error"
	case syscall.EADDRINUSE:
		return "EADDRINUSE"
	case syscall.EADDRNOTAVAIL:
		return "EADDRNOTAVAIL"
	}
	return fmt.Sprintf("errno %d (%v)", int(e), e)
}

// check compares the run with the model.
func (t *Timewait) check(r *Result, p Plan, o *twObs, w *twWire) {
	n := o.n
	least, most := twPredictConnects(n)
	d := o.delay
	reuse1 := o.phase(twReuse1)
	c := twMedianConnect(reuse1)
	if c == 0 {
		c = o.rtt
	}
	model := twReuseRate(n, c, d)
	r.Model = fmt.Sprintf("TIME_WAIT lasts 60 s on the side that closes first. The client's range holds %d ports (%d–%d); "+
		"each connect-and-close toward one destination leaves its port in TIME_WAIT, so connect() fails with EADDRNOTAVAIL "+
		"after %s connections (the kernel's port picker walks an even number of ports: a range of odd size n yields n−1 or n), "+
		"and a second destination gets the same ports again. tcp_tw_reuse=1 with timestamps lets connect() take over a "+
		"port whose TIME_WAIT is older than tcp_tw_reuse_delay D = %v: rate = min(1/c, %d/(D + 2c)) = %.1f/s with a connect "+
		"time c = %.1f ms; with reuse 0, without timestamps, or with the default 2 on a non-loopback link, nothing connects "+
		"after the %d. SO_LINGER {1,0} leaves no TIME_WAIT (RST); a pool of %d persistent connections carries %d requests on %d ports.",
		n, twPortLow, twPortLow+n-1, twRange(least, most), d, n, model, ms(c), n, t.PoolConns, 2*n, t.PoolConns)

	t.checkHolders(r, o, w)
	t.checkExhaustion(r, o, w, least, most)
	t.checkRemedies(r, o, w, least, most, c, model)
	t.checkPool(r, o, w)
	t.checkRestart(r, o, w)

	r.Check("tw-recycle-removed",
		"C13: TW_RECYCLE, shortening TIME_WAIT, is a remedy — Linux removed it in 4.12 because it broke clients behind NAT",
		"no net.ipv4.tcp_tw_recycle in /proc/sys of the lab's namespace (kernel ≥ 4.12)",
		fmt.Sprintf("tcp_tw_recycle present: %v (kernel %s)", o.recycle, r.Env.Kernel),
		!o.recycle)

	r.Finding("TIME_WAIT lasts a fixed 60 s on Linux (TCP_TIMEWAIT_LEN), not 2×MSL of a tunable MSL; the census counts it down from 60.0 s.")
	if x := o.expiry; x != nil && x.err == nil && w.holdClient.lastAck != nil {
		late := x.goneAt.Sub(x.firstSeen.Add(x.firstRemaining))
		r.Finding("The entry disappeared %.2f s after TIME_WAIT began, %.2f s after the census's countdown reached 0: the kernel's timer wheel rounds a 60 s timer up (by up to about 2 s at HZ=250).",
			x.goneAt.Sub(w.holdClient.lastAck.Time).Seconds(), late.Seconds())
	}
	if n%2 == 1 {
		r.Finding("A range of %d ports (odd) is scanned %d ports at a time: ip-sysctl.rst advises a range whose ends differ in parity.", n, n-1)
	}
	r.Finding("tcp_tw_reuse defaults to 2, which reuses TIME_WAIT ports only for loopback traffic: a client talking over a real link exhausts its ports exactly as with 0.")
	if !o.delayKnown {
		r.Finding("This kernel has no tcp_tw_reuse_delay (it came with 6.14): reuse waits for the next whole second, 1–2 s.")
	} else if d != time.Second {
		r.Finding("The lab set tcp_tw_reuse_delay to %v in the client's namespace; the kernel's default is 1000 ms.", d)
	}
	r.Finding("Go sets SO_REUSEADDR on every listener, so the EADDRINUSE of a restart can only be shown with raw system calls, as here.")
	r.Explain("The side that closes first keeps the connection's 4-tuple in TIME_WAIT for 60 s, so that stray segments of the old connection cannot be taken for a new one.")
	r.Explain("A client that opens and closes connections to one server uses a new local port each time; with every port in TIME_WAIT, connect() has no 4-tuple left and fails with EADDRNOTAVAIL.")
	r.Explain("Reusing connections (a pool) avoids the problem at the source; tcp_tw_reuse and SO_LINGER {1,0} are kernel-side workarounds with conditions and costs (timestamps, a delay, or a RST).")
	r.Explain("Open the pcapng in Wireshark: each packet's comment says what the experiment read from it.")
}

// twRange prints "16" or "14–15".
func twRange(least, most int) string {
	if least == most {
		return fmt.Sprint(least)
	}
	return fmt.Sprintf("%d–%d", least, most)
}

func (t *Timewait) checkHolders(r *Result, o *twObs, w *twWire) {
	hc, hs := o.holdClient, o.holdServer
	r.Metric("timewait_remaining_s", hc.clientTW.remaining.Seconds())
	r.Metric("holder_client_first_client_tw", float64(hc.clientTW.n))
	r.Metric("holder_client_first_server_tw", float64(hc.serverTW.n))
	r.Metric("holder_server_first_client_tw", float64(hs.clientTW.n))
	r.Metric("holder_server_first_server_tw", float64(hs.serverTW.n))
	r.Check("timewait-on-first-closer",
		"C10: after a close the 4-tuple stays in TIME_WAIT — on the side that closed first",
		"client closes first: census 1 entry on the client, 0 on the server; server closes first: 0 on the client, 1 on the server; the wire names the same side",
		fmt.Sprintf("client first: client %d, server %d, wire holder %q; server first: client %d, server %d, wire holder %q",
			hc.clientTW.n, hc.serverTW.n, w.holdClient.holder, hs.clientTW.n, hs.serverTW.n, w.holdServer.holder),
		hc.clientTW.n == 1 && hc.serverTW.n == 0 && w.holdClient.holder == "client" &&
			hs.clientTW.n == 0 && hs.serverTW.n == 1 && w.holdServer.holder == "server")

	predicted := math.NaN()
	if w.holdClient.lastAck != nil {
		predicted = (timewaitLen - hc.clientTW.at.Sub(w.holdClient.lastAck.Time)).Seconds()
	}
	rem, remS := hc.clientTW.remaining.Seconds(), hs.serverTW.remaining.Seconds()
	r.Check("timewait-remaining-60s",
		"C10: TIME_WAIT lasts 2MSL, about a minute (60 s, fixed, on Linux)",
		"census Remaining = 60 s − time since the closer's last ACK on the wire (± 0.15 s); the server's entry 55–60 s",
		fmt.Sprintf("client: %.3f s left, %.3f s predicted from the wire; server: %.3f s left", rem, predicted, remS),
		!math.IsNaN(predicted) && math.Abs(rem-predicted) <= 0.15 && remS >= 55 && remS <= 60.01)

	if !t.WaitExpiry {
		return
	}
	x := o.expiry
	var life, lastSeen float64 = math.NaN(), math.NaN()
	errText := ""
	if x != nil && x.err == nil && w.holdClient.lastAck != nil {
		life = x.goneAt.Sub(w.holdClient.lastAck.Time).Seconds()
		lastSeen = x.lastSeen.Sub(w.holdClient.lastAck.Time).Seconds()
	} else if x != nil && x.err != nil {
		errText = "; " + x.err.Error()
	}
	if !math.IsNaN(life) {
		r.Metric("timewait_expiry_s", life)
	}
	r.Check("timewait-expires",
		"C10: TIME_WAIT ends by itself after about a minute",
		"the census lists the entry until ≥ 59.8 s after TIME_WAIT began and no longer by 62.5 s (60 s, timer-wheel rounding up to ~2 s)",
		fmt.Sprintf("last listed %.2f s after it began, gone at %.2f s%s", lastSeen, life, errText),
		lastSeen >= 59.8 && life <= 62.5)
}

func (t *Timewait) checkExhaustion(r *Result, o *twObs, w *twWire, least, most int) {
	a, b := o.phase(twExhaust), o.phase(twSecond)
	wa, wb := w.phases[twExhaust], w.phases[twSecond]
	if a == nil || b == nil || wa == nil || wb == nil {
		r.Check("port-exhaustion", "C13: TIME_WAIT exhausts the client's ports", "both exhaustion phases ran", "missing", false)
		return
	}
	r.Metric("connects_before_exhaustion", float64(a.failAfter))
	r.Metric("predicted_connects", float64(least))
	r.Metric("predicted_connects_max", float64(most))
	r.Metric("timewait_sockets", float64(a.tw.n))
	r.Metric("exhaust_eaddrnotavail", float64(a.fails))
	r.Check("port-exhaustion",
		"C13: connections closed by the client leave its ports in TIME_WAIT until connect() has none left",
		fmt.Sprintf("%s connects, then connect() → EADDRNOTAVAIL with no SYN sent; census: one TIME_WAIT entry per port used; wire: one SYN per successful connect, each on a new port",
			twRange(least, most)),
		fmt.Sprintf("%d connects, then %d × EADDRNOTAVAIL; census %d TIME_WAIT entries toward %v; wire: %d flows on %d ports, %d closed with the client in TIME_WAIT",
			a.failAfter, a.fails, a.tw.n, a.dst, wa.flows, len(wa.ports), wa.twClient),
		a.failAfter >= least && a.failAfter <= most && a.fails > 0 && a.tw.n == a.failAfter &&
			wa.flows == len(a.ok) && len(wa.ports) == len(a.ok) && wa.twClient == len(a.ok))

	shared := 0
	aPorts := a.ports()
	for port := range b.ports() {
		if aPorts[port] > 0 {
			shared++
		}
	}
	r.Metric("second_destination_connects", float64(b.failAfter))
	r.Check("exhaustion-per-destination",
		"C10: a connection is its four values: ports in TIME_WAIT toward one server are free toward another",
		fmt.Sprintf("to a second server port: %s connects again, on the ports already in TIME_WAIT toward the first, before EADDRNOTAVAIL", twRange(least, most)),
		fmt.Sprintf("%d connects to %v (%d of their ports also in TIME_WAIT toward %v), then EADDRNOTAVAIL; census %d entries; wire %d flows",
			b.failAfter, b.dst, shared, a.dst, b.tw.n, wb.flows),
		b.failAfter >= least && b.failAfter <= most && shared == len(b.ports()) && b.tw.n == b.failAfter && wb.flows == len(b.ok))
}

func (t *Timewait) checkRemedies(r *Result, o *twObs, w *twWire, least, most int, c time.Duration, model float64) {
	n := o.n
	// stuck: the phase exhausted the range and nothing connected during
	// the hold, longer than the reuse delay.
	stuck := func(ph *twPhase, pw *twPhaseWire) (bool, string) {
		if ph == nil || pw == nil {
			return false, "the phase did not run"
		}
		obs := fmt.Sprintf("[%s] %d connects, then %d × EADDRNOTAVAIL and no connect for %.2f s; census %d TIME_WAIT; wire %d flows, %d port reuses",
			ph.settings, len(ph.ok), ph.fails, ph.drought.Seconds(), ph.tw.n, pw.flows, pw.reuses)
		ok := ph.failAfter >= least && ph.failAfter <= most && len(ph.ok) == ph.failAfter &&
			ph.drought >= ph.hold && ph.tw.n == ph.failAfter && pw.reuses == 0 && pw.flows == len(ph.ok)
		return ok, obs
	}
	hold := o.delay + 250*time.Millisecond

	ok0, obs0 := stuck(o.phase(twReuse0), w.phases[twReuse0])
	r.Check("tw-reuse-0-no-help",
		"C12: without tcp_tw_reuse, connect() cannot use a 4-tuple held in TIME_WAIT",
		fmt.Sprintf("tcp_tw_reuse=0: %s connects, then EADDRNOTAVAIL for longer than tcp_tw_reuse_delay (≥ %v); no port reused on the wire", twRange(least, most), hold),
		obs0, ok0)

	ph, pw := o.phase(twReuse1), w.phases[twReuse1]
	if ph != nil && pw != nil {
		rate := math.NaN()
		if len(ph.ok) > n {
			rate = float64(len(ph.ok)-n) / ph.ok[len(ph.ok)-1].end.Sub(ph.ok[n-1].end).Seconds()
		}
		if !math.IsNaN(rate) { // JSON has no NaN: leave out what was not measured
			r.Metric("reuse_connects_per_s", rate)
		}
		r.Metric("reuse_connects_per_s_model", model)
		if pw.minGap >= 0 {
			r.Metric("reuse_min_gap_ms", ms(pw.minGap))
		}
		r.Metric("reuse1_eaddrnotavail", float64(ph.fails))
		gapOK := pw.minGap >= d3(o.delay)
		r.Check("tw-reuse-1-with-timestamps",
			"C12/C13: tcp_tw_reuse=1 lets connect() reuse a 4-tuple held in TIME_WAIT — with timestamps, once tcp_tw_reuse_delay has passed",
			fmt.Sprintf("%d connects on %d ports; every SYN with timestamps; each port taken over ≥ %v after its TIME_WAIT began (wire); rate %.1f/s ± 25%%",
				2*n, n, o.delay, model),
			fmt.Sprintf("[%s] %d connects (%d × EADDRNOTAVAIL on the way) on %d ports; %d of %d SYNs with timestamps; %d reuses, the earliest %.1f ms after TIME_WAIT began; %.1f connects/s after the range was used up",
				ph.settings, len(ph.ok), ph.fails, len(ph.ports()), pw.synTS, pw.flows, pw.reuses, ms(pw.minGap), rate),
			len(ph.ok) == 2*n && pw.flows == 2*n && pw.synTS == pw.flows && pw.reuses >= n && gapOK &&
				!math.IsNaN(rate) && math.Abs(rate-model) <= 0.25*model)
	}

	okNT, obsNT := stuck(o.phase(twReuse1NoTS), w.phases[twReuse1NoTS])
	if pw := w.phases[twReuse1NoTS]; pw != nil {
		obsNT += fmt.Sprintf("; %d of %d SYNs with timestamps", pw.synTS, pw.flows)
		okNT = okNT && pw.synTS == 0
	}
	r.Check("tw-reuse-1-needs-timestamps",
		"C12: tcp_tw_reuse needs TCP timestamps",
		fmt.Sprintf("tcp_tw_reuse=1, tcp_timestamps=0: no SYN carries timestamps; %s connects, then EADDRNOTAVAIL for longer than the delay (≥ %v)", twRange(least, most), hold),
		obsNT, okNT)

	okA, obsA := stuck(o.phase(twExhaust), w.phases[twExhaust])
	lb := o.phase(twLoopback)
	lbOK, lbObs := false, "the loopback phase did not run"
	if lw := w.phases[twLoopback]; lb != nil && lw != nil {
		// The capture on lo says when each port came back: from the last
		// ACK of its earlier connection (TIME_WAIT begins) to the SYN
		// that reuses it.
		r.Metric("loopback_connects_before_exhaustion", float64(lb.failAfter))
		if lw.minGap >= 0 {
			r.Metric("loopback_reuse_min_gap_ms", ms(lw.minGap))
		}
		lbOK = len(lb.ok) == 2*n && lb.failAfter >= least && lb.failAfter <= most &&
			lw.flows == len(lb.ok) && lw.reuses == len(lb.ok)-len(lw.ports) && lw.synTS == lw.flows &&
			lw.minGap >= d3(o.delay) && lw.minGap <= o.delay+time.Second
		lbObs = fmt.Sprintf("loopback [%s]: %d connects, EADDRNOTAVAIL after %d for %.2f s; wire (lo): %d flows on %d ports, %d reuses, the earliest %.1f ms after TIME_WAIT began",
			lb.settings, len(lb.ok), lb.failAfter, lb.drought.Seconds(), lw.flows, len(lw.ports), lw.reuses, ms(lw.minGap))
	}
	r.Check("tw-reuse-2-loopback-only",
		"C12: tcp_tw_reuse=2, the Linux default, reuses TIME_WAIT 4-tuples for loopback traffic only",
		fmt.Sprintf("over the lab's link: %s connects, then nothing for ≥ %v; on 127.0.0.1 in the same namespace: %d connects, each port taken over ≥ %v after its TIME_WAIT began (wire)", twRange(least, most), hold, 2*n, o.delay),
		"link "+obsA+"; "+lbObs, okA && lbOK)

	ab, aw := o.phase(twAbortive), w.phases[twAbortive]
	if ab != nil && aw != nil {
		r.Metric("abortive_connects", float64(len(ab.ok)))
		r.Metric("abortive_timewait_sockets", float64(ab.tw.n+ab.twServer.n))
		r.Check("linger-abortive-remedy",
			"C13: SO_LINGER {1,0} replaces FIN with RST, so no TIME_WAIT is left and ports never run out",
			fmt.Sprintf("%d connects on %d ports, no EADDRNOTAVAIL; every flow ends with the client's RST and no client FIN; census: no TIME_WAIT on either side", 2*n, n),
			fmt.Sprintf("[%s] %d connects on %d ports, %d × EADDRNOTAVAIL; wire: %d flows, %d reset by the client, %d client FINs; census client %d, server %d",
				ab.settings, len(ab.ok), len(ab.ports()), ab.fails, aw.flows, aw.flowsReset, aw.clientFINs, ab.tw.n, ab.twServer.n),
			len(ab.ok) == 2*n && ab.fails == 0 && len(ab.ports()) <= n && aw.flows == 2*n && aw.flowsReset == aw.flows &&
				aw.clientFINs == 0 && ab.tw.n == 0 && ab.twServer.n == 0)
	}
}

// d3 is the reuse delay less 3 ms of clock and capture slack.
func d3(d time.Duration) time.Duration { return d - 3*time.Millisecond }

func (t *Timewait) checkPool(r *Result, o *twObs, w *twWire) {
	pl, pw := o.pool, w.pool
	want := 2 * o.n
	r.Metric("pool_ports_used", float64(len(pw.ports)))
	r.Metric("pool_requests", float64(pl.requests))
	r.Metric("pool_timewait_during", float64(pl.twDuring.n))
	r.Metric("pool_ms", ms(pl.elapsed))
	r.Check("pool-remedy",
		"C13: a connection pool is the best remedy: the same requests over a few persistent connections use few ports",
		fmt.Sprintf("%d requests answered over %d connections: %d SYNs and %d client ports on the wire; no TIME_WAIT while the pool is open, %d after it closes",
			want, pl.conns, pl.conns, pl.conns, pl.conns),
		fmt.Sprintf("%d of %d requests answered in %.0f ms; wire: %d flows on %d ports, %d request bytes; census %d TIME_WAIT while open, %d after closing",
			pl.requests, want, ms(pl.elapsed), pw.flows, len(pw.ports), pw.dataBytes, pl.twDuring.n, pl.twAfter.n),
		pl.requests == want && pl.dialFails == 0 && pw.flows == pl.conns && len(pw.ports) == pl.conns &&
			pw.dataBytes == want && pl.twDuring.n == 0 && pl.twAfter.n == pl.conns)
}

func (t *Timewait) checkRestart(r *Result, o *twObs, w *twWire) {
	var no, yes *twRestart
	var wNo, wYes *twPhaseWire
	for i := range o.restart {
		if o.restart[i].reuse {
			yes, wYes = &o.restart[i], w.restart[i]
		} else {
			no, wNo = &o.restart[i], w.restart[i]
		}
	}
	if no == nil || yes == nil {
		r.Check("reuseaddr-restart", "C12: SO_REUSEADDR", "both restarts ran", "missing", false)
		return
	}
	r.Metric("noreuseaddr_errno", float64(no.errno))
	r.Metric("reuseaddr_restart_ok", boolMetric(yes.err == nil && yes.served))
	var parts []string
	for _, x := range []*twRestart{no, yes} {
		res := "restart bind()/listen() succeeded"
		if x.err != nil {
			res = "restart failed: " + twErrnoName(x.errno)
		}
		served := ""
		if x.err == nil {
			served = fmt.Sprintf(", served a new connection: %v", x.served)
		}
		parts = append(parts, fmt.Sprintf("SO_REUSEADDR=%v (read back %v): server census %d TIME_WAIT on %v; %s%s",
			x.reuse, x.readBack, x.twBefore.n, x.addr, res, served))
	}
	r.Check("reuseaddr-restart",
		"C12: SO_REUSEADDR lets a server bind its port again while its old connections sit in TIME_WAIT",
		"the server closed first (wire) and holds TIME_WAIT (census); restart without SO_REUSEADDR: bind() → EADDRINUSE; with it: the restart works and accepts a new connection",
		strings.Join(parts, "; ")+fmt.Sprintf("; wire: server in TIME_WAIT after %d and %d flows", wNo.twServer, wYes.twServer),
		!no.readBack && no.twBefore.n >= 1 && errors.Is(no.err, syscall.EADDRINUSE) && wNo.twServer >= 1 &&
			yes.readBack && yes.twBefore.n >= 1 && yes.err == nil && yes.readBack2 && yes.served && wYes.twServer >= 1 && wYes.flows == 2)
}
