package netlab

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// seqpacket is a PacketIO over one end of a SOCK_SEQPACKET socketpair: the
// test plays the namespace on the other end. It needs no privilege, so the
// relay's scheduling is tested anywhere Linux runs.
type seqpacket struct{ fd int }

func (s seqpacket) ReadPacket(b []byte) (int, int64, error) {
	n, err := unix.Read(s.fd, b)
	if err == unix.EAGAIN {
		return 0, 0, ErrNoPacket
	}
	return n, 0, err
}
func (s seqpacket) WritePacket(b []byte) error { _, err := unix.Write(s.fd, b); return err }
func (s seqpacket) Fd() int                    { return s.fd }
func (s seqpacket) Close() error               { return unix.Close(s.fd) }

// relayPair starts a relay between two socketpairs and returns the test's
// ends: a packet written to a comes out of b after the A→B pipe, and back.
func relayPair(t *testing.T, cfg LinkConfig) (a, b int, r *relay) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var ends [2]seqpacket
	var outer [2]int
	for i := range ends {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(fds[1], true); err != nil {
			t.Fatal(err)
		}
		outer[i], ends[i] = fds[0], seqpacket{fds[1]}
		t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	}
	r, err = startRelay(ends[0], ends[1], cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Error(err)
		}
	})
	return outer[0], outer[1], r
}

// readAll reads packets from fd until none arrives for quiet, returning each
// packet's first 4 bytes as a number and the time it was read.
func readAll(t *testing.T, fd int, quiet time.Duration) (seq []uint32, at []time.Time) {
	t.Helper()
	tv := unix.NsecToTimeval(int64(quiet))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if !errors.Is(err, unix.EAGAIN) {
				t.Fatal(err)
			}
			return seq, at
		}
		if n >= 4 {
			seq = append(seq, binary.BigEndian.Uint32(buf))
			at = append(at, time.Now())
		}
	}
}

func send(t *testing.T, fd int, n, size int, gap time.Duration) []time.Time {
	t.Helper()
	var at []time.Time
	buf := make([]byte, size)
	for i := range n {
		binary.BigEndian.PutUint32(buf, uint32(i))
		at = append(at, time.Now())
		if _, err := unix.Write(fd, buf); err != nil {
			t.Fatal(os.NewSyscallError("write", err))
		}
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return at
}

func TestRelayDelayAndOrder(t *testing.T) {
	const delay = 30 * time.Millisecond
	a, b, r := relayPair(t, LinkConfig{Delay: delay, DelayReverse: 10 * time.Millisecond})
	sent := send(t, a, 20, 100, 2*time.Millisecond)
	seq, at := readAll(t, b, 300*time.Millisecond)
	if len(seq) != 20 {
		t.Fatalf("received %d of 20 packets", len(seq))
	}
	var oneWay []time.Duration
	for i, s := range seq {
		if s != uint32(i) {
			t.Fatalf("packet %d arrived as number %d: out of order", i, s)
		}
		oneWay = append(oneWay, at[i].Sub(sent[i]))
	}
	// Wide bounds: this runs unprivileged on loaded machines.
	if m := median(oneWay); m < delay || m > delay+5*time.Millisecond {
		t.Errorf("median one-way time %v, want %v (+ up to 5 ms)", m, delay)
	}
	for i, d := range oneWay {
		if d < delay-time.Millisecond {
			t.Errorf("packet %d took %v, less than the delay %v", i, d, delay)
		}
	}
	// The reverse direction has its own delay.
	start := time.Now()
	send(t, b, 1, 100, 0)
	if seq, at := readAll(t, a, 200*time.Millisecond); len(seq) != 1 {
		t.Fatalf("reverse: received %d of 1", len(seq))
	} else if d := at[0].Sub(start); d < 10*time.Millisecond || d > 25*time.Millisecond {
		t.Errorf("reverse one-way time %v, want 10 ms (+ up to 15 ms)", d)
	}
	st := LinkStats{Forward: r.stats(0), Reverse: r.stats(1)}
	if st.Forward.Offered != 20 || st.Forward.Forwarded != 20 || st.Reverse.Forwarded != 1 || st.Forward.Bytes != 2000 {
		t.Errorf("stats %+v", st)
	}
}

func TestRelayLossFollowsLossDrop(t *testing.T) {
	const seed, loss = 7, 0.3
	a, b, r := relayPair(t, LinkConfig{Loss: loss, Seed: seed})
	send(t, a, 200, 64, 100*time.Microsecond)
	seq, _ := readAll(t, b, 200*time.Millisecond)
	var want []uint32
	for i := range uint32(200) {
		if !LossDrop(seed, 0, uint64(i), loss) {
			want = append(want, i)
		}
	}
	if len(seq) != len(want) {
		t.Fatalf("received %d packets, the loss process keeps %d", len(seq), len(want))
	}
	for i := range seq {
		if seq[i] != want[i] {
			t.Fatalf("received %v, want %v", seq, want)
		}
	}
	if st := r.stats(0); st.DroppedLoss != uint64(200-len(want)) || st.Forwarded != uint64(len(want)) {
		t.Errorf("stats %+v, want %d lost", st, 200-len(want))
	}
}

func TestRelayRateAndTailDrop(t *testing.T) {
	// 1000-byte packets at 800 kbit/s leave one per 10 ms; 30 sent at once
	// into a 10-packet queue: 10 pass (one more for each 10 ms the sending
	// takes), the rest are dropped at the tail.
	const per = 10 * time.Millisecond
	a, b, r := relayPair(t, LinkConfig{RateBps: 800_000, QueuePackets: 10})
	start := time.Now()
	send(t, a, 30, 1000, 0)
	seq, at := readAll(t, b, 300*time.Millisecond)
	n := len(seq)
	if n < 10 || n > 12 {
		t.Fatalf("received %d packets, want 10 (a queue of 10) to 12", n)
	}
	// The n-th leaves the serialiser n·10 ms after the first arrived.
	if d := at[n-1].Sub(start); d < time.Duration(n)*per || d > time.Duration(n)*per+20*time.Millisecond {
		t.Errorf("packet %d delivered at %v, want %v (+ up to 20 ms)", n, d, time.Duration(n)*per)
	}
	st := r.stats(0)
	if st.DroppedQueue != uint64(30-n) || st.Forwarded != uint64(n) || st.MaxQueue != 10 {
		t.Errorf("stats %+v: want %d tail drops, %d forwarded, a maximum queue of 10", st, 30-n, n)
	}
}

func TestRelayStopsPromptly(t *testing.T) {
	a, _, r := relayPair(t, LinkConfig{Delay: time.Hour})
	send(t, a, 5, 100, 0) // held for an hour
	time.Sleep(10 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- r.stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("stop did not return within 2 s")
	}
	if n := spinners.Load(); n != 0 {
		t.Errorf("%d spin slots still taken after stop", n)
	}
}
