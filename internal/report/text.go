package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tcplab/tcplab/internal/experiment"
)

// Text writes one result for a person: the claim and its section, the plan,
// the model, what was measured, each check with its verdict, where Linux
// differs from the book, a short explanation, and the artifacts.
func Text(w io.Writer, r *experiment.Result) error {
	tw := &textWriter{w: w}
	tw.printf("== %s  (§%s) %s\n", r.Experiment, r.Section, r.Title)
	tw.printf("plan:   %s\n", planLine(r.Plan))
	tw.printf("env:    kernel %s, link %s, cc %s\n", orDash(r.Env.Kernel), orDash(r.Env.Link), orDash(r.Env.CC))
	if r.Model != "" {
		tw.printf("model:  %s\n", wrap(r.Model, 8))
	}
	if len(r.Metrics) > 0 {
		tw.printf("measured:\n")
		for _, name := range r.MetricNames() {
			tw.printf("  %-28s %s\n", name, formatNumber(r.Metrics[name]))
		}
	}
	tw.printf("checks:\n")
	passed := 0
	for _, c := range r.Checks {
		mark := "FAIL"
		if c.Pass {
			mark = "pass"
			passed++
		}
		tw.printf("  [%s] %s — %s\n", mark, c.Name, c.Claim)
		tw.printf("         expected: %s\n", c.Expected)
		tw.printf("         observed: %s\n", c.Observed)
	}
	if len(r.Findings) > 0 {
		tw.printf("where Linux differs from the book:\n")
		for _, f := range r.Findings {
			tw.printf("  - %s\n", wrap(f, 4))
		}
	}
	if len(r.Explanation) > 0 {
		tw.printf("why:\n")
		for _, e := range r.Explanation {
			tw.printf("  %s\n", wrap(e, 2))
		}
	}
	if len(r.Artifacts) > 0 {
		keys := make([]string, 0, len(r.Artifacts))
		for k := range r.Artifacts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw.printf("artifacts:\n")
		for _, k := range keys {
			tw.printf("  %-10s %s\n", k, r.Artifacts[k])
		}
	}
	verdict := "FAIL"
	if r.Pass {
		verdict = "PASS"
	}
	tw.printf("verdict: %s (%d of %d checks passed)\n\n", verdict, passed, len(r.Checks))
	return tw.err
}

// Summary writes the table `tcplab all` ends with: one line per experiment.
func Summary(w io.Writer, rs []*experiment.Result, failed map[string]string) error {
	tw := &textWriter{w: w}
	tw.printf("%-11s %-6s %-7s %s\n", "experiment", "§", "verdict", "checks")
	for _, r := range rs {
		passed := 0
		for _, c := range r.Checks {
			if c.Pass {
				passed++
			}
		}
		verdict := "FAIL"
		if r.Pass {
			verdict = "PASS"
		}
		tw.printf("%-11s %-6s %-7s %d/%d\n", r.Experiment, r.Section, verdict, passed, len(r.Checks))
	}
	names := make([]string, 0, len(failed))
	for n := range failed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		tw.printf("%-11s %-6s %-7s %s\n", n, "", "NOT RUN", failed[n])
	}
	return tw.err
}

type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

func planLine(plan map[string]any) string {
	keys := make([]string, 0, len(plan))
	for k := range plan {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, plan[k]))
	}
	return strings.Join(parts, " ")
}

func formatNumber(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.3f", v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// wrap folds s at about 100 columns, indenting continuation lines.
func wrap(s string, indent int) string {
	const width = 100
	words := strings.Fields(s)
	var b strings.Builder
	col := indent
	for i, w := range words {
		if i > 0 {
			if col+1+len(w) > width {
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}
