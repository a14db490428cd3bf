package experiment

import (
	"bytes"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// This file reads HTTP messages back out of a capture: the payload of each
// TCP segment, the byte stream one side of a connection sent (RFC 9293
// §3.4: bytes ordered by sequence number, retransmissions counted once), and
// the requests and responses in that stream, parsed with httpwire. The
// proxy and retry experiments use it as the wire's witness of what an HTTP
// program sent.

// pxPayload returns the TCP payload of a captured frame (raw IP from a TUN
// device, or Ethernet from a veth), nil when the frame is not TCP over IP.
// The IP length field bounds it, so Ethernet padding never counts.
func pxPayload(p capture.Packet) []byte {
	first := layers.LayerTypeIPv4
	switch {
	case p.LinkType == layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case len(p.Data) > 0 && p.Data[0]>>4 == 6:
		first = layers.LayerTypeIPv6
	}
	pkt := gopacket.NewPacket(p.Data, first, gopacket.DecodeOptions{NoCopy: true, Lazy: true})
	tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		return nil
	}
	return tcp.Payload
}

// pxSeg is one data segment placed in its direction's byte stream.
type pxSeg struct {
	off int // offset of its first byte in the stream
	seg analyze.Segment
}

// pxStream is the byte stream one side of a flow sent, as far as the
// capture holds it without a hole, and the segments that carried it.
type pxStream struct {
	data []byte
	segs []pxSeg // data segments in capture order
}

// pxStreamOf reassembles what one side of f sent. Offsets count from the
// first data byte: one past the SYN's sequence number when the capture has
// the SYN, else the first data segment's sequence number.
func pxStreamOf(f *analyze.Flow, fromClient bool, pkts []capture.Packet) pxStream {
	var (
		st      pxStream
		base    uint32
		haveISN bool
	)
	for _, s := range f.Segments {
		if (s.Src == f.Client) == fromClient && s.SYN {
			base, haveISN = s.Seq+1, true
			break
		}
	}
	for _, s := range f.Data(fromClient) {
		seq := s.Seq
		if s.SYN {
			seq++
		}
		if !haveISN {
			base, haveISN = seq, true
		}
		off := int(int32(seq - base))
		if off < 0 || s.Index < 0 || s.Index >= len(pkts) {
			continue
		}
		st.segs = append(st.segs, pxSeg{off: off, seg: s})
	}
	// Lay the payloads down in capture order; a later copy of a byte (a
	// retransmission) overwrites the same value. Stop at the first hole.
	var (
		buf    []byte
		filled []bool
	)
	for _, c := range st.segs {
		pl := pxPayload(pkts[c.seg.Index])
		if len(pl) > c.seg.Payload {
			pl = pl[:c.seg.Payload]
		}
		end := c.off + len(pl)
		if end > 1<<26 {
			continue // more than any lab exchange; ignore rather than allocate
		}
		if end > len(buf) {
			buf = append(buf, make([]byte, end-len(buf))...)
			filled = append(filled, make([]bool, end-len(filled))...)
		}
		copy(buf[c.off:end], pl)
		for i := c.off; i < end; i++ {
			filled[i] = true
		}
	}
	n := 0
	for n < len(filled) && filled[n] {
		n++
	}
	st.data = buf[:n]
	return st
}

// at returns the first segment, in capture order, that carried byte off of
// the stream.
func (st pxStream) at(off int) (analyze.Segment, bool) {
	for _, s := range st.segs {
		if off >= s.off && off < s.off+s.seg.Payload {
			return s.seg, true
		}
	}
	return analyze.Segment{}, false
}

// timeAt is the capture time of the first segment carrying byte off, zero
// when none did.
func (st pxStream) timeAt(off int) time.Time {
	s, ok := st.at(off)
	if !ok {
		return time.Time{}
	}
	return s.Time
}

// pxMessage is one HTTP message found in a stream: where it lies, and what
// httpwire read from it.
type pxMessage struct {
	Off, End int // byte range in the stream
	// Request fields.
	Method, Target string
	// Response fields.
	Status int
	Major  int
	Minor  int
	Header httpwire.Header
	// BodyLen is the number of body bytes present; ContentLength is the
	// declared length (-1 when none); Truncated: the stream ended inside
	// the body (RFC 9112 §8).
	BodyLen       int
	ContentLength int64
	Truncated     bool
}

