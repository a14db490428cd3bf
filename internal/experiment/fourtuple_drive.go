package experiment

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/timewait"
	"golang.org/x/sys/unix"
)

// ftTuple is a connection's 4-tuple as the client sees it: client address
// and port → server address and port.
type ftTuple struct{ Client, Server netip.AddrPort }

func (t ftTuple) String() string { return t.Client.String() + " → " + t.Server.String() }

// ftConnObs is what the run saw of one connection.
type ftConnObs struct {
	ftConn
	sockname, peername netip.AddrPort // client's getsockname(2), getpeername(2)
	srvFound           bool
	srvLocal, srvPeer  netip.AddrPort // the accepted socket's getsockname(2), getpeername(2)
	srvLabel           string         // the label the accepted socket read
	reply              string         // the line the client's socket read back
	wireFound          bool
	wire               ftTuple // from the SYN on the wire
	synIndex           int
}

// kernel is the 4-tuple the client's kernel reports.
func (c *ftConnObs) kernel() ftTuple { return ftTuple{c.sockname, c.peername} }

// server is the 4-tuple the server's kernel reports, turned to the client's
// point of view.
func (c *ftConnObs) server() ftTuple { return ftTuple{c.srvPeer, c.srvLocal} }

// ftObserved is everything the run saw.
type ftObserved struct {
	conns                      []*ftConnObs
	censusClient, censusServer []timewait.Socket // ESTABLISHED sockets, all conns open
	dupBindErrno               syscall.Errno     // bind(2) to the base's address, no SO_REUSEADDR
	dupBindReuseOK             bool              // the same bind with SO_REUSEADDR succeeded
	dupConnectErrno            syscall.Errno     // then connect(2) to the base's server
	dupReconnectErrno          syscall.Errno     // connect(2) again on the base's own socket
	baseSYNs                   int               // distinct SYNs on the wire for the base's tuple
	dupTuple                   ftTuple
	clientPortSockets          int // census: client sockets sharing the base's client port
	serverPortSockets          int // census: server sockets sharing the base's server port
}

// ftAccepted is one connection the server accepted.
type ftAccepted struct {
	fd          int
	local, peer netip.AddrPort
	label       string
}

