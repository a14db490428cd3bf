package netlab

import (
	"testing"
	"time"
)

func TestLateHistQuantiles(t *testing.T) {
	var h lateHist
	if q := h.quantiles(0.5); q[0] != 0 {
		t.Errorf("empty histogram p50 = %v", q[0])
	}
	for i := range 100 {
		h.add(int64(i) * int64(time.Microsecond)) // 0..99 µs
	}
	h.add(int64(50 * time.Millisecond)) // beyond the last bucket
	q := h.quantiles(0.5, 0.99, 1)
	if q[0] < 48*time.Microsecond || q[0] > 52*time.Microsecond {
		t.Errorf("p50 = %v, want about 50 µs", q[0])
	}
	if q[1] < 98*time.Microsecond || q[1] > 102*time.Microsecond {
		t.Errorf("p99 = %v, want about 100 µs", q[1])
	}
	if q[2] != 50*time.Millisecond {
		t.Errorf("max = %v, want 50 ms", q[2])
	}
	h.add(-5) // early is not late: bucket 0 now holds 0 µs, 1 µs and this
	if h.bucket[0].Load() != 3 {
		t.Errorf("negative lateness not counted as 0")
	}
}

func TestLinkStatsDirs(t *testing.T) {
	st := LinkStats{Forward: DirectionStats{Forwarded: 1}, Reverse: DirectionStats{Forwarded: 2}}
	d := st.Dirs()
	if len(d) != 2 || d["fwd"].Forwarded != 1 || d["rev"].Forwarded != 2 {
		t.Errorf("Dirs() = %+v", d)
	}
}
