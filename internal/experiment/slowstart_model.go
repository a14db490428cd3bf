package experiment

import (
	"math"
	"math/bits"
	"time"
)

// The slow-start model: what RFC 5681 §3.1 and RFC 6928 predict for a bulk
// transfer over a link of a given rate, round-trip time and queue, as pure
// functions of those numbers.

const (
	// ssIW is the initial window in segments (RFC 6928; Linux
	// TCP_INIT_CWND in include/net/tcp.h).
	ssIW = 10
	// ssHystartLow is cubic's hystart_low_window: HyStart acts only once
	// cwnd has reached it (net/ipv4/tcp_cubic.c).
	ssHystartLow = 16
	// ssHeader is the IPv4 + TCP header with the timestamps option: a full
	// segment of MSS bytes is an IP packet of MSS + ssHeader bytes.
	ssHeader = 52
	// ssDefaultMSS is the MSS a 1500-byte MTU gives with timestamps.
	ssDefaultMSS = 1448
	// ssMaxAutoRounds bounds the rounds of an auto-sized transfer, and so
	// its size (at most 10·(2^7−1) = 1270 segments) and the run's time.
	ssMaxAutoRounds = 7
	// ssMinAutoRounds is the fewest rounds an auto-sized transfer asks for,
	// even when the link cannot let the window double.
	ssMinAutoRounds = 3
)

// ssPath is the emulated path as the model sees it.
type ssPath struct {
	RTT     time.Duration // base round-trip time
	RateBps int64         // bottleneck rate in bit/s of IP bytes
	Queue   int           // packets the bottleneck holds before it drops
	MSS     int           // payload bytes per full segment
}

// packetTime is the time the bottleneck takes to serialise one full
// segment.
func (p ssPath) packetTime() time.Duration {
	if p.RateBps <= 0 {
		return 0
	}
	return time.Duration(float64(8*(p.mss()+ssHeader)) / float64(p.RateBps) * float64(time.Second))
}

func (p ssPath) mss() int {
	if p.MSS <= 0 {
		return ssDefaultMSS
	}
	return p.MSS
}

// bdp is the bandwidth-delay product in full segments: how many the link
// holds in flight without a queue.
func (p ssPath) bdp() float64 {
	if p.RateBps <= 0 {
		return math.Inf(1)
	}
	return float64(p.RateBps) * p.RTT.Seconds() / float64(8*(p.mss()+ssHeader))
}

// segments is the number of segments a transfer of size bytes needs.
func (p ssPath) segments(size int) int { return (size + p.mss() - 1) / p.mss() }

// ssCleanLimit is the largest flight, in segments, that the congestion
// control lets double cleanly on this path. Reno doubles until the link and
// its queue overflow (BDP + queue). Cubic's HyStart ends slow start once a
// round's ACK train lasts more than half the minimum RTT or the RTT rises,
// which happens when a flight passes about the BDP (never below cwnd 16);
// BBR's startup ends when the delivery rate stops growing, also at the BDP.
// A flight F_{k+1} ≤ BDP means F_k ≤ BDP/2, whose ACK train is shorter than
// RTT/2: HyStart cannot fire before round k+1 has doubled.
func ssCleanLimit(p ssPath, cc string) float64 {
	if cc == "reno" {
		return p.bdp() + float64(p.Queue)
	}
	return p.bdp()
}

// ssExitRange is the range of windows at which slow start is expected to
// end for cc (the model's uncertainty about HyStart and BBR's startup);
// +Inf for reno, which leaves slow start only on loss.
func ssExitRange(p ssPath, cc string) (lo, hi float64) {
	bdp := p.bdp()
	switch cc {
	case "reno":
		return math.Inf(1), math.Inf(1)
	case "bbr":
		return math.Max(ssIW, bdp), math.Max(2*ssIW, 3*bdp)
	default:
		return math.Max(ssHystartLow, bdp/2), math.Max(2*ssIW, 2*bdp)
	}
}

// ssAutoSegments is the transfer the experiment sends when no size is
// given: whole rounds of slow start (10, 20, 40, … segments) as long as the
// next flight stays within the clean limit for cubic (the BDP) and the whole
// transfer fits in 90 % of the link's queue (a warm connection sends it in
// one burst at the sender's line rate, and the queue must absorb that
// burst), between ssMinAutoRounds and ssMaxAutoRounds rounds. It ends on a
// round boundary, so the last flight is a full one and the transfer fits
// the model exactly.
func ssAutoSegments(p ssPath) (segs, rounds int) {
	limit := p.bdp()
	burst := math.Inf(1)
	if p.Queue > 0 {
		burst = 0.9 * float64(p.Queue)
	}
	for f := ssIW; rounds < ssMaxAutoRounds && float64(f) <= limit && float64(2*f-ssIW) <= burst; f *= 2 {
		rounds++
	}
	rounds = max(rounds, ssMinAutoRounds)
	return ssIW * (1<<rounds - 1), rounds
}

