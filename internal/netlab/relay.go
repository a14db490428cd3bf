package netlab

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoPacket is what PacketIO.ReadPacket returns when no packet is waiting.
var ErrNoPacket = errors.New("netlab: no packet waiting")

// PacketIO is one end of an emulated link as the relay sees it: the packets
// the namespace sends come out of ReadPacket, and WritePacket delivers a
// packet into the namespace. The TUN transport is one implementation; any
// other (an AF_PACKET socket on a veth, a socketpair in tests) only has to
// offer whole packets and a descriptor to wait on.
type PacketIO interface {
	// ReadPacket reads one packet into b without blocking and returns its
	// length and the time it entered the link in CLOCK_REALTIME nanoseconds
	// (0 when the transport cannot tell, and the relay uses the time it read
	// the packet), or ErrNoPacket when none is waiting.
	ReadPacket(b []byte) (n int, at int64, err error)
	// WritePacket delivers one packet.
	WritePacket(b []byte) error
	// Fd is a descriptor that poll(2) reports readable when ReadPacket has a
	// packet.
	Fd() int
	// Close releases the end.
	Close() error
}

// DirectionStats counts one direction of a link.
type DirectionStats struct {
	Offered       uint64 // packets the relay read from the sending end
	Forwarded     uint64 // packets delivered to the receiving end
	Bytes         uint64 // IP bytes delivered
	DroppedLoss   uint64 // packets taken by the seeded loss process
	DroppedQueue  uint64 // packets dropped at the tail of a full queue
	DeviceDropped uint64 // packets lost before the relay could read them (a full tap ring)
	WriteErrors   uint64 // packets the receiving end refused
	MaxQueue      int    // most packets waiting for the serialiser at once
	Realtime      bool   // the relay thread ran with SCHED_FIFO
	CPUKeptAwake  bool   // the relay thread ran on a CPU kept from halting (LinkConfig.LetCPUsIdle)

	// How late packets were delivered after they were due, as the relay saw
	// it (the package benchmarks measure the end-to-end error).
	LateP50, LateP99, LateMax time.Duration
}

// LinkStats counts both directions of a link: Forward is A→B (towards the
// server), Reverse is B→A.
type LinkStats struct {
	Forward, Reverse DirectionStats
}

// Dirs returns the two directions by short name: "fwd" (A→B) and "rev".
func (s LinkStats) Dirs() map[string]DirectionStats {
	return map[string]DirectionStats{"fwd": s.Forward, "rev": s.Reverse}
}

// Link is one emulated link of a lab.
type Link struct {
	kind   string
	cfg    LinkConfig
	a, b   string // "role/interface" of each end
	stats  func() LinkStats
	stop   func() error
	mu     sync.Mutex
	final  *LinkStats // taken when the link stopped
	closed bool
}

// Kind is KindTUN, KindVeth or KindNetem.
func (k *Link) Kind() string { return k.kind }

// Config is the link's configuration with the defaults filled in.
func (k *Link) Config() LinkConfig { return k.cfg }

// Ends names the two ends, "client/to-server" and "server/to-client" say.
func (k *Link) Ends() (a, b string) { return k.a, k.b }

// Stats returns the counters so far; after the lab closed, the last counters
// taken before it did.
func (k *Link) Stats() LinkStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.final != nil {
		return *k.final
	}
	return k.stats()
}

// close stops the link once and keeps its last counters.
func (k *Link) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	err := k.stop()
	st := k.stats()
	k.final = &st
	return err
}

// lateHist is a histogram of delivery lateness in 2 µs buckets up to about
// 4 ms (the last bucket takes everything later), with the maximum kept
// exactly. One goroutine writes, any reads.
type lateHist struct {
	bucket [2048]atomic.Uint64
	max    atomic.Int64
}

const lateBucket = 2 * time.Microsecond

func (h *lateHist) add(late int64) {
	late = max(late, 0)
	i := min(late/int64(lateBucket), int64(len(h.bucket)-1))
	h.bucket[i].Add(1)
	if late > h.max.Load() {
		h.max.Store(late)
	}
}

// quantiles returns the q-quantiles (upper bucket edges, capped at the
// maximum) of what was added.
func (h *lateHist) quantiles(qs ...float64) []time.Duration {
	var counts [len(lateHist{}.bucket)]uint64
	var total uint64
	for i := range h.bucket {
		counts[i] = h.bucket[i].Load()
		total += counts[i]
	}
	mx := time.Duration(h.max.Load())
	out := make([]time.Duration, len(qs))
	if total == 0 {
		return out
	}
	for j, q := range qs {
		rank := uint64(q*float64(total-1)) + 1
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= rank {
				out[j] = min(time.Duration(i+1)*lateBucket, mx)
				if i == len(counts)-1 { // the overflow bucket has no upper edge
					out[j] = mx
				}
				break
			}
		}
	}
	return out
}
