package analyze

import "encoding/binary"

// TCP option kinds (IANA "TCP Option Kind Numbers").
const (
	optEOL      = 0
	optNOP      = 1
	optMSS      = 2  // RFC 9293 §3.2
	optWScale   = 3  // RFC 7323 §2.2
	optSACKPerm = 4  // RFC 2018 §2
	optTS       = 8  // RFC 7323 §3.2
	optTFO      = 34 // RFC 7413 §4.1.1
	optExp      = 254
	tfoExpMagic = 0xF989 // Linux TCPOPT_FASTOPEN_MAGIC, the pre-RFC TFO form
)

// parseOptions decodes the options area of a TCP header (the bytes between
// the fixed 20-byte header and the data offset). Like Linux's
// tcp_parse_options it stops at EOL or at the first option whose length is
// malformed or runs past the end, and keeps what it parsed before; options
// of a known kind with the wrong length are skipped.
func parseOptions(b []byte) Options {
	o := Options{WScale: -1}
	for len(b) > 0 {
		kind := b[0]
		if kind == optEOL {
			break
		}
		if kind == optNOP {
			b = b[1:]
			continue
		}
		if len(b) < 2 {
			break
		}
		size := int(b[1])
		if size < 2 || size > len(b) {
			break
		}
		data := b[2:size]
		switch {
		case kind == optMSS && size == 4:
			o.MSS = int(binary.BigEndian.Uint16(data))
		case kind == optWScale && size == 3:
			o.WScale = int(data[0])
		case kind == optSACKPerm && size == 2:
			o.SACKPerm = true
		case kind == optTS && size == 10:
			o.TSVal = binary.BigEndian.Uint32(data[0:4])
			o.TSEcr = binary.BigEndian.Uint32(data[4:8])
			o.HasTS = true
		case kind == optTFO:
			o.TFO = newTFO(data)
		case kind == optExp && size >= 4 && binary.BigEndian.Uint16(data) == tfoExpMagic:
			o.TFO = newTFO(data[2:])
		}
		b = b[size:]
	}
	return o
}

func newTFO(cookie []byte) *TFO {
	return &TFO{Cookie: append([]byte{}, cookie...), Request: len(cookie) == 0}
}
