package experiment

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/internal/netlab"
)

// TestFastOpenVerdicts runs the tfo experiment at a short and a long RTT and
// requires every check to pass, with both annotated captures written.
func TestFastOpenVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 150 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		return NewFastOpen(), planAt(rtt)
	}, "asks for a cookie: TFO option (kind 34) empty", func(t *testing.T, x Experiment, p Plan, res *Result) {
		e, rtt := x.(*FastOpen), p.RTT
		if got := res.Metrics["cookie_len"]; got != 8 {
			t.Errorf("cookie_len %v, want Linux's 8", got)
		}
		if got, want := res.Metrics["syn_data_bytes"], res.Metrics["request_bytes"]; got != want || got < 40 {
			t.Errorf("syn_data_bytes %v, want the request's %v", got, want)
		}
		if got := res.Metrics["ttfb_plain_ms"]; got < 2*ms(rtt)*0.95 {
			t.Errorf("ttfb_plain_ms %.2f is less than 2 RTT: the link does not delay", got)
		}
		if got := res.Metrics["ttfb_tfo_ms"]; got < ms(rtt)*0.95 || got > 2*ms(rtt) {
			t.Errorf("ttfb_tfo_ms %.2f, want about 1 RTT = %v", got, rtt)
		}
		labtest.RequireReadablePcap(t, res.Artifacts["pcap_server"], "answered in the server's first flight")
		requireTsharkSYNData(t, res.Artifacts["pcap"], int(res.Metrics["request_bytes"]), e.Connections-1)
	})
}

// requireTsharkSYNData decodes the capture with tshark, a decoder
// independent of internal/analyze: exactly n SYNs carry data, each
// want bytes and an 8-byte TFO cookie.
func requireTsharkSYNData(t *testing.T, path string, want, n int) {
	t.Helper()
	labtest.RequireTool(t, "tshark")
	out, err := exec.Command("tshark", "-r", path, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.len > 0",
		"-T", "fields", "-e", "tcp.len", "-e", "tcp.options.tfo.cookie").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) != 2*n {
		t.Fatalf("tshark shows %d fields for SYNs with data, want %d SYNs: %q", len(lines), n, out)
	}
	for i := 0; i < len(lines); i += 2 {
		if l, _ := strconv.Atoi(lines[i]); l != want {
			t.Errorf("tshark: SYN with %s data bytes, want %d", lines[i], want)
		}
		if c := strings.ReplaceAll(lines[i+1], ":", ""); len(c) != 16 {
			t.Errorf("tshark: SYN cookie %q, want 8 bytes", lines[i+1])
		}
	}
}

