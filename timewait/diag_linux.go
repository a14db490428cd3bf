package timewait

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// diagTimeout bounds each recvfrom(2) of a dump reply.
const diagTimeout = 5 * time.Second

// diagDump asks inet_diag for the TCP sockets of one family in the calling
// thread's netns: socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG), one
// SOCK_DIAG_BY_FAMILY dump request, replies read until NLMSG_DONE
// (net/ipv4/inet_diag.c inet_diag_dump_icsk, which reports a TIME_WAIT
// socket with state tw_substate).
func diagDump(family uint8, states uint32) ([]Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, os.NewSyscallError("socket NETLINK_SOCK_DIAG", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(diagTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, os.NewSyscallError("setsockopt SO_RCVTIMEO", err)
	}
	const seq = 1
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if err := unix.Sendto(fd, diagRequest(family, states, seq), 0, kernel); err != nil {
		return nil, os.NewSyscallError("sendto SOCK_DIAG_BY_FAMILY", err)
	}
	buf := make([]byte, 1<<16)
	var all []Socket
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("recvfrom NETLINK_SOCK_DIAG", err)
		}
		socks, done, err := parseDiagDump(buf[:n], seq)
		all = append(all, socks...)
		if err != nil {
			return nil, err
		}
		if done {
			return all, nil
		}
	}
}
