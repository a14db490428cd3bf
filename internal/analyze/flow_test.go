package analyze

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	cli  = netip.MustParseAddrPort("10.0.0.1:40000")
	srv  = netip.MustParseAddrPort("10.0.0.2:80")
	cli2 = netip.MustParseAddrPort("10.0.0.1:40002")
)

// sg builds a segment: flags is a string of S, A, F, R, P; at is the time in
// milliseconds after t0.
func sg(src, dst netip.AddrPort, flags string, seq, ack uint32, payload int, at float64) Segment {
	return Segment{
		Time: t0.Add(time.Duration(at * float64(time.Millisecond))), Src: src, Dst: dst, Seq: seq, Ack: ack,
		SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"), FIN: strings.Contains(flags, "F"),
		RST: strings.Contains(flags, "R"), PSH: strings.Contains(flags, "P"), Payload: payload, Opts: Options{WScale: -1},
	}
}

// conn returns a complete client-closes-first connection from c to srv
// with client ISN ci and server ISN si, starting at ms.
func conn(c netip.AddrPort, ci, si uint32, ms float64) []Segment {
	return []Segment{
		sg(c, srv, "S", ci, 0, 0, ms),
		sg(srv, c, "SA", si, ci+1, 0, ms+10),
		sg(c, srv, "A", ci+1, si+1, 0, ms+10.1),
		sg(c, srv, "PA", ci+1, si+1, 100, ms+10.2),
		sg(srv, c, "PA", si+1, ci+101, 200, ms+20.2),
		sg(c, srv, "FA", ci+101, si+201, 0, ms+20.3),
		sg(srv, c, "FA", si+201, ci+102, 0, ms+30.3),
		sg(c, srv, "A", ci+102, si+202, 0, ms+30.4),
	}
}

func index(segs []Segment) []Segment {
	for i := range segs {
		segs[i].Index = i
	}
	return segs
}

func TestFlowsSplitsAndOrders(t *testing.T) {
	a := conn(cli, 1000, 5000, 0)
	b := conn(cli2, 7000, 9000, 1)
	reuse := conn(cli, 88888, 123, 100) // same 4-tuple as a, new ISN
	var segs []Segment
	// Interleave a and b, then the reuse of a's 4-tuple.
	for i := range a {
		segs = append(segs, a[i], b[i])
	}
	segs = index(append(segs, reuse...))

	flows := Flows(segs)
	if len(flows) != 3 {
		t.Fatalf("%d flows, want 3 (two interleaved, one reusing the first 4-tuple)", len(flows))
	}
	for i, want := range []struct {
		client netip.AddrPort
		isn    uint32
	}{{cli, 1000}, {cli2, 7000}, {cli, 88888}} {
		f := flows[i]
		if f.Client != want.client || f.Server != srv || len(f.Segments) != 8 || f.Segments[0].Seq != want.isn {
			t.Errorf("flow %d: %v→%v, %d segments, first seq %d; want %v→%v, 8, %d",
				i, f.Client, f.Server, len(f.Segments), f.Segments[0].Seq, want.client, srv, want.isn)
		}
	}
}

func TestFlowsSYNRetransmissionAndSimultaneousOpen(t *testing.T) {
	segs := index([]Segment{
		sg(cli, srv, "S", 1000, 0, 0, 0),
		sg(cli, srv, "S", 1000, 0, 0, 1000), // retransmitted SYN
		sg(srv, cli, "SA", 5000, 1001, 0, 1010),
		sg(cli, srv, "A", 1001, 5001, 0, 1010.1),
	})
	if flows := Flows(segs); len(flows) != 1 {
		t.Errorf("a retransmitted SYN opened a new flow: %d flows", len(flows))
	}
	simul := index([]Segment{
		sg(cli, srv, "S", 1000, 0, 0, 0),
		sg(srv, cli, "S", 5000, 0, 0, 0.5),
		sg(cli, srv, "SA", 1000, 5001, 0, 1),
		sg(srv, cli, "SA", 5000, 1001, 0, 1.5),
	})
	if flows := Flows(simul); len(flows) != 1 || flows[0].Client != cli {
		t.Errorf("simultaneous open: %d flows, want 1 with client %v", len(flows), cli)
	}
}

