package netlab

import (
	"fmt"
	"math"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// newNetemLink joins a and b with a veth pair and puts a netem qdisc on each
// end, for kernels that have sch_netem and users who ask for it. Segments
// stay real: gso_max_segs is 1 on both ends. netem's semantics differ from
// the TUN relay's: its limit counts every packet it holds (those on the
// delay line too), its loss is not seeded (Seed is ignored), and its
// counters do not tell loss from tail drop (both show as DroppedQueue).
func newNetemLink(l *Lab, index int, cfg LinkConfig, a, b end) (*Link, error) {
	if err := HaveNetem(); err != nil {
		return nil, fmt.Errorf("netlab: netem link: %w", err)
	}
	err := a.ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer h.Close()
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: a.ifname, MTU: cfg.MTU},
			PeerName:      b.ifname,
			PeerNamespace: netlink.NsFd(b.ns.Fd()),
		}
		if err := h.LinkAdd(veth); err != nil {
			return fmt.Errorf("create veth %s/%s: %w", a.ifname, b.ifname, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netlab: netem link %s ⇄ %s: %w", a.role, b.role, err)
	}
	var (
		handles [2]*netlink.Handle
		ifindex [2]int
	)
	for i, e := range [2]end{a, b} {
		peer := [2]end{b, a}[i]
		delay := [2]int64{int64(cfg.Delay), int64(cfg.DelayReverse)}[i]
		err := e.ns.Do(func() error {
			h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
			if err != nil {
				return err
			}
			l.addCleanup(func() error { h.Close(); return nil })
			handles[i] = h
			link, err := h.LinkByName(e.ifname)
			if err != nil {
				return err
			}
			if err := h.LinkSetGSOMaxSegs(link, 1); err != nil {
				return fmt.Errorf("set gso_max_segs 1 on %s: %w", e.ifname, err)
			}
			if ifindex[i], err = pointToPoint(h, e.ifname, e.addr, peer.addr, cfg.MTU); err != nil {
				return err
			}
			q := netlink.NewNetem(netlink.QdiscAttrs{
				LinkIndex: ifindex[i],
				Handle:    netlink.MakeHandle(1, 0),
				Parent:    netlink.HANDLE_ROOT,
			}, netlink.NetemQdiscAttrs{
				Latency: uint32(min(delay/1000, math.MaxUint32)),
				Limit:   uint32(cfg.QueuePackets),
				Loss:    float32(cfg.Loss * 100),
				Rate64:  uint64(cfg.RateBps / 8),
			})
			if err := h.QdiscAdd(q); err != nil {
				return fmt.Errorf("add netem on %s: %w", e.ifname, err)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("netlab: netem link %s ⇄ %s: %s: %w", a.role, b.role, e.role, err)
		}
	}
	k := &Link{
		kind: KindNetem,
		cfg:  cfg,
		a:    a.role + "/" + a.ifname,
		b:    b.role + "/" + b.ifname,
		stop: func() error { return nil }, // the veth pair goes with its namespaces
	}
	k.stats = func() LinkStats {
		return LinkStats{
			Forward: netemStats(handles[0], ifindex[0]),
			Reverse: netemStats(handles[1], ifindex[1]),
		}
	}
	l.addCleanup(k.close)
	return k, nil
}

// netemStats reads the root qdisc's counters of interface index.
func netemStats(h *netlink.Handle, index int) DirectionStats {
	var d DirectionStats
	link, err := h.LinkByIndex(index)
	if err != nil {
		return d
	}
	qs, err := h.QdiscList(link)
	if err != nil {
		return d
	}
	for _, q := range qs {
		st := q.Attrs().Statistics
		if q.Type() != "netem" || st == nil || st.Basic == nil || st.Queue == nil {
			continue
		}
		d.Forwarded = uint64(st.Basic.Packets)
		d.Bytes = st.Basic.Bytes
		d.DroppedQueue = uint64(st.Queue.Drops)
		d.Offered = d.Forwarded + d.DroppedQueue
	}
	return d
}
