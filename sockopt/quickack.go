package sockopt

import "syscall"

// QuickAck returns a Control that sets TCP_QUICKACK (tcp(7)).
func QuickAck(on bool) Control { return intControl(optQuickAck, boolInt(on)) }

// SetQuickAck wraps setsockopt(2) with TCP_QUICKACK. On leaves the
// interactive ("pingpong") mode and sends a pending ACK at once; off enters
// it, so ACKs are delayed to ride on data. The flag is not sticky: the stack
// returns to delayed ACKs on its own, so re-set it after each read.
func SetQuickAck(c syscall.Conn, on bool) error { return setInt(c, optQuickAck, boolInt(on)) }

// GetQuickAck wraps getsockopt(2) with TCP_QUICKACK. Linux reports true
// unless the socket is in pingpong mode (net/ipv4/tcp.c do_tcp_getsockopt).
func GetQuickAck(c syscall.Conn) (bool, error) { return getBool(c, optQuickAck) }
