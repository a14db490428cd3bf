package netlab

import (
	"sync/atomic"
	"time"
)

// DefaultQueuePackets is the tail-drop limit of a Pipe whose QueuePackets is 0.
const DefaultQueuePackets = 1000

// DefaultMaxInFlight bounds the packets one direction may hold in total
// (waiting for the serialiser plus travelling the delay line) when
// PipeConfig.MaxInFlight is 0, so a misbehaving sender cannot exhaust memory.
const DefaultMaxInFlight = 1 << 16

// Verdict is what a Pipe did with a packet offered to it.
type Verdict uint8

const (
	// Accepted: the packet is held and will be due at the returned time.
	Accepted Verdict = iota
	// DroppedLoss: the seeded loss process took the packet.
	DroppedLoss
	// DroppedQueue: the queue was full (tail drop).
	DroppedQueue
)

func (v Verdict) String() string {
	switch v {
	case Accepted:
		return "accepted"
	case DroppedLoss:
		return "dropped-loss"
	case DroppedQueue:
		return "dropped-queue"
	}
	return "verdict(?)"
}

// PipeConfig describes one direction of an emulated link.
type PipeConfig struct {
	Delay        time.Duration // one-way propagation delay, added after serialisation
	RateBps      int64         // serialisation rate in bits per second of IP packet bytes; 0 = unlimited
	Loss         float64       // probability in [0, 1] that a packet is lost
	QueuePackets int           // packets that may wait for the serialiser; 0 = DefaultQueuePackets
	Seed         int64         // seed of the loss process
	Stream       uint64        // identifies this direction in the loss process (see LossDrop)
	MaxInFlight  int           // packets held in total; 0 = DefaultMaxInFlight
}

// PipeStats counts what a Pipe did. Offered = Forwarded + DroppedLoss +
// DroppedQueue + packets still held.
type PipeStats struct {
	Offered      uint64 // packets offered
	Forwarded    uint64 // packets taken out by Pop
	Bytes        uint64 // bytes of the forwarded packets
	DroppedLoss  uint64 // packets taken by the loss process
	DroppedQueue uint64 // packets refused by a full queue (tail drop)
	MaxQueue     int    // most packets ever waiting for the serialiser at once
}

// Pipe is one direction of an emulated link as a pure function of time: a
// packet is offered with the time it arrived and taken out once it is due.
// It does no I/O and reads no clock; times are nanoseconds on whatever
// monotonic clock the caller uses consistently.
//
// The model is a bottleneck router followed by a wire. An arriving packet,
// numbered n from 0 in its direction, is lost if LossDrop(Seed, Stream, n,
// Loss) says so; otherwise it is dropped at the tail if QueuePackets packets
// have not yet left the serialiser; otherwise it leaves the serialiser at
//
//	depart = max(arrival, previous depart) + 8·len/RateBps
//
// and is due at depart + Delay. Departures are monotonic and the delay is
// constant, so packets are due in the order they arrived: the pipe is a FIFO.
//
// A Pipe is not safe for concurrent use, except Stats, which may be called
// from any goroutine.
type Pipe struct {
	cfg        PipeConfig
	queueLimit uint64
	maxHeld    uint64

	ring             []entry
	head, wait, tail uint64 // ring holds [head, tail); [wait, tail) have not left the serialiser
	lastDepart       int64
	remainder        int64 // carried remainder of 8e9·len/rate, so rounding never drifts

	offered uint64 // packets offered so far: the next packet's number
	st      pipeCounters
}

type entry struct {
	depart, due int64
	pkt         []byte
}

type pipeCounters struct {
	offered, forwarded, bytes, lost, tailDropped atomic.Uint64
	maxQueue                                     atomic.Int64
}

