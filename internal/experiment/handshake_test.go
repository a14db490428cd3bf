package experiment

import (
	"testing"
	"time"
)

// TestHandshakeVerdicts runs the handshake experiment at a short and a long
// RTT and requires every check to pass, with the annotated capture written.
func TestHandshakeVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{5 * time.Millisecond, 120 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		h := NewHandshake()
		h.Repeats = 2
		return h, planAt(rtt)
	}, "SYN/ACK — 1 RTT", func(t *testing.T, _ Experiment, p Plan, res *Result) {
		if got := res.Metrics["connect_ms"]; got < ms(p.RTT)*0.9 {
			t.Errorf("connect_ms %.2f is less than the RTT %v: the link does not delay", got, p.RTT)
		}
	})
}
