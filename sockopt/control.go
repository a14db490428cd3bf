package sockopt

import (
	"syscall"
)

// Control is the signature of net.Dialer.Control and net.ListenConfig.Control:
// it runs on the raw socket after socket(2) and before connect(2) or bind(2).
type Control func(network, address string, c syscall.RawConn) error

// Compose returns a Control that runs each non-nil control in order and stops
// at the first error.
func Compose(controls ...Control) Control {
	return func(network, address string, c syscall.RawConn) error {
		for _, ctl := range controls {
			if ctl == nil {
				continue
			}
			if err := ctl(network, address, c); err != nil {
				return err
			}
		}
		return nil
	}
}

// FD adapts a raw socket file descriptor to syscall.Conn, so the setters and
// getters of this package work on sockets made with Socket as well as on
// *net.TCPConn. The descriptor stays owned by the caller.
type FD int

// SyscallConn implements syscall.Conn.
func (fd FD) SyscallConn() (syscall.RawConn, error) { return rawFD(fd), nil }

// rawFD implements syscall.RawConn over a plain descriptor; Read and Write
// call f once, without the runtime poller, as a blocking socket would.
type rawFD int

func (fd rawFD) Control(f func(fd uintptr)) error { f(uintptr(fd)); return nil }
func (fd rawFD) Read(f func(fd uintptr) bool) error {
	f(uintptr(fd))
	return nil
}
func (fd rawFD) Write(f func(fd uintptr) bool) error {
	f(uintptr(fd))
	return nil
}

// control runs f on the descriptor behind c and returns f's error.
func control(c syscall.Conn, f func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = f(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

// controlRaw is control for a syscall.RawConn handed to a Control func.
func controlRaw(rc syscall.RawConn, f func(fd int) error) error {
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = f(int(fd)) }); err != nil {
		return err
	}
	return opErr
}
