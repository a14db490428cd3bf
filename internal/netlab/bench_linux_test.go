package netlab

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// probeOneWay sends n UDP probes from the client to the server, one every
// gap, each stamped with CLOCK_REALTIME just before sendto(2), and returns
// each probe's one-way time: the kernel receive timestamp (SO_TIMESTAMPNS,
// taken when the relay's write hands the packet to the server's stack) minus
// the send stamp. Lost probes are missing from the result.
func probeOneWay(tb testing.TB, l *Lab, n int, gap time.Duration, size int) []time.Duration {
	tb.Helper()
	rx := socketIn(tb, l.Server, unix.SOCK_DGRAM)
	if err := unix.SetsockoptInt(rx, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		tb.Fatal(err)
	}
	if err := unix.SetsockoptInt(rx, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
		tb.Fatal(err)
	}
	if err := unix.Bind(rx, sockaddr(l.ServerAddr, 9)); err != nil {
		tb.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(rx, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		tb.Fatal(err)
	}
	tx := socketIn(tb, l.Client, unix.SOCK_DGRAM)
	if err := unix.Connect(tx, sockaddr(l.ServerAddr, 9)); err != nil {
		tb.Fatal(err)
	}
	res := make(chan []time.Duration, 1)
	go func() {
		defer realtimeThread()()
		var out []time.Duration
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for len(out) < n {
			nn, oobn, _, _, err := unix.Recvmsg(rx, buf, oob, 0)
			if err == unix.EINTR { // SO_RCVTIMEO calls are not restarted after Go's preemption signal
				continue
			}
			if err != nil {
				break // timeout: the rest were lost
			}
			if nn < 8 {
				continue
			}
			sent := int64(binary.LittleEndian.Uint64(buf))
			if ts, ok := rxTimestamp(oob[:oobn]); ok {
				out = append(out, time.Duration(ts-sent))
			}
		}
		res <- out
	}()
	defer realtimeThread()()
	payload := make([]byte, size)
	for range n {
		var now unix.Timespec
		unix.ClockGettime(unix.CLOCK_REALTIME, &now)
		binary.LittleEndian.PutUint64(payload, uint64(now.Nano()))
		if _, err := unix.Write(tx, payload); err != nil {
			tb.Fatal(err)
		}
		time.Sleep(gap)
	}
	return <-res
}

// realtimeThread locks the calling goroutine to its thread and gives the
// thread SCHED_FIFO priority 5 (below the relay's), so the load generators
// of a benchmark are not what a busy machine delays. The returned function
// undoes both.
func realtimeThread() func() {
	runtime.LockOSThread()
	tid := unix.Gettid()
	err := unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 5}, 0)
	return func() {
		if err == nil && unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}, 0) != nil {
			return // stay locked: the thread ends with its goroutine
		}
		runtime.UnlockOSThread()
	}
}

// rxTimestamp finds the SCM_TIMESTAMPNS control message in oob without
// allocating (the garbage collector's pauses would otherwise be part of what
// a benchmark measures).
func rxTimestamp(oob []byte) (int64, bool) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if h.Len < unix.SizeofCmsghdr || int(h.Len) > len(oob) {
			return 0, false
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && int(h.Len) >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
			return (*unix.Timespec)(unsafe.Pointer(&oob[unix.CmsgLen(0)])).Nano(), true
		}
		oob = oob[min(unix.CmsgSpace(int(h.Len)-unix.CmsgLen(0)), len(oob)):]
	}
	return 0, false
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// BenchmarkDelay measures the emulator's one-way delay error end to end:
// UDP probes every millisecond, sender's clock to the receiving kernel's
// timestamp, minus the configured delay. It reports the p50 and p99 error
// and, for comparison, the relay's own lateness (due time to write). The
// idle-cpus runs are the reference: the same link with LetCPUsIdle.
func BenchmarkDelay(b *testing.B) {
	for _, d := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
		b.Run(d.String(), func(b *testing.B) { benchDelay(b, LinkConfig{Delay: d}) })
		b.Run(d.String()+"/idle-cpus", func(b *testing.B) { benchDelay(b, LinkConfig{Delay: d, LetCPUsIdle: true}) })
	}
}

