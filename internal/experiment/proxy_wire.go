package experiment

import (
	"slices"
	"strings"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// pxView is one connection in the capture and the HTTP messages it carried.
type pxView struct {
	f           *analyze.Flow
	hs          analyze.Handshake
	hsOK        bool
	up, down    pxStream // what the connecting side sent, and what it received
	reqs, resps []pxMessage
}

func pxViewOf(f *analyze.Flow, pkts []capture.Packet) pxView {
	v := pxView{f: f}
	v.hs, v.hsOK = f.Handshake()
	v.up = pxStreamOf(f, true, pkts)
	v.down = pxStreamOf(f, false, pkts)
	v.reqs = pxRequests(v.up.data)
	v.resps = pxResponses(v.down.data, pxMethods(v.reqs))
	return v
}

// reqSeg and respSeg return the segment that carried the first byte of the
// i-th request or response.
func (v pxView) reqSeg(i int) *analyze.Segment {
	if i >= len(v.reqs) {
		return nil
	}
	s, ok := v.up.at(v.reqs[i].Off)
	if !ok {
		return nil
	}
	return &s
}

func (v pxView) respSeg(i int) *analyze.Segment {
	if i >= len(v.resps) {
		return nil
	}
	s, ok := v.down.at(v.resps[i].Off)
	if !ok {
		return nil
	}
	return &s
}

// downBytesBetween counts the payload bytes the far side sent in [from, to).
func (v pxView) downBytesBetween(from, to time.Time) int {
	n := 0
	for _, s := range v.down.segs {
		if !s.seg.Time.Before(from) && s.seg.Time.Before(to) {
			n += s.seg.Payload
		}
	}
	return n
}

// pxWire is what both links show of one phase.
type pxWire struct {
	client []pxView // client ⇄ client-facing proxy, on the client link
	server []pxView // proxy ⇄ server, on the server link
}

// pxCount counts the requests (or, with resps, the responses) over the
// views.
func pxCount(vs []pxView, resps bool) int {
	n := 0
	for _, v := range vs {
		if resps {
			n += len(v.resps)
		} else {
			n += len(v.reqs)
		}
	}
	return n
}

// observe finds each phase's connections on both links by their server
// ports and reads the HTTP messages out of them.
func (x *Proxy) observe(b *Bench, runs []*pxRun, pkts []capture.Packet) []pxWire {
	segs, _ := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	out := make([]pxWire, len(runs))
	for i, run := range runs {
		for _, f := range pxFlowsTo(flows, run.proxyAddr) {
			out[i].client = append(out[i].client, pxViewOf(f, pkts))
		}
		for _, f := range pxFlowsTo(flows, run.serverAddr) {
			out[i].server = append(out[i].server, pxViewOf(f, pkts))
		}
	}
	return out
}

// pxLeaked returns the sorted lower-case names of the hop-by-hop fields of
// sent (the client's request as written) that arrived on the far side
// unchanged: far has a field of that name with the same value. A proxy's
// own Connection field for its own hop is not a leak.
func pxLeaked(sent, far httpwire.Header) []string {
	var out []string
	for _, name := range httpwire.HopByHop(sent) {
		for _, v := range sent.Values(name) {
			if slices.Contains(far.Values(name), v) {
				out = append(out, name)
				break
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pxHasToken reports whether a comma-separated field of h lists tok,
// ignoring case (RFC 9110 §5.6.1).
func pxHasToken(h httpwire.Header, name, tok string) bool {
	for _, v := range h.Values(name) {
		if pxListHas(v, tok) {
			return true
		}
	}
	return false
}

// pxListHas reports whether the comma-separated list v has the element tok,
// ignoring case.
func pxListHas(v, tok string) bool {
	for e := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.Trim(e, " \t"), tok) {
			return true
		}
	}
	return false
}

// pxNames renders a list of field names, "none" for none.
func pxNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