// drive opens every connection of conns and keeps them open together while
// both kernels are asked about them, then tries the duplicate.
func (x *FourTuple) drive(ctx context.Context, b *Bench, p Plan, conns []ftConn) (*ftObserved, error) {
	timeout := 5*time.Second + 10*p.RTT
	obs := &ftObserved{}
	for _, c := range conns {
		obs.conns = append(obs.conns, &ftConnObs{ftConn: c})
	}

	// The server: one listener per port, on every address.
	var (
		mu       sync.Mutex
		accepted []ftAccepted
		stopping atomic.Bool
		wg       sync.WaitGroup
	)
	var lfds []int
	defer func() {
		stopping.Store(true)
		for _, fd := range lfds {
			unix.Shutdown(fd, unix.SHUT_RD) // wakes accept(2)
		}
		wg.Wait()
		for _, fd := range lfds {
			unix.Close(fd)
		}
		mu.Lock()
		for _, a := range accepted {
			unix.Close(a.fd)
		}
		mu.Unlock()
	}()
	for _, port := range []uint16{x.ServerPort, x.ServerPort + 1} {
		var fd int
		err := b.Server.Do(func() error {
			var err error
			fd, err = closeListen(p, netip.AddrPortFrom(netip.IPv4Unspecified(), port), timeout, 0)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("server listen on port %d: %w", port, err)
		}
		lfds = append(lfds, fd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopping.Load() {
				a, err := ftServeOne(fd, timeout)
				if err != nil {
					continue // a timeout, or the shutdown that ends the loop
				}
				mu.Lock()
				accepted = append(accepted, a)
				mu.Unlock()
			}
		}()
	}

	// The client: every connection open at once, then the duplicate.
	var cfds []int
	defer func() {
		for _, fd := range cfds {
			unix.Close(fd)
		}
	}()
	err := b.Client.Do(func() error {
		for _, c := range obs.conns {
			if err := ctx.Err(); err != nil {
				return err
			}
			fd, err := ftDial(p, c, timeout)
			if fd >= 0 {
				cfds = append(cfds, fd)
			}
			if err != nil {
				return fmt.Errorf("%s (%v): %w", c.label, c.want, err)
			}
		}
		var err error
		if obs.censusClient, err = timewait.Sockets(timewait.StateEstablished); err != nil {
			return err
		}
		x.duplicate(p, obs, cfds[0], timeout)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = b.Server.Do(func() error {
		var err error
		obs.censusServer, err = timewait.Sockets(timewait.StateEstablished)
		return err
	})
	if err != nil {
		return nil, err
	}
	mu.Lock()
	for _, a := range accepted {
		for _, c := range obs.conns {
			if (ftTuple{a.peer, a.local}) == c.kernel() {
				c.srvFound, c.srvLocal, c.srvPeer, c.srvLabel = true, a.local, a.peer, a.label
			}
		}
	}
	mu.Unlock()
	base := obs.conns[0].want
	for _, s := range obs.censusClient {
		if s.Local == base.Client {
			obs.clientPortSockets++
		}
	}
	for _, s := range obs.censusServer {
		if s.Local == base.Server {
			obs.serverPortSockets++
		}
	}
	return obs, nil
}

// ftDial opens c from a raw socket with SO_REUSEADDR bound to c's client
// address and port, sends c's label, and reads the server's answer.
func ftDial(p Plan, c *ftConnObs, timeout time.Duration) (int, error) {
	fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		return -1, err
	}
	if err := controlRawFD(fd, c.want.Server, pinned(p)); err != nil {
		return fd, err
	}
	if err := setRawTimeouts(fd, timeout); err != nil {
		return fd, err
	}
	if err := sockopt.SetReuseAddr(sockopt.FD(fd), true); err != nil {
		return fd, err
	}
	if err := sockopt.Bind(fd, c.want.Client); err != nil {
		return fd, err
	}
	if err := sockopt.Connect(fd, c.want.Server); err != nil {
		return fd, err
	}
	if c.sockname, err = sockopt.LocalAddr(fd); err != nil {
		return fd, err
	}
	if c.peername, err = sockopt.PeerAddr(fd); err != nil {
		return fd, err
	}
	if _, err := closeWriteAll(fd, []byte(c.label+"\n")); err != nil {
		return fd, err
	}
	c.reply, err = ftReadLine(fd)
	return fd, err
}

// duplicate tries the base connection's 4-tuple a second time while the base
// is open, three ways: bind(2) without SO_REUSEADDR; bind(2) with it and
// then connect(2); connect(2) again on the base's own socket.
func (x *FourTuple) duplicate(p Plan, obs *ftObserved, baseFD int, timeout time.Duration) {
	base := obs.conns[0].want
	obs.dupTuple = base
	errnoOf := func(err error) syscall.Errno {
		var e syscall.Errno
		if errors.As(err, &e) {
			return e
		}
		return 0
	}
	if fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM); err == nil {
		obs.dupBindErrno = errnoOf(sockopt.Bind(fd, base.Client))
		unix.Close(fd)
	}
	if fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM); err == nil {
		if sockopt.SetReuseAddr(sockopt.FD(fd), true) == nil && setRawTimeouts(fd, timeout) == nil &&
			controlRawFD(fd, base.Server, pinned(p)) == nil {
			if err := sockopt.Bind(fd, base.Client); err == nil {
				obs.dupBindReuseOK = true
				obs.dupConnectErrno = errnoOf(sockopt.Connect(fd, base.Server))
			}
		}
		unix.Close(fd)
	}
	obs.dupReconnectErrno = errnoOf(sockopt.Connect(baseFD, base.Server))
}

// ftServeOne accepts one connection on lfd, reads its label line and
// answers with the label and the 4-tuple the server's kernel gives it.
func ftServeOne(lfd int, timeout time.Duration) (ftAccepted, error) {
	fd, peer, err := sockopt.Accept(lfd)
	if err != nil {
		return ftAccepted{}, err
	}
	a := ftAccepted{fd: fd, peer: peer}
	fail := func(err error) (ftAccepted, error) { unix.Close(fd); return ftAccepted{}, err }
	if err := setRawTimeouts(fd, timeout); err != nil {
		return fail(err)
	}
	if a.local, err = sockopt.LocalAddr(fd); err != nil {
		return fail(err)
	}
	if a.label, err = ftReadLine(fd); err != nil {
		return fail(err)
	}
	if _, err := closeWriteAll(fd, []byte(ftReply(a.label, a.peer, a.local)+"\n")); err != nil {
		return fail(err)
	}
	return a, nil
}

// ftReply is the server's answer: the label it read and the connection's
// 4-tuple from its own side, peer first.
func ftReply(label string, peer, local netip.AddrPort) string {
	return label + " " + peer.String() + " " + local.String()
}

// ftReadLine reads up to and without a newline, byte by byte.
func ftReadLine(fd int) (string, error) {
	var sb strings.Builder
	b := make([]byte, 1)
	for sb.Len() < 256 {
		n, err := closeReadFD(fd, b)
		if err != nil {
			return sb.String(), os.NewSyscallError("read", err)
		}
		if n == 0 {
			return sb.String(), fmt.Errorf("EOF after %q", sb.String())
		}
		if b[0] == '\n' {
			return sb.String(), nil
		}
		sb.WriteByte(b[0])
	}
	return sb.String(), fmt.Errorf("line longer than 256 bytes")
}
