//go:build regen && linux

// This file regenerates the golden captures in testdata/ from real TCP
// traffic between two network namespaces. Run as root:
//
//	go test -tags regen -run TestRegenerateGolden ./internal/analyze/
//
// Topology 1 (handshake_http, reset, tfo): a veth pair with gso_max_segs 1
// on both ends, so frames are real 1514-byte segments; captured on the
// client's end, Ethernet link type.
//
// Topology 2 (flights_*): two TUN devices joined by a relay that holds each
// packet 10 ms (RTT 20 ms), captured on both TUNs (raw IP link type). The
// client clamps its MSS to 100 (TCP_MAXSEG) so four slow-start rounds fit in
// a small file; the server sends with reno (BBR is this kernel's default).
package analyze

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/tcplab/tcplab/internal/capture"
)

// ns is a network namespace held by fd.
type ns struct{ h netns.NsHandle }

// newNS creates an anonymous namespace with lo up and IPv6 off (no ND or
// MLD noise in the captures).
func newNS(t *testing.T) ns {
	t.Helper()
	var n ns
	err := inThread(func() error {
		h, err := netns.New()
		if err != nil {
			return err
		}
		n.h = h
		if err := sysctl("net/ipv6/conf/all/disable_ipv6", "1"); err != nil {
			return err
		}
		if err := sysctl("net/ipv6/conf/default/disable_ipv6", "1"); err != nil {
			return err
		}
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return err
		}
		return netlink.LinkSetUp(lo)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.h.Close() })
	return n
}

// inThread runs f on a fresh locked thread that is thrown away afterwards,
// so namespace changes never leak.
func inThread(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- f()
	}()
	return <-errc
}

// do runs f inside n.
func (n ns) do(f func() error) error {
	return inThread(func() error {
		if err := netns.Set(n.h); err != nil {
			return err
		}
		return f()
	})
}

func sysctl(name, value string) error {
	return os.WriteFile("/proc/sys/"+name, []byte(value), 0o644)
}

// vethPair joins c and s with c0 (10.77.0.1/24) and s0 (10.77.0.2/24).
func vethPair(t *testing.T, c, s ns) {
	t.Helper()
	err := c.do(func() error {
		la := netlink.NewLinkAttrs()
		la.Name = "c0"
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "s0"}); err != nil {
			return err
		}
		peer, err := netlink.LinkByName("s0")
		if err != nil {
			return err
		}
		if err := netlink.LinkSetNsFd(peer, int(s.h)); err != nil {
			return err
		}
		return linkConf("c0", "10.77.0.1/24")
	})
	if err == nil {
		err = s.do(func() error { return linkConf("s0", "10.77.0.2/24") })
	}
	if err != nil {
		t.Fatal(err)
	}
}

func linkConf(name, cidr string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetGSOMaxSegs(l, 1); err != nil {
		return err
	}
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(l, addr); err != nil {
		return err
	}
	return netlink.LinkSetUp(l)
}

// capturing runs traffic while capturing on ifname inside n, then writes
// the capture to testdata/name.
func capturing(t *testing.T, n ns, ifname, name string, traffic func() error) {
	t.Helper()
	capturingNoted(t, n, ifname, name, traffic, nil)
}

