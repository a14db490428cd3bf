package experiment

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestTwPortScan(t *testing.T) {
	tests := []struct {
		n, offset int
		want      []int
	}{
		{1, 0, []int{0}},
		{2, 0, []int{0, 1}},
		{2, 1, []int{0, 1}},       // offsets are made even first
		{4, 2, []int{2, 0, 3, 1}}, // low parity from 2, wrap, then odd
		{3, 1, []int{0, 1}},       // 3 ports: cut to 2, port 2 never tried
		{5, 2, []int{2, 4, 3, 1}}, // 4 of 5: port 0 skipped this time
		{5, 0, []int{0, 2, 1, 3}}, // port 4 skipped this time
		{6, 5, []int{4, 0, 2, 5, 1, 3}},
	}
	for _, tt := range tests {
		if got := twPortScan(tt.n, tt.offset); !slices.Equal(got, tt.want) {
			t.Errorf("twPortScan(%d, %d) = %v, want %v", tt.n, tt.offset, got, tt.want)
		}
	}
}

// TestTwPredictConnects holds the counts measured on Linux 6.18 with
// ip_local_port_range of n ports: 16 → 16 every time, 15 → 14 or 15,
// 5 → 4 or 5, 3 → 2.
func TestTwPredictConnects(t *testing.T) {
	tests := []struct{ n, least, most int }{
		{0, 0, 0},
		{1, 1, 1},
		{2, 2, 2},
		{3, 2, 2},
		{5, 4, 5},
		{15, 14, 15},
		{16, 16, 16},
		{28232, 28232, 28232}, // the default range 32768–60999
		{28233, 28232, 28233},
	}
	for _, tt := range tests {
		least, most := twPredictConnects(tt.n)
		if least != tt.least || most != tt.most {
			t.Errorf("twPredictConnects(%d) = %d, %d; want %d, %d", tt.n, least, most, tt.least, tt.most)
		}
	}
}

// TestTwPredictClosed checks the closed form against the scan-by-scan
// simulation.
func TestTwPredictClosed(t *testing.T) {
	for n := 0; n <= 300; n++ {
		l1, m1 := twPredictConnects(n)
		l2, m2 := twPredictClosed(n)
		if l1 != l2 || m1 != m2 {
			t.Errorf("n=%d: simulation %d, %d; closed form %d, %d", n, l1, m1, l2, m2)
		}
	}
}

func TestTwReuseRate(t *testing.T) {
	tests := []struct {
		n        int
		c, delay time.Duration
		want     float64
	}{
		{16, 40 * time.Millisecond, time.Second, 16 / 1.08}, // the ports limit
		{16, 300 * time.Millisecond, time.Second, 1 / 0.3},  // the loop limits
		{16, 5 * time.Millisecond, 100 * time.Millisecond, 16 / 0.11},
		{16, 0, time.Second, 16}, // loopback
	}
	for _, tt := range tests {
		if got := twReuseRate(tt.n, tt.c, tt.delay); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("twReuseRate(%d, %v, %v) = %v, want %v", tt.n, tt.c, tt.delay, got, tt.want)
		}
	}
}
