package sockopt

import "golang.org/x/sys/unix"

// The options of this package, as Linux numbers them (socket(7), tcp(7)).
var (
	optNoDelay      = intOpt{unix.IPPROTO_TCP, unix.TCP_NODELAY, "TCP_NODELAY"}
	optCork         = intOpt{unix.IPPROTO_TCP, unix.TCP_CORK, "TCP_CORK"}
	optQuickAck     = intOpt{unix.IPPROTO_TCP, unix.TCP_QUICKACK, "TCP_QUICKACK"}
	optMaxSeg       = intOpt{unix.IPPROTO_TCP, unix.TCP_MAXSEG, "TCP_MAXSEG"}
	optSynCount     = intOpt{unix.IPPROTO_TCP, unix.TCP_SYNCNT, "TCP_SYNCNT"}
	optWindowClamp  = intOpt{unix.IPPROTO_TCP, unix.TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP"}
	optKeepIdle     = intOpt{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, "TCP_KEEPIDLE"}
	optKeepIntvl    = intOpt{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, "TCP_KEEPINTVL"}
	optKeepCnt      = intOpt{unix.IPPROTO_TCP, unix.TCP_KEEPCNT, "TCP_KEEPCNT"}
	optFastOpen     = intOpt{unix.IPPROTO_TCP, unix.TCP_FASTOPEN, "TCP_FASTOPEN"}
	optFastOpenConn = intOpt{unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT"}
	optCongestion   = intOpt{unix.IPPROTO_TCP, unix.TCP_CONGESTION, "TCP_CONGESTION"}
	optTCPInfo      = intOpt{unix.IPPROTO_TCP, unix.TCP_INFO, "TCP_INFO"}

	optKeepAlive = intOpt{unix.SOL_SOCKET, unix.SO_KEEPALIVE, "SO_KEEPALIVE"}
	optReuseAddr = intOpt{unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR"}
	optReusePort = intOpt{unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT"}
	optRcvBuf    = intOpt{unix.SOL_SOCKET, unix.SO_RCVBUF, "SO_RCVBUF"}
	optSndBuf    = intOpt{unix.SOL_SOCKET, unix.SO_SNDBUF, "SO_SNDBUF"}
	optLinger    = intOpt{unix.SOL_SOCKET, unix.SO_LINGER, "SO_LINGER"}
)
