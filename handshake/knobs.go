package handshake

import (
	"syscall"

	"github.com/tcplab/tcplab/sockopt"
)

// MaxSeg returns a Control that sets TCP_MAXSEG before connect(2) or
// listen(2): the MSS option of the SYN (or of a listener's SYN/ACKs) offers
// at most n bytes, and the peer sends segments no larger (RFC 9293 §3.7.1).
func MaxSeg(n int) sockopt.Control { return sockopt.MaxSeg(n) }

// SetMaxSeg wraps setsockopt(2) with TCP_MAXSEG; on a raw socket call it
// before Connect or Listen.
func SetMaxSeg(c syscall.Conn, n int) error { return sockopt.SetMaxSeg(c, n) }

// GetMaxSeg wraps getsockopt(2) with TCP_MAXSEG: the cap before the
// handshake, the current send MSS after it.
func GetMaxSeg(c syscall.Conn) (int, error) { return sockopt.GetMaxSeg(c) }

// SynCount returns a Control that sets TCP_SYNCNT: connect(2) sends the SYN
// at most 1+n times, with the retransmission timeout doubling from 1 s
// (RFC 6298 §2), and then fails with ETIMEDOUT. n=1 gives up after about
// 3 s instead of the default 6 retries' 127 s.
func SynCount(n int) sockopt.Control { return sockopt.SynCount(n) }

// SetSynCount wraps setsockopt(2) with TCP_SYNCNT.
func SetSynCount(c syscall.Conn, n int) error { return sockopt.SetSynCount(c, n) }

// GetSynCount wraps getsockopt(2) with TCP_SYNCNT.
func GetSynCount(c syscall.Conn) (int, error) { return sockopt.GetSynCount(c) }

// WindowClamp returns a Control that sets TCP_WINDOW_CLAMP before
// connect(2): the SYN offers a window scale small enough for the clamp
// (0 for clamps under 64 KiB) and the advertised window never exceeds n.
func WindowClamp(n int) sockopt.Control { return sockopt.WindowClamp(n) }

// SetWindowClamp wraps setsockopt(2) with TCP_WINDOW_CLAMP.
func SetWindowClamp(c syscall.Conn, n int) error { return sockopt.SetWindowClamp(c, n) }

// GetWindowClamp wraps getsockopt(2) with TCP_WINDOW_CLAMP.
func GetWindowClamp(c syscall.Conn) (int, error) { return sockopt.GetWindowClamp(c) }
