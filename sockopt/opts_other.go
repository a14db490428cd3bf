//go:build !linux

package sockopt

// Outside Linux the options keep their names for error messages only; every
// call returns an error matching errors.ErrUnsupported.
var (
	optNoDelay      = intOpt{label: "TCP_NODELAY"}
	optCork         = intOpt{label: "TCP_CORK"}
	optQuickAck     = intOpt{label: "TCP_QUICKACK"}
	optMaxSeg       = intOpt{label: "TCP_MAXSEG"}
	optSynCount     = intOpt{label: "TCP_SYNCNT"}
	optWindowClamp  = intOpt{label: "TCP_WINDOW_CLAMP"}
	optKeepIdle     = intOpt{label: "TCP_KEEPIDLE"}
	optKeepIntvl    = intOpt{label: "TCP_KEEPINTVL"}
	optKeepCnt      = intOpt{label: "TCP_KEEPCNT"}
	optFastOpen     = intOpt{label: "TCP_FASTOPEN"}
	optFastOpenConn = intOpt{label: "TCP_FASTOPEN_CONNECT"}
	optCongestion   = intOpt{label: "TCP_CONGESTION"}
	optTCPInfo      = intOpt{label: "TCP_INFO"}

	optKeepAlive = intOpt{label: "SO_KEEPALIVE"}
	optReuseAddr = intOpt{label: "SO_REUSEADDR"}
	optReusePort = intOpt{label: "SO_REUSEPORT"}
	optRcvBuf    = intOpt{label: "SO_RCVBUF"}
	optSndBuf    = intOpt{label: "SO_SNDBUF"}
	optLinger    = intOpt{label: "SO_LINGER"}
)
