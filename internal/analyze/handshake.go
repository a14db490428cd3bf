package analyze

import "time"

// Handshake is a flow's opening (RFC 9293 §3.5) as the capture saw it.
type Handshake struct {
	// SYN is the client's first SYN, SYNACK the server's first SYN/ACK that
	// acknowledges it, ACK the client's first segment acknowledging the
	// SYN/ACK (it may carry data). ACK is nil if the capture lacks it.
	SYN, SYNACK, ACK *Segment
	// RTT is the time from the last SYN sent before the SYN/ACK to the
	// SYN/ACK, at the capture point (Karn: a retransmitted SYN restarts it).
	RTT time.Duration
	// SYNRetransmits counts the SYNs sent after the first one.
	SYNRetransmits int
	// ClientOpts and ServerOpts are the options of the SYN and SYN/ACK.
	ClientOpts, ServerOpts Options
	// SYNData is the payload carried by the first SYN (TCP Fast Open,
	// RFC 7413 §3); SYNDataAcked says the SYN/ACK acknowledged all of it.
	SYNData      int
	SYNDataAcked bool
	// CookieRequested says the SYN carried an empty TFO cookie option.
	CookieRequested bool
	// CookieLen is the length of the TFO cookie the server granted in its
	// SYN/ACK (0 if none). The cookie a client presented is in
	// ClientOpts.TFO.
	CookieLen int
}

// Handshake finds f's opening. ok is false unless both the SYN and the
// SYN/ACK were captured.
func (f *Flow) Handshake() (h Handshake, ok bool) {
	var lastSYN *Segment
	for i := range f.Segments {
		s := &f.Segments[i]
		client := f.fromClient(s)
		switch {
		case client && s.SYN && !s.ACK && h.SYNACK == nil:
			if h.SYN == nil {
				h.SYN = s
			} else {
				h.SYNRetransmits++
			}
			lastSYN = s
		case !client && s.SYN && s.ACK && h.SYNACK == nil && h.SYN != nil && acksSYN(s, h.SYN):
			h.SYNACK = s
		case client && !s.SYN && s.ACK && h.SYNACK != nil && h.ACK == nil && s.Ack == h.SYNACK.Seq+1:
			h.ACK = s
		}
	}
	if h.SYN != nil {
		h.ClientOpts = h.SYN.Opts
		h.SYNData = h.SYN.Payload
		h.CookieRequested = h.SYN.Opts.TFO != nil && h.SYN.Opts.TFO.Request
	}
	if h.SYNACK == nil {
		return h, false
	}
	h.ServerOpts = h.SYNACK.Opts
	h.RTT = h.SYNACK.Time.Sub(lastSYN.Time)
	h.SYNDataAcked = h.SYNData > 0 && h.SYNACK.Ack == h.SYN.Seq+1+uint32(h.SYNData)
	if t := h.SYNACK.Opts.TFO; t != nil {
		h.CookieLen = len(t.Cookie)
	}
	return h, true
}

// acksSYN reports whether synack acknowledges syn: its ACK covers the SYN and
// at most the data the SYN carried.
func acksSYN(synack, syn *Segment) bool {
	d := synack.Ack - syn.Seq
	return d >= 1 && d <= 1+uint32(syn.Payload)
}
