// Package timewait reads and sets what governs TCP's TIME_WAIT state on
// Linux, and counts the sockets in it.
//
// The active closer of a connection holds TIME_WAIT for a fixed 60 s
// (include/net/tcp.h TCP_TIMEWAIT_LEN; net/ipv4/tcp_minisocks.c
// tcp_time_wait). While it lasts, the 4-tuple cannot be used again, which
// is what exhausts ephemeral ports (net/ipv4/inet_hashtables.c
// __inet_hash_connect returns EADDRNOTAVAIL) and what makes bind(2) without
// SO_REUSEADDR fail with EADDRINUSE (net/ipv4/inet_connection_sock.c
// inet_bind_conflict).
//
// The knobs are sysctls of the network namespace:
// net.ipv4.tcp_tw_reuse (Reuse), net.ipv4.tcp_tw_reuse_delay and
// net.ipv4.ip_local_port_range (Documentation/networking/ip-sysctl.rst).
// net.ipv4.tcp_tw_recycle is gone since Linux 4.12 (commit 4396e46187ca).
//
// # Network namespaces
//
// Every function here acts in the network namespace of the calling OS
// thread: sysctls through /proc/sys (which follows the thread), the census
// through a NETLINK_SOCK_DIAG socket opened by the thread or through
// /proc/thread-self/net/tcp and tcp6. /proc/net/tcp is never read: it
// follows the thread-group leader and shows the wrong namespace. To act in
// another namespace, call these functions from a goroutine that has locked
// its OS thread (runtime.LockOSThread) and moved it there with setns(2).
package timewait
