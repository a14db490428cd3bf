package analyze

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Link types that carry a bare IP packet: LINKTYPE_RAW (101), DLT_RAW as
// some systems number it (12, 14), and LINKTYPE_IPV4/IPV6 (228, 229).
var rawLinkTypes = map[layers.LinkType]bool{
	12: true, 14: true, layers.LinkTypeRaw: true, layers.LinkTypeIPv4: true, layers.LinkTypeIPv6: true,
}

// Link types decoded by gopacket's own link layer.
var framedLinkTypes = map[layers.LinkType]bool{
	layers.LinkTypeEthernet: true, layers.LinkTypeLinuxSLL: true, layers.LinkTypeLinuxSLL2: true,
	layers.LinkTypeNull: true, layers.LinkTypeLoop: true,
}

// ErrLinkType is returned for a frame of a link type Decode does not know.
var ErrLinkType = errors.New("unsupported link type")

// maxFrameErrors is how many bad frames Decode names in its error.
const maxFrameErrors = 8

// Decode extracts the TCP segments from frames: Ethernet (with VLAN tags),
// raw IPv4/IPv6 (link types 101, 12, 14, 228, 229), Linux cooked capture
// (SLL, SLL2) and BSD loopback. Frames that are not TCP, and IP fragments
// after the first, are skipped. A frame that claims TCP but cannot be
// decoded (a header cut short or malformed), or has an unknown link type, is
// reported in the error; Decode still returns every segment it could decode,
// in frame order.
func Decode(frames []Frame) ([]Segment, error) {
	var (
		segs []Segment
		errs []error
		bad  int
	)
	for i, fr := range frames {
		s, ok, err := decodeFrame(fr)
		if err != nil {
			if bad++; bad <= maxFrameErrors {
				errs = append(errs, fmt.Errorf("frame %d: %w", i, err))
			}
			continue
		}
		if ok {
			s.Index = i
			segs = append(segs, s)
		}
	}
	if bad > maxFrameErrors {
		errs = append(errs, fmt.Errorf("and %d more frames", bad-maxFrameErrors))
	}
	if len(errs) > 0 {
		return segs, fmt.Errorf("analyze: decode: %w", errors.Join(errs...))
	}
	return segs, nil
}

// decodeFrame returns the TCP segment in fr; ok is false for frames that
// carry no TCP.
func decodeFrame(fr Frame) (s Segment, ok bool, err error) {
	var first gopacket.Decoder
	switch {
	case framedLinkTypes[fr.LinkType]:
		first = fr.LinkType
	case rawLinkTypes[fr.LinkType]:
		if len(fr.Data) == 0 {
			return s, false, errors.New("empty frame")
		}
		switch fr.Data[0] >> 4 {
		case 4:
			first = layers.LayerTypeIPv4
		case 6:
			first = layers.LayerTypeIPv6
		default:
			return s, false, fmt.Errorf("raw frame with IP version %d", fr.Data[0]>>4)
		}
	default:
		return s, false, fmt.Errorf("%w %d (%v)", ErrLinkType, int(fr.LinkType), fr.LinkType)
	}
	pkt := gopacket.NewPacket(fr.Data, first, gopacket.DecodeOptions{NoCopy: true})
	src, dst, tcp, declared, ok, err := transport(pkt)
	if !ok || err != nil {
		return s, ok, err
	}
	s, err = parseTCP(tcp, declared)
	if err != nil {
		return s, true, err
	}
	s.Time = fr.Time
	s.Src = netip.AddrPortFrom(src, s.Src.Port())
	s.Dst = netip.AddrPortFrom(dst, s.Dst.Port())
	return s, true, nil
}

