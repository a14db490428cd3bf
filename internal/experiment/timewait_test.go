package experiment

import (
	"strings"
	"testing"
	"time"
)

// TestTimewaitVerdicts runs the timewait experiment at a short RTT with
// the kernel's reuse delay, waiting for the first TIME_WAIT entry to expire
// (a minute), and at a longer RTT with a shortened delay, and requires
// every check to pass, with the annotated capture written.
func TestTimewaitVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{5 * time.Millisecond, 60 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		tw := NewTimewait()
		if rtt > 5*time.Millisecond {
			tw.ReuseDelay = 250 * time.Millisecond
		} else {
			tw.WaitExpiry = true
		}
		tw.Progress = &strings.Builder{}
		return tw, planAt(rtt)
	}, "fails with EADDRNOTAVAIL", func(t *testing.T, e Experiment, _ Plan, res *Result) {
		tw := e.(*Timewait)
		if got, want := res.Metrics["connects_before_exhaustion"], res.Metrics["predicted_connects"]; got != want || got != float64(tw.Ports) {
			t.Errorf("%v connects before EADDRNOTAVAIL, predicted %v, range %d", got, want, tw.Ports)
		}
		if got := res.Metrics["pool_ports_used"]; got != float64(tw.PoolConns) {
			t.Errorf("the pool used %v ports, want %d", got, tw.PoolConns)
		}
		if got := res.Metrics["reuse_min_gap_ms"]; got < ms(tw.ReuseDelay)-3 {
			t.Errorf("a port was reused %.1f ms after its TIME_WAIT began, before tcp_tw_reuse_delay %v", got, tw.ReuseDelay)
		}
		// TIME_WAIT must ignore RSTs, or loopback reordering frees a port
		// now and then (see drive).
		if got := res.Env.Sysctls["client:net.ipv4.tcp_rfc1337"]; got != "1" {
			t.Errorf("client tcp_rfc1337 = %q in env, want 1", got)
		}
		if got := res.Metrics["loopback_connects_before_exhaustion"]; got != float64(tw.Ports) {
			t.Errorf("%v loopback connects before EADDRNOTAVAIL, want %d (the range)", got, tw.Ports)
		}
		progress := tw.Progress.(*strings.Builder)
		if !tw.WaitExpiry {
			if progress.Len() != 0 {
				t.Errorf("progress written without WaitExpiry: %q", progress.String())
			}
			return
		}
		// The entry lives 60 s plus the timer wheel's rounding (see the
		// timewait-expires check, which passed).
		if got, ok := res.Metrics["timewait_expiry_s"]; !ok || got < 59.8 || got > 62.5 {
			t.Errorf("TIME_WAIT expired after %v s (present %v), want 59.8–62.5", got, ok)
		}
		if lines := strings.Count(progress.String(), "\n"); lines < 10 {
			t.Errorf("%d progress lines while waiting a minute for the expiry, want one every 5 s: %q", lines, progress.String())
		}
	})
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
		if err := tw.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
