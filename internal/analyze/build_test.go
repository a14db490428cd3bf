package analyze

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// pkt describes a hand-built TCP packet.
type pkt struct {
	v6      bool
	syn     bool
	ack     bool
	fin     bool
	rst     bool
	seq     uint32
	ackNum  uint32
	opts    []layers.TCPOption
	payload []byte
}

func (p pkt) layers(t testing.TB) (gopacket.SerializableLayer, *layers.TCP) {
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: p.seq, Ack: p.ackNum, SYN: p.syn, ACK: p.ack,
		FIN: p.fin, RST: p.rst, Window: 64240, Options: p.opts}
	if p.v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
		tcp.SetNetworkLayerForChecksum(ip)
		return ip, tcp
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment,
		SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	tcp.SetNetworkLayerForChecksum(ip)
	return ip, tcp
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ipPacket is p as a bare IP packet.
func (p pkt) ipPacket(t testing.TB) []byte {
	ip, tcp := p.layers(t)
	return serialize(t, ip, tcp, gopacket.Payload(p.payload))
}

// ethernet is p in an Ethernet frame.
func (p pkt) ethernet(t testing.TB) []byte {
	et := layers.EthernetTypeIPv4
	if p.v6 {
		et = layers.EthernetTypeIPv6
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: et}
	ip, tcp := p.layers(t)
	return serialize(t, eth, ip, tcp, gopacket.Payload(p.payload))
}

// sll wraps an IP packet in a Linux cooked-capture (v1) header.
func sll(ipPkt []byte, v6 bool) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 4) // sent by us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	proto := uint16(layers.EthernetTypeIPv4)
	if v6 {
		proto = uint16(layers.EthernetTypeIPv6)
	}
	binary.BigEndian.PutUint16(h[14:], proto)
	return append(h, ipPkt...)
}

// sll2 wraps an IP packet in a Linux cooked-capture v2 header.
func sll2(ipPkt []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], uint16(layers.EthernetTypeIPv4))
	binary.BigEndian.PutUint32(h[4:], 2) // ifindex
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = 4                            // outgoing
	h[11] = 6
	return append(h, ipPkt...)
}

// null wraps an IP packet in a BSD loopback header (host-order family).
func null(ipPkt []byte) []byte {
	h := make([]byte, 4)
	binary.LittleEndian.PutUint32(h, 2) // AF_INET
	return append(h, ipPkt...)
}
