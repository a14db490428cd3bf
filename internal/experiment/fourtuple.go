package experiment

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

func init() { Register(10, func() Experiment { return NewFourTuple() }) }

// FourTuple shows that a TCP connection is its 4-tuple (§4.1, claim C1):
// connections that share three of source address, source port,
// destination address and destination port coexist, and a second
// connection with all four equal is refused by the kernel.
type FourTuple struct {
	// ClientPort is the fixed client port the connections bind; the
	// "other client port" connection uses ClientPort+1. Below the ephemeral
	// range (32768–60999) so nothing else takes it.
	ClientPort uint16
	// ServerPort is the server's first listening port; the second is
	// ServerPort+1.
	ServerPort uint16
	// SecondAddresses adds a second address at each end (198.18.0.3 for the
	// client, 198.18.0.4 for the server) for the connections that differ
	// only in an address.
	SecondAddresses bool
}

// NewFourTuple returns the experiment with its default parameters.
func NewFourTuple() *FourTuple {
	return &FourTuple{ClientPort: 31001, ServerPort: 9001, SecondAddresses: true}
}

func (x *FourTuple) Name() string    { return "fourtuple" }
func (x *FourTuple) Section() string { return "4.1" }
func (x *FourTuple) Title() string {
	return "a connection is its 4-tuple: three shared values coexist, four equal are refused"
}

func (x *FourTuple) params() map[string]any {
	return map[string]any{"client_port": x.ClientPort, "server_port": x.ServerPort, "second_addresses": x.SecondAddresses}
}

// The lab's second addresses, from the same RFC 2544 range as netlab's.
var (
	fourTupleClientAddr2 = netip.MustParseAddr("198.18.0.3")
	fourTupleServerAddr2 = netip.MustParseAddr("198.18.0.4")
)

// ftConn is one planned connection: its label, the field in which it
// differs from the base connection, and the 4-tuple it asks for.
type ftConn struct {
	label  string
	differ string // "" for the base; else one of ftFields
	want   ftTuple
}

// plan lays out the connections: the base, then one per field of the
// 4-tuple that differs from the base in that field only.
func (x *FourTuple) plan(client, server netip.Addr) []ftConn {
	cp, sp := x.ClientPort, x.ServerPort
	base := ftTuple{netip.AddrPortFrom(client, cp), netip.AddrPortFrom(server, sp)}
	conns := []ftConn{
		{label: "base", want: base},
		{label: "other-server-port", differ: "server port", want: ftTuple{base.Client, netip.AddrPortFrom(server, sp+1)}},
		{label: "other-client-port", differ: "client port", want: ftTuple{netip.AddrPortFrom(client, cp+1), base.Server}},
	}
	if x.SecondAddresses {
		conns = append(conns,
			ftConn{label: "other-client-addr", differ: "client address", want: ftTuple{netip.AddrPortFrom(fourTupleClientAddr2, cp), base.Server}},
			ftConn{label: "other-server-addr", differ: "server address", want: ftTuple{base.Client, netip.AddrPortFrom(fourTupleServerAddr2, sp)}})
	}
	return conns
}

// Run builds a client⇄server lab (plus second addresses), opens every
// planned connection at once from raw sockets bound to fixed ports, reads
// each one's 4-tuple from the SYNs on the wire and from both kernels, tries
// the duplicate three ways, and checks C1.
func (x *FourTuple) Run(ctx context.Context, p Plan) (*Result, error) {
	if x.ClientPort < 1024 || x.ClientPort > 65534 || x.ServerPort < 1 || x.ServerPort > 65534 {
		return nil, fmt.Errorf("fourtuple: ports out of range (client 1024–65534, server 1–65534)")
	}
	r := NewResult(x, p, x.params())
	return runInLab(ctx, x, p, r, labRun[*ftObserved]{
		prepare: x.addSecondAddresses,
		drive: func(ctx context.Context, b *Bench, p Plan) (*ftObserved, error) {
			obs, err := x.drive(ctx, b, p, x.plan(b.ClientAddr, b.ServerAddr))
			if err != nil {
				return nil, fmt.Errorf("fourtuple: %w", err)
			}
			return obs, nil
		},
		settle: p.RTT + 20*time.Millisecond, // the last FINs reach the capture
		verdict: func(_ *Bench, obs *ftObserved, pkts []capture.Packet) {
			segs, _ := analyze.Decode(Frames(pkts))
			observeFourTupleWire(analyze.Flows(segs), segs, obs)
			annotateFourTuple(pkts, obs)
			x.check(r, obs)
			if err := writeFourTupleTable(p.Artifact("fourtuple-tuples.tsv"), obs); err == nil {
				r.Artifacts["tuples"] = p.Artifact("fourtuple-tuples.tsv")
			}
		},
	})
}

// addSecondAddresses gives each end its second address when the experiment
// asks for them.
func (x *FourTuple) addSecondAddresses(b *Bench) error {
	if !x.SecondAddresses {
		return nil
	}
	if err := addHostAddr(b.Client, b.ClientIf, fourTupleClientAddr2, fourTupleServerAddr2); err != nil {
		return fmt.Errorf("fourtuple: client's second address: %w", err)
	}
	if err := addHostAddr(b.Server, b.ServerIf, fourTupleServerAddr2, fourTupleClientAddr2); err != nil {
		return fmt.Errorf("fourtuple: server's second address: %w", err)
	}
	return nil
}
