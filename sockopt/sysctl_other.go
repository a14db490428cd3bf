//go:build !linux

package sockopt

// ReadSysctl reads a kernel parameter through /proc/sys; only Linux has it.
func ReadSysctl(key string) (string, error) { return "", unsupported("read sysctl " + key) }

// WriteSysctl writes a kernel parameter through /proc/sys; only Linux has it.
func WriteSysctl(key, value string) error { return unsupported("write sysctl " + key) }
