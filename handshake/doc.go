// Package handshake is the kernel's witness of the TCP three-way handshake
// (RFC 9293 §3.5): what the two SYNs negotiated, as the socket remembers it
// in TCP_INFO, and the socket options that shape the SYN before it leaves.
//
// Negotiated reads a connected socket and reports the MSS in each
// direction, the window scale shifts both ways (RFC 7323 §2), SACK
// (RFC 2018), timestamps (RFC 7323 §3), ECN (RFC 3168), the TCP Fast Open
// outcome (RFC 7413) and the RTT the handshake and later segments
// measured. The wire's view of the same handshake (the options as they
// appear in the captured SYNs) lives in internal/analyze; an experiment
// compares the two.
//
// MaxSeg, SynCount and WindowClamp are Control factories for a net.Dialer
// or net.ListenConfig (see sockopt.Dialer and sockopt.ListenConfig), with a
// setter and getter each for raw sockets.
//
// Only Linux has TCP_INFO in this form; elsewhere Negotiated returns an
// error matching errors.ErrUnsupported.
package handshake
