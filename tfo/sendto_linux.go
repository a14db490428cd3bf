package tfo

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendtoFastOpen connects the unconnected TCP socket fd to addr and sends
// data with one sendto(2) carrying MSG_FASTOPEN: with a cached cookie the
// data rides in the SYN, otherwise the SYN requests a cookie and the data
// follows the handshake (net/ipv4/tcp.c tcp_sendmsg_fastopen). It returns
// the bytes sent.
//
// On a blocking socket the call returns when the connection is
// established (and, without a cookie, once data is queued). On a
// non-blocking one it returns the bytes that went into the SYN with a nil
// error, or EINPROGRESS if none did; poll for writability and send the
// rest with write(2). The kernel refuses MSG_FASTOPEN with EOPNOTSUPP
// unless net.ipv4.tcp_fastopen has the Client bit.
func SendtoFastOpen(fd int, data []byte, addr netip.AddrPort) (int, error) {
	var (
		sa4  unix.RawSockaddrInet4
		sa6  unix.RawSockaddrInet6
		ptr  unsafe.Pointer
		slen uintptr
	)
	a := addr.Addr()
	port := (*[2]byte)(nil)
	switch {
	case a.Is4():
		sa4.Family = unix.AF_INET
		sa4.Addr = a.As4()
		port = (*[2]byte)(unsafe.Pointer(&sa4.Port))
		ptr, slen = unsafe.Pointer(&sa4), unsafe.Sizeof(sa4)
	case a.Is6():
		sa6.Family = unix.AF_INET6
		sa6.Addr = a.As16()
		if z := a.Zone(); z != "" {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return 0, fmt.Errorf("tfo: zone of %s: %w", addr, err)
			}
			sa6.Scope_id = uint32(ifi.Index)
		}
		port = (*[2]byte)(unsafe.Pointer(&sa6.Port))
		ptr, slen = unsafe.Pointer(&sa6), unsafe.Sizeof(sa6)
	default:
		return 0, fmt.Errorf("tfo: sendto %s: invalid address", addr)
	}
	port[0], port[1] = byte(addr.Port()>>8), byte(addr.Port()) // network byte order
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(p), uintptr(len(data)), unix.MSG_FASTOPEN, uintptr(ptr), slen)
	if errno != 0 {
		return 0, os.NewSyscallError("sendto MSG_FASTOPEN", errno)
	}
	return int(n), nil
}
