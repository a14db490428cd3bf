package experiment

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// verdictAttempts is how many times runAttempts runs an experiment whose
// checks fail. Checks that read a clock can fail on a loaded 2-core
// machine through scheduling alone (a client clock off the wire by 100 ms
// once), so a failing run is repeated once; a real defect fails both.
const verdictAttempts = 2

// verdictCheck checks an accepted result beyond its own checks: the
// metrics a test pins, what the experiment e wrote under plan p.
type verdictCheck func(t *testing.T, e Experiment, p Plan, res *Result)

// runVerdicts is the table of an experiment's verdict test: for each RTT, in
// a subtest named after it, requireVerdicts on what mk builds for that RTT.
func runVerdicts(t *testing.T, rtts []time.Duration, mk func(rtt time.Duration) (Experiment, Plan), comment string, also verdictCheck) {
	t.Helper()
	labtest.RequirePriv(t)
	for _, rtt := range rtts {
		t.Run(rtt.String(), func(t *testing.T) {
			requireVerdicts(t, func() (Experiment, Plan) { return mk(rtt) }, comment, also)
		})
	}
}

// requireVerdicts runs the experiment mk builds (runAttempts) and requires
// every check to pass, the checks of also to hold, and the annotated pcapng
// to be read by tshark with a packet comment containing comment.
func requireVerdicts(t *testing.T, mk func() (Experiment, Plan), comment string, also verdictCheck) *Result {
	t.Helper()
	e, p, res := runAttempts(t, mk)
	requireAllPass(t, res)
	if also != nil {
		also(t, e, p, res)
	}
	if res.Artifacts["pcap"] == "" {
		t.Error("no pcap artifact")
	} else {
		labtest.RequireReadablePcap(t, res.Artifacts["pcap"], comment)
	}
	return res
}

// runAttempts runs the experiment mk builds, its plan's OutDir set to a
// fresh temporary directory. A run with a failing check is logged and
// repeated once with a fresh experiment and plan; the second run's result
// is the one returned, whatever its checks say. An error from Run fails
// the test at once.
func runAttempts(t *testing.T, mk func() (Experiment, Plan)) (Experiment, Plan, *Result) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		e, p := mk()
		p.OutDir = t.TempDir()
		start := time.Now()
		res, err := e.Run(context.Background(), p)
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		t.Logf("%s at RTT %v: attempt %d ran in %v", e.Name(), p.RTT, attempt, time.Since(start).Round(time.Millisecond))
		failed := failedChecks(res)
		if len(failed) == 0 || attempt == verdictAttempts {
			return e, p, res
		}
		for _, c := range failed {
			t.Logf("attempt %d: check %s failed: %s\n  expected %s\n  observed %s", attempt, c.Name, c.Claim, c.Expected, c.Observed)
		}
		t.Logf("attempt %d had %d failed check(s): running the experiment again", attempt, len(failed))
	}
}

// failedChecks are r's checks that did not pass.
func failedChecks(r *Result) []Check {
	var failed []Check
	for _, c := range r.Checks {
		if !c.Pass {
			failed = append(failed, c)
		}
	}
	return failed
}

// requireAllPass fails t with every failed check spelled out.
func requireAllPass(t *testing.T, r *Result) {
	t.Helper()
	if len(r.Checks) == 0 {
		t.Fatal("result has no checks")
	}
	for _, c := range failedChecks(r) {
		t.Errorf("check %s failed: %s\n  expected %s\n  observed %s", c.Name, c.Claim, c.Expected, c.Observed)
	}
	if !r.Pass {
		t.Errorf("result does not pass")
	}
}

// requireCheckFails fails t unless r has a check called name and every
// check of that name failed: the check sees the broken witness a unit test
// planted.
func requireCheckFails(t *testing.T, r *Result, name string) {
	t.Helper()
	found := false
	for _, c := range r.Checks {
		if c.Name == name {
			found = true
			if c.Pass {
				t.Errorf("%s passes with a broken witness: %s", name, c.Observed)
			}
		}
	}
	if !found {
		t.Errorf("no check %s", name)
	}
}

// planAt is the default plan at the given RTT.
func planAt(rtt time.Duration) Plan {
	p := DefaultPlan()
	p.RTT = rtt
	return p
}

// scriptedExperiment passes or fails its one check as its script says, one
// entry per run.
type scriptedExperiment struct {
	script []bool
	runs   *int
}

func (x scriptedExperiment) Name() string    { return "scripted" }
func (x scriptedExperiment) Section() string { return "0" }
func (x scriptedExperiment) Title() string   { return "a check that passes as scripted" }
func (x scriptedExperiment) Run(_ context.Context, p Plan) (*Result, error) {
	pass := x.script[*x.runs]
	*x.runs++
	r := NewResult(x, p, nil)
	r.Check("scripted", "C0: as scripted", "pass", fmt.Sprint(pass), pass)
	return r.Finish(), nil
}

// runAttempts runs again only after a failing check, and at most twice.
func TestRunAttempts(t *testing.T) {
	for _, tc := range []struct {
		script   []bool
		runs     int
		wantPass bool
	}{
		{[]bool{true, true}, 1, true},
		{[]bool{false, true}, 2, true},
		{[]bool{false, false, true}, 2, false},
	} {
		runs := 0
		mk := func() (Experiment, Plan) { return scriptedExperiment{tc.script, &runs}, DefaultPlan() }
		_, p, res := runAttempts(t, mk)
		if runs != tc.runs || res.Pass != tc.wantPass {
			t.Errorf("script %v: %d runs, pass %v; want %d runs, pass %v", tc.script, runs, res.Pass, tc.runs, tc.wantPass)
		}
		if p.OutDir == DefaultPlan().OutDir {
			t.Errorf("script %v: the plan kept OutDir %q; want a temporary directory", tc.script, p.OutDir)
		}
	}
}
