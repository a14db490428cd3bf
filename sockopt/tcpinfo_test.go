package sockopt_test

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/tcplab/tcplab/sockopt"
)

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// rawInfo builds a TCP_INFO answer of n bytes by hand, with offsets taken
// from include/uapi/linux/tcp.h (not from the decoder's table).
func rawInfo(n int, set func(b []byte)) []byte {
	b := make([]byte, n)
	if set != nil {
		set(b)
	}
	return b
}

func put32(b []byte, off int, v uint32) { binary.NativeEndian.PutUint32(b[off:], v) }
func put64(b []byte, off int, v uint64) { binary.NativeEndian.PutUint64(b[off:], v) }
func put16(b []byte, off int, v uint16) { binary.NativeEndian.PutUint16(b[off:], v) }

func TestDecodeTCPInfo(t *testing.T) {
	if !littleEndian {
		t.Skip("skipping, the hand-built bytes are little-endian")
	}
	full := func(b []byte) {
		b[0], b[1], b[2], b[3], b[4] = 1, 3, 2, 1, 4 // ESTABLISHED, Recovery
		b[5] = 0x27                                  // TIMESTAMPS|SACK|WSCALE|SYN_DATA
		b[6] = 0x7a                                  // snd_wscale 10 (low nibble), rcv_wscale 7
		b[7] = 0x05                                  // app_limited, fastopen_client_fail 2
		put32(b, 8, 204000)                          // rto µs
		put32(b, 12, 40000)                          // ato µs
		put32(b, 16, 1448)                           // snd_mss
		put32(b, 20, 536)                            // rcv_mss
		put32(b, 52, 17)                             // last_data_recv ms
		put32(b, 68, 1234)                           // rtt µs
		put32(b, 72, 617)                            // rttvar µs
		put32(b, 76, 0x7fffffff)                     // snd_ssthresh
		put32(b, 80, 10)                             // snd_cwnd
		put32(b, 84, 1460)                           // advmss
		put32(b, 100, 3)                             // total_retrans
		put64(b, 104, 1<<40)                         // pacing_rate
		put64(b, 128, 99)                            // bytes_received
		put32(b, 148, 900)                           // min_rtt µs
		put64(b, 160, 125000)                        // delivery_rate
		put64(b, 176, 2500)                          // rwnd_limited µs
		put32(b, 228, 65535)                         // snd_wnd
		put32(b, 232, 131072)                        // rcv_wnd
		put16(b, 240, 2)                             // total_rto
		put16(b, 242, 1)                             // total_rto_recoveries
		put32(b, 244, 1003)                          // total_rto_time ms
		put32(b, 272, 77)                            // received_ce_bytes
		put16(b, 276, 5)                             // accecn_fail_mode
		put16(b, 278, 2)                             // accecn_opt_seen
	}
	want := &sockopt.TCPInfo{
		Len: 280, State: sockopt.StateEstablished, CAState: sockopt.CARecovery,
		Retransmits: 2, Probes: 1, Backoff: 4,
		Options:   sockopt.TCPI_OPT_TIMESTAMPS | sockopt.TCPI_OPT_SACK | sockopt.TCPI_OPT_WSCALE | sockopt.TCPI_OPT_SYN_DATA,
		SndWscale: 10, RcvWscale: 7,
		DeliveryRateAppLimited: true, FastOpenClientFail: sockopt.FastOpenFailDataNotAcked,
		RTO: 204 * time.Millisecond, ATO: 40 * time.Millisecond, SndMSS: 1448, RcvMSS: 536,
		LastDataRecv: 17 * time.Millisecond, RTT: 1234 * time.Microsecond, RTTVar: 617 * time.Microsecond,
		SndSsthresh: 0x7fffffff, SndCwnd: 10, AdvMSS: 1460, TotalRetrans: 3,
		PacingRate: 1 << 40, BytesReceived: 99, MinRTT: 900 * time.Microsecond,
		DeliveryRate: 125000, RwndLimited: 2500 * time.Microsecond,
		SndWnd: 65535, RcvWnd: 131072, TotalRTO: 2, TotalRTORecoveries: 1,
		TotalRTOTime: 1003 * time.Millisecond, ReceivedCEBytes: 77, AccECNFailMode: 5, AccECNOptSeen: 2,
	}
	// The struct of Linux 2.6: everything after total_retrans is absent.
	short := *want
	short.Len = 104
	short.PacingRate, short.BytesReceived, short.MinRTT, short.DeliveryRate, short.RwndLimited = 0, 0, 0, 0, 0
	short.SndWnd, short.RcvWnd, short.TotalRTO, short.TotalRTORecoveries, short.TotalRTOTime = 0, 0, 0, 0, 0
	short.ReceivedCEBytes, short.AccECNFailMode, short.AccECNOptSeen = 0, 0, 0
	// Linux 6.2 to 6.6 stop after tcpi_rehash (240 bytes).
	mid := *want
	mid.Len = 240
	mid.TotalRTO, mid.TotalRTORecoveries, mid.TotalRTOTime = 0, 0, 0
	mid.ReceivedCEBytes, mid.AccECNFailMode, mid.AccECNOptSeen = 0, 0, 0
	// A newer kernel with more fields: the extra bytes are ignored.
	long := *want
	long.Len = 320

	tests := []struct {
		name    string
		in      []byte
		want    *sockopt.TCPInfo
		has     []sockopt.TCPInfoField
		hasNot  []sockopt.TCPInfoField
		wantErr bool
	}{
		{name: "empty", in: nil, wantErr: true},
		{name: "103 bytes", in: rawInfo(103, nil), wantErr: true},
		{name: "zeros", in: rawInfo(280, nil), want: &sockopt.TCPInfo{Len: 280}},
		{name: "6.18", in: rawInfo(280, full), want: want,
			has: []sockopt.TCPInfoField{sockopt.FieldSndWscale, sockopt.FieldRcvWnd, sockopt.FieldAccECNOptSeen}},
		{name: "2.6", in: rawInfo(280, full)[:104], want: &short,
			has:    []sockopt.TCPInfoField{sockopt.FieldFastOpenClientFail, sockopt.FieldTotalRetrans},
			hasNot: []sockopt.TCPInfoField{sockopt.FieldPacingRate, sockopt.FieldMinRTT, sockopt.FieldSndWnd}},
		{name: "6.2", in: rawInfo(280, full)[:240], want: &mid,
			has:    []sockopt.TCPInfoField{sockopt.FieldRcvWnd, sockopt.FieldRehash},
			hasNot: []sockopt.TCPInfoField{sockopt.FieldTotalRTO, sockopt.FieldTotalRTOTime}},
		{name: "newer", in: append(rawInfo(280, full), make([]byte, 40)...), want: &long,
			has: []sockopt.TCPInfoField{sockopt.FieldAccECNOptSeen}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sockopt.DecodeTCPInfo(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("DecodeTCPInfo(%d bytes) = %+v, want error", len(tt.in), got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeTCPInfo:\n got %+v\nwant %+v", got, tt.want)
			}
			for _, f := range tt.has {
				if !got.Has(f) {
					t.Errorf("Has(%v) = false", f)
				}
			}
			for _, f := range tt.hasNot {
				if got.Has(f) {
					t.Errorf("Has(%v) = true", f)
				}
			}
		})
	}
}

