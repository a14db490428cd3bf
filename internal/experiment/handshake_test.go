package experiment

import (
	"context"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// TestHandshakeVerdicts runs the handshake experiment at a short and a long
// RTT and requires every check to pass, with the annotated capture written.
func TestHandshakeVerdicts(t *testing.T) {
	labtest.RequirePriv(t)
	for _, rtt := range []time.Duration{5 * time.Millisecond, 120 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			p := DefaultPlan()
			p.RTT = rtt
			p.OutDir = t.TempDir()
			h := NewHandshake()
			h.Repeats = 2
			res, err := h.Run(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			requireAllPass(t, res)
			if got := res.Metrics["connect_ms"]; got < float64(rtt)/1e6*0.9 {
				t.Errorf("connect_ms %.2f is less than the RTT %v: the link does not delay", got, rtt)
			}
			if res.Artifacts["pcap"] == "" {
				t.Error("no pcap artifact")
			}
			labtest.RequireReadablePcap(t, res.Artifacts["pcap"], "SYN/ACK — 1 RTT")
		})
	}
}

// requireAllPass fails t with every failed check spelled out.
func requireAllPass(t *testing.T, r *Result) {
	t.Helper()
	if len(r.Checks) == 0 {
		t.Fatal("result has no checks")
	}
	for _, c := range r.Checks {
		if !c.Pass {
			t.Errorf("check %s failed: %s\n  expected %s\n  observed %s", c.Name, c.Claim, c.Expected, c.Observed)
		}
	}
	if !r.Pass {
		t.Errorf("result does not pass")
	}
}
