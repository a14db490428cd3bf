package sockopt

import "syscall"

// FastOpen returns a Control that sets TCP_FASTOPEN (tcp(7), RFC 7413) on a
// listener: qlen is the maximum number of pending Fast Open requests
// (capped by net.core.somaxconn). The server also needs bit 0x2 of
// net.ipv4.tcp_fastopen.
func FastOpen(qlen int) Control { return intControl(optFastOpen, qlen) }

// SetFastOpen wraps setsockopt(2) with TCP_FASTOPEN; Linux accepts it only
// on a socket that is closed or listening.
func SetFastOpen(c syscall.Conn, qlen int) error { return setInt(c, optFastOpen, qlen) }

// GetFastOpen wraps getsockopt(2) with TCP_FASTOPEN: the queue length.
func GetFastOpen(c syscall.Conn) (int, error) { return getInt(c, optFastOpen) }

// FastOpenConnect returns a Control that sets TCP_FASTOPEN_CONNECT: connect(2)
// returns at once and the SYN leaves with the first write(2), carrying its
// data when a cookie for the server is cached. It fails with EOPNOTSUPP
// unless bit 0x1 of net.ipv4.tcp_fastopen is set.
func FastOpenConnect(on bool) Control { return intControl(optFastOpenConn, boolInt(on)) }

// SetFastOpenConnect wraps setsockopt(2) with TCP_FASTOPEN_CONNECT; set it
// before connect(2).
func SetFastOpenConnect(c syscall.Conn, on bool) error {
	return setInt(c, optFastOpenConn, boolInt(on))
}

// GetFastOpenConnect wraps getsockopt(2) with TCP_FASTOPEN_CONNECT.
func GetFastOpenConnect(c syscall.Conn) (bool, error) { return getBool(c, optFastOpenConn) }
