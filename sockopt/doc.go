// Package sockopt is a thin layer over setsockopt(2), getsockopt(2) and the
// socket calls that Go's net package hides.
//
// Every option comes through two doors:
//
//   - a Control factory, func(network, address string, c syscall.RawConn) error,
//     to plug into net.Dialer.Control or net.ListenConfig.Control, so the option
//     is set before connect(2) or listen(2);
//   - a setter and a getter on an existing socket: anything that implements
//     syscall.Conn (*net.TCPConn, *net.TCPListener, *os.File) or a raw file
//     descriptor wrapped with FD.
//
// Errors from the kernel are wrapped with os.NewSyscallError naming the call
// and the option ("setsockopt TCP_NODELAY: bad file descriptor"). On systems
// other than Linux every call returns an error that matches
// errors.ErrUnsupported.
//
// # Go's hidden defaults
//
// Go's net package sets options nobody asked for, and an experiment that
// does not pin them measures Go rather than TCP:
//
//   - TCP_NODELAY=1 on every *net.TCPConn, dialled, accepted or made with
//     net.FileConn, after any Control has run (Nagle is off);
//   - SO_REUSEADDR=1 on every listener, before Control runs;
//   - Multipath TCP on listeners (Go 1.24 and later) where
//     net.mptcp.enabled=1, which changes the SYN's options;
//   - keepalive on every connection with a 15 s idle time and 15 s interval
//     (count 9), unless the Dialer's or ListenConfig's KeepAlive is negative.
//
// Dialer and ListenConfig return net types with MPTCP and keepalive off;
// ReuseAddr(false) in a Control turns the listener's SO_REUSEADDR off;
// SetNoDelay(conn, false) on the connection turns Nagle back on. Socket and
// the other raw calls make sockets with none of these, and FileConn hands
// such a socket to Go without letting it add them.
//
// # TCP_INFO
//
// GetTCPInfo decodes struct tcp_info by hand from the bytes getsockopt(2)
// returns, keeping the window-scale nibbles and the TFO failure bits that
// golang.org/x/sys/unix.TCPInfo loses in padding, and reports which fields
// the running kernel filled in.
//
// # Sysctls
//
// ReadSysctl and WriteSysctl use /proc/sys, which answers for the network
// namespace of the calling thread. Call them on a thread locked with
// runtime.LockOSThread inside the namespace they should act on.
package sockopt
