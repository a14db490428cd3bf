package sockopt

import "net"

// ListenConfig returns a net.ListenConfig that runs the controls in order
// before bind(2) and turns off two of Go's hidden defaults: Multipath TCP
// (Go listeners use MPTCP where net.mptcp.enabled=1) and the 15 s
// keepalive of accepted connections (KeepAlive = -1).
//
// Go still sets SO_REUSEADDR=1 on the listener before the controls run
// (ReuseAddr(false) undoes it) and TCP_NODELAY=1 on every accepted
// connection after they run (SetNoDelay on the conn undoes it).
func ListenConfig(ctl ...Control) *net.ListenConfig {
	lc := &net.ListenConfig{KeepAlive: -1}
	if len(ctl) > 0 {
		lc.Control = Compose(ctl...)
	}
	lc.SetMultipathTCP(false)
	return lc
}

// Dialer returns a net.Dialer that runs the controls in order before
// connect(2), with Multipath TCP off and Go's 15 s keepalive off
// (KeepAlive = -1).
//
// Go still sets TCP_NODELAY=1 on the connection after connect(2); call
// SetNoDelay(conn, false) to get Nagle's algorithm back.
func Dialer(ctl ...Control) *net.Dialer {
	d := &net.Dialer{KeepAlive: -1}
	if len(ctl) > 0 {
		d.Control = Compose(ctl...)
	}
	d.SetMultipathTCP(false)
	return d
}
