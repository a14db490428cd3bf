package timewait

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// encodeDiagMsg builds a SOCK_DIAG_BY_FAMILY message carrying s as struct
// inet_diag_msg, the way net/ipv4/inet_diag.c fills it.
func encodeDiagMsg(s Socket, seq uint32) []byte {
	m := make([]byte, diagMsgLen)
	m[0] = afInet6
	if s.Local.Addr().Is4() {
		m[0] = afInet
	}
	m[1] = byte(s.State)
	binary.BigEndian.PutUint16(m[4:], s.Local.Port())
	binary.BigEndian.PutUint16(m[6:], s.Remote.Port())
	copy(m[8:24], s.Local.Addr().AsSlice())
	copy(m[24:40], s.Remote.Addr().AsSlice())
	binary.NativeEndian.PutUint32(m[52:], uint32(s.Remaining/time.Millisecond))
	return append(appendNlmsghdr(nil, len(m), sockDiagByFamily, 0x2, seq), m...)
}

func nlmsgOf(typ uint16, seq uint32, payload []byte) []byte {
	return append(appendNlmsghdr(nil, len(payload), typ, 0x2, seq), payload...)
}

func TestDiagRequest(t *testing.T) {
	b := diagRequest(afInet6, 1<<StateTimeWait, 7)
	if len(b) != nlmsgHdrLen+diagReqLen {
		t.Fatalf("request is %d bytes, want %d", len(b), nlmsgHdrLen+diagReqLen)
	}
	msgs, err := splitNetlink(b)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("splitNetlink = %v, %v", msgs, err)
	}
	m := msgs[0]
	if m.typ != sockDiagByFamily || m.flags != nlmFRequest|nlmFDump || m.seq != 7 {
		t.Errorf("header = %+v", m)
	}
	if m.data[0] != afInet6 || m.data[1] != ipprotoTCP || binary.NativeEndian.Uint32(m.data[4:]) != 0x40 {
		t.Errorf("inet_diag_req_v2 = % x", m.data[:8])
	}
}

func TestParseDiagDump(t *testing.T) {
	tw4 := Socket{Local: netip.MustParseAddrPort("10.0.0.1:40000"), Remote: netip.MustParseAddrPort("10.0.0.2:80"), State: StateTimeWait, Remaining: 59932 * time.Millisecond}
	tw6 := Socket{Local: netip.MustParseAddrPort("[fd00::1]:40001"), Remote: netip.MustParseAddrPort("[::ffff:10.0.0.2]:80"), State: StateTimeWait, Remaining: time.Minute}
	done := nlmsgOf(nlmsgDone, 1, make([]byte, 4))
	errno := binary.NativeEndian.AppendUint32(nil, uint32(0xffffffff-uint32(syscall.ENOENT)+1))
	var dump []byte
	dump = append(dump, encodeDiagMsg(tw4, 1)...)
	dump = append(dump, encodeDiagMsg(tw6, 9)...) // another request's: skipped
	dump = append(dump, encodeDiagMsg(tw6, 1)...)

	tests := []struct {
		name     string
		in       []byte
		want     []Socket
		wantDone bool
		wantErr  error
	}{
		{"two sockets", dump, []Socket{tw4, tw6}, false, nil},
		{"done", append(append([]byte(nil), encodeDiagMsg(tw4, 1)...), done...), []Socket{tw4}, true, nil},
		{"error", nlmsgOf(nlmsgError, 1, append(errno, make([]byte, 16)...)), nil, true, syscall.ENOENT},
		{"ack", nlmsgOf(nlmsgError, 1, make([]byte, 20)), nil, false, nil},
		{"empty", nil, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotDone, err := parseDiagDump(tt.in, 1)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if gotDone != tt.wantDone {
				t.Errorf("done = %v, want %v", gotDone, tt.wantDone)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("socket %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseDiagDumpMalformed(t *testing.T) {
	good := encodeDiagMsg(Socket{Local: netip.MustParseAddrPort("1.2.3.4:5"), Remote: netip.MustParseAddrPort("5.6.7.8:9")}, 1)
	badLen := append([]byte(nil), good...)
	binary.NativeEndian.PutUint32(badLen, 1000)
	short := nlmsgOf(sockDiagByFamily, 1, make([]byte, 20))
	badFamily := append([]byte(nil), good...)
	badFamily[nlmsgHdrLen] = 99
	for name, in := range map[string][]byte{"length past end": badLen, "short msg": short, "family": badFamily} {
		if _, _, err := parseDiagDump(in, 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParseDiagDump(f *testing.F) {
	f.Add(encodeDiagMsg(Socket{Local: netip.MustParseAddrPort("10.0.0.1:1"), Remote: netip.MustParseAddrPort("10.0.0.2:2"), State: StateTimeWait}, 1))
	f.Add(nlmsgOf(nlmsgDone, 1, make([]byte, 4)))
	f.Add(nlmsgOf(nlmsgError, 1, make([]byte, 20)))
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, _, err := parseDiagDump(b, 1)
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.Local.IsValid() || !s.Remote.IsValid() {
				t.Fatalf("parsed an invalid socket %+v", s)
			}
		}
	})
}
