package experiment

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// nagleWire is what the capture on the client's link says about the run.
type nagleWire struct {
	rtt    time.Duration // median SYN → SYN/ACK over every connection
	ts     bool          // every handshake negotiated timestamps (RFC 7323)
	conns  map[nagleMode]*nagleWireConn
	bursts map[bool]*nagleWireBurst // by Nagle on
	decode error                    // frames the analyzer could not decode
}

// nagleWireConn is one exchange connection on the wire.
type nagleWireConn struct {
	found       bool
	rtt         time.Duration
	ex          []nagleWireExchange
	dataSegs    int // client segments carrying data
	segsBefore  int // client segments of any kind captured before TCP_INFO was read
	pure, piggy int // the server's ACKs between the first request and the last reply
}

// nagleWireBurst is one burst connection on the wire.
type nagleWireBurst struct {
	found      bool
	cost       nagleCost // the client's data segments
	segsBefore int       // client segments of any kind captured before TCP_INFO was read
}

// observeWire matches every connection to its flow by the client's port,
// reads the exchanges and the bursts, and annotates the packets.
func (n *Nagle) observeWire(runs *nagleRuns, pkts []capture.Packet) *nagleWire {
	segs, derr := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	w := &nagleWire{conns: map[nagleMode]*nagleWireConn{}, bursts: map[bool]*nagleWireBurst{}, decode: derr, ts: true}
	find := func(local netip.AddrPort) (*analyze.Flow, analyze.Handshake, bool) {
		for _, f := range flows {
			if f.Client == local {
				hs, ok := f.Handshake()
				return f, hs, ok
			}
		}
		return nil, analyze.Handshake{}, false
	}
	var rtts []float64
	note := func(s *analyze.Segment, text string) {
		if s.Index >= 0 && s.Index < len(pkts) {
			pkts[s.Index].Comment = text
		}
	}
	layout := nagleLayout{hdr: runs.headerLen, body: runs.bodyLen, reply: runs.replyLen}
	for _, c := range runs.conns {
		wc := &nagleWireConn{}
		w.conns[c.mode] = wc
		f, hs, ok := find(c.local)
		if !ok {
			continue
		}
		wc.found, wc.rtt = true, hs.RTT
		rtts = append(rtts, ms(hs.RTT))
		w.ts = w.ts && hs.ClientOpts.HasTS && hs.ServerOpts.HasTS
		wc.ex = nagleReadExchanges(f, hs, len(c.times), layout)
		wc.dataSegs = len(f.Data(true))
		wc.segsBefore = nagleSegsBefore(f, c.infoAt)
		wc.pure, wc.piggy = analyze.PureAcks(nagleExchangeWindow(f, wc.ex), false)
		nagleAnnotateExchanges(f, c, wc, runs.pingpongThresh, note)
	}
	for _, bc := range runs.bursts {
		wb := &nagleWireBurst{}
		w.bursts[bc.nagle] = wb
		f, hs, ok := find(bc.local)
		if !ok {
			continue
		}
		wb.found = true
		rtts = append(rtts, ms(hs.RTT))
		w.ts = w.ts && hs.ClientOpts.HasTS && hs.ServerOpts.HasTS
		wb.cost = nagleCostOf(f, true, pkts)
		wb.segsBefore = nagleSegsBefore(f, bc.infoAt)
		nagleAnnotateBurst(f, bc, wb, note)
	}
	w.rtt = time.Duration(median(rtts) * float64(time.Millisecond))
	return w
}