// capturingNoted is capturing with note setting packet comments first.
func capturingNoted(t *testing.T, n ns, ifname, name string, traffic func() error, note func([]capture.Packet) error) {
	t.Helper()
	var c *capture.Capture
	if err := n.do(func() (err error) { c, err = capture.Open(ifname, capture.Options{}); return err }); err != nil {
		t.Fatal(err)
	}
	terr := traffic()
	time.Sleep(300 * time.Millisecond)
	pkts, st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if terr != nil {
		t.Fatalf("%s: %v", name, terr)
	}
	if note != nil {
		if err := note(pkts); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join("testdata", name)
	if err := capture.WritePcapng(path, pkts); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	t.Logf("%s: %d packets, %d kernel drops, %d bytes", path, st.Packets, st.KernelDrops, fi.Size())
}

// noteHandshake comments the three handshake packets the way an experiment
// does, so the golden file also carries pcapng comments.
func noteHandshake(pkts []capture.Packet) error {
	frames := make([]Frame, len(pkts))
	for i, p := range pkts {
		frames[i] = Frame{Time: p.Time, LinkType: p.LinkType, Data: p.Data}
	}
	segs, err := Decode(frames)
	if err != nil {
		return err
	}
	flows := Flows(segs)
	if len(flows) != 1 {
		return fmt.Errorf("%d flows", len(flows))
	}
	h, ok := flows[0].Handshake()
	if !ok || h.ACK == nil {
		return errors.New("no handshake")
	}
	pkts[h.SYN.Index].Comment = "SYN — client opens, t=0"
	pkts[h.SYNACK.Index].Comment = fmt.Sprintf("SYN/ACK — 1 RTT = %.3f ms", float64(h.RTT)/1e6)
	pkts[h.ACK.Index].Comment = "ACK — handshake complete"
	return nil
}

// serve accepts one connection on a listener created inside n and hands it
// to h; the returned function waits for h.
func serve(t *testing.T, n ns, addr string, lc net.ListenConfig, h func(*net.TCPConn) error) (wait func() error) {
	t.Helper()
	var ln net.Listener
	if err := n.do(func() (err error) {
		ln, err = lc.Listen(t.Context(), "tcp4", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		errc <- h(c.(*net.TCPConn))
	}()
	return func() error { return <-errc }
}

// dial connects from inside n.
func dial(n ns, d net.Dialer, addr string) (c net.Conn, err error) {
	err = n.do(func() error { c, err = d.Dial("tcp4", addr); return err })
	return c, err
}

const request = "GET / HTTP/1.1\r\nHost: lab\r\n\r\n"
const response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

// readRequest reads up to the blank line that ends the header.
func readRequest(r *bufio.Reader) error {
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if l == "\r\n" {
			return nil
		}
	}
}

// clientExchange sends the request, reads the whole response and closes
// first.
func clientExchange(c net.Conn) error {
	defer c.Close()
	if _, err := io.WriteString(c, request); err != nil {
		return err
	}
	buf := make([]byte, len(response))
	_, err := io.ReadFull(c, buf)
	return err
}

// serverExchange answers one request and closes after the client has.
func serverExchange(c *net.TCPConn) error {
	r := bufio.NewReader(c)
	if err := readRequest(r); err != nil {
		return err
	}
	if _, err := io.WriteString(c, response); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	return nil
}

func setInt(level, opt, v int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), level, opt, v) }); err != nil {
			return err
		}
		return serr
	}
}

