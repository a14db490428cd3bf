package experiment

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// ms converts a duration to float milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median of xs; NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// within reports whether got is within tol of want.
func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// rttTolerance is the tolerance the chapter's timing claims are checked with:
// max(pct of the expected value, floor).
func tolerance(expected, pct, floor float64) float64 {
	return math.Max(expected*pct, floor)
}

// fmtMs prints milliseconds with a sensible precision.
func fmtMs(v float64) string { return fmt.Sprintf("%.2f ms", v) }
