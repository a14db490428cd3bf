package sockopt

import "syscall"

// ReuseAddr returns a Control that sets SO_REUSEADDR (socket(7)).
//
// Go's net package sets SO_REUSEADDR=1 on every listening socket before
// Control runs (net/sockopt_linux.go setDefaultListenerSockopts), so a
// listener without it must be made with ReuseAddr(false) in its
// net.ListenConfig; nothing later can undo the bind it allowed. For a TCP
// bind to share a port with a socket in TIME_WAIT, both the old socket and
// the new one need the flag (net/ipv4/inet_connection_sock.c
// inet_bind_conflict).
func ReuseAddr(on bool) Control { return intControl(optReuseAddr, boolInt(on)) }

// SetReuseAddr wraps setsockopt(2) with SO_REUSEADDR. It matters for the
// next bind(2), so use it on raw sockets from Socket before Bind.
func SetReuseAddr(c syscall.Conn, on bool) error { return setInt(c, optReuseAddr, boolInt(on)) }

// GetReuseAddr wraps getsockopt(2) with SO_REUSEADDR.
func GetReuseAddr(c syscall.Conn) (bool, error) { return getBool(c, optReuseAddr) }

// ReusePort returns a Control that sets SO_REUSEPORT (socket(7)): several
// sockets of the same user may bind and listen on one address, and the
// kernel spreads incoming connections across them. Every socket in the
// group needs it before bind(2).
func ReusePort(on bool) Control { return intControl(optReusePort, boolInt(on)) }

// SetReusePort wraps setsockopt(2) with SO_REUSEPORT; it matters for the
// next bind(2).
func SetReusePort(c syscall.Conn, on bool) error { return setInt(c, optReusePort, boolInt(on)) }

// GetReusePort wraps getsockopt(2) with SO_REUSEPORT.
func GetReusePort(c syscall.Conn) (bool, error) { return getBool(c, optReusePort) }
