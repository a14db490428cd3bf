package experiment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// metrics records the run's numbers.
func (s *SlowStart) metrics(r *Result, p Plan, m ssModelView, run *ssRun, w ssWire) {
	r.Metric("rate_bps", float64(p.RateBps))
	r.Metric("bdp_segments", m.bdp)
	r.Metric("size_bytes", float64(run.size))
	r.Metric("size_segments", float64(m.segs))
	r.Metric("mss_bytes", float64(m.path.mss()))
	r.Metric("connect_ms", ms(run.connect))
	r.Metric("rtt_wire_ms", ms(w.rtt))
	r.Metric("rounds_model", float64(len(m.nominal.Flights)))
	r.Metric("rounds_model_min", float64(m.roundsMin))
	r.Metric("rounds_model_max", float64(m.roundsMax))
	r.Metric("cold_model_ms", m.coldMs)
	r.Metric("warm_model_ms", m.warmMs)
	r.Metric("idle_model_ms", m.idleMs)
	r.Metric("idle_noss_model_ms", m.idleNossMs)
	r.Metric("ss_exit_ssthresh", float64(ssColdExit(run)))
	for k := 1; k <= 5; k++ {
		f := 0
		if k <= len(m.cold.Flights) {
			f = m.cold.Flights[k-1]
		}
		r.Metric(fmt.Sprintf("flight_model_%d", k), float64(f))
	}
	for i, ph := range run.phases {
		var wph ssWirePhase
		if i < len(w.phases) {
			wph = w.phases[i]
		}
		n := ph.name
		r.Metric(n+"_ms", ms(ph.elapsed()))
		r.Metric(n+"_wire_ms", ms(wph.duration()))
		r.Metric("rounds_"+n, float64(len(wph.flights)))
		r.Metric("segments_"+n, float64(wph.segs))
		r.Metric("retrans_"+n, float64(wph.retrans))
		r.Metric("first_flight_"+n, float64(wph.flight(1)))
		if ph.atWrite != nil {
			r.Metric("cwnd_start_"+n, float64(ph.atWrite.SndCwnd))
		}
		if ph.end != nil {
			r.Metric("cwnd_end_"+n, float64(ph.end.SndCwnd))
			if ph.atWrite != nil {
				r.Metric("rwnd_limited_ms_"+n, ms(ph.end.RwndLimited-ph.atWrite.RwndLimited))
				r.Metric("sndbuf_limited_ms_"+n, ms(ph.end.SndbufLimited-ph.atWrite.SndbufLimited))
			}
		}
		if ph.idle {
			if v, err := strconv.Atoi(ph.ssai); err == nil {
				r.Metric("slow_start_after_idle_"+n, float64(v))
			}
			r.Metric("idle_sleep_ms_"+n, ms(ph.idleSleep))
			if i > 0 && i-1 < len(w.phases) && w.phases[i-1].found {
				r.Metric("idle_wait_ms_"+n, ms(ph.writeAt.Sub(w.phases[i-1].lastData)))
			}
			if ph.before != nil {
				r.Metric("rto_ms_"+n, ms(ph.before.RTO))
			}
		}
		if i == 0 {
			for k := 1; k <= 5; k++ {
				r.Metric(fmt.Sprintf("flight_%d", k), float64(wph.flight(k)))
			}
			r.Metric("iw_segments", float64(wph.flight(1)))
			r.Metric("rounds_cold", float64(len(wph.flights)))
			if ph.atWrite != nil {
				r.Metric("iw_kernel_cwnd", float64(ph.atWrite.SndCwnd))
			}
		}
	}
	if len(run.phases) == 4 {
		idle, noss := run.phases[2], run.phases[3]
		if idle.before != nil && idle.atWrite != nil {
			r.Metric("cwnd_before_idle", float64(idle.before.SndCwnd))
			r.Metric("cwnd_after_idle", float64(idle.atWrite.SndCwnd))
		}
		if noss.before != nil && noss.atWrite != nil {
			r.Metric("cwnd_before_idle_noss", float64(noss.before.SndCwnd))
			r.Metric("cwnd_after_idle_noss", float64(noss.atWrite.SndCwnd))
		}
	}
	var rtts []float64
	var maxRate uint64
	var minRTT time.Duration
	for _, sm := range run.samples {
		if sm.info.RTT > 0 {
			rtts = append(rtts, ms(sm.info.RTT))
		}
		maxRate = max(maxRate, sm.info.DeliveryRate)
		if sm.info.MinRTT > 0 && (minRTT == 0 || sm.info.MinRTT < minRTT) {
			minRTT = sm.info.MinRTT
		}
	}
	r.Metric("tcpinfo_samples", float64(len(run.samples)))
	r.Metric("tcpinfo_min_rtt_ms", ms(minRTT))
	r.Metric("tcpinfo_rtt_median_ms", median(rtts))
	r.Metric("delivery_rate_max_bps", 8*float64(maxRate))
}

