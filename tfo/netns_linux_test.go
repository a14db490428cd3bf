package tfo

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/labtest"
)

// enterNetns moves the test's goroutine, locked to its OS thread, into a new
// network namespace with lo up. The thread is never unlocked: when the test
// returns the runtime ends it, and the namespace dies with its last socket.
// Goroutines the test starts run on other threads, in the host's namespace;
// they may use sockets made here but must not make new ones.
func enterNetns(t *testing.T) {
	t.Helper()
	labtest.RequirePriv(t)
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	if err := setLinkUp("lo"); err != nil {
		t.Fatal(err)
	}
}

// setLinkUp sets IFF_UP on an interface with the SIOCGIFFLAGS and
// SIOCSIFFLAGS ioctls.
func setLinkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
