//go:build linux

package experiment

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// inqBytes wraps ioctl(2) SIOCINQ: the bytes in a TCP socket's receive
// queue that the application has not read (tcp(7); net/ipv4/tcp.c
// tcp_ioctl, tcp_inq).
func sockInq(fd int) (int, error) {
	n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	if err != nil {
		return 0, os.NewSyscallError("ioctl SIOCINQ", err)
	}
	return n, nil
}

// outqBytes wraps ioctl(2) SIOCOUTQ: the bytes in a TCP socket's send
// queue, sent but not acknowledged plus not yet sent (tcp(7)).
func sockOutq(fd int) (int, error) {
	n, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
	if err != nil {
		return 0, os.NewSyscallError("ioctl SIOCOUTQ", err)
	}
	return n, nil
}

// setIOTimeout bounds every blocking call on fd with setsockopt(2)
// SO_RCVTIMEO and SO_SNDTIMEO (socket(7)): read, accept and connect give
// up with EAGAIN/EINPROGRESS after d instead of hanging a run.
func setRawTimeouts(fd int, d time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt SO_RCVTIMEO", err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt SO_SNDTIMEO", err)
	}
	return nil
}

// readNetstat reads the calling thread's network namespace's
// /proc/thread-self/net/netstat (the TcpExt MIB counters, e.g.
// TCPAbortOnClose). /proc/net/netstat would show the thread-group leader's
// namespace instead.
func netstatCounters() (map[string]int64, error) {
	b, err := os.ReadFile("/proc/thread-self/net/netstat")
	if err != nil {
		return nil, fmt.Errorf("read netstat: %w", err)
	}
	return parseNetstatText(string(b))
}
