package capture

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/labtest"
)

// tcpFlags decodes pkts as Ethernet/IPv4/TCP and returns each TCP
// segment's flags as a short string ("S", "SA", "A", "PA", "FA").
func tcpFlags(t *testing.T, pkts []Packet) []string {
	t.Helper()
	var out []string
	for _, p := range pkts {
		pk := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
		tl, ok := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		s := ""
		for _, f := range []struct {
			on bool
			c  string
		}{{tl.SYN, "S"}, {tl.PSH, "P"}, {tl.FIN, "F"}, {tl.RST, "R"}, {tl.ACK, "A"}} {
			if f.on {
				s += f.c
			}
		}
		out = append(out, s)
	}
	return out
}

func TestOpenSeesHandshakeOnLoopback(t *testing.T) {
	labtest.RequirePriv(t)
	var (
		pkts  []Packet
		stats Stats
	)
	labtest.InFreshNetns(t, func() (err error) {
		pkts, stats, err = captureDuring("lo", 20*time.Millisecond, func() error { // 20 ms: the last ACK
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				return err
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				s, aerr := ln.Accept()
				ln.Close()
				if aerr != nil {
					return
				}
				io.Copy(io.Discard, s)
				s.Close()
			}()
			conn, err := net.Dial("tcp4", ln.Addr().String())
			if err != nil {
				ln.Close()
				return err
			}
			conn.Write([]byte("hello"))
			conn.Close()
			select {
			case <-done: // the server has read EOF and closed: both FINs are out
			case <-time.After(5 * time.Second):
			}
			return nil
		})
		return err
	})
	flags := tcpFlags(t, pkts)
	t.Logf("flags %v, stats %+v", flags, stats)
	if len(flags) < 3 || flags[0] != "S" || flags[1] != "SA" || flags[2] != "A" {
		t.Fatalf("segments %v do not start with the handshake S, SA, A", flags)
	}
	count := map[string]int{}
	fins := 0
	for _, f := range flags {
		count[f]++
		if f == "FA" || f == "FPA" {
			fins++
		}
	}
	// Loopback hands the socket every frame twice; each must appear once.
	if count["S"] != 1 || count["SA"] != 1 || count["PA"] != 1 || fins != 2 {
		t.Errorf("segments %v: want one SYN, one SYN/ACK, one data segment and two FINs", flags)
	}
	if stats.Packets != len(pkts) || stats.KernelDrops != 0 {
		t.Errorf("stats %+v, want Packets %d and no drops", stats, len(pkts))
	}
	for i, p := range pkts {
		if p.LinkType != layers.LinkTypeEthernet {
			t.Errorf("packet %d: link type %v, want Ethernet on lo", i, p.LinkType)
		}
		if i > 0 && p.Time.Before(pkts[i-1].Time) {
			t.Errorf("packet %d at %v is before packet %d at %v", i, p.Time, i-1, pkts[i-1].Time)
		}
		if d := time.Since(p.Time); d < 0 || d > time.Minute {
			t.Errorf("packet %d: timestamp %v is not a recent kernel time", i, p.Time)
		}
	}
}

func TestStopIsPromptOnQuietLink(t *testing.T) {
	labtest.RequirePriv(t)
	var (
		took time.Duration
		n    int
		err  error
	)
	inFreshNetns(t, func() {
		c, oerr := Open("lo", Options{})
		if oerr != nil {
			err = oerr
			return
		}
		if c.link != layers.LinkTypeEthernet {
			t.Errorf("lo detected as %v, want Ethernet", c.link)
		}
		if c.sock.rcvbuf < rcvBuf {
			t.Errorf("SO_RCVBUF read back %d, want at least %d", c.sock.rcvbuf, rcvBuf)
		}
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		var pkts []Packet
		pkts, _, err = c.Stop()
		took = time.Since(start)
		n = len(pkts)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop took %v on a quiet lo, %d packets", took, n)
	if took > time.Second {
		t.Errorf("Stop took %v on a quiet link, want < 1 s", took)
	}
	if n != 0 {
		t.Errorf("quiet lo in a fresh namespace gave %d packets, want 0", n)
	}
}

// openTun creates a TUN device (IFF_TUN|IFF_NO_PI) named name with address
// addr/24 and brings it up, all in the calling thread's namespace.
func openTun(name string, addr [4]byte) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("open /dev/net/tun", err)
	}
	f := os.NewFile(uintptr(fd), "/dev/net/tun")
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		f.Close()
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		f.Close()
		return nil, os.NewSyscallError("ioctl TUNSETIFF", err)
	}
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		f.Close()
		return nil, os.NewSyscallError("socket", err)
	}
	defer unix.Close(s)
	for _, req := range []struct {
		op   uint
		name string
		ip   [4]byte
	}{{unix.SIOCSIFADDR, "SIOCSIFADDR", addr}, {unix.SIOCSIFNETMASK, "SIOCSIFNETMASK", [4]byte{255, 255, 255, 0}}} {
		r, _ := unix.NewIfreq(name)
		if err := r.SetInet4Addr(req.ip[:]); err != nil {
			f.Close()
			return nil, err
		}
		if err := unix.IoctlIfreq(s, req.op, r); err != nil {
			f.Close()
			return nil, os.NewSyscallError("ioctl "+req.name, err)
		}
	}
	if err := labtest.LinkUp(name); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func TestOpenDetectsRawIPOnTun(t *testing.T) {
	labtest.RequirePriv(t)
	pkts := captureOnTun(t, "cap0", [4]byte{10, 99, 0, 1}, func() error {
		u, err := net.Dial("udp4", "10.99.0.2:9")
		if err != nil {
			return err
		}
		u.Write([]byte("over the tun"))
		return u.Close()
	})
	var udp int
	for i, p := range pkts {
		if p.LinkType != layers.LinkTypeRaw {
			t.Errorf("packet %d: link type %v, want Raw on TUN", i, p.LinkType)
		}
		pk := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
		if u, ok := pk.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && string(u.Payload) == "over the tun" {
			udp++
		}
	}
	if udp != 1 {
		t.Errorf("saw the UDP datagram %d times on the TUN (of %d packets), want 1", udp, len(pkts))
	}
}

