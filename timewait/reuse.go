package timewait

import (
	"fmt"
	"strconv"
	"strings"
)

// Reuse is the value of net.ipv4.tcp_tw_reuse: whether connect(2) may take
// over a 4-tuple still in TIME_WAIT (net/ipv4/tcp_ipv4.c tcp_twsk_unique).
// It applies to outgoing connections only, never to listeners, and only
// when the old connection carried TCP timestamps and at least
// tcp_tw_reuse_delay has passed since it entered TIME_WAIT.
type Reuse int

// The values of net.ipv4.tcp_tw_reuse (Documentation/networking/ip-sysctl.rst).
const (
	ReuseOff          Reuse = 0 // never reuse
	ReuseOn           Reuse = 1 // reuse for any destination
	ReuseLoopbackOnly Reuse = 2 // reuse only for loopback traffic; the default since commit 79e9fed46038 (2018)
)

// String explains the value, such as "2 (loopback only: connect reuses
// TIME_WAIT 4-tuples only on loopback)".
func (r Reuse) String() string {
	switch r {
	case ReuseOff:
		return "0 (off: connect never reuses a 4-tuple in TIME_WAIT)"
	case ReuseOn:
		return "1 (on: connect reuses a 4-tuple in TIME_WAIT once tcp_tw_reuse_delay has passed, if timestamps were on)"
	case ReuseLoopbackOnly:
		return "2 (loopback only: connect reuses TIME_WAIT 4-tuples only on loopback)"
	}
	return strconv.Itoa(int(r)) + " (unknown)"
}

// parseReuse parses the text of /proc/sys/net/ipv4/tcp_tw_reuse.
func parseReuse(s string) (Reuse, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("timewait: parse tcp_tw_reuse %q: %w", s, err)
	}
	return Reuse(v), nil
}

// parsePortRange parses the text of /proc/sys/net/ipv4/ip_local_port_range,
// two numbers separated by white space.
func parsePortRange(s string) (lo, hi uint16, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("timewait: parse ip_local_port_range %q: want two numbers", s)
	}
	l, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("timewait: parse ip_local_port_range %q: %w", s, err)
	}
	h, err := strconv.ParseUint(f[1], 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("timewait: parse ip_local_port_range %q: %w", s, err)
	}
	return uint16(l), uint16(h), nil
}
