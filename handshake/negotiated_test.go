package handshake_test

import (
	"testing"
	"time"

	"github.com/tcplab/tcplab/handshake"
	"github.com/tcplab/tcplab/sockopt"
)

func TestFromInfo(t *testing.T) {
	tests := []struct {
		name string
		info sockopt.TCPInfo
		want handshake.Result
		str  string
	}{
		{
			name: "all options",
			info: sockopt.TCPInfo{
				State:     sockopt.StateEstablished,
				Options:   sockopt.TCPI_OPT_TIMESTAMPS | sockopt.TCPI_OPT_SACK | sockopt.TCPI_OPT_WSCALE | sockopt.TCPI_OPT_ECN,
				SndWscale: 7, RcvWscale: 10, SndMSS: 1448, RcvMSS: 536, AdvMSS: 1448, PMTU: 1500,
				RTT: 40 * time.Millisecond, RTTVar: 20 * time.Millisecond, MinRTT: 39 * time.Millisecond,
			},
			want: handshake.Result{
				State: sockopt.StateEstablished, SndMSS: 1448, RcvMSS: 536, AdvMSS: 1448, PMTU: 1500,
				WindowScale: true, SndWscale: 7, RcvWscale: 10, SACK: true, Timestamps: true, ECN: true,
				RTT: 40 * time.Millisecond, RTTVar: 20 * time.Millisecond, MinRTT: 39 * time.Millisecond,
			},
			str: "ESTABLISHED mss snd=1448 rcv=536 adv=1448 wscale snd=7 rcv=10 sack ts ecn rtt=40ms",
		},
		{
			name: "tfo client without cookie",
			info: sockopt.TCPInfo{State: sockopt.StateEstablished, FastOpenClientFail: sockopt.FastOpenFailCookieUnavailable},
			want: handshake.Result{State: sockopt.StateEstablished, FastOpenFail: handshake.FastOpenFailCookieUnavailable},
			str:  "ESTABLISHED mss snd=0 rcv=0 adv=0 no-wscale tfo-fail=TFO_COOKIE_UNAVAILABLE rtt=0s",
		},
		{
			name: "tfo server child",
			info: sockopt.TCPInfo{State: sockopt.StateSynRecv, Options: sockopt.TCPI_OPT_SYN_DATA | sockopt.TCPI_OPT_TFO_CHILD},
			want: handshake.Result{State: sockopt.StateSynRecv, SynData: true, FastOpenChild: true},
			str:  "SYN_RECV mss snd=0 rcv=0 adv=0 no-wscale syn-data tfo-child rtt=0s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := handshake.FromInfo(&tt.info)
			if got.Info != &tt.info {
				t.Error("Info does not point at the record")
			}
			got.Info = nil
			if got != tt.want {
				t.Errorf("FromInfo:\n got %+v\nwant %+v", got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q\n          want %q", s, tt.str)
			}
		})
	}
}
