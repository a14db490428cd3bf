package experiment

import (
	"fmt"
	"sort"
)

// Result is what an experiment found: the JSON contract of DESIGN.md.
type Result struct {
	Experiment  string             `json:"experiment"`
	Section     string             `json:"section"`
	Title       string             `json:"title"`
	Pass        bool               `json:"pass"`
	Plan        map[string]any     `json:"plan"`
	Env         Env                `json:"env"`
	Model       string             `json:"model"`
	Metrics     map[string]float64 `json:"metrics"`
	Checks      []Check            `json:"checks"`
	Findings    []string           `json:"findings,omitempty"`
	Explanation []string           `json:"explanation,omitempty"`
	Artifacts   map[string]string  `json:"artifacts"`
}

// Env records the machine and the lab the result was measured on.
type Env struct {
	Kernel  string            `json:"kernel"`
	Link    string            `json:"link"`
	CC      string            `json:"cc"`
	Sysctls map[string]string `json:"sysctls"`
}

// Check compares one measurement with the model. Claim starts with the id of
// the claim it tests in CLAIMS.md ("C5: …").
type Check struct {
	Name     string `json:"name"`
	Claim    string `json:"claim"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Pass     bool   `json:"pass"`
}

// NewResult starts a result for e under plan p.
func NewResult(e Experiment, p Plan, params map[string]any) *Result {
	return &Result{
		Experiment: e.Name(),
		Section:    e.Section(),
		Title:      e.Title(),
		Plan:       p.Fields(params),
		Env:        Env{Link: p.Link, CC: p.CC, Sysctls: map[string]string{}},
		Metrics:    map[string]float64{},
		Artifacts:  map[string]string{},
	}
}

// Check appends a check and returns its verdict.
func (r *Result) Check(name, claim, expected, observed string, pass bool) bool {
	r.Checks = append(r.Checks, Check{Name: name, Claim: claim, Expected: expected, Observed: observed, Pass: pass})
	return pass
}

// Metric records a named number (ms, bytes, counts).
func (r *Result) Metric(name string, v float64) { r.Metrics[name] = v }

// boolMetric turns a yes/no reading into a 0/1 metric.
func boolMetric(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Finding records where Linux differs from the book: a finding, not a failure.
func (r *Result) Finding(format string, args ...any) {
	r.Findings = append(r.Findings, fmt.Sprintf(format, args...))
}

// Explain adds a line of explanation for a student.
func (r *Result) Explain(format string, args ...any) {
	r.Explanation = append(r.Explanation, fmt.Sprintf(format, args...))
}

// Finish sets Pass: true only when there is at least one check and every
// check passed.
func (r *Result) Finish() *Result {
	r.Pass = len(r.Checks) > 0
	for _, c := range r.Checks {
		if !c.Pass {
			r.Pass = false
		}
	}
	return r
}

// MetricNames returns the metric names in sorted order.
func (r *Result) MetricNames() []string {
	names := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
