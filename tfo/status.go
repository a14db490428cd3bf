package tfo

import (
	"syscall"

	"github.com/tcplab/tcplab/sockopt"
)

// Info is what the kernel reports about a connection's Fast Open in
// struct tcp_info (include/uapi/linux/tcp.h; filled by net/ipv4/tcp.c
// tcp_get_info).
type Info struct {
	// SynData is tcpi_options & TCPI_OPT_SYN_DATA (0x20): on the client,
	// the data sent in the SYN was acknowledged by the SYN-ACK; on the
	// server, data arrived in the SYN and was accepted
	// (net/ipv4/tcp_fastopen.c tcp_fastopen_add_skb).
	SynData bool
	// ClientFail is tcpi_fastopen_client_fail: why the client's SYN did
	// not carry data (TFO_COOKIE_UNAVAILABLE: a cookie was requested), or
	// carried data that was not acknowledged.
	ClientFail sockopt.FastOpenFail
}

// Status reads the Fast Open outcome of a connection from
// getsockopt(IPPROTO_TCP, TCP_INFO), decoded by sockopt.GetTCPInfo (which
// keeps the tcpi_fastopen_client_fail bit-field that x/sys's unix.TCPInfo
// drops). It is final once the handshake has completed, for example after
// the first byte of the response was read.
func Status(c syscall.Conn) (Info, error) {
	ti, err := sockopt.GetTCPInfo(c)
	if err != nil {
		return Info{}, err
	}
	return Info{
		SynData:    ti.Options.Has(sockopt.TCPI_OPT_SYN_DATA),
		ClientFail: ti.FastOpenClientFail,
	}, nil
}
