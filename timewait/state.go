package timewait

import "github.com/tcplab/tcplab/sockopt"

// State is a TCP state as the kernel numbers it (include/net/tcp_states.h),
// the value of inet_diag_msg.idiag_state and of the "st" column of
// /proc/net/tcp: the same numbers as tcpi_state, so the same type as
// sockopt's, with its names ("TIME_WAIT").
type State = sockopt.TCPState

// The TCP states of include/net/tcp_states.h.
const (
	StateEstablished = sockopt.StateEstablished
	StateSynSent     = sockopt.StateSynSent
	StateSynRecv     = sockopt.StateSynRecv
	StateFinWait1    = sockopt.StateFinWait1
	StateFinWait2    = sockopt.StateFinWait2
	StateTimeWait    = sockopt.StateTimeWait
	StateClose       = sockopt.StateClose
	StateCloseWait   = sockopt.StateCloseWait
	StateLastAck     = sockopt.StateLastAck
	StateListen      = sockopt.StateListen
	StateClosing     = sockopt.StateClosing
	StateNewSynRecv  = sockopt.StateNewSynRecv
)
