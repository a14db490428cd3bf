package experiment

import (
	"container/heap"
	"time"

	"github.com/tcplab/tcplab/internal/peer"
)

// The page-load model of §4.3–4.6. Its terms are the chapter's: a TCP
// handshake per new connection (1 RTT), a round trip per request, the
// transfer of every byte at the link rate, and the slow-start rounds of each
// response (an initial window of 10 segments that doubles per RTT while the
// sender is window-limited, RFC 5681 §3.1, RFC 6928). It is evaluated on a
// timeline rather than summed by hand, because with several connections the
// terms overlap: while one connection waits for a handshake another one's
// bytes may be crossing the link. The timeline has one FIFO bottleneck in the
// server→client direction, serialising every packet (payload plus 52 bytes of
// IP, TCP and timestamp headers) at the link rate; each direction adds half
// the RTT. The client→server direction is a FIFO too, for SYNs and requests
// in the order the client sends them (ACKs are left out: they are small and
// never the bottleneck).

// Wire constants of the model.
const (
	plMSS       = 1448 // payload per full segment: MTU 1500 − 20 IP − 20 TCP − 12 timestamps
	plHeaderB   = 52   // IP + TCP + timestamp option per packet
	plSYNBytes  = 60   // a SYN or SYN/ACK with MSS, SACK, timestamps and window scale
	plInitCwnd  = 10   // TCP_INIT_CWND (RFC 6928)
	plReqBytes  = 80   // an HTTP request line and its Host field, about
	plRespHdrB  = 100  // an HTTP response's status line and fields, about
	plMaxEvents = 1 << 20
)

// plModelParams are the inputs of the model for one strategy.
type plModelParams struct {
	mode     peer.Mode
	conns    int // connections at once in the parallel modes
	objects  int // objects the document references
	docBytes int // the document's response, header included
	objBytes int // one object's response, header included
	rtt      time.Duration
	rateBps  int64 // 0: no rate limit
}

// plModel is the model's prediction for one strategy.
type plModel struct {
	total time.Duration   // the last response complete at the client
	first []time.Duration // per request (0 = the document): first response byte at the client
	done  []time.Duration // per request: response complete at the client
	conns int             // connections opened
}

// plPacket is one packet of a response waiting in a connection's send queue.
type plPacket struct {
	wire        int // bytes on the wire
	req         int // the request it answers
	first, last bool
}

// plConn is one connection of the model: its congestion window and the
// packets it has not yet been allowed to send.
type plConn struct {
	cwnd      int
	queue     []plPacket
	inRound   bool
	roundSent int
}

type plEvent struct {
	at  time.Duration
	seq int
	fn  func()
}

type plEvents []plEvent

func (h plEvents) Len() int { return len(h) }
func (h plEvents) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h plEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *plEvents) Push(x any)   { *h = append(*h, x.(plEvent)) }
func (h *plEvents) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// plSim is the timeline: an event queue, the bottleneck link and the
// connections.
type plSim struct {
	p        plModelParams
	now      time.Duration
	events   plEvents
	seq      int
	linkFree time.Duration // when the server→client link finishes its queue
	upFree   time.Duration // … and the client→server one
	first    []time.Duration
	done     []time.Duration
	opened   int
	onDone   func(c *plConn, req int)
}

