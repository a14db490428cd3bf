package sockopt_test

import (
	"testing"

	"github.com/tcplab/tcplab/sockopt"
)

func TestSysctlPath(t *testing.T) {
	tests := []struct {
		key, want string
		bad       bool
	}{
		{key: "net.ipv4.tcp_fastopen", want: "/proc/sys/net/ipv4/tcp_fastopen"},
		{key: "net.core.somaxconn", want: "/proc/sys/net/core/somaxconn"},
		{key: "net/ipv4/conf/eth0.100/rp_filter", want: "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"},
		{key: "", bad: true},
		{key: ".net.ipv4", bad: true},
		{key: "net..ipv4", bad: true},
		{key: "net/../../etc/passwd", bad: true},
		{key: "/etc/passwd", bad: true},
		{key: "net/./ipv4", bad: true},
	}
	for _, tt := range tests {
		got, err := sockopt.SysctlPath(tt.key)
		if tt.bad {
			if err == nil {
				t.Errorf("SysctlPath(%q) = %q, want error", tt.key, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SysctlPath(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
	}
}
