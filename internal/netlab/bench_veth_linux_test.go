package netlab

import (
	"fmt"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// BenchmarkVethDelay is BenchmarkDelay for both relayed link kinds in the
// same run: the one-way delay error end to end, UDP probes every millisecond,
// at 10, 50 and 200 ms. Run unprivileged (in a user namespace, where the
// relay gets no SCHED_FIFO and only the veth kind exists) it shows what the
// unprivileged mode costs in accuracy.
func BenchmarkVethDelay(b *testing.B) {
	for _, kind := range []string{KindVeth, KindTUN} {
		for _, d := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
			b.Run(fmt.Sprintf("%s/%v", kind, d), func(b *testing.B) {
				skipUnlessKind(b, kind)
				benchDelay(b, LinkConfig{Kind: kind, Delay: d})
			})
		}
	}
}

// BenchmarkVethThroughput compares bulk TCP transfers at zero delay, in the
// same run, over the veth relay, the TUN relay and a raw veth pair
// (gso_max_segs 1): what the packet-socket transport costs beside the TUN
// one, and both beside the kernel alone.
func BenchmarkVethThroughput(b *testing.B) {
	for _, kind := range []string{KindVeth, KindTUN} {
		b.Run(kind+"-relay", func(b *testing.B) {
			skipUnlessKind(b, kind)
			l := newTestLab(b, Config{Link: LinkConfig{Kind: kind}})
			bulk(b, l.Client, l.Server, l.ServerAddr)
			if testing.Verbose() {
				fmt.Printf("%s-relay link: %+v\n", kind, l.Links[0].Stats())
			}
		})
	}
	b.Run("veth", func(b *testing.B) {
		labtest.RequirePriv(b)
		c, s, addr := vethReference(b)
		bulk(b, c, s, addr)
	})
}

// BenchmarkVethRate is BenchmarkRate on the veth link: the delivered rate
// at 10 and 100 Mbit/s, offered 50 % more into a 1000-packet queue. The
// pipe counts IP bytes on both kinds, so the targets are the same.
func BenchmarkVethRate(b *testing.B) {
	for _, rate := range []int64{10_000_000, 100_000_000} {
		b.Run(fmt.Sprintf("%dMbit", rate/1_000_000), func(b *testing.B) {
			var got float64
			for range b.N {
				l := newTestLab(b, Config{Link: LinkConfig{Kind: KindVeth, RateBps: rate, QueuePackets: 1000}})
				var n int
				got, n = floodRate(b, l, rate*3/2, 1500, 1500*time.Millisecond)
				if testing.Verbose() {
					fmt.Printf("veth rate %d: delivered %.0f bit/s (%+.3f %%) in %d packets; link %+v\n",
						rate, got, 100*(got/float64(rate)-1), n, l.Links[0].Stats().Forward)
				}
			}
			b.ReportMetric(got/1e6, "Mbit/s")
			b.ReportMetric(100*(got/float64(rate)-1), "error-%")
		})
	}
}

// skipUnlessKind skips a benchmark of a link kind this process cannot build
// (TUN in a user namespace).
func skipUnlessKind(b *testing.B, kind string) {
	b.Helper()
	labtest.RequirePriv(b)
	if kind == KindTUN && defaultKind() != KindTUN {
		b.Skip("no TUN devices here (unprivileged: /dev/net/tun cannot be opened)")
	}
}
