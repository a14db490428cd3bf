package tfo

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// HaveClient reports whether this thread's netns can send data in a SYN:
// nil if so; an error wrapping ErrNotSupported that says what is missing
// (the Client bit of net.ipv4.tcp_fastopen, or kernel support for
// TCP_FASTOPEN_CONNECT); any other error means the probe could not decide.
func HaveClient() error {
	m, err := ReadMode()
	if err != nil {
		return err
	}
	if m&Client == 0 {
		return fmt.Errorf("tfo: client: net.ipv4.tcp_fastopen is %v, without Client (0x1): %w", m, ErrNotSupported)
	}
	return probe("TCP_FASTOPEN_CONNECT", unix.TCP_FASTOPEN_CONNECT)
}

// HaveServer reports whether this thread's netns accepts data in a SYN on
// a listener made by Listen: nil if so; an error wrapping ErrNotSupported
// that says what is missing (the Server bit of net.ipv4.tcp_fastopen, or
// kernel support for TCP_FASTOPEN); any other error means the probe could
// not decide.
func HaveServer() error {
	m, err := ReadMode()
	if err != nil {
		return err
	}
	if m&Server == 0 {
		return fmt.Errorf("tfo: server: net.ipv4.tcp_fastopen is %v, without Server (0x2): %w", m, ErrNotSupported)
	}
	return probe("TCP_FASTOPEN", unix.TCP_FASTOPEN)
}

// probe sets an IPPROTO_TCP option to 1 on a fresh TCP socket. ENOPROTOOPT
// (kernel without the option) and EOPNOTSUPP (sysctl bit off) are
// conclusive.
func probe(name string, opt int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, opt, 1)
	switch {
	case errors.Is(err, unix.ENOPROTOOPT), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("tfo: setsockopt %s: %v: %w", name, err, ErrNotSupported)
	case err != nil:
		return os.NewSyscallError("setsockopt "+name, err)
	}
	return nil
}