func TestRegenerateGolden(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	c, s := newNS(t), newNS(t)
	vethPair(t, c, s)

	capturingNoted(t, c, "c0", "handshake_http.pcapng", func() error {
		wait := serve(t, s, "10.77.0.2:8080", net.ListenConfig{}, serverExchange)
		conn, err := dial(c, net.Dialer{}, "10.77.0.2:8080")
		if err != nil {
			return err
		}
		return errors.Join(clientExchange(conn), wait())
	}, noteHandshake)

	capturing(t, c, "c0", "reset.pcapng", func() error {
		wait := serve(t, s, "10.77.0.2:8081", net.ListenConfig{}, func(c *net.TCPConn) error {
			if err := readRequest(bufio.NewReader(c)); err != nil {
				return err
			}
			if _, err := io.WriteString(c, response); err != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond) // the response is ACKed
			return c.SetLinger(0)             // Close sends RST (SO_LINGER {1, 0})
		})
		conn, err := dial(c, net.Dialer{}, "10.77.0.2:8081")
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, request); err != nil {
			return err
		}
		_, rerr := io.ReadAll(conn)
		if !errors.Is(rerr, syscall.ECONNRESET) {
			return fmt.Errorf("client read after server reset: %v, want ECONNRESET", rerr)
		}
		return wait()
	})

	for _, n := range []ns{c, s} {
		if err := n.do(func() error { return sysctl("net/ipv4/tcp_fastopen", "3") }); err != nil {
			t.Fatal(err)
		}
	}
	capturing(t, c, "c0", "tfo.pcapng", func() error {
		for i := range 2 {
			lc := net.ListenConfig{Control: setInt(unix.IPPROTO_TCP, unix.TCP_FASTOPEN, 16)}
			wait := serve(t, s, "10.77.0.2:8082", lc, serverExchange)
			d := net.Dialer{Control: setInt(unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT, 1)}
			conn, err := dial(c, d, "10.77.0.2:8082")
			if err != nil {
				return fmt.Errorf("connection %d: %w", i+1, err)
			}
			if err := errors.Join(clientExchange(conn), wait()); err != nil {
				return fmt.Errorf("connection %d: %w", i+1, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	})

	// The relay runs on a shared machine: a run in which the host stalled
	// it (a round split by a late burst) is not slow start as the kernel
	// sent it, so try again.
	for try := 1; ; try++ {
		flights(t)
		ok := true
		for _, name := range []string{"flights_sender.pcapng", "flights_receiver.pcapng"} {
			_, fl := golden(t, name)
			h, _ := fl[0].Handshake()
			got := Flights(fl[0], false, h.RTT)
			t.Logf("%s: flights %v", name, got)
			ok = ok && fmt.Sprint(got) == "[10 20 40 80 78]"
		}
		if ok {
			break
		}
		if try == 10 {
			t.Fatal("no undisturbed slow-start capture in 10 tries")
		}
	}
}

// tun opens a TUN device (IFF_TUN|IFF_NO_PI) in the calling thread's
// namespace, addressed local with a /32 peer route to peer.
func tun(name, local, peer string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tun")
	l, err := netlink.LinkByName(name)
	if err == nil {
		var a *netlink.Addr
		if a, err = netlink.ParseAddr(local + "/32"); err == nil {
			a.Peer, _ = netlink.ParseIPNet(peer + "/32")
			if err = netlink.AddrAdd(l, a); err == nil {
				err = netlink.LinkSetUp(l)
			}
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// relay copies packets from src to dst, each held for delay, in order,
// until src is closed.
func relay(src, dst *os.File, delay time.Duration, wg *sync.WaitGroup) {
	type held struct {
		due time.Time
		b   []byte
	}
	q := make(chan held, 4096)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(q)
		for {
			b := make([]byte, 2048)
			n, err := src.Read(b)
			if err != nil {
				return
			}
			q <- held{time.Now().Add(delay), b[:n]}
		}
	}()
	go func() {
		defer wg.Done()
		for p := range q {
			time.Sleep(time.Until(p.due))
			dst.Write(p.b)
		}
	}()
}

func flights(t *testing.T) {
	c, s := newNS(t), newNS(t)
	var ct, st *os.File
	if err := c.do(func() (err error) { ct, err = tun("tun0", "10.78.0.1", "10.78.0.2"); return err }); err != nil {
		t.Fatal(err)
	}
	if err := s.do(func() (err error) { st, err = tun("tun0", "10.78.0.2", "10.78.0.1"); return err }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	relay(ct, st, 10*time.Millisecond, &wg)
	relay(st, ct, 10*time.Millisecond, &wg)
	defer func() { ct.Close(); st.Close(); wg.Wait() }()

	const size = 20000
	var sc *capture.Capture
	if err := s.do(func() (err error) { sc, err = capture.Open("tun0", capture.Options{}); return err }); err != nil {
		t.Fatal(err)
	}
	capturing(t, c, "tun0", "flights_receiver.pcapng", func() error {
		lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			rc.Control(func(fd uintptr) { serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, "reno") })
			return serr
		}}
		wait := serve(t, s, "10.78.0.2:8083", lc, func(c *net.TCPConn) error {
			r := bufio.NewReader(c)
			if err := readRequest(r); err != nil {
				return err
			}
			body := strings.Repeat("x", size)
			if _, err := io.WriteString(c, body); err != nil {
				return err
			}
			_, err := io.Copy(io.Discard, r)
			return err
		})
		d := net.Dialer{Control: setInt(unix.IPPROTO_TCP, unix.TCP_MAXSEG, 100)}
		conn, err := dial(c, d, "10.78.0.2:8083")
		if err != nil {
			return err
		}
		if _, err := io.WriteString(conn, request); err != nil {
			conn.Close()
			return err
		}
		buf := make([]byte, size)
		_, err = io.ReadFull(conn, buf)
		conn.Close()
		return errors.Join(err, wait())
	})
	pkts, stats, err := sc.Stop()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "flights_sender.pcapng")
	if err := capture.WritePcapng(path, pkts); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	t.Logf("%s: %d packets, %d kernel drops, %d bytes", path, stats.Packets, stats.KernelDrops, fi.Size())
}
