package experiment

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tcplab/tcplab/internal/analyze"
)

// TestNagleVerdicts runs the nagle experiment at a short and a long RTT and
// requires every check to pass, with the annotated capture written.
func TestNagleVerdicts(t *testing.T) {
	runVerdicts(t, []time.Duration{5 * time.Millisecond, 150 * time.Millisecond}, func(rtt time.Duration) (Experiment, Plan) {
		n := NewNagle()
		n.Exchanges = 8
		return n, planAt(rtt)
	}, "delayed ACK: the server had no data", func(t *testing.T, _ Experiment, p Plan, res *Result) {
		// The stall is the delayed-ACK timer, whatever the RTT.
		if s := res.Metrics["stall_ms"]; s < 35 || s > 60 {
			t.Errorf("stall_ms %.2f outside the 40 ms timer's window", s)
		}
		if got, want := res.Metrics["median_nodelay_ms"], ms(p.RTT); got < want*0.9 {
			t.Errorf("median_nodelay_ms %.2f is less than the RTT %v: the link does not delay", got, p.RTT)
		}
	})
}

func TestNagleEffectiveDelack(t *testing.T) {
	msd := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	for _, tc := range []struct {
		name            string
		ato, srtt, want time.Duration
	}{
		{"minimum ato is used as it is, short RTT", msd(40), msd(5), msd(40)},
		{"minimum ato is used as it is, long RTT", msd(40), msd(300), msd(40)},
		{"inflated ato capped at 40 ms by a short srtt", msd(80), msd(30), msd(40)},
		{"inflated ato capped by the srtt", msd(80), msd(60), msd(60)},
		{"inflated ato below the srtt stays", msd(80), msd(300), msd(80)},
		{"capped at TCP_DELACK_MAX", msd(400), msd(300), msd(200)},
		{"unknown srtt: TCP_DELACK_MAX only", msd(160), 0, msd(160)},
		{"no ato yet: TCP_ATO_MIN", 0, msd(10), msd(40)},
	} {
		if got := nagleEffectiveDelack(tc.ato, tc.srtt); got != tc.want {
			t.Errorf("%s: nagleEffectiveDelack(%v, %v) = %v, want %v", tc.name, tc.ato, tc.srtt, got, tc.want)
		}
	}
}

func TestNagleModelExchange(t *testing.T) {
	rtt, d := 40*time.Millisecond, 44*time.Millisecond
	for _, tc := range []struct {
		m      nagleMode
		exempt bool
		want   time.Duration
	}{
		{nagleModeNoDelay, false, rtt},
		{nagleModeCork, false, rtt},
		{nagleModeOn, false, 2*rtt + d},
		{nagleModeOn, true, 2 * rtt},
		{nagleModeQuickAck, false, 2 * rtt},
		{"bogus", false, 0},
	} {
		if got := nagleModelExchange(tc.m, rtt, d, tc.exempt); got != tc.want {
			t.Errorf("nagleModelExchange(%s, exempt %v) = %v, want %v", tc.m, tc.exempt, got, tc.want)
		}
	}
	// The model's tolerance never drops below 3 ms (4 ms ticks, loaded CPUs).
	if got := nagleTolerance(5 * time.Millisecond); got != 3*time.Millisecond {
		t.Errorf("tolerance at 5 ms = %v", got)
	}
	if got := nagleTolerance(600 * time.Millisecond); got != 60*time.Millisecond {
		t.Errorf("tolerance at 600 ms = %v", got)
	}
	lo, hi := nagleDelackWindow(40 * time.Millisecond)
	if lo > 36*time.Millisecond || hi < 48*time.Millisecond || lo < 30*time.Millisecond || hi > 60*time.Millisecond {
		t.Errorf("delack window for 40 ms = %v…%v", lo, hi)
	}
}

func TestNagleBurstSegments(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		writes       int
		writing, rtt time.Duration
		want         int
	}{
		{200, ms / 2, 40 * ms, 2},
		{200, 100 * ms, 40 * ms, 7},
		{200, 2 * ms, ms / 10, 42},
		{200, ms, 0, 200},
		{3, 10 * ms, ms, 3},
	} {
		if got := nagleBurstSegments(tc.writes, tc.writing, tc.rtt); got != tc.want {
			t.Errorf("nagleBurstSegments(%d, %v, %v) = %d, want %d", tc.writes, tc.writing, tc.rtt, got, tc.want)
		}
	}
}

