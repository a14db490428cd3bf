package sockopt

import (
	"encoding/binary"
	"fmt"
	"time"
)

// TCPInfo is struct tcp_info (include/uapi/linux/tcp.h) as getsockopt(2)
// with TCP_INFO returns it, decoded by hand so that nothing is lost:
// unlike golang.org/x/sys/unix.TCPInfo it keeps the window-scale nibbles
// of byte 6 and the delivery_rate_app_limited and fastopen_client_fail bits
// of byte 7.
//
// Fields past Len (an older kernel answered with a shorter struct) are zero;
// Has tells them apart from real zeros. Times the kernel gives in µs or ms
// are converted to time.Duration; other units are noted per field.
type TCPInfo struct {
	Len int // bytes the kernel returned

	State       TCPState
	CAState     CAState
	Retransmits uint8 // unrecovered RTO timeouts (icsk_retransmits)
	Probes      uint8 // unanswered zero-window or keepalive probes
	Backoff     uint8 // RTO backoff exponent
	Options     TCPInfoOption

	// SndWscale is the peer's window shift, applied to the windows it
	// advertises (low nibble of byte 6); RcvWscale is ours, applied to the
	// windows we advertise (high nibble). Both are 0 unless
	// Options has TCPI_OPT_WSCALE.
	SndWscale, RcvWscale uint8

	DeliveryRateAppLimited bool         // DeliveryRate was measured while the application, not the network, limited sending
	FastOpenClientFail     FastOpenFail // why the last TFO attempt sent no data

	RTO, ATO       time.Duration // retransmission and delayed-ACK timeouts
	SndMSS, RcvMSS uint32        // current send MSS (bytes of payload per segment) and the estimate of the peer's
	Unacked        uint32        // segments in flight; on a listener, the accept-queue length
	Sacked         uint32        // SACKed segments; on a listener, the accept backlog
	Lost           uint32        // segments presumed lost
	Retrans        uint32        // retransmitted segments in flight
	Fackets        uint32        // unused since Linux 4.15

	LastDataSent time.Duration // since the last data segment was sent
	LastAckSent  time.Duration // never filled in by Linux
	LastDataRecv time.Duration // since the last data segment was received
	LastAckRecv  time.Duration // since the last ACK was received

	PMTU        uint32        // path MTU, bytes
	RcvSsthresh uint32        // bytes
	RTT, RTTVar time.Duration // smoothed RTT and its mean deviation
	SndSsthresh uint32        // segments; 0x7fffffff means "infinite" (still in slow start)
	SndCwnd     uint32        // segments
	AdvMSS      uint32        // MSS we advertised in our SYN or SYN/ACK
	Reordering  uint32        // reordering degree, segments

	RcvRTT       time.Duration // receiver-side RTT estimate
	RcvSpace     uint32        // bytes, receive-buffer autotuning target
	TotalRetrans uint32        // segments retransmitted over the connection's life

	PacingRate, MaxPacingRate uint64 // bytes/s; ^uint64(0) means unlimited
	BytesAcked                uint64 // RFC 4898 tcpEStatsAppHCThruOctetsAcked
	BytesReceived             uint64 // RFC 4898 tcpEStatsAppHCThruOctetsReceived
	SegsOut, SegsIn           uint32 // segments sent and received, including pure ACKs
	NotsentBytes              uint32 // bytes written but not yet sent
	MinRTT                    time.Duration
	DataSegsIn, DataSegsOut   uint32 // segments carrying data

	DeliveryRate  uint64        // bytes/s, see DeliveryRateAppLimited
	BusyTime      time.Duration // time with data in flight
	RwndLimited   time.Duration // time limited by the peer's receive window
	SndbufLimited time.Duration // time limited by our send buffer

	Delivered, DeliveredCE  uint32 // segments delivered, and of them CE-marked
	BytesSent, BytesRetrans uint64 // RFC 4898 tcpEStatsPerfHCDataOctetsOut, tcpEStatsPerfOctetsRetrans
	DSACKDups               uint32 // RFC 4898 tcpEStatsStackDSACKDups
	ReordSeen               uint32 // reordering events seen
	RcvOOOPack              uint32 // out-of-order packets received
	SndWnd                  uint32 // peer's advertised window after scaling, bytes
	RcvWnd                  uint32 // our advertised window after scaling, bytes
	Rehash                  uint32 // PLB or timeout triggered rehash attempts
	TotalRTO                uint16 // RTO timeouts, including SYN and SYN/ACK timeouts
	TotalRTORecoveries      uint16
	TotalRTOTime            time.Duration // time spent in RTO recoveries
	ReceivedCE              uint32        // CE-marked segments received
	DeliveredE1Bytes        uint32        // Accurate ECN byte counters
	DeliveredE0Bytes        uint32
	DeliveredCEBytes        uint32
	ReceivedE1Bytes         uint32
	ReceivedE0Bytes         uint32
	ReceivedCEBytes         uint32
	AccECNFailMode          uint16
	AccECNOptSeen           uint16
}

