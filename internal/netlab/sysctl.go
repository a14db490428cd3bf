package netlab

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// procSys is where sysctl(8) keys live. Entries under /proc/sys/net belong to
// the network namespace of the thread that opens them, which is why every
// access here runs inside NS.Do.
const procSys = "/proc/sys/"

// SysctlPath turns a sysctl key into its path under /proc/sys. A dotted key
// ("net.ipv4.tcp_fastopen") maps dots to slashes, as sysctl(8) does; a key
// that contains a slash is taken as a path as it is, which is how names with
// dots in them are reached ("net/ipv4/conf/eth0.100/forwarding"). Keys that
// could leave /proc/sys are refused.
func SysctlPath(key string) (string, error) {
	if key == "" || len(key) > 256 {
		return "", fmt.Errorf("netlab: sysctl key %q: empty or too long", key)
	}
	rel := key
	if !strings.Contains(key, "/") {
		rel = strings.ReplaceAll(key, ".", "/")
	}
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." {
			return "", fmt.Errorf("netlab: sysctl key %q: bad component %q", key, part)
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == '@' || r == ':') {
				return "", fmt.Errorf("netlab: sysctl key %q: character %q not allowed", key, r)
			}
		}
	}
	return procSys + rel, nil
}

// normaliseSysctl turns the text of a /proc/sys file into the form sysctl(8)
// prints: fields separated by single spaces, no trailing newline
// ("32768\t60999\n" → "32768 60999").
func normaliseSysctl(s string) string { return strings.Join(strings.Fields(s), " ") }

// SetSysctl writes value to the sysctl key inside the namespace, reads it
// back, and records the value read back (see Sysctls). It fails if the value
// read back differs from the one written (after normalising white space),
// which is how a kernel that silently clamps a value is caught.
func (n *NS) SetSysctl(key, value string) error {
	path, err := SysctlPath(key)
	if err != nil {
		return err
	}
	var got string
	err = n.Do(func() error {
		if err := writeProcFile(path, value); err != nil {
			return err
		}
		got, err = readProcFile(path)
		return err
	})
	if err != nil {
		return fmt.Errorf("netlab: set sysctl %s=%q in %s: %w", key, value, n.name, err)
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
	path, err := SysctlPath(key)
	if err != nil {
		return "", err
	}
	var got string
	err = n.Do(func() error {
		got, err = readProcFile(path)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("netlab: read sysctl %s in %s: %w", key, n.name, err)
	}
	return got, nil
}

func readProcFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return normaliseSysctl(string(b)), nil
}

func writeProcFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(value)
	cerr := f.Close()
	return errors.Join(werr, cerr)
}
