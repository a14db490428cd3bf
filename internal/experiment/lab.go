package experiment

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/sockopt"
	"golang.org/x/sys/unix"
)

// Bench is one run's lab: the namespaces and the emulated link built from a
// Plan, and the captures running on them.
type Bench struct {
	*netlab.Lab
	plan     Plan
	captures []*runningCapture
}

type runningCapture struct {
	name string
	c    *capture.Capture
}

// witnessSysctls are read back from the client namespace into every
// result's env, whether or not the experiment set them.
var witnessSysctls = []string{
	"net.ipv4.tcp_congestion_control",
	"net.ipv4.tcp_timestamps",
	"net.ipv4.tcp_sack",
	"net.ipv4.tcp_window_scaling",
	"net.ipv4.tcp_fastopen",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_tw_reuse",
	"net.ipv4.tcp_autocorking",
}

// Setup builds the lab an experiment runs in: the topology, the emulated
// link of the plan, and the sysctls (set in every namespace of the lab, and
// read back). It refuses with *Unavailable when the machine cannot host it.
func Setup(ctx context.Context, name string, p Plan, topo netlab.Topology, sysctls map[string]string) (*Bench, error) {
	if err := netlab.RequireRoot(); err != nil {
		return nil, &Unavailable{Reason: err.Error()}
	}
	// tun falls back to veth where TUN devices cannot be made (root of a
	// user namespace, the unprivileged mode, cannot open /dev/net/tun).
	kind, err := netlab.ChooseKind(p.Link)
	if err != nil {
		return nil, &Unavailable{Reason: err.Error()}
	}
	if err := os.MkdirAll(p.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", p.OutDir, err)
	}
	lab, err := netlab.New(ctx, netlab.Config{
		Name:     name,
		Topology: topo,
		Link: netlab.LinkConfig{
			Kind:         kind,
			Delay:        p.RTT / 2,
			RateBps:      p.RateBps,
			Loss:         p.Loss,
			QueuePackets: p.Queue,
			Seed:         p.Seed,
			LetCPUsIdle:  p.LetCPUsIdle,
		},
		Sysctls: sysctls,
	})
	if err != nil {
		return nil, fmt.Errorf("build the lab: %w", err)
	}
	return &Bench{Lab: lab, plan: p}, nil
}

// Close stops any capture still running and removes the lab.
func (b *Bench) Close() error {
	for _, rc := range b.captures {
		rc.c.Stop()
	}
	b.captures = nil
	return b.Lab.Close()
}

// Capture starts a capture on interface ifname inside ns. The socket is
// opened inside the namespace and read from an ordinary goroutine.
func (b *Bench) Capture(ns *netlab.NS, ifname string) error {
	c, err := openCapture(ns, ifname)
	if err != nil {
		return err
	}
	b.captures = append(b.captures, &runningCapture{name: ns.Name() + "/" + ifname, c: c})
	return nil
}

