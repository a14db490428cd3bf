package sockopt

import "syscall"

// Linger returns a Control that sets SO_LINGER (socket(7)) to the raw
// struct linger {l_onoff, l_linger}; l_linger is in seconds. The meaningful
// combinations (default FIN, abortive RST, blocking close with a timeout)
// are spelled out by package linger.
func Linger(onoff, secs int) Control {
	return func(_, _ string, rc rawConn) error { return setLingerRaw(rc, onoff, secs) }
}

// SetLinger wraps setsockopt(2) with SO_LINGER. With onoff 0 the kernel
// clears the flag and keeps the previous l_linger.
func SetLinger(c syscall.Conn, onoff, secs int) error { return setLinger(c, onoff, secs) }

// GetLinger wraps getsockopt(2) with SO_LINGER and returns l_onoff and
// l_linger (seconds) as the kernel holds them.
func GetLinger(c syscall.Conn) (onoff, secs int, err error) { return getLinger(c) }
