package analyze

import (
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Frame is one captured frame as Decode takes it.
type Frame struct {
	Time     time.Time
	LinkType layers.LinkType
	Data     []byte
}

// Segment is one TCP segment, decoded.
type Segment struct {
	// Index is the position of the frame in the slice given to Decode.
	Index    int
	Time     time.Time
	Src, Dst netip.AddrPort
	Seq, Ack uint32

	SYN, ACK, FIN, RST, PSH bool
	// Window is the raw 16-bit window field, not scaled.
	Window uint16
	// Payload is the number of data bytes the segment carries, from the IP
	// length fields (so a capture cut short still counts them).
	Payload int
	Opts    Options
}

// Options are the TCP options of a segment that the analysis uses.
type Options struct {
	// MSS is the maximum segment size (kind 2); 0 when absent.
	MSS int
	// WScale is the window scale shift (kind 3, RFC 7323 §2); -1 when absent.
	WScale int
	// SACKPerm is the SACK-permitted option (kind 4, RFC 2018).
	SACKPerm bool
	// TSVal and TSEcr are the timestamps (kind 8, RFC 7323 §3); HasTS says
	// the option was present.
	TSVal, TSEcr uint32
	HasTS        bool
	// TFO is the Fast Open cookie option (kind 34, RFC 7413 §4.1.1, or the
	// experimental kind 254 with magic 0xF989); nil when absent.
	TFO *TFO
}

// TFO is a TCP Fast Open cookie option.
type TFO struct {
	// Cookie is the cookie; empty in a cookie request.
	Cookie []byte
	// Request is true for an empty cookie: the client asks for one.
	Request bool
}

// seqLen is the sequence space s occupies: its payload plus one each for
// SYN and FIN (RFC 9293 §3.4).
func (s *Segment) seqLen() uint32 {
	n := uint32(s.Payload)
	if s.SYN {
		n++
	}
	if s.FIN {
		n++
	}
	return n
}

// dataSeq is the sequence number of s's first data byte: a SYN's data
// starts one after its ISN.
func (s *Segment) dataSeq() uint32 {
	if s.SYN {
		return s.Seq + 1
	}
	return s.Seq
}
