package netlab

import (
	"strings"
	"testing"
)

func TestCheckSysctlKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"net.ipv4.tcp_fastopen", true},
		{"net.ipv6.conf.default.disable_ipv6", true},
		{"net/ipv4/conf/eth0.100/forwarding", true},
		{"", false},
		{"net..ipv4", false},
		{".net", false},
		{"net/../../etc/passwd", false},
		{"/net/ipv4", false},
		{"net.ipv4.tcp fastopen", false},
		{"net.ipv4.tcp_fastopen\x00", false},
	}
	for _, tt := range tests {
		if err := checkSysctlKey(tt.key); (err == nil) != tt.ok {
			t.Errorf("checkSysctlKey(%q) = %v, want ok %v", tt.key, err, tt.ok)
		}
	}
}

func FuzzCheckSysctlKey(f *testing.F) {
	for _, s := range []string{"net.ipv4.tcp_fastopen", "net/ipv4/conf/eth0.1/x", "..", "a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if checkSysctlKey(key) != nil {
			return
		}
		rel := key
		if !strings.Contains(key, "/") {
			rel = strings.ReplaceAll(key, ".", "/")
		}
		for _, part := range strings.Split(rel, "/") {
			if part == "" || part == "." || part == ".." {
				t.Fatalf("accepted %q with component %q", key, part)
			}
		}
	})
}

func TestNormaliseSysctl(t *testing.T) {
	tests := map[string]string{
		"3\n":               "3",
		"32768\t60999\n":    "32768 60999",
		"reno bbr\n":        "reno bbr",
		"  4096  131072 \n": "4096 131072",
		"":                  "",
	}
	for in, want := range tests {
		if got := normaliseSysctl(in); got != want {
			t.Errorf("normaliseSysctl(%q) = %q, want %q", in, got, want)
		}
	}
}
