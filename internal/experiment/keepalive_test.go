package experiment

import (
	"testing"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// TestKeepAliveVerdicts runs the keep-alive experiment at a short and a
// long RTT and requires every check to pass, with the annotated capture.
func TestKeepAliveVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 80 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		return NewKeepAlive(), planAt(rtt)
	}, "sat idle for the server's keep-alive timeout", func(t *testing.T, e Experiment, p Plan, res *Result) {
		ka := e.(*KeepAlive)
		if got := res.Metrics["http10_ms"]; got < 0.95*2*float64(ka.Requests)*ms(p.RTT) {
			t.Errorf("http10_ms %.1f: the link does not delay", got)
		}
	})
}

// TestKeepAliveModel pins the sequences' model: a handshake per request
// without keep-alive, one for all with it.
func TestKeepAliveModel(t *testing.T) {
	p := DefaultPlan()
	ka := NewKeepAlive()
	for _, tc := range []struct {
		persistent bool
		rounds     float64
	}{{false, 6}, {true, 4}} {
		m := ka.kaModel(p, tc.persistent)
		if got := m.rttRounds(); got != tc.rounds {
			t.Errorf("persistent=%v: %.2f RTT, want %.0f", tc.persistent, got, tc.rounds)
		}
		if got, want := pageloadModel(m).total, time.Duration(tc.rounds)*p.RTT; got != want {
			t.Errorf("persistent=%v: %v, want %v", tc.persistent, got, want)
		}
	}
}

func TestKeepAliveValidate(t *testing.T) {
	ok := DefaultPlan()
	for _, tc := range []struct {
		name string
		set  func(*KeepAlive, *Plan)
	}{
		{"one request", func(ka *KeepAlive, _ *Plan) { ka.Requests = 1 }},
		{"max 1", func(ka *KeepAlive, _ *Plan) { ka.Max = 1 }},
		{"short timeout", func(ka *KeepAlive, _ *Plan) { ka.Timeout = 100 * time.Millisecond }},
		{"loss", func(_ *KeepAlive, p *Plan) { p.Loss = 0.01 }},
		{"no delay", func(_ *KeepAlive, p *Plan) { p.RTT = 0 }},
		{"timeout within 2 RTT", func(_ *KeepAlive, p *Plan) { p.RTT = 600 * time.Millisecond }},
	} {
		ka, p := NewKeepAlive(), ok
		tc.set(ka, &p)
		if err := ka.validate(p); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if err := NewKeepAlive().validate(ok); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestKaHasToken(t *testing.T) {
	h := httpwire.Header{{Name: "Connection", Value: "Upgrade, Keep-Alive"}, {Name: "connection", Value: " close "}}
	for _, tc := range []struct {
		tok  string
		want bool
	}{{"keep-alive", true}, {"close", true}, {"upgrade", true}, {"keep", false}, {"te", false}} {
		if got := kaHasToken(h, "Connection", tc.tok); got != tc.want {
			t.Errorf("kaHasToken(%q) = %v, want %v", tc.tok, got, tc.want)
		}
	}
	resp := &httpwire.Response{Header: httpwire.Header{{Name: "Connection", Value: "keep-alive"}, {Name: "Keep-Alive", Value: "timeout=1, max=2"}}}
	if got, want := kaHeaders(resp), "Connection: keep-alive, Keep-Alive: timeout=1, max=2"; got != want {
		t.Errorf("kaHeaders = %q, want %q", got, want)
	}
}
