package capture

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rcvBuf is the receive buffer asked for the packet socket. The default
// (net.core.rmem_default, 212992 bytes) holds only about 160 loopback frames
// or 90 full-size Ethernet frames: a burst of a few hundred, faster than the
// reader goroutine is scheduled, was measured to lose 40–70 % of the frames.
const rcvBuf = 128 << 20

// snapLen is the largest frame read whole: a 64 KB GSO super-frame on a
// veth or loopback fits, so nothing is ever cut short.
const snapLen = 262144

// packetSocket is an AF_PACKET socket bound to one interface, read through
// Go's poller so that Close wakes a blocked reader (packet(7)).
type packetSocket struct {
	f       *os.File
	rc      syscall.RawConn
	ifindex int
	rcvbuf  int // SO_RCVBUF as the kernel granted it
	buf     []byte
	oob     []byte
}

// openPacketSocket creates the socket in the calling thread's network
// namespace: socket(AF_PACKET, SOCK_RAW, ETH_P_ALL), a 16 MiB receive buffer
// (SO_RCVBUFFORCE, which needs CAP_NET_ADMIN; otherwise SO_RCVBUF, capped by
// net.core.rmem_max), kernel receive timestamps (SO_TIMESTAMPNS), on
// loopback PACKET_IGNORE_OUTGOING (Linux 4.20: loopback hands a packet
// socket every frame twice, once leaving and once arriving; libpcap keeps
// the arriving copy too), then bind(2) to the interface.
func openPacketSocket(ifindex int, loopback bool) (*packetSocket, error) {
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, os.NewSyscallError("socket AF_PACKET", err)
	}
	fail := func(err error) (*packetSocket, error) {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf); err != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf); err != nil {
			return fail(os.NewSyscallError("setsockopt SO_RCVBUF", err))
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail(os.NewSyscallError("setsockopt SO_TIMESTAMPNS", err))
	}
	if loopback {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return fail(os.NewSyscallError("setsockopt PACKET_IGNORE_OUTGOING", err))
		}
	}
	got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		return fail(os.NewSyscallError("getsockopt SO_RCVBUF", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
		return fail(os.NewSyscallError("bind AF_PACKET", err))
	}
	f := os.NewFile(uintptr(fd), "packet")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &packetSocket{
		f: f, rc: rc, ifindex: ifindex, rcvbuf: got,
		buf: make([]byte, snapLen), oob: make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))),
	}, nil
}

// errIfDown is returned by read once when the interface goes down
// (packet_notifier); the socket is rebound when it comes back up.
var errIfDown = errors.New("interface went down")

// read returns the next frame of the bound interface (a copy), its kernel
// receive timestamp, and the interface it came from. It blocks in the poller
// until a frame arrives or the socket is closed (os.ErrClosed).
func (s *packetSocket) read() ([]byte, time.Time, int, error) {
	var (
		n, oobn int
		from    unix.Sockaddr
		rerr    error
	)
	err := s.rc.Read(func(fd uintptr) bool {
		n, oobn, _, from, rerr = unix.Recvmsg(int(fd), s.buf, s.oob, 0)
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	if rerr == unix.ENETDOWN {
		return nil, time.Time{}, 0, errIfDown
	}
	if rerr != nil {
		return nil, time.Time{}, 0, os.NewSyscallError("recvmsg", rerr)
	}
	ts := time.Now()
	if msgs, err := unix.ParseSocketControlMessage(s.oob[:oobn]); err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
				t := *(*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
				ts = time.Unix(t.Unix())
			}
		}
	}
	ifindex := s.ifindex
	if ll, ok := from.(*unix.SockaddrLinklayer); ok {
		ifindex = ll.Ifindex
	}
	return append([]byte(nil), s.buf[:n]...), ts, ifindex, nil
}

// stats reads PACKET_STATISTICS; the kernel resets the counters on every
// read. tp_packets counts the frames queued to the socket plus tp_drops
// (net/packet/af_packet.c, packet_getsockopt).
func (s *packetSocket) stats() (packets, drops uint32, err error) {
	var st *unix.TpacketStats
	cerr := s.rc.Control(func(fd uintptr) {
		st, err = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	})
	if cerr != nil {
		return 0, 0, cerr
	}
	if err != nil {
		return 0, 0, os.NewSyscallError("getsockopt PACKET_STATISTICS", err)
	}
	return st.Packets, st.Drops, nil
}

func (s *packetSocket) close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close packet socket: %w", err)
	}
	return nil
}

// htons converts a 16-bit value to network byte order.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
