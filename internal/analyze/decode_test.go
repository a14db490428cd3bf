package analyze

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestDecodeLinkTypes(t *testing.T) {
	p4 := pkt{syn: true, ack: true, seq: 1000, ackNum: 2001, payload: []byte("hello"), opts: []layers.TCPOption{opt(2, 0x05, 0xb4)}}
	p6 := p4
	p6.v6 = true
	ip4, ip6 := p4.ipPacket(t), p6.ipPacket(t)

	vlan := func() []byte {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeDot1Q}
		tag := &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}
		ip, tcp := p4.layers(t)
		return serialize(t, eth, tag, ip, tcp, gopacket.Payload(p4.payload))
	}()

	for _, tc := range []struct {
		name string
		link layers.LinkType
		data []byte
		v6   bool
	}{
		{"ethernet", layers.LinkTypeEthernet, p4.ethernet(t), false},
		{"ethernet ipv6", layers.LinkTypeEthernet, p6.ethernet(t), true},
		{"ethernet vlan", layers.LinkTypeEthernet, vlan, false},
		{"raw 101 v4", layers.LinkTypeRaw, ip4, false},
		{"raw 101 v6", layers.LinkTypeRaw, ip6, true},
		{"raw 12", 12, ip4, false},
		{"raw 14", 14, ip6, true},
		{"ipv4 228", layers.LinkTypeIPv4, ip4, false},
		{"ipv6 229", layers.LinkTypeIPv6, ip6, true},
		{"linux sll", layers.LinkTypeLinuxSLL, sll(ip4, false), false},
		{"linux sll v6", layers.LinkTypeLinuxSLL, sll(ip6, true), true},
		{"linux sll2", layers.LinkTypeLinuxSLL2, sll2(ip4), false},
		{"bsd null", layers.LinkTypeNull, null(ip4), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs, err := Decode([]Frame{{Time: t0, LinkType: tc.link, Data: tc.data}})
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != 1 {
				t.Fatalf("%d segments, want 1", len(segs))
			}
			s := segs[0]
			src, dst := "10.0.0.1:40000", "10.0.0.2:80"
			if tc.v6 {
				src, dst = "[fd00::1]:40000", "[fd00::2]:80"
			}
			if s.Src != netip.MustParseAddrPort(src) || s.Dst != netip.MustParseAddrPort(dst) {
				t.Errorf("addresses %v → %v, want %s → %s", s.Src, s.Dst, src, dst)
			}
			if s.Index != 0 || !s.Time.Equal(t0) || s.Seq != 1000 || s.Ack != 2001 || !s.SYN || !s.ACK || s.FIN || s.RST ||
				s.Window != 64240 || s.Payload != 5 || s.Opts.MSS != 1460 {
				t.Errorf("segment %+v", s)
			}
		})
	}
}

func TestDecodeSkipsAndErrors(t *testing.T) {
	udp := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		u := &layers.UDP{SrcPort: 5000, DstPort: 53}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(t, ip, u, gopacket.Payload("q"))
	}()
	arp := serialize(t,
		&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: []byte{2, 0, 0, 0, 0, 1}, SourceProtAddress: []byte{10, 0, 0, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}})
	good := pkt{ack: true, seq: 5, ackNum: 9}.ipPacket(t)
	cut := good[:20+12] // IPv4 header and 12 of TCP's 20 bytes
	frames := []Frame{
		{Time: t0, LinkType: layers.LinkTypeRaw, Data: udp},
		{Time: t0, LinkType: layers.LinkTypeEthernet, Data: arp},
		{Time: t0, LinkType: layers.LinkTypeRaw, Data: cut},
		{Time: t0, LinkType: layers.LinkTypeRaw, Data: good},
		{Time: t0, LinkType: layers.LinkTypeIEEE802_11, Data: good},
		{Time: t0, LinkType: layers.LinkTypeRaw, Data: nil},
	}
	segs, err := Decode(frames)
	if len(segs) != 1 || segs[0].Index != 3 {
		t.Fatalf("segments %+v, want only frame 3", segs)
	}
	if err == nil {
		t.Fatal("no error for a cut TCP header, an unknown link type and an empty frame")
	}
	if !errors.Is(err, ErrLinkType) {
		t.Errorf("error %v does not match ErrLinkType", err)
	}
	t.Log(err)
}

// TestDecodePayloadFromIPLength: Ethernet pads short frames to 60 bytes and
// a snap length cuts long ones; Payload follows the IP length either way.
func TestDecodePayloadFromIPLength(t *testing.T) {
	ack := pkt{ack: true, seq: 1, ackNum: 1}.ethernet(t) // 54 bytes
	padded := append(append([]byte{}, ack...), make([]byte, 60-len(ack))...)
	data := pkt{ack: true, seq: 1, ackNum: 1, payload: make([]byte, 1000)}.ethernet(t)
	snapped := data[:14+20+20+100]
	segs, err := Decode([]Frame{
		{Time: t0, LinkType: layers.LinkTypeEthernet, Data: padded},
		{Time: t0, LinkType: layers.LinkTypeEthernet, Data: snapped},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 2 || segs[0].Payload != 0 || segs[1].Payload != 1000 {
		t.Fatalf("segments %+v, want payloads 0 (padding is not data) and 1000 (snapped)", segs)
	}
}

func TestDecodeIPv6ExtensionHeader(t *testing.T) {
	p := pkt{v6: true, ack: true, seq: 3, ackNum: 4, payload: []byte("abc")}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6HopByHop,
		SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
	hbh := &layers.IPv6HopByHop{}
	hbh.NextHeader = layers.IPProtocolTCP
	hbh.Options = []*layers.IPv6HopByHopOption{{OptionType: 1, OptionLength: 4, OptionData: []byte{0, 0, 0, 0}}}
	_, tcp := p.layers(t)
	tcp.SetNetworkLayerForChecksum(ip)
	data := serialize(t, ip, hbh, tcp, gopacket.Payload(p.payload))
	segs, err := Decode([]Frame{{Time: t0, LinkType: layers.LinkTypeRaw, Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 1 || segs[0].Payload != 3 || segs[0].Seq != 3 {
		t.Fatalf("segments %+v, want one 3-byte segment behind the hop-by-hop header", segs)
	}
}
