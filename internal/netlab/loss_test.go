package netlab

import (
	"math"
	"testing"
)

func TestLossDropRate(t *testing.T) {
	const n = 200_000
	for _, p := range []float64{0.001, 0.01, 0.1, 0.5, 0.9} {
		drops := 0
		for i := uint64(0); i < n; i++ {
			if LossDrop(42, 0, i, p) {
				drops++
			}
		}
		got := float64(drops) / n
		sigma := math.Sqrt(p * (1 - p) / n)
		if math.Abs(got-p) > 5*sigma {
			t.Errorf("p=%v: dropped fraction %v, more than 5σ (%v) away", p, got, sigma)
		}
	}
}

func TestLossDropEdges(t *testing.T) {
	tests := []struct {
		p    float64
		want bool
	}{
		{0, false}, {-1, false}, {math.NaN(), false}, {1, true}, {2, true},
	}
	for _, tt := range tests {
		for i := uint64(0); i < 1000; i++ {
			if got := LossDrop(7, 3, i, tt.p); got != tt.want {
				t.Fatalf("LossDrop(p=%v, n=%d) = %v, want %v", tt.p, i, got, tt.want)
			}
		}
	}
}

// TestLossDropGolden pins the loss process: a change here changes which
// packets every seeded experiment loses, so it must be deliberate.
func TestLossDropGolden(t *testing.T) {
	var got []uint64
	for i := uint64(0); i < 200; i++ {
		if LossDrop(1, 0, i, 0.05) {
			got = append(got, i)
		}
	}
	want := lossGolden
	if len(got) != len(want) {
		t.Fatalf("seed 1, p=0.05: dropped %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("seed 1, p=0.05: dropped %v, want %v", got, want)
		}
	}
}

func TestLossDropStreamsAndSeedsDiffer(t *testing.T) {
	pattern := func(seed int64, stream uint64) []bool {
		b := make([]bool, 2000)
		for i := range b {
			b[i] = LossDrop(seed, stream, uint64(i), 0.2)
		}
		return b
	}
	same := func(a, b []bool) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	base := pattern(1, 0)
	if !same(base, pattern(1, 0)) {
		t.Fatal("same seed and stream gave different drops")
	}
	if same(base, pattern(1, 1)) {
		t.Error("streams 0 and 1 dropped the same packets")
	}
	if same(base, pattern(2, 0)) {
		t.Error("seeds 1 and 2 dropped the same packets")
	}
}

// lossGolden is LossDrop(1, 0, n, 0.05) for n < 200.
var lossGolden = []uint64{28, 29, 49, 119, 190, 192, 194}
