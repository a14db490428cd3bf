// Package linger sets and reads SO_LINGER, the socket option that decides
// what close(2) does with a TCP connection, as a closed set of three modes:
//
//   - Default (struct linger {l_onoff 0}): close returns at once, the kernel
//     sends the queued data and a FIN, and the socket that closes first
//     (the active closer) ends in TIME_WAIT for 60 s.
//   - Abortive ({1, 0}): close sends RST instead of FIN, discards data still
//     queued for sending and leaves no TIME_WAIT on either side
//     (net/ipv4/tcp.c __tcp_close, tcp_disconnect).
//   - Timeout(d) ({1, N} seconds): close blocks until the FIN is acknowledged
//     or N seconds pass (net/core/stream.c sk_stream_wait_close); after a
//     timeout the connection continues as an orphan and closes normally
//     later. It does not turn into RST.
//
// Each mode reaches a socket through two doors (built on package sockopt): Mode.Control for
// net.Dialer.Control or net.ListenConfig.Control, and Mode.Apply for a socket
// that already exists. Get reads the option back from the kernel.
//
// Go's (*net.TCPConn).SetLinger sets the same option; this package adds the
// read-back, the Control door and a value that cannot express anything but
// the three modes.
package linger
