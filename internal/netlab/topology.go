package netlab

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Topology is the shape of a lab.
type Topology int

const (
	// ClientServer is two namespaces joined by one link.
	ClientServer Topology = iota
	// ClientProxyServer is client ⇄ proxy ⇄ server: two links, and the proxy
	// namespace has an address on each. Nothing is routed through the proxy:
	// the client talks to the proxy and the proxy to the server.
	ClientProxyServer
)

func (t Topology) String() string {
	switch t {
	case ClientServer:
		return "client-server"
	case ClientProxyServer:
		return "client-proxy-server"
	}
	return fmt.Sprintf("topology(%d)", int(t))
}

// Link kinds.
const (
	KindTUN   = "tun"   // TUN devices joined by the userspace relay (the default)
	KindVeth  = "veth"  // veth pairs into a wire namespace, joined by the relay through packet sockets
	KindNetem = "netem" // a veth pair with a netem qdisc on each end
)

// DefaultMTU is the MTU of a link whose LinkConfig.MTU is 0.
const DefaultMTU = 1500

// LinkConfig is the emulated link between two namespaces. A is the end
// nearer the client, B the end nearer the server.
type LinkConfig struct {
	Kind         string        // KindTUN, KindVeth, KindNetem (only where the kernel has sch_netem); New takes "" as KindTUN where /dev/net/tun opens, else KindVeth
	Delay        time.Duration // one-way delay A→B
	DelayReverse time.Duration // one-way delay B→A; 0 = same as Delay
	RateBps      int64         // bits per second of IP packets, each direction; 0 = unlimited
	Loss         float64       // probability in [0, 1] that a packet is lost, each direction
	QueuePackets int           // packets that may wait for the serialiser; 0 = DefaultQueuePackets
	Seed         int64         // seed of the loss process
	MTU          int           // 0 = DefaultMTU

	// LetCPUsIdle lets every idle CPU halt while the link delays or paces
	// packets. By default a helper keeps the relay's CPU awake (a
	// SCHED_IDLE spinner, see holdCPUAwake), because a halted virtual CPU
	// wakes the relay 0.1–2 ms late.
	LetCPUsIdle bool
}

// withDefaults fills the zero fields and checks the rest.
func (c LinkConfig) withDefaults() (LinkConfig, error) {
	if c.Kind == "" {
		c.Kind = KindTUN
	}
	if c.DelayReverse == 0 {
		c.DelayReverse = c.Delay
	}
	if c.QueuePackets == 0 {
		c.QueuePackets = DefaultQueuePackets
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	switch {
	case c.Kind != KindTUN && c.Kind != KindVeth && c.Kind != KindNetem:
		return c, fmt.Errorf("netlab: link kind %q: want %q, %q or %q", c.Kind, KindTUN, KindVeth, KindNetem)
	case c.Delay < 0 || c.DelayReverse < 0:
		return c, fmt.Errorf("netlab: negative delay %v/%v", c.Delay, c.DelayReverse)
	case c.RateBps < 0:
		return c, fmt.Errorf("netlab: negative rate %d", c.RateBps)
	case !(c.Loss >= 0 && c.Loss <= 1):
		return c, fmt.Errorf("netlab: loss %v outside [0, 1]", c.Loss)
	case c.QueuePackets < 0:
		return c, fmt.Errorf("netlab: negative queue %d", c.QueuePackets)
	case c.MTU < 576 || c.MTU > 65535:
		return c, fmt.Errorf("netlab: MTU %d outside [576, 65535]", c.MTU)
	}
	return c, nil
}

// timesPackets reports whether the link holds or paces packets, so that
// when each is delivered depends on the relay waking in time.
func (c LinkConfig) timesPackets() bool {
	return c.Delay > 0 || c.DelayReverse > 0 || c.RateBps > 0
}

// pipeConfig is the configuration of one direction (0 = A→B, 1 = B→A) of
// the link numbered index in its lab.
func (c LinkConfig) pipeConfig(index, dir int) PipeConfig {
	d := c.Delay
	if dir == 1 {
		d = c.DelayReverse
	}
	return PipeConfig{
		Delay:        d,
		RateBps:      c.RateBps,
		Loss:         c.Loss,
		QueuePackets: c.QueuePackets,
		Seed:         c.Seed,
		Stream:       uint64(2*index + dir),
	}
}

// Config describes a lab.
type Config struct {
	Name     string // label, used in namespace names and errors
	Topology Topology
	Link     LinkConfig // every link of the lab
	// ServerLink, if set, replaces Link for the proxy ⇄ server link of
	// ClientProxyServer.
	ServerLink *LinkConfig
	// Sysctls are set in every namespace, before any link exists, and read
	// back (see Lab.Sysctls).
	Sysctls map[string]string
}

// Addresses of the lab, from 198.18.0.0/15 (RFC 2544, section C.2.2).
var (
	addrClient = netip.MustParseAddr("198.18.0.1") // ClientServer
	addrServer = netip.MustParseAddr("198.18.0.2")

	addrProxyClientSide    = netip.MustParseAddr("198.18.1.1") // ClientProxyServer, client link
	addrProxyClient        = netip.MustParseAddr("198.18.1.2")
	addrProxyServer        = netip.MustParseAddr("198.18.2.1") // ClientProxyServer, server link
	addrProxyServerSide    = netip.MustParseAddr("198.18.2.2")
	ifToServer, ifToClient = "to-server", "to-client"
)

// Lab is a set of namespaces joined by emulated links.
type Lab struct {
	Client, Server, Proxy *NS // Proxy is nil for ClientServer

	// ClientAddr and ServerAddr are the client's and the server's addresses:
	// the two ends of the link for ClientServer, the far ends of the two
	// links for ClientProxyServer.
	ClientAddr, ServerAddr netip.Addr
	// ProxyClientAddr and ProxyServerAddr are the proxy's addresses on the
	// client link and on the server link (ClientProxyServer only).
	ProxyClientAddr, ProxyServerAddr netip.Addr

	// Interface names inside the namespaces, for capture.
	ClientIf, ServerIf           string
	ProxyClientIf, ProxyServerIf string

	Links []*Link // client-side link first

	name    string
	mu      sync.Mutex
	closed  bool
	cleanup []func() error // run in reverse order by Close
}

// Name is the lab's label.
func (l *Lab) Name() string { return l.name }

// Sysctls returns every sysctl the lab set, in every namespace, as read back:
// "client:net.ipv4.tcp_fastopen" → "3".
func (l *Lab) Sysctls() map[string]string {
	out := make(map[string]string)
	for role, ns := range l.namespaces() {
		for k, v := range ns.Sysctls() {
			out[role+":"+k] = v
		}
	}
	return out
}

// namespaces returns the lab's namespaces by role.
func (l *Lab) namespaces() map[string]*NS {
	m := map[string]*NS{}
	for role, ns := range map[string]*NS{"client": l.Client, "server": l.Server, "proxy": l.Proxy} {
		if ns != nil {
			m[role] = ns
		}
	}
	return m
}

// addCleanup registers f to run when the lab closes; cleanups run in the
// reverse order of registration.
func (l *Lab) addCleanup(f func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cleanup = append(l.cleanup, f)
}

// Close stops the relays and removes every device, namespace descriptor,
// mount and state file the lab made, in the reverse order of their making.
// It is idempotent. Sockets the caller opened inside the namespaces keep
// them alive until they are closed too.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	fns := l.cleanup
	l.cleanup = nil
	l.mu.Unlock()
	var errs []error
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("netlab: close lab %s: %w", l.name, err)
	}
	return nil
}