// benchDelay is one run of BenchmarkDelay on a link configured by link
// (Delay must be set).
func benchDelay(b *testing.B, link LinkConfig) {
	d := link.Delay
	l := newTestLab(b, Config{Link: link})
	b.ResetTimer()
	got := probeOneWay(b, l, b.N, time.Millisecond, 100)
	b.StopTimer()
	if len(got) < b.N*99/100 {
		b.Fatalf("%d of %d probes arrived; link %+v", len(got), b.N, l.Links[0].Stats())
	}
	errs := make([]time.Duration, len(got))
	for i, g := range got {
		errs[i] = g - d
	}
	st := l.Links[0].Stats().Forward
	b.ReportMetric(float64(quantile(errs, 0.5))/1e3, "p50-µs")
	b.ReportMetric(float64(quantile(errs, 0.99))/1e3, "p99-µs")
	b.ReportMetric(float64(quantile(errs, 0))/1e3, "min-µs")
	b.ReportMetric(float64(st.LateP99)/1e3, "relay-p99-µs")
	if testing.Verbose() {
		fmt.Printf("%s delay %v: end-to-end error p50 %v p99 %v max %v; relay lateness p50 %v p99 %v max %v; realtime %v; cpu kept awake %v\n",
			l.Links[0].Kind(), d, quantile(errs, 0.5), quantile(errs, 0.99), quantile(errs, 1), st.LateP50, st.LateP99, st.LateMax, st.Realtime, st.CPUKeptAwake)
	}
}

// dialIn connects from inside ns to addr:port.
func dialIn(tb testing.TB, ns *NS, addr netip.Addr, port int) net.Conn {
	tb.Helper()
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = net.Dial("tcp4", netip.AddrPortFrom(addr, uint16(port)).String())
		return err
	})
	if err != nil {
		tb.Fatalf("dial from %s: %v", ns.Name(), err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// vethReference builds two namespaces joined by a plain veth pair with
// gso_max_segs 1 on both ends (real 1500-byte frames, as on the emulated
// link), the in-kernel reference for throughput.
func vethReference(tb testing.TB) (client, server *NS, serverAddr netip.Addr) {
	tb.Helper()
	a, b := netip.MustParseAddr("198.18.3.1"), netip.MustParseAddr("198.18.3.2")
	var nss [2]*NS
	for i := range nss {
		ns, err := NewNS(fmt.Sprintf("veth-ref-%d", i))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { ns.Close() })
		nss[i] = ns
	}
	err := nss[0].Do(func() error {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		defer h.Close()
		return h.LinkAdd(&netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: "ref0"},
			PeerName:      "ref1",
			PeerNamespace: netlink.NsFd(nss[1].Fd()),
		})
	})
	if err != nil {
		tb.Fatalf("veth: %v", err)
	}
	for i, ns := range nss {
		local, peer := [2]netip.Addr{a, b}[i], [2]netip.Addr{b, a}[i]
		err := ns.Do(func() error {
			h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
			if err != nil {
				return err
			}
			defer h.Close()
			if err := loUp(h); err != nil {
				return err
			}
			name := fmt.Sprintf("ref%d", i)
			link, err := h.LinkByName(name)
			if err != nil {
				return err
			}
			if err := h.LinkSetGSOMaxSegs(link, 1); err != nil {
				return err
			}
			_, err = pointToPoint(h, name, local, peer, DefaultMTU)
			return err
		})
		if err != nil {
			tb.Fatalf("veth end %d: %v", i, err)
		}
	}
	return nss[0], nss[1], b
}

