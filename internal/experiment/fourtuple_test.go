package experiment

import (
	"net/netip"
	"testing"
	"time"
)

// TestFourTupleVerdicts runs the fourtuple experiment at a short and a long
// RTT and requires every check to pass and the duplicate to have been
// refused with EADDRNOTAVAIL.
func TestFourTupleVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{10 * time.Millisecond, 100 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		return NewFourTuple(), planAt(rtt)
	}, "SYN of other-client-addr", func(t *testing.T, _ Experiment, _ Plan, res *Result) {
		if got := res.Metrics["census_established_client"]; got != 5 {
			t.Errorf("client census lists %v ESTABLISHED sockets, want 5", got)
		}
	})
}

func TestFtCompare(t *testing.T) {
	ap := netip.MustParseAddrPort
	base := ftTuple{ap("198.18.0.1:31001"), ap("198.18.0.2:9001")}
	for _, tc := range []struct {
		name   string
		other  ftTuple
		shared int
		differ string
	}{
		{"same", base, 4, ""},
		{"client address", ftTuple{ap("198.18.0.3:31001"), base.Server}, 3, "client address"},
		{"client port", ftTuple{ap("198.18.0.1:31002"), base.Server}, 3, "client port"},
		{"server address", ftTuple{base.Client, ap("198.18.0.4:9001")}, 3, "server address"},
		{"server port", ftTuple{base.Client, ap("198.18.0.2:9002")}, 3, "server port"},
		{"two", ftTuple{ap("198.18.0.1:31002"), ap("198.18.0.2:9002")}, 2, "client port,server port"},
		{"swapped", ftTuple{base.Server, base.Client}, 0, "client address,client port,server address,server port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shared, differ := ftCompare(base, tc.other)
			if shared != tc.shared || joinComma(differ) != tc.differ {
				t.Errorf("ftCompare = %d %q, want %d %q", shared, differ, tc.shared, tc.differ)
			}
		})
	}
}

func joinComma(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}

func TestFtDistinct(t *testing.T) {
	ap := netip.MustParseAddrPort
	a := ftTuple{ap("198.18.0.1:1"), ap("198.18.0.2:2")}
	b := ftTuple{ap("198.18.0.1:1"), ap("198.18.0.2:3")}
	if ok, _, _ := ftDistinct([]ftTuple{a, b}); !ok {
		t.Error("a, b reported equal")
	}
	if ok, i, j := ftDistinct([]ftTuple{a, b, a}); ok || i != 0 || j != 2 {
		t.Errorf("a, b, a: ok %v at %d,%d; want false at 0,2", ok, i, j)
	}
}

// TestFourTuplePlan checks the plan itself: every connection but the base
// differs from it in exactly the one value it names, and the plan varies
// each value once.
func TestFourTuplePlan(t *testing.T) {
	for _, second := range []bool{false, true} {
		x := NewFourTuple()
		x.SecondAddresses = second
		conns := x.plan(netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2"))
		want := 3
		if second {
			want = 5
		}
		if len(conns) != want {
			t.Fatalf("second=%v: %d connections, want %d", second, len(conns), want)
		}
		seen := map[string]bool{}
		for _, c := range conns[1:] {
			shared, differ := ftCompare(conns[0].want, c.want)
			if shared != 3 || len(differ) != 1 || differ[0] != c.differ || seen[c.differ] {
				t.Errorf("%s: shares %d, differs in %v, says %q", c.label, shared, differ, c.differ)
			}
			seen[c.differ] = true
		}
	}
}
