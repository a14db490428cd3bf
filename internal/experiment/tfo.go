package experiment

import (
	"context"
	"errors"
	"fmt"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/tfo"
)

func init() { Register(30, func() Experiment { return NewFastOpen() }) }

// FastOpen shows what TCP Fast Open (RFC 7413) saves (§4.2, claim C6): the
// first connection to a server only fetches a cookie, later ones send the
// cookie and the HTTP request in the SYN and get the response one round
// trip sooner than the same request over an ordinary handshake.
type FastOpen struct {
	Connections   int // Fast Open connections: 1 fetches the cookie, 2…N use it; as many plain ones
	ResponseBytes int // body of each response
	QueueLen      int // the listener's TCP_FASTOPEN queue length
}

// NewFastOpen returns the experiment with its default parameters.
func NewFastOpen() *FastOpen {
	return &FastOpen{Connections: 5, ResponseBytes: 200, QueueLen: 16}
}

func (e *FastOpen) Name() string    { return "tfo" }
func (e *FastOpen) Section() string { return "4.2" }
func (e *FastOpen) Title() string {
	return "TCP Fast Open: the request rides in the SYN and saves the handshake's round trip"
}

func (e *FastOpen) params() map[string]any {
	return map[string]any{"connections": e.Connections, "response_bytes": e.ResponseBytes, "tfo_qlen": e.QueueLen}
}

// Validate rejects parameters the experiment cannot honour; its errors name
// the command-line flag of the parameter.
func (e *FastOpen) Validate() error {
	switch {
	case e.Connections < 2 || e.Connections > 50:
		return fmt.Errorf("--connections %d out of range (2 to 50: the first only fetches the cookie)", e.Connections)
	case e.ResponseBytes < 0 || e.ResponseBytes > 100_000:
		return fmt.Errorf("--response %d out of range (0 to 100000 bytes)", e.ResponseBytes)
	case e.QueueLen < 1 || e.QueueLen > 4096:
		return fmt.Errorf("--qlen %d out of range (TCP_FASTOPEN queue length 1 to 4096)", e.QueueLen)
	}
	return nil
}

// tfoSysctls turn on both ends of Fast Open in every namespace of the lab:
// Client (0x1) and Server (0x2).
var tfoSysctls = map[string]string{"net.ipv4.tcp_fastopen": "3"}

// Run builds a client⇄server lab with net.ipv4.tcp_fastopen=3, warms the
// link up with one uncaptured plain exchange, starts captures on both ends,
// flushes the client's cookie cache, runs the Fast Open connections and
// then the plain ones, and checks the clocks, two captures (client and server side) and
// the kernel's witnesses (TCP_INFO, TcpExt counters) against the model.
func (e *FastOpen) Run(ctx context.Context, p Plan) (*Result, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("tfo: %w", err)
	}
	r := NewResult(e, p, e.params())
	b, err := Setup(ctx, e.Name(), p, netlab.ClientServer, tfoSysctls)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := requireFastOpen(b); err != nil {
		return nil, err
	}
	var srvCap *capture.Capture
	defer func() {
		if srvCap != nil {
			srvCap.Stop()
		}
	}()
	startCaptures := func() error {
		if err := b.Capture(b.Client, b.ClientIf); err != nil {
			return err
		}
		var err error
		srvCap, err = openCapture(b.Server, b.ServerIf)
		return err
	}
	run, err := e.drive(ctx, b, p, startCaptures)
	if err != nil {
		return nil, err
	}
	pkts, cstats, err := b.StopCaptures()
	if err != nil {
		return nil, err
	}
	srvPkts, sstats, err := srvCap.Stop()
	if err != nil {
		return nil, fmt.Errorf("capture %s in %s: %w", b.ServerIf, b.Server.Name(), err)
	}
	b.RecordEnv(r)
	b.RecordLinkStats(r)
	tfoRecordLateness(r, b)
	r.Metric("capture_kernel_drops", float64(cstats.KernelDrops+sstats.KernelDrops))
	w := observeFastOpen(run, pkts, srvPkts)
	e.check(r, p, run, w)
	if err := WritePcap(r, p.PcapPath(e.Name()), pkts); err != nil {
		return nil, err
	}
	if err := tfoWritePcap(r, "pcap_server", tfoServerPcapPath(p.PcapPath(e.Name())), srvPkts); err != nil {
		return nil, err
	}
	return r.Finish(), nil
}

// requireFastOpen probes both namespaces after the sysctl was set: a kernel
// without Fast Open makes the run impossible (*Unavailable), not failed.
func requireFastOpen(b *Bench) error {
	probe := func(what string, ns *netlab.NS, have func() error) error {
		err := ns.Do(have)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, tfo.ErrNotSupported):
			return &Unavailable{Reason: fmt.Sprintf("tfo: the %s cannot use TCP Fast Open here: %v", what, err)}
		default:
			return fmt.Errorf("tfo: probe the %s: %w", what, err)
		}
	}
	if err := probe("client", b.Client, tfo.HaveClient); err != nil {
		return err
	}
	return probe("server", b.Server, tfo.HaveServer)
}

// tfoRecordLateness adds how late the emulator delivered packets after they
// were due (its own account): the timing checks' error budget.
func tfoRecordLateness(r *Result, b *Bench) {
	if len(b.Links) == 0 {
		return
	}
	st := b.Links[0].Stats()
	for dir, d := range st.Dirs() {
		r.Metric("link_"+dir+"_late_p99_ms", ms(d.LateP99))
		r.Metric("link_"+dir+"_late_max_ms", ms(d.LateMax))
	}
}
