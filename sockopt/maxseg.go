package sockopt

import "syscall"

// MaxSeg returns a Control that sets TCP_MAXSEG (tcp(7)): set before
// connect(2) or listen(2), it caps the MSS option this socket advertises in
// its SYN or SYN/ACK and the segments it sends (RFC 9293 §3.7.1).
func MaxSeg(n int) Control { return intControl(optMaxSeg, n) }

// SetMaxSeg wraps setsockopt(2) with TCP_MAXSEG. Linux accepts 88
// (TCP_MIN_MSS) to 32767 (MAX_TCP_WINDOW); 0 removes the cap.
func SetMaxSeg(c syscall.Conn, n int) error { return setInt(c, optMaxSeg, n) }

// GetMaxSeg wraps getsockopt(2) with TCP_MAXSEG: the configured cap on a
// socket that is closed or listening, the current send MSS once connected.
func GetMaxSeg(c syscall.Conn) (int, error) { return getInt(c, optMaxSeg) }