// TestFastOpenUnavailable: a lab whose server lacks the Server bit of
// net.ipv4.tcp_fastopen cannot run the experiment, and says so.
func TestFastOpenUnavailable(t *testing.T) {
	labtest.RequirePriv(t)
	p := DefaultPlan()
	p.RTT = 2 * time.Millisecond
	p.OutDir = t.TempDir()
	b, err := Setup(context.Background(), "tfo-off", p, netlab.ClientServer, map[string]string{"net.ipv4.tcp_fastopen": "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = requireFastOpen(b)
	var u *Unavailable
	if !errors.As(err, &u) || !strings.Contains(u.Reason, "Server (0x2)") {
		t.Fatalf("requireFastOpen = %v, want *Unavailable naming the Server bit", err)
	}
}

func TestFastOpenValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*FastOpen)
		ok   bool
	}{
		{"defaults", func(*FastOpen) {}, true},
		{"two connections", func(e *FastOpen) { e.Connections = 2 }, true},
		{"one connection", func(e *FastOpen) { e.Connections = 1 }, false},
		{"too many", func(e *FastOpen) { e.Connections = 51 }, false},
		{"empty response", func(e *FastOpen) { e.ResponseBytes = 0 }, true},
		{"negative response", func(e *FastOpen) { e.ResponseBytes = -1 }, false},
		{"qlen 0", func(e *FastOpen) { e.QueueLen = 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewFastOpen()
			tc.edit(e)
			if err := e.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestTFOStyleOf(t *testing.T) {
	for k, want := range map[int]tfoStyle{1: tfoStyleConnect, 2: tfoStyleSendto, 3: tfoStyleConnect, 4: tfoStyleSendto} {
		if got := tfoStyleOf(k); got != want {
			t.Errorf("tfoStyleOf(%d) = %v, want %v", k, got, want)
		}
	}
	// Whatever the count, connections 2…N use both styles once N ≥ 3.
	seen := map[tfoStyle]bool{}
	for k := 2; k <= 3; k++ {
		seen[tfoStyleOf(k)] = true
	}
	if !seen[tfoStyleConnect] || !seen[tfoStyleSendto] {
		t.Errorf("connections 2 and 3 use %v, want both styles", seen)
	}
}

func TestTFOModel(t *testing.T) {
	for _, rtt := range []float64{5, 40, 300} {
		plain, first, fast, saved := tfoModel(rtt)
		if plain != 2*rtt || first != plain || fast != rtt || saved != plain-fast {
			t.Errorf("tfoModel(%v) = %v %v %v %v", rtt, plain, first, fast, saved)
		}
		// The saving check must tell "one RTT saved" from "nothing saved"
		// at every RTT the experiment supports, and allow a few ticks.
		if tol := tfoTolerance(rtt); tol >= rtt || tol < 3 {
			t.Errorf("tfoTolerance(%v) = %v", rtt, tol)
		}
	}
}

func TestTFONetwork(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		w    tfoWireConn
		want time.Duration
	}{
		{"plain", tfoWireConn{handshake: true, srvFound: true, ttfb: 85 * ms, think: 2 * ms, serverTime: 3 * ms}, 80 * ms},
		{"fast open", tfoWireConn{handshake: true, srvFound: true, ttfb: 41 * ms, serverTime: ms}, 40 * ms},
	} {
		if got := tc.w.network(); got != tc.want || !tc.w.timed() {
			t.Errorf("%s: network() = %v (timed %v), want %v", tc.name, got, tc.w.timed(), tc.want)
		}
	}
	if (tfoWireConn{handshake: true, ttfb: ms}).timed() {
		t.Error("timed() without the server-side flow")
	}
}

func TestTFOServerPcapPath(t *testing.T) {
	for in, want := range map[string]string{
		"out/tfo.pcapng": "out/tfo-server.pcapng",
		"x/capture":      "x/capture-server.pcapng",
	} {
		if got := tfoServerPcapPath(in); got != want {
			t.Errorf("tfoServerPcapPath(%q) = %q, want %q", in, got, want)
		}
	}
}

const netstatSample = "TcpExt: SyncookiesSent TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd\n" +
	"TcpExt: 0 4 0 3 1 0 2\n" +
	"IpExt: InNoRoutes\n" +
	"IpExt: 0\n"

func TestTFOParseTcpExt(t *testing.T) {
	got, err := tfoParseTcpExt(netstatSample, tfoCounterNames)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"TCPFastOpenActive": 4, "TCPFastOpenPassive": 3, "TCPFastOpenPassiveFail": 1, "TCPFastOpenCookieReqd": 2}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"no TcpExt", "IpExt: A\nIpExt: 1\n"},
		{"missing counter", "TcpExt: TCPFastOpenActive\nTcpExt: 1\n"},
		{"count mismatch", strings.Replace(netstatSample, " 2\n", "\n", 1)},
		{"not a number", strings.Replace(netstatSample, " 4 ", " x ", 1)},
	} {
		if _, err := tfoParseTcpExt(tc.text, tfoCounterNames); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func FuzzTFOParseTcpExt(f *testing.F) {
	f.Add(netstatSample)
	f.Add("TcpExt: a b\nTcpExt: 1\n")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := tfoParseTcpExt(text, []string{"TCPFastOpenActive"})
		if err == nil && len(got) != 1 {
			t.Fatalf("no error but %d counters", len(got))
		}
	})
}

func TestTFOCountersDelta(t *testing.T) {
	before := tfoCounters{client: map[string]int64{"TCPFastOpenActive": 2}, server: map[string]int64{"TCPFastOpenPassive": 1}}
	after := tfoCounters{client: map[string]int64{"TCPFastOpenActive": 6}, server: map[string]int64{"TCPFastOpenPassive": 5}}
	if d := after.delta(before, false, "TCPFastOpenActive"); d != 4 {
		t.Errorf("client delta %d, want 4", d)
	}
	if d := after.delta(before, true, "TCPFastOpenPassive"); d != 4 {
		t.Errorf("server delta %d, want 4", d)
	}
	if d := after.delta(before, true, "TCPFastOpenCookieReqd"); d != 0 {
		t.Errorf("absent counter delta %d, want 0", d)
	}
}
