package sockopt

import "syscall"

// WindowClamp returns a Control that sets TCP_WINDOW_CLAMP (tcp(7)): a cap
// in bytes on the receive window this socket advertises. Set before
// connect(2) it also shapes the SYN: the window scale offered is chosen so
// that the clamp fits (net/ipv4/tcp_output.c tcp_select_initial_window).
func WindowClamp(n int) Control { return intControl(optWindowClamp, n) }

// SetWindowClamp wraps setsockopt(2) with TCP_WINDOW_CLAMP. Linux raises
// values below SOCK_MIN_RCVBUF/2 to that floor.
func SetWindowClamp(c syscall.Conn, n int) error { return setInt(c, optWindowClamp, n) }

// GetWindowClamp wraps getsockopt(2) with TCP_WINDOW_CLAMP.
func GetWindowClamp(c syscall.Conn) (int, error) { return getInt(c, optWindowClamp) }
