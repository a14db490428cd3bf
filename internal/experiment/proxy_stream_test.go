package experiment

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// pxTestPacket builds a raw-IP (TUN) frame of one TCP segment.
func pxTestPacket(t *testing.T, at time.Duration, fromClient bool, seq, ack uint32, syn, fin bool, payload string) capture.Packet {
	t.Helper()
	src, dst := net.IPv4(198, 18, 0, 1), net.IPv4(198, 18, 0, 2)
	sport, dport := layers.TCPPort(40000), layers.TCPPort(8080)
	if !fromClient {
		src, dst, sport, dport = dst, src, dport, sport
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
	tcp := &layers.TCP{SrcPort: sport, DstPort: dport, Seq: seq, Ack: ack, SYN: syn, FIN: fin, ACK: !syn || !fromClient, Window: 65535}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return capture.Packet{Time: time.Unix(1000, 0).Add(at), LinkType: layers.LinkTypeRaw, Data: buf.Bytes()}
}

// A client stream with a retransmitted and a reordered segment is
// reassembled once, in sequence order, and split into its requests; the
// server's stream into responses, the second truncated.
func TestPxStreamReassembly(t *testing.T) {
	req1 := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	req2 := "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
	resp1 := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
	resp2 := "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"
	const cISN, sISN = 1000, 5000
	c := uint32(cISN + 1)
	s := uint32(sISN + 1)
	half := len(req2) / 2
	pkts := []capture.Packet{
		pxTestPacket(t, 0, true, cISN, 0, true, false, ""),
		pxTestPacket(t, 1*time.Millisecond, false, sISN, c, true, false, ""),
		pxTestPacket(t, 2*time.Millisecond, true, c, s, false, false, req1),
		pxTestPacket(t, 3*time.Millisecond, false, s, c+uint32(len(req1)), false, false, resp1),
		// req2's second half arrives before its first half, then the first
		// half is retransmitted.
		pxTestPacket(t, 4*time.Millisecond, true, c+uint32(len(req1)+half), s, false, false, req2[half:]),
		pxTestPacket(t, 5*time.Millisecond, true, c+uint32(len(req1)), s, false, false, req2[:half]),
		pxTestPacket(t, 6*time.Millisecond, true, c+uint32(len(req1)), s, false, false, req2[:half]),
		pxTestPacket(t, 7*time.Millisecond, false, s+uint32(len(resp1)), c, false, false, resp2),
		pxTestPacket(t, 8*time.Millisecond, false, s+uint32(len(resp1)+len(resp2)), c, false, true, ""),
	}
	segs, err := analyze.Decode(Frames(pkts))
	if err != nil {
		t.Fatal(err)
	}
	flows := analyze.Flows(segs)
	if len(flows) != 1 {
		t.Fatalf("%d flows", len(flows))
	}
	v := pxViewOf(flows[0], pkts)
	if got, want := string(v.up.data), req1+req2; got != want {
		t.Fatalf("client stream %q, want %q", got, want)
	}
	if len(v.reqs) != 2 || v.reqs[0].Target != "/a" || v.reqs[1].Method != "POST" || v.reqs[1].BodyLen != 3 {
		t.Fatalf("requests %+v", v.reqs)
	}
	if v.reqs[1].Off != len(req1) || v.reqs[1].End != len(req1)+len(req2) {
		t.Errorf("request 2 at [%d, %d)", v.reqs[1].Off, v.reqs[1].End)
	}
	// The first byte of request 2 first went out in the retransmitted
	// half's first copy, at 5 ms.
	if got := v.reqSeg(1).Time.Sub(time.Unix(1000, 0)); got != 5*time.Millisecond {
		t.Errorf("request 2 first seen at %v, want 5ms", got)
	}
	if len(v.resps) != 2 || v.resps[0].BodyLen != 2 || !v.resps[1].Truncated || v.resps[1].BodyLen != 5 || v.resps[1].ContentLength != 10 {
		t.Fatalf("responses %+v", v.resps)
	}
	if fin := pxFirstClose(v.f, false, time.Time{}); fin == nil || !fin.FIN {
		t.Error("server FIN not found")
	}
	if n := v.downBytesBetween(time.Unix(1000, 0).Add(7*time.Millisecond), time.Unix(1000, 0).Add(9*time.Millisecond)); n != len(resp2) {
		t.Errorf("bytes from the server after 7 ms: %d, want %d", n, len(resp2))
	}
}

// A hole in the stream ends it: nothing after the hole is read.
func TestPxStreamHole(t *testing.T) {
	pkts := []capture.Packet{
		pxTestPacket(t, 0, true, 99, 0, true, false, ""),
		pxTestPacket(t, time.Millisecond, false, 499, 100, true, false, ""),
		pxTestPacket(t, 2*time.Millisecond, true, 100, 500, false, false, "GET / HTTP/1.0\r\n\r\n"),
		pxTestPacket(t, 3*time.Millisecond, true, 200, 500, false, false, "GET /later HTTP/1.0\r\n\r\n"),
	}
	segs, _ := analyze.Decode(Frames(pkts))
	v := pxViewOf(analyze.Flows(segs)[0], pkts)
	if len(v.up.data) != len("GET / HTTP/1.0\r\n\r\n") || len(v.reqs) != 1 {
		t.Errorf("stream %q, %d requests", v.up.data, len(v.reqs))
	}
}

func TestPxMessages(t *testing.T) {
	cases := []struct {
		name    string
		stream  string
		targets []string
	}{
		{"empty", "", nil},
		{"two keep-alive", "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n", []string{"/1", "/2"}},
		// HTTP/1.0 without keep-alive would end a server's reading; the wire
		// still shows the request behind it.
		{"after non-persistent", "GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", []string{"/1", "/2"}},
		{"incomplete tail", "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTT", []string{"/1"}},
		{"garbage", "\x00\x01 nonsense\r\n\r\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range pxRequests([]byte(tc.stream)) {
				got = append(got, m.Target)
			}
			if !slices.Equal(got, tc.targets) {
				t.Errorf("targets %q, want %q", got, tc.targets)
			}
		})
	}
	// A response to HEAD has no body even with a Content-Length.
	resps := pxResponses([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"), []string{"HEAD", "POST"})
	if len(resps) != 2 || resps[0].BodyLen != 0 || resps[1].Status != 204 {
		t.Errorf("responses %+v", resps)
	}
}

func TestPxLeaked(t *testing.T) {
	sent := httpwire.Header{
		{Name: "Host", Value: "h"},
		{Name: "Connection", Value: "Keep-Alive, X-Hop"},
		{Name: "Keep-Alive", Value: "timeout=5"},
		{Name: "X-Hop", Value: "1"},
		{Name: "X-End", Value: "e"},
	}
	cases := []struct {
		name string
		far  httpwire.Header
		want []string
	}{
		{"dumb: everything", sent, []string{"connection", "keep-alive", "x-hop"}},
		{"smart: own Connection is no leak", httpwire.Header{{Name: "Host", Value: "h"}, {Name: "Connection", Value: "keep-alive"}, {Name: "X-End", Value: "e"}}, nil},
		{"one field left", httpwire.Header{{Name: "x-hop", Value: "1"}}, []string{"x-hop"}},
		{"changed value", httpwire.Header{{Name: "Keep-Alive", Value: "timeout=9"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pxLeaked(sent, tc.far); !slices.Equal(got, tc.want) {
				t.Errorf("leaked %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzPxMessages: any stream splits without panicking into messages that
// tile a prefix of it, in order.
func FuzzPxMessages(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /p HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest"), true)
	f.Add([]byte(strings.Repeat("GET / HTTP/1.1\r\n\r\n", 3)), false)
	f.Fuzz(func(t *testing.T, stream []byte, responses bool) {
		var ms []pxMessage
		if responses {
			ms = pxResponses(stream, []string{"GET", "HEAD"})
		} else {
			ms = pxRequests(stream)
		}
		end := 0
		for i, m := range ms {
			if m.Off < end || m.End <= m.Off || m.End > len(stream) {
				t.Fatalf("message %d at [%d, %d) after %d in a %d-byte stream", i, m.Off, m.End, end, len(stream))
			}
			end = m.End
		}
		if len(ms) > 0 && !responses && ms[0].Off != 0 {
			t.Fatalf("first request at %d, not at the start", ms[0].Off)
		}
	})
}
