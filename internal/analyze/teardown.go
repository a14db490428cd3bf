package analyze

// Teardown is how a flow ended (RFC 9293 §3.6).
type Teardown struct {
	// FirstFIN and FirstRST are the first segments with FIN and RST; nil if
	// there were none.
	FirstFIN, FirstRST *Segment
	// FINs and RSTs count segments with FIN and RST, retransmissions
	// included.
	FINs, RSTs int
	// ActiveCloser is the side ("client" or "server") that sent the first
	// FIN or RST, whichever came first; "" if neither did.
	ActiveCloser string
	// Reset says the flow saw a RST.
	Reset bool
	// TimeWaitHolder is the side that sent the first FIN when the close
	// completed without a RST: both FINs sent and the second one
	// acknowledged by the first closer, which then sits in TIME_WAIT. In a
	// simultaneous close both sides do; this names the first FIN's sender.
	// "" if the close did not complete or a RST ended the flow.
	TimeWaitHolder string
}

// Teardown finds how f ended.
func (f *Flow) Teardown() Teardown {
	var (
		t          Teardown
		first      *Segment // first FIN or RST
		secondFIN  *Segment // first FIN from the side that did not send FirstFIN
		closedDone bool
	)
	for i := range f.Segments {
		s := &f.Segments[i]
		if s.FIN {
			t.FINs++
			if t.FirstFIN == nil {
				t.FirstFIN = s
			} else if secondFIN == nil && s.Src != t.FirstFIN.Src {
				secondFIN = s
			}
		}
		if s.RST {
			t.RSTs++
			if t.FirstRST == nil {
				t.FirstRST = s
			}
		}
		if first == nil && (s.FIN || s.RST) {
			first = s
		}
		if secondFIN != nil && s.Src == t.FirstFIN.Src && s.ACK && seqGE(s.Ack, secondFIN.Seq+secondFIN.seqLen()) {
			closedDone = true
		}
	}
	if first != nil {
		t.ActiveCloser = f.side(first)
	}
	t.Reset = t.RSTs > 0
	if closedDone && !t.Reset {
		t.TimeWaitHolder = f.side(t.FirstFIN)
	}
	return t
}

// side names the sender of s.
func (f *Flow) side(s *Segment) string {
	if f.fromClient(s) {
		return "client"
	}
	return "server"
}

// seqGE reports a ≥ b in sequence-number arithmetic (RFC 9293 §3.4).
func seqGE(a, b uint32) bool { return int32(a-b) >= 0 }
