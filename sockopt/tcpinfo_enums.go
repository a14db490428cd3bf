package sockopt

import "strings"

// TCPState is tcpi_state, the socket's state in the TCP state machine
// (include/net/tcp_states.h; RFC 9293 §3.3.2).
type TCPState uint8

// The values of tcpi_state.
const (
	StateEstablished TCPState = 1 + iota
	StateSynSent
	StateSynRecv
	StateFinWait1
	StateFinWait2
	StateTimeWait
	StateClose
	StateCloseWait
	StateLastAck
	StateListen
	StateClosing
	StateNewSynRecv
	StateBoundInactive
)

var tcpStateNames = [...]string{
	StateEstablished:   "ESTABLISHED",
	StateSynSent:       "SYN_SENT",
	StateSynRecv:       "SYN_RECV",
	StateFinWait1:      "FIN_WAIT1",
	StateFinWait2:      "FIN_WAIT2",
	StateTimeWait:      "TIME_WAIT",
	StateClose:         "CLOSE",
	StateCloseWait:     "CLOSE_WAIT",
	StateLastAck:       "LAST_ACK",
	StateListen:        "LISTEN",
	StateClosing:       "CLOSING",
	StateNewSynRecv:    "NEW_SYN_RECV",
	StateBoundInactive: "BOUND_INACTIVE",
}

// String returns the kernel's name of the state ("ESTABLISHED").
func (s TCPState) String() string {
	if int(s) < len(tcpStateNames) && tcpStateNames[s] != "" {
		return tcpStateNames[s]
	}
	return "TCPState(" + itoa(int(s)) + ")"
}

// CAState is tcpi_ca_state, the congestion-avoidance state
// (include/uapi/linux/tcp.h enum tcp_ca_state).
type CAState uint8

// The values of tcpi_ca_state.
const (
	CAOpen CAState = iota
	CADisorder
	CACWR
	CARecovery
	CALoss
)

var caStateNames = [...]string{"Open", "Disorder", "CWR", "Recovery", "Loss"}

// String returns the state's name ("Open", "Recovery").
func (s CAState) String() string {
	if int(s) < len(caStateNames) {
		return caStateNames[s]
	}
	return "CAState(" + itoa(int(s)) + ")"
}

// FastOpenFail is tcpi_fastopen_client_fail: why the client's last TCP Fast
// Open attempt did not carry data (include/uapi/linux/tcp.h
// enum tcp_fastopen_client_fail, RFC 7413).
type FastOpenFail uint8

// The values of tcpi_fastopen_client_fail.
const (
	FastOpenFailUnspec            FastOpenFail = iota // TFO_STATUS_UNSPEC: no failure recorded
	FastOpenFailCookieUnavailable                     // TFO_COOKIE_UNAVAILABLE: no cookie cached, only a cookie request was sent
	FastOpenFailDataNotAcked                          // TFO_DATA_NOT_ACKED: the SYN/ACK did not acknowledge the SYN's data
	FastOpenFailSynRetransmitted                      // TFO_SYN_RETRANSMITTED: the SYN with data was retransmitted
)

var fastOpenFailNames = [...]string{
	"TFO_STATUS_UNSPEC", "TFO_COOKIE_UNAVAILABLE", "TFO_DATA_NOT_ACKED", "TFO_SYN_RETRANSMITTED",
}

// String returns the kernel's name of the value ("TFO_COOKIE_UNAVAILABLE").
func (f FastOpenFail) String() string {
	if int(f) < len(fastOpenFailNames) {
		return fastOpenFailNames[f]
	}
	return "FastOpenFail(" + itoa(int(f)) + ")"
}

// TCPInfoOption is the tcpi_options bit set: what the handshake negotiated
// (include/uapi/linux/tcp.h TCPI_OPT_*).
type TCPInfoOption uint8

// The bits of tcpi_options.
const (
	TCPI_OPT_TIMESTAMPS TCPInfoOption = 1 << iota // timestamps (RFC 7323) in both SYNs
	TCPI_OPT_SACK                                 // SACK permitted (RFC 2018) in both SYNs
	TCPI_OPT_WSCALE                               // window scale (RFC 7323) in both SYNs
	TCPI_OPT_ECN                                  // ECN (RFC 3168) negotiated at connection setup
	TCPI_OPT_ECN_SEEN                             // at least one ECT-marked packet received
	TCPI_OPT_SYN_DATA                             // the SYN carried data and the SYN/ACK acknowledged it (TFO)
	TCPI_OPT_USEC_TS                              // microsecond timestamps (Linux 6.7)
	TCPI_OPT_TFO_CHILD                            // server side: child created from a valid Fast Open SYN
)

var tcpInfoOptionNames = [...]string{
	"TIMESTAMPS", "SACK", "WSCALE", "ECN", "ECN_SEEN", "SYN_DATA", "USEC_TS", "TFO_CHILD",
}

// Has reports whether every bit of o2 is set in o.
func (o TCPInfoOption) Has(o2 TCPInfoOption) bool { return o&o2 == o2 }

// String lists the set bits joined by "|" ("TIMESTAMPS|SACK|WSCALE"), or
// "0" when none is set.
func (o TCPInfoOption) String() string {
	if o == 0 {
		return "0"
	}
	var names []string
	for i, n := range tcpInfoOptionNames {
		if o&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, "|")
}
