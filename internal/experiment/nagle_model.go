package experiment

import "time"

// Linux's delayed-ACK constants (include/net/tcp.h) and the timer tick they
// are counted in. HZ=250 here, so the timer moves in 4 ms steps.
const (
	nagleDelackMin = 40 * time.Millisecond  // TCP_DELACK_MIN = TCP_ATO_MIN (HZ/25)
	nagleDelackMax = 200 * time.Millisecond // TCP_DELACK_MAX (HZ/5)
	nagleJiffy     = 4 * time.Millisecond   // 1/HZ at CONFIG_HZ=250
)

// nagleEffectiveDelack is the delayed-ACK timeout Linux arms for an ACK owed on
// small pushed segments (net/ipv4/tcp_output.c tcp_send_delayed_ack): an
// ato above TCP_DELACK_MIN is first capped at TCP_DELACK_MAX (pingpong mode
// or ICSK_ACK_PUSHED) and by the smoothed RTT, never below TCP_DELACK_MIN;
// the result is capped by icsk_delack_max (TCP_DELACK_MAX by default). An
// ato at or below TCP_DELACK_MIN is used as it is. srtt 0 means unknown.
func nagleEffectiveDelack(ato, srtt time.Duration) time.Duration {
	if ato <= 0 {
		ato = nagleDelackMin
	}
	if ato > nagleDelackMin {
		bound := nagleDelackMax
		if srtt > 0 {
			bound = min(bound, max(srtt, nagleDelackMin))
		}
		ato = min(ato, bound)
	}
	return min(ato, nagleDelackMax)
}

// nagleDelackWindow is the range a measured delayed-ACK wait may fall in when
// the kernel armed timeout d: the timer fires on a tick, so up to one tick
// early or late, plus two ticks and 2 ms for a busy two-core machine and
// the relay's scheduling.
func nagleDelackWindow(d time.Duration) (lo, hi time.Duration) {
	return d - nagleJiffy - time.Millisecond, d + 3*nagleJiffy + 2*time.Millisecond
}

// nagleModelExchange is the model's time for one write-write-read exchange at
// round-trip time rtt when the server's delayed-ACK timer is d:
//
//   - nodelay, cork: header and body leave together, the reply is back after
//     one RTT;
//   - nagle: the body waits for the ACK of the header (one RTT) and the
//     server holds that ACK for d because it has nothing to send until the
//     body is there: 2·RTT + d — except while the server is still in
//     quickack mode at the start of the connection (exempt), when it ACKs
//     at once: 2·RTT;
//   - quickack: the server ACKs the header at once, but Nagle still waits
//     for that ACK: 2·RTT.
func nagleModelExchange(m nagleMode, rtt, d time.Duration, exempt bool) time.Duration {
	switch m {
	case nagleModeNoDelay, nagleModeCork:
		return rtt
	case nagleModeOn:
		if exempt {
			return 2 * rtt
		}
		return 2*rtt + d
	case nagleModeQuickAck:
		return 2 * rtt
	}
	return 0
}

// nagleTolerance is how far a median exchange time may sit from the
// model: 10 % of the RTT part, at least 3 ms (scheduling on a loaded
// two-core machine, 4 ms ticks, the relay's timers).
func nagleTolerance(model time.Duration) time.Duration {
	return max(model/10, 3*time.Millisecond)
}

// nagleBurstSegments is the model's upper bound on the segments a burst of
// writes 1-byte writes makes with Nagle on when the writes take writing at
// round-trip time rtt: the first byte goes at once, and while a small
// segment is unacknowledged everything written meanwhile waits, so about
// one segment leaves per RTT the writes last. The bound allows twice that
// (the ACK clock runs faster than the handshake's RTT when the RTT is tiny,
// and a busy machine stretches the writes), plus the first segment and one
// for a write racing an ACK.
func nagleBurstSegments(writes int, writing, rtt time.Duration) int {
	if rtt <= 0 {
		return writes
	}
	n := 2 + int(2*writing/rtt)
	return min(n, writes)
}
