package handshake_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/handshake"
	"github.com/tcplab/tcplab/sockopt"
)

func negotiated(t *testing.T, c syscall.Conn) handshake.Result {
	t.Helper()
	r, err := handshake.Negotiated(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A default loopback handshake negotiates everything Linux offers, and the
// two ends' window scales mirror each other.
func TestNegotiatedLoopback(t *testing.T) {
	c, s := pair(t, sockopt.ListenConfig(), sockopt.Dialer())
	cr, sr := negotiated(t, c), negotiated(t, s)
	t.Logf("client: %v", cr)
	t.Logf("server: %v", sr)
	for name, r := range map[string]handshake.Result{"client": cr, "server": sr} {
		if r.State != sockopt.StateEstablished || !r.WindowScale || !r.SACK || !r.Timestamps {
			t.Errorf("%s: %v; want ESTABLISHED with wscale, sack and timestamps", name, r)
		}
		if r.SynData || r.FastOpenChild || r.FastOpenFail != handshake.FastOpenFailUnspec {
			t.Errorf("%s: Fast Open reported without being asked for: %v", name, r)
		}
		if r.RTT <= 0 || r.AdvMSS <= 536 || r.SndMSS == 0 || r.SndMSS > r.AdvMSS {
			t.Errorf("%s: %v", name, r)
		}
	}
	if cr.SndWscale != sr.RcvWscale || cr.RcvWscale != sr.SndWscale {
		t.Errorf("window scales do not mirror: client snd/rcv %d/%d, server %d/%d",
			cr.SndWscale, cr.RcvWscale, sr.SndWscale, sr.RcvWscale)
	}
	// Each end sends no more than the other advertised (both already less
	// the 12 bytes of the timestamp option).
	if cr.SndMSS > sr.AdvMSS || sr.SndMSS > cr.AdvMSS {
		t.Errorf("client snd_mss %d vs server adv %d, server snd_mss %d vs client adv %d",
			cr.SndMSS, sr.AdvMSS, sr.SndMSS, cr.AdvMSS)
	}
}

// TCP_MAXSEG on one end caps what its SYN advertises, and so what the
// other end sends; without it loopback's MSS is far larger. With
// timestamps on, a SYN that advertises 536 leaves 524 bytes of payload.
func TestMaxSegShapesSYN(t *testing.T) {
	tests := []struct {
		name       string
		lc         *net.ListenConfig
		d          *net.Dialer
		clientAdv  func(uint32) bool // client's AdvMSS
		serverSend func(uint32) bool // server's SndMSS
		serverAdv  func(uint32) bool
		clientSend func(uint32) bool
	}{
		{"none", sockopt.ListenConfig(), sockopt.Dialer(), above(536), above(536), above(1000), above(1000)},
		{"client 536", sockopt.ListenConfig(), sockopt.Dialer(handshake.MaxSeg(536)), eq(524), eq(524), above(1000), atMost(524)},
		{"server 1000", sockopt.ListenConfig(handshake.MaxSeg(1000)), sockopt.Dialer(), above(1000), atMost(988), eq(988), eq(988)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := pair(t, tt.lc, tt.d)
			cr, sr := negotiated(t, c), negotiated(t, s)
			t.Logf("client %v / server %v", cr, sr)
			if !tt.clientAdv(cr.AdvMSS) || !tt.serverSend(sr.SndMSS) || !tt.serverAdv(sr.AdvMSS) || !tt.clientSend(cr.SndMSS) {
				t.Errorf("client adv %d snd %d, server adv %d snd %d", cr.AdvMSS, cr.SndMSS, sr.AdvMSS, sr.SndMSS)
			}
		})
	}
}

func atMost(n uint32) func(uint32) bool { return func(v uint32) bool { return v > 0 && v <= n } }
func above(n uint32) func(uint32) bool  { return func(v uint32) bool { return v > n } }
func eq(n uint32) func(uint32) bool     { return func(v uint32) bool { return v == n } }

// A small receive buffer or a window clamp set before connect(2) makes the
// client offer window scale 0; the option is still negotiated.
func TestSYNWindowScaleZero(t *testing.T) {
	tests := []struct {
		name string
		ctl  sockopt.Control
	}{
		{"SO_RCVBUF 2048", sockopt.RecvBuffer(2048)},
		{"TCP_WINDOW_CLAMP 4096", handshake.WindowClamp(4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := pair(t, sockopt.ListenConfig(), sockopt.Dialer(tt.ctl))
			cr, sr := negotiated(t, c), negotiated(t, s)
			if !cr.WindowScale || !sr.WindowScale {
				t.Fatalf("window scaling not negotiated: %v / %v", cr, sr)
			}
			if cr.RcvWscale != 0 || sr.SndWscale != 0 {
				t.Errorf("client rcv_wscale %d, server snd_wscale %d; want 0, 0", cr.RcvWscale, sr.SndWscale)
			}
			if sr.RcvWscale == 0 || cr.SndWscale != sr.RcvWscale {
				t.Errorf("server's own scale %d, client sees %d; want equal and non-zero", sr.RcvWscale, cr.SndWscale)
			}
		})
	}
	c, s := pair(t, sockopt.ListenConfig(), sockopt.Dialer(handshake.WindowClamp(4096)))
	if n, err := handshake.GetWindowClamp(c); err != nil || n != 4096 {
		t.Errorf("GetWindowClamp = %d, %v; want 4096", n, err)
	}
	ci, si := negotiated(t, c).Info, negotiated(t, s).Info
	if !ci.Has(sockopt.FieldRcvWnd) {
		t.Skip("skipping window check, kernel has no tcpi_rcv_wnd")
	}
	if ci.RcvWnd == 0 || ci.RcvWnd > 4096 || si.SndWnd == 0 || si.SndWnd > 4096 {
		t.Errorf("clamped client advertises %d, server sees window %d; want (0, 4096]", ci.RcvWnd, si.SndWnd)
	}
}

// With the listener's accept queue full, SYNs are dropped; TCP_SYNCNT=1
// makes connect(2) give up after the SYN and one retransmission, 1 s + 2 s,
// instead of the default 127 s.
func TestSynCountGivesUp(t *testing.T) {
	lfd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	defer sockopt.Close(lfd)
	if err := sockopt.Bind(lfd, netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	if err := sockopt.Listen(lfd, 0); err != nil { // room for one connection
		t.Fatal(err)
	}
	laddr, err := sockopt.LocalAddr(lfd)
	if err != nil {
		t.Fatal(err)
	}
	first, err := sockopt.Dialer().Dial("tcp4", laddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		info, err := sockopt.GetTCPInfo(sockopt.FD(lfd))
		if err != nil {
			t.Fatal(err)
		}
		if info.Unacked == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("accept queue holds %d, want 1", info.Unacked)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	c, err := sockopt.Dialer(handshake.SynCount(1)).DialContext(ctx, "tcp4", laddr.String())
	elapsed := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatal("connected to a listener with a full accept queue")
	}
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("dial: %v after %v; want ETIMEDOUT", err, elapsed)
	}
	if elapsed < 2500*time.Millisecond || elapsed > 6*time.Second {
		t.Errorf("gave up after %v; want about 3 s (SYN, retransmission at 1 s, timeout at 3 s)", elapsed)
	}
	t.Logf("gave up after %v", elapsed)
}

// The knobs read back through their getters on a raw socket.
func TestKnobsReadBack(t *testing.T) {
	fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	defer sockopt.Close(fd)
	c := sockopt.FD(fd)
	for _, k := range []struct {
		name string
		set  func(syscall.Conn, int) error
		get  func(syscall.Conn) (int, error)
		v    int
	}{
		{"TCP_MAXSEG", handshake.SetMaxSeg, handshake.GetMaxSeg, 1200},
		{"TCP_SYNCNT", handshake.SetSynCount, handshake.GetSynCount, 3},
		{"TCP_WINDOW_CLAMP", handshake.SetWindowClamp, handshake.GetWindowClamp, 20000},
	} {
		if err := k.set(c, k.v); err != nil {
			t.Fatal(err)
		}
		if got, err := k.get(c); err != nil || got != k.v {
			t.Errorf("%s: Get = %d, %v; want %d", k.name, got, err, k.v)
		}
	}
}
