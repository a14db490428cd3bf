package linger

import (
	"syscall"

	"github.com/tcplab/tcplab/sockopt"
)

// Control returns a sockopt.Control that sets the mode with
// setsockopt(SOL_SOCKET, SO_LINGER) before connect(2) or listen(2).
// Accepted sockets inherit SO_LINGER from their listener.
func (m Mode) Control() sockopt.Control {
	onoff, sec := m.Linger()
	return sockopt.Linger(int(onoff), int(sec))
}

// Apply sets the mode on an existing socket with
// setsockopt(SOL_SOCKET, SO_LINGER). It takes effect at the next close(2).
func (m Mode) Apply(c syscall.Conn) error {
	onoff, sec := m.Linger()
	return sockopt.SetLinger(c, int(onoff), int(sec))
}

// Get reads SO_LINGER back with getsockopt(SOL_SOCKET, SO_LINGER). The
// kernel reports l_linger as sk_lingertime / HZ (net/core/sock.c
// sk_getsockopt), so a Timeout reads back as the seconds that were set.
func Get(c syscall.Conn) (Mode, error) {
	onoff, sec, err := sockopt.GetLinger(c)
	if err != nil {
		return Mode{}, err
	}
	return fromLinger(int32(onoff), int32(sec)), nil
}
