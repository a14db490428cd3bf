package netlab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// end is one end of a link as New lays it out.
type end struct {
	ns     *NS
	role   string // "client", "server", "proxy"
	ifname string
	addr   netip.Addr
}

// New builds the lab cfg describes: its namespaces, the sysctls in each, and
// its links, with the relays running. ctx bounds the setup only; the lab
// lives until Close. On error everything made so far is removed.
//
// Every namespace gets lo up and, unless cfg.Sysctls says otherwise,
// net.ipv6.conf.default.disable_ipv6=1 before its links exist, so the links
// carry only the experiment's IPv4 traffic (no router solicitations or MLD
// reports to shift the loss process's packet numbers).
//
// A link whose Kind is empty is a TUN link where this process can open
// /dev/net/tun, and a veth link where it cannot (root of a user namespace,
// for one, may not).
func New(ctx context.Context, cfg Config) (_ *Lab, err error) {
	if cfg.Link.Kind == "" {
		cfg.Link.Kind = defaultKind()
	}
	if cfg.ServerLink != nil && cfg.ServerLink.Kind == "" {
		sl := *cfg.ServerLink
		sl.Kind = defaultKind()
		cfg.ServerLink = &sl
	}
	link, err := cfg.Link.withDefaults()
	if err != nil {
		return nil, err
	}
	serverLink := link
	if cfg.ServerLink != nil {
		if serverLink, err = cfg.ServerLink.withDefaults(); err != nil {
			return nil, err
		}
	}
	name := cfg.Name
	if name == "" {
		name = "lab"
	}
	l := &Lab{name: name}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()

	newNS := func(role string) (*NS, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ns, err := NewNS(name + "-" + role)
		if err != nil {
			return nil, err
		}
		l.addCleanup(ns.Close)
		if err := setupNS(ns, cfg.Sysctls); err != nil {
			return nil, err
		}
		return ns, nil
	}
	addLink := func(index int, lc LinkConfig, a, b end) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := newLink(l, index, lc, a, b)
		if err != nil {
			return err
		}
		l.Links = append(l.Links, k)
		return nil
	}

	switch cfg.Topology {
	case ClientServer:
		if l.Client, err = newNS("client"); err != nil {
			return nil, err
		}
		if l.Server, err = newNS("server"); err != nil {
			return nil, err
		}
		l.ClientAddr, l.ServerAddr = addrClient, addrServer
		l.ClientIf, l.ServerIf = ifToServer, ifToClient
		err = addLink(0, link,
			end{l.Client, "client", ifToServer, addrClient},
			end{l.Server, "server", ifToClient, addrServer})
	case ClientProxyServer:
		if l.Client, err = newNS("client"); err != nil {
			return nil, err
		}
		if l.Proxy, err = newNS("proxy"); err != nil {
			return nil, err
		}
		if l.Server, err = newNS("server"); err != nil {
			return nil, err
		}
		l.ClientAddr, l.ServerAddr = addrProxyClientSide, addrProxyServerSide
		l.ProxyClientAddr, l.ProxyServerAddr = addrProxyClient, addrProxyServer
		l.ClientIf, l.ServerIf = ifToServer, ifToClient
		l.ProxyClientIf, l.ProxyServerIf = ifToClient, ifToServer
		err = addLink(0, link,
			end{l.Client, "client", ifToServer, addrProxyClientSide},
			end{l.Proxy, "proxy", ifToClient, addrProxyClient})
		if err == nil {
			err = addLink(1, serverLink,
				end{l.Proxy, "proxy", ifToServer, addrProxyServer},
				end{l.Server, "server", ifToClient, addrProxyServerSide})
		}
	default:
		err = fmt.Errorf("netlab: unknown topology %v", cfg.Topology)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// setupNS sets lo up and the sysctls of a new lab namespace.
func setupNS(ns *NS, sysctls map[string]string) error {
	err := ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlab: netlink: %w", err)
		}
		defer h.Close()
		return loUp(h)
	})
	if err != nil {
		return fmt.Errorf("netlab: %s: %w", ns.Name(), err)
	}
	for _, k := range slices.Sorted(maps.Keys(sysctls)) {
		if err := ns.SetSysctl(k, sysctls[k]); err != nil {
			return err
		}
	}
	const v6off = "net.ipv6.conf.default.disable_ipv6"
	if _, ok := sysctls[v6off]; !ok {
		if err := ns.SetSysctl(v6off, "1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err // a kernel without IPv6 has nothing to turn off
		}
	}
	return nil
}

// newLink builds link index of l between a and b and registers its removal
// with l.
func newLink(l *Lab, index int, cfg LinkConfig, a, b end) (*Link, error) {
	switch cfg.Kind {
	case KindNetem:
		return newNetemLink(l, index, cfg, a, b)
	case KindVeth:
		return newVethLink(l, index, cfg, a, b)
	default:
		return newTUNLink(l, index, cfg, a, b)
	}
}

// newTUNLink makes a TUN device at each end, with a tap ring to read what
// the namespace sends into it, and starts the relay between them.
func newTUNLink(l *Lab, index int, cfg LinkConfig, a, b end) (*Link, error) {
	var ports [2]tunPort
	for i, e := range [2]end{a, b} {
		peer := [2]end{b, a}[i]
		err := e.ns.Do(func() error {
			h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
			if err != nil {
				return fmt.Errorf("netlab: netlink: %w", err)
			}
			defer h.Close()
			dev, err := openTUN(e.ifname)
			if err != nil {
				return err
			}
			l.addCleanup(dev.Close)
			if err := dev.discardQueued(); err != nil {
				return err
			}
			ifindex, err := pointToPoint(h, e.ifname, e.addr, peer.addr, cfg.MTU)
			if err != nil {
				return err
			}
			tap, err := openTapRing(ifindex, cfg.MTU)
			if err != nil {
				return err
			}
			l.addCleanup(tap.Close)
			ports[i] = tunPort{dev: dev, tap: tap}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("netlab: link %s ⇄ %s: %s: %w", a.role, b.role, e.role, err)
		}
	}
	r, err := startRelay(ports[0], ports[1], cfg, index)
	if err != nil {
		return nil, err
	}
	k := relayLink(KindTUN, cfg, a, b, r, ports[0].tap.dropped, ports[1].tap.dropped)
	l.addCleanup(k.close) // runs before the devices and rings close
	return k, nil
}

// relayLink is the Link of relay r between ends a and b, whose ports count
// the frames their devices dropped with droppedA and droppedB.
func relayLink(kind string, cfg LinkConfig, a, b end, r *relay, droppedA, droppedB func() uint64) *Link {
	k := &Link{
		kind: kind,
		cfg:  cfg,
		a:    a.role + "/" + a.ifname,
		b:    b.role + "/" + b.ifname,
		stop: r.stop,
	}
	k.stats = func() LinkStats {
		st := LinkStats{Forward: r.stats(0), Reverse: r.stats(1)}
		st.Forward.DeviceDropped = droppedA()
		st.Reverse.DeviceDropped = droppedB()
		return st
	}
	return k
}
