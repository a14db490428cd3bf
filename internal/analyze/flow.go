package analyze

import "net/netip"

// Flow is one TCP connection: the segments of one 4-tuple between its
// opening and its end.
type Flow struct {
	// Client is the side that sent the SYN; if the capture holds no SYN,
	// the side that received the SYN/ACK, else the first sender.
	Client, Server netip.AddrPort
	// Segments are the flow's segments in capture order.
	Segments []Segment
}

// flowKey is a 4-tuple with its two ends in a fixed order.
type flowKey struct{ a, b netip.AddrPort }

func keyOf(s *Segment) flowKey {
	if s.Src.Addr().Less(s.Dst.Addr()) || (s.Src.Addr() == s.Dst.Addr() && s.Src.Port() < s.Dst.Port()) {
		return flowKey{s.Src, s.Dst}
	}
	return flowKey{s.Dst, s.Src}
}

// flowState is what Flows tracks per open flow to tell a new connection on
// the same 4-tuple from the old one.
type flowState struct {
	f         *Flow
	synFrom   netip.AddrPort
	synSeq    uint32
	hasSYN    bool
	hasSYNACK bool
	clientSet bool // Client comes from a SYN or SYN/ACK, not a guess
}

// Flows groups segments into connections, in order of each connection's
// first segment. A pure SYN (no ACK) on a 4-tuple already in use starts a
// new flow unless it repeats the current flow's SYN (same sender, same
// sequence number: a retransmission) or is the peer's SYN of a simultaneous
// open (RFC 9293 §3.5, no SYN/ACK yet). So a 4-tuple reused after a close —
// or after TIME_WAIT was cut short — gives a new flow.
func Flows(segs []Segment) []*Flow {
	var flows []*Flow
	open := map[flowKey]*flowState{}
	for i := range segs {
		s := segs[i]
		k := keyOf(&s)
		st := open[k]
		pureSYN := s.SYN && !s.ACK
		if st != nil && pureSYN && !st.continuedBy(&s) {
			st = nil
		}
		if st == nil {
			st = &flowState{f: &Flow{Client: s.Src, Server: s.Dst}}
			open[k] = st
			flows = append(flows, st.f)
		}
		st.f.Segments = append(st.f.Segments, s)
		switch {
		case pureSYN && !st.hasSYN:
			st.hasSYN, st.synFrom, st.synSeq = true, s.Src, s.Seq
			if !st.clientSet {
				st.f.Client, st.f.Server, st.clientSet = s.Src, s.Dst, true
			}
		case s.SYN && s.ACK:
			st.hasSYNACK = true
			if !st.clientSet {
				st.f.Client, st.f.Server, st.clientSet = s.Dst, s.Src, true
			}
		}
	}
	return flows
}

// continuedBy reports whether the pure SYN s belongs to the flow st.
func (st *flowState) continuedBy(s *Segment) bool {
	if !st.hasSYN {
		return false // the flow began before the capture; s opens a new one
	}
	if s.Src == st.synFrom {
		return s.Seq == st.synSeq
	}
	return !st.hasSYNACK // simultaneous open
}

// fromClient reports whether s was sent by f's client.
func (f *Flow) fromClient(s *Segment) bool { return s.Src == f.Client }
