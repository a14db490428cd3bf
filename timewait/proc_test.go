package timewait

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcNetTestdata(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		file string
		want []Socket
	}{{
		// Captured in a fresh netns on 6.18 (little-endian): a listener on
		// 127.0.0.1:8080, one TIME_WAIT on each side, one ESTABLISHED pair.
		file: "testdata/proc_net_tcp.txt",
		want: []Socket{
			{Local: ap("127.0.0.1:8080"), Remote: ap("0.0.0.0:0"), State: StateListen},
			{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:45132"), State: StateEstablished},
			{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:45124"), State: StateTimeWait, Remaining: 59680 * time.Millisecond},
			{Local: ap("127.0.0.1:45120"), Remote: ap("127.0.0.1:8080"), State: StateTimeWait, Remaining: 59680 * time.Millisecond},
			{Local: ap("127.0.0.1:45132"), Remote: ap("127.0.0.1:8080"), State: StateEstablished},
		},
	}, {
		file: "testdata/proc_net_tcp6.txt",
		want: []Socket{
			{Local: ap("[::1]:8443"), Remote: ap("[::]:0"), State: StateListen},
			{Local: ap("[::1]:42966"), Remote: ap("[::1]:8443"), State: StateTimeWait, Remaining: 59680 * time.Millisecond},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := parseProcNet(f, binary.LittleEndian)
			if err != nil {
				t.Fatalf("parseProcNet: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d sockets, want %d: %v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("socket %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseProcNetErrors(t *testing.T) {
	for _, line := range []string{
		"0: 0100007F:1F90 0100007F:B044 06 0:0",                      // too few fields
		"0: 0100007F1F90 0100007F:B044 06 00000000:00000000 03:1750", // no port separator
		"0: 0100007:1F90 0100007F:B044 06 00000000:00000000 03:1750", // 7 hex digits
		"0: 0100007G:1F90 0100007F:B044 06 00000000:00000000 03:1750",
		"0: 0100007F:1F90 0100007F:B044 6X 00000000:00000000 03:1750",
		"0: 0100007F:1F90 0100007F:B044 06 00000000:00000000 031750",
		"0: 0100007F:1F90 0100007F:B044 06 00000000:00000000 03:zz",
		"0: 0100007F:1FFFF 0100007F:B044 06 00000000:00000000 03:1750",
	} {
		if got, err := parseProcNet(strings.NewReader(line), binary.LittleEndian); err == nil {
			t.Errorf("parseProcNet(%q) = %v, want an error", line, got)
		}
	}
}

func TestParseProcNetBigEndian(t *testing.T) {
	// A big-endian kernel prints the __be32 word as it sits in memory.
	got, err := parseProcNet(strings.NewReader("0: 7F000001:1F90 0A000002:0050 06 0:0 03:00000064"), binary.BigEndian)
	if err != nil {
		t.Fatal(err)
	}
	want := Socket{Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("10.0.0.2:80"), State: StateTimeWait, Remaining: time.Second}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func FuzzParseProcNet(f *testing.F) {
	for _, name := range []string{"testdata/proc_net_tcp.txt", "testdata/proc_net_tcp6.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("0: 0100007F:1F90 0100007F:B044 06 0:0 03:FFFFFFFFFFFFFFFF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, err := parseProcNet(bytes.NewReader(b), binary.LittleEndian)
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.Local.IsValid() || !s.Remote.IsValid() || s.Remaining < 0 {
				t.Fatalf("parsed an invalid socket %+v", s)
			}
		}
	})
}