// serialize builds a frame with gopacket, an implementation independent of
// nagleHeaderLens.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNagleHeaderLens(t *testing.T) {
	ts := []layers.TCPOption{
		{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)},
	}
	ip4 := func(opts ...layers.IPv4Option) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: []byte{198, 18, 0, 1}, DstIP: []byte{198, 18, 0, 2}, Options: opts}
	}
	ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolTCP, HopLimit: 64,
		SrcIP: netip.MustParseAddr("2001:db8::1").AsSlice(), DstIP: netip.MustParseAddr("2001:db8::2").AsSlice()}
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: et}
	}
	data := gopacket.Payload([]byte("x"))
	withTS, plain := &layers.TCP{SrcPort: 1, DstPort: 2, ACK: true, Options: ts}, &layers.TCP{SrcPort: 1, DstPort: 2, ACK: true}
	rawTS := serialize(t, ip4(), withTS, data)
	udp := serialize(t, &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: []byte{1, 1, 1, 1}, DstIP: []byte{2, 2, 2, 2}}, &layers.UDP{SrcPort: 1, DstPort: 2}, data)
	frag := append([]byte(nil), rawTS...)
	frag[7] = 1 // fragment offset 8 bytes: not the first fragment
	for _, tc := range []struct {
		name    string
		lt      layers.LinkType
		b       []byte
		ip, tcp int
		ok      bool
	}{
		{"raw IPv4 + TCP timestamps: 52", layers.LinkTypeRaw, rawTS, 20, 32, true},
		{"raw IPv4, no options: 40", layers.LinkTypeRaw, serialize(t, ip4(), plain, data), 20, 20, true},
		{"IPv4 with an option", layers.LinkTypeIPv4,
			serialize(t, ip4(layers.IPv4Option{OptionType: 1}, layers.IPv4Option{OptionType: 1}, layers.IPv4Option{OptionType: 1}, layers.IPv4Option{OptionType: 0}), plain, data), 24, 20, true},
		{"raw IPv6", layers.LinkTypeRaw, serialize(t, ip6, withTS, data), 40, 32, true},
		{"Ethernet IPv4", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeIPv4), ip4(), withTS, data), 20, 32, true},
		{"Ethernet VLAN IPv4", layers.LinkTypeEthernet,
			serialize(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, ip4(), plain, data), 20, 20, true},
		{"UDP", layers.LinkTypeRaw, udp, 0, 0, false},
		{"later fragment", layers.LinkTypeRaw, frag, 0, 0, false},
		{"cut in the TCP header", layers.LinkTypeRaw, rawTS[:40], 0, 0, false},
		{"cut in the IP header", layers.LinkTypeRaw, rawTS[:12], 0, 0, false},
		{"empty", layers.LinkTypeRaw, nil, 0, 0, false},
		{"unknown link type", layers.LinkTypeFDDI, rawTS, 0, 0, false},
		{"Ethernet ARP", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeARP), data), 0, 0, false},
	} {
		ip, tcp, ok := nagleHeaderLens(tc.lt, tc.b)
		if ok != tc.ok || ip != tc.ip || tcp != tc.tcp {
			t.Errorf("%s: nagleHeaderLens = %d, %d, %v; want %d, %d, %v", tc.name, ip, tcp, ok, tc.ip, tc.tcp, tc.ok)
		}
	}
}

