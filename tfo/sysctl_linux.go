package tfo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/sockopt"
)

// keyFastOpen is the sysctl that holds Mode.
const keyFastOpen = "net.ipv4.tcp_fastopen"

// ReadMode reads net.ipv4.tcp_fastopen of the calling thread's netns.
func ReadMode() (Mode, error) {
	s, err := sockopt.ReadSysctl(keyFastOpen)
	if err != nil {
		return 0, fmt.Errorf("tfo: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
	if err != nil {
		return 0, fmt.Errorf("tfo: parse %s %q: %w", keyFastOpen, s, err)
	}
	return Mode(v), nil
}

// WriteMode sets net.ipv4.tcp_fastopen in the calling thread's netns.
// Each namespace has its own value (default Client); call it only on a
// thread inside a lab namespace.
func WriteMode(m Mode) error {
	if err := sockopt.WriteSysctl(keyFastOpen, strconv.FormatUint(uint64(m), 10)); err != nil {
		return fmt.Errorf("tfo: %w", err)
	}
	return nil
}
