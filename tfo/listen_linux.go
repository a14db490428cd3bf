package tfo

import (
	"context"
	"fmt"
	"net"

	"github.com/tcplab/tcplab/sockopt"
)

// Listen announces on addr like net.ListenConfig.Listen, with
// setsockopt(IPPROTO_TCP, TCP_FASTOPEN, qlen) set before listen(2) and
// MPTCP off. qlen bounds the connections that completed a Fast Open but
// were not yet accepted; the kernel caps it at net.core.somaxconn
// (include/linux/tcp.h fastopen_queue_tune). The controls in ctl run first,
// in order.
//
// The listener accepts SYN data only where net.ipv4.tcp_fastopen of its
// namespace has the Server bit (see HaveServer); otherwise connections
// fall back to the ordinary handshake.
func Listen(ctx context.Context, network, addr string, qlen int, ctl ...sockopt.Control) (net.Listener, error) {
	if qlen < 1 {
		return nil, fmt.Errorf("tfo: listen: queue length %d, want at least 1", qlen)
	}
	lc := net.ListenConfig{Control: sockopt.Compose(append(ctl[:len(ctl):len(ctl)], sockopt.FastOpen(qlen))...)}
	lc.SetMultipathTCP(false)
	return lc.Listen(ctx, network, addr)
}
