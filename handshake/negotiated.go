package handshake

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/sockopt"
)

// Result is what the handshake negotiated, from one end's TCP_INFO.
type Result struct {
	State sockopt.TCPState

	// SndMSS is the payload this end puts in a full segment (tcpi_snd_mss):
	// the MSS the peer advertised, less 12 bytes when timestamps are on,
	// less any TCP_MAXSEG cap or path MTU limit, and never more than half
	// the largest window the peer has offered (tcp_bound_to_half_wnd, which
	// is what limits it to 32768 on loopback).
	SndMSS uint32
	// RcvMSS is the kernel's estimate of the peer's segment size
	// (tcpi_rcv_mss), learnt from the segments received so far; it starts
	// at 536 (TCP_MSS_DEFAULT).
	RcvMSS uint32
	// AdvMSS is the MSS this end advertised in its SYN or SYN/ACK, less 12
	// bytes once timestamps were negotiated (tcpi_advmss; the kernel takes
	// the option space off after the handshake): a SYN that said 536
	// reads 524 here.
	AdvMSS uint32
	// PMTU is the path MTU the socket uses (tcpi_pmtu).
	PMTU uint32

	// WindowScale reports that both SYNs carried the window scale option
	// (TCPI_OPT_WSCALE). SndWscale is the peer's shift, applied to the
	// windows it advertises; RcvWscale is this end's, applied to the
	// windows it advertises. Both are 0 without the option.
	WindowScale          bool
	SndWscale, RcvWscale uint8

	SACK       bool // both SYNs carried SACK-permitted (TCPI_OPT_SACK)
	Timestamps bool // both SYNs carried timestamps (TCPI_OPT_TIMESTAMPS)
	ECN        bool // ECN was negotiated (TCPI_OPT_ECN)

	// SynData reports that the SYN carried data and the SYN/ACK
	// acknowledged it (TCPI_OPT_SYN_DATA), on either end: TCP Fast Open
	// saved the round trip.
	SynData bool
	// FastOpenChild reports, on the server, that the connection was
	// created from a Fast Open SYN with a valid cookie (TCPI_OPT_TFO_CHILD).
	FastOpenChild bool
	// FastOpenFail says, on the client, why Fast Open sent no data.
	FastOpenFail FastOpenFail

	// RTT and RTTVar are the smoothed round-trip time and its deviation;
	// right after connect(2) they come from the SYN/ACK alone. MinRTT is the
	// smallest sample seen.
	RTT, RTTVar, MinRTT time.Duration

	// Info is the full TCP_INFO record the result was read from.
	Info *sockopt.TCPInfo
}

// Negotiated reads TCP_INFO from a connected socket (*net.TCPConn or
// sockopt.FD) and returns what its handshake negotiated.
func Negotiated(c syscall.Conn) (Result, error) {
	info, err := sockopt.GetTCPInfo(c)
	if err != nil {
		return Result{}, err
	}
	return FromInfo(info), nil
}

// FromInfo extracts the handshake's outcome from a TCP_INFO record.
func FromInfo(info *sockopt.TCPInfo) Result {
	o := info.Options
	return Result{
		State:         info.State,
		SndMSS:        info.SndMSS,
		RcvMSS:        info.RcvMSS,
		AdvMSS:        info.AdvMSS,
		PMTU:          info.PMTU,
		WindowScale:   o.Has(sockopt.TCPI_OPT_WSCALE),
		SndWscale:     info.SndWscale,
		RcvWscale:     info.RcvWscale,
		SACK:          o.Has(sockopt.TCPI_OPT_SACK),
		Timestamps:    o.Has(sockopt.TCPI_OPT_TIMESTAMPS),
		ECN:           o.Has(sockopt.TCPI_OPT_ECN),
		SynData:       o.Has(sockopt.TCPI_OPT_SYN_DATA),
		FastOpenChild: o.Has(sockopt.TCPI_OPT_TFO_CHILD),
		FastOpenFail:  info.FastOpenClientFail,
		RTT:           info.RTT,
		RTTVar:        info.RTTVar,
		MinRTT:        info.MinRTT,
		Info:          info,
	}
}

// String summarises the result on one line, for logs and reports:
// "mss snd=1448 rcv=536 adv=1460 wscale snd=7 rcv=10 sack ts rtt=1.2ms".
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v mss snd=%d rcv=%d adv=%d", r.State, r.SndMSS, r.RcvMSS, r.AdvMSS)
	if r.WindowScale {
		fmt.Fprintf(&b, " wscale snd=%d rcv=%d", r.SndWscale, r.RcvWscale)
	} else {
		b.WriteString(" no-wscale")
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{r.SACK, "sack"}, {r.Timestamps, "ts"}, {r.ECN, "ecn"}, {r.SynData, "syn-data"}, {r.FastOpenChild, "tfo-child"}} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	if r.FastOpenFail != FastOpenFailUnspec {
		fmt.Fprintf(&b, " tfo-fail=%v", r.FastOpenFail)
	}
	fmt.Fprintf(&b, " rtt=%v", r.RTT)
	return b.String()
}
