package experiment

import (
	"context"
	"time"

	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/internal/netlab"
)

// labRun is what one experiment does in its lab, in the order runInLab
// calls it; everything else about a run is the same for every experiment.
// T is what the experiment's drive observed (its runs, transactions, …).
type labRun[T any] struct {
	// topology and sysctls are Setup's: the lab's shape (the zero value is
	// netlab.ClientServer) and the sysctls set in every namespace of it.
	topology netlab.Topology
	sysctls  map[string]string
	// prepare, if set, runs on the built lab before the captures start
	// (extra addresses, say).
	prepare func(b *Bench) error
	// bothLinks captures the server's link as well as the client's, for a
	// lab with two links (netlab.ClientProxyServer); the two captures are
	// merged by time into one list of packets and one pcapng.
	bothLinks bool
	// drive runs the experiment's traffic with the captures on.
	drive func(ctx context.Context, b *Bench, p Plan) (T, error)
	// settle is how long to wait after drive before the captures stop, so
	// that the last ACKs, FINs or a late RST reach them.
	settle time.Duration
	// verdict reads the wire (pkts) and the kernel into r's checks and
	// metrics and annotates pkts. It runs once the environment and the link
	// counters are recorded, while the lab still stands.
	verdict func(b *Bench, obs T, pkts []capture.Packet)
}

// runInLab is the body every experiment's Run shares once its parameters
// are checked and r is started: Setup the lab, start the captures on the
// client's link (and the server's), drive, stop the captures, record the
// environment, the link's counters and the captures' drops, let the
// experiment judge, write the annotated pcapng to p.PcapPath and finish r.
// The lab is removed when it returns.
func runInLab[T any](ctx context.Context, e Experiment, p Plan, r *Result, run labRun[T]) (*Result, error) {
	b, err := Setup(ctx, e.Name(), p, run.topology, run.sysctls)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if run.prepare != nil {
		if err := run.prepare(b); err != nil {
			return nil, err
		}
	}
	if err := b.Capture(b.Client, b.ClientIf); err != nil {
		return nil, err
	}
	if run.bothLinks {
		if err := b.Capture(b.Server, b.ServerIf); err != nil {
			return nil, err
		}
	}
	obs, err := run.drive(ctx, b, p)
	if err != nil {
		return nil, err
	}
	if run.settle > 0 {
		time.Sleep(run.settle)
	}
	pkts, drops, err := b.StopAllCaptures()
	if err != nil {
		return nil, err
	}
	b.Record(r, drops)
	run.verdict(b, obs, pkts)
	if err := WritePcap(r, p.PcapPath(e.Name()), pkts); err != nil {
		return nil, err
	}
	return r.Finish(), nil
}
