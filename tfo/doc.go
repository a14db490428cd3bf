// Package tfo is TCP Fast Open (RFC 7413) on Linux: a client that has a
// cookie from an earlier connection sends its first bytes in the SYN, and the
// server hands them to the application before the handshake completes,
// saving one round trip per connection.
//
// The pieces:
//
//   - Listen: a listener with setsockopt(IPPROTO_TCP, TCP_FASTOPEN, qlen)
//     set before listen(2), MPTCP off.
//   - DialWithData and Dialer: connect(2) with TCP_FASTOPEN_CONNECT, so
//     that, once a cookie is cached, connect returns at once and the first
//     write goes into the SYN; SendtoFastOpen: sendto(2) with
//     MSG_FASTOPEN on a raw socket (connect and send in one call).
//   - Mode, ReadMode, WriteMode: the bits of net.ipv4.tcp_fastopen.
//   - HaveClient, HaveServer: probes that say what is missing.
//   - FlushCookies: empties the client's cookie cache (tcp_metrics) over
//     generic netlink, so that the next connection asks for a cookie again.
//   - Status: what TCP_INFO says about a connection's SYN data.
//
// The cookie exchange (net/ipv4/tcp_fastopen.c): the first connection to a
// server sends an empty cookie option (kind 34) in its SYN and the data
// after the handshake; the SYN-ACK brings a cookie (8 bytes on Linux), which
// the client caches in tcp_metrics (net/ipv4/tcp_metrics.c). Later
// connections send cookie and data in the SYN.
//
// # Network namespaces
//
// The sysctl, the probes and FlushCookies act in the network namespace of
// the calling OS thread; call them from a goroutine locked to a thread
// that has entered the namespace (runtime.LockOSThread and setns(2)).
package tfo
