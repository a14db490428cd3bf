package sockopt

import "syscall"

// SynCount returns a Control that sets TCP_SYNCNT (tcp(7)): how many times
// connect(2) retransmits an unanswered SYN before giving up with ETIMEDOUT,
// overriding net.ipv4.tcp_syn_retries (1..127).
func SynCount(n int) Control { return intControl(optSynCount, n) }

// SetSynCount wraps setsockopt(2) with TCP_SYNCNT.
func SetSynCount(c syscall.Conn, n int) error { return setInt(c, optSynCount, n) }

// GetSynCount wraps getsockopt(2) with TCP_SYNCNT; it reports the sysctl's
// value when the socket has no override.
func GetSynCount(c syscall.Conn) (int, error) { return getInt(c, optSynCount) }