// captureOnTun makes TUN device name with address addr in a fresh
// namespace, captures on it while drive runs and 20 ms after, and returns
// the packets; an error of drive or of the capture fails t.
func captureOnTun(t *testing.T, name string, addr [4]byte, drive func() error) []Packet {
	t.Helper()
	var pkts []Packet
	labtest.InFreshNetns(t, func() error {
		tun, err := openTun(name, addr)
		if err != nil {
			return err
		}
		defer tun.Close()
		pkts, _, err = captureDuring(name, 20*time.Millisecond, drive)
		return err
	})
	return pkts
}

// captureDuring captures on ifname in the calling thread's namespace while
// drive runs and settle after, and returns what Stop returns; the capture
// is stopped whatever drive returns, and the errors are joined.
func captureDuring(ifname string, settle time.Duration, drive func() error) ([]Packet, Stats, error) {
	c, err := Open(ifname, Options{})
	if err != nil {
		return nil, Stats{}, err
	}
	derr := drive()
	time.Sleep(settle)
	pkts, st, err := c.Stop()
	return pkts, st, errors.Join(derr, err)
}

func TestOpenLinkTypeOverride(t *testing.T) {
	labtest.RequirePriv(t)
	var (
		c   *Capture
		err error
	)
	inFreshNetns(t, func() { c, err = Open("lo", Options{LinkType: layers.LinkTypeLinuxSLL}) })
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if c.link != layers.LinkTypeLinuxSLL {
		t.Errorf("link type %v, want the override", c.link)
	}
}

func TestLinkTypeOf(t *testing.T) {
	for _, tc := range []struct {
		hatype uint16
		want   layers.LinkType
		ok     bool
	}{
		{unix.ARPHRD_ETHER, layers.LinkTypeEthernet, true},
		{unix.ARPHRD_LOOPBACK, layers.LinkTypeEthernet, true},
		{unix.ARPHRD_NONE, layers.LinkTypeRaw, true},
		{unix.ARPHRD_RAWIP, layers.LinkTypeRaw, true},
		{unix.ARPHRD_IEEE80211, 0, false},
	} {
		got, err := linkTypeOf(tc.hatype)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("linkTypeOf(%d) = %v, %v; want %v, ok %v", tc.hatype, got, err, tc.want, tc.ok)
		}
	}
}

func TestOpenUnknownInterface(t *testing.T) {
	labtest.RequirePriv(t)
	var err error
	inFreshNetns(t, func() { _, err = Open("nosuch0", Options{}) })
	t.Log(err)
	if err == nil {
		t.Fatal("Open of a missing interface succeeded")
	}
}

func TestStopTakesWhatIsQueued(t *testing.T) {
	labtest.RequirePriv(t)
	const n = 2000
	var pkts []Packet
	labtest.InFreshNetns(t, func() error {
		sink, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer sink.Close()
		var st Stats
		// No pause before Stop: the frames are still queued.
		pkts, st, err = captureDuring("lo", 0, func() error {
			u, err := net.Dial("udp4", sink.LocalAddr().String())
			if err != nil {
				return err
			}
			defer u.Close()
			for i := range n {
				if _, err := u.Write([]byte{byte(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		t.Logf("stats %+v", st)
		return err
	})
	got := 0
	for _, p := range pkts {
		pk := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
		if _, ok := pk.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			got++
		}
	}
	if got != n {
		t.Errorf("Stop right after sending returned %d of %d datagrams", got, n)
	}
}

// setUp turns IFF_UP on or off on ifname.
func setUp(ifname string, up bool) error {
	if up {
		return labtest.LinkUp(ifname)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, _ := unix.NewIfreq(ifname)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() &^ unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

func TestCaptureSurvivesLinkDownUp(t *testing.T) {
	labtest.RequirePriv(t)
	send := func(msg string) error {
		u, err := net.Dial("udp4", "10.98.0.2:9")
		if err != nil {
			return err
		}
		defer u.Close()
		_, err = u.Write([]byte(msg))
		return err
	}
	pkts := captureOnTun(t, "cap1", [4]byte{10, 98, 0, 1}, func() error {
		if err := errors.Join(send("before"), setUp("cap1", false)); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
		if err := setUp("cap1", true); err != nil {
			return err
		}
		// addresses and routes of a downed device are kept for IPv4
		return send("after")
	})
	var seen []string
	for _, p := range pkts {
		pk := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
		if u, ok := pk.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			seen = append(seen, string(u.Payload))
		}
	}
	if len(seen) != 2 || seen[0] != "before" || seen[1] != "after" {
		t.Errorf("datagrams %q across a down/up, want [before after]", seen)
	}
}