// Every fastopen_client_fail value and both app_limited states survive
// byte 7, and both nibbles of byte 6 are independent.
func TestDecodeTCPInfoBitfields(t *testing.T) {
	if !littleEndian {
		t.Skip("skipping, bit-field order checked for little-endian hosts")
	}
	for b7 := range 8 {
		for _, b6 := range []byte{0x00, 0x0e, 0xe0, 0x9c} {
			b := rawInfo(sockopt.TCPInfoMinLen, nil)
			b[6], b[7] = b6, byte(b7)
			i, err := sockopt.DecodeTCPInfo(b)
			if err != nil {
				t.Fatal(err)
			}
			if i.SndWscale != b6&0xf || i.RcvWscale != b6>>4 {
				t.Errorf("byte 6 %#02x: snd %d rcv %d", b6, i.SndWscale, i.RcvWscale)
			}
			if i.DeliveryRateAppLimited != (b7&1 == 1) || i.FastOpenClientFail != sockopt.FastOpenFail(b7>>1) {
				t.Errorf("byte 7 %#02x: app_limited %v, fail %v", b7, i.DeliveryRateAppLimited, i.FastOpenClientFail)
			}
		}
	}
}

func TestTCPInfoStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{sockopt.StateEstablished.String(), "ESTABLISHED"},
		{sockopt.StateTimeWait.String(), "TIME_WAIT"},
		{sockopt.StateListen.String(), "LISTEN"},
		{sockopt.TCPState(0).String(), "TCPState(0)"},
		{sockopt.TCPState(99).String(), "TCPState(99)"},
		{sockopt.CALoss.String(), "Loss"},
		{sockopt.CAState(9).String(), "CAState(9)"},
		{sockopt.FastOpenFailCookieUnavailable.String(), "TFO_COOKIE_UNAVAILABLE"},
		{sockopt.FastOpenFailSynRetransmitted.String(), "TFO_SYN_RETRANSMITTED"},
		{sockopt.FastOpenFail(4).String(), "FastOpenFail(4)"},
		{sockopt.TCPInfoOption(0).String(), "0"},
		{(sockopt.TCPI_OPT_TIMESTAMPS | sockopt.TCPI_OPT_WSCALE | sockopt.TCPI_OPT_TFO_CHILD).String(), "TIMESTAMPS|WSCALE|TFO_CHILD"},
		{sockopt.FieldSndWscale.String(), "tcpi_snd_wscale"},
		{sockopt.FieldAccECNOptSeen.String(), "tcpi_accecn_opt_seen"},
		{sockopt.TCPInfoField(-1).String(), "TCPInfoField(-1)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
	o := sockopt.TCPI_OPT_SACK | sockopt.TCPI_OPT_ECN
	if !o.Has(sockopt.TCPI_OPT_SACK) || o.Has(sockopt.TCPI_OPT_SACK|sockopt.TCPI_OPT_WSCALE) {
		t.Errorf("Has misreads %v", o)
	}
}