func FuzzNagleHeaderLens(f *testing.F) {
	f.Add(uint8(101), []byte{0x45, 0, 0, 53, 0, 0, 0x40, 0, 64, 6, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
		0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x10, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(1), make([]byte, 60))
	f.Add(uint8(101), []byte{0x60})
	f.Fuzz(func(t *testing.T, lt uint8, b []byte) {
		ip, tcp, ok := nagleHeaderLens(layers.LinkType(lt), b)
		if !ok {
			if ip != 0 || tcp != 0 {
				t.Fatalf("not ok but lengths %d, %d", ip, tcp)
			}
			return
		}
		if ip < 20 || tcp < 20 || tcp > 60 || ip+tcp > len(b) {
			t.Fatalf("lengths %d + %d for a %d-byte frame", ip, tcp, len(b))
		}
	})
}

// nagleFlow builds a flow by hand: the client at c, the server at s.
type nagleFlowBuilder struct {
	f      analyze.Flow
	t0     time.Time
	cs, ss uint32 // next sequence numbers
}

func newNagleFlow() *nagleFlowBuilder {
	b := &nagleFlowBuilder{t0: time.Unix(1000, 0), cs: 1000, ss: 5000}
	b.f.Client = netip.MustParseAddrPort("198.18.0.1:40000")
	b.f.Server = netip.MustParseAddrPort("198.18.0.2:8050")
	b.add(0, true, 0, true, false)  // SYN
	b.add(10, false, 0, true, true) // SYN/ACK
	b.add(10, true, 0, false, true) // ACK
	return b
}

// add appends a segment at ms milliseconds after t0.
func (b *nagleFlowBuilder) add(msAt float64, fromClient bool, payload int, syn, ack bool) {
	s := analyze.Segment{Index: len(b.f.Segments), Time: b.t0.Add(time.Duration(msAt * float64(time.Millisecond))),
		SYN: syn, ACK: ack, Payload: payload}
	if fromClient {
		s.Src, s.Dst, s.Seq, s.Ack = b.f.Client, b.f.Server, b.cs, b.ss
		b.cs += uint32(payload)
		if syn {
			b.cs++
		}
	} else {
		s.Src, s.Dst, s.Seq, s.Ack = b.f.Server, b.f.Client, b.ss, b.cs
		b.ss += uint32(payload)
		if syn {
			b.ss++
		}
	}
	b.f.Segments = append(b.f.Segments, s)
}

func TestNagleReadExchanges(t *testing.T) {
	l := nagleLayout{hdr: 55, body: 20, reply: 27}
	// Nagle at RTT 10 ms: exchange 1 ACKed at once (quickack), exchange 2
	// ACKed 40 ms late; then one corked exchange (a single segment).
	b := newNagleFlow()
	b.add(20, true, 55, false, true) // header 1
	b.add(30, false, 0, false, true) // immediate ACK
	b.add(30, true, 20, false, true) // body 1
	b.add(40, false, 27, false, true)
	b.add(41, true, 55, false, true)  // header 2
	b.add(91, false, 0, false, true)  // ACK held 40 ms
	b.add(91, true, 20, false, true)  // body 2
	b.add(101, false, 0, false, true) // pure ACK of the body
	b.add(101, false, 27, false, true)
	b.add(102, true, 75, false, true) // corked request 3
	b.add(112, false, 27, false, true)
	hs, ok := b.f.Handshake()
	if !ok {
		t.Fatal("no handshake in the built flow")
	}
	ex := nagleReadExchanges(&b.f, hs, 3, l)
	msd := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	for k, want := range []struct {
		header, body, ack, reply int
		gap, ackAfter, total     time.Duration
		reqSegs                  int
		pure                     bool
	}{
		{3, 5, 4, 6, msd(10), msd(10), msd(20), 2, true},
		{7, 9, 8, 11, msd(50), msd(50), msd(60), 2, true},
		{12, 12, 13, 13, 0, msd(10), msd(10), 1, false},
	} {
		x := ex[k]
		if !x.complete() || x.header != want.header || x.body != want.body || x.ack != want.ack || x.reply != want.reply {
			t.Errorf("exchange %d: segments %d/%d/%d/%d, want %d/%d/%d/%d", k+1, x.header, x.body, x.ack, x.reply,
				want.header, want.body, want.ack, want.reply)
			continue
		}
		if x.gap() != want.gap || x.ackAfter() != want.ackAfter || x.total() != want.total || x.reqSegs != want.reqSegs || x.ackPure != want.pure {
			t.Errorf("exchange %d: gap %v ackAfter %v total %v reqSegs %d pure %v; want %v %v %v %d %v", k+1,
				x.gap(), x.ackAfter(), x.total(), x.reqSegs, x.ackPure, want.gap, want.ackAfter, want.total, want.reqSegs, want.pure)
		}
	}
	// The server's ACKs between the first header and the last reply: three
	// pure ACKs, three replies carrying an ACK.
	pure, piggy := analyze.PureAcks(nagleExchangeWindow(&b.f, ex), false)
	if pure != 3 || piggy != 3 {
		t.Errorf("server ACKs in the window: %d pure, %d piggybacked; want 3, 3", pure, piggy)
	}
	// A fourth exchange that never happened is reported incomplete.
	if x := nagleReadExchanges(&b.f, hs, 4, l)[3]; x.complete() {
		t.Errorf("exchange 4 reported complete: %+v", x)
	}
}

func TestNagleSplitTimes(t *testing.T) {
	l := nagleLayout{hdr: 55, body: 20, reply: 27}
	b := newNagleFlow()
	at := 20.0
	var times []nagleExchangeTime
	// rtt 10 ms; exchange 1 quick; 2 stalled, with a slow (60 ms) reply;
	// 3 therefore quick; 4 stalled.
	for _, step := range []struct{ held, serve float64 }{{0, 0}, {40, 60}, {0, 0}, {40, 0}} {
		start := at
		b.add(at, true, 55, false, true)
		at += 10 + step.held
		b.add(at, false, 0, false, true)
		b.add(at, true, 20, false, true)
		at += 10 + step.serve
		b.add(at, false, 27, false, true)
		times = append(times, nagleExchangeTime{start: b.t0.Add(time.Duration(start * 1e6)), end: b.t0.Add(time.Duration(at * 1e6))})
		at++
	}
	hs, _ := b.f.Handshake()
	wc := &nagleWireConn{found: true, ex: nagleReadExchanges(&b.f, hs, 4, l)}
	c := &nagleConn{mode: nagleModeOn, times: times}
	got := nagleSplitTimes(c, wc, 10*time.Millisecond, 1, 36*time.Millisecond)
	if len(got.firstHeld) != 1 || len(got.slowHeld) != 1 || got.counted != 2 || got.complete != 2 {
		t.Fatalf("split: first %v slow %v counted %d complete %d; want 1, 1, 2, 2", got.firstHeld, got.slowHeld, got.counted, got.complete)
	}
	if got.held[0] != 40 || got.held[1] != 40 || got.slowHeld[0] != 0 || got.pureHeaderAcks != 2 {
		t.Errorf("held %v slow %v pure %d", got.held, got.slowHeld, got.pureHeaderAcks)
	}
	// Without the slow rule exchange 3 counts.
	if got := nagleSplitTimes(c, wc, 10*time.Millisecond, 1, 0); got.counted != 3 {
		t.Errorf("without the slow rule %d counted, want 3", got.counted)
	}
}
