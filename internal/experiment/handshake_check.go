package experiment

import (
	"fmt"
	"math"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// wireTx is what the capture on the client's link says about one
// transaction.
type wireTx struct {
	found       bool
	handshakeOK bool          // SYN, SYN/ACK, ACK in that order
	rtt         time.Duration // SYN → SYN/ACK
	synToAck    time.Duration // SYN → the client's ACK (what connect() waits for)
	ttfb        time.Duration // SYN → first response byte
	total       time.Duration // SYN → last response byte
	rounds      int           // flights of response data
	mss         int
	optsSummary string
}

// observeWire matches every transaction to its flow in the capture by the
// client's port, annotates the packets for Wireshark, and reads the timings.
func (h *Handshake) observeWire(txs []transaction, pkts []capture.Packet) []wireTx {
	segs, _ := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	out := make([]wireTx, len(txs))
	for i, tx := range txs {
		for _, f := range flows {
			if f.Client != tx.local {
				continue
			}
			out[i] = h.readFlow(f, tx, pkts)
			break
		}
	}
	return out
}

func (h *Handshake) readFlow(f *analyze.Flow, tx transaction, pkts []capture.Packet) wireTx {
	w := wireTx{found: true}
	hs, ok := f.Handshake()
	if !ok || hs.SYN == nil || hs.SYNACK == nil || hs.ACK == nil {
		return w
	}
	w.handshakeOK = !hs.SYNACK.Time.Before(hs.SYN.Time) && !hs.ACK.Time.Before(hs.SYNACK.Time)
	w.rtt = hs.RTT
	w.synToAck = hs.ACK.Time.Sub(hs.SYN.Time)
	w.mss = hs.ClientOpts.MSS // what the server may send to the client
	w.optsSummary = fmt.Sprintf("MSS %d/%d, wscale %d/%d, SACK %v, timestamps %v",
		hs.ClientOpts.MSS, hs.ServerOpts.MSS, hs.ClientOpts.WScale, hs.ServerOpts.WScale,
		hs.ClientOpts.SACKPerm && hs.ServerOpts.SACKPerm, hs.ClientOpts.HasTS && hs.ServerOpts.HasTS)
	t0 := hs.SYN.Time
	note := func(s *analyze.Segment, text string) {
		if s != nil && s.Index >= 0 && s.Index < len(pkts) {
			pkts[s.Index].Comment = text
		}
	}
	note(hs.SYN, fmt.Sprintf("SYN — client opens connection for %d-byte response, t=0", tx.size))
	note(hs.SYNACK, fmt.Sprintf("SYN/ACK — 1 RTT after the SYN = %.2f ms", ms(hs.RTT)))
	note(hs.ACK, fmt.Sprintf("ACK — handshake done at %.2f ms; connect() returned after %.2f ms on the client's clock",
		ms(w.synToAck), ms(tx.connect())))
	if req := f.Data(true); len(req) > 0 {
		note(&req[0], fmt.Sprintf("request (%d bytes) at %.2f ms — sent with the handshake's last ACK cost paid", req[0].Payload, ms(req[0].Time.Sub(t0))))
	}
	resp := f.Data(false)
	if len(resp) > 0 {
		first, last := resp[0], resp[len(resp)-1]
		w.ttfb = first.Time.Sub(t0)
		w.total = last.Time.Sub(t0)
		w.rounds = len(analyze.Flights(f, false, hs.RTT))
		note(&resp[0], fmt.Sprintf("first response byte at %.2f ms (%.1f RTT) — TTFB", ms(w.ttfb), float64(w.ttfb)/float64(hs.RTT)))
		if len(resp) > 1 {
			note(&resp[len(resp)-1], fmt.Sprintf("last response byte at %.2f ms, after %d round(s) of data", ms(w.total), w.rounds))
		}
	}
	td := f.Teardown()
	if td.FirstFIN != nil {
		note(td.FirstFIN, fmt.Sprintf("FIN — %s closes first (Connection: close)", td.ActiveCloser))
	}
	return w
}

// slowStartRounds is the model's number of round trips a response of size
// bytes needs from an initial window of iw segments that doubles per round.
func slowStartRounds(size, mss, iw int) int {
	if mss <= 0 {
		mss = 1448
	}
	segs := (size + 120 + mss - 1) / mss // body plus a ~120-byte header
	rounds, window, sent := 0, iw, 0
	for sent < segs {
		sent += window
		window *= 2
		rounds++
	}
	return rounds
}

// check compares clocks, wire and kernel with the model.
func (h *Handshake) check(r *Result, p Plan, txs []transaction, w []wireTx) {
	rtt := ms(p.RTT)
	delay := ms(h.ServerDelay)
	r.Model = fmt.Sprintf("A transaction on a new connection = connect (1 RTT = %.1f ms) + request and response "+
		"(1 RTT) + server processing (%.1f ms) + extra rounds for a response larger than the initial window "+
		"(10 segments, doubling per RTT). Small transaction: 2 RTT + processing = %.1f ms.", rtt, delay, 2*rtt+delay)

	small := h.Sizes[0]
	var connects, ttfbs, totals, wireRTTs, infoRTTs, procs []float64
	clockWireWorst := 0.0 // connect(2) on the client's clock vs SYN → ACK on the wire
	handshakesSeen, found := 0, 0
	for i, tx := range txs {
		if w[i].found {
			found++
		}
		if w[i].handshakeOK {
			handshakesSeen++
			wireRTTs = append(wireRTTs, ms(w[i].rtt))
			clockWireWorst = math.Max(clockWireWorst, math.Abs(ms(tx.connect())-ms(w[i].synToAck)))
		}
		if tx.size != small {
			continue
		}
		connects = append(connects, ms(tx.connect()))
		ttfbs = append(ttfbs, ms(tx.ttfb()))
		totals = append(totals, ms(tx.total()))
		procs = append(procs, ms(tx.processing))
		if tx.tcpInfoRTT > 0 {
			infoRTTs = append(infoRTTs, ms(tx.tcpInfoRTT))
		}
	}
	connect, ttfb, total := median(connects), median(ttfbs), median(totals)
	// The model takes the server's processing as the server measured it:
	// a sleep of 1 ms may take longer on a busy machine, and that is
	// processing too.
	proc := median(procs)
	r.Metric("server_processing_ms", proc)
	wireRTT, infoRTT := median(wireRTTs), median(infoRTTs)
	r.Metric("connect_ms", connect)
	r.Metric("ttfb_ms", ttfb)
	r.Metric("total_ms", total)
	r.Metric("wire_rtt_ms", wireRTT)
	r.Metric("tcpinfo_rtt_ms", infoRTT)
	r.Metric("server_delay_ms", delay)
	r.Metric("connections", float64(len(txs)))
	r.Metric("handshakes_on_wire", float64(handshakesSeen))

	tol := tolerance(rtt, 0.03, 1)
	r.Check("connect-one-rtt",
		"C5: every new connection pays the 3-way handshake: connect() takes one round trip",
		fmt.Sprintf("connect = RTT %s ± %.2f ms", fmtMs(rtt), tol),
		fmt.Sprintf("median connect %s over %d connections", fmtMs(connect), len(connects)),
		within(connect, rtt, tol))

	r.Check("handshake-on-wire",
		"C2: connect() hides a 3-way handshake: SYN, SYN/ACK, ACK, one RTT apart",
		fmt.Sprintf("%d connections, each opened by SYN → SYN/ACK → ACK with SYN→SYN/ACK = %s ± %.2f ms", len(txs), fmtMs(rtt), tol),
		fmt.Sprintf("%d of %d flows found, %d with a complete handshake, median SYN→SYN/ACK %s", found, len(txs), handshakesSeen, fmtMs(wireRTT)),
		handshakesSeen == len(txs) && within(wireRTT, rtt, tol))

	r.Check("clock-agrees-with-wire",
		"C2: the capture shows the handshake at the times the client's clock says",
		"|connect() duration − (SYN → ACK on the wire)| ≤ 1 ms for every connection",
		fmt.Sprintf("worst difference %.3f ms", clockWireWorst),
		handshakesSeen == len(txs) && clockWireWorst <= 1)

	model := 2*rtt + proc
	ttol := tolerance(model, 0.05, 2)
	r.Check("small-transaction-two-rtts",
		fmt.Sprintf("C4: a small transaction (%d-byte response) costs connect + request/response ≈ 2 RTT + processing", small),
		fmt.Sprintf("total = 2 RTT + processing (%s as the server measured it) = %s ± %.2f ms", fmtMs(proc), fmtMs(model), ttol),
		fmt.Sprintf("median total %s (TTFB %s)", fmtMs(total), fmtMs(ttfb)),
		within(total, model, ttol))

	netShare := (total - proc) / total
	r.Metric("network_share", netShare)
	r.Check("network-dominates",
		"C4: for small transactions the network delays dominate the server's processing",
		"(total − processing) / total > 0.5",
		fmt.Sprintf("network share %.0f%% (processing %s of %s)", 100*netShare, fmtMs(proc), fmtMs(total)),
		netShare > 0.5)

	share := connect / total
	r.Metric("handshake_share", share)
	r.Check("handshake-share",
		"C5: for small transactions the handshake is a large share of the time",
		"connect / total ≈ 1/2 (≥ 0.40)",
		fmt.Sprintf("%.0f%% of the transaction was the handshake", 100*share),
		share >= 0.40)

	itol := math.Max(0.10*wireRTT, 2)
	r.Check("kernel-rtt-agrees",
		"C5: the kernel's witness (TCP_INFO tcpi_rtt) agrees with the wire's RTT",
		fmt.Sprintf("tcpi_rtt = wire RTT %s ± %.2f ms", fmtMs(wireRTT), itol),
		fmt.Sprintf("median tcpi_rtt %s", fmtMs(infoRTT)),
		len(infoRTTs) > 0 && within(infoRTT, wireRTT, itol))

	h.checkSizes(r, p, txs, w)

	r.Explain("connect() returns only when the SYN/ACK is back: one round trip before a single request byte can move.")
	r.Explain("The request then needs a second round trip for its response, so on a fresh connection a tiny transaction costs two RTTs, and the server's own work is small beside them.")
	r.Explain("Larger responses add round trips because the sender starts with a congestion window of 10 segments and doubles it each RTT (slow start, §4.2).")
	r.Explain("Open the pcapng in Wireshark: each packet's comment says what the experiment read from it.")
}

// checkSizes checks that larger responses cost the rounds the slow-start
// model predicts, on the wire.
func (h *Handshake) checkSizes(r *Result, p Plan, txs []transaction, w []wireTx) {
	if len(h.Sizes) < 2 {
		return
	}
	mss := 0
	for _, x := range w {
		if x.mss > 0 {
			mss = x.mss - 12 // timestamps option
			break
		}
	}
	ok := true
	var parts []string
	for _, size := range h.Sizes {
		var totals []float64
		rounds := -1
		for i, tx := range txs {
			if tx.size == size {
				totals = append(totals, ms(tx.total()))
				if w[i].rounds > rounds {
					rounds = w[i].rounds
				}
			}
		}
		model := slowStartRounds(size, mss, 10)
		tot := median(totals)
		r.Metric(fmt.Sprintf("total_ms_%d", size), tot)
		r.Metric(fmt.Sprintf("rounds_wire_%d", size), float64(rounds))
		r.Metric(fmt.Sprintf("rounds_model_%d", size), float64(model))
		if rounds < model-1 || rounds > model+1 {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("%d B: %d round(s) on the wire, model %d, total %s", size, rounds, model, fmtMs(tot)))
	}
	r.Check("larger-responses-cost-rounds",
		"C7: a response larger than the initial window takes more round trips, the window doubling each RTT",
		"response data rounds on the wire = slow-start model ± 1 for every size",
		joinSemi(parts), ok)
}

func joinSemi(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "; "
		}
		s += p
	}
	return s
}