// NewPipe returns an empty pipe.
func NewPipe(cfg PipeConfig) *Pipe {
	if cfg.QueuePackets <= 0 {
		cfg.QueuePackets = DefaultQueuePackets
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Delay < 0 {
		cfg.Delay = 0
	}
	return &Pipe{
		cfg:        cfg,
		queueLimit: uint64(cfg.QueuePackets),
		maxHeld:    uint64(cfg.MaxInFlight),
		ring:       make([]entry, 64),
	}
}

// Config returns the configuration the pipe runs with, defaults filled in.
func (p *Pipe) Config() PipeConfig { return p.cfg }

// Offer hands the pipe a packet that arrived at now. The pipe keeps pkt
// (without copying) when it accepts it and returns the time it is due; a
// dropped packet is left to the caller.
func (p *Pipe) Offer(now int64, pkt []byte) (Verdict, int64) {
	n := p.offered
	p.offered++
	p.st.offered.Add(1)
	if LossDrop(p.cfg.Seed, p.cfg.Stream, n, p.cfg.Loss) {
		p.st.lost.Add(1)
		return DroppedLoss, 0
	}
	p.advance(now)
	if p.tail-p.wait >= p.queueLimit || p.tail-p.head >= p.maxHeld {
		p.st.tailDropped.Add(1)
		return DroppedQueue, 0
	}
	depart := max(now, p.lastDepart) + p.serialise(len(pkt))
	p.lastDepart = depart
	due := depart + int64(p.cfg.Delay)
	p.push(entry{depart: depart, due: due, pkt: pkt})
	if q := int64(p.tail - p.wait); depart > now && q > p.st.maxQueue.Load() {
		p.st.maxQueue.Store(q)
	}
	return Accepted, due
}

// Next returns the due time of the packet at the head, if there is one. No
// packet held is due earlier.
func (p *Pipe) Next() (due int64, ok bool) {
	if p.head == p.tail {
		return 0, false
	}
	return p.ring[p.head&p.mask()].due, true
}

// Pop removes and returns the packet at the head with its due time. The
// caller decides whether it is due yet (see Next).
func (p *Pipe) Pop() (pkt []byte, due int64, ok bool) {
	if p.head == p.tail {
		return nil, 0, false
	}
	e := &p.ring[p.head&p.mask()]
	pkt, due = e.pkt, e.due
	e.pkt = nil
	p.head++
	p.wait = max(p.wait, p.head)
	p.st.forwarded.Add(1)
	p.st.bytes.Add(uint64(len(pkt)))
	return pkt, due, true
}

// Len is the number of packets held: waiting for the serialiser or on the
// delay line.
func (p *Pipe) Len() int { return int(p.tail - p.head) }

// Queued is the number of packets that have not left the serialiser at now.
func (p *Pipe) Queued(now int64) int {
	p.advance(now)
	return int(p.tail - p.wait)
}

// Stats returns the counters so far. It is safe to call concurrently with
// the pipe's other methods.
func (p *Pipe) Stats() PipeStats {
	return PipeStats{
		Offered:      p.st.offered.Load(),
		Forwarded:    p.st.forwarded.Load(),
		Bytes:        p.st.bytes.Load(),
		DroppedLoss:  p.st.lost.Load(),
		DroppedQueue: p.st.tailDropped.Load(),
		MaxQueue:     int(p.st.maxQueue.Load()),
	}
}

// SerialisationTime is how long n bytes occupy a link of rateBps bits per
// second (0 for an unlimited link).
func SerialisationTime(n int, rateBps int64) time.Duration {
	if rateBps <= 0 {
		return 0
	}
	return time.Duration(int64(n) * 8 * int64(time.Second) / rateBps)
}

// serialise returns the serialisation time of n bytes in nanoseconds and
// carries the remainder of the division into the next packet, so that a long
// run of packets leaves at exactly the configured rate.
func (p *Pipe) serialise(n int) int64 {
	if p.cfg.RateBps <= 0 {
		return 0
	}
	bits := int64(n)*8*int64(time.Second) + p.remainder
	p.remainder = bits % p.cfg.RateBps
	return bits / p.cfg.RateBps
}

// advance moves the serialiser cursor past every packet that has departed
// by now.
func (p *Pipe) advance(now int64) {
	m := p.mask()
	for p.wait < p.tail && p.ring[p.wait&m].depart <= now {
		p.wait++
	}
}

func (p *Pipe) mask() uint64 { return uint64(len(p.ring) - 1) }

// push appends e, doubling the ring when it is full.
func (p *Pipe) push(e entry) {
	if p.tail-p.head == uint64(len(p.ring)) {
		bigger := make([]entry, 2*len(p.ring))
		m := p.mask()
		for s := p.head; s < p.tail; s++ {
			bigger[s&uint64(len(bigger)-1)] = p.ring[s&m]
		}
		p.ring = bigger
	}
	p.ring[p.tail&p.mask()] = e
	p.tail++
}
