package experiment

import (
	"bytes"
	"testing"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/sockopt"
	"golang.org/x/sys/unix"
)

// closeGoodRuns builds the three runs as a correct Linux behaves; each
// test case then breaks one witness.
func closeGoodRuns() []*closeRun {
	at := func(i int) *analyze.Segment { return &analyze.Segment{Index: i} }
	const total = 1000
	req2 := bytes.Repeat([]byte{'r'}, 48)
	hc := &closeRun{mode: modeHalfClose, responseLength: total, requests: [][]byte{[]byte("GET")},
		srv: closeServerSide{responseSent: total, stateAfterEOF: sockopt.StateCloseWait},
		cli: closeClientSide{stateAfterShutdown: sockopt.StateFinWait2, responseReceived: total, eof: true, complete: true, timeWait: 1},
		wire: closeWire{found: true, clientFIN: at(2), firstData: at(3), lastData: at(5), serverFIN: at(5),
			serverBytes: total, serverFINs: 1, closer: "client"}}
	rs := &closeRun{mode: modeReset, responseLength: total, requests: [][]byte{[]byte("GET"), req2},
		srv: closeServerSide{responseSent: total, unreadAtClose: 48, abortOnClose: 1, notsentAtClose: 600},
		cli: closeClientSide{errno: unix.ECONNRESET, stateBeforeRead: sockopt.StateClose, responseReceived: 400,
			paused: true, inqBeforeRead: 400, infoBeforeRead: 400},
		wire: closeWire{found: true, firstData: at(3), lastData: at(4), serverRST: at(5), serverRSTs: 1,
			serverBytes: 400, inOrder: 400, closer: "server"}}
	gr := &closeRun{mode: modeGraceful, responseLength: total, requests: [][]byte{[]byte("GET"), req2},
		srv: closeServerSide{responseSent: total, drained: 48, drainEOF: true, timeWait: 1},
		cli: closeClientSide{responseReceived: total, eof: true, complete: true, paused: true},
		wire: closeWire{found: true, firstData: at(3), lastData: at(4), serverFIN: at(4), clientFIN: at(6),
			serverBytes: total, serverFINs: 1, closer: "server"}}
	return []*closeRun{hc, rs, gr}
}

// TestCloseChecksCanFail shows every check passing on a correct run and the
// named check failing when one witness says otherwise.
func TestCloseChecksCanFail(t *testing.T) {
	r := &Result{Metrics: map[string]float64{}}
	NewClose().check(r, DefaultPlan(), closeGoodRuns(), 0)
	for _, c := range r.Checks {
		if !c.Pass {
			t.Fatalf("good runs: %s fails: %s", c.Name, c.Observed)
		}
	}
	for _, tc := range []struct {
		check string
		mut   func(hc, rs, gr *closeRun)
	}{
		{"halfclose-client-fin-first", func(hc, _, _ *closeRun) { hc.wire.clientFIN = &analyze.Segment{Index: 9} }},
		{"halfclose-response-complete", func(hc, _, _ *closeRun) { hc.cli.responseReceived, hc.cli.eof = 600, false }},
		{"halfclose-first-closer-holds-timewait", func(hc, _, _ *closeRun) { hc.cli.timeWait = 0 }},
		{"reset-rst-on-unread", func(_, rs, _ *closeRun) { rs.wire.serverRSTs, rs.wire.serverFINs = 0, 1 }},
		{"reset-rst-on-unread", func(_, rs, _ *closeRun) { rs.srv.abortOnClose = 0 }},
		{"reset-peer-gets-econnreset", func(_, rs, _ *closeRun) { rs.cli.errno, rs.cli.eof = 0, true }},
		{"reset-response-lost", func(_, rs, _ *closeRun) { rs.cli.responseReceived = 1000 }},
		{"reset-response-lost", func(_, rs, _ *closeRun) { rs.wire.dataAfterRST = 1 }},
		{"reset-data-arrived-before-rst", func(_, rs, _ *closeRun) { rs.cli.inqBeforeRead = 0 }},
		{"graceful-no-rst", func(_, _, gr *closeRun) { gr.wire.serverRSTs = 1 }},
		{"graceful-no-rst", func(_, _, gr *closeRun) { gr.srv.drainEOF = false }},
		{"graceful-delivers-everything", func(_, _, gr *closeRun) { gr.cli.responseReceived = 400 }},
	} {
		runs := closeGoodRuns()
		tc.mut(runs[0], runs[1], runs[2])
		r := &Result{Metrics: map[string]float64{}}
		NewClose().check(r, DefaultPlan(), runs, 0)
		requireCheckFails(t, r, tc.check)
	}
}
