package sockopt

// TCPInfoField names one field of struct tcp_info
// (include/uapi/linux/tcp.h), for TCPInfo.Has.
type TCPInfoField int

// The fields of struct tcp_info in kernel order. Bit-fields that share a
// byte share its offset.
const (
	FieldState TCPInfoField = iota
	FieldCAState
	FieldRetransmits
	FieldProbes
	FieldBackoff
	FieldOptions
	FieldSndWscale
	FieldRcvWscale
	FieldDeliveryRateAppLimited
	FieldFastOpenClientFail
	FieldRTO
	FieldATO
	FieldSndMSS
	FieldRcvMSS
	FieldUnacked
	FieldSacked
	FieldLost
	FieldRetrans
	FieldFackets
	FieldLastDataSent
	FieldLastAckSent
	FieldLastDataRecv
	FieldLastAckRecv
	FieldPMTU
	FieldRcvSsthresh
	FieldRTT
	FieldRTTVar
	FieldSndSsthresh
	FieldSndCwnd
	FieldAdvMSS
	FieldReordering
	FieldRcvRTT
	FieldRcvSpace
	FieldTotalRetrans
	FieldPacingRate
	FieldMaxPacingRate
	FieldBytesAcked
	FieldBytesReceived
	FieldSegsOut
	FieldSegsIn
	FieldNotsentBytes
	FieldMinRTT
	FieldDataSegsIn
	FieldDataSegsOut
	FieldDeliveryRate
	FieldBusyTime
	FieldRwndLimited
	FieldSndbufLimited
	FieldDelivered
	FieldDeliveredCE
	FieldBytesSent
	FieldBytesRetrans
	FieldDSACKDups
	FieldReordSeen
	FieldRcvOOOPack
	FieldSndWnd
	FieldRcvWnd
	FieldRehash
	FieldTotalRTO
	FieldTotalRTORecoveries
	FieldTotalRTOTime
	FieldReceivedCE
	FieldDeliveredE1Bytes
	FieldDeliveredE0Bytes
	FieldDeliveredCEBytes
	FieldReceivedE1Bytes
	FieldReceivedE0Bytes
	FieldReceivedCEBytes
	FieldAccECNFailMode
	FieldAccECNOptSeen
	numTCPInfoFields
)

// tcpInfoSpan is where a field sits in the raw struct.
type tcpInfoSpan struct {
	off, size int
	name      string
}

