package netlab

// LossDrop reports whether the packet numbered n (counting from 0) of the
// given stream is lost when each packet is lost with probability p under
// seed. It is a pure function: the same seed, stream and packet number give
// the same answer on every run and machine, so a seeded experiment drops the
// same packets whenever the same packets are offered. Distinct streams (the
// two directions of a link, the links of a lab) get independent patterns.
//
// Each decision is a Bernoulli trial on a uniform number in [0, 1) taken from
// the SplitMix64 finaliser of (seed, stream, n).
func LossDrop(seed int64, stream, n uint64, p float64) bool {
	switch {
	case !(p > 0): // also catches NaN
		return false
	case p >= 1:
		return true
	}
	h := splitmix64(splitmix64(uint64(seed)+stream*0x9e3779b97f4a7c15) + n)
	u := float64(h>>11) * (1.0 / (1 << 53))
	return u < p
}

// splitmix64 is the output function of Steele, Lea and Flood's SplitMix64
// generator (OOPSLA 2014): a bijective 64-bit mixer with good avalanche.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
