package netlab

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// newVethLink joins a and b through a wire namespace of their own: each
// end's interface is one end of a veth pair whose other end lives in the
// wire namespace, and the relay copies frames between the two wire ends
// through packet sockets (see vethPort). Unlike TUN devices this needs no
// access to /dev/net/tun, so it works for root of a user namespace too.
//
// Frames stay real segments: each end's interface has gso_max_segs 1, GRO
// off and transmit checksum offload off (so every frame carries its
// checksums when the relay copies it). Each end knows its peer's MAC
// address as a permanent neighbour, so no ARP exchange has to cross the
// delayed link before the first packet (and none shifts the loss process's
// packet numbers); ARP frames, if any, are relayed like the rest.
func newVethLink(l *Lab, index int, cfg LinkConfig, a, b end) (*Link, error) {
	fail := func(err error) (*Link, error) {
		return nil, fmt.Errorf("netlab: veth link %s ⇄ %s: %w", a.role, b.role, err)
	}
	wire, err := NewNS(fmt.Sprintf("%s-wire%d", l.name, index))
	if err != nil {
		return fail(err)
	}
	l.addCleanup(wire.Close)
	if err := setupNS(wire, nil); err != nil {
		return fail(err)
	}
	ends := [2]end{a, b}
	macs := [2]net.HardwareAddr{labMAC(a.addr), labMAC(b.addr)}
	var wireIf [2]string
	for i, e := range ends {
		wireIf[i] = fmt.Sprintf("link%d-%s", index, e.role)
	}
	err = wire.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		for i, e := range ends {
			veth := &netlink.Veth{
				LinkAttrs:        netlink.LinkAttrs{Name: wireIf[i], MTU: cfg.MTU},
				PeerName:         e.ifname,
				PeerHardwareAddr: macs[i],
				PeerNamespace:    netlink.NsFd(e.ns.Fd()),
				PeerMTU:          uint32(cfg.MTU),
			}
			if err := h.LinkAdd(veth); err != nil {
				return fmt.Errorf("create veth %s ⇄ %s/%s: %w", wireIf[i], e.role, e.ifname, err)
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	for i, e := range ends {
		peer := ends[1-i]
		err := e.ns.Do(func() error {
			h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
			if err != nil {
				return fmt.Errorf("netlink: %w", err)
			}
			defer h.Close()
			if err := segmentsOnly(h, e.ifname); err != nil {
				return err
			}
			ifindex, err := pointToPoint(h, e.ifname, e.addr, peer.addr, cfg.MTU)
			if err != nil {
				return err
			}
			n := &netlink.Neigh{
				LinkIndex:    ifindex,
				Family:       netlink.FAMILY_V4,
				State:        netlink.NUD_PERMANENT,
				IP:           peer.addr.AsSlice(),
				HardwareAddr: macs[1-i],
			}
			if err := h.NeighAdd(n); err != nil {
				return fmt.Errorf("add neighbour %s at %v on %s: %w", peer.addr, macs[1-i], e.ifname, err)
			}
			return nil
		})
		if err != nil {
			return fail(fmt.Errorf("%s: %w", e.role, err))
		}
	}
	var ports [2]*vethPort
	err = wire.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		for i, name := range wireIf {
			if err := segmentsOnly(h, name); err != nil {
				return err
			}
			link, err := h.LinkByName(name)
			if err != nil {
				return fmt.Errorf("find %s: %w", name, err)
			}
			if err := h.LinkSetUp(link); err != nil {
				return fmt.Errorf("set %s up: %w", name, err)
			}
			p, err := openVethPort(link.Attrs().Index, name, cfg.MTU)
			if err != nil {
				return err
			}
			l.addCleanup(p.Close)
			ports[i] = p
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	ab, ba := ethHeader(macs[1], macs[0]), ethHeader(macs[0], macs[1])
	ports[0].inHdr, ports[1].outHdr = ab, ab
	ports[1].inHdr, ports[0].outHdr = ba, ba

	r, err := startRelay(ports[0], ports[1], cfg, index)
	if err != nil {
		return fail(err)
	}
	k := relayLink(KindVeth, cfg, a, b, r, ports[0].dropped, ports[1].dropped)
	l.addCleanup(k.close) // runs before the ports close
	return k, nil
}

// segmentsOnly makes interface name hand on real segments: gso_max_segs 1
// (IFLA_GSO_MAX_SEGS) and, through ethtool, GRO and transmit checksum
// offload off (see offloadsOff).
func segmentsOnly(h *netlink.Handle, name string) error {
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := h.LinkSetGSOMaxSegs(link, 1); err != nil {
		return fmt.Errorf("set gso_max_segs 1 on %s: %w", name, err)
	}
	return offloadsOff(name)
}

// labMAC is the MAC address of the lab interface with address a: locally
// administered, unicast, and the IPv4 address in its last four bytes
// (198.18.0.1 → 02:00:c6:12:00:01), so captures read easily. Its first byte
// is 0x02, so a frame addressed to it never starts with an IPv4 version
// nibble (see vethPort).
func labMAC(a netip.Addr) net.HardwareAddr {
	v4 := a.As4()
	return net.HardwareAddr{0x02, 0x00, v4[0], v4[1], v4[2], v4[3]}
}

// ethHeader is the Ethernet II header of an IPv4 frame from src to dst.
func ethHeader(dst, src net.HardwareAddr) [ethHeaderLen]byte {
	var h [ethHeaderLen]byte
	copy(h[0:6], dst)
	copy(h[6:12], src)
	binary.BigEndian.PutUint16(h[12:], unix.ETH_P_IP)
	return h
}
