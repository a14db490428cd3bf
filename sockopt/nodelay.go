package sockopt

import "syscall"

// NoDelay returns a Control that sets TCP_NODELAY (tcp(7)): on disables
// Nagle's algorithm (RFC 896, RFC 1122 §4.2.3.4).
//
// Go's net package sets TCP_NODELAY=1 on every *net.TCPConn it returns,
// dialled or accepted, after Control has run, so NoDelay(false) in a Control
// is undone: call SetNoDelay(conn, false) on the connection instead.
func NoDelay(on bool) Control { return intControl(optNoDelay, boolInt(on)) }

// SetNoDelay wraps setsockopt(2) with TCP_NODELAY. Setting it also pushes
// any segment Nagle was holding back.
func SetNoDelay(c syscall.Conn, on bool) error { return setInt(c, optNoDelay, boolInt(on)) }

// GetNoDelay wraps getsockopt(2) with TCP_NODELAY.
func GetNoDelay(c syscall.Conn) (bool, error) { return getBool(c, optNoDelay) }
