// Package analyze turns captured frames into TCP facts: segments with their
// options, flows, the three-way handshake (RFC 9293 §3.5) and its options
// (MSS, window scale and timestamps from RFC 7323, SACK-permitted from
// RFC 2018, the TCP Fast Open cookie from RFC 7413), the wire RTT, data and
// retransmissions, flights per round trip, and how the connection ended
// (FIN or RST, who first, who holds TIME_WAIT).
//
// The package is pure: no clock, no I/O, no randomness. The same frames give
// the same facts, so it is tested on golden captures in testdata/.
package analyze
