package sockopt_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tcplab/tcplab/sockopt"
)

// Each boolean option is set through both doors on a fresh socket and read
// back with its getter, which must follow every change.
func TestBoolOptionsReadBack(t *testing.T) {
	tests := []struct {
		name    string
		control func(bool) sockopt.Control
		set     func(syscall.Conn, bool) error
		get     func(syscall.Conn) (bool, error)
	}{
		{"TCP_NODELAY", sockopt.NoDelay, sockopt.SetNoDelay, sockopt.GetNoDelay},
		{"TCP_CORK", sockopt.Cork, sockopt.SetCork, sockopt.GetCork},
		{"TCP_QUICKACK", sockopt.QuickAck, sockopt.SetQuickAck, sockopt.GetQuickAck},
		{"SO_REUSEADDR", sockopt.ReuseAddr, sockopt.SetReuseAddr, sockopt.GetReuseAddr},
		{"SO_REUSEPORT", sockopt.ReusePort, sockopt.SetReusePort, sockopt.GetReusePort},
		{"TCP_FASTOPEN_CONNECT", sockopt.FastOpenConnect, sockopt.SetFastOpenConnect, sockopt.GetFastOpenConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := rawSocket(t)
			for _, want := range []bool{true, false, true, false} {
				if err := tt.set(fd, want); err != nil {
					if errors.Is(err, syscall.EOPNOTSUPP) {
						t.Skipf("skipping, %s refused by this kernel's settings: %v", tt.name, err)
					}
					t.Fatal(err)
				}
				if got, err := tt.get(fd); err != nil || got != want {
					t.Fatalf("setter: Get = %v, %v; want %v", got, err, want)
				}
			}
			rc := rawConnOf(t, fd)
			for _, want := range []bool{true, false} {
				if err := tt.control(want)("tcp4", "127.0.0.1:0", rc); err != nil {
					t.Fatal(err)
				}
				if got, err := tt.get(fd); err != nil || got != want {
					t.Fatalf("Control: Get = %v, %v; want %v", got, err, want)
				}
			}
		})
	}
}

// Integer options read back what was set, except the buffers, which the
// kernel doubles (socket(7)).
func TestIntOptionsReadBack(t *testing.T) {
	rmemMax := sysctlInt(t, "net.core.rmem_max")
	wmemMax := sysctlInt(t, "net.core.wmem_max")
	tests := []struct {
		name    string
		control func(int) sockopt.Control
		set     func(syscall.Conn, int) error
		get     func(syscall.Conn) (int, error)
		v1, v2  int
		want    func(int) int
	}{
		{"TCP_MAXSEG", sockopt.MaxSeg, sockopt.SetMaxSeg, sockopt.GetMaxSeg, 1000, 536, same},
		{"TCP_SYNCNT", sockopt.SynCount, sockopt.SetSynCount, sockopt.GetSynCount, 2, 5, same},
		{"TCP_WINDOW_CLAMP", sockopt.WindowClamp, sockopt.SetWindowClamp, sockopt.GetWindowClamp, 8192, 40000, same},
		{"TCP_FASTOPEN", sockopt.FastOpen, sockopt.SetFastOpen, sockopt.GetFastOpen, 5, 16, same},
		{"SO_RCVBUF", sockopt.RecvBuffer, sockopt.SetRecvBuffer, sockopt.GetRecvBuffer, 65536, 32768,
			func(n int) int { return 2 * min(n, rmemMax) }},
		{"SO_SNDBUF", sockopt.SendBuffer, sockopt.SetSendBuffer, sockopt.GetSendBuffer, 65536, 32768,
			func(n int) int { return 2 * min(n, wmemMax) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd := rawSocket(t)
			if err := tt.set(fd, tt.v1); err != nil {
				t.Fatal(err)
			}
			if got, err := tt.get(fd); err != nil || got != tt.want(tt.v1) {
				t.Fatalf("after Set(%d): Get = %d, %v; want %d", tt.v1, got, err, tt.want(tt.v1))
			}
			if err := tt.control(tt.v2)("tcp4", "", rawConnOf(t, fd)); err != nil {
				t.Fatal(err)
			}
			if got, err := tt.get(fd); err != nil || got != tt.want(tt.v2) {
				t.Fatalf("after Control(%d): Get = %d, %v; want %d", tt.v2, got, err, tt.want(tt.v2))
			}
		})
	}
}

