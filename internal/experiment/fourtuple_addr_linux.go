//go:build linux

package experiment

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// addHostAddr gives the interface ifname inside ns one more address, local
// (a /32), and a route to peer through the same interface: on the lab's
// point-to-point links that is all a second address needs (RTM_NEWADDR,
// RTM_NEWROUTE through rtnetlink(7)).
func addHostAddr(ns *netlab.NS, ifname string, local, peer netip.Addr) error {
	return ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		link, err := h.LinkByName(ifname)
		if err != nil {
			return fmt.Errorf("find %s: %w", ifname, err)
		}
		if err := h.AddrAdd(link, &netlink.Addr{IPNet: hostIPNet(local)}); err != nil {
			return fmt.Errorf("add %s to %s: %w", local, ifname, err)
		}
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: hostIPNet(peer), Scope: netlink.SCOPE_LINK}
		if err := h.RouteAdd(route); err != nil {
			return fmt.Errorf("route %s via %s: %w", peer, ifname, err)
		}
		return nil
	})
}

func hostIPNet(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(a.BitLen(), a.BitLen())}
}
