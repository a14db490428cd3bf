//go:build linux && !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le)

package peer

import (
	"net"
	"syscall"
	"unsafe"
)

// siocinq is SIOCINQ (= FIONREAD) from asm-generic/ioctls.h: the number of
// unread bytes in a TCP socket's receive queue (tcp(7)).
const siocinq = 0x541B

// unreadBytes returns the bytes waiting in c's kernel receive queue, read
// with ioctl(2) SIOCINQ, or -1 when c is not a socket that can be queried.
func unreadBytes(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	var n int32
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, siocinq, uintptr(unsafe.Pointer(&n)))
	}); err != nil || errno != 0 {
		return -1
	}
	return int(n)
}
