package sockopt

import "syscall"

// RecvBuffer returns a Control that sets SO_RCVBUF (socket(7)) to n bytes.
// Set before connect(2) or listen(2) it also decides the window scale the
// SYN offers: a small buffer gives scale 0.
func RecvBuffer(n int) Control { return intControl(optRcvBuf, n) }

// SetRecvBuffer wraps setsockopt(2) with SO_RCVBUF. The kernel stores twice
// n (room for its bookkeeping), capped by net.core.rmem_max, and turns off
// receive-buffer autotuning for the socket.
func SetRecvBuffer(c syscall.Conn, n int) error { return setInt(c, optRcvBuf, n) }

// GetRecvBuffer wraps getsockopt(2) with SO_RCVBUF: the doubled value the
// kernel holds, not what was set.
func GetRecvBuffer(c syscall.Conn) (int, error) { return getInt(c, optRcvBuf) }

// SendBuffer returns a Control that sets SO_SNDBUF (socket(7)) to n bytes.
func SendBuffer(n int) Control { return intControl(optSndBuf, n) }

// SetSendBuffer wraps setsockopt(2) with SO_SNDBUF. The kernel stores twice
// n, capped by net.core.wmem_max, and turns off send-buffer autotuning.
func SetSendBuffer(c syscall.Conn, n int) error { return setInt(c, optSndBuf, n) }

// GetSendBuffer wraps getsockopt(2) with SO_SNDBUF: the doubled value.
func GetSendBuffer(c syscall.Conn) (int, error) { return getInt(c, optSndBuf) }
