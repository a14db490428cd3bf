package experiment

import (
	"context"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// TestRetryVerdicts runs the retry experiment at a short and a long RTT
// and requires every check to pass.
func TestRetryVerdicts(t *testing.T) {
	labtest.RequirePriv(t)
	for _, rtt := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			p := DefaultPlan()
			p.RTT = rtt
			p.OutDir = t.TempDir()
			x := NewRetry()
			start := time.Now()
			res, err := x.Run(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v: ran in %v", rtt, time.Since(start).Round(time.Millisecond))
			requireAllPass(t, res)
			want := map[string]float64{
				"post_executions_safe":      1,
				"post_executions_retry_all": 2,
				"truncated_detected":        2,
				"connections_pipeline":      3,
				"retries_pipeline":          6,
			}
			for k, v := range want {
				if got := res.Metrics[k]; got != v {
					t.Errorf("%s = %v, want %v", k, got, v)
				}
			}
			labtest.RequireReadablePcap(t, res.Artifacts["pcap"], "Linux sends RST")
		})
	}
}

// Bad parameters are refused before any lab is built.
func TestRetryValidate(t *testing.T) {
	for _, x := range []Retry{
		{Requests: 2, CloseAfter: 2, Size: 100, Short: 10},
		{Requests: 6, CloseAfter: 1, Size: 100, Short: 10},
		{Requests: 6, CloseAfter: 6, Size: 100, Short: 10},
		{Requests: 6, CloseAfter: 2, Size: 100, Short: 100},
		{Requests: 6, CloseAfter: 2, Size: 100, Short: 0},
	} {
		if err := x.validate(); err == nil {
			t.Errorf("%+v accepted", x)
		}
	}
	if err := NewRetry().validate(); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}
