package netlab

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/sockopt"
	"golang.org/x/sys/unix"
)

// newTestLab builds a lab and removes it when the test ends.
func newTestLab(t testing.TB, cfg Config) *Lab {
	t.Helper()
	labtest.RequirePriv(t)
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// socketIn opens a socket inside ns; the caller closes it.
func socketIn(t testing.TB, ns *NS, typ int) int {
	t.Helper()
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatalf("socket in %s: %v", ns.Name(), err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func sockaddr(a netip.Addr, port int) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Addr: a.As4(), Port: port}
}

// listenIn returns a TCP listener inside ns on addr:port (an ephemeral port
// when 0) and the port.
func listenIn(t testing.TB, ns *NS, addr netip.Addr) (net.Listener, int) {
	t.Helper()
	var ln net.Listener
	err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns.Name(), err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// connectTimes measures n blocking connect(2) calls from a namespace to a
// server, each from a SCHED_FIFO thread so a busy machine's scheduler is not
// part of the measurement: the wall time of the call (SYN out, SYN/ACK back)
// and the kernel's own sample of that round trip (tcpi_rtt right after the
// handshake).
func connectTimes(t testing.TB, from *NS, server netip.Addr, port, n int) (wall, kernel []time.Duration) {
	t.Helper()
	defer realtimeThread()()
	for range n {
		fd := socketIn(t, from, unix.SOCK_STREAM)
		start := time.Now()
		if err := unix.Connect(fd, sockaddr(server, port)); err != nil {
			t.Fatalf("connect: %v", err)
		}
		wall = append(wall, time.Since(start))
		info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			t.Fatal(err)
		}
		kernel = append(kernel, time.Duration(info.Rtt)*time.Microsecond)
		unix.Close(fd)
	}
	return wall, kernel
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestConnectTakesOneRTT(t *testing.T) { checkConnectTakesOneRTT(t, "") }

// checkConnectTakesOneRTT times connect(2) and reads tcpi_rtt across a link
// of the given kind ("" for the default) at 5 and 40 ms: both are one RTT.
func checkConnectTakesOneRTT(t *testing.T, kind string) {
	for _, rtt := range []time.Duration{5 * time.Millisecond, 40 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			l := newTestLab(t, Config{Link: LinkConfig{Kind: kind, Delay: rtt / 2}})
			if k := l.Links[0].Kind(); kind != "" && k != kind {
				t.Fatalf("link kind %q, want %q", k, kind)
			}
			_, port := listenIn(t, l.Server, l.ServerAddr)
			wall, kernel := connectTimes(t, l.Client, l.ServerAddr, port, 7)
			tol := max(rtt*3/100, time.Millisecond)
			t.Logf("RTT %v: connect() %v, tcpi_rtt %v", rtt, wall, kernel)
			for what, ds := range map[string][]time.Duration{"connect()": wall, "tcpi_rtt": kernel} {
				if m := median(ds); m < rtt-tol || m > rtt+tol {
					t.Errorf("median %s %v, want %v ± %v; link %+v", what, m, rtt, tol, l.Links[0].Stats())
				}
			}
			// On veth the first connect needs no ARP exchange: the
			// neighbours are static, so it takes one RTT like the rest.
			// An ARP exchange would cost a whole second RTT; the first
			// packets through a fresh relay may be a few ms late on a
			// busy machine, which is not what this looks for.
			if first := wall[0]; kind == KindVeth && first > rtt+max(rtt/2, 3*time.Millisecond) {
				t.Errorf("first connect took %v: more than one RTT (an ARP exchange across the link?)", first)
			}
			st := l.Links[0].Stats()
			if st.Forward.Forwarded < 14 || st.Reverse.Forwarded < 7 {
				t.Errorf("link stats %+v: want at least 2 packets forward and 1 back per connect", st)
			}
		})
	}
}

