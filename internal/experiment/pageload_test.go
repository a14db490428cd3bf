package experiment

import (
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/internal/peer"
)

// TestPageLoadVerdicts runs the page-load experiment at a short and a long
// RTT and requires every check to pass, with both captures and the
// waterfalls written.
func TestPageLoadVerdicts(t *testing.T) {
	type size struct{ objects, conns, bwBytes int }
	sizes := map[time.Duration]size{
		10 * time.Millisecond: {8, 4, 0},
		80 * time.Millisecond: {6, 3, 32 << 10}, // a smaller page keeps the long RTT's run short
	}
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 80 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		s := sizes[rtt]
		pl := NewPageLoad()
		pl.Objects, pl.Parallel, pl.BandwidthSize = s.objects, s.conns, s.bwBytes
		return pl, planAt(rtt)
	}, "page complete", func(t *testing.T, e Experiment, p Plan, res *Result) {
		pl := e.(*PageLoad)
		if got, min := res.Metrics["serial_ms"], 0.95*2*float64(pl.Objects+1)*ms(p.RTT); got < min {
			t.Errorf("serial_ms %.1f < %.1f: the link does not delay", got, min)
		}
		if got := res.Metrics["bandwidth_transfer_ms"]; got < 500 {
			t.Errorf("bandwidth_transfer_ms %.1f: the bandwidth-bound round is not bandwidth-bound", got)
		}
		k := pl.Parallel
		labtest.RequireReadablePcap(t, res.Artifacts["pcap_bandwidth"],
			fmt.Sprintf("bandwidth round, persistent-parallel-%d #1: SYN of connection %d of %d", k, k, k))
		n := 0
		for k, path := range res.Artifacts {
			if !strings.HasPrefix(k, "waterfall_") {
				continue
			}
			n++
			requireSVG(t, path, "/obj/0", "receive")
		}
		if n != 10 {
			t.Errorf("%d waterfalls, want 10 (5 strategies × 2 rounds)", n)
		}
	})
}

// requireSVG checks that path is well-formed XML holding every string of want.
func requireSVG(t *testing.T, path string, want ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("%s is not well-formed XML: %v", path, err)
			}
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s lacks %q", path, w)
		}
	}
}

func plTestParams(m peer.Mode, n, k, size int) plModelParams {
	return plModelParams{mode: m, conns: k, objects: n, docBytes: plDocBytes(n, size), objBytes: size + plRespHdrB, rtt: 40 * time.Millisecond}
}

// TestPageLoadModelRounds pins the model's round trips at an unlimited rate
// against the counts worked out by hand.
func TestPageLoadModelRounds(t *testing.T) {
	for _, tc := range []struct {
		mode      peer.Mode
		n, k      int
		size      int
		rounds    float64
		conns     int
		rationale string
	}{
		{peer.SerialNew, 8, 4, 2048, 18, 9, "2 RTT per resource"},
		{peer.ParallelNew, 8, 4, 2048, 6, 9, "document 2 + 2 waves × 2"},
		{peer.PersistentSerial, 8, 4, 2048, 10, 1, "document 2 + 1 per object"},
		{peer.PersistentParallel, 8, 4, 2048, 5, 4, "document 2 + a wave with 3 handshakes (2) + 1"},
		{peer.Pipelined, 8, 4, 2048, 4, 1, "document 2 + 1, + 1: 16 packets exceed the initial window"},
		{peer.Pipelined, 4, 4, 2048, 3, 1, "document 2 + 1: 8 packets fit the initial window"},
		{peer.PersistentParallel, 3, 4, 2048, 4, 3, "only 3 objects: 3 connections, one wave"},
		{peer.SerialNew, 8, 4, 32 << 10, 26, 9, "23 packets a response: 10 + 13, one extra round each"},
		{peer.PersistentSerial, 8, 4, 32 << 10, 11, 1, "the window grows to 20 on the first object, later ones fit"},
	} {
		p := plTestParams(tc.mode, tc.n, tc.k, tc.size)
		if got := p.rttRounds(); got != tc.rounds {
			t.Errorf("%s N=%d k=%d %d B: %.2f RTT, want %.0f (%s)", tc.mode, tc.n, tc.k, tc.size, got, tc.rounds, tc.rationale)
		}
		if got := pageloadModel(p).conns; got != tc.conns {
			t.Errorf("%s N=%d k=%d: %d connections, want %d", tc.mode, tc.n, tc.k, got, tc.conns)
		}
	}
}

