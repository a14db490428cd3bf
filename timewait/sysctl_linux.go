package timewait

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/sockopt"
)

// The sysctls this package reads and writes, as dotted keys.
const (
	keyReuse      = "net.ipv4.tcp_tw_reuse"
	keyReuseDelay = "net.ipv4.tcp_tw_reuse_delay"
	keyPortRange  = "net.ipv4.ip_local_port_range"
	keyRecycle    = "net.ipv4.tcp_tw_recycle"
)

// ReadReuse reads net.ipv4.tcp_tw_reuse of the calling thread's netns.
func ReadReuse() (Reuse, error) {
	s, err := readSysctl(keyReuse)
	if err != nil {
		return 0, err
	}
	return parseReuse(s)
}

// WriteReuse sets net.ipv4.tcp_tw_reuse in the calling thread's netns.
func WriteReuse(v Reuse) error {
	return writeSysctl(keyReuse, strconv.Itoa(int(v)))
}

// ReadReuseDelay reads net.ipv4.tcp_tw_reuse_delay (milliseconds; default
// 1000) of the calling thread's netns: how long a 4-tuple must have been in
// TIME_WAIT before tcp_tw_reuse lets connect(2) take it. The sysctl came
// with Linux 6.14 (commits 19ce8cd30465, ca6a6f93867a); on older kernels
// the error matches fs.ErrNotExist and the delay is 1–2 s.
func ReadReuseDelay() (time.Duration, error) {
	s, err := readSysctl(keyReuseDelay)
	if err != nil {
		return 0, err
	}
	ms, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("timewait: parse %s %q: %w", keyReuseDelay, s, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// WriteReuseDelay sets net.ipv4.tcp_tw_reuse_delay in the calling thread's
// netns, d rounded down to whole milliseconds. The kernel accepts 1 ms to
// 60 s (TCP_PAWS_MSL) and rejects the rest with EINVAL.
func WriteReuseDelay(d time.Duration) error {
	return writeSysctl(keyReuseDelay, strconv.FormatInt(d.Milliseconds(), 10))
}

// ReadPortRange reads net.ipv4.ip_local_port_range of the calling thread's
// netns: the ephemeral ports connect(2) and bind(0) choose from (default
// 32768–60999).
func ReadPortRange() (lo, hi uint16, err error) {
	s, err := readSysctl(keyPortRange)
	if err != nil {
		return 0, 0, err
	}
	return parsePortRange(s)
}

// WritePortRange sets net.ipv4.ip_local_port_range in the calling thread's
// netns. The kernel rejects hi < lo with EINVAL; ip-sysctl.rst advises
// lo and hi of different parity.
func WritePortRange(lo, hi uint16) error {
	return writeSysctl(keyPortRange, fmt.Sprintf("%d\t%d", lo, hi))
}

// RecycleAvailable reports whether net.ipv4.tcp_tw_recycle exists. It was
// removed in Linux 4.12 (commit 4396e46187ca) because it dropped SYNs from
// clients behind NAT, so on any current kernel the answer is false.
func RecycleAvailable() bool {
	_, err := sockopt.ReadSysctl(keyRecycle)
	return err == nil
}

// readSysctl reads a sysctl of the calling thread's netns.
func readSysctl(key string) (string, error) {
	s, err := sockopt.ReadSysctl(key)
	if err != nil {
		return "", fmt.Errorf("timewait: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// writeSysctl writes a sysctl of the calling thread's netns.
func writeSysctl(key, value string) error {
	if err := sockopt.WriteSysctl(key, value); err != nil {
		return fmt.Errorf("timewait: %w", err)
	}
	return nil
}
