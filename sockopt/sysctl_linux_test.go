package sockopt_test

import (
	"errors"
	"io/fs"
	"net"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/sockopt"
)

// The default congestion control the sysctl names is the one a new
// connection gets.
func TestReadSysctlAgreesWithSocket(t *testing.T) {
	cc, err := sockopt.ReadSysctl("net.ipv4.tcp_congestion_control")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pair(t, &net.ListenConfig{}, &net.Dialer{})
	if got, err := sockopt.GetCongestion(c); err != nil || got != cc {
		t.Errorf("sysctl says %q, a new connection uses %q (%v)", cc, got, err)
	}
	if _, err := sockopt.ReadSysctl("net.ipv4.no_such_knob"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadSysctl of a missing key: %v; want fs.ErrNotExist", err)
	}
}

// WriteSysctl acts on the calling thread's namespace only: inside a
// throwaway namespace the new default congestion control reaches new
// sockets there, and the host keeps its values.
func TestWriteSysctlInNetns(t *testing.T) {
	labtest.RequirePriv(t)
	hostCC, err := sockopt.ReadSysctl("net.ipv4.tcp_congestion_control")
	if err != nil {
		t.Fatal(err)
	}
	hostTFO, err := sockopt.ReadSysctl("net.ipv4.tcp_fastopen")
	if err != nil {
		t.Fatal(err)
	}
	want := "reno"
	if hostCC == "reno" {
		want = "bbr"
	}
	inNetns(t, func() error {
		if err := sockopt.WriteSysctl("net.ipv4.tcp_fastopen", "3"); err != nil {
			return err
		}
		if v, err := sockopt.ReadSysctl("net.ipv4.tcp_fastopen"); err != nil || v != "3" {
			return errorf("netns tcp_fastopen reads %q, %v after writing 3", v, err)
		}
		if err := sockopt.WriteSysctl("net.ipv4.tcp_congestion_control", want); err != nil {
			return err
		}
		if err := sockopt.WriteSysctl("net.ipv4.tcp_congestion_control", "no-such-cc"); err == nil {
			return errorf("writing an unknown congestion control succeeded")
		}
		fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
		if err != nil {
			return err
		}
		defer sockopt.Close(fd)
		if got, err := sockopt.GetCongestion(sockopt.FD(fd)); err != nil || got != want {
			return errorf("new socket in the netns uses %q (%v), want %q", got, err, want)
		}
		return nil
	})
	if v, _ := sockopt.ReadSysctl("net.ipv4.tcp_congestion_control"); v != hostCC {
		t.Errorf("host tcp_congestion_control changed: %q -> %q", hostCC, v)
	}
	if v, _ := sockopt.ReadSysctl("net.ipv4.tcp_fastopen"); v != hostTFO {
		t.Errorf("host tcp_fastopen changed: %q -> %q", hostTFO, v)
	}
}

// inNetns runs fn on a goroutine whose thread has unshared into a new
// network namespace with loopback up. The thread stays locked, so the
// runtime discards it when the goroutine ends and no other goroutine ever
// runs in that namespace; the namespace dies with its last socket.
func inNetns(t *testing.T, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		if err := loopbackUp(); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// loopbackUp sets IFF_UP on lo with SIOCSIFFLAGS.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