// transport finds the TCP bytes of pkt after its IP header (and IPv6
// extension headers). declared is the TCP length the IP header states,
// which exceeds len(tcp) when the capture cut the frame short.
func transport(pkt gopacket.Packet) (src, dst netip.Addr, tcp []byte, declared int, ok bool, err error) {
	var (
		ip4 *layers.IPv4
		ip6 *layers.IPv6
		ipl gopacket.Layer // the last IP-level layer
		nh  layers.IPProtocol
	)
	for _, l := range pkt.Layers() {
		switch v := l.(type) {
		case *layers.IPv4:
			if ip4 != nil || ip6 != nil {
				return src, dst, nil, 0, false, nil // tunnelled: not ours
			}
			ip4, ipl, nh = v, v, v.Protocol
		case *layers.IPv6:
			if ip4 != nil || ip6 != nil {
				return src, dst, nil, 0, false, nil
			}
			ip6, ipl, nh = v, v, v.NextHeader
		case *layers.IPv6HopByHop:
			ipl, nh = v, v.NextHeader
		case *layers.IPv6Routing:
			ipl, nh = v, v.NextHeader
		case *layers.IPv6Destination:
			ipl, nh = v, v.NextHeader
		case *layers.IPv6Fragment:
			if v.FragmentOffset != 0 {
				return src, dst, nil, 0, false, nil
			}
			ipl, nh = v, v.NextHeader
		}
	}
	if ipl == nil || nh != layers.IPProtocolTCP {
		return src, dst, nil, 0, false, nil
	}
	tcp = ipl.LayerPayload()
	declared = len(tcp)
	switch {
	case ip4 != nil:
		if ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0 {
			if ip4.FragOffset != 0 {
				return src, dst, nil, 0, false, nil
			}
			return src, dst, nil, 0, true, errors.New("first fragment of a fragmented TCP segment")
		}
		src, _ = netip.AddrFromSlice(ip4.SrcIP)
		dst, _ = netip.AddrFromSlice(ip4.DstIP)
		if hl := int(ip4.IHL) * 4; int(ip4.Length) > hl {
			declared = int(ip4.Length) - hl
		}
	case ip6 != nil:
		src, _ = netip.AddrFromSlice(ip6.SrcIP)
		dst, _ = netip.AddrFromSlice(ip6.DstIP)
		if ip6.Length != 0 {
			// The extension headers lie between the fixed 40-byte header
			// and the TCP bytes. With NoCopy every layer is a subslice of
			// the frame, so their distance is a difference of capacities
			// (gopacket does not count a hop-by-hop header in either the
			// IPv6 layer's Contents or its Payload).
			ext := cap(ip6.Contents) - cap(tcp) - 40
			declared = int(ip6.Length) - ext
		}
	}
	if !src.IsValid() || !dst.IsValid() {
		return src, dst, nil, 0, true, errors.New("bad IP addresses")
	}
	return src, dst, tcp, declared, true, nil
}

// parseTCP decodes a TCP header (RFC 9293 §3.1) by hand, options included.
// declared is the segment length the IP header gives.
func parseTCP(b []byte, declared int) (Segment, error) {
	var s Segment
	if len(b) < 20 {
		return s, fmt.Errorf("TCP header cut short: %d bytes", len(b))
	}
	off := int(b[12]>>4) * 4
	if off < 20 {
		return s, fmt.Errorf("TCP data offset %d below 20", off)
	}
	if len(b) < off {
		return s, fmt.Errorf("TCP header of %d bytes cut short at %d", off, len(b))
	}
	if declared < off {
		return s, fmt.Errorf("IP length leaves %d bytes for a %d-byte TCP header", declared, off)
	}
	s.Src = netip.AddrPortFrom(netip.Addr{}, binary.BigEndian.Uint16(b[0:2]))
	s.Dst = netip.AddrPortFrom(netip.Addr{}, binary.BigEndian.Uint16(b[2:4]))
	s.Seq = binary.BigEndian.Uint32(b[4:8])
	s.Ack = binary.BigEndian.Uint32(b[8:12])
	fl := b[13]
	s.FIN = fl&0x01 != 0
	s.SYN = fl&0x02 != 0
	s.RST = fl&0x04 != 0
	s.PSH = fl&0x08 != 0
	s.ACK = fl&0x10 != 0
	s.Window = binary.BigEndian.Uint16(b[14:16])
	s.Payload = declared - off
	s.Opts = parseOptions(b[20:off])
	return s, nil
}
