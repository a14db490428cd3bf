package experiment

import (
	"fmt"
	"net/netip"

	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// nagleSetInitCwnd sets the initial congestion window (RTAX_INITCWND, the
// `initcwnd` of ip-route(8)) on ns's route to dst, so that connections made
// afterwards start with cwnd segments. It is the route's own attribute,
// inside the lab's namespace.
func nagleSetInitCwnd(ns *netlab.NS, dst netip.Addr, cwnd int) error {
	return ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		defer h.Close()
		routes, err := h.RouteList(nil, netlink.FAMILY_V4)
		if err != nil {
			return fmt.Errorf("list routes: %w", err)
		}
		for _, r := range routes {
			if r.Dst == nil {
				continue
			}
			ones, bits := r.Dst.Mask.Size()
			addr, ok := netip.AddrFromSlice(r.Dst.IP)
			if !ok || ones != bits || addr.Unmap() != dst {
				continue
			}
			r.InitCwnd = cwnd
			if err := h.RouteReplace(&r); err != nil {
				return fmt.Errorf("route %s initcwnd %d: %w", dst, cwnd, err)
			}
			return nil
		}
		return fmt.Errorf("no route to %s in %s", dst, ns.Name())
	})
}
