package experiment

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// TestTimewaitVerdicts runs the timewait experiment at a short RTT with
// the kernel's reuse delay and at a longer RTT with a shortened one, and
// requires every check to pass, with the annotated capture written.
func TestTimewaitVerdicts(t *testing.T) {
	labtest.RequirePriv(t)
	for _, tc := range []struct {
		rtt, delay time.Duration
	}{
		{5 * time.Millisecond, time.Second},
		{60 * time.Millisecond, 250 * time.Millisecond},
	} {
		t.Run(tc.rtt.String(), func(t *testing.T) {
			p := DefaultPlan()
			p.RTT = tc.rtt
			p.OutDir = t.TempDir()
			tw := NewTimewait()
			tw.ReuseDelay = tc.delay
			var progress strings.Builder
			tw.Progress = &progress
			res, err := tw.Run(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			requireAllPass(t, res)
			if got, want := res.Metrics["connects_before_exhaustion"], res.Metrics["predicted_connects"]; got != want || got != float64(tw.Ports) {
				t.Errorf("%v connects before EADDRNOTAVAIL, predicted %v, range %d", got, want, tw.Ports)
			}
			if got := res.Metrics["pool_ports_used"]; got != float64(tw.PoolConns) {
				t.Errorf("the pool used %v ports, want %d", got, tw.PoolConns)
			}
			if got := res.Metrics["reuse_min_gap_ms"]; got < ms(tc.delay)-3 {
				t.Errorf("a port was reused %.1f ms after its TIME_WAIT began, before tcp_tw_reuse_delay %v", got, tc.delay)
			}
			if progress.Len() != 0 {
				t.Errorf("progress written without WaitExpiry: %q", progress.String())
			}
			labtest.RequireReadablePcap(t, res.Artifacts["pcap"], "fails with EADDRNOTAVAIL")
		})
	}
}

// TestTimewaitValidate rejects parameters the run cannot honour.
func TestTimewaitValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Timewait)
		ok   bool
	}{
		{"defaults", func(*Timewait) {}, true},
		{"odd ports", func(tw *Timewait) { tw.Ports = 15 }, true},
		{"too few ports", func(tw *Timewait) { tw.Ports = 3 }, false},
		{"too many ports", func(tw *Timewait) { tw.Ports = 129 }, false},
		{"pool as large as the range", func(tw *Timewait) { tw.PoolConns = tw.Ports }, false},
		{"no pool", func(tw *Timewait) { tw.PoolConns = 0 }, false},
		{"sub-millisecond delay", func(tw *Timewait) { tw.ReuseDelay = 1500 * time.Microsecond }, false},
		{"delay beyond the kernel's limit", func(tw *Timewait) { tw.ReuseDelay = 61 * time.Second }, false},
	}
	for _, tt := range tests {
		tw := NewTimewait()
		tt.edit(tw)
		if err := tw.validate(); (err == nil) != tt.ok {
			t.Errorf("%s: validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