// TestPageLoadModelRate checks the model on a slow link: serial loading is
// exactly the sum of its parts, no strategy beats the link, and the order
// of the strategies is the one the experiment's checks expect.
func TestPageLoadModelRate(t *testing.T) {
	const n, k, size, rate = 8, 4, 32 << 10, 2_000_000
	rtt := 40 * time.Millisecond
	total := map[peer.Mode]time.Duration{}
	for _, m := range []peer.Mode{peer.SerialNew, peer.ParallelNew, peer.PersistentSerial, peer.PersistentParallel, peer.Pipelined} {
		p := plTestParams(m, n, k, size)
		p.rateBps = rate
		md := pageloadModel(p)
		total[m] = md.total
		if tx := p.transferTime(); md.total < tx {
			t.Errorf("%s: %v is below the transfer time %v", m, md.total, tx)
		}
		for i := range md.done {
			if md.first[i] > md.done[i] || md.first[i] <= 0 {
				t.Errorf("%s: request %d first byte %v, done %v", m, i, md.first[i], md.done[i])
			}
		}
	}
	// Serial: per resource a handshake (two 60-byte packets), a request
	// (80 + 52 bytes up), the response at the rate, and the delay; the
	// window never idles (10 packets take longer than the RTT at 2 Mbit/s).
	tx := func(b int) time.Duration { return time.Duration(float64(b) * 8 / rate * float64(time.Second)) }
	wire := func(size int) int { return size + plHeaderB*((size+plMSS-1)/plMSS) }
	per := func(size int) time.Duration {
		return 2*rtt + 2*tx(plSYNBytes) + tx(plReqBytes+plHeaderB) + tx(wire(size))
	}
	want := per(plDocBytes(n, size)) + n*per(size+plRespHdrB)
	if d := total[peer.SerialNew] - want; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("serial %v, want %v (sum of its parts)", total[peer.SerialNew], want)
	}
	if !(total[peer.SerialNew] > total[peer.PersistentSerial] && total[peer.PersistentSerial] > total[peer.ParallelNew] &&
		total[peer.ParallelNew] > total[peer.PersistentParallel]) {
		t.Errorf("order on the slow link: %v", total)
	}
}

func TestPlAutoSize(t *testing.T) {
	for _, tc := range []struct {
		rtt  time.Duration
		rate int64
		want int
	}{
		{40 * time.Millisecond, 2_000_000, 32 << 10},
		{300 * time.Millisecond, 2_000_000, 155648}, // 150 000 rounded up to 8 KiB
		{80 * time.Millisecond, 2_000_000, 40960},
		{5 * time.Millisecond, 100_000_000, 131072}, // 125 000 → 128 KiB
	} {
		if got := plAutoSize(tc.rtt, tc.rate); got != tc.want {
			t.Errorf("plAutoSize(%v, %d) = %d, want %d", tc.rtt, tc.rate, got, tc.want)
		}
	}
}

