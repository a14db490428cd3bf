package sockopt

import "syscall"

// Cork returns a Control that sets TCP_CORK (tcp(7)): while corked the
// kernel sends only full-sized segments; uncorking pushes what is queued.
// TCP_CORK wins over TCP_NODELAY.
func Cork(on bool) Control { return intControl(optCork, boolInt(on)) }

// SetCork wraps setsockopt(2) with TCP_CORK.
func SetCork(c syscall.Conn, on bool) error { return setInt(c, optCork, boolInt(on)) }

// GetCork wraps getsockopt(2) with TCP_CORK.
func GetCork(c syscall.Conn) (bool, error) { return getBool(c, optCork) }