// pxRequests splits a client's stream into requests. It stops at the end of
// the stream or at the first message httpwire rejects. A new httpwire.Reader
// reads each message, so one that would end the connection (HTTP/1.0
// without keep-alive) does not hide the bytes after it: the wire shows what
// was sent, not what a server would have read.
func pxRequests(stream []byte) []pxMessage {
	var out []pxMessage
	for off := 0; off < len(stream); {
		src := bytes.NewReader(stream[off:])
		r := httpwire.NewReader(src)
		var req httpwire.Request
		if err := r.ReadRequest(&req); err != nil {
			break
		}
		n := len(stream) - off - src.Len() - r.Buffered()
		if n <= 0 {
			break
		}
		out = append(out, pxMessage{
			Off: off, End: off + n, Method: req.Method, Target: req.Target,
			Major: req.Major, Minor: req.Minor, Header: req.Header.Clone(),
			BodyLen: len(req.Body), ContentLength: req.ContentLength, Truncated: req.Truncated,
		})
		off += n
	}
	return out
}

// pxResponses splits a server's stream into responses; methods[i] is the
// method of the request the i-th response answers (GET when absent), which
// decides whether a body follows (RFC 9112 §6.3).
func pxResponses(stream []byte, methods []string) []pxMessage {
	var out []pxMessage
	for off := 0; off < len(stream); {
		method := "GET"
		if i := len(out); i < len(methods) {
			method = methods[i]
		}
		src := bytes.NewReader(stream[off:])
		r := httpwire.NewReader(src)
		var resp httpwire.Response
		if err := r.ReadResponse(&resp, method); err != nil {
			break
		}
		n := len(stream) - off - src.Len() - r.Buffered()
		if n <= 0 {
			break
		}
		if resp.Status < 200 && resp.Status != 101 {
			off += n // interim response: the final one follows
			continue
		}
		out = append(out, pxMessage{
			Off: off, End: off + n, Status: resp.Status, Major: resp.Major, Minor: resp.Minor,
			Header: resp.Header.Clone(), BodyLen: len(resp.Body), ContentLength: resp.ContentLength,
			Truncated: resp.Truncated,
		})
		off += n
	}
	return out
}

// pxMethods lists the methods of requests, for pxResponses.
func pxMethods(reqs []pxMessage) []string {
	m := make([]string, len(reqs))
	for i, r := range reqs {
		m[i] = r.Method
	}
	return m
}

// pxFlowsTo returns the flows whose server end is to, in capture order.
func pxFlowsTo(flows []*analyze.Flow, to string) []*analyze.Flow {
	var out []*analyze.Flow
	for _, f := range flows {
		if f.Server.String() == to {
			out = append(out, f)
		}
	}
	return out
}

// pxNote sets the Wireshark comment of the packet that carried s, keeping a
// comment already there.
func pxNote(pkts []capture.Packet, s *analyze.Segment, text string) {
	if s == nil || s.Index < 0 || s.Index >= len(pkts) {
		return
	}
	if c := pkts[s.Index].Comment; c != "" {
		text = c + "; " + text
	}
	pkts[s.Index].Comment = text
}

// pxFirstClose returns the first segment after from (or any, when from is
// zero) that carries FIN or RST, sent by the client side of f when
// fromClient, else by the server side; nil when there is none.
func pxFirstClose(f *analyze.Flow, fromClient bool, from time.Time) *analyze.Segment {
	for i := range f.Segments {
		s := &f.Segments[i]
		if (s.Src == f.Client) != fromClient || !(s.FIN || s.RST) {
			continue
		}
		if !from.IsZero() && s.Time.Before(from) {
			continue
		}
		return s
	}
	return nil
}

// pxSYNs counts the client's first SYNs in flows: one per connection opened.
func pxSYNs(flows []*analyze.Flow) int {
	n := 0
	for _, f := range flows {
		if hs, _ := f.Handshake(); hs.SYN != nil {
			n++
		}
	}
	return n
}
