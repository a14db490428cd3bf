package timewait

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{StateTimeWait: "TIME_WAIT", StateFinWait2: "FIN_WAIT2", StateNewSynRecv: "NEW_SYN_RECV", 0: "TCPState(0)", 200: "TCPState(200)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestReuseString(t *testing.T) {
	for r, want := range map[Reuse]string{ReuseOff: "0 (off", ReuseOn: "1 (on", ReuseLoopbackOnly: "2 (loopback only", 7: "7 (unknown)"} {
		if got := r.String(); !strings.HasPrefix(got, want) {
			t.Errorf("Reuse(%d).String() = %q, want prefix %q", r, got, want)
		}
	}
}

func TestParseReuse(t *testing.T) {
	tests := []struct {
		in      string
		want    Reuse
		wantErr bool
	}{{"2\n", ReuseLoopbackOnly, false}, {"0", ReuseOff, false}, {" 1 ", ReuseOn, false}, {"", 0, true}, {"on", 0, true}}
	for _, tt := range tests {
		got, err := parseReuse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseReuse(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		lo, hi  uint16
		wantErr bool
	}{
		{"32768\t60999\n", 32768, 60999, false},
		{"40000 40015", 40000, 40015, false},
		{"40000", 0, 0, true},
		{"1 2 3", 0, 0, true},
		{"-1 5", 0, 0, true},
		{"1 65536", 0, 0, true},
	}
	for _, tt := range tests {
		lo, hi, err := parsePortRange(tt.in)
		if (err != nil) != tt.wantErr || lo != tt.lo || hi != tt.hi {
			t.Errorf("parsePortRange(%q) = %d, %d, %v; want %d, %d, error %v", tt.in, lo, hi, err, tt.lo, tt.hi, tt.wantErr)
		}
	}
}

func FuzzParsePortRange(f *testing.F) {
	f.Add("32768\t60999")
	f.Add("1 2")
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, err := parsePortRange(s)
		if err != nil {
			return
		}
		if lo2, hi2, err := parsePortRange(fmt.Sprintf("%d\t%d", lo, hi)); err != nil || lo2 != lo || hi2 != hi {
			t.Fatalf("round trip of %d %d: %d %d %v", lo, hi, lo2, hi2, err)
		}
	})
}

func TestCountTimeWait(t *testing.T) {
	ap := netip.MustParseAddrPort
	server := ap("10.0.0.2:80")
	ss := []Socket{
		{Local: ap("10.0.0.1:40000"), Remote: server, State: StateTimeWait},
		{Local: ap("10.0.0.1:40001"), Remote: server, State: StateTimeWait},
		{Local: ap("10.0.0.1:40002"), Remote: server, State: StateEstablished},
		{Local: ap("10.0.0.1:40003"), Remote: ap("10.0.0.2:81"), State: StateTimeWait},
		{Local: ap("[::ffff:10.0.0.2]:80"), Remote: ap("[::ffff:10.0.0.1]:40004"), State: StateTimeWait},
	}
	tests := []struct {
		name          string
		local, remote netip.AddrPort
		want          int
	}{
		{"all", netip.AddrPort{}, netip.AddrPort{}, 4},
		{"client side toward server", netip.AddrPort{}, server, 2},
		{"server side, mapped", server, netip.AddrPort{}, 1},
		{"any address, port 81", netip.AddrPort{}, netip.AddrPortFrom(netip.Addr{}, 81), 1},
		{"one tuple", ap("10.0.0.1:40001"), server, 1},
		{"established is not counted", ap("10.0.0.1:40002"), server, 0},
		{"other host", netip.AddrPortFrom(netip.MustParseAddr("10.9.9.9"), 0), netip.AddrPort{}, 0},
	}
	for _, tt := range tests {
		if got := CountTimeWait(ss, tt.local, tt.remote); got != tt.want {
			t.Errorf("%s: CountTimeWait = %d, want %d", tt.name, got, tt.want)
		}
	}
}