func TestFlowsClientWithoutSYN(t *testing.T) {
	// Capture starts mid-connection: the first sender is taken as client.
	mid := index([]Segment{sg(srv, cli, "PA", 5000, 1000, 10, 0), sg(cli, srv, "A", 1000, 5010, 0, 1)})
	if f := Flows(mid)[0]; f.Client != srv {
		t.Errorf("mid-stream client %v, want the first sender %v", f.Client, srv)
	}
	// Capture starts after the SYN: the SYN/ACK's receiver is the client.
	late := index([]Segment{sg(srv, cli, "SA", 5000, 1001, 0, 0), sg(cli, srv, "A", 1001, 5001, 0, 1)})
	if f := Flows(late)[0]; f.Client != cli || f.Server != srv {
		t.Errorf("client %v server %v, want %v and %v from the SYN/ACK", f.Client, f.Server, cli, srv)
	}
	// A SYN on a 4-tuple first seen mid-stream opens a new flow.
	mid = append(mid, sg(cli, srv, "S", 77, 0, 0, 5))
	if flows := Flows(index(mid)); len(flows) != 2 || flows[1].Client != cli {
		t.Errorf("SYN after a mid-stream flow: %d flows", len(flows))
	}
}

func TestHandshakeEdgeCases(t *testing.T) {
	retried := Flows(index([]Segment{
		sg(cli, srv, "S", 1000, 0, 0, 0),
		sg(cli, srv, "S", 1000, 0, 0, 1000),
		sg(srv, cli, "SA", 5000, 1001, 0, 1012),
		sg(cli, srv, "A", 1001, 5001, 0, 1012.5),
	}))[0]
	h, ok := retried.Handshake()
	if !ok || h.SYNRetransmits != 1 || h.RTT != 12*time.Millisecond || h.SYN.Index != 0 || h.ACK.Index != 3 {
		t.Errorf("retried handshake %+v ok=%v: want 1 retransmit, RTT 12ms from the last SYN", h, ok)
	}

	refused := Flows(index([]Segment{sg(cli, srv, "S", 1000, 0, 0, 0), sg(srv, cli, "RA", 0, 1001, 0, 1)}))[0]
	if h, ok := refused.Handshake(); ok || h.SYN == nil || h.SYNACK != nil {
		t.Errorf("refused connection: ok=%v %+v, want SYN only", ok, h)
	}
	if td := refused.Teardown(); !td.Reset || td.ActiveCloser != "server" {
		t.Errorf("refused connection teardown %+v", td)
	}

	// TFO data the server did not accept: the SYN/ACK acknowledges the SYN
	// only and the client sends the data again.
	syn := sg(cli, srv, "S", 1000, 0, 30, 0)
	syn.Opts.TFO = &TFO{Cookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}}
	rejected := Flows(index([]Segment{
		syn,
		sg(srv, cli, "SA", 5000, 1001, 0, 10),
		sg(cli, srv, "PA", 1001, 5001, 30, 10.1),
	}))[0]
	h, ok = rejected.Handshake()
	if !ok || h.SYNData != 30 || h.SYNDataAcked || h.ACK == nil || h.ACK.Payload != 30 {
		t.Errorf("rejected TFO data: %+v ok=%v", h, ok)
	}
	if r := rejected.Retransmissions(true); r != 1 {
		t.Errorf("data resent after a rejected SYN: %d retransmissions, want 1", r)
	}
	if b := rejected.Bytes(true); b != 30 {
		t.Errorf("bytes %d, want 30 (the resend covers the same range)", b)
	}

	// A SYN/ACK that acknowledges something else is not the handshake's.
	stray := Flows(index([]Segment{sg(cli, srv, "S", 1000, 0, 0, 0), sg(srv, cli, "SA", 5000, 4242, 0, 1)}))[0]
	if _, ok := stray.Handshake(); ok {
		t.Error("a SYN/ACK with the wrong ACK number completed the handshake")
	}
}

