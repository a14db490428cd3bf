package experiment

import (
	"testing"
	"time"
)

// TestRetryVerdicts runs the retry experiment at a short and a long RTT
// and requires every check to pass.
func TestRetryVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 100 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		return NewRetry(), planAt(rtt)
	}, "Linux sends RST", func(t *testing.T, _ Experiment, _ Plan, res *Result) {
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
	})
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
		if err := x.Validate(); err == nil {
			t.Errorf("%+v accepted", x)
		}
	}
	if err := NewRetry().Validate(); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}
