package sockopt_test

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/sockopt"
)

// The hidden defaults the package documents are real: a plain net.Dialer
// and net.ListenConfig set them, this package's helpers undo them.
func TestGoHiddenDefaults(t *testing.T) {
	plainC, plainS := pair(t, &net.ListenConfig{}, &net.Dialer{})
	for name, c := range map[string]*net.TCPConn{"dialled": plainC, "accepted": plainS} {
		if on, err := sockopt.GetNoDelay(c); err != nil || !on {
			t.Errorf("plain %s conn: TCP_NODELAY = %v, %v; want Go's default on", name, on, err)
		}
		ka, err := sockopt.GetKeepAlive(c)
		if err != nil || !ka.Enable || ka.Idle != 15*time.Second || ka.Interval != 15*time.Second {
			t.Errorf("plain %s conn: keepalive = %v, %v; want Go's default on, 15s, 15s", name, ka, err)
		}
	}

	c, s := pair(t, sockopt.ListenConfig(), sockopt.Dialer(sockopt.NoDelay(false)))
	for name, c := range map[string]*net.TCPConn{"dialled": c, "accepted": s} {
		if ka, err := sockopt.GetKeepAlive(c); err != nil || ka.Enable {
			t.Errorf("sockopt %s conn: keepalive = %v, %v; want off", name, ka, err)
		}
	}
	// NoDelay(false) in the Control is undone by Go after connect(2).
	if on, err := sockopt.GetNoDelay(c); err != nil || !on {
		t.Errorf("Dialer(NoDelay(false)) conn: TCP_NODELAY = %v, %v; want on (Go overrides the Control)", on, err)
	}
	if err := sockopt.SetNoDelay(c, false); err != nil {
		t.Fatal(err)
	}
	if on, err := sockopt.GetNoDelay(c); err != nil || on {
		t.Errorf("after SetNoDelay(false): TCP_NODELAY = %v, %v", on, err)
	}
}

func TestListenerReuseAddrOff(t *testing.T) {
	ctx := context.Background()
	plain, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if on, err := sockopt.GetReuseAddr(plain.(*net.TCPListener)); err != nil || !on {
		t.Errorf("net.Listen: SO_REUSEADDR = %v, %v; want Go's default on", on, err)
	}
	ln, err := sockopt.ListenConfig(sockopt.ReuseAddr(false)).Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if v := sockoptInt(t, ln.(*net.TCPListener), unix.SOL_SOCKET, unix.SO_REUSEADDR); v != 0 {
		t.Errorf("ListenConfig(ReuseAddr(false)): SO_REUSEADDR reads %d; want 0", v)
	}
}

// MPTCP: a plain ListenConfig makes an IPPROTO_MPTCP socket where the
// sysctl allows it; this package's ListenConfig makes plain TCP.
func TestListenConfigMPTCPOff(t *testing.T) {
	ctx := context.Background()
	ln, err := sockopt.ListenConfig().Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if p := sockoptInt(t, ln.(*net.TCPListener), unix.SOL_SOCKET, unix.SO_PROTOCOL); p != unix.IPPROTO_TCP {
		t.Errorf("sockopt.ListenConfig listener: SO_PROTOCOL = %d; want IPPROTO_TCP", p)
	}
	if v, err := sockopt.ReadSysctl("net.mptcp.enabled"); err != nil || v != "1" {
		t.Logf("net.mptcp.enabled = %q (%v): not checking Go's MPTCP default", v, err)
		return
	}
	plain, err := (&net.ListenConfig{}).Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if p := sockoptInt(t, plain.(*net.TCPListener), unix.SOL_SOCKET, unix.SO_PROTOCOL); p != unix.IPPROTO_MPTCP {
		t.Errorf("plain ListenConfig listener: SO_PROTOCOL = %d; want IPPROTO_MPTCP (Go's default)", p)
	}
}
