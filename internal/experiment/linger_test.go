package experiment

import (
	"testing"
	"time"
)

// TestLingerVerdicts runs the linger experiment at a short and a long RTT
// and requires every check to pass, with the annotated capture written.
func TestLingerVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{5 * time.Millisecond, 100 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		return NewLinger(), planAt(rtt)
	}, "RST — SO_LINGER Abortive", func(t *testing.T, _ Experiment, _ Plan, res *Result) {
		if res.Metrics["abortive_bytes_received"] >= res.Metrics["abortive_bytes_written"] {
			t.Errorf("abortive close: the peer received %v of %v bytes; nothing was discarded",
				res.Metrics["abortive_bytes_received"], res.Metrics["abortive_bytes_written"])
		}
		if got := res.Metrics["timeout_close_block_ms"]; got < 990 {
			t.Errorf("Timeout(1s) close blocked %.1f ms, want about 1000", got)
		}
	})
}

func TestLingerEffectiveTimeout(t *testing.T) {
	tests := []struct {
		linger, rtt, want time.Duration
	}{
		{time.Second, 40 * time.Millisecond, time.Second},
		{time.Second, 300 * time.Millisecond, time.Second},
		{time.Second, 500 * time.Millisecond, 2 * time.Second}, // 3 RTT = 1.5 s, rounded up
		{1500 * time.Millisecond, 5 * time.Millisecond, 2 * time.Second},
		{0, 5 * time.Millisecond, time.Second}, // SO_LINGER {1,0} would be abortive
	}
	for _, tt := range tests {
		l := &Linger{Linger: tt.linger, Payload: 1}
		p := DefaultPlan()
		p.RTT = tt.rtt
		if got := l.effectiveLinger(p).Duration(); got != tt.want {
			t.Errorf("linger %v at RTT %v: Timeout of %v, want %v", tt.linger, tt.rtt, got, tt.want)
		}
	}
}
