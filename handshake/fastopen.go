package handshake

import "github.com/tcplab/tcplab/sockopt"

// FastOpenFail is tcpi_fastopen_client_fail: why the client's TCP Fast Open
// attempt did not put data in the SYN (RFC 7413; include/uapi/linux/tcp.h
// enum tcp_fastopen_client_fail). Its String method returns the kernel's
// name ("TFO_COOKIE_UNAVAILABLE").
type FastOpenFail = sockopt.FastOpenFail

// The values of FastOpenFail.
const (
	// FastOpenFailUnspec: nothing failed, or Fast Open was not tried.
	FastOpenFailUnspec = sockopt.FastOpenFailUnspec
	// FastOpenFailCookieUnavailable: no cookie was cached for the server,
	// so the SYN only asked for one; the data followed the handshake.
	FastOpenFailCookieUnavailable = sockopt.FastOpenFailCookieUnavailable
	// FastOpenFailDataNotAcked: the SYN carried data but the SYN/ACK did
	// not acknowledge it, so it was sent again.
	FastOpenFailDataNotAcked = sockopt.FastOpenFailDataNotAcked
	// FastOpenFailSynRetransmitted: the SYN with data timed out and was
	// retransmitted without it.
	FastOpenFailSynRetransmitted = sockopt.FastOpenFailSynRetransmitted
)
