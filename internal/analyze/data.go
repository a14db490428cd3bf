package analyze

import "sort"

// Data returns the segments that carry payload in one direction (a SYN with
// Fast Open data included), in capture order.
func (f *Flow) Data(fromClient bool) []Segment {
	var out []Segment
	for _, s := range f.Segments {
		if f.fromClient(&s) == fromClient && s.Payload > 0 {
			out = append(out, s)
		}
	}
	return out
}

// span is the byte range a data segment covers, as offsets from the
// direction's first data byte, unwrapped past 2^32.
type span struct{ start, end int64 }

// spans returns the byte ranges of f's data segments in one direction, in
// capture order.
func (f *Flow) spans(fromClient bool) []span {
	var (
		out     []span
		prevSeq uint32
		prevRel int64
	)
	for _, s := range f.Data(fromClient) {
		seq := s.dataSeq()
		rel := int64(0)
		if len(out) > 0 {
			rel = prevRel + int64(int32(seq-prevSeq))
		}
		prevSeq, prevRel = seq, rel
		out = append(out, span{rel, rel + int64(s.Payload)})
	}
	return out
}

// Retransmissions counts the data segments in one direction that start
// below the highest sequence number already sent: all or part of their
// range went out before. (A keepalive probe carrying one old byte counts.)
func (f *Flow) Retransmissions(fromClient bool) int {
	n := 0
	var high int64
	for i, sp := range f.spans(fromClient) {
		if i > 0 && sp.start < high {
			n++
		}
		high = max(high, sp.end)
	}
	return n
}

// Bytes counts the distinct payload bytes sent in one direction: the size
// of the union of the data segments' ranges, so retransmitted bytes count
// once.
func (f *Flow) Bytes(fromClient bool) int {
	sp := f.spans(fromClient)
	sort.Slice(sp, func(i, j int) bool { return sp[i].start < sp[j].start })
	var (
		total int64
		cur   span
		have  bool
	)
	for _, s := range sp {
		switch {
		case !have:
			cur, have = s, true
		case s.start <= cur.end:
			cur.end = max(cur.end, s.end)
		default:
			total += cur.end - cur.start
			cur = s
		}
	}
	if have {
		total += cur.end - cur.start
	}
	return int(total)
}

// PureAcks counts, in one direction, the ACKs that carry no data (pure ACKs)
// and the data segments that carry an ACK (piggybacked ACKs). SYNs, and FIN
// or RST segments without data, count as neither.
func PureAcks(f *Flow, fromClient bool) (pure, piggybacked int) {
	for _, s := range f.Segments {
		if f.fromClient(&s) != fromClient || !s.ACK || s.SYN {
			continue
		}
		switch {
		case s.Payload > 0:
			piggybacked++
		case !s.FIN && !s.RST:
			pure++
		}
	}
	return pure, piggybacked
}
