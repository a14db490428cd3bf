package netlab

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tapRing reads the packets a namespace sends into a TUN device from an
// AF_PACKET socket bound to the device, through a receive ring
// (PACKET_RX_RING, TPACKET_V2), instead of from the TUN descriptor. The
// kernel copies each outgoing packet into the ring as the device is handed
// it (dev_queue_xmit_nit), with the time it did so, so the relay stamps a
// packet with when it entered the link rather than with when the relay's
// thread woke up to read it (0.05–0.3 ms later on an idle virtual machine);
// and reading needs no system call while packets keep coming.
//
// The TUN device itself is given a filter that discards everything it would
// queue for its reader (see discardQueued), so nothing accumulates there; its
// tx_dropped counter therefore counts every packet and means nothing.
type tapRing struct {
	fd        int
	ring      []byte
	frameSize int
	frames    int
	next      int

	mu    sync.Mutex
	drops uint64 // tp_drops so far: frames lost because the ring was full
}

// ringBytes is about how much memory a tap ring takes.
const ringBytes = 8 << 20

// BPF, from linux/filter.h: the classic BPF instructions used below.
const (
	bpfLdBAbs = 0x30           // BPF_LD | BPF_B | BPF_ABS
	bpfJeqK   = 0x15           // BPF_JMP | BPF_JEQ | BPF_K
	bpfRetK   = 0x06           // BPF_RET | BPF_K
	skfPktTyp = 0xfffff000 + 4 // SKF_AD_OFF + SKF_AD_PKTTYPE (SKF_AD_OFF is −4096)
)

// outgoingOnly accepts the packets the namespace sends through the device
// (PACKET_OUTGOING) and none of those the relay writes into it.
var outgoingOnly = []unix.SockFilter{
	{Code: bpfLdBAbs, K: skfPktTyp},
	{Code: bpfJeqK, Jt: 0, Jf: 1, K: unix.PACKET_OUTGOING},
	{Code: bpfRetK, K: 0x40000},
	{Code: bpfRetK, K: 0},
}

// openTapRing opens the ring on interface ifindex of the calling thread's
// namespace (call it inside NS.Do) for packets up to mtu bytes.
func openTapRing(ifindex, mtu int) (_ *tapRing, err error) {
	// Protocol 0: no packets until bind, so none arrives before the filter.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("netlab: tap: %w", os.NewSyscallError("socket AF_PACKET", err))
	}
	t := &tapRing{fd: fd}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	prog := unix.SockFprog{Len: uint16(len(outgoingOnly)), Filter: &outgoingOnly[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return nil, fmt.Errorf("netlab: tap: %w", os.NewSyscallError("setsockopt SO_ATTACH_FILTER", err))
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("netlab: tap: %w", os.NewSyscallError("setsockopt PACKET_VERSION", err))
	}
	// A frame holds the header, the sockaddr_ll and the packet, at
	// tp_net = TPACKET_ALIGN(TPACKET2_HDRLEN) = 64 for SOCK_DGRAM.
	t.frameSize = 1 << bits.Len(uint(64+mtu-1))
	block := max(t.frameSize, 1<<16)
	nblocks := max(ringBytes/block, 1)
	t.frames = nblocks * (block / t.frameSize)
	req := unix.TpacketReq{
		Block_size: uint32(block),
		Block_nr:   uint32(nblocks),
		Frame_size: uint32(t.frameSize),
		Frame_nr:   uint32(t.frames),
	}
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fmt.Errorf("netlab: tap: %w", os.NewSyscallError("setsockopt PACKET_RX_RING", err))
	}
	t.ring, err = unix.Mmap(fd, 0, block*nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_LOCKED)
	if err != nil { // MAP_LOCKED may exceed RLIMIT_MEMLOCK; it only avoids page faults
		t.ring, err = unix.Mmap(fd, 0, block*nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	}
	if err != nil {
		return nil, fmt.Errorf("netlab: tap: %w", os.NewSyscallError("mmap", err))
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		return nil, fmt.Errorf("netlab: tap: %w", os.NewSyscallError("bind AF_PACKET", err))
	}
	return t, nil
}

