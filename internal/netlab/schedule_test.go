package netlab

import (
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

func TestSerialisationTime(t *testing.T) {
	tests := []struct {
		n    int
		rate int64
		want time.Duration
	}{
		{1500, 10_000_000, 1200 * time.Microsecond},
		{1500, 100_000_000, 120 * time.Microsecond},
		{1500, 1_000_000_000, 12 * time.Microsecond},
		{1500, 0, 0},
		{0, 10_000_000, 0},
	}
	for _, tt := range tests {
		if got := SerialisationTime(tt.n, tt.rate); got != tt.want {
			t.Errorf("SerialisationTime(%d, %d) = %v, want %v", tt.n, tt.rate, got, tt.want)
		}
	}
}

// TestPipeSchedule walks packets through pipes with known timetables.
func TestPipeSchedule(t *testing.T) {
	type offer struct {
		at   int64
		size int
		want Verdict
		due  int64
	}
	tests := []struct {
		name   string
		cfg    PipeConfig
		offers []offer
	}{
		{
			name: "delay only",
			cfg:  PipeConfig{Delay: 20 * time.Millisecond},
			offers: []offer{
				{0, 1500, Accepted, 20 * ms},
				{0, 1500, Accepted, 20 * ms},
				{5 * ms, 60, Accepted, 25 * ms},
			},
		},
		{
			name: "rate serialises back to back",
			cfg:  PipeConfig{RateBps: 10_000_000, Delay: 10 * time.Millisecond},
			offers: []offer{
				{0, 1500, Accepted, 1200_000 + 10*ms},
				{0, 1500, Accepted, 2400_000 + 10*ms},
				{0, 1500, Accepted, 3600_000 + 10*ms},
				// the link was idle again by 100 ms
				{100 * ms, 1500, Accepted, 101200_000 + 10*ms},
			},
		},
		{
			name: "tail drop counts only packets not yet serialised",
			cfg:  PipeConfig{RateBps: 12_000_000, QueuePackets: 2}, // 1 ms per 1500 B
			offers: []offer{
				{0, 1500, Accepted, 1 * ms},
				{0, 1500, Accepted, 2 * ms},
				{0, 1500, DroppedQueue, 0},
				{1 * ms, 1500, Accepted, 3 * ms}, // the first has left at 1 ms
				{1 * ms, 1500, DroppedQueue, 0},
				{3 * ms, 1500, Accepted, 4 * ms},
			},
		},
		{
			name: "unlimited rate never queues",
			cfg:  PipeConfig{QueuePackets: 1, Delay: time.Second},
			offers: []offer{
				{0, 1500, Accepted, 1000 * ms},
				{0, 1500, Accepted, 1000 * ms},
				{0, 1500, Accepted, 1000 * ms},
			},
		},
		{
			name: "certain loss",
			cfg:  PipeConfig{Loss: 1},
			offers: []offer{
				{0, 1500, DroppedLoss, 0},
				{0, 1500, DroppedLoss, 0},
			},
		},
		{
			name: "in-flight cap",
			cfg:  PipeConfig{Delay: time.Second, MaxInFlight: 2},
			offers: []offer{
				{0, 100, Accepted, 1000 * ms},
				{0, 100, Accepted, 1000 * ms},
				{0, 100, DroppedQueue, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPipe(tt.cfg)
			for i, o := range tt.offers {
				v, due := p.Offer(o.at, make([]byte, o.size))
				if v != o.want || (v == Accepted && due != o.due) {
					t.Fatalf("offer %d at %d: got %v due %d, want %v due %d", i, o.at, v, due, o.want, o.due)
				}
			}
		})
	}
}

func TestPipeFIFOAndStats(t *testing.T) {
	p := NewPipe(PipeConfig{Delay: 5 * time.Millisecond, RateBps: 100_000_000, QueuePackets: 3})
	var accepted []byte
	for i := range 10 {
		pkt := make([]byte, 1500) // 120 µs each at 100 Mbit/s
		pkt[0] = byte(i)
		v, _ := p.Offer(int64(i)*10_000, pkt) // one per 10 µs
		if v == Accepted {
			accepted = append(accepted, byte(i))
		}
	}
	if _, ok := p.Next(); !ok {
		t.Fatal("Next: empty pipe after accepted packets")
	}
	last := int64(-1)
	var out []byte
	for {
		pkt, due, ok := p.Pop()
		if !ok {
			break
		}
		if due < last {
			t.Fatalf("due times went backwards: %d after %d", due, last)
		}
		last = due
		out = append(out, pkt[0])
	}
	if string(out) != string(accepted) {
		t.Fatalf("popped %v, accepted %v", out, accepted)
	}
	st := p.Stats()
	if st.Offered != 10 || st.Forwarded != uint64(len(accepted)) || st.DroppedQueue != uint64(10-len(accepted)) || st.Bytes != 1500*uint64(len(accepted)) {
		t.Errorf("stats %+v, accepted %d of 10", st, len(accepted))
	}
	if st.MaxQueue != 3 {
		t.Errorf("MaxQueue = %d, want 3", st.MaxQueue)
	}
}

// TestPipeRateLongRun checks that the carried remainder keeps a long run
// exactly at the configured rate, for rates that do not divide 8e9·len.
func TestPipeRateLongRun(t *testing.T) {
	for _, rate := range []int64{10_000_000, 100_000_000, 33_333_333, 7} {
		p := NewPipe(PipeConfig{RateBps: rate, QueuePackets: 1 << 20, MaxInFlight: 1 << 20})
		const n, size = 10000, 1499
		var due int64
		for range n {
			_, due = p.Offer(0, make([]byte, size))
		}
		want := int64(n*size*8) * int64(time.Second) / rate
		if due != want {
			t.Errorf("rate %d: last departure %d ns, want %d", rate, due, want)
		}
	}
}

func TestPipeLossDeterministic(t *testing.T) {
	run := func() []int {
		p := NewPipe(PipeConfig{Loss: 0.1, Seed: 99, Stream: 1})
		var lost []int
		for i := range 1000 {
			if v, _ := p.Offer(int64(i), nil); v == DroppedLoss {
				lost = append(lost, i)
			}
		}
		return lost
	}
	a, b := run(), run()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("runs lost %d and %d packets", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] || !LossDrop(99, 1, uint64(a[i]), 0.1) {
			t.Fatalf("lost packets differ or disagree with LossDrop: %v vs %v", a, b)
		}
	}
}

func TestPipeRingGrowsInOrder(t *testing.T) {
	p := NewPipe(PipeConfig{Delay: time.Millisecond})
	next := 0
	for i := range 1000 {
		p.Offer(int64(i), []byte{byte(i), byte(i >> 8)})
		if i%3 == 0 { // pop sometimes so head wraps while the ring grows
			pkt, _, _ := p.Pop()
			if got := int(pkt[0]) | int(pkt[1])<<8; got != next {
				t.Fatalf("popped %d, want %d", got, next)
			}
			next++
		}
	}
	for p.Len() > 0 {
		pkt, _, _ := p.Pop()
		if got := int(pkt[0]) | int(pkt[1])<<8; got != next {
			t.Fatalf("popped %d, want %d", got, next)
		}
		next++
	}
	if next != 1000 {
		t.Fatalf("popped %d packets, want 1000", next)
	}
}

func FuzzPipe(f *testing.F) {
	f.Add(int64(1), uint16(1500), uint32(10_000_000), uint8(5), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, seed int64, size uint16, rate uint32, queue uint8, gaps []byte) {
		p := NewPipe(PipeConfig{Seed: seed, RateBps: int64(rate), QueuePackets: int(queue), Loss: 0.1, Delay: time.Millisecond})
		now := int64(0)
		lastDue := int64(-1)
		for _, g := range gaps {
			now += int64(g) * 1000
			v, due := p.Offer(now, make([]byte, size))
			if v == Accepted {
				if due < now+int64(time.Millisecond) || due < lastDue {
					t.Fatalf("due %d for arrival %d (last due %d)", due, now, lastDue)
				}
				lastDue = due
			}
			if q := p.Queued(now); q > p.Config().QueuePackets {
				t.Fatalf("%d packets queued, limit %d", q, p.Config().QueuePackets)
			}
		}
		st := p.Stats()
		if st.Offered != st.Forwarded+st.DroppedLoss+st.DroppedQueue+uint64(p.Len()) {
			t.Fatalf("counters do not add up: %+v, %d held", st, p.Len())
		}
	})
}
