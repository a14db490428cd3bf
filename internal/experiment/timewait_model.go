package experiment

import (
	"math"
	"time"
)

// twPortScan lists, in order, the offsets from the range's low end that
// connect(2) tries for a free local port when the range holds n ports and
// the hash-and-perturbation offset is offset. It mirrors
// net/ipv4/inet_hashtables.c __inet_hash_connect (Linux 5.x–6.x, without
// the per-socket IP_LOCAL_PORT_RANGE): the range is cut to an even number
// of ports, the first pass walks the ports of the low end's parity two by
// two from an even offset, wrapping by that even count, and a second pass
// walks the other parity.
func twPortScan(n, offset int) []int {
	if n < 1 {
		return nil
	}
	remaining := n
	if remaining > 1 {
		remaining &^= 1
	}
	offset %= remaining
	offset &^= 1
	var tried []int
	for {
		port := offset
		for i := 0; i < remaining; i, port = i+2, port+2 {
			if port >= n {
				port -= remaining
			}
			tried = append(tried, port)
		}
		offset++
		if offset&1 == 0 || remaining <= 1 {
			return tried
		}
	}
}

// twPredictConnects is the model of port exhaustion: how many connections
// to one destination succeed, each leaving its port in TIME_WAIT, before
// connect(2) fails with EADDRNOTAVAIL, for a range of n ports. The first
// failure comes when every port of one scan is taken, so the count is at
// least the smallest scan and at most the ports any scan reaches. With n
// even both are n; with n odd a scan covers n−1 ports and which one it
// skips depends on the perturbation, so the answer is n−1 or n (3 ports
// give 2: the third is never tried).
func twPredictConnects(n int) (least, most int) {
	if n < 1 {
		return 0, 0
	}
	remaining := n
	if remaining > 1 {
		remaining &^= 1
	}
	least = math.MaxInt
	reach := map[int]bool{}
	for off := 0; off < remaining; off++ {
		seen := map[int]bool{}
		for _, p := range twPortScan(n, off) {
			seen[p] = true
			reach[p] = true
		}
		least = min(least, len(seen))
	}
	return least, len(reach)
}

// twReuseRate is the model of tcp_tw_reuse=1 for a client that connects and
// closes in a loop, one connection at a time, to one destination with n
// local ports: a connect takes one round trip c; the port enters TIME_WAIT
// when the server's FIN arrives, 2c after the connect began; connect may
// take it over once delay (tcp_tw_reuse_delay) has passed since. So n
// ports serve n connections per delay + 2c, unless the loop itself, one
// connection per c, is slower. Connections per second.
func twReuseRate(n int, c, delay time.Duration) float64 {
	byPorts := float64(n) / (delay + 2*c).Seconds()
	if c <= 0 {
		return byPorts
	}
	return math.Min(1/c.Seconds(), byPorts)
}
