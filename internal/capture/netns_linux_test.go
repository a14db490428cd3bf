package capture

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// inFreshNetns runs f on a locked OS thread moved into a new network
// namespace with lo up. The thread is never unlocked, so Go ends it when f
// returns and the namespace goes away with its last socket.
func inFreshNetns(t *testing.T, f func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- os.NewSyscallError("unshare CLONE_NEWNET", err)
			return
		}
		if err := linkUp("lo"); err != nil {
			errc <- err
			return
		}
		defer func() { errc <- nil }()
		f()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// linkUp sets IFF_UP on ifname (SIOCGIFFLAGS/SIOCSIFFLAGS, netdevice(7)).
func linkUp(ifname string) error {
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