// openCapture opens a capture on interface ifname inside ns, for a caller
// that stops it itself.
func openCapture(ns *netlab.NS, ifname string) (*capture.Capture, error) {
	var c *capture.Capture
	err := ns.Do(func() error {
		var err error
		c, err = capture.Open(ifname, capture.Options{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("capture on %s in %s: %w", ifname, ns.Name(), err)
	}
	return c, nil
}

// StopCaptures stops every capture and returns the packets of the first one
// (the one the verdicts read) and its statistics.
func (b *Bench) StopCaptures() (first []capture.Packet, stats capture.Stats, err error) {
	err = b.stopEach(func(i int, pkts []capture.Packet, st capture.Stats) {
		if i == 0 {
			first, stats = pkts, st
		}
	})
	return first, stats, err
}

// StopAllCaptures stops every capture and merges their packets into one list
// in time order (stable: packets of one capture keep their order; a single
// capture is returned as captured), so that one pcapng shows every link of
// the lab. Flows on different links have different addresses, so the
// analyzer keeps them apart. kernelDrops is summed over the captures.
func (b *Bench) StopAllCaptures() (merged []capture.Packet, kernelDrops int, err error) {
	n := len(b.captures)
	err = b.stopEach(func(_ int, pkts []capture.Packet, st capture.Stats) {
		merged = append(merged, pkts...)
		kernelDrops += st.KernelDrops
	})
	if n > 1 {
		sort.SliceStable(merged, func(i, j int) bool { return merged[i].Time.Before(merged[j].Time) })
	}
	return merged, kernelDrops, err
}

// stopEach stops every capture in the order they started, names each
// packet's interface after its capture ("timewait-client/lo"), hands each
// capture's packets to f, and returns the first error.
func (b *Bench) stopEach(f func(i int, pkts []capture.Packet, st capture.Stats)) error {
	var first error
	for i, rc := range b.captures {
		pkts, st, err := rc.c.Stop()
		if err != nil && first == nil {
			first = fmt.Errorf("capture %s: %w", rc.name, err)
		}
		for j := range pkts {
			pkts[j].Interface = rc.name
		}
		f(i, pkts, st)
	}
	b.captures = nil
	return first
}

// Record fills in what every result carries about its run: the environment
// (RecordEnv), the link's counters (RecordLinkStats) and the frames the
// captures' sockets dropped (metric capture_kernel_drops).
func (b *Bench) Record(r *Result, kernelDrops int) {
	b.RecordEnv(r)
	b.RecordLinkStats(r)
	r.Metric("capture_kernel_drops", float64(kernelDrops))
	if kernelDrops > 0 {
		r.Finding("the capture lost %d frames in the kernel (PACKET_STATISTICS): what the wire witness says may be incomplete", kernelDrops)
	}
}

// RecordEnv fills r.Env with the kernel, the link and every sysctl the lab
// set or witnesses, as read back inside the namespaces.
func (b *Bench) RecordEnv(r *Result) {
	r.Env.Kernel = KernelRelease()
	if len(b.Links) > 0 {
		r.Env.Link = b.Links[0].Kind() + "-emulator"
	}
	for k, v := range b.Sysctls() {
		r.Env.Sysctls[k] = v
	}
	for _, key := range witnessSysctls {
		if _, ok := r.Env.Sysctls["client:"+key]; ok {
			continue
		}
		if v, err := b.Client.Sysctl(key); err == nil {
			r.Env.Sysctls["client:"+key] = v
		}
	}
}

// RecordLinkStats adds the emulator's counters to r's metrics.
func (b *Bench) RecordLinkStats(r *Result) {
	for i, l := range b.Links {
		st := l.Stats()
		prefix := "link"
		if len(b.Links) > 1 {
			prefix = fmt.Sprintf("link%d", i)
		}
		for dir, d := range st.Dirs() {
			r.Metric(fmt.Sprintf("%s_%s_forwarded", prefix, dir), float64(d.Forwarded))
			r.Metric(fmt.Sprintf("%s_%s_dropped", prefix, dir), float64(d.DroppedQueue+d.DroppedLoss))
			r.Metric(fmt.Sprintf("%s_%s_late_p99_us", prefix, dir), float64(d.LateP99)/float64(time.Microsecond))
		}
		r.Metric(prefix+"_cpu_kept_awake", boolMetric(st.Forward.CPUKeptAwake))
	}
}

// Frames converts captured packets to the analyzer's input.
func Frames(pkts []capture.Packet) []analyze.Frame {
	fs := make([]analyze.Frame, len(pkts))
	for i, p := range pkts {
		fs[i] = analyze.Frame{Time: p.Time, LinkType: p.LinkType, Data: p.Data}
	}
	return fs
}

// WritePcap writes the annotated capture and records it as the result's
// "pcap" artifact.
func WritePcap(r *Result, path string, pkts []capture.Packet) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := capture.WritePcapng(path, pkts); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	r.Artifacts["pcap"] = path
	return nil
}

// KernelRelease is uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return strings.TrimRight(string(u.Release[:]), "\x00")
}

// pinned is the Control every experiment socket gets: the plan's congestion
// control set per socket (a namespace's default can only be reno or bbr
// here), followed by the experiment's own options.
func pinned(p Plan, extra ...sockopt.Control) sockopt.Control {
	return sockopt.Compose(append([]sockopt.Control{sockopt.Congestion(p.CC)}, extra...)...)
}

// dialTimed connects to server from namespace ns with a blocking connect(2)
// on the namespace's locked thread, so the times bracket the syscall itself:
// the thread sleeps in the kernel until the SYN/ACK is processed, with no
// runtime poller between the handshake and the clock. ctl runs on the socket
// first. The returned conn is an ordinary Go connection over the socket.
func dialTimed(ns *netlab.NS, ctl sockopt.Control, server netip.AddrPort) (conn net.Conn, start, connected time.Time, err error) {
	err = ns.Do(func() error {
		fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
		if err != nil {
			return err
		}
		defer sockopt.Close(fd)
		if ctl != nil {
			rc, _ := sockopt.FD(fd).SyscallConn()
			if err := ctl("tcp4", server.String(), rc); err != nil {
				return err
			}
		}
		start = time.Now()
		err = sockopt.Connect(fd, server)
		connected = time.Now()
		if err != nil {
			return err
		}
		conn, err = sockopt.FileConn(fd)
		return err
	})
	return conn, start, connected, err
}
