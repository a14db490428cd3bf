package experiment

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
)

var (
	twTestClient = netip.MustParseAddrPort("198.18.0.1:40000")
	twTestServer = netip.MustParseAddrPort("198.18.0.2:9010")
	twTestT0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// twSeg builds a segment of a test flow: from the client or the server,
// at ms milliseconds, with flags "S", "A", "F", "R" in any combination.
func twSeg(fromClient bool, at int, flags string, seq, ack uint32, payload int) analyze.Segment {
	s := analyze.Segment{Time: twTestT0.Add(time.Duration(at) * time.Millisecond), Seq: seq, Ack: ack, Payload: payload}
	s.Src, s.Dst = twTestServer, twTestClient
	if fromClient {
		s.Src, s.Dst = twTestClient, twTestServer
	}
	for _, f := range flags {
		switch f {
		case 'S':
			s.SYN = true
		case 'A':
			s.ACK = true
		case 'F':
			s.FIN = true
		case 'R':
			s.RST = true
		}
	}
	s.Opts.HasTS = true
	return s
}

// twFlow is a connection opened at at ms and closed by the client first.
func twFlow(at int, closeBy string) *analyze.Flow {
	segs := []analyze.Segment{
		twSeg(true, at, "S", 100, 0, 0),
		twSeg(false, at+10, "SA", 500, 101, 0),
		twSeg(true, at+20, "A", 101, 501, 0),
	}
	switch closeBy {
	case "client":
		segs = append(segs,
			twSeg(true, at+20, "FA", 101, 501, 0),
			twSeg(false, at+30, "FA", 501, 102, 0),
			twSeg(true, at+40, "A", 102, 502, 0))
	case "server":
		segs = append(segs,
			twSeg(false, at+30, "FA", 501, 101, 0),
			twSeg(true, at+40, "FA", 101, 502, 0),
			twSeg(false, at+50, "A", 502, 102, 0))
	case "reset":
		segs = append(segs, twSeg(true, at+20, "RA", 101, 501, 0))
	}
	for i := range segs {
		segs[i].Index = i
	}
	return &analyze.Flow{Client: twTestClient, Server: twTestServer, Segments: segs}
}

func TestTwLastAck(t *testing.T) {
	tests := []struct {
		closeBy string
		wantAt  int // ms of the segment that starts TIME_WAIT; -1 for none
		fromCli bool
	}{
		{"client", 40, true},
		{"server", 50, false},
		{"reset", -1, false},
		{"none", -1, false},
	}
	for _, tt := range tests {
		got := twLastAck(twFlow(0, tt.closeBy))
		switch {
		case tt.wantAt < 0 && got != nil:
			t.Errorf("%s: last ACK at %v, want none", tt.closeBy, got.Time.Sub(twTestT0))
		case tt.wantAt >= 0 && got == nil:
			t.Errorf("%s: no last ACK, want one at %d ms", tt.closeBy, tt.wantAt)
		case tt.wantAt >= 0 && (got.Time != twTestT0.Add(time.Duration(tt.wantAt)*time.Millisecond) || (got.Src == twTestClient) != tt.fromCli):
			t.Errorf("%s: last ACK at %v from %v, want %d ms", tt.closeBy, got.Time.Sub(twTestT0), got.Src, tt.wantAt)
		}
	}
}

func TestTwFINAck(t *testing.T) {
	f := twFlow(0, "client")
	fin := &f.Segments[3]
	ack := twFINAck(f, fin)
	if ack == nil || ack.Time != twTestT0.Add(30*time.Millisecond) {
		t.Fatalf("ACK of the client's FIN = %+v, want the server's FIN/ACK at 30 ms", ack)
	}
	if got := twFINAck(f, nil); got != nil {
		t.Errorf("ACK of no FIN = %+v, want nil", got)
	}
	open := twFlow(0, "none")
	if got := twFINAck(open, fin); got != nil {
		t.Errorf("ACK in a flow that never acknowledged the FIN = %+v, want nil", got)
	}
}

// TestTwReadFlows has a port reused 1000 ms after its TIME_WAIT began
// (the first flow's last ACK at 40 ms, the second SYN at 1040 ms).
func TestTwReadFlows(t *testing.T) {
	pw := twReadFlows([]*analyze.Flow{twFlow(0, "client"), twFlow(1040, "client"), twFlow(2000, "reset")})
	if pw.flows != 3 || pw.reuses != 2 || len(pw.ports) != 1 {
		t.Errorf("flows %d, reuses %d, ports %d; want 3, 2, 1", pw.flows, pw.reuses, len(pw.ports))
	}
	if pw.minGap != 920*time.Millisecond {
		t.Errorf("smallest TIME_WAIT-to-reuse gap %v, want 920ms (second flow 1000 ms, third 920 ms)", pw.minGap)
	}
	if pw.twClient != 2 || pw.flowsReset != 1 || pw.clientFINs != 2 || pw.synTS != 3 {
		t.Errorf("TIME_WAIT on the client %d, reset flows %d, client FINs %d, SYNs with TS %d; want 2, 1, 2, 3",
			pw.twClient, pw.flowsReset, pw.clientFINs, pw.synTS)
	}
	if pw.firstReuse == nil || pw.minGapOf(pw.firstReuse) != time.Second {
		t.Errorf("first reuse gap %v, want 1s", pw.minGapOf(pw.firstReuse))
	}
}
