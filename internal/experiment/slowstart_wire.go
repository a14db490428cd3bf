package experiment

import (
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// ssWirePhase is what the capture at the sender says about one transfer.
type ssWirePhase struct {
	found      bool
	reqAt      time.Time          // the request arrived at the sender
	flights    []int              // data segments per round trip (analyze.Flights)
	roundFirst []*analyze.Segment // first data segment of each round
	firstData  time.Time
	lastData   time.Time
	rx         time.Duration // at the receiver: request out → last data segment in
	segs       int           // data segments sent, retransmissions included
	retrans    int           // retransmitted data segments
	bytes      int           // distinct payload bytes
	seg        []analyze.Segment
}

// ssWire is the capture's account of the run.
type ssWire struct {
	found   bool
	rtt     time.Duration // SYN/ACK → ACK at the sender: one round trip
	mss     int           // the client's advertised MSS minus the timestamps option
	flow    *analyze.Flow
	isn     uint32 // the sender's initial sequence number
	synAt   time.Time
	phases  []ssWirePhase
	pureAck int // pure ACKs from the receiver
}

// ssObserve finds the connection in the capture, splits it into the
// transfers at each request (a data segment from the client), and counts
// each transfer's rounds at the sender.
func ssObserve(run *ssRun, pkts []capture.Packet) ssWire {
	var w ssWire
	segs, _ := analyze.Decode(Frames(pkts))
	for _, f := range analyze.Flows(segs) {
		if f.Client == run.local {
			w.flow = f
			break
		}
	}
	if w.flow == nil {
		return w
	}
	f := w.flow
	hs, ok := f.Handshake()
	if !ok || hs.SYNACK == nil || hs.ACK == nil {
		return w
	}
	w.found = true
	w.rtt = hs.ACK.Time.Sub(hs.SYNACK.Time)
	w.isn = hs.SYNACK.Seq
	w.synAt = hs.SYN.Time
	w.mss = hs.ClientOpts.MSS
	if hs.ClientOpts.HasTS && hs.ServerOpts.HasTS {
		w.mss -= 12
	}
	w.pureAck, _ = analyze.PureAcks(f, true)

	// Requests: data from the client. The last one is the goodbye.
	var reqs []int
	for i := range f.Segments {
		s := &f.Segments[i]
		if s.Src == f.Client && s.Payload > 0 {
			reqs = append(reqs, i)
		}
	}
	for i := range run.phases {
		if i >= len(reqs) {
			w.phases = append(w.phases, ssWirePhase{})
			continue
		}
		end := len(f.Segments)
		if i+1 < len(reqs) {
			end = reqs[i+1]
		}
		sub := &analyze.Flow{Client: f.Client, Server: f.Server, Segments: f.Segments[reqs[i]:end]}
		w.phases = append(w.phases, ssReadPhase(sub, w.rtt))
	}
	ssReceiverTimes(run, w.phases)
	return w
}

// ssReceiverTimes reads each transfer's time at the receiver from the
// client's capture: its request leaving → the last data segment before the
// next request arriving.
func ssReceiverTimes(run *ssRun, phases []ssWirePhase) {
	segs, _ := analyze.Decode(Frames(run.rxPkts))
	var f *analyze.Flow
	for _, fl := range analyze.Flows(segs) {
		if fl.Client == run.local {
			f = fl
			break
		}
	}
	if f == nil {
		return
	}
	var reqs []int
	for i := range f.Segments {
		if s := &f.Segments[i]; s.Src == f.Client && s.Payload > 0 {
			reqs = append(reqs, i)
		}
	}
	for i := range phases {
		if i >= len(reqs) {
			return
		}
		end := len(f.Segments)
		if i+1 < len(reqs) {
			end = reqs[i+1]
		}
		var last time.Time
		for _, s := range f.Segments[reqs[i]:end] {
			if s.Src == f.Server && s.Payload > 0 && s.Time.After(last) {
				last = s.Time
			}
		}
		if !last.IsZero() {
			phases[i].rx = last.Sub(f.Segments[reqs[i]].Time)
		}
	}
}

// ssReadPhase counts one transfer's rounds and finds the first segment of
// each.
func ssReadPhase(sub *analyze.Flow, rtt time.Duration) ssWirePhase {
	ph := ssWirePhase{reqAt: sub.Segments[0].Time, seg: sub.Segments}
	data := sub.Data(false)
	if len(data) == 0 {
		return ph
	}
	ph.found = true
	ph.flights = analyze.Flights(sub, false, rtt)
	ph.firstData, ph.lastData = data[0].Time, data[len(data)-1].Time
	ph.segs = len(data)
	ph.retrans = sub.Retransmissions(false)
	ph.bytes = sub.Bytes(false)
	// Flights counts the data segments in capture order, so round k
	// starts at data segment flights[0]+…+flights[k-1].
	n := 0
	for _, c := range ph.flights {
		if n < len(data) {
			ph.roundFirst = append(ph.roundFirst, &data[n])
		}
		n += c
	}
	return ph
}

// duration is the transfer's time on the wire at the receiver: its request
// out → the last data segment in; 0 when the capture lacks either.
func (ph ssWirePhase) duration() time.Duration { return ph.rx }

// flight returns the segments of round k (1-based); 0 when there is none.
func (ph ssWirePhase) flight(k int) int {
	if k < 1 || k > len(ph.flights) {
		return 0
	}
	return ph.flights[k-1]
}

// annotate writes what the experiment read into the packets' comments.
func (w ssWire) annotate(pkts []capture.Packet, run *ssRun, notes map[string][]string) {
	note := func(s *analyze.Segment, text string) {
		if s != nil && s.Index >= 0 && s.Index < len(pkts) {
			if pkts[s.Index].Comment != "" {
				text = pkts[s.Index].Comment + "; " + text
			}
			pkts[s.Index].Comment = text
		}
	}
	if !w.found {
		return
	}
	if hs, ok := w.flow.Handshake(); ok {
		note(hs.SYNACK, "SYN/ACK — the sender's clock starts; one RTT until the client's ACK")
		note(hs.ACK, fmt.Sprintf("ACK — round trip at the sender %.2f ms", ms(w.rtt)))
	}
	for i, ph := range w.phases {
		if i >= len(run.phases) || len(ph.seg) == 0 {
			continue
		}
		name := run.phases[i].name
		note(&ph.seg[0], fmt.Sprintf("request for %d bytes: %s transfer", run.phases[i].size, name))
		for k, s := range ph.roundFirst {
			text := fmt.Sprintf("%s round %d: %d segments", name, k+1, ph.flights[k])
			if k < len(notes[name]) && notes[name][k] != "" {
				text += " — " + notes[name][k]
			}
			note(s, text)
		}
	}
}