// The layout table is consistent: fields in order, none overlapping except
// the bit-fields that share bytes 6 and 7, ending at TCPInfoMaxLen.
func TestTCPInfoLayoutContiguous(t *testing.T) {
	end := 0
	for f := range sockopt.TCPInfoField(sockopt.NumTCPInfoFields) {
		off, size := sockopt.FieldSpan(f)
		if off != end && !(off == end-1 && size == 1 && (off == 6 || off == 7)) {
			t.Errorf("%v at %d, previous field ended at %d", f, off, end)
		}
		if size == 8 && off%8 != 0 || size == 4 && off%4 != 0 || size == 2 && off%2 != 0 {
			t.Errorf("%v at %d is misaligned for size %d", f, off, size)
		}
		end = off + size
	}
	if end != sockopt.TCPInfoMaxLen {
		t.Errorf("layout ends at %d, TCPInfoMaxLen = %d", end, sockopt.TCPInfoMaxLen)
	}
}

// Decoding never panics; an answer and the same answer padded with zeros
// after its last whole field decode alike except for Len, so absent fields
// are exactly zero; Has agrees with the length.
func FuzzDecodeTCPInfo(f *testing.F) {
	f.Add(make([]byte, 104))
	f.Add(make([]byte, 280))
	f.Add(bytes.Repeat([]byte{0xff}, 232))
	f.Add(bytes.Repeat([]byte{0xa5}, 300))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := sockopt.DecodeTCPInfo(b)
		if len(b) < sockopt.TCPInfoMinLen {
			if err == nil {
				t.Fatalf("%d bytes decoded without error", len(b))
			}
			return
		}
		if err != nil || got.Len != len(b) {
			t.Fatalf("DecodeTCPInfo(%d bytes) = Len %v, %v", len(b), got, err)
		}
		// A field cut short by the end of the answer is absent, like the
		// fields after it: drop its bytes before padding.
		whole := 0
		for f := range sockopt.TCPInfoField(sockopt.NumTCPInfoFields) {
			if off, size := sockopt.FieldSpan(f); off+size <= len(b) {
				whole = off + size
			}
		}
		padded, err := sockopt.DecodeTCPInfo(append(append([]byte(nil), b[:whole]...), make([]byte, 512)...))
		if err != nil {
			t.Fatal(err)
		}
		padded.Len = got.Len
		if !reflect.DeepEqual(got, padded) {
			t.Fatalf("padding changed the decoding:\n%+v\n%+v", got, padded)
		}
		for f := range sockopt.TCPInfoField(sockopt.NumTCPInfoFields) {
			off, size := sockopt.FieldSpan(f)
			if got.Has(f) != (len(b) >= off+size) {
				t.Fatalf("Has(%v) = %v with %d bytes", f, got.Has(f), len(b))
			}
		}
	})
}
