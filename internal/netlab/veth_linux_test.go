package netlab

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestVethConnectTakesOneRTT(t *testing.T) { checkConnectTakesOneRTT(t, KindVeth) }

// TestVethLossDeterministic is TestLossDeterministicAcrossLabs on the veth
// link: the relay numbers the frames it reads, and with static neighbours
// and IPv6 off the link carries only the datagrams, so LossDrop names the
// lost ones exactly.
func TestVethLossDeterministic(t *testing.T) {
	sta, kept := checkLossDeterministic(t, KindVeth)
	// The pipe counts IP bytes, as on the TUN link: 28 bytes of headers
	// and 64 of payload per datagram, no Ethernet header.
	if want := uint64(len(kept)) * (20 + 8 + 64); sta.Bytes != want {
		t.Errorf("forwarded %d bytes, want %d (IP bytes only)", sta.Bytes, want)
	}
}

// TestVethCaptureSeesEthernetFrames captures a bulk TCP transfer on the
// client's interface of a veth link: internal/capture finds an Ethernet
// device, and every frame is a real segment (at most 1514 bytes) between
// the lab's MAC addresses, with valid IPv4 header checksums (transmit
// checksum offload is off, so the sender filled them in).
func TestVethCaptureSeesEthernetFrames(t *testing.T) {
	l := newTestLab(t, Config{Link: LinkConfig{Kind: KindVeth}})
	var c *capture.Capture
	err := l.Client.Do(func() error {
		var err error
		c, err = capture.Open(l.ClientIf, capture.Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	var srv net.Listener
	if err := l.Server.Do(func() error {
		var err error
		srv, err = net.Listen("tcp4", l.ServerAddr.String()+":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	got := make(chan int64, 1)
	go func() {
		conn, err := srv.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer conn.Close()
		n, _ := io.Copy(io.Discard, conn)
		got <- n
	}()
	const size = 2 << 20
	conn := dialIn(t, l.Client, l.ServerAddr, srv.Addr().(*net.TCPAddr).Port)
	if _, err := conn.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if n := <-got; n != size {
		t.Fatalf("server read %d of %d bytes", n, size)
	}
	pkts, st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.KernelDrops != 0 || len(pkts) < size/1448 {
		t.Fatalf("captured %d frames with %d kernel drops, want at least %d and none dropped", len(pkts), st.KernelDrops, size/1448)
	}
	client, server := labMAC(l.ClientAddr), labMAC(l.ServerAddr)
	var largest, full int
	for i, p := range pkts {
		if p.LinkType != layers.LinkTypeEthernet {
			t.Fatalf("frame %d: link type %v, want Ethernet", i, p.LinkType)
		}
		if len(p.Data) > 1514 {
			t.Fatalf("frame %d is %d bytes: a GSO or GRO super-frame", i, len(p.Data))
		}
		d := p.Data
		if len(d) < 34 || binary.BigEndian.Uint16(d[12:]) != unix.ETH_P_IP {
			t.Fatalf("frame %d is not IPv4 over Ethernet: % x", i, d[:min(len(d), 34)])
		}
		dst, src := net.HardwareAddr(d[0:6]), net.HardwareAddr(d[6:12])
		if !(bytes.Equal(src, client) && bytes.Equal(dst, server)) && !(bytes.Equal(src, server) && bytes.Equal(dst, client)) {
			t.Fatalf("frame %d: %v → %v, want between the client %v and the server %v", i, src, dst, client, server)
		}
		if ipChecksum(d[14:34]) != 0 {
			t.Errorf("frame %d: bad IPv4 header checksum", i)
		}
		largest = max(largest, len(p.Data))
		if len(p.Data) == 1514 {
			full++
		}
	}
	if largest != 1514 || full < size/1448/2 {
		t.Errorf("largest frame %d bytes, %d full-size frames: want 1514-byte segments for a bulk transfer", largest, full)
	}
}

// ipChecksum is the ones' complement sum of an IPv4 header (RFC 1071): 0
// for a header with a valid checksum.
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// TestVethOffloadsReadBack checks what the kernel says about the client's
// interface of a veth link: gso_max_segs 1, GRO and transmit checksum
// offload off, a permanent neighbour entry for the server.
func TestVethOffloadsReadBack(t *testing.T) {
	l := newTestLab(t, Config{Link: LinkConfig{Kind: KindVeth}})
	err := l.Client.Do(func() error {
		gro, err := ethtool(l.ClientIf, unix.ETHTOOL_GGRO, 0)
		if err != nil {
			return err
		}
		csum, err := ethtool(l.ClientIf, unix.ETHTOOL_GTXCSUM, 0)
		if err != nil {
			return err
		}
		tso, err := ethtool(l.ClientIf, unix.ETHTOOL_GTSO, 0)
		if err != nil {
			return err
		}
		if gro != 0 || csum != 0 || tso != 0 {
			t.Errorf("GRO %d, tx checksumming %d, TSO %d: want all off", gro, csum, tso)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	attrs := linkAttrsIn(t, l.Client, l.ClientIf)
	if attrs.GSOMaxSegs != 1 {
		t.Errorf("gso_max_segs %d, want 1", attrs.GSOMaxSegs)
	}
	if !bytes.Equal(attrs.HardwareAddr, labMAC(l.ClientAddr)) {
		t.Errorf("client MAC %v, want %v", attrs.HardwareAddr, labMAC(l.ClientAddr))
	}
	neigh := neighboursIn(t, l.Client, l.ClientIf)
	if mac, ok := neigh[l.ServerAddr.String()]; !ok || !bytes.Equal(mac, labMAC(l.ServerAddr)) {
		t.Errorf("client's permanent neighbours %v: want %v at %v", neigh, l.ServerAddr, labMAC(l.ServerAddr))
	}
}

func TestVethProxyTopology(t *testing.T) {
	server := LinkConfig{Kind: KindVeth, Delay: 10 * time.Millisecond}
	l := newTestLab(t, Config{
		Topology:   ClientProxyServer,
		Link:       LinkConfig{Kind: KindVeth, Delay: 2500 * time.Microsecond},
		ServerLink: &server,
	})
	for i, hop := range []struct {
		from *NS
		to   string
		in   *NS
		rtt  time.Duration
	}{
		{l.Client, l.ProxyClientAddr.String(), l.Proxy, 5 * time.Millisecond},
		{l.Proxy, l.ServerAddr.String(), l.Server, 20 * time.Millisecond},
	} {
		if l.Links[i].Kind() != KindVeth {
			t.Errorf("link %d kind %q", i, l.Links[i].Kind())
		}
		addr := [2]netip.Addr{l.ProxyClientAddr, l.ServerAddr}[i]
		_, port := listenIn(t, hop.in, addr)
		_, kernel := connectTimes(t, hop.from, addr, port, 5)
		if m := median(kernel); m < hop.rtt-time.Millisecond || m > hop.rtt+time.Millisecond {
			t.Errorf("%s → %s: handshake RTT %v, want %v ± 1 ms", hop.from.Name(), hop.to, m, hop.rtt)
		}
	}
}

func TestChooseKind(t *testing.T) {
	labtest.RequirePriv(t)
	// Root gets TUN; root of a user namespace cannot open /dev/net/tun and
	// falls back to veth.
	kind, err := ChooseKind("")
	if want := defaultKind(); err != nil || kind != want {
		t.Errorf("ChooseKind(\"\") = %q, %v; want %q", kind, err, want)
	}
	if !InUserNS() && kind != KindTUN {
		t.Errorf("ChooseKind(\"\") as root of the initial user namespace = %q, want %q", kind, KindTUN)
	}
	if kind, err := ChooseKind(KindVeth); err != nil || kind != KindVeth {
		t.Errorf("ChooseKind(veth) = %q, %v", kind, err)
	}
	if _, err := ChooseKind("wire"); err == nil {
		t.Error("ChooseKind accepted an unknown kind")
	}
	if err := HaveVeth(); err != nil {
		t.Errorf("HaveVeth as root: %v", err)
	}
}

// withLinkIn runs f inside ns with a netlink handle and interface name,
// failing the test on any error.
func withLinkIn(t *testing.T, ns *NS, name string, f func(h *netlink.Handle, link netlink.Link) error) {
	t.Helper()
	err := ns.Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer h.Close()
		link, err := h.LinkByName(name)
		if err != nil {
			return err
		}
		return f(h, link)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// linkAttrsIn reads interface name's attributes inside ns.
func linkAttrsIn(t *testing.T, ns *NS, name string) netlink.LinkAttrs {
	t.Helper()
	var attrs netlink.LinkAttrs
	withLinkIn(t, ns, name, func(_ *netlink.Handle, link netlink.Link) error {
		attrs = *link.Attrs()
		return nil
	})
	return attrs
}

// neighboursIn returns the permanent IPv4 neighbours of interface name
// inside ns, address → MAC.
func neighboursIn(t *testing.T, ns *NS, name string) map[string]net.HardwareAddr {
	t.Helper()
	out := map[string]net.HardwareAddr{}
	withLinkIn(t, ns, name, func(h *netlink.Handle, link netlink.Link) error {
		neigh, err := h.NeighList(link.Attrs().Index, netlink.FAMILY_V4)
		if err != nil {
			return err
		}
		for _, n := range neigh {
			if n.State&netlink.NUD_PERMANENT != 0 {
				out[n.IP.String()] = n.HardwareAddr
			}
		}
		return nil
	})
	return out
}

// TestVethCloseLeavesNothing builds and closes 30 veth labs and checks that
// no descriptor, ring mapping, namespace thread, GOMAXPROCS change or spin
// slot is left behind: with nothing holding them, the wire namespaces and
// their veth pairs are gone.
func TestVethCloseLeavesNothing(t *testing.T) {
	labtest.RequirePriv(t)
	before := takeLeftovers(t)
	for i := range 30 {
		l, err := New(context.Background(), Config{Name: "leak", Topology: ClientProxyServer, Link: LinkConfig{Kind: KindVeth, Delay: time.Millisecond}})
		if err != nil {
			t.Fatalf("lab %d: %v", i, err)
		}
		ino, err := l.Client.inode()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("lab %d: Close: %v", i, err)
		}
		if i%10 == 0 {
			assertNoThreadIn(t, ino)
		}
	}
	before.requireNoneLeft(t)
}

// TestVethLabOnlyWhereAsked checks that a lab whose Kind is empty takes TUN
// where /dev/net/tun opens (as root) and that an explicit veth kind is kept
// for every link of a proxy lab.
func TestVethLabOnlyWhereAsked(t *testing.T) {
	l := newTestLab(t, Config{})
	if want := defaultKind(); l.Links[0].Kind() != want {
		t.Errorf("default link kind %q, want %q", l.Links[0].Kind(), want)
	}
	if os.Geteuid() == 0 && !InUserNS() && l.Links[0].Kind() != KindTUN {
		t.Errorf("root got a %q link by default, want tun", l.Links[0].Kind())
	}
}
