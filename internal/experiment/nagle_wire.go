package experiment

import (
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// nagleWireExchange is one request/response exchange as the capture on the
// client's link saw it. Times are when the segments passed the client's end
// of the link; the indexes point into the flow's Segments (-1: not seen).
type nagleWireExchange struct {
	header, body, ack, reply int
	tHeader, tBody, tAck     time.Time
	tReply                   time.Time
	reqSegs                  int  // client data segments carrying this request
	ackPure                  bool // the server acknowledged the header with a pure ACK
}

// complete says every segment of the exchange was found.
func (w nagleWireExchange) complete() bool {
	return w.header >= 0 && w.body >= 0 && w.ack >= 0 && w.reply >= 0
}

// gap is the time between the header's segment and the body's segment
// leaving the client: 0 when they went in one segment.
func (w nagleWireExchange) gap() time.Duration { return w.tBody.Sub(w.tHeader) }

// ackAfter is the time from the header leaving to the server's ACK of it
// arriving: one RTT plus however long the server held the ACK.
func (w nagleWireExchange) ackAfter() time.Duration { return w.tAck.Sub(w.tHeader) }

// total is the time from the header leaving to the last reply byte
// arriving.
func (w nagleWireExchange) total() time.Duration { return w.tReply.Sub(w.tHeader) }

// nagleLayout is the byte layout of a run: every request is hdr+body
// bytes (the header first), every reply reply bytes.
type nagleLayout struct{ hdr, body, reply int }

func (l nagleLayout) req() int { return l.hdr + l.body }

// nagleRelSeq is seq as an offset from base, for the short transfers here.
func nagleRelSeq(seq, base uint32) int64 { return int64(int32(seq - base)) }

// nagleReadExchanges finds n exchanges of layout l in f: for exchange k the
// client's segments carrying request bytes [k·req, (k+1)·req), the server's
// first ACK covering the header, and the server's segment carrying the
// reply's last byte. It is pure: the segments are all it reads.
func nagleReadExchanges(f *analyze.Flow, hs analyze.Handshake, n int, l nagleLayout) []nagleWireExchange {
	out := make([]nagleWireExchange, n)
	if hs.SYN == nil || hs.SYNACK == nil {
		for k := range out {
			out[k] = nagleWireExchange{header: -1, body: -1, ack: -1, reply: -1}
		}
		return out
	}
	cBase, sBase := hs.SYN.Seq+1, hs.SYNACK.Seq+1
	for k := range out {
		w := nagleWireExchange{header: -1, body: -1, ack: -1, reply: -1}
		reqStart := int64(k * l.req())
		bodyStart, reqEnd := reqStart+int64(l.hdr), reqStart+int64(l.req())
		lastReply := int64((k+1)*l.reply) - 1
		for i := range f.Segments {
			s := &f.Segments[i]
			client := s.Src == f.Client
			if client && s.Payload > 0 {
				start := nagleRelSeq(s.Seq, cBase)
				if s.SYN {
					start++
				}
				end := start + int64(s.Payload)
				if start < reqEnd && end > reqStart {
					w.reqSegs++
				}
				if w.header < 0 && start <= reqStart && reqStart < end {
					w.header, w.tHeader = i, s.Time
				}
				if w.body < 0 && start <= bodyStart && bodyStart < end {
					w.body, w.tBody = i, s.Time
				}
				continue
			}
			if client {
				continue
			}
			if w.header >= 0 && w.ack < 0 && s.ACK && nagleRelSeq(s.Ack, cBase) >= bodyStart {
				w.ack, w.tAck, w.ackPure = i, s.Time, s.Payload == 0
			}
			if s.Payload > 0 && w.reply < 0 {
				start := nagleRelSeq(s.Seq, sBase)
				if start <= lastReply && lastReply < start+int64(s.Payload) {
					w.reply, w.tReply = i, s.Time
				}
			}
		}
		out[k] = w
	}
	return out
}

// nagleExchangeWindow returns the part of f from the first request segment to
// the last reply segment, as a flow PureAcks can count: the handshake and
// the close are left out.
func nagleExchangeWindow(f *analyze.Flow, ex []nagleWireExchange) *analyze.Flow {
	first, last := -1, -1
	for _, w := range ex {
		if w.header >= 0 && (first < 0 || w.header < first) {
			first = w.header
		}
		if w.reply > last {
			last = w.reply
		}
	}
	sub := &analyze.Flow{Client: f.Client, Server: f.Server}
	if first >= 0 && last >= first {
		sub.Segments = f.Segments[first : last+1]
	}
	return sub
}

// nagleCost is what a direction's data segments cost on the wire.
type nagleCost struct {
	segments        int
	payload         int         // data bytes
	ipBytes         int         // IP packets' bytes: headers plus data
	nagleHeaderLens map[int]int // IP+TCP header bytes → segments with that length
	unreadable      int         // segments whose headers could not be read
	largest         int         // largest payload of one segment
}

// perPayloadByte is the IP bytes sent per byte of data.
func (c nagleCost) perPayloadByte() float64 {
	if c.payload == 0 {
		return 0
	}
	return float64(c.ipBytes) / float64(c.payload)
}

// nagleCostOf reads the header lengths of f's data segments in one direction from
// the captured frames.
func nagleCostOf(f *analyze.Flow, fromClient bool, pkts []capture.Packet) nagleCost {
	c := nagleCost{nagleHeaderLens: map[int]int{}}
	for _, s := range f.Data(fromClient) {
		c.segments++
		c.payload += s.Payload
		c.largest = max(c.largest, s.Payload)
		if s.Index < 0 || s.Index >= len(pkts) {
			c.unreadable++
			continue
		}
		ip, tcp, ok := nagleHeaderLens(pkts[s.Index].LinkType, pkts[s.Index].Data)
		if !ok {
			c.unreadable++
			continue
		}
		c.nagleHeaderLens[ip+tcp]++
		c.ipBytes += ip + tcp + s.Payload
	}
	return c
}
