package analyze

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcplab/tcplab/internal/capture"
)

// The golden captures are real traffic recorded by gen_test.go (see there
// for the topologies). Their request and response sizes:
const (
	goldenRequest  = len("GET / HTTP/1.1\r\nHost: lab\r\n\r\n")               // 29
	goldenResponse = len("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") // 43
)

func oneFlow(t *testing.T, name string) *Flow {
	t.Helper()
	_, flows := golden(t, name)
	if len(flows) != 1 {
		t.Fatalf("%s: %d flows, want 1", name, len(flows))
	}
	return flows[0]
}

func TestGoldenLinkTypes(t *testing.T) {
	for name, want := range map[string]layers.LinkType{
		"handshake_http.pcapng":   layers.LinkTypeEthernet,
		"flights_sender.pcapng":   layers.LinkTypeRaw,
		"flights_receiver.pcapng": layers.LinkTypeRaw,
	} {
		pkts, err := capture.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) == 0 || pkts[0].LinkType != want {
			t.Errorf("%s: %d packets, link type %v, want %v", name, len(pkts), pkts[0].LinkType, want)
		}
	}
}

func TestGoldenHandshake(t *testing.T) {
	f := oneFlow(t, "handshake_http.pcapng")
	if want := netip.MustParseAddrPort("10.77.0.2:8080"); f.Server != want || f.Client.Addr() != netip.MustParseAddr("10.77.0.1") {
		t.Errorf("client %v server %v, want 10.77.0.1:* → %v", f.Client, f.Server, want)
	}
	h, ok := f.Handshake()
	if !ok || h.ACK == nil {
		t.Fatalf("handshake incomplete: %+v", h)
	}
	if !(h.SYN.Index < h.SYNACK.Index && h.SYNACK.Index < h.ACK.Index) {
		t.Errorf("handshake frames %d, %d, %d out of order", h.SYN.Index, h.SYNACK.Index, h.ACK.Index)
	}
	if h.SYNACK.Ack != h.SYN.Seq+1 || h.ACK.Ack != h.SYNACK.Seq+1 {
		t.Errorf("handshake ACK numbers do not chain: SYN seq %d, SYN/ACK %d/%d, ACK ack %d", h.SYN.Seq, h.SYNACK.Seq, h.SYNACK.Ack, h.ACK.Ack)
	}
	// Both ends are Linux on a 1500-byte veth with tcp_rmem max 32 MiB.
	for side, o := range map[string]Options{"client": h.ClientOpts, "server": h.ServerOpts} {
		if o.MSS != 1460 || o.WScale != 10 || !o.SACKPerm || !o.HasTS || o.TFO != nil {
			t.Errorf("%s SYN options %+v, want MSS 1460, wscale 10, SACK-permitted, timestamps, no TFO", side, o)
		}
	}
	if h.ServerOpts.TSEcr != h.ClientOpts.TSVal {
		t.Errorf("SYN/ACK echoes TSecr %d, SYN sent TSval %d", h.ServerOpts.TSEcr, h.ClientOpts.TSVal)
	}
	if want := h.SYNACK.Time.Sub(h.SYN.Time); h.RTT != want || h.RTT <= 0 || h.RTT > 5*time.Millisecond {
		t.Errorf("RTT %v, want SYN→SYN/ACK %v, positive and veth-short", h.RTT, want)
	}
	if h.SYNData != 0 || h.CookieRequested || h.CookieLen != 0 || h.SYNRetransmits != 0 {
		t.Errorf("plain handshake reports TFO or retries: %+v", h)
	}
	// The generator commented the handshake; Segment.Index leads back to
	// the packet and its pcapng comment.
	pkts, err := capture.ReadFile(filepath.Join("testdata", "handshake_http.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    *Segment
		want string
	}{{h.SYN, "SYN — client opens"}, {h.SYNACK, "SYN/ACK — 1 RTT = "}, {h.ACK, "ACK — handshake complete"}} {
		if got := pkts[c.s.Index].Comment; !strings.HasPrefix(got, c.want) {
			t.Errorf("frame %d comment %q, want %q…", c.s.Index, got, c.want)
		}
	}
}

func TestGoldenExchangeAndClose(t *testing.T) {
	f := oneFlow(t, "handshake_http.pcapng")
	for _, tc := range []struct {
		client bool
		bytes  int
	}{{true, goldenRequest}, {false, goldenResponse}} {
		if d := f.Data(tc.client); len(d) != 1 || d[0].Payload != tc.bytes || !d[0].PSH {
			t.Errorf("client=%v: data %+v, want one PSH segment of %d bytes", tc.client, d, tc.bytes)
		}
		if b := f.Bytes(tc.client); b != tc.bytes {
			t.Errorf("client=%v: %d bytes, want %d", tc.client, b, tc.bytes)
		}
		if r := f.Retransmissions(tc.client); r != 0 {
			t.Errorf("client=%v: %d retransmissions on a clean veth", tc.client, r)
		}
	}
	// The client ACKs the SYN/ACK, the response and the server's FIN; its
	// request carries the ACK of the SYN/ACK again. The server ACKs the
	// request alone, then piggybacks on the response.
	if p, pb := PureAcks(f, true); p != 3 || pb != 1 {
		t.Errorf("client pure/piggybacked ACKs %d/%d, want 3/1", p, pb)
	}
	if p, pb := PureAcks(f, false); p != 1 || pb != 1 {
		t.Errorf("server pure/piggybacked ACKs %d/%d, want 1/1", p, pb)
	}
	td := f.Teardown()
	if td.FINs != 2 || td.RSTs != 0 || td.Reset || td.FirstRST != nil {
		t.Errorf("teardown %+v, want two FINs and no RST", td)
	}
	if td.FirstFIN == nil || td.FirstFIN.Src != f.Client {
		t.Fatalf("first FIN %+v, want the client's", td.FirstFIN)
	}
	if td.ActiveCloser != "client" || td.TimeWaitHolder != "client" {
		t.Errorf("active closer %q, TIME_WAIT on %q; want the client for both", td.ActiveCloser, td.TimeWaitHolder)
	}
}

func TestGoldenReset(t *testing.T) {
	f := oneFlow(t, "reset.pcapng")
	td := f.Teardown()
	if !td.Reset || td.RSTs != 1 || td.FINs != 0 || td.FirstFIN != nil {
		t.Errorf("teardown %+v, want one RST and no FIN (SO_LINGER {1,0})", td)
	}
	if td.FirstRST == nil || td.FirstRST.Src != f.Server {
		t.Fatalf("first RST %+v, want the server's", td.FirstRST)
	}
	if td.ActiveCloser != "server" || td.TimeWaitHolder != "" {
		t.Errorf("active closer %q, TIME_WAIT on %q; want server and nobody", td.ActiveCloser, td.TimeWaitHolder)
	}
	if b := f.Bytes(false); b != goldenResponse {
		t.Errorf("server sent %d bytes before the reset, want %d", b, goldenResponse)
	}
}

func TestGoldenFastOpen(t *testing.T) {
	_, flows := golden(t, "tfo.pcapng")
	if len(flows) != 2 {
		t.Fatalf("%d flows, want 2 connections", len(flows))
	}
	if flows[0].Server != flows[1].Server || flows[0].Client == flows[1].Client {
		t.Errorf("flows %v→%v and %v→%v: want one server, two client ports", flows[0].Client, flows[0].Server, flows[1].Client, flows[1].Server)
	}

	// Connection 1: the client asks for a cookie, the server grants 8 bytes,
	// the request waits for the handshake.
	h1, ok := flows[0].Handshake()
	if !ok {
		t.Fatal("first TFO handshake incomplete")
	}
	if !h1.CookieRequested || h1.SYNData != 0 || h1.CookieLen != 8 {
		t.Errorf("first connection: requested %v, SYN data %d, cookie %d; want a request, no data, 8 bytes",
			h1.CookieRequested, h1.SYNData, h1.CookieLen)
	}
	if h1.ClientOpts.TFO == nil || len(h1.ClientOpts.TFO.Cookie) != 0 {
		t.Errorf("first SYN TFO option %+v, want an empty cookie (kind 34, length 2)", h1.ClientOpts.TFO)
	}
	// Observed on Linux 6.18: the SYN/ACK that carries the new cookie has
	// no timestamps option, so that connection runs without timestamps.
	if h1.ServerOpts.HasTS || h1.ACK == nil || h1.ACK.Opts.HasTS {
		t.Errorf("first connection: SYN/ACK timestamps %v; want none on the cookie-granting SYN/ACK", h1.ServerOpts.HasTS)
	}
	if d := flows[0].Data(true); len(d) != 1 || d[0].SYN || d[0].Payload != goldenRequest {
		t.Errorf("first connection: client data %+v, want the request after the handshake", d)
	}

	// Connection 2: the SYN presents the cookie and carries the request; the
	// SYN/ACK acknowledges it and needs no TFO option.
	h2, ok := flows[1].Handshake()
	if !ok {
		t.Fatal("second TFO handshake incomplete")
	}
	cookie := h1.ServerOpts.TFO.Cookie
	if h2.ClientOpts.TFO == nil || !bytes.Equal(h2.ClientOpts.TFO.Cookie, cookie) || h2.ClientOpts.TFO.Request {
		t.Errorf("second SYN TFO option %+v, want the cookie %x", h2.ClientOpts.TFO, cookie)
	}
	if h2.SYNData != goldenRequest || !h2.SYNDataAcked || h2.CookieRequested || h2.CookieLen != 0 {
		t.Errorf("second connection: SYN data %d acked %v, requested %v, cookie %d; want %d acked bytes, no new cookie",
			h2.SYNData, h2.SYNDataAcked, h2.CookieRequested, h2.CookieLen, goldenRequest)
	}
	if d := flows[1].Data(true); len(d) != 1 || !d[0].SYN {
		t.Errorf("second connection: client data %+v, want only the SYN", d)
	}
	if b := flows[1].Bytes(true); b != goldenRequest {
		t.Errorf("second connection: client bytes %d, want %d (SYN data counts)", b, goldenRequest)
	}
}

// slowStart is what reno sends from an initial window of 10 when every
// round's ACKs double cwnd: 228 segments of 88 bytes (MSS 100 less 12 bytes
// of timestamps) carry the 20000-byte response.
var slowStart = []int{10, 20, 40, 80, 78}

func TestGoldenFlightsAtSender(t *testing.T) {
	f := oneFlow(t, "flights_sender.pcapng")
	h, ok := f.Handshake()
	if !ok {
		t.Fatal("no handshake")
	}
	if h.ClientOpts.MSS != 100 {
		t.Errorf("client MSS %d, want 100 (TCP_MAXSEG)", h.ClientOpts.MSS)
	}
	// At the sender the SYN/ACK leaves right after the SYN arrives.
	if h.RTT > 2*time.Millisecond {
		t.Errorf("SYN→SYN/ACK at the server's end %v, want ≈ 0", h.RTT)
	}
	for _, rtt := range []time.Duration{0, h.RTT} {
		if got := Flights(f, false, rtt); !slices.Equal(got, slowStart) {
			t.Errorf("Flights(rtt %v) = %v, want %v", rtt, got, slowStart)
		}
	}
	checkBulk(t, f)
}

func TestGoldenFlightsAtReceiver(t *testing.T) {
	f := oneFlow(t, "flights_receiver.pcapng")
	h, ok := f.Handshake()
	if !ok {
		t.Fatal("no handshake")
	}
	// Two 10 ms relay hops, plus timer lateness.
	if h.RTT < 20*time.Millisecond || h.RTT > 40*time.Millisecond {
		t.Errorf("SYN→SYN/ACK at the client's end %v, want 20–40 ms", h.RTT)
	}
	if got := Flights(f, false, h.RTT); !slices.Equal(got, slowStart) {
		t.Errorf("Flights(rtt %v) = %v, want %v", h.RTT, got, slowStart)
	}
	// Without the rtt/2 guard the receiver's own ACKs split every round.
	if got := Flights(f, false, 0); len(got) <= len(slowStart) {
		t.Errorf("Flights(rtt 0) at the receiver = %v; expected the ACK rule alone to over-split", got)
	}
	checkBulk(t, f)

	s := oneFlow(t, "flights_sender.pcapng")
	hs, _ := s.Handshake()
	if hs.SYN.Seq != h.SYN.Seq || s.Client != f.Client {
		t.Errorf("the two flight captures are not the same connection: %v/%d vs %v/%d", s.Client, hs.SYN.Seq, f.Client, h.SYN.Seq)
	}
}

func checkBulk(t *testing.T, f *Flow) {
	t.Helper()
	if b := f.Bytes(false); b != 20000 {
		t.Errorf("server sent %d bytes, want 20000", b)
	}
	d := f.Data(false)
	if len(d) != 228 {
		t.Errorf("%d data segments, want 228", len(d))
	}
	for _, s := range d[:len(d)-1] {
		if s.Payload != 88 {
			t.Fatalf("segment at frame %d carries %d bytes, want 88", s.Index, s.Payload)
		}
	}
	if r := f.Retransmissions(false); r != 0 {
		t.Errorf("%d retransmissions, want 0", r)
	}
	if _, pb := PureAcks(f, false); pb != 228 {
		t.Errorf("%d data segments carry an ACK, want all 228", pb)
	}
}
