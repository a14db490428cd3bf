package experiment

import (
	"fmt"
	"strings"
)

// nagleHeaderModel is the IP+TCP header bytes of a data segment: 20 + 20, plus
// the 12-byte timestamps option (RFC 7323 §3: 10 bytes padded to 12).
func nagleHeaderModel(ts bool) int {
	if ts {
		return 52
	}
	return 40
}

// checkPiggyback counts the server's ACKs that ride on data.
func (n *Nagle) checkPiggyback(r *Result, runs *nagleRuns, w *nagleWire, times map[nagleMode]nagleModeTimes, exempt int) {
	var parts []string
	for _, m := range nagleModes {
		wc := w.conns[m]
		if wc == nil || !wc.found {
			continue
		}
		ratio := 0.0
		if wc.pure+wc.piggy > 0 {
			ratio = float64(wc.piggy) / float64(wc.pure+wc.piggy)
		}
		r.Metric("piggyback_ratio_"+string(m), ratio)
		r.Metric("pure_acks_"+string(m), float64(wc.pure))
		r.Metric("piggybacked_acks_"+string(m), float64(wc.piggy))
		parts = append(parts, fmt.Sprintf("%s %d/%d", m, wc.piggy, wc.pure+wc.piggy))
		if m == nagleModeOn {
			r.Metric("piggyback_ratio", ratio)
		}
	}
	nt, ct := times[nagleModeOn], times[nagleModeCork]
	ckRides := 0
	if wc := w.conns[nagleModeCork]; wc != nil {
		for k, x := range wc.ex {
			if k >= exempt && x.complete() && x.ack == x.reply {
				ckRides++
			}
		}
	}
	nagleRatio := r.Metrics["piggyback_ratio_nagle"]
	if wn, wd := w.conns[nagleModeOn], w.conns[nagleModeNoDelay]; wn != nil && wd != nil && wn.found && wd.found && n.Exchanges > 0 {
		r.Finding("pure ACKs from the server per exchange: Nagle %.1f (the header's, delayed; then the body's at once — when the delayed-ACK timer fires Linux leaves interactive mode, tcp_delack_timer_handler), NODELAY %.1f (two small segments unacknowledged make the read send an ACK before the reply, tcp_cleanup_rbuf), CORK %.1f: only a single-segment request lets the ACK ride on the reply",
			float64(wn.pure)/float64(n.Exchanges), float64(wd.pure)/float64(n.Exchanges), r.Metrics["pure_acks_cork"]/float64(n.Exchanges))
	}
	r.Check("ack-rides-on-data-only-when-there-is-data",
		"C9: a delayed ACK waits for data going the same way: with Nagle the header's ACK finds none and goes pure; when the whole request is one segment the ACK rides on the reply",
		"Nagle: every counted header ACKed by a pure ACK, so at most half the server's ACKs piggybacked; CORK: every counted request ACKed by its reply",
		fmt.Sprintf("Nagle: %d of %d header ACKs pure, piggybacked share %.2f; CORK: %d of %d ACKed by the reply (piggybacked/all server ACKs: %s)",
			nt.pureHeaderAcks, nt.complete, nagleRatio, ckRides, ct.complete, strings.Join(parts, ", ")),
		nt.complete > 0 && nt.pureHeaderAcks == nt.complete && nagleRatio <= 0.5+1e-9 && ct.complete > 0 && ckRides == ct.complete)
}

// checkBurst checks Nagle's coalescing of tiny writes and their header
// overhead.
func (n *Nagle) checkBurst(r *Result, runs *nagleRuns, w *nagleWire) {
	var on, off *nagleBurstConn
	for _, b := range runs.bursts {
		if b.nagle {
			on = b
		} else {
			off = b
		}
	}
	wOn, wOff := w.bursts[true], w.bursts[false]
	if on == nil || off == nil || wOn == nil || wOff == nil || !wOn.found || !wOff.found {
		r.Check("nagle-coalesces", "C8: Nagle coalesces tiny writes into far fewer segments", "both bursts on the wire", "a burst connection is missing from the capture", false)
		return
	}
	segOn, segOff := wOn.cost.segments, wOff.cost.segments
	r.Metric("segments_nagle", float64(segOn))
	r.Metric("segments_nodelay", float64(segOff))
	r.Metric("burst_writes", float64(n.Burst))
	r.Metric("burst_write_ms_nagle", ms(on.writing))
	r.Metric("burst_write_ms_nodelay", ms(off.writing))
	bound := nagleBurstSegments(n.Burst, on.writing, w.rtt)
	r.Metric("burst_initcwnd", float64(runs.burstInitCwnd))
	r.Metric("burst_cwnd_start", float64(off.cwnd0))
	r.Check("nagle-coalesces",
		fmt.Sprintf("C8: Nagle coalesces tiny writes: %d one-byte writes leave in far fewer segments than with TCP_NODELAY", n.Burst),
		fmt.Sprintf("Nagle: ≤ %d segments (about one per RTT the writes took, %.2f ms, ×2) and under half NODELAY's; NODELAY: ≥ %d (one per write, autocorking may merge a few); all %d bytes on the wire both times", bound, ms(on.writing), n.Burst/2, n.Burst),
		fmt.Sprintf("Nagle %d segments (largest %d B), NODELAY %d segments (tcpi_snd_cwnd at its start %d); bytes %d and %d",
			segOn, wOn.cost.largest, segOff, off.cwnd0, wOn.cost.payload, wOff.cost.payload),
		segOn <= bound && segOff >= n.Burst/2 && 2*segOn < segOff && wOn.cost.payload == n.Burst && wOff.cost.payload == n.Burst)
	r.Finding("the bursts ran with initcwnd %d on the client's route (kernel: tcpi_snd_cwnd %d at the start): with Linux's initial window of 10 segments, a NODELAY burst sends 10 one-byte segments and the congestion window piles the rest into one — the window, not Nagle, would coalesce them", runs.burstInitCwnd, off.cwnd0)
	if segOff < n.Burst {
		r.Finding("with TCP_NODELAY, %d writes made %d segments: tcp_autocorking merged writes made while an earlier segment was still queued below TCP", n.Burst, segOff)
	}

	want := nagleHeaderModel(w.ts)
	good := wOn.cost.nagleHeaderLens[want] + wOff.cost.nagleHeaderLens[want]
	total := wOn.cost.segments + wOff.cost.segments
	r.Metric("header_bytes", float64(want))
	r.Metric("wire_bytes_per_payload_byte_nagle", wOn.cost.perPayloadByte())
	r.Metric("wire_bytes_per_payload_byte_nodelay", wOff.cost.perPayloadByte())
	r.Check("header-overhead",
		"C3: every segment carries ~40 bytes of IP+TCP headers (52 with timestamps), so tiny segments cost far more than their data",
		fmt.Sprintf("IP header + TCP header (IHL, data offset) = %d bytes on every data segment (timestamps %v); NODELAY ≈ %d bytes on the wire per byte of data",
			want, w.ts, want+1),
		fmt.Sprintf("%d of %d segments with %d-byte headers (seen: %s); bytes on the wire per data byte: NODELAY %.1f, Nagle %.2f",
			good, total, want, nagleLens(wOn.cost.nagleHeaderLens, wOff.cost.nagleHeaderLens), wOff.cost.perPayloadByte(), wOn.cost.perPayloadByte()),
		total > 0 && good == total && within(wOff.cost.perPayloadByte(), float64(want+1), float64(want)*0.2))
	if w.ts {
		r.Finding("with TCP timestamps on (Linux's default), each segment carries 52 bytes of IP+TCP headers, not the book's 40")
	}
}