// nagleAnnotateExchanges writes, on the packets of one exchange connection, what
// the experiment read from them.
func nagleAnnotateExchanges(f *analyze.Flow, c *nagleConn, wc *nagleWireConn, exempt int, note func(*analyze.Segment, string)) {
	seg := func(i int) *analyze.Segment { return &f.Segments[i] }
	for k, x := range wc.ex {
		if !x.complete() {
			continue
		}
		tag := fmt.Sprintf("[%s] exchange %d", c.mode, k+1)
		clock := ms(c.times[k].dur())
		held := ms(x.ackAfter() - wc.rtt)
		switch {
		case x.header == x.body:
			what := "header and body in one segment"
			if c.mode == nagleModeCork {
				what += " (TCP_CORK held both writes, uncorking pushed them)"
			}
			note(seg(x.header), fmt.Sprintf("%s: %s, %d bytes", tag, what, seg(x.header).Payload))
		case c.mode == nagleModeOn && k < exempt:
			note(seg(x.header), fmt.Sprintf("%s: header; Nagle holds the body until this is ACKed", tag))
			note(seg(x.body), fmt.Sprintf("%s: body, %.2f ms after the header: released by the server's immediate ACK (quickack mode at connection start — exchange excluded by rule)", tag, ms(x.gap())))
		case c.mode == nagleModeOn || c.mode == nagleModeQuickAck:
			note(seg(x.header), fmt.Sprintf("%s: header; Nagle holds the body until this is ACKed", tag))
			note(seg(x.body), fmt.Sprintf("%s: body, released by the ACK of the header: %.2f ms after the header (RTT %.2f ms + %.2f ms the server held its ACK)", tag, ms(x.gap()), ms(wc.rtt), held))
		default:
			note(seg(x.header), fmt.Sprintf("%s: header (TCP_NODELAY: no waiting)", tag))
			note(seg(x.body), fmt.Sprintf("%s: body, %.3f ms after the header in its own segment", tag, ms(x.gap())))
		}
		if x.ack != x.reply {
			why := "immediate"
			switch {
			case c.mode == nagleModeOn && k >= exempt:
				why = "delayed ACK: the server had no data to carry it"
			case c.mode == nagleModeQuickAck:
				why = "sent at once: the server re-armed TCP_QUICKACK after its read"
			case c.mode == nagleModeOn:
				why = "immediate: quickack mode at connection start"
			}
			kind := "pure ACK"
			if !x.ackPure {
				kind = "ACK on data"
			}
			note(seg(x.ack), fmt.Sprintf("%s: server's %s of the header, %.2f ms after it left = RTT %.2f + %.2f ms held (%s)", tag, kind, ms(x.ackAfter()), ms(wc.rtt), held, why))
		}
		note(seg(x.reply), fmt.Sprintf("%s: reply complete %.2f ms after the header left (client's clock: %.2f ms); it carries the ACK of the request", tag, ms(x.total()), clock))
	}
}

// nagleAnnotateBurst marks the segments of a burst connection.
func nagleAnnotateBurst(f *analyze.Flow, bc *nagleBurstConn, wb *nagleWireBurst, note func(*analyze.Segment, string)) {
	data := f.Data(true)
	if len(data) == 0 {
		return
	}
	per := "?"
	if len(wb.cost.nagleHeaderLens) == 1 {
		for l := range wb.cost.nagleHeaderLens {
			per = fmt.Sprint(l)
		}
	}
	if !bc.nagle {
		for i := range data {
			note(&data[i], fmt.Sprintf("[burst TCP_NODELAY] segment %d of %d: %d byte(s) of data under %s bytes of IP+TCP headers", i+1, len(data), data[i].Payload, per))
		}
		return
	}
	note(&data[0], fmt.Sprintf("[burst Nagle] first 1-byte write: nothing in flight, so it leaves at once (%s bytes of headers for 1 byte)", per))
	for i := 1; i < len(data); i++ {
		note(&data[i], fmt.Sprintf("[burst Nagle] segment %d: %d one-byte writes coalesced while a small segment was unacknowledged, %.2f ms after the first", i+1, data[i].Payload, ms(data[i].Time.Sub(data[0].Time))))
	}
}

// nagleSegsBefore counts the segments f's client sent before t: what its
// tcpi_segs_out read at t counts (SYN, ACKs, data).
func nagleSegsBefore(f *analyze.Flow, t time.Time) int {
	n := 0
	for _, s := range f.Segments {
		if s.Src == f.Client && s.Time.Before(t) {
			n++
		}
	}
	return n
}