func same(n int) int { return n }

func sysctlInt(t *testing.T, key string) int {
	t.Helper()
	s, err := sockopt.ReadSysctl(key)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("%s = %q: %v", key, s, err)
	}
	return n
}

func TestCongestionReadBack(t *testing.T) {
	fd := rawSocket(t)
	if err := sockopt.SetCongestion(fd, "reno"); err != nil {
		t.Fatal(err)
	}
	if got, err := sockopt.GetCongestion(fd); err != nil || got != "reno" {
		t.Fatalf("GetCongestion = %q, %v; want reno", got, err)
	}
	c, _ := pair(t, sockopt.ListenConfig(), sockopt.Dialer(sockopt.Congestion("reno")))
	if got, err := sockopt.GetCongestion(c); err != nil || got != "reno" {
		t.Fatalf("dialled with Congestion(reno): GetCongestion = %q, %v", got, err)
	}
	err := sockopt.SetCongestion(fd, "no-such-cc")
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "setsockopt TCP_CONGESTION" || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("SetCongestion(no-such-cc) = %v; want *os.SyscallError \"setsockopt TCP_CONGESTION\" wrapping ENOENT", err)
	}
}

// SO_LINGER is read back raw: l_onoff and l_linger as the kernel holds them.
func TestLingerReadBack(t *testing.T) {
	fd := rawSocket(t)
	if on, secs, err := sockopt.GetLinger(fd); err != nil || on != 0 || secs != 0 {
		t.Fatalf("default GetLinger = %d, %d, %v; want 0, 0", on, secs, err)
	}
	for _, tt := range []struct{ on, secs int }{{1, 0}, {1, 5}, {1, 30}} {
		if err := sockopt.SetLinger(fd, tt.on, tt.secs); err != nil {
			t.Fatal(err)
		}
		if on, secs, err := sockopt.GetLinger(fd); err != nil || on != tt.on || secs != tt.secs {
			t.Fatalf("after SetLinger(%d, %d): GetLinger = %d, %d, %v", tt.on, tt.secs, on, secs, err)
		}
	}
	if err := sockopt.Linger(0, 0)("tcp4", "", rawConnOf(t, fd)); err != nil {
		t.Fatal(err)
	}
	// l_onoff=0 clears the flag and leaves l_linger alone (sk_setsockopt).
	if on, secs, err := sockopt.GetLinger(fd); err != nil || on != 0 || secs != 30 {
		t.Fatalf("after Linger(0, 0): GetLinger = %d, %d, %v; want 0, 30", on, secs, err)
	}
}

func TestKeepAliveReadBack(t *testing.T) {
	fd := rawSocket(t)
	want := sockopt.KeepAliveConfig{Enable: true, Idle: 7e9, Interval: 3e9, Count: 4}
	if err := sockopt.SetKeepAlive(fd, want); err != nil {
		t.Fatal(err)
	}
	if got, err := sockopt.GetKeepAlive(fd); err != nil || got != want {
		t.Fatalf("GetKeepAlive = %v, %v; want %v", got, err, want)
	}
	// Zero timers are left alone; 1.2 s rounds up to 2 s.
	if err := sockopt.KeepAlive(sockopt.KeepAliveConfig{Enable: false, Interval: 1.2e9})("tcp4", "", rawConnOf(t, fd)); err != nil {
		t.Fatal(err)
	}
	want = sockopt.KeepAliveConfig{Enable: false, Idle: 7e9, Interval: 2e9, Count: 4}
	if got, err := sockopt.GetKeepAlive(fd); err != nil || got != want {
		t.Fatalf("after Control: GetKeepAlive = %v, %v; want %v", got, err, want)
	}
}

// Errors name the call and the option and keep the errno.
func TestErrorWrapping(t *testing.T) {
	err := sockopt.SetNoDelay(sockopt.FD(-1), true)
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "setsockopt TCP_NODELAY" || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("SetNoDelay(FD(-1)) = %v; want setsockopt TCP_NODELAY wrapping EBADF", err)
	}
	_, err = sockopt.GetTCPInfo(sockopt.FD(-1))
	if !errors.As(err, &se) || se.Syscall != "getsockopt TCP_INFO" {
		t.Fatalf("GetTCPInfo(FD(-1)) = %v; want getsockopt TCP_INFO error", err)
	}
}
