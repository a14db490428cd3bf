package experiment

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Ethertypes nagleHeaderLens follows.
const (
	nagleEtherIPv4 = 0x0800
	nagleEtherIPv6 = 0x86DD
	nagleEtherVLAN = 0x8100
	nagleEtherQinQ = 0x88A8
)

// nagleHeaderLens reads, from a captured frame, the length of its IP header (the
// IPv4 IHL field × 4, RFC 791 §3.1; 40 for IPv6, RFC 8200 §3) and of its TCP
// header (the data offset × 4, RFC 9293 §3.1), options included. ok is false
// for frames that are not TCP over IP, IPv6 with extension headers, and
// headers cut short or malformed. The frame is raw IP (link types 101, 12,
// 14, 228, 229) or Ethernet with up to two VLAN tags.
func nagleHeaderLens(lt layers.LinkType, b []byte) (ipLen, tcpLen int, ok bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return 0, 0, false
		}
		et, off := binary.BigEndian.Uint16(b[12:14]), 14
		for tags := 0; (et == nagleEtherVLAN || et == nagleEtherQinQ) && tags < 2; tags++ {
			if len(b) < off+4 {
				return 0, 0, false
			}
			et, off = binary.BigEndian.Uint16(b[off+2:off+4]), off+4
		}
		if et != nagleEtherIPv4 && et != nagleEtherIPv6 {
			return 0, 0, false
		}
		b = b[off:]
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
	default:
		return 0, 0, false
	}
	if len(b) < 1 {
		return 0, 0, false
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return 0, 0, false
		}
		ipLen = int(b[0]&0x0f) * 4
		fragOff := binary.BigEndian.Uint16(b[6:8]) & 0x1fff
		if ipLen < 20 || b[9] != byte(layers.IPProtocolTCP) || fragOff != 0 {
			return 0, 0, false
		}
	case 6:
		if len(b) < 40 || b[6] != byte(layers.IPProtocolTCP) {
			return 0, 0, false
		}
		ipLen = 40
	default:
		return 0, 0, false
	}
	if len(b) < ipLen+13 {
		return 0, 0, false
	}
	tcpLen = int(b[ipLen+12]>>4) * 4
	if tcpLen < 20 || len(b) < ipLen+tcpLen {
		return 0, 0, false
	}
	return ipLen, tcpLen, true
}
