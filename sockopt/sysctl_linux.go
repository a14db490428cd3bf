package sockopt

import (
	"fmt"
	"os"
	"strings"
)

// ReadSysctl reads a kernel parameter through /proc/sys, by its dotted key
// ("net.ipv4.tcp_congestion_control"), and returns it without the trailing
// newline; multi-value parameters keep the kernel's tabs
// ("32768\t60999").
//
// Files under /proc/sys/net belong to the network namespace of the calling
// thread, not of the process: to read a lab namespace's value, call it on a
// thread locked with runtime.LockOSThread that has joined the namespace.
func ReadSysctl(key string) (string, error) {
	path, err := sysctlPath(key)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("sockopt: read sysctl %s: %w", key, err)
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// WriteSysctl writes a kernel parameter through /proc/sys (see ReadSysctl
// for keys). It acts on the network namespace of the calling thread: call
// it only on a locked thread inside a lab namespace, never on a thread of
// the host's namespace, whose settings it would change for everyone.
func WriteSysctl(key, value string) error {
	path, err := sysctlPath(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("sockopt: write sysctl %s: %w", key, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sockopt: write sysctl %s=%q: %w", key, value, err)
	}
	return nil
}
