package sockopt_test

import (
	"errors"
	"io/fs"
	"net"
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
	labtest.InFreshNetns(t, func() error {
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
