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
	switch {
	case n < 1:
		return 0, 0
	case n > twSimulateMax:
		return twPredictClosed(n)
	}
	remaining := n
	if remaining > 1 {
		remaining &^= 1
	}
	least = math.MaxInt
	reach := make([]bool, n)
	seen := make([]bool, n)
	// Odd offsets are made even before the first pass: only even ones differ.
	for off := 0; off < remaining; off += 2 {
		clear(seen)
		count := 0
		for _, p := range twPortScan(n, off) {
			if !seen[p] {
				seen[p], count = true, count+1
			}
			reach[p] = true
		}
		least = min(least, count)
	}
	for _, r := range reach {
		if r {
			most++
		}
	}
	return least, most
}

// twSimulateMax bounds the range twPredictConnects simulates scan by scan
// (the work grows as n²); larger ranges use twPredictClosed.
const twSimulateMax = 2048

// twPredictClosed is twPredictConnects in closed form: an even range is
// fully scanned; an odd one has every scan skip one port of the low end's
// parity (the last, or the first), so n−1 ports per scan and all n over
// several — except 3 ports, where the scan always starts at the first.
func twPredictClosed(n int) (least, most int) {
	switch {
	case n < 1:
		return 0, 0
	case n == 1 || n%2 == 0:
		return n, n
	case n == 3:
		return 2, 2
	}
	return n - 1, n
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