// threadNetns is the namespace inode of the calling thread.
func threadNetns(t testing.TB) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestNSDo(t *testing.T) {
	labtest.RequirePriv(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	host := threadNetns(t)
	ns, err := NewNS("do")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if got := threadNetns(t); got != host {
		t.Fatalf("NewNS moved the calling thread: %d, was %d", got, host)
	}
	want, err := ns.inode()
	if err != nil {
		t.Fatal(err)
	}
	if want == host {
		t.Fatal("the new namespace is the host's")
	}
	var inside uint64
	if err := ns.Do(func() error { inside = threadNetns(t); return nil }); err != nil {
		t.Fatal(err)
	}
	if inside != want {
		t.Errorf("Do ran in namespace %d, want %d", inside, want)
	}
	if got := threadNetns(t); got != host {
		t.Errorf("Do moved the calling thread to %d", got)
	}
	// Every thread of the process is back home afterwards.
	assertNoThreadIn(t, want)

	sentinel := errors.New("sentinel")
	if err := ns.Do(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic of fn", r)
			}
		}()
		ns.Do(func() error { panic("boom") })
	}()
	assertNoThreadIn(t, want)

	if err := ns.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ns.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := ns.Do(func() error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
	if ns.Fd() != -1 {
		t.Errorf("Fd after Close = %d", ns.Fd())
	}
}

// assertNoThreadIn fails if any thread of this process is in namespace ino.
func assertNoThreadIn(t testing.TB, ino uint64) {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		var st unix.Stat_t
		if unix.Stat("/proc/self/task/"+task.Name()+"/ns/net", &st) == nil && st.Ino == ino {
			t.Errorf("thread %s is still in namespace %d", task.Name(), ino)
		}
	}
}

// openFds lists this process's descriptors with what they point at.
func openFds(t testing.TB) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			out[e.Name()] = target
		}
	}
	return out
}

// socketMappings counts the memory mappings of sockets (the tap rings).
func socketMappings(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "socket:[")
}

func TestSysctlsReadBackAndHostUnchanged(t *testing.T) {
	labtest.RequirePriv(t)
	keys := map[string]string{
		"net.ipv4.tcp_fastopen":              "3",
		"net.ipv4.ip_local_port_range":       "40000 40009",
		"net.ipv4.tcp_slow_start_after_idle": "0",
	}
	host := map[string]string{}
	for k := range keys {
		v, err := sockopt.ReadSysctl(k) // an unlocked thread is in the host namespace
		if err != nil {
			t.Fatal(err)
		}
		host[k] = normaliseSysctl(v)
	}
	l := newTestLab(t, Config{Sysctls: keys})
	got := l.Sysctls()
	for k, v := range keys {
		for _, role := range []string{"client", "server"} {
			if got[role+":"+k] != v {
				t.Errorf("Sysctls()[%s:%s] = %q, want %q", role, k, got[role+":"+k], v)
			}
		}
		inside, err := l.Server.Sysctl(k)
		if err != nil || inside != v {
			t.Errorf("Sysctl(%s) in the server = %q, %v; want %q", k, inside, err, v)
		}
		if now, _ := sockopt.ReadSysctl(k); normaliseSysctl(now) != host[k] {
			t.Errorf("host %s changed from %q to %q", k, host[k], now)
		}
	}
	if v := got["client:net.ipv6.conf.default.disable_ipv6"]; v != "1" && v != "" {
		t.Errorf("disable_ipv6 recorded as %q", v)
	}
	if err := l.Client.SetSysctl("net.ipv4.no_such_knob", "1"); err == nil {
		t.Error("SetSysctl of a missing key succeeded")
	}
	if _, err := l.Client.Sysctl("../../etc/passwd"); err == nil {
		t.Error("Sysctl accepted a key that leaves /proc/sys")
	}
}

// TestLossDeterministicAcrossLabs sends the same numbered UDP datagrams
// through two labs with the same seed: the same packets are lost, and they
// are the ones LossDrop names (the relay numbers packets from 0, and the
// lab's links carry nothing else).
func TestLossDeterministicAcrossLabs(t *testing.T) { checkLossDeterministic(t, "") }

// checkLossDeterministic runs the test of TestLossDeterministicAcrossLabs
// on a link of the given kind ("" for the default) and returns the forward
// counters of the first lab and the datagrams LossDrop keeps.
func checkLossDeterministic(t *testing.T, kind string) (DirectionStats, []uint32) {
	t.Helper()
	const n, loss = 300, 0.2
	run := func(seed int64) (got []uint32, st DirectionStats) {
		l := newTestLab(t, Config{Link: LinkConfig{Kind: kind, Loss: loss, Seed: seed, Delay: time.Millisecond}})
		rx := socketIn(t, l.Server, unix.SOCK_DGRAM)
		if err := unix.Bind(rx, sockaddr(l.ServerAddr, 9)); err != nil {
			t.Fatal(err)
		}
		tx := socketIn(t, l.Client, unix.SOCK_DGRAM)
		if err := unix.Connect(tx, sockaddr(l.ServerAddr, 9)); err != nil {
			t.Fatal(err)
		}
		send(t, tx, n, 64, 50*time.Microsecond)
		got, _ = readAll(t, rx, 300*time.Millisecond)
		return got, l.Links[0].Stats().Forward
	}
	var want []uint32
	for i := range uint32(n) {
		if !LossDrop(1, 0, uint64(i), loss) {
			want = append(want, i)
		}
	}
	a, sta := run(1)
	b, _ := run(1)
	c, _ := run(2)
	if !slices.Equal(a, want) || !slices.Equal(b, want) {
		t.Fatalf("seed 1 delivered\n%v\nand\n%v\nLossDrop keeps\n%v", a, b, want)
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 lost the same packets")
	}
	if sta.Offered != n || sta.DroppedLoss != uint64(n-len(want)) {
		t.Errorf("stats %+v: want %d offered, %d lost", sta, n, n-len(want))
	}
	return sta, want
}

