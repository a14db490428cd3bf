package experiment

import (
	"fmt"
	"sort"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/peer"
)

// plWire is what the capture on the client's link says about one
// strategy's load.
type plWire struct {
	flows []*analyze.Flow // to the strategy's server port, in order
	syns  int             // flows that began with the client's SYN
	ports []int           // the client ports of those flows, sorted
	// first SYN → last response byte from the server, at the capture point.
	first, last time.Time
	total       time.Duration
	// Pipelining on the wire (one connection): the document's request went
	// alone (no other request before its response began), and every object
	// request was on the wire before the first object response byte came.
	docAlone        bool
	objReqBytes     int // object request bytes the client sent
	objReqBytesEarl int // … of which before the first object response byte
}

// observe reads every strategy's flows from the round's capture and
// annotates the packets.
func (pl *PageLoad) observe(rd *plRound) {
	segs, _ := analyze.Decode(Frames(rd.pkts))
	flows := analyze.Flows(segs)
	var rtts []float64
	for _, run := range rd.all {
		w := &run.wire
		for _, f := range flows {
			if f.Server.Port() != run.port {
				continue
			}
			w.flows = append(w.flows, f)
			hs, ok := f.Handshake()
			if !ok || hs.SYN == nil {
				continue
			}
			w.syns++
			w.ports = append(w.ports, int(f.Client.Port()))
			rtts = append(rtts, ms(hs.RTT))
			if w.first.IsZero() || hs.SYN.Time.Before(w.first) {
				w.first = hs.SYN.Time
			}
			if t := plLastNewData(f); t.After(w.last) {
				w.last = t
			}
		}
		sort.Ints(w.ports)
		if !w.first.IsZero() && w.last.After(w.first) {
			w.total = w.last.Sub(w.first)
		}
		if run.strategy.Mode == peer.Pipelined && len(w.flows) == 1 {
			w.docAlone, w.objReqBytes, w.objReqBytesEarl = plPipelineOnWire(w.flows[0])
		}
		pl.annotate(rd, run)
	}
	if m := median(rtts); m == m {
		rd.wireRTT = time.Duration(m * float64(time.Millisecond))
	}
}

// plLastNewData is when the server's last new byte of f arrived: the
// segment that first reached the highest sequence number. A retransmission
// of earlier bytes that comes later (a spurious timeout on a queue-laden
// slow link) does not count.
func plLastNewData(f *analyze.Flow) time.Time {
	var (
		at   time.Time
		high int64 // highest end so far, relative to the first data byte
		base uint32
	)
	for i, s := range f.Data(false) {
		if i == 0 {
			base = s.Seq
		}
		if end := int64(int32(s.Seq-base)) + int64(s.Payload); i == 0 || end > high {
			high, at = end, s.Time
		}
	}
	return at
}

// plPipelineOnWire reads a pipelined connection: whether the first request
// went alone, and how many bytes of the later requests went out before the
// first byte of their responses came back.
func plPipelineOnWire(f *analyze.Flow) (docAlone bool, reqBytes, early int) {
	req, resp := f.Data(true), f.Data(false)
	if len(req) == 0 || len(resp) == 0 {
		return false, 0, 0
	}
	docResp := resp[0].Time
	docAlone = true
	var objReq0 *analyze.Segment
	for i := range req[1:] {
		s := &req[1+i]
		if s.Time.Before(docResp) {
			docAlone = false
		} else if objReq0 == nil {
			objReq0 = s
		}
	}
	if objReq0 == nil {
		return docAlone, 0, 0
	}
	var firstObjResp time.Time
	for _, s := range resp {
		if s.Time.After(objReq0.Time) {
			firstObjResp = s.Time
			break
		}
	}
	for _, s := range req {
		if s.Time.Before(objReq0.Time) {
			continue
		}
		reqBytes += s.Payload
		if !firstObjResp.IsZero() && s.Time.Before(firstObjResp) {
			early += s.Payload
		}
	}
	return docAlone, reqBytes, early
}

// annotate writes what the experiment read from the packets of one
// strategy into their pcapng comments.
func (pl *PageLoad) annotate(rd *plRound, run *plRun) {
	note := func(s *analyze.Segment, text string) {
		if s != nil && s.Index >= 0 && s.Index < len(rd.pkts) {
			rd.pkts[s.Index].Comment = text
		}
	}
	name := fmt.Sprintf("%s round, %s #%d", rd.spec.name, run.strategy, run.repeat+1)
	// Which targets went on which connection, in the order written.
	byPort := map[int][]peer.Timing{}
	for _, t := range run.timings {
		byPort[t.LocalPort] = append(byPort[t.LocalPort], t)
	}
	for _, ts := range byPort {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Written.Before(ts[j].Written) })
	}
	n := len(run.wire.flows)
	for i, f := range run.wire.flows {
		hs, _ := f.Handshake()
		note(hs.SYN, fmt.Sprintf("%s: SYN of connection %d of %d — every new connection costs a handshake (1 RTT)", name, i+1, n))
		ts := byPort[int(f.Client.Port())]
		req := f.Data(true)
		if len(req) == len(ts) {
			for k := range req {
				how := "first request on this connection"
				switch {
				case ts[k].Pipelined:
					how = "pipelined: sent before the earlier responses arrived"
				case ts[k].Reused:
					how = "reuses the persistent connection: no handshake"
				}
				note(&req[k], fmt.Sprintf("%s: request for %s — %s", name, ts[k].Target, how))
			}
		} else if len(req) > 0 && len(ts) > 0 {
			note(&req[0], fmt.Sprintf("%s: %d requests in %d segments on this connection, the first for %s", name, len(ts), len(req), ts[0].Target))
		}
		td := f.Teardown()
		if td.FirstFIN != nil {
			why := "the client closes its idle persistent connection after the page loaded"
			if td.ActiveCloser == "server" {
				why = "the server closes after the response (Connection: close)"
			}
			note(td.FirstFIN, fmt.Sprintf("%s: first FIN — %s", name, why))
		}
	}
	// The page's last response byte.
	for _, f := range run.wire.flows {
		if !plLastNewData(f).Equal(run.wire.last) {
			continue
		}
		for _, s := range f.Data(false) {
			if !s.Time.Equal(run.wire.last) {
				continue
			}
			note(&s, fmt.Sprintf("%s: page complete %.1f ms after the first SYN (client's clock %.1f ms, model %.1f ms)",
				name, ms(run.wire.total), ms(run.clock), ms(run.model.total)))
			return
		}
	}
}