// bulk sends b.N MiB from client to server over one TCP connection and
// reports the goodput. Sender and receiver run on SCHED_FIFO threads, so on a
// busy machine the comparison is between the links, not between how the
// scheduler treats the programs at their ends.
func bulk(b *testing.B, client, server *NS, serverAddr netip.Addr) {
	var l net.Listener
	err := server.Do(func() error {
		var err error
		l, err = net.Listen("tcp4", netip.AddrPortFrom(serverAddr, 0).String())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	got := make(chan int64, 1)
	go func() {
		defer realtimeThread()()
		c, err := l.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	c := dialIn(b, client, serverAddr, l.Addr().(*net.TCPAddr).Port)
	defer realtimeThread()()
	chunk := make([]byte, 1<<20)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	n := <-got
	el := time.Since(start)
	b.StopTimer()
	if n != int64(b.N)*int64(len(chunk)) {
		b.Fatalf("received %d of %d bytes", n, int64(b.N)*int64(len(chunk)))
	}
	b.ReportMetric(float64(n)*8/el.Seconds()/1e6, "Mbit/s")
}

// BenchmarkThroughput compares a bulk TCP transfer over the emulated link at
// zero delay with one over a raw veth pair (gso_max_segs 1) in the same run.
func BenchmarkThroughput(b *testing.B) {
	b.Run("tun-relay", func(b *testing.B) {
		l := newTestLab(b, Config{Link: LinkConfig{}})
		bulk(b, l.Client, l.Server, l.ServerAddr)
		if testing.Verbose() {
			fmt.Printf("tun-relay link: %+v\n", l.Links[0].Stats())
		}
	})
	b.Run("veth", func(b *testing.B) {
		labtest.RequirePriv(b)
		c, s, addr := vethReference(b)
		bulk(b, c, s, addr)
	})
}

// floodRate sends UDP packets of ipSize bytes (IP header included) from the
// client to the server at offered bits per second for dur and returns the
// rate at which they were delivered, by the receiving kernel's timestamps,
// between the deliveries at 5 % and at 95 % of the count (so that a late
// first or last delivery, which says nothing about the rate, cannot skew it).
func floodRate(tb testing.TB, l *Lab, offered int64, ipSize int, dur time.Duration) (float64, int) {
	tb.Helper()
	rx := socketIn(tb, l.Server, unix.SOCK_DGRAM)
	for _, opt := range [][2]int{{unix.SO_TIMESTAMPNS, 1}, {unix.SO_RCVBUF, 8 << 20}} {
		if err := unix.SetsockoptInt(rx, unix.SOL_SOCKET, opt[0], opt[1]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := unix.Bind(rx, sockaddr(l.ServerAddr, 9)); err != nil {
		tb.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(time.Second))
	if err := unix.SetsockoptTimeval(rx, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		tb.Fatal(err)
	}
	tx := socketIn(tb, l.Client, unix.SOCK_DGRAM)
	if err := unix.Connect(tx, sockaddr(l.ServerAddr, 9)); err != nil {
		tb.Fatal(err)
	}
	res := make(chan []int64, 1)
	go func() {
		defer realtimeThread()()
		stamps := make([]int64, 0, 1<<16)
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for {
			_, oobn, _, _, err := unix.Recvmsg(rx, buf, oob, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				break
			}
			if ts, ok := rxTimestamp(oob[:oobn]); ok {
				stamps = append(stamps, ts)
			}
		}
		res <- stamps
	}()
	defer realtimeThread()()
	payload := make([]byte, ipSize-28)
	interval := time.Duration(int64(ipSize) * 8 * int64(time.Second) / offered)
	start := time.Now()
	for sent := 0; time.Since(start) < dur; {
		due := int(time.Since(start)/interval) + 1
		for ; sent < due; sent++ {
			if _, err := unix.Write(tx, payload); err != nil && err != unix.ENOBUFS {
				tb.Fatal(err)
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	stamps := <-res
	n := len(stamps)
	if n < 40 {
		tb.Fatalf("%d packets delivered", n)
	}
	lo, hi := n/20, n-1-n/20
	return float64(hi-lo) * float64(ipSize) * 8 / (float64(stamps[hi]-stamps[lo]) / 1e9), n
}

// BenchmarkRate measures the rate the emulator delivers at when offered 50 %
// more than its configured rate into a 1000-packet queue (so the queue never
// runs dry while the sender is busy), against the configured 10 and
// 100 Mbit/s. Each iteration is a flood of 1.5 s on a fresh lab; the worst
// error of the iterations is reported (run it with -benchtime 1x).
func BenchmarkRate(b *testing.B) {
	for _, rate := range []int64{10_000_000, 100_000_000} {
		b.Run(fmt.Sprintf("%dMbit", rate/1_000_000), func(b *testing.B) {
			var worst, worstErr float64
			for range b.N {
				got := floodOnce(b, rate)
				if e := 100 * (got/float64(rate) - 1); worst == 0 || math.Abs(e) > math.Abs(worstErr) {
					worst, worstErr = got, e
				}
			}
			b.ReportMetric(worst/1e6, "Mbit/s")
			b.ReportMetric(worstErr, "error-%")
		})
	}
}

// floodOnce builds a lab with a link of the given rate, floods it once and
// removes it, returning the delivered rate.
func floodOnce(b *testing.B, rate int64) float64 {
	labtest.RequirePriv(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := New(ctx, Config{Name: "rate", Link: LinkConfig{RateBps: rate, QueuePackets: 1000}})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	defer l.Close()
	got, n := floodRate(b, l, rate*3/2, 1500, 1500*time.Millisecond)
	if testing.Verbose() {
		fmt.Printf("rate %d: delivered %.0f bit/s (%+.3f %%) in %d packets; link %+v\n",
			rate, got, 100*(got/float64(rate)-1), n, l.Links[0].Stats().Forward)
	}
	return got
}
