//go:build !linux

package sockopt_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/tcplab/tcplab/sockopt"
)

// Outside Linux every kernel call reports errors.ErrUnsupported.
func TestUnsupportedElsewhere(t *testing.T) {
	fd := sockopt.FD(0)
	_, errGet := sockopt.GetNoDelay(fd)
	_, errInfo := sockopt.GetTCPInfo(fd)
	_, errSock := sockopt.Socket(2, 1)
	_, errRead := sockopt.ReadSysctl("net.ipv4.tcp_fastopen")
	for name, err := range map[string]error{
		"SetNoDelay":  sockopt.SetNoDelay(fd, true),
		"GetNoDelay":  errGet,
		"NoDelay":     sockopt.NoDelay(true)("tcp", "", nil),
		"GetTCPInfo":  errInfo,
		"Socket":      errSock,
		"Bind":        sockopt.Bind(3, netip.AddrPort{}),
		"ReadSysctl":  errRead,
		"WriteSysctl": sockopt.WriteSysctl("net.ipv4.tcp_fastopen", "3"),
	} {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v; want errors.ErrUnsupported", name, err)
		}
	}
}
