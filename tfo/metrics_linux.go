package tfo

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// FlushCookies empties the tcp_metrics cache of the calling thread's netns,
// where the client keeps the Fast Open cookies it received (with the RTT and
// cwnd metrics of past connections), so that the next connection to any
// server asks for a cookie again. It is "ip tcp_metrics flush all" by hand:
// over a NETLINK_GENERIC socket it resolves the family "tcp_metrics" with
// CTRL_CMD_GETFAMILY, then sends TCP_METRICS_CMD_DEL without an address
// attribute, which the kernel treats as "delete every entry of this netns"
// (net/ipv4/tcp_metrics.c tcp_metrics_nl_cmd_del, tcp_metrics_flush_all).
// It needs CAP_NET_ADMIN (GENL_ADMIN_PERM).
func FlushCookies() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return os.NewSyscallError("socket NETLINK_GENERIC", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval((5 * time.Second).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt SO_RCVTIMEO", err)
	}
	reply, err := roundTrip(fd, getFamilyRequest(tcpMetricsGenlName, 1))
	if err != nil {
		return fmt.Errorf("tfo: flush cookies: resolve %q: %w", tcpMetricsGenlName, err)
	}
	family, err := parseFamilyID(reply, 1)
	if err != nil {
		return fmt.Errorf("tfo: flush cookies: resolve %q: %w", tcpMetricsGenlName, err)
	}
	reply, err = roundTrip(fd, genlRequest(family, nlmFRequest|nlmFAck, 2, tcpMetricsCmdDel, tcpMetricsGenlVersion, nil))
	if err != nil {
		return fmt.Errorf("tfo: flush cookies: TCP_METRICS_CMD_DEL: %w", err)
	}
	if _, _, err := replyOf(reply, 2); err != nil {
		return fmt.Errorf("tfo: flush cookies: TCP_METRICS_CMD_DEL: %w", err)
	}
	return nil
}

// roundTrip sends one request to the kernel and reads one datagram back.
func roundTrip(fd int, req []byte) ([]byte, error) {
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, os.NewSyscallError("sendto", err)
	}
	buf := make([]byte, 1<<15)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("recvfrom", err)
		}
		return buf[:n], nil
	}
}
