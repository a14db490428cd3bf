package netlab

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// tunDev is a TUN device: each read(2) returns one IP packet the namespace
// sent through the device and each write(2) injects one. It is opened with
// IFF_TUN|IFF_NO_PI and without IFF_VNET_HDR, so the device offers no
// segmentation offload: the stack hands it real packets of at most the MTU,
// never GSO super-frames. The device exists while the descriptor is open.
type tunDev struct {
	fd   int
	name string
}

// openTUN creates the TUN device name in the calling thread's namespace; call
// it inside NS.Do. The descriptor is non-blocking: the relay waits with ppoll.
func openTUN(name string) (*tunDev, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netlab: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlab: TUN name %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlab: create TUN %s: %w", name, os.NewSyscallError("ioctl TUNSETIFF", err))
	}
	return &tunDev{fd: fd, name: name}, nil
}

// ReadPacket implements PacketIO.
func (t *tunDev) ReadPacket(b []byte) (int, error) {
	n, err := unix.Read(t.fd, b)
	switch err {
	case nil:
		return n, nil
	case unix.EAGAIN, unix.EINTR:
		return 0, ErrNoPacket
	}
	return 0, os.NewSyscallError("read "+t.name, err)
}

// WritePacket implements PacketIO.
func (t *tunDev) WritePacket(b []byte) error {
	_, err := unix.Write(t.fd, b)
	return os.NewSyscallError("write "+t.name, err)
}

// Fd implements PacketIO.
func (t *tunDev) Fd() int { return t.fd }

// Close implements PacketIO; it deletes the device.
func (t *tunDev) Close() error {
	if t.fd < 0 {
		return nil
	}
	err := unix.Close(t.fd)
	t.fd = -1
	return os.NewSyscallError("close "+t.name, err)
}

// pointToPoint configures a link in the calling thread's namespace (call it
// inside NS.Do) as one end of a point-to-point link: MTU, transmit queue
// length, the /32 address local, up, and a scope-link route to peer/32 with
// local as the preferred source. It returns the interface index.
func pointToPoint(h *netlink.Handle, name string, local, peer netip.Addr, mtu, txqlen int) (int, error) {
	link, err := h.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("netlab: find %s: %w", name, err)
	}
	if err := h.LinkSetMTU(link, mtu); err != nil {
		return 0, fmt.Errorf("netlab: set MTU %d on %s: %w", mtu, name, err)
	}
	if txqlen > 0 {
		if err := h.LinkSetTxQLen(link, txqlen); err != nil {
			return 0, fmt.Errorf("netlab: set txqueuelen %d on %s: %w", txqlen, name, err)
		}
	}
	addr := &netlink.Addr{IPNet: hostNet(local)}
	if err := h.AddrAdd(link, addr); err != nil {
		return 0, fmt.Errorf("netlab: add %s to %s: %w", local, name, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return 0, fmt.Errorf("netlab: set %s up: %w", name, err)
	}
	route := &netlink.Route{
		LinkIndex: link.Attrs().Index,
		Dst:       hostNet(peer),
		Src:       local.AsSlice(),
		Scope:     netlink.SCOPE_LINK,
	}
	if err := h.RouteAdd(route); err != nil {
		return 0, fmt.Errorf("netlab: route %s via %s: %w", peer, name, err)
	}
	return link.Attrs().Index, nil
}

// loUp sets the loopback device up (a new namespace starts with it down).
func loUp(h *netlink.Handle) error {
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("netlab: set lo up: %w", err)
	}
	return nil
}

// hostNet is a/32 (or a/128).
func hostNet(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(a.BitLen(), a.BitLen())}
}

// deviceDropped reads the tx_dropped counter of interface index through h:
// packets the device discarded because its queue was full.
func deviceDropped(h *netlink.Handle, index int) (uint64, error) {
	link, err := h.LinkByIndex(index)
	if err != nil {
		return 0, err
	}
	if st := link.Attrs().Statistics; st != nil {
		return st.TxDropped, nil
	}
	return 0, nil
}