func TestTeardownVariants(t *testing.T) {
	serverFirst := []Segment{
		sg(cli, srv, "S", 1000, 0, 0, 0), sg(srv, cli, "SA", 5000, 1001, 0, 1), sg(cli, srv, "A", 1001, 5001, 0, 2),
		sg(srv, cli, "FA", 5001, 1001, 0, 3),
		sg(cli, srv, "A", 1001, 5002, 0, 4),
		sg(cli, srv, "FA", 1001, 5002, 0, 5),
		sg(srv, cli, "A", 5002, 1002, 0, 6),
	}
	unacked := append([]Segment(nil), serverFirst[:6]...)
	finThenRST := append(append([]Segment(nil), serverFirst...), sg(cli, srv, "R", 1002, 0, 0, 7))
	simultaneous := []Segment{
		sg(cli, srv, "S", 1000, 0, 0, 0), sg(srv, cli, "SA", 5000, 1001, 0, 1), sg(cli, srv, "A", 1001, 5001, 0, 2),
		sg(cli, srv, "FA", 1001, 5001, 0, 3),
		sg(srv, cli, "FA", 5001, 1001, 0, 3.1),
		sg(cli, srv, "A", 1002, 5002, 0, 4),
		sg(srv, cli, "A", 5002, 1002, 0, 4.1),
	}
	rstOnly := []Segment{sg(cli, srv, "S", 1000, 0, 0, 0), sg(srv, cli, "SA", 5000, 1001, 0, 1), sg(cli, srv, "RA", 1001, 5001, 0, 2)}
	for _, tc := range []struct {
		name  string
		segs  []Segment
		fins  int
		rsts  int
		first string
		tw    string
	}{
		{"server closes first", serverFirst, 2, 0, "server", "server"},
		{"last FIN never acked", unacked, 2, 0, "server", ""},
		{"FIN then RST", finThenRST, 2, 1, "server", ""},
		{"simultaneous close", simultaneous, 2, 0, "client", "client"},
		{"client aborts", rstOnly, 0, 1, "client", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td := Flows(index(tc.segs))[0].Teardown()
			if td.FINs != tc.fins || td.RSTs != tc.rsts || td.ActiveCloser != tc.first || td.TimeWaitHolder != tc.tw || td.Reset != (tc.rsts > 0) {
				t.Errorf("teardown %+v; want FINs %d RSTs %d closer %q TIME_WAIT %q", td, tc.fins, tc.rsts, tc.first, tc.tw)
			}
		})
	}
}

func TestRetransmissionsAndBytesAcrossWrap(t *testing.T) {
	isn := uint32(0xffffff00) // data crosses 2^32 after 255 bytes
	segs := []Segment{
		sg(cli, srv, "S", isn, 0, 0, 0), sg(srv, cli, "SA", 1, isn+1, 0, 1), sg(cli, srv, "A", isn+1, 2, 0, 2),
		sg(cli, srv, "A", isn+1, 2, 200, 3),
		sg(cli, srv, "A", isn+201, 2, 200, 3.1), // crosses the wrap
		sg(cli, srv, "A", isn+401, 2, 200, 3.2),
		sg(cli, srv, "A", isn+201, 2, 200, 50), // retransmission of the second
		sg(cli, srv, "A", isn+301, 2, 200, 60), // overlaps the second and third
		sg(cli, srv, "A", isn+601, 2, 100, 61),
		sg(cli, srv, "A", isn+900, 2, 50, 62), // after a 199-byte gap the capture missed
	}
	f := Flows(index(segs))[0]
	if r := f.Retransmissions(true); r != 2 {
		t.Errorf("%d retransmissions, want 2", r)
	}
	if b := f.Bytes(true); b != 700+50 {
		t.Errorf("%d unique bytes, want 750", b)
	}
	if d := f.Data(true); len(d) != 7 {
		t.Errorf("%d data segments, want 7", len(d))
	}
	if r := f.Retransmissions(false); r != 0 || f.Bytes(false) != 0 {
		t.Errorf("server side: %d retransmissions, %d bytes; want none", r, f.Bytes(false))
	}
}

