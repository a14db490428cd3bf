package capture

import (
	"errors"
	"os"
	"reflect"
	"unsafe"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// rcvBuf is the receive buffer asked for the packet socket. The default
// (net.core.rmem_default, 212992 bytes) holds only about 160 loopback frames
// or 90 full-size Ethernet frames: a burst of a few hundred, faster than the
// reader goroutine is scheduled, was measured to lose 40–70 % of the frames.
const rcvBuf = 16 << 20

// socketFile returns the AF_PACKET socket inside h. pcapgo.EthernetHandle
// (gopacket v1.7.7) keeps it in the unexported field file and offers no
// setter for the receive buffer or for PACKET_IGNORE_OUTGOING; if a later
// version changes the field, this fails and so does Open, rather than
// capturing with a buffer that drops.
func socketFile(h *pcapgo.EthernetHandle) (*os.File, error) {
	v := reflect.ValueOf(h).Elem().FieldByName("file")
	if !v.IsValid() || v.Type() != reflect.TypeFor[*os.File]() {
		return nil, errors.New("pcapgo.EthernetHandle has no file *os.File field: cannot tune its socket")
	}
	f := *(**os.File)(unsafe.Pointer(v.UnsafeAddr()))
	if f == nil {
		return nil, errors.New("pcapgo.EthernetHandle has no socket")
	}
	return f, nil
}

// tune enlarges the socket's receive buffer (SO_RCVBUFFORCE, which needs
// CAP_NET_ADMIN in the initial user namespace; otherwise SO_RCVBUF, capped
// by net.core.rmem_max) and, on loopback, sets PACKET_IGNORE_OUTGOING
// (Linux 4.20): loopback hands a packet socket every frame twice, once
// leaving and once arriving, and libpcap likewise keeps only the arriving
// copy. It returns the buffer size the kernel granted (SO_RCVBUF read back).
func tune(f *os.File, loopback bool) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var (
		got  int
		serr error
	)
	cerr := rc.Control(func(fd uintptr) {
		s := int(fd)
		if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf); err != nil {
			if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf); err != nil {
				serr = os.NewSyscallError("setsockopt SO_RCVBUF", err)
				return
			}
		}
		if loopback {
			if err := unix.SetsockoptInt(s, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
				serr = os.NewSyscallError("setsockopt PACKET_IGNORE_OUTGOING", err)
				return
			}
		}
		if got, serr = unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF); serr != nil {
			serr = os.NewSyscallError("getsockopt SO_RCVBUF", serr)
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	return got, serr
}
