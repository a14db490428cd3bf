package experiment

import (
	"fmt"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/peer"
)

// rtWire is what the capture shows of one scenario: its connections in the
// order they opened, with the requests and responses each carried.
type rtWire struct {
	views []pxView
	// written[c] lists the request indices (into rtRun.targets) whose
	// requests connection c carried, in order; -1 for a request the
	// experiment did not send.
	written [][]int
}

// observe finds each scenario's connections by server port and reads the
// HTTP messages out of them.
func (x *Retry) observe(runs []*rtRun, pkts []capture.Packet) []rtWire {
	segs, _ := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	out := make([]rtWire, len(runs))
	for i, run := range runs {
		index := map[string]int{}
		for k, t := range run.targets {
			index[run.methods[k]+" "+t] = k
		}
		for _, f := range pxFlowsTo(flows, run.addr) {
			v := pxViewOf(f, pkts)
			var w []int
			for _, req := range v.reqs {
				k, ok := index[req.Method+" "+req.Target]
				if !ok {
					k = -1
				}
				w = append(w, k)
			}
			out[i].views = append(out[i].views, v)
			out[i].written = append(out[i].written, w)
		}
	}
	return out
}

// sentOnWire counts how many times each request appears on the wire.
func (w rtWire) sentOnWire(n int) []int {
	c := make([]int, n)
	for _, ws := range w.written {
		for _, k := range ws {
			if k >= 0 && k < n {
				c[k]++
			}
		}
	}
	return c
}

// requests counts the requests on the wire.
func (w rtWire) requests() int {
	n := 0
	for _, ws := range w.written {
		n += len(ws)
	}
	return n
}

// rtSameLists compares two lists of lists of ints.
func rtSameLists(a, b [][]int) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// rtLists renders lists of request numbers, 1-based: "[1 2 3] [3]".
func rtLists(ls [][]int) string {
	var parts []string
	for _, l := range ls {
		var nums []string
		for _, k := range l {
			nums = append(nums, fmt.Sprint(k+1))
		}
		parts = append(parts, "["+strings.Join(nums, " ")+"]")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// serverRecord returns the server's record of the connection whose client
// port is port.
func (run *rtRun) serverRecord(port uint16) (peer.ConnRecord, bool) {
	for _, rec := range run.server {
		if rec.Remote == "" {
			continue
		}
		if strings.HasSuffix(rec.Remote, fmt.Sprintf(":%d", port)) {
			return rec, true
		}
	}
	return peer.ConnRecord{}, false
}

// annotate writes what the experiment read from each packet.
func (x *Retry) annotate(runs []*rtRun, w []rtWire, pkts []capture.Packet) {
	for i, run := range runs {
		seen := map[int]int{}
		for c, v := range w[i].views {
			where := fmt.Sprintf("[%s] connection %d", run.sc.name, c+1)
			if v.hs.SYN != nil {
				pxNote(pkts, v.hs.SYN, where+": SYN")
			}
			for j, req := range v.reqs {
				k := w[i].written[c][j]
				text := fmt.Sprintf("%s: request %s %s", where, req.Method, req.Target)
				if k >= 0 {
					seen[k]++
					if seen[k] > 1 {
						text += fmt.Sprintf(" — sent again (try %d) after its connection ended", seen[k])
						if req.Method == "POST" {
							text += ": a POST replayed, the server executes it a second time"
						}
					}
					if k < len(run.steps) && seen[k] == 1 && run.steps[k].fail == rtFailDrop {
						text += " — the server executes it and closes without a response"
					}
				}
				if j >= 2 {
					if s, p := v.reqSeg(j), v.respSeg(j-1); s != nil && (p == nil || s.Time.Before(p.Time)) {
						text += " — pipelined: written before the previous response arrived"
					}
				}
				pxNote(pkts, v.reqSeg(j), text)
			}
			for j, resp := range v.resps {
				text := fmt.Sprintf("%s: response %d, status %d, %d body bytes", where, j+1, resp.Status, resp.BodyLen)
				if resp.Truncated {
					text += fmt.Sprintf(" of a Content-Length of %d — truncated: the body ends early and the server closes", resp.ContentLength)
				}
				pxNote(pkts, v.respSeg(j), text)
			}
			if len(v.reqs) > len(v.resps) {
				text := fmt.Sprintf("%s: %d request(s) unanswered when the connection ended", where, len(v.reqs)-len(v.resps))
				pxNote(pkts, v.reqSeg(len(v.resps)), text)
			}
			if s := pxFirstClose(v.f, false, time.Time{}); s != nil {
				text := where + ": the server closes (" + pxFinOrRst(s.RST) + ")"
				if rec, ok := run.serverRecord(v.f.Client.Port()); ok && rec.Unread > 0 && s.RST {
					text += fmt.Sprintf(" with %d bytes of pipelined requests unread: Linux sends RST", rec.Unread)
				}
				pxNote(pkts, s, text)
			}
			if s := pxFirstClose(v.f, true, time.Time{}); s != nil {
				pxNote(pkts, s, where+": the client closes ("+pxFinOrRst(s.RST)+")")
			}
		}
	}
}
