package sockopt

import (
	"fmt"
	"strings"
)

// sysctlPath maps a dotted key ("net.ipv4.tcp_fastopen") to its file under
// /proc/sys. A key that already uses slashes ("net/ipv4/conf/eth0.100/rp_filter")
// is taken as a path, which is how to name a component with a dot in it.
func sysctlPath(key string) (string, error) {
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	if rel == "" || strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("sockopt: bad sysctl key %q", key)
	}
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return "", fmt.Errorf("sockopt: bad sysctl key %q", key)
		}
	}
	return "/proc/sys/" + rel, nil
}