// read copies the next packet into b and returns its length and the time
// (CLOCK_REALTIME nanoseconds) the kernel put it in the ring, or
// ErrNoPacket. A packet longer than b is cut to len(b).
func (t *tapRing) read(b []byte) (int, int64, error) {
	off := t.next * t.frameSize
	status := (*uint32)(unsafe.Pointer(&t.ring[off]))
	if atomic.LoadUint32(status)&unix.TP_STATUS_USER == 0 {
		return 0, 0, ErrNoPacket
	}
	h := (*unix.Tpacket2Hdr)(unsafe.Pointer(&t.ring[off]))
	start := off + int(h.Net)
	n := copy(b, t.ring[start:min(start+int(h.Snaplen), off+t.frameSize)])
	at := int64(h.Sec)*1e9 + int64(h.Nsec)
	atomic.StoreUint32(status, unix.TP_STATUS_KERNEL) // hand the frame back
	t.next = (t.next + 1) % t.frames
	return n, at, nil
}

// dropped returns the frames lost so far because the ring was full
// (PACKET_STATISTICS tp_drops, which the kernel resets on each read).
func (t *tapRing) dropped() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fd < 0 {
		return t.drops
	}
	if st, err := unix.GetsockoptTpacketStats(t.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		t.drops += uint64(st.Drops)
	}
	return t.drops
}

// Close unmaps the ring and closes the socket.
func (t *tapRing) Close() error {
	t.dropped()
	t.mu.Lock()
	defer t.mu.Unlock()
	var err error
	if t.ring != nil {
		err = unix.Munmap(t.ring)
		t.ring = nil
	}
	if t.fd >= 0 {
		if cerr := unix.Close(t.fd); err == nil {
			err = cerr
		}
		t.fd = -1
	}
	return os.NewSyscallError("close tap", err)
}

// discardQueued makes the TUN device drop every packet before it is queued
// for reading: a socket-filter eBPF program that returns 0, attached with
// TUNSETFILTEREBPF (the classic TUNATTACHFILTER is for TAP devices only).
// The AF_PACKET tap has seen each packet by then.
func (t *tunDev) discardQueued() error {
	// r0 = 0; exit
	insns := [2]uint64{0xb7, 0x95} // BPF_ALU64|BPF_MOV|BPF_K, BPF_JMP|BPF_EXIT (little-endian encoding)
	if nativeBigEndian {
		insns = [2]uint64{0xb7 << 56, 0x95 << 56}
	}
	license := []byte("GPL\x00")
	attr := struct {
		progType, insnCnt uint32
		insns, license    uint64
		logLevel, logSize uint32
		logBuf            uint64
		kernVersion       uint32
		progFlags         uint32
	}{
		progType: unix.BPF_PROG_TYPE_SOCKET_FILTER,
		insnCnt:  uint32(len(insns)),
		insns:    uint64(uintptr(unsafe.Pointer(&insns[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(&insns)
	runtime.KeepAlive(license)
	if errno != 0 {
		return fmt.Errorf("netlab: %s: load a drop-all filter: %w", t.name, os.NewSyscallError("bpf BPF_PROG_LOAD", errno))
	}
	defer unix.Close(int(fd)) // the device keeps its own reference
	prog := int32(fd)
	_, _, errno = unix.Syscall(unix.SYS_IOCTL, uintptr(t.fd), unix.TUNSETFILTEREBPF, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("netlab: %s: %w", t.name, os.NewSyscallError("ioctl TUNSETFILTEREBPF", errno))
	}
	return nil
}

// tunPort is one end of a TUN link as the relay sees it: packets are read
// from the tap ring and written into the TUN device.
type tunPort struct {
	dev *tunDev
	tap *tapRing
}

func (p tunPort) ReadPacket(b []byte) (int, int64, error) { return p.tap.read(b) }
func (p tunPort) WritePacket(b []byte) error              { return p.dev.WritePacket(b) }
func (p tunPort) Fd() int                                 { return p.tap.fd }
func (p tunPort) Close() error                            { return p.tap.Close() }

func htons(v uint16) uint16 {
	if nativeBigEndian {
		return v
	}
	return v<<8 | v>>8
}

var nativeBigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1