func TestRateRoughlyRight(t *testing.T) {
	const rate = 20_000_000
	l := newTestLab(t, Config{Link: LinkConfig{RateBps: rate, QueuePackets: 1000}})
	got, n := floodRate(t, l, rate*3/2, 1500, time.Second)
	t.Logf("delivered %.2f Mbit/s in %d packets", got/1e6, n)
	if got < rate*0.95 || got > rate*1.05 {
		t.Errorf("delivered %.2f Mbit/s, want 20 ± 5 %%", got/1e6)
	}
	st := l.Links[0].Stats().Forward
	if st.Offered != st.Forwarded+st.DroppedQueue+st.DroppedLoss {
		t.Errorf("counters do not add up: %+v", st)
	}
}

func TestProxyTopology(t *testing.T) {
	server := LinkConfig{Delay: 10 * time.Millisecond}
	l := newTestLab(t, Config{
		Topology:   ClientProxyServer,
		Link:       LinkConfig{Delay: 2500 * time.Microsecond},
		ServerLink: &server,
	})
	if l.Proxy == nil || len(l.Links) != 2 {
		t.Fatalf("proxy %v, %d links", l.Proxy, len(l.Links))
	}
	// client → proxy: 5 ms; proxy → server: 20 ms (the kernel's handshake
	// RTT, which no scheduler delay on this side can stretch).
	for _, hop := range []struct {
		from *NS
		to   netip.Addr
		in   *NS
		rtt  time.Duration
	}{
		{l.Client, l.ProxyClientAddr, l.Proxy, 5 * time.Millisecond},
		{l.Proxy, l.ServerAddr, l.Server, 20 * time.Millisecond},
	} {
		_, port := listenIn(t, hop.in, hop.to)
		_, kernel := connectTimes(t, hop.from, hop.to, port, 5)
		if m := median(kernel); m < hop.rtt-time.Millisecond || m > hop.rtt+time.Millisecond {
			t.Errorf("%s → %s: handshake RTT %v, want %v ± 1 ms", hop.from.Name(), hop.to, m, hop.rtt)
		}
	}
	// The client cannot reach the server: nothing routes through the proxy.
	_, port := listenIn(t, l.Server, l.ServerAddr)
	fd := socketIn(t, l.Client, unix.SOCK_STREAM)
	if err := unix.Connect(fd, sockaddr(l.ServerAddr, port)); err == nil {
		t.Error("client reached the server directly")
	}
	if a, b := l.Links[1].Ends(); a != "proxy/to-server" || b != "server/to-client" {
		t.Errorf("server link ends %s ⇄ %s", a, b)
	}
}

// TestCloseLeavesNothing builds and closes 100 labs and checks that no
// descriptor, ring mapping, thread in a lab namespace or GOMAXPROCS change is
// left behind: with nothing referring to them, the namespaces are gone.
func TestCloseLeavesNothing(t *testing.T) {
	labtest.RequirePriv(t)
	before := takeLeftovers(t)
	for i := range 100 {
		l, err := New(context.Background(), Config{Name: "leak", Link: LinkConfig{Delay: time.Millisecond}})
		if err != nil {
			t.Fatalf("lab %d: %v", i, err)
		}
		ino, err := l.Client.inode()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("lab %d: Close: %v", i, err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("lab %d: second Close: %v", i, err)
		}
		if l.Client.Fd() != -1 || l.Server.Fd() != -1 {
			t.Fatalf("lab %d: namespace descriptors still open", i)
		}
		if i%25 == 0 {
			assertNoThreadIn(t, ino)
		}
	}
	after := before.requireNoneLeft(t, "tun", "bpf")
	if len(after) > len(before.fds)+2 { // the runtime may open a descriptor or two of its own
		t.Errorf("%d descriptors before 100 labs, %d after", len(before.fds), len(after))
	}
}