// describe writes the model paragraph.
func (s *SlowStart) describe(r *Result, p Plan, m ssModelView, run *ssRun, defRate, auto bool) {
	rate := fmt.Sprintf("%.0f Mbit/s", float64(p.RateBps)/1e6)
	if defRate {
		rate += " (the experiment's default, applied because --rate was 0: slow start needs a bottleneck)"
	}
	size := fmt.Sprintf("%d bytes (%d segments)", run.size, m.segs)
	if auto {
		size += ", sized to whole rounds that fit the BDP"
	}
	doubling := "none"
	if len(m.doubling) > 0 {
		doubling = ssInts(m.doubling)
	}
	r.Model = fmt.Sprintf("Link %s, RTT %.0f ms, queue %d packets: BDP = %.1f full segments (%d-byte packets). "+
		"Slow start (RFC 5681 §3.1): cwnd starts at IW = 10 segments (RFC 6928) and grows by one segment per ACKed segment, "+
		"so each round trip's flight doubles: %s. Rounds whose flight stays within %s (%.0f segments) are clean slow start; "+
		"rounds %s are checked for a ratio of 2 ± 0.25. A cold transfer of %s needs %s rounds (slow start ending anywhere in %s) and ≈ %.0f ms "+
		"(request out to last byte in, on the receiver's wire); the warm one starts from the cwnd TCP_INFO reports (%d) and needs ≈ %.0f ms. "+
		"After an idle period longer than the RTO with tcp_slow_start_after_idle=1 Linux halves cwnd once per further RTO of idle, "+
		"down to IW (tcp_cwnd_restart), so the experiment idles ⌈log2(cwnd/IW)⌉ RTOs plus a margin; with 0, or under BBR, cwnd is kept.",
		rate, ms(p.RTT), p.Queue, m.bdp, m.path.mss()+ssHeader, ssInts(m.cold.Flights), ssLimitText(p.CC), m.clean,
		doubling, size, ssRangeText(m.roundsMin, m.roundsMax), ssExitText(m.exitLo, m.exitHi), m.coldMs, m.warmStart, m.warmMs)
}

func ssLimitText(cc string) string {
	if cc == "reno" {
		return "BDP + queue (reno stops only on loss)"
	}
	if cc == "bbr" {
		return "the BDP (BBR's STARTUP ends when the delivery rate stops growing)"
	}
	return "the BDP (cubic's HyStart ends slow start about there)"
}

func ssExitText(lo, hi float64) string {
	if math.IsInf(lo, 1) {
		return "never before loss"
	}
	return fmt.Sprintf("%.0f–%.0f segments", lo, hi)
}

func ssExitCause(cc string, retrans int) string {
	switch {
	case retrans > 0:
		return fmt.Sprintf("%d retransmissions: a loss", retrans)
	case cc == "cubic":
		return "no retransmission: cubic's HyStart saw the ACK train stretch or the RTT rise"
	default:
		return "no retransmission"
	}
}

func ssFirstRoundText(cc string, want int) string {
	if cc == "bbr" {
		return "; BBR paces the first round"
	}
	return fmt.Sprintf("; first round on the wire = %d segments", want)
}

func ssSsthreshText(v uint32) string {
	if v >= ssInfiniteSsthresh {
		return "infinite"
	}
	return fmt.Sprint(v)
}

func ssRangeText(a, b int) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d–%d", a, b)
}

func ssInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ", ")
}

func ssAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
