package netlab

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// tunDev is a TUN device: each write(2) injects one IP packet into its
// namespace as if it had arrived on the device. It is opened with
// IFF_TUN|IFF_NO_PI and without IFF_VNET_HDR, so the device offers no
// segmentation offload: the stack hands it real packets of at most the MTU,
// never GSO super-frames. The device exists while the descriptor is open.
type tunDev struct {
	fd   int
	name string
}

// openTUN creates the TUN device name in the calling thread's namespace; call
// it inside NS.Do. The relay only writes to it (see tapRing for reading).
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

// WritePacket injects one IP packet into the device's namespace, as if it
// had arrived on the device.
func (t *tunDev) WritePacket(b []byte) error {
	_, err := unix.Write(t.fd, b)
	return os.NewSyscallError("write "+t.name, err)
}

// Close deletes the device.
func (t *tunDev) Close() error {
	if t.fd < 0 {
		return nil
	}
	err := unix.Close(t.fd)
	t.fd = -1
	return os.NewSyscallError("close "+t.name, err)
}

// pointToPoint configures a link in the calling thread's namespace (call it
// inside NS.Do) as one end of a point-to-point link: MTU, the /32 address
// local, up, and a scope-link route to peer/32 with local as the preferred
// source. It returns the interface index.
func pointToPoint(h *netlink.Handle, name string, local, peer netip.Addr, mtu int) (int, error) {
	link, err := h.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("netlab: find %s: %w", name, err)
	}
	if err := h.LinkSetMTU(link, mtu); err != nil {
		return 0, fmt.Errorf("netlab: set MTU %d on %s: %w", mtu, name, err)
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