// leftovers is what closed labs must give back: descriptors, socket ring
// mappings and GOMAXPROCS as they were before the labs.
type leftovers struct {
	procs int
	fds   map[string]string
	maps  int
}

func takeLeftovers(t testing.TB) leftovers {
	return leftovers{procs: runtime.GOMAXPROCS(0), fds: openFds(t), maps: socketMappings(t)}
}

// requireNoneLeft fails t for every new descriptor to a namespace, an
// eventfd, a socket or a target containing one of also; for ring mappings
// and GOMAXPROCS that differ from before; and for relay spin slots still
// taken. It returns the descriptors open now.
func (before leftovers) requireNoneLeft(t testing.TB, also ...string) map[string]string {
	t.Helper()
	after := openFds(t)
	for fd, target := range after {
		leaked := strings.HasPrefix(target, "net:") || strings.Contains(target, "eventfd") || strings.HasPrefix(target, "socket:")
		for _, s := range also {
			leaked = leaked || strings.Contains(target, s)
		}
		if before.fds[fd] != target && leaked {
			t.Errorf("descriptor %s → %s left open", fd, target)
		}
	}
	if n := socketMappings(t); n != before.maps {
		t.Errorf("%d socket mappings (rings) before the labs, %d after", before.maps, n)
	}
	if got := runtime.GOMAXPROCS(0); got != before.procs {
		t.Errorf("GOMAXPROCS %d after the labs closed, was %d", got, before.procs)
	}
	if n := spinners.Load(); n != 0 {
		t.Errorf("%d relay spin slots still taken", n)
	}
	return after
}

func TestNetemKind(t *testing.T) {
	labtest.RequirePriv(t)
	if HaveNetem() != nil {
		_, err := New(context.Background(), Config{Link: LinkConfig{Kind: KindNetem}})
		if err == nil || !strings.Contains(err.Error(), "netem") {
			t.Fatalf("New with netem on a kernel without it: %v, want an error that names netem", err)
		}
		t.Skip("no netem in this kernel: checked that asking for it fails clearly")
	}
	l := newTestLab(t, Config{Link: LinkConfig{Kind: KindNetem, Delay: 10 * time.Millisecond}})
	_, port := listenIn(t, l.Server, l.ServerAddr)
	if _, kernel := connectTimes(t, l.Client, l.ServerAddr, port, 5); median(kernel) < 19*time.Millisecond || median(kernel) > 21*time.Millisecond {
		t.Errorf("handshake RTT over netem %v, want 20 ms ± 1 ms", median(kernel))
	}
}

func TestAsymmetricDelay(t *testing.T) {
	l := newTestLab(t, Config{Link: LinkConfig{Delay: 2 * time.Millisecond, DelayReverse: 8 * time.Millisecond}})
	_, port := listenIn(t, l.Server, l.ServerAddr)
	_, kernel := connectTimes(t, l.Client, l.ServerAddr, port, 5)
	if m := median(kernel); m < 9*time.Millisecond || m > 11*time.Millisecond {
		t.Errorf("handshake RTT %v, want 2 + 8 = 10 ms ± 1 ms", m)
	}
}

func TestProbesWithoutRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs as root; this checks the messages a normal user gets")
	}
	if err := RequireRoot(); err == nil || !strings.Contains(err.Error(), "sudo") {
		t.Errorf("RequireRoot as uid %d: %v, want a sentence that says to use sudo", os.Geteuid(), err)
	}
	if err := HaveTUN(); err == nil {
		t.Error("HaveTUN succeeded without root")
	}
}

func TestProbes(t *testing.T) {
	labtest.RequirePriv(t)
	if err := RequireRoot(); err != nil {
		t.Errorf("RequireRoot as root: %v", err)
	}
	if err := HaveTUN(); err != nil {
		t.Errorf("HaveTUN as root: %v", err)
	}
}

func TestLinkConfigErrors(t *testing.T) {
	tests := []LinkConfig{
		{Kind: "wire"}, {Delay: -1}, {RateBps: -1}, {Loss: 1.5}, {Loss: math.NaN()}, {MTU: 100}, {QueuePackets: -1},
	}
	for _, c := range tests {
		if _, err := New(context.Background(), Config{Link: c}); err == nil {
			t.Errorf("New accepted %+v", c)
		}
	}
}
