package timewait

import (
	"net/netip"
	"time"
)

// Socket is one TCP socket of a census.
type Socket struct {
	Local, Remote netip.AddrPort
	State         State
	// Remaining is the time left on the socket's timer: for TIME_WAIT the
	// time until the kernel frees it (starts near 60 s). From inet_diag it
	// has millisecond resolution, from /proc/thread-self/net/tcp 10 ms.
	Remaining time.Duration
}

// CountTimeWait counts the sockets of ss in TIME_WAIT whose endpoints match
// local and remote. In a pattern an invalid (zero) address matches any
// address and port 0 matches any port; IPv4-mapped IPv6 addresses match
// their IPv4 form. So CountTimeWait(ss, netip.AddrPort{}, server) counts
// the client side's TIME_WAIT toward server, and CountTimeWait(ss, server,
// netip.AddrPort{}) the server's own.
func CountTimeWait(ss []Socket, local, remote netip.AddrPort) int {
	n := 0
	for _, s := range ss {
		if s.State == StateTimeWait && match(local, s.Local) && match(remote, s.Remote) {
			n++
		}
	}
	return n
}

// match reports whether ap matches the pattern p.
func match(p, ap netip.AddrPort) bool {
	if p.Addr().IsValid() && p.Addr().Unmap() != ap.Addr().Unmap() {
		return false
	}
	return p.Port() == 0 || p.Port() == ap.Port()
}