func TestPlSecondPcap(t *testing.T) {
	for in, want := range map[string]string{
		"out/pageload.pcapng": "out/pageload-bandwidth.pcapng",
		"x":                   "x-bandwidth",
		"dir.v1/capture":      "dir.v1/capture-bandwidth",
		"/tmp/a.b/c.pcap":     "/tmp/a.b/c-bandwidth.pcap",
	} {
		if got := plSecondPcap(in); got != want {
			t.Errorf("plSecondPcap(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPageLoadValidate rejects what the experiment cannot honour.
func TestPageLoadValidate(t *testing.T) {
	ok := DefaultPlan()
	for _, tc := range []struct {
		name string
		set  func(*PageLoad, *Plan)
	}{
		{"one object", func(pl *PageLoad, _ *Plan) { pl.Objects = 1 }},
		{"one connection", func(pl *PageLoad, _ *Plan) { pl.Parallel = 1 }},
		{"negative repeats", func(pl *PageLoad, _ *Plan) { pl.Repeats = -1 }},
		{"no delay", func(_ *PageLoad, p *Plan) { p.RTT = time.Millisecond }},
		{"fast rate", func(_ *PageLoad, p *Plan) { p.RateBps = 1_000_000_000 }},
		{"loss", func(_ *PageLoad, p *Plan) { p.Loss = 0.01 }},
		{"tiny bandwidth objects", func(pl *PageLoad, _ *Plan) { pl.BandwidthSize = 1024 }},
		{"huge page", func(pl *PageLoad, p *Plan) { pl.Objects = 64; p.RTT = time.Second; p.RateBps = 100_000_000 }},
	} {
		pl, p := NewPageLoad(), ok
		tc.set(pl, &p)
		if err := pl.validate(p); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	for _, rtt := range []time.Duration{5 * time.Millisecond, 40 * time.Millisecond, 300 * time.Millisecond} {
		p := ok
		p.RTT = rtt
		if err := NewPageLoad().validate(p); err != nil {
			t.Errorf("defaults at %v: %v", rtt, err)
		}
	}
}

// TestPageloadLinksServerPage reads the server's own page.
func TestPageloadLinksServerPage(t *testing.T) {
	rep := peer.Objects(&httpwire.Request{Method: "GET", Target: plDocTarget(8, 2048), Major: 1, Minor: 1})
	got, want := pageloadLinks(rep.Body), peer.PageTargets(8, 2048)
	if !slices.Equal(got, want) {
		t.Errorf("links %q, want %q", got, want)
	}
	if plDocBytes(8, 2048) != len(rep.Body)+plRespHdrB {
		t.Error("plDocBytes does not follow the server's page")
	}
}

func TestPageloadLinks(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		{`<img src="/a"><img src='/b'> <script src=/c></script>`, []string{"/a", "/b", "/c"}},
		{`<img data-src="/no"> <img src="">`, nil},
		{"<img\tsrc=\"/tab\">\n<x\nsrc=/nl>", []string{"/tab", "/nl"}},
		{`src="/start-of-document-is-not-an-attribute"`, nil},
		{`<img src="/unterminated`, nil},
		{`<img src=`, nil},
		{`<img src=/x`, []string{"/x"}},
	} {
		if got := pageloadLinks([]byte(tc.doc)); !slices.Equal(got, tc.want) {
			t.Errorf("pageloadLinks(%q) = %q, want %q", tc.doc, got, tc.want)
		}
	}
}

func FuzzPageloadLinks(f *testing.F) {
	f.Add([]byte(`<img src="/a"><img src='/b'> <script src=/c></script>`))
	f.Add([]byte("<img src=\"\x00\">"))
	f.Add([]byte(" src='"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, l := range pageloadLinks(doc) {
			if l == "" || !strings.Contains(string(doc), l) {
				t.Fatalf("link %q is empty or not in the document", l)
			}
		}
	})
}

// TestPlWaterfall turns Timing records into bars with the right phases.
func TestPlWaterfall(t *testing.T) {
	t0 := time.Now()
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	ts := []peer.Timing{
		// completion order, as the client records them
		{Target: "/obj/1?size=1", Conn: 1, Queued: at(0), Written: at(50), FirstByte: at(90), Done: at(95), Reused: true},
		{Target: "/page?objects=1", Conn: 1, Queued: at(0), ConnStart: at(0), Connected: at(40), Written: at(40), FirstByte: at(80), Done: at(82)},
	}
	w := plWaterfall(ts, t0)
	if len(w.Bars) != 2 || !strings.HasPrefix(w.Bars[0].Label, "/page") || !strings.HasPrefix(w.Bars[1].Label, "/obj/1 ") {
		t.Fatalf("bars %+v", w.Bars)
	}
	var kinds []string
	for _, ph := range w.Bars[1].Phases {
		kinds = append(kinds, ph.Kind)
	}
	if !slices.Equal(kinds, []string{"blocked", "wait", "receive"}) {
		t.Errorf("reused request phases %v", kinds)
	}
	if ph := w.Bars[0].Phases[0]; ph.Kind != "connect" || math.Abs(ph.End-40) > 1e-9 {
		t.Errorf("first phase %+v, want connect 0–40 ms", ph)
	}
}