func TestPureAcks(t *testing.T) {
	f := Flows(index(conn(cli, 1000, 5000, 0)))[0]
	// Client: ACK of SYN/ACK and final ACK are pure, the request piggybacks,
	// its FIN counts as neither. Server: response piggybacks, FIN neither.
	if p, pb := PureAcks(f, true); p != 2 || pb != 1 {
		t.Errorf("client %d pure, %d piggybacked; want 2, 1", p, pb)
	}
	if p, pb := PureAcks(f, false); p != 0 || pb != 1 {
		t.Errorf("server %d pure, %d piggybacked; want 0, 1", p, pb)
	}
}

// ackClocked builds a sender-side capture of slow start: rounds of n
// segments of 100 bytes, each round's segments sent back to back and each
// ACKed one by one an RTT later, every ACK releasing the next round's
// segments.
func ackClocked(rounds []int, rtt float64) []Segment {
	segs := []Segment{
		sg(cli, srv, "S", 0, 0, 0, 0), sg(srv, cli, "SA", 1000, 1, 0, 0.01), sg(cli, srv, "A", 1, 1001, 0, rtt),
		sg(cli, srv, "PA", 1, 1001, 10, rtt),
	}
	seq, at := uint32(1001), rtt+0.1
	var sent []uint32 // end of each segment sent in the current round
	for _, n := range rounds {
		var next []uint32
		for i := 0; i < n; i++ {
			if i < len(sent) {
				// The ACK of the previous round's i-th segment.
				segs = append(segs, sg(cli, srv, "A", 11, sent[i], 0, at))
			}
			segs = append(segs, sg(srv, cli, "A", seq, 11, 100, at+0.001))
			seq += 100
			next = append(next, seq)
			at += 0.01
		}
		sent = next
		at += rtt
	}
	return segs
}

func TestFlightsRule(t *testing.T) {
	want := []int{10, 20, 40, 80}
	f := Flows(index(ackClocked(want, 20)))[0]
	if got := Flights(f, false, 0); !slices.Equal(got, want) {
		t.Errorf("ACK rule: %v, want %v", got, want)
	}
	if got := Flights(f, false, 20*time.Millisecond); !slices.Equal(got, want) {
		t.Errorf("ACK rule with rtt guard: %v, want %v", got, want)
	}
	if got := Flights(f, true, 0); !slices.Equal(got, []int{1}) {
		t.Errorf("client flights %v, want [1]", got)
	}

	// Receiver's view: each segment is ACKed at once, so without the guard
	// every segment after the first ACK would open a round.
	var rx []Segment
	rx = append(rx, sg(cli, srv, "S", 0, 0, 0, 0), sg(srv, cli, "SA", 1000, 1, 0, 20), sg(cli, srv, "A", 1, 1001, 0, 20))
	seq, at := uint32(1001), 40.0
	for _, n := range []int{2, 4, 8} {
		for i := 0; i < n; i++ {
			rx = append(rx, sg(srv, cli, "A", seq, 1, 100, at), sg(cli, srv, "A", 1, seq+100, 0, at+0.01))
			seq += 100
			at += 0.1
		}
		at += 20
	}
	g := Flows(index(rx))[0]
	if got := Flights(g, false, 20*time.Millisecond); !slices.Equal(got, []int{2, 4, 8}) {
		t.Errorf("receiver side with rtt guard: %v, want [2 4 8]", got)
	}
	if got := Flights(g, false, 0); len(got) != 14 {
		t.Errorf("receiver side without guard: %v, want 14 one-segment rounds", got)
	}
	if got := Flights(&Flow{Client: cli, Server: srv}, true, 0); got != nil {
		t.Errorf("empty flow flights %v, want nil", got)
	}
}
