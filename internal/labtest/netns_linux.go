package labtest

import (
	"errors"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// EnterFreshNetns moves the calling goroutine, locked to its OS thread, into
// a new network namespace (unshare(2) CLONE_NEWNET) with lo up. Call it from
// the test's own goroutine. The thread is never unlocked: when the test
// returns the runtime ends it, and the namespace dies with its last socket.
// Goroutines the test starts run on other threads, in the host's namespace;
// they may use sockets made here but must not make new ones.
func EnterFreshNetns(t testing.TB) {
	t.Helper()
	RequirePriv(t)
	runtime.LockOSThread()
	if err := unshareNetns(); err != nil {
		t.Fatal(err)
	}
}

// InFreshNetns runs fn on a new goroutine whose thread has moved into a new
// network namespace with lo up, and fails t with fn's error. The thread
// stays locked, so the runtime discards it when fn returns and no other
// goroutine ever runs in that namespace; the namespace dies with its last
// socket. fn runs outside the test's goroutine: it reports by its error,
// not by t.Fatal.
func InFreshNetns(t testing.TB, fn func() error) {
	t.Helper()
	RequirePriv(t)
	done := make(chan error, 1)
	go func() {
		err := errFnExited
		// Deferred, so that a runtime.Goexit in fn still answers.
		defer func() { done <- err }()
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err = unshareNetns(); err != nil {
			return
		}
		err = fn()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// errFnExited is InFreshNetns's error when fn ends without returning, by
// runtime.Goexit (a t.FailNow on the wrong goroutine).
var errFnExited = errors.New("labtest: the function run in the namespace exited without returning")

// unshareNetns moves the calling thread into a new network namespace and
// sets lo up there.
func unshareNetns() error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return os.NewSyscallError("unshare CLONE_NEWNET", err)
	}
	return LinkUp("lo")
}

// LinkUp sets IFF_UP on ifname in the calling thread's network namespace
// with the SIOCGIFFLAGS and SIOCSIFFLAGS ioctls (netdevice(7)).
func LinkUp(ifname string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return os.NewSyscallError("ioctl SIOCGIFFLAGS", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return os.NewSyscallError("ioctl SIOCSIFFLAGS", err)
	}
	return nil
}
