package experiment

import (
	"testing"
	"time"
)

// TestProxyVerdicts runs the proxy experiment at a short and a long RTT
// and requires every check to pass, with the merged capture of both links
// readable by tshark.
func TestProxyVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 100 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		x := NewProxy()
		x.HangTimeout = 700 * time.Millisecond
		return x, planAt(rtt)
	}, "the dumb proxy never reads this request", func(t *testing.T, e Experiment, p Plan, res *Result) {
		hang := ms(e.(*Proxy).effectiveHang(p))
		if got := res.Metrics["dumb_hang_ms"]; got < hang-2 {
			t.Errorf("dumb_hang_ms %.1f shorter than the timeout %.0f", got, hang)
		}
		if got := res.Metrics["smart_second_request_ms"]; got < 2*ms(p.RTT)*0.9 || got > hang/2 {
			t.Errorf("smart_second_request_ms %.1f, want about 2 RTT", got)
		}
		if res.Metrics["hop_by_hop_forwarded_dumb"] != 3 || res.Metrics["hop_by_hop_forwarded_smart"] != 0 {
			t.Errorf("hop-by-hop fields forwarded: dumb %v, smart %v", res.Metrics["hop_by_hop_forwarded_dumb"], res.Metrics["hop_by_hop_forwarded_smart"])
		}
	})
}
