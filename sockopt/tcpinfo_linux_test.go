package sockopt_test

import (
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/sockopt"
)

// The decoder's offsets agree with golang.org/x/sys/unix.TCPInfo (generated
// from the kernel headers) for every field that struct keeps.
func TestTCPInfoLayoutMatchesXSys(t *testing.T) {
	xs := reflect.TypeOf(unix.TCPInfo{})
	byName := map[string]reflect.StructField{}
	for i := range xs.NumField() {
		byName[strings.ToLower(xs.Field(i).Name)] = xs.Field(i)
	}
	checked := 0
	for f := range sockopt.TCPInfoField(sockopt.NumTCPInfoFields) {
		off, size := sockopt.FieldSpan(f)
		sf, ok := byName[strings.TrimPrefix(f.String(), "tcpi_")]
		if !ok {
			continue // the bit-fields x/sys drops, and fields newer than it
		}
		if int(sf.Offset) != off || int(sf.Type.Size()) != size {
			t.Errorf("%v: decoder %d+%d, x/sys %d+%d", f, off, size, sf.Offset, sf.Type.Size())
		}
		checked++
	}
	if checked < 60 {
		t.Errorf("only %d fields matched by name; the comparison is not testing much", checked)
	}
	if got := int(unsafe.Sizeof(unix.TCPInfo{})); got > sockopt.TCPInfoMaxLen {
		t.Logf("x/sys knows a %d-byte struct, the decoder %d", got, sockopt.TCPInfoMaxLen)
	}
}

// On a live connection the hand decoder and x/sys agree on the fields both
// have, and it adds the nibbles x/sys cannot see.
func TestGetTCPInfoLoopback(t *testing.T) {
	c, s := pair(t, sockopt.ListenConfig(), sockopt.Dialer())
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	info, err := sockopt.GetTCPInfo(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel answered %d bytes of TCP_INFO", info.Len)
	var x *unix.TCPInfo
	var xerr error
	if err := rawConnOf(t, c).Control(func(fd uintptr) {
		x, xerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || xerr != nil {
		t.Fatal(err, xerr)
	}
	if info.Len < sockopt.TCPInfoMinLen || !info.Has(sockopt.FieldTotalRetrans) {
		t.Fatalf("Len = %d", info.Len)
	}
	if info.State != sockopt.StateEstablished {
		t.Errorf("State = %v", info.State)
	}
	want := sockopt.TCPI_OPT_TIMESTAMPS | sockopt.TCPI_OPT_SACK | sockopt.TCPI_OPT_WSCALE
	if !info.Options.Has(want) {
		t.Errorf("Options = %v, want %v on loopback", info.Options, want)
	}
	for _, f := range []struct {
		name      string
		mine, xsy uint64
	}{
		{"state", uint64(info.State), uint64(x.State)},
		{"options", uint64(info.Options), uint64(x.Options)},
		{"snd_mss", uint64(info.SndMSS), uint64(x.Snd_mss)},
		{"rcv_mss", uint64(info.RcvMSS), uint64(x.Rcv_mss)},
		{"advmss", uint64(info.AdvMSS), uint64(x.Advmss)},
		{"pmtu", uint64(info.PMTU), uint64(x.Pmtu)},
		{"snd_cwnd", uint64(info.SndCwnd), uint64(x.Snd_cwnd)},
		{"rto", uint64(info.RTO / time.Microsecond), uint64(x.Rto)},
		{"bytes_acked", info.BytesAcked, x.Bytes_acked},
		{"bytes_sent", info.BytesSent, x.Bytes_sent},
		{"data_segs_out", uint64(info.DataSegsOut), uint64(x.Data_segs_out)},
	} {
		if f.mine != f.xsy {
			t.Errorf("%s: decoder %d, x/sys %d", f.name, f.mine, f.xsy)
		}
	}
	if info.BytesAcked != 5 { // 4 bytes of data + the SYN
		t.Errorf("BytesAcked = %d, want 5", info.BytesAcked)
	}
	if info.RTT <= 0 || info.MinRTT <= 0 || info.MinRTT > time.Second {
		t.Errorf("RTT = %v, MinRTT = %v", info.RTT, info.MinRTT)
	}
}

// Pins the nibble order of byte 6 against the kernel: a client with a small
// SO_RCVBUF offers window scale 0 in its SYN, so its rcv_wscale is 0 and the
// server's snd_wscale is 0, while the server's own scale shows up in the
// client's snd_wscale. Checked with ss(8) on kernel 6.18: wscale:10,0.
func TestTCPInfoWscaleNibbles(t *testing.T) {
	c, s := pair(t, sockopt.ListenConfig(), sockopt.Dialer(sockopt.RecvBuffer(2048)))
	ci, err := sockopt.GetTCPInfo(c)
	if err != nil {
		t.Fatal(err)
	}
	si, err := sockopt.GetTCPInfo(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("client snd/rcv wscale %d/%d, server %d/%d", ci.SndWscale, ci.RcvWscale, si.SndWscale, si.RcvWscale)
	if !ci.Options.Has(sockopt.TCPI_OPT_WSCALE) || !si.Options.Has(sockopt.TCPI_OPT_WSCALE) {
		t.Fatalf("window scaling not negotiated: client %v, server %v", ci.Options, si.Options)
	}
	if si.RcvWscale == 0 {
		t.Fatal("server's scale is 0 too: the test cannot tell the nibbles apart")
	}
	if ci.RcvWscale != 0 || si.SndWscale != 0 {
		t.Errorf("small SO_RCVBUF side: client rcv_wscale %d, server snd_wscale %d; want 0, 0", ci.RcvWscale, si.SndWscale)
	}
	if ci.SndWscale != si.RcvWscale {
		t.Errorf("client snd_wscale %d != server rcv_wscale %d", ci.SndWscale, si.RcvWscale)
	}
	raw, err := sockopt.GetTCPInfoRaw(c)
	if err != nil {
		t.Fatal(err)
	}
	if littleEndian && raw[6] != ci.SndWscale {
		t.Errorf("client byte 6 = %#02x; want snd_wscale %d in the low nibble and 0 above", raw[6], ci.SndWscale)
	}
}

// On a listener tcpi_unacked is the accept queue and tcpi_sacked its limit.
func TestTCPInfoListenerQueue(t *testing.T) {
	ln, err := sockopt.ListenConfig().Listen(t.Context(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for range 2 {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	var info *sockopt.TCPInfo
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if info, err = sockopt.GetTCPInfo(ln.(*net.TCPListener)); err != nil {
			t.Fatal(err)
		}
		if info.Unacked == 2 {
			break
		}
	}
	if info.State != sockopt.StateListen || info.Unacked != 2 || info.Sacked == 0 {
		t.Errorf("listener: state %v, accept queue %d, limit %d; want LISTEN, 2, >0", info.State, info.Unacked, info.Sacked)
	}
}
