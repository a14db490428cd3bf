package experiment

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"golang.org/x/sys/unix"
)

// TestCloseVerdicts runs the close experiment at a short and a long RTT and
// requires every check to pass, the reset to have cost response bytes, and
// the annotated capture to be readable.
func TestCloseVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 100 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		return NewClose(), planAt(rtt)
	}, "RST — server close(2)d with", func(t *testing.T, _ Experiment, _ Plan, res *Result) {
		m := res.Metrics
		if m["reset_response_bytes_received"] >= m["reset_response_bytes_sent"] {
			t.Errorf("reset mode received %v of %v bytes: nothing was lost", m["reset_response_bytes_received"], m["reset_response_bytes_sent"])
		}
		if m["client_errno"] != float64(unix.ECONNRESET) || m["graceful_client_errno"] != 0 {
			t.Errorf("client errno: reset %v, graceful %v; want ECONNRESET and 0", m["client_errno"], m["graceful_client_errno"])
		}
		if m["rst_seen"] != 1 || m["graceful_rst_seen"] != 0 || m["halfclose_rst_seen"] != 0 {
			t.Errorf("rst_seen: reset %v, graceful %v, halfclose %v; want 1, 0, 0", m["rst_seen"], m["graceful_rst_seen"], m["halfclose_rst_seen"])
		}
	})
}

func TestParseNetstatText(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]int64
		bad      bool
	}{
		{"two blocks", "TcpExt: A TCPAbortOnClose\nTcpExt: 1 7\nIpExt: X\nIpExt: 9\n",
			map[string]int64{"TcpExt.A": 1, "TcpExt.TCPAbortOnClose": 7, "IpExt.X": 9}, false},
		{"no trailing newline", "TcpExt: A\nTcpExt: 5", map[string]int64{"TcpExt.A": 5}, false},
		{"empty", "", map[string]int64{}, false},
		{"count mismatch", "TcpExt: A B\nTcpExt: 1\n", nil, true},
		{"prefix mismatch", "TcpExt: A\nIpExt: 1\n", nil, true},
		{"not a number", "TcpExt: A\nTcpExt: x\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseNetstatText(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("no error for %q", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %d, want %d", k, got[k], v)
				}
			}
		})
	}
}

func FuzzParseNetstatText(f *testing.F) {
	f.Add("TcpExt: A TCPAbortOnClose\nTcpExt: 1 7\n")
	f.Add("TcpExt: A\nTcpExt: -1\nIpExt: B C\nIpExt: 2 3")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseNetstatText(s)
		if err == nil && m == nil {
			t.Fatal("nil map without an error")
		}
	})
}

// TestCloseInOrder checks the count of bytes a receiver could queue: the
// contiguous prefix from the first byte, retransmissions counted once, a
// hole ending it, segments after stop ignored.
func TestCloseInOrder(t *testing.T) {
	client := netip.MustParseAddrPort("198.18.0.1:40000")
	server := netip.MustParseAddrPort("198.18.0.2:7002")
	const base = 1000
	seg := func(i int, seq uint32, n int) analyze.Segment {
		return analyze.Segment{Index: i, Src: server, Dst: client, Seq: seq, ACK: true, Payload: n}
	}
	for _, tc := range []struct {
		name string
		segs []analyze.Segment
		stop int // index of the stop segment; -1 none
		want int
	}{
		{"contiguous", []analyze.Segment{seg(0, base, 100), seg(1, base+100, 100)}, -1, 200},
		{"retransmission", []analyze.Segment{seg(0, base, 100), seg(1, base, 100), seg(2, base+100, 50)}, -1, 150},
		{"hole", []analyze.Segment{seg(0, base, 100), seg(1, base+200, 100)}, -1, 100},
		{"first lost", []analyze.Segment{seg(0, base+100, 100)}, -1, 0},
		{"reordered", []analyze.Segment{seg(0, base+100, 100), seg(1, base, 100)}, -1, 200},
		{"after stop", []analyze.Segment{seg(0, base, 100), seg(1, base+100, 0), seg(2, base+100, 100)}, 1, 100},
		{"wraps", []analyze.Segment{seg(0, ^uint32(0)-49, 50), seg(1, 0, 50)}, -1, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &analyze.Flow{Client: client, Server: server, Segments: tc.segs}
			var stop *analyze.Segment
			if tc.stop >= 0 {
				stop = &tc.segs[tc.stop]
			}
			b := uint32(base)
			if tc.name == "wraps" {
				b = ^uint32(0) - 49
			}
			if got := closeInOrder(f, b, stop); got != tc.want {
				t.Errorf("closeInOrder = %d, want %d", got, tc.want)
			}
		})
	}
}
