package netlab

import (
	"bytes"
	"fmt"
	"math/bits"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethHeaderLen is the length of an Ethernet II header: destination and
// source MAC, EtherType.
const ethHeaderLen = 14

// vethPort is one end of a veth link as the relay sees it: a packet socket
// on the wire end of a veth pair, whose other end is a lab namespace's
// interface. What the namespace sends arrives on the wire end and is read
// from a receive ring (PACKET_RX_RING, TPACKET_V2, SOCK_RAW), stamped with
// the time the kernel put it there; what the relay delivers is sent out of
// the wire end with send(2) and arrives in the namespace as if from a wire.
//
// The relay's Pipe serialises IP bytes, as it does on the TUN link, so a
// frame whose Ethernet header is the link's own (the static-neighbour
// header of its direction, IPv4) is handed to the relay without its header,
// and the receiving port puts the header back. Any other frame (ARP, IPv6,
// a frame for another address) is relayed whole: an IPv4 packet starts with
// the nibble 4, which no Ethernet destination MAC the lab uses does (see
// labMAC), so WritePacket can tell the two apart.
type vethPort struct {
	fd        int
	ifname    string
	ring      []byte
	frameSize int
	frames    int
	next      int

	// inHdr is the header of the frames that arrive here from the
	// namespace (destination: its peer); outHdr is the header of those the
	// relay delivers here (destination: this port's namespace).
	inHdr, outHdr [ethHeaderLen]byte
	out           []byte // scratch frame for WritePacket; only the delivering thread uses it

	mu    sync.Mutex
	drops uint64 // tp_drops so far
}

// incomingOnly accepts every frame the wire end receives (from the lab
// namespace) and none that leave it (the relay's own deliveries).
var incomingOnly = []unix.SockFilter{
	{Code: bpfLdBAbs, K: skfPktTyp},
	{Code: bpfJeqK, Jt: 0, Jf: 1, K: unix.PACKET_OUTGOING},
	{Code: bpfRetK, K: 0},
	{Code: bpfRetK, K: 0x40000},
}

// openVethPort opens the packet socket and its ring on interface ifindex
// (named ifname) of the calling thread's namespace; call it inside NS.Do.
// Frames up to mtu bytes of payload fit a ring slot whole.
func openVethPort(ifindex int, ifname string, mtu int) (_ *vethPort, err error) {
	// Protocol 0: no frames until bind, so none arrives before the filter.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("netlab: veth port %s: %w", ifname, os.NewSyscallError("socket AF_PACKET", err))
	}
	p := &vethPort{fd: fd, ifname: ifname, out: make([]byte, ethHeaderLen+max(mtu, DefaultMTU)+256)}
	defer func() {
		if err != nil {
			p.Close()
			err = fmt.Errorf("netlab: veth port %s: %w", ifname, err)
		}
	}()
	prog := unix.SockFprog{Len: uint16(len(incomingOnly)), Filter: &incomingOnly[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return nil, os.NewSyscallError("setsockopt SO_ATTACH_FILTER", err)
	}
	// Deliveries go straight to the device (dev_direct_xmit): no qdisc,
	// and no copy to the packet taps of the wire namespace.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
		return nil, os.NewSyscallError("setsockopt PACKET_QDISC_BYPASS", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, os.NewSyscallError("setsockopt PACKET_VERSION", err)
	}
	// A slot holds the header, the sockaddr_ll, padding and the frame: for
	// SOCK_RAW the network header lands on tp_net =
	// TPACKET_ALIGN(TPACKET2_HDRLEN + 16) = 80 and the frame starts 14 bytes
	// before it, so 96 bytes of overhead leave room to spare.
	p.frameSize = 1 << bits.Len(uint(96+mtu-1))
	block := max(p.frameSize, 1<<16)
	nblocks := max(ringBytes/block, 1)
	p.frames = nblocks * (block / p.frameSize)
	req := unix.TpacketReq{
		Block_size: uint32(block),
		Block_nr:   uint32(nblocks),
		Frame_size: uint32(p.frameSize),
		Frame_nr:   uint32(p.frames),
	}
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, os.NewSyscallError("setsockopt PACKET_RX_RING", err)
	}
	p.ring, err = unix.Mmap(fd, 0, block*nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_LOCKED)
	if err != nil { // RLIMIT_MEMLOCK (an unprivileged user's is small): pages may fault, that is all
		p.ring, err = unix.Mmap(fd, 0, block*nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	}
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		return nil, os.NewSyscallError("bind AF_PACKET", err)
	}
	return p, nil
}

// ReadPacket copies the next frame the namespace sent into b, without the
// link's own Ethernet header when it has it (see vethPort), and returns its
// length and the time (CLOCK_REALTIME nanoseconds) the kernel put it in the
// ring, or ErrNoPacket. A frame longer than b is cut to len(b).
func (p *vethPort) ReadPacket(b []byte) (int, int64, error) {
	off := p.next * p.frameSize
	status := (*uint32)(unsafe.Pointer(&p.ring[off]))
	if atomic.LoadUint32(status)&unix.TP_STATUS_USER == 0 {
		return 0, 0, ErrNoPacket
	}
	h := (*unix.Tpacket2Hdr)(unsafe.Pointer(&p.ring[off]))
	start := off + int(h.Mac)
	frame := p.ring[start:min(start+int(h.Snaplen), off+p.frameSize)]
	if len(frame) > ethHeaderLen && bytes.Equal(frame[:ethHeaderLen], p.inHdr[:]) {
		frame = frame[ethHeaderLen:]
	}
	n := copy(b, frame)
	at := int64(h.Sec)*1e9 + int64(h.Nsec)
	atomic.StoreUint32(status, unix.TP_STATUS_KERNEL) // hand the slot back
	p.next = (p.next + 1) % p.frames
	return n, at, nil
}

// WritePacket sends b out of the wire end, into the namespace: an IPv4
// packet behind the link's Ethernet header for this direction, anything
// else as the whole frame it is.
func (p *vethPort) WritePacket(b []byte) error {
	frame := b
	if len(b) > 0 && b[0]>>4 == 4 {
		n := copy(p.out[ethHeaderLen:], b)
		copy(p.out, p.outHdr[:])
		frame = p.out[:ethHeaderLen+n]
	}
	_, err := unix.Write(p.fd, frame)
	return os.NewSyscallError("send "+p.ifname, err)
}

// Fd is the packet socket, readable when the ring holds a frame.
func (p *vethPort) Fd() int { return p.fd }

// dropped returns the frames lost so far because the ring was full
// (PACKET_STATISTICS tp_drops, which the kernel resets on each read).
func (p *vethPort) dropped() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd < 0 {
		return p.drops
	}
	if st, err := unix.GetsockoptTpacketStats(p.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		p.drops += uint64(st.Drops)
	}
	return p.drops
}

// Close unmaps the ring and closes the socket. It is idempotent.
func (p *vethPort) Close() error {
	p.dropped()
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if p.ring != nil {
		err = unix.Munmap(p.ring)
		p.ring = nil
	}
	if p.fd >= 0 {
		if cerr := unix.Close(p.fd); err == nil {
			err = cerr
		}
		p.fd = -1
	}
	return os.NewSyscallError("close veth port "+p.ifname, err)
}
