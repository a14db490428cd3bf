package experiment

import (
	"context"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// TestProxyVerdicts runs the proxy experiment at a short and a long RTT
// and requires every check to pass, with the merged capture of both links
// readable by tshark.
func TestProxyVerdicts(t *testing.T) {
	labtest.RequirePriv(t)
	for _, rtt := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			p := DefaultPlan()
			p.RTT = rtt
			p.OutDir = t.TempDir()
			x := NewProxy()
			x.HangTimeout = 700 * time.Millisecond
			start := time.Now()
			res, err := x.Run(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v: ran in %v", rtt, time.Since(start).Round(time.Millisecond))
			requireAllPass(t, res)
			hang := ms(x.effectiveHang(p))
			if got := res.Metrics["dumb_hang_ms"]; got < hang-2 {
				t.Errorf("dumb_hang_ms %.1f shorter than the timeout %.0f", got, hang)
			}
			if got := res.Metrics["smart_second_request_ms"]; got < 2*ms(rtt)*0.9 || got > hang/2 {
				t.Errorf("smart_second_request_ms %.1f, want about 2 RTT", got)
			}
			if res.Metrics["hop_by_hop_forwarded_dumb"] != 3 || res.Metrics["hop_by_hop_forwarded_smart"] != 0 {
				t.Errorf("hop-by-hop fields forwarded: dumb %v, smart %v", res.Metrics["hop_by_hop_forwarded_dumb"], res.Metrics["hop_by_hop_forwarded_smart"])
			}
			labtest.RequireReadablePcap(t, res.Artifacts["pcap"], "the dumb proxy never reads this request")
		})
	}
}
