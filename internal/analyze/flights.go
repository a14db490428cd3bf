package analyze

import "time"

// Flights counts the data segments one side sent in each round trip.
//
// The rule: the first data segment opens round 1. A round ends once the
// peer has acknowledged all of the round's first segment and, when rtt > 0,
// at least rtt/2 has passed since that segment; the next data segment the
// side sends (new data or a retransmission) opens the next round. Near the
// sender this follows the ACK clock: in slow start the rounds come out as
// 10, 20, 40, … segments. The rtt/2 guard makes the same rule hold at the
// receiver's end of the link, where the ACK of a round's first segment is
// seen before the rest of that round has arrived. Pass the handshake RTT, or
// 0 to use the ACK rule alone.
func Flights(f *Flow, fromClient bool, rtt time.Duration) []int {
	var (
		counts []int
		mark   uint32    // end of the current round's first segment
		start  time.Time // when that segment was seen
		acked  bool      // the peer has acknowledged mark
	)
	for i := range f.Segments {
		s := &f.Segments[i]
		if f.fromClient(s) != fromClient {
			if len(counts) > 0 && s.ACK && seqGE(s.Ack, mark) {
				acked = true
			}
			continue
		}
		if s.Payload == 0 {
			continue
		}
		if len(counts) == 0 || (acked && s.Time.Sub(start) >= rtt/2) {
			counts = append(counts, 0)
			mark = s.dataSeq() + uint32(s.Payload)
			start = s.Time
			acked = false
		}
		counts[len(counts)-1]++
	}
	return counts
}
