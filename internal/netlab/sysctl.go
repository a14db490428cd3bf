package netlab

import (
	"fmt"
	"strings"

	"github.com/tcplab/tcplab/sockopt"
)

// checkSysctlKey accepts the keys sysctl(8) takes: dotted names
// ("net.ipv4.tcp_fastopen"), or slash-separated paths under /proc/sys for
// names with dots in them ("net/ipv4/conf/eth0.100/forwarding"), and only
// characters that appear in kernel parameter names, so no key can leave
// /proc/sys.
func checkSysctlKey(key string) error {
	if key == "" || len(key) > 256 {
		return fmt.Errorf("netlab: sysctl key %q: empty or too long", key)
	}
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("netlab: sysctl key %q: bad component %q", key, part)
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == '@' || r == ':') {
				return fmt.Errorf("netlab: sysctl key %q: character %q not allowed", key, r)
			}
		}
	}
	return nil
}

// normaliseSysctl turns the text of a /proc/sys file into the form sysctl(8)
// prints: fields separated by single spaces ("32768\t60999" → "32768 60999").
func normaliseSysctl(s string) string { return strings.Join(strings.Fields(s), " ") }

// SetSysctl writes value to the sysctl key inside the namespace (through
// /proc/sys on a thread inside it, with sockopt.WriteSysctl), reads it back,
// and records the value read back (see Sysctls). It fails if the value read
// back differs from the one written, white space aside, which is how a
// kernel that silently clamps a value is caught.
func (n *NS) SetSysctl(key, value string) error {
	if err := checkSysctlKey(key); err != nil {
		return err
	}
	var got string
	err := n.Do(func() error {
		if err := sockopt.WriteSysctl(key, value); err != nil {
			return err
		}
		v, err := sockopt.ReadSysctl(key)
		got = normaliseSysctl(v)
		return err
	})
	if err != nil {
		return fmt.Errorf("netlab: set sysctl in %s: %w", n.name, err)
	}
	n.mu.Lock()
	if n.sysctls == nil {
		n.sysctls = make(map[string]string)
	}
	n.sysctls[key] = got
	n.mu.Unlock()
	if got != normaliseSysctl(value) {
		return fmt.Errorf("netlab: set sysctl %s=%q in %s: reads back %q", key, value, n.name, got)
	}
	return nil
}

// Sysctl reads the sysctl key inside the namespace, white space normalised
// as sysctl(8) prints it.
func (n *NS) Sysctl(key string) (string, error) {
	if err := checkSysctlKey(key); err != nil {
		return "", err
	}
	var got string
	err := n.Do(func() error {
		v, err := sockopt.ReadSysctl(key)
		got = normaliseSysctl(v)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("netlab: read sysctl in %s: %w", n.name, err)
	}
	return got, nil
}