// Has reports whether the kernel's answer was long enough to include f.
func (i *TCPInfo) Has(f TCPInfoField) bool {
	return f >= 0 && f < numTCPInfoFields && i.Len >= f.end()
}

// DecodeTCPInfo decodes the raw bytes of a TCP_INFO answer, in the host's
// byte order and bit-field order. b must hold at least TCPInfoMinLen bytes;
// fields beyond len(b) are left zero and reported absent by Has.
func DecodeTCPInfo(b []byte) (*TCPInfo, error) {
	if len(b) < TCPInfoMinLen {
		return nil, fmt.Errorf("sockopt: TCP_INFO of %d bytes, want at least %d", len(b), TCPInfoMinLen)
	}
	d := tcpInfoDecoder(b)
	us := func(f TCPInfoField) time.Duration { return time.Duration(d.u32(f)) * time.Microsecond }
	ms := func(f TCPInfoField) time.Duration { return time.Duration(d.u32(f)) * time.Millisecond }

	lo, hi := nibbles(b[6])
	return &TCPInfo{
		Len:                    len(b),
		State:                  TCPState(b[0]),
		CAState:                CAState(b[1]),
		Retransmits:            b[2],
		Probes:                 b[3],
		Backoff:                b[4],
		Options:                TCPInfoOption(b[5]),
		SndWscale:              lo,
		RcvWscale:              hi,
		DeliveryRateAppLimited: bits(b[7], 0, 1) != 0,
		FastOpenClientFail:     FastOpenFail(bits(b[7], 1, 2)),

		RTO:          us(FieldRTO),
		ATO:          us(FieldATO),
		SndMSS:       d.u32(FieldSndMSS),
		RcvMSS:       d.u32(FieldRcvMSS),
		Unacked:      d.u32(FieldUnacked),
		Sacked:       d.u32(FieldSacked),
		Lost:         d.u32(FieldLost),
		Retrans:      d.u32(FieldRetrans),
		Fackets:      d.u32(FieldFackets),
		LastDataSent: ms(FieldLastDataSent),
		LastAckSent:  ms(FieldLastAckSent),
		LastDataRecv: ms(FieldLastDataRecv),
		LastAckRecv:  ms(FieldLastAckRecv),
		PMTU:         d.u32(FieldPMTU),
		RcvSsthresh:  d.u32(FieldRcvSsthresh),
		RTT:          us(FieldRTT),
		RTTVar:       us(FieldRTTVar),
		SndSsthresh:  d.u32(FieldSndSsthresh),
		SndCwnd:      d.u32(FieldSndCwnd),
		AdvMSS:       d.u32(FieldAdvMSS),
		Reordering:   d.u32(FieldReordering),
		RcvRTT:       us(FieldRcvRTT),
		RcvSpace:     d.u32(FieldRcvSpace),
		TotalRetrans: d.u32(FieldTotalRetrans),

		PacingRate:    d.u64(FieldPacingRate),
		MaxPacingRate: d.u64(FieldMaxPacingRate),
		BytesAcked:    d.u64(FieldBytesAcked),
		BytesReceived: d.u64(FieldBytesReceived),
		SegsOut:       d.u32(FieldSegsOut),
		SegsIn:        d.u32(FieldSegsIn),
		NotsentBytes:  d.u32(FieldNotsentBytes),
		MinRTT:        us(FieldMinRTT),
		DataSegsIn:    d.u32(FieldDataSegsIn),
		DataSegsOut:   d.u32(FieldDataSegsOut),

		DeliveryRate:  d.u64(FieldDeliveryRate),
		BusyTime:      time.Duration(d.u64(FieldBusyTime)) * time.Microsecond,
		RwndLimited:   time.Duration(d.u64(FieldRwndLimited)) * time.Microsecond,
		SndbufLimited: time.Duration(d.u64(FieldSndbufLimited)) * time.Microsecond,

		Delivered:          d.u32(FieldDelivered),
		DeliveredCE:        d.u32(FieldDeliveredCE),
		BytesSent:          d.u64(FieldBytesSent),
		BytesRetrans:       d.u64(FieldBytesRetrans),
		DSACKDups:          d.u32(FieldDSACKDups),
		ReordSeen:          d.u32(FieldReordSeen),
		RcvOOOPack:         d.u32(FieldRcvOOOPack),
		SndWnd:             d.u32(FieldSndWnd),
		RcvWnd:             d.u32(FieldRcvWnd),
		Rehash:             d.u32(FieldRehash),
		TotalRTO:           d.u16(FieldTotalRTO),
		TotalRTORecoveries: d.u16(FieldTotalRTORecoveries),
		TotalRTOTime:       ms(FieldTotalRTOTime),
		ReceivedCE:         d.u32(FieldReceivedCE),
		DeliveredE1Bytes:   d.u32(FieldDeliveredE1Bytes),
		DeliveredE0Bytes:   d.u32(FieldDeliveredE0Bytes),
		DeliveredCEBytes:   d.u32(FieldDeliveredCEBytes),
		ReceivedE1Bytes:    d.u32(FieldReceivedE1Bytes),
		ReceivedE0Bytes:    d.u32(FieldReceivedE0Bytes),
		ReceivedCEBytes:    d.u32(FieldReceivedCEBytes),
		AccECNFailMode:     d.u16(FieldAccECNFailMode),
		AccECNOptSeen:      d.u16(FieldAccECNOptSeen),
	}, nil
}