// pageloadModel evaluates the model of one strategy.
func pageloadModel(p plModelParams) plModel {
	if p.conns < 1 {
		p.conns = 1
	}
	s := &plSim{p: p, first: make([]time.Duration, p.objects+1), done: make([]time.Duration, p.objects+1)}
	next := 1 // the next object to request
	take := func() (int, bool) {
		if next > p.objects {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var doc *plConn
	fresh := func(req int) { s.open(func(c *plConn) { s.request(c, req) }) }
	objects := func() {
		switch p.mode {
		case peer.SerialNew:
			if i, ok := take(); ok {
				fresh(i)
			}
		case peer.ParallelNew:
			for range p.conns {
				if i, ok := take(); ok {
					fresh(i)
				}
			}
		case peer.PersistentSerial:
			if i, ok := take(); ok {
				s.request(doc, i)
			}
		case peer.PersistentParallel:
			if i, ok := take(); ok {
				s.request(doc, i)
			}
			for range p.conns - 1 {
				if i, ok := take(); ok {
					fresh(i)
				}
			}
		case peer.Pipelined:
			var all []int
			for i, ok := take(); ok; i, ok = take() {
				all = append(all, i)
			}
			s.request(doc, all...)
		}
	}
	s.onDone = func(c *plConn, req int) {
		if req == 0 {
			objects()
			return
		}
		switch p.mode {
		case peer.SerialNew, peer.ParallelNew:
			if i, ok := take(); ok {
				fresh(i)
			}
		case peer.PersistentSerial, peer.PersistentParallel:
			if i, ok := take(); ok {
				s.request(c, i)
			}
		}
	}
	s.open(func(c *plConn) { doc = c; s.request(c, 0) })
	for n := 0; len(s.events) > 0 && n < plMaxEvents; n++ {
		e := heap.Pop(&s.events).(plEvent)
		s.now = e.at
		e.fn()
	}
	m := plModel{first: s.first, done: s.done, conns: s.opened}
	for _, d := range s.done {
		m.total = max(m.total, d)
	}
	return m
}

func (s *plSim) at(t time.Duration, fn func()) {
	s.seq++
	heap.Push(&s.events, plEvent{at: t, seq: s.seq, fn: fn})
}

// tx is the serialisation time of n bytes at the link rate.
func (s *plSim) tx(n int) time.Duration { return plSerialise(n, s.p.rateBps) }

// plSerialise is the time n bytes take at rate bit/s (0: no limit).
func plSerialise(n int, rate int64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(n) * 8 / float64(rate) * float64(time.Second))
}

// plWireBytes is the bytes a response of size bytes puts on the wire.
func plWireBytes(size int) int {
	n := 0
	for _, pk := range plPackets(size, 0) {
		n += pk.wire
	}
	return n
}

// down queues n bytes on the server→client link now and returns when their
// last bit has left it.
func (s *plSim) down(n int) time.Duration {
	start := max(s.now, s.linkFree)
	s.linkFree = start + s.tx(n)
	return s.linkFree
}

// up queues n bytes on the client→server link now and returns when they
// have left it.
func (s *plSim) up(n int) time.Duration {
	start := max(s.now, s.upFree)
	s.upFree = start + s.tx(n)
	return s.upFree
}

// open runs a handshake from now: the SYN crosses, the SYN/ACK queues on
// the bottleneck and crosses back; then connected runs at the client.
func (s *plSim) open(connected func(c *plConn)) {
	s.opened++
	c := &plConn{cwnd: plInitCwnd}
	half := s.p.rtt / 2
	s.at(s.up(plSYNBytes)+half, func() {
		end := s.down(plSYNBytes)
		s.at(end+half, func() { connected(c) })
	})
}

// request sends requests on c now, one after the other; the server answers
// each as soon as it arrives, in order.
func (s *plSim) request(c *plConn, reqs ...int) {
	for _, r := range reqs {
		size := s.p.objBytes
		if r == 0 {
			size = s.p.docBytes
		}
		s.at(s.up(plReqBytes+plHeaderB)+s.p.rtt/2, func() {
			c.queue = append(c.queue, plPackets(size, r)...)
			s.pump(c)
		})
	}
}

// plPackets splits a response of size bytes into packets: one write per
// response, so its last packet is partly filled.
func plPackets(size, req int) []plPacket {
	var out []plPacket
	for size > 0 {
		n := min(size, plMSS)
		size -= n
		out = append(out, plPacket{wire: n + plHeaderB, req: req, first: len(out) == 0, last: size == 0})
	}
	return out
}

// pump sends what the congestion window allows. A round starts with the
// first packet sent while none is in flight and ends when that packet's
// ACK is back, one RTT after it left the bottleneck; the window then grows
// by the packets the round carried if the round used more than half of it
// (Linux grows cwnd only while cwnd-limited, tcp_is_cwnd_limited).
func (s *plSim) pump(c *plConn) {
	if !c.inRound {
		if len(c.queue) == 0 {
			return
		}
		c.inRound, c.roundSent = true, 0
		first := s.send(c)
		s.at(first+s.p.rtt, func() {
			if 2*c.roundSent > c.cwnd {
				c.cwnd += c.roundSent
			}
			c.inRound = false
			s.pump(c)
		})
	}
	for c.roundSent < c.cwnd && len(c.queue) > 0 {
		s.send(c)
	}
}

// send puts c's next packet on the link and returns when it has left it.
func (s *plSim) send(c *plConn) time.Duration {
	pk := c.queue[0]
	c.queue = c.queue[1:]
	c.roundSent++
	end := s.down(pk.wire)
	if pk.first {
		s.first[pk.req] = end + s.p.rtt/2 // a packet arrives whole
	}
	if pk.last {
		s.at(end+s.p.rtt/2, func() {
			s.done[pk.req] = s.now
			s.onDone(c, pk.req)
		})
	}
	return end
}

// transferTime is the time the link needs to carry the page's response
// bytes, headers included: the floor no strategy can beat.
func (p plModelParams) transferTime() time.Duration {
	return plSerialise(plWireBytes(p.docBytes)+p.objects*plWireBytes(p.objBytes), p.rateBps)
}

// rttRounds is the model at an unlimited rate in units of the RTT: the
// handshakes, request rounds and slow-start rounds on the critical path.
func (p plModelParams) rttRounds() float64 {
	q := p
	q.rateBps = 0
	q.rtt = time.Second
	return pageloadModel(q).total.Seconds()
}
