package experiment

import (
	"fmt"
	"testing"
)

func TestRtPipelineModel(t *testing.T) {
	cases := []struct {
		n, k int
		want string
	}{
		{6, 2, "[[0 1 2 3 4 5] [2 3 4 5] [4 5]]"},
		{5, 2, "[[0 1 2 3 4] [2 3 4] [4]]"},
		{7, 3, "[[0 1 2 3 4 5 6] [3 4 5 6] [6]]"},
		{3, 5, "[[0 1 2]]"},
		{0, 2, "[]"},
	}
	for _, tc := range cases {
		if got := fmt.Sprint(rtPipelineModel(tc.n, tc.k)); got != tc.want {
			t.Errorf("rtPipelineModel(%d, %d) = %s, want %s", tc.n, tc.k, got, tc.want)
		}
	}
}

func TestRtScriptModel(t *testing.T) {
	steps := (&Retry{Size: 100, Short: 10}).steps()
	cases := []struct {
		name      string
		retryAll  bool
		max       int
		execs     string
		conns     string
		succeeded string
	}{
		{"safe", false, 3, "[1 2 1 1 1]", "[[0 1] [1 2] [3 4]]", "[true true false true false]"},
		{"retry-all", true, 3, "[1 2 2 1 2]", "[[0 1] [1 2] [2 3 4] [4]]", "[true true true true true]"},
		{"no retries", true, 1, "[1 1 1 1 1]", "[[0 1] [2] [3 4]]", "[true false false true false]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outs, conns := rtScriptModel(steps, tc.retryAll, tc.max)
			var execs []int
			var ok []bool
			for _, o := range outs {
				if o.execs != o.attempts {
					t.Errorf("%+v: every attempt is executed once", o)
				}
				execs, ok = append(execs, o.execs), append(ok, o.ok)
			}
			if got := fmt.Sprint(execs); got != tc.execs {
				t.Errorf("executions %s, want %s", got, tc.execs)
			}
			if got := fmt.Sprint(conns); got != tc.conns {
				t.Errorf("connections %s, want %s", got, tc.conns)
			}
			if got := fmt.Sprint(ok); got != tc.succeeded {
				t.Errorf("succeeded %s, want %s", got, tc.succeeded)
			}
		})
	}
}