// tcpInfoDecoder reads fields by their layout, giving 0 for fields the
// answer does not reach.
type tcpInfoDecoder []byte

func (d tcpInfoDecoder) field(f TCPInfoField) []byte {
	s := tcpInfoLayout[f]
	if len(d) < s.off+s.size {
		return nil
	}
	return d[s.off : s.off+s.size]
}

func (d tcpInfoDecoder) u16(f TCPInfoField) uint16 {
	if b := d.field(f); b != nil {
		return binary.NativeEndian.Uint16(b)
	}
	return 0
}

func (d tcpInfoDecoder) u32(f TCPInfoField) uint32 {
	if b := d.field(f); b != nil {
		return binary.NativeEndian.Uint32(b)
	}
	return 0
}

func (d tcpInfoDecoder) u64(f TCPInfoField) uint64 {
	if b := d.field(f); b != nil {
		return binary.NativeEndian.Uint64(b)
	}
	return 0
}

// bigEndian is true on hosts whose C compilers allocate bit-fields from the
// most significant bit (the big-endian ABIs Linux runs on).
var bigEndian = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// nibbles splits "__u8 a:4, b:4" into a and b.
func nibbles(x byte) (first, second uint8) {
	return bits(x, 0, 4), bits(x, 4, 4)
}

// bits returns the bit-field of width w that starts pos bits into the
// byte, in declaration order.
func bits(x byte, pos, w uint) uint8 {
	if bigEndian {
		pos = 8 - pos - w
	}
	return (x >> pos) & (1<<w - 1)
}
