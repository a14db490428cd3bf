package sockopt

import "syscall"

// Congestion returns a Control that sets TCP_CONGESTION (tcp(7)) to the
// named algorithm ("reno", "cubic", "bbr"). Without CAP_NET_ADMIN only the
// names in net.ipv4.tcp_allowed_congestion_control are accepted; the
// algorithm's module must be loaded or loadable.
func Congestion(name string) Control {
	return func(_, _ string, rc rawConn) error { return setStringRaw(rc, optCongestion, name) }
}

// SetCongestion wraps setsockopt(2) with TCP_CONGESTION.
func SetCongestion(c syscall.Conn, name string) error { return setString(c, optCongestion, name) }

// GetCongestion wraps getsockopt(2) with TCP_CONGESTION and returns the
// algorithm's name.
func GetCongestion(c syscall.Conn) (string, error) { return getString(c, optCongestion) }
