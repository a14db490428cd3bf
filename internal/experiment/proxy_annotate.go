package experiment

import (
	"fmt"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/capture"
)

// pxPhaseTitle is how each phase is named in the packet comments.
var pxPhaseTitle = map[string]string{
	"dumb":     "dumb proxy",
	"smart":    "smart proxy",
	"pc-dumb":  "Proxy-Connection via one dumb proxy",
	"pc-smart": "Proxy-Connection via one smart proxy",
	"chain":    "Proxy-Connection via smart then dumb proxy",
}

// pxPersistence renders the persistence fields of a header.
func pxPersistence(h httpwire.Header) string {
	s := ""
	for _, name := range []string{"Connection", "Proxy-Connection", "Keep-Alive"} {
		if v := h.Values(name); len(v) > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s: %s", name, v[0])
		}
	}
	if s == "" {
		return "no persistence field"
	}
	return s
}

// annotate writes what the experiment read from each packet into its
// comment: the messages of every phase on both links, the closes, and the
// hang where there is one.
func (x *Proxy) annotate(runs []*pxRun, w []pxWire, pkts []capture.Packet) {
	for i, run := range runs {
		title := pxPhaseTitle[run.ph.name]
		for k, v := range w[i].client {
			x.annotateView(pkts, v, fmt.Sprintf("[%s] client link, connection %d", title, k+1), run)
		}
		for k, v := range w[i].server {
			x.annotateView(pkts, v, fmt.Sprintf("[%s] server link, connection %d", title, k+1), run)
		}
		x.annotatePhase(pkts, run, w[i])
	}
}

func (x *Proxy) annotateView(pkts []capture.Packet, v pxView, where string, run *pxRun) {
	if v.hs.SYN != nil {
		pxNote(pkts, v.hs.SYN, where+": SYN")
	}
	for i, req := range v.reqs {
		leak := ""
		if hop := httpwire.HopByHop(req.Header); len(hop) > 0 {
			leak = "; hop-by-hop fields present: " + pxNames(hop)
		}
		pxNote(pkts, v.reqSeg(i), fmt.Sprintf("%s: request %d %s %s HTTP/%d.%d, %s%s",
			where, i+1, req.Method, req.Target, req.Major, req.Minor, pxPersistence(req.Header), leak))
	}
	for i, resp := range v.resps {
		pxNote(pkts, v.respSeg(i), fmt.Sprintf("%s: response %d, status %d, %s", where, i+1, resp.Status, pxPersistence(resp.Header)))
	}
	if c := pxFirstClose(v.f, true, time.Time{}); c != nil {
		pxNote(pkts, c, fmt.Sprintf("%s: the connecting side closes (%s)", where, pxFinOrRst(c.RST)))
	}
	if c := pxFirstClose(v.f, false, time.Time{}); c != nil {
		pxNote(pkts, c, fmt.Sprintf("%s: the listening side closes (%s)", where, pxFinOrRst(c.RST)))
	}
}

func pxFinOrRst(rst bool) string {
	if rst {
		return "RST"
	}
	return "FIN"
}

// annotatePhase adds what each phase shows beyond its messages.
func (x *Proxy) annotatePhase(pkts []capture.Packet, run *pxRun, pw pxWire) {
	switch run.ph.name {
	case "dumb":
		if len(pw.client) == 1 {
			v := pw.client[0]
			if s := v.reqSeg(1); s != nil {
				pxNote(pkts, s, "the dumb proxy never reads this request: the hang starts")
				if c := pxFirstClose(v.f, true, s.Time); c != nil {
					pxNote(pkts, c, fmt.Sprintf("client gives up %.0f ms after request 2 (its timeout): the hang", ms(c.Time.Sub(s.Time))))
				}
			}
			if c := pxFirstClose(v.f, false, time.Time{}); c != nil && c.RST {
				pxNote(pkts, c, "the dumb proxy closes only after the server did; request 2 is still unread, so close() sends RST")
			}
		}
		if len(pw.server) == 1 {
			v := pw.server[0]
			if s := v.respSeg(0); s != nil {
				pxNote(pkts, s, "the server agreed to keep-alive: it keeps its side open and the dumb proxy waits for a close")
			}
			if c := pxFirstClose(v.f, false, time.Time{}); c != nil {
				pxNote(pkts, c, "the server's close when the experiment shuts it down: the first close the dumb proxy sees")
			}
		}
	case "smart":
		if len(pw.client) == 1 {
			if s := pw.client[0].respSeg(1); s != nil {
				pxNote(pkts, s, fmt.Sprintf("request 2 answered in %.1f ms on the kept connections: no hang", ms(run.wait(1))))
			}
		}
		if len(pw.server) == 1 {
			if s := pw.server[0].reqSeg(0); s != nil {
				pxNote(pkts, s, "the smart proxy removed the client's hop-by-hop fields and sent its own Connection: keep-alive")
			}
		}
	case "pc-dumb":
		if len(pw.server) > 0 {
			if s := pw.server[0].reqSeg(0); s != nil {
				pxNote(pkts, s, "Proxy-Connection forwarded by the dumb proxy; the server does not read it as Connection")
			}
		}
	case "pc-smart":
		if len(pw.server) == 1 {
			if s := pw.server[0].reqSeg(0); s != nil {
				pxNote(pkts, s, "the smart proxy turned Proxy-Connection into its own Connection: keep-alive")
			}
		}
	case "chain":
		if len(pw.client) == 1 {
			if s := pw.client[0].respSeg(1); s != nil {
				pxNote(pkts, s, fmt.Sprintf("the smart proxy's answer to request 2 after %.0f ms: the dumb proxy behind it never read the request", ms(run.wait(1))))
			}
		}
		if len(pw.server) == 1 {
			if s := pw.server[0].reqSeg(0); s != nil {
				pxNote(pkts, s, "forwarded by the dumb proxy behind the smart one: the smart proxy's Connection: keep-alive reached the server")
			}
		}
	}
}
