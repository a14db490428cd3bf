package experiment

import (
	"fmt"
	"sort"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// kaWire is what the capture on the client's link says about one scenario.
type kaWire struct {
	flows []*analyze.Flow // to the scenario's server port, in order
	syns  int             // flows opened by the client's SYN
	// requests counts the client's data segments (one per request here:
	// each request is one small write).
	requests int
	// serverFirst counts the flows whose first FIN came from the server,
	// resets those with a RST.
	serverFirst, resets int
	// finGaps holds, per flow the server closed, the time from its last
	// data segment to its FIN: the server's decision time, seen at the
	// client's end of the link (both crossed the same delay).
	finGaps []time.Duration
	// dataAfterFIN counts client data segments sent after the server's FIN.
	dataAfterFIN int
	// first SYN → last response byte from the server.
	first, last time.Time
}

// observe reads every scenario's flows from the capture and annotates the
// packets.
func (ka *KeepAlive) observe(scs []*kaScenario, pkts []capture.Packet) {
	segs, _ := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	for _, sc := range scs {
		w := &sc.wire
		for _, f := range flows {
			if f.Server.Port() != sc.port {
				continue
			}
			w.flows = append(w.flows, f)
			if hs, ok := f.Handshake(); ok && hs.SYN != nil {
				w.syns++
				if w.first.IsZero() || hs.SYN.Time.Before(w.first) {
					w.first = hs.SYN.Time
				}
			}
			if t := plLastNewData(f); t.After(w.last) {
				w.last = t
			}
			w.requests += len(f.Data(true))
			td := f.Teardown()
			if td.Reset {
				w.resets++
			}
			if td.FirstFIN == nil || td.ActiveCloser != "server" {
				continue
			}
			w.serverFirst++
			var last *analyze.Segment
			for _, s := range f.Data(false) {
				if !s.Time.After(td.FirstFIN.Time) {
					last = &s
				}
			}
			if last != nil {
				w.finGaps = append(w.finGaps, td.FirstFIN.Time.Sub(last.Time))
			}
			for _, s := range f.Data(true) {
				if s.Time.After(td.FirstFIN.Time) {
					w.dataAfterFIN++
				}
			}
		}
		if !w.first.IsZero() && w.last.After(w.first) {
			sc.total = w.last.Sub(w.first)
		}
		ka.annotate(sc, pkts)
	}
}

// kaWhy says why the server ends connections in each scenario.
var kaWhy = map[string]string{
	kaHTTP10:    "an HTTP/1.0 request without Connection: Keep-Alive ends its connection",
	kaKeepAlive: "its Keep-Alive max= is used up: this was the last request it accepts on the connection",
	kaIdle:      "the connection sat idle for the server's keep-alive timeout",
	kaRefused:   "this server does not agree to keep-alive, so it did not echo it and closes",
	kaEOF:       "the body had no length: only the close can end it",
	kaHTTP11:    "the request said Connection: close",
}

// annotate writes what the experiment read from the packets of one
// scenario into their pcapng comments.
func (ka *KeepAlive) annotate(sc *kaScenario, pkts []capture.Packet) {
	note := func(s *analyze.Segment, text string) {
		if s != nil && s.Index >= 0 && s.Index < len(pkts) {
			pkts[s.Index].Comment = text
		}
	}
	name := sc.name
	if sc.repeat > 0 {
		name = fmt.Sprintf("%s #%d", sc.name, sc.repeat+1)
	}
	// The requests on the wire, in order, against the client's list.
	var reqs []*analyze.Segment
	for _, f := range sc.wire.flows {
		for _, s := range f.Data(true) {
			reqs = append(reqs, &s)
		}
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Time.Before(reqs[j].Time) })
	switch {
	case len(reqs) == len(sc.results):
		for i, s := range reqs {
			res := sc.results[i]
			note(s, fmt.Sprintf("%s: request %d of %d, %s %s, %s", name, i+1, len(reqs), res.Request.Target, kaVersion(sc), kaConnField(res.Sent)))
		}
	case sc.name == kaIdle && len(reqs) == 1:
		note(reqs[0], fmt.Sprintf("%s: the only request, HTTP/1.0, %s", name, kaConnField(sc.sent)))
	}
	for i, f := range sc.wire.flows {
		hs, _ := f.Handshake()
		note(hs.SYN, fmt.Sprintf("%s: SYN of connection %d of %d", name, i+1, len(sc.wire.flows)))
		td := f.Teardown()
		if td.FirstFIN == nil {
			continue
		}
		if td.ActiveCloser != "server" {
			note(td.FirstFIN, fmt.Sprintf("%s: the client closes first — its idle persistent connection is no longer needed", name))
			continue
		}
		resp := f.Data(false)
		gap := time.Duration(0)
		if len(resp) > 0 {
			last := resp[len(resp)-1]
			gap = td.FirstFIN.Time.Sub(last.Time)
			if sc.name == kaIdle {
				note(&resp[len(resp)-1], fmt.Sprintf("%s: last response byte; the connection now sits idle", name))
			}
		}
		note(td.FirstFIN, fmt.Sprintf("%s: the server closes first, %.1f ms after its last response byte — %s", name, ms(gap), kaWhy[sc.name]))
	}
}

// kaVersion names the HTTP version of sc's requests.
func kaVersion(sc *kaScenario) string {
	if sc.name == kaHTTP11 {
		return "HTTP/1.1"
	}
	return "HTTP/1.0"
}

// kaConnField prints a header's Connection field for a comment.
func kaConnField(h httpwire.Header) string {
	if v := h.Get("Connection"); v != "" {
		return "Connection: " + v
	}
	return "no Connection field"
}