// tcpInfoLayout is struct tcp_info of Linux 6.18. Every member has a fixed
// size and every __u64 already sits on an 8-byte boundary, so the offsets
// are the same on all architectures; only the byte order and the order of
// the bit-fields in bytes 6 and 7 follow the host (low bits first on
// little-endian machines, as ss(8) confirms on x86-64).
//
// The last four bytes are the two __u16 of Linux 6.18
// (tcpi_accecn_fail_mode, tcpi_accecn_opt_seen); a later upstream change
// repacks them as bit-fields (tcpi_ecn_mode, tcpi_options2), which this
// package does not decode.
var tcpInfoLayout = [numTCPInfoFields]tcpInfoSpan{
	FieldState:                  {0, 1, "tcpi_state"},
	FieldCAState:                {1, 1, "tcpi_ca_state"},
	FieldRetransmits:            {2, 1, "tcpi_retransmits"},
	FieldProbes:                 {3, 1, "tcpi_probes"},
	FieldBackoff:                {4, 1, "tcpi_backoff"},
	FieldOptions:                {5, 1, "tcpi_options"},
	FieldSndWscale:              {6, 1, "tcpi_snd_wscale"},
	FieldRcvWscale:              {6, 1, "tcpi_rcv_wscale"},
	FieldDeliveryRateAppLimited: {7, 1, "tcpi_delivery_rate_app_limited"},
	FieldFastOpenClientFail:     {7, 1, "tcpi_fastopen_client_fail"},
	FieldRTO:                    {8, 4, "tcpi_rto"},
	FieldATO:                    {12, 4, "tcpi_ato"},
	FieldSndMSS:                 {16, 4, "tcpi_snd_mss"},
	FieldRcvMSS:                 {20, 4, "tcpi_rcv_mss"},
	FieldUnacked:                {24, 4, "tcpi_unacked"},
	FieldSacked:                 {28, 4, "tcpi_sacked"},
	FieldLost:                   {32, 4, "tcpi_lost"},
	FieldRetrans:                {36, 4, "tcpi_retrans"},
	FieldFackets:                {40, 4, "tcpi_fackets"},
	FieldLastDataSent:           {44, 4, "tcpi_last_data_sent"},
	FieldLastAckSent:            {48, 4, "tcpi_last_ack_sent"},
	FieldLastDataRecv:           {52, 4, "tcpi_last_data_recv"},
	FieldLastAckRecv:            {56, 4, "tcpi_last_ack_recv"},
	FieldPMTU:                   {60, 4, "tcpi_pmtu"},
	FieldRcvSsthresh:            {64, 4, "tcpi_rcv_ssthresh"},
	FieldRTT:                    {68, 4, "tcpi_rtt"},
	FieldRTTVar:                 {72, 4, "tcpi_rttvar"},
	FieldSndSsthresh:            {76, 4, "tcpi_snd_ssthresh"},
	FieldSndCwnd:                {80, 4, "tcpi_snd_cwnd"},
	FieldAdvMSS:                 {84, 4, "tcpi_advmss"},
	FieldReordering:             {88, 4, "tcpi_reordering"},
	FieldRcvRTT:                 {92, 4, "tcpi_rcv_rtt"},
	FieldRcvSpace:               {96, 4, "tcpi_rcv_space"},
	FieldTotalRetrans:           {100, 4, "tcpi_total_retrans"},
	FieldPacingRate:             {104, 8, "tcpi_pacing_rate"},
	FieldMaxPacingRate:          {112, 8, "tcpi_max_pacing_rate"},
	FieldBytesAcked:             {120, 8, "tcpi_bytes_acked"},
	FieldBytesReceived:          {128, 8, "tcpi_bytes_received"},
	FieldSegsOut:                {136, 4, "tcpi_segs_out"},
	FieldSegsIn:                 {140, 4, "tcpi_segs_in"},
	FieldNotsentBytes:           {144, 4, "tcpi_notsent_bytes"},
	FieldMinRTT:                 {148, 4, "tcpi_min_rtt"},
	FieldDataSegsIn:             {152, 4, "tcpi_data_segs_in"},
	FieldDataSegsOut:            {156, 4, "tcpi_data_segs_out"},
	FieldDeliveryRate:           {160, 8, "tcpi_delivery_rate"},
	FieldBusyTime:               {168, 8, "tcpi_busy_time"},
	FieldRwndLimited:            {176, 8, "tcpi_rwnd_limited"},
	FieldSndbufLimited:          {184, 8, "tcpi_sndbuf_limited"},
	FieldDelivered:              {192, 4, "tcpi_delivered"},
	FieldDeliveredCE:            {196, 4, "tcpi_delivered_ce"},
	FieldBytesSent:              {200, 8, "tcpi_bytes_sent"},
	FieldBytesRetrans:           {208, 8, "tcpi_bytes_retrans"},
	FieldDSACKDups:              {216, 4, "tcpi_dsack_dups"},
	FieldReordSeen:              {220, 4, "tcpi_reord_seen"},
	FieldRcvOOOPack:             {224, 4, "tcpi_rcv_ooopack"},
	FieldSndWnd:                 {228, 4, "tcpi_snd_wnd"},
	FieldRcvWnd:                 {232, 4, "tcpi_rcv_wnd"},
	FieldRehash:                 {236, 4, "tcpi_rehash"},
	FieldTotalRTO:               {240, 2, "tcpi_total_rto"},
	FieldTotalRTORecoveries:     {242, 2, "tcpi_total_rto_recoveries"},
	FieldTotalRTOTime:           {244, 4, "tcpi_total_rto_time"},
	FieldReceivedCE:             {248, 4, "tcpi_received_ce"},
	FieldDeliveredE1Bytes:       {252, 4, "tcpi_delivered_e1_bytes"},
	FieldDeliveredE0Bytes:       {256, 4, "tcpi_delivered_e0_bytes"},
	FieldDeliveredCEBytes:       {260, 4, "tcpi_delivered_ce_bytes"},
	FieldReceivedE1Bytes:        {264, 4, "tcpi_received_e1_bytes"},
	FieldReceivedE0Bytes:        {268, 4, "tcpi_received_e0_bytes"},
	FieldReceivedCEBytes:        {272, 4, "tcpi_received_ce_bytes"},
	FieldAccECNFailMode:         {276, 2, "tcpi_accecn_fail_mode"},
	FieldAccECNOptSeen:          {278, 2, "tcpi_accecn_opt_seen"},
}

const (
	// TCPInfoMinLen is the size of struct tcp_info up to
	// tcpi_total_retrans, which every Linux since 2.6 returns.
	TCPInfoMinLen = 104
	// TCPInfoMaxLen is the size of struct tcp_info this package decodes
	// (Linux 6.18). Longer answers from newer kernels are accepted and the
	// extra bytes ignored.
	TCPInfoMaxLen = 280
)

// String returns the kernel's name of the field ("tcpi_snd_wscale").
func (f TCPInfoField) String() string {
	if f < 0 || f >= numTCPInfoFields {
		return "TCPInfoField(" + itoa(int(f)) + ")"
	}
	return tcpInfoLayout[f].name
}

// end is the length a TCP_INFO answer must have to include f.
func (f TCPInfoField) end() int { s := tcpInfoLayout[f]; return s.off + s.size }