// ssSim is the outcome of simulating one transfer.
type ssSim struct {
	Flights  []int         // data segments per round, by the rule of analyze.Flights
	Done     time.Duration // last segment's arrival at the receiver, from the first send
	EndCwnd  float64       // cwnd once every segment is acknowledged
	LossAt   int           // first segment the queue would drop; -1 for none
	MaxQueue int           // most packets waiting at the bottleneck
}

// ssSimulate plays one transfer of segs full segments through the
// path, segment by segment: the sender starts with cwnd w0 and ssthresh;
// each ACK (one per segment) adds one segment to cwnd in slow start
// (cwnd < ssthresh, RFC 5681 §3.1) and 1/cwnd after it; the bottleneck
// serialises each packet at the link rate behind the ones before it and the
// wire adds RTT/2 each way. Rounds are counted as analyze.Flights counts
// them at the sender: a round ends once the ACK of its first segment is back.
// Packets the queue would drop are reported (LossAt) but delivered, so the
// result is the loss-free prediction.
func ssSimulate(p ssPath, segs int, w0, ssthresh float64) ssSim {
	out := ssSim{LossAt: -1}
	if segs <= 0 {
		return out
	}
	half := p.RTT.Seconds() / 2
	tser := p.packetTime().Seconds()
	send := make([]float64, segs)
	depart := make([]float64, segs)
	ackAt := make([]float64, segs)
	cwnd := math.Max(w0, 1)
	next, waitFrom := 0, 0
	lastDepart := 0.0
	roundFirst := -1
	transmit := func(t float64, acked int) {
		for next < segs && float64(next-acked) < math.Floor(cwnd+1e-9) {
			// Packets still waiting for the serialiser when this one arrives.
			for waitFrom < next && depart[waitFrom] <= t {
				waitFrom++
			}
			if q := next - waitFrom; q > out.MaxQueue {
				out.MaxQueue = q
			}
			if p.Queue > 0 && next-waitFrom >= p.Queue && out.LossAt < 0 {
				out.LossAt = next
			}
			send[next] = t
			d := math.Max(t, lastDepart) + tser
			lastDepart, depart[next] = d, d
			ackAt[next] = d + 2*half
			if roundFirst < 0 || (ackAt[roundFirst] <= t && t-send[roundFirst] >= half) {
				out.Flights = append(out.Flights, 0)
				roundFirst = next
			}
			out.Flights[len(out.Flights)-1]++
			next++
		}
	}
	transmit(0, 0)
	for i := 0; i < segs; i++ {
		if cwnd < ssthresh {
			cwnd++
		} else {
			cwnd += 1 / cwnd
		}
		transmit(ackAt[i], i+1)
	}
	out.Done = time.Duration((depart[segs-1] + half) * float64(time.Second))
	out.EndCwnd = cwnd
	return out
}

// ssDoublingRounds returns the rounds k ≥ 2 whose flight the model expects
// to be twice the one before: in the loss-free simulation flight k is
// exactly 2·flight k−1 (so it is neither the last, partial round nor cut by
// the link) and it stays within the clean limit of cc.
func ssDoublingRounds(model []int, limit float64) []int {
	var ks []int
	for k := 2; k <= len(model); k++ {
		if model[k-1] == 2*model[k-2] && float64(model[k-1]) <= limit {
			ks = append(ks, k)
		}
	}
	return ks
}

// ssRoundsRange is the range of rounds a cold transfer of segs segments
// needs when slow start may end anywhere in [lo, hi] (then the window grows
// by about one segment per round).
func ssRoundsRange(p ssPath, segs int, lo, hi float64) (minRounds, maxRounds int) {
	a := len(ssSimulate(p, segs, ssIW, hi).Flights)
	b := len(ssSimulate(p, segs, ssIW, lo).Flights)
	return min(a, b), max(a, b)
}

// ssRestartCwnd is the window Linux restarts with after an idle period
// (net/ipv4/tcp_output.c tcp_cwnd_restart): once the idle time exceeds the
// RTO, cwnd is halved once for every further full RTO of idle, but never
// below min(IW, cwnd). An idle period no longer than the RTO changes
// nothing.
func ssRestartCwnd(cwnd uint32, idle, rto time.Duration) uint32 {
	if rto <= 0 || idle <= rto {
		return cwnd
	}
	restart := min(uint32(ssIW), cwnd)
	c := cwnd
	for delta := idle - rto; delta > 0 && c > restart; delta -= rto {
		c >>= 1
	}
	return max(c, restart)
}

// ssIdleFor is how long to stay idle so that tcp_cwnd_restart takes cwnd
// all the way back to the initial window: one RTO to qualify as idle, one
// more for every halving, and half an RTO of margin for the 4 ms jiffies
// and the scheduler.
func ssIdleFor(cwnd uint32, rto time.Duration) time.Duration {
	halvings := 1
	if cwnd > ssIW {
		halvings = max(1, bits.Len32((cwnd-1)/ssIW))
	}
	return time.Duration(halvings)*rto + rto/2 + 20*time.Millisecond
}
