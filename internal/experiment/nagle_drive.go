package experiment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/tcplab/tcplab/sockopt"
)

// nagleMode is how the client (and, for quickack, the server) sets up the
// connection its exchanges run on.
type nagleMode string

const (
	nagleModeOn       nagleMode = "nagle"    // Nagle on: Go's TCP_NODELAY turned back off
	nagleModeNoDelay  nagleMode = "nodelay"  // TCP_NODELAY=1 (Go's default)
	nagleModeCork     nagleMode = "cork"     // Nagle on, TCP_CORK around header and body
	nagleModeQuickAck nagleMode = "quickack" // Nagle on, the server re-arms TCP_QUICKACK after each read and reply
)

// nagleModes is the order the modes run in.
var nagleModes = []nagleMode{nagleModeOn, nagleModeNoDelay, nagleModeCork, nagleModeQuickAck}

const naglePort = 8050

// nagleReply is the server's answer to each request: a small HTTP response.
var nagleReply = []byte("HTTP/1.1 204 No Content\r\n\r\n")

// nagleHeader is the request head the client writes first; the body of
// bodyBytes follows in a second write.
func nagleHeader(bodyBytes int) []byte {
	return []byte(fmt.Sprintf("POST /nagle HTTP/1.1\r\nHost: lab\r\nContent-Length: %d\r\n\r\n", bodyBytes))
}

// nagleRuns is what the driver did and what the two ends' kernels said.
type nagleRuns struct {
	headerLen, bodyLen, replyLen int
	conns                        []*nagleConn
	bursts                       []*nagleBurstConn
	pingpongThresh               int // the server's tcp_pingpong_thresh
	burstInitCwnd                int // initcwnd of the client's route during the bursts
}

// nagleConn is one connection carrying Exchanges write-write-read
// exchanges in one mode.
type nagleConn struct {
	mode      nagleMode
	local     netip.AddrPort
	goNoDelay bool // TCP_NODELAY as Go left the dialled connection
	noDelay   bool // TCP_NODELAY read back after the mode's set-up
	times     []nagleExchangeTime
	client    *sockopt.TCPInfo // the client's TCP_INFO after the last exchange
	infoAt    time.Time        // just before client was read
	server    *sockopt.TCPInfo // the server's TCP_INFO after its last reply
	serverAto []time.Duration  // the server's tcpi_ato after each request was read
}

// nagleExchangeTime is one exchange on the client's clock: before the header's
// write(2) and after the last reply byte was read.
type nagleExchangeTime struct{ start, end time.Time }

func (e nagleExchangeTime) dur() time.Duration { return e.end.Sub(e.start) }

// nagleBurstConn is one connection that carried Burst 1-byte writes.
type nagleBurstConn struct {
	nagle   bool
	local   netip.AddrPort
	noDelay bool             // TCP_NODELAY read back
	writing time.Duration    // how long the Burst write(2) calls took
	cwnd0   uint32           // tcpi_snd_cwnd before the first write
	client  *sockopt.TCPInfo // after the reply was read
	infoAt  time.Time        // just before client was read
}

// drive listens in the server namespace and runs one connection per mode,
// then the two bursts, one after the other.
func (n *Nagle) drive(ctx context.Context, b *Bench, p Plan) (*nagleRuns, error) {
	ctl := pinned(p)
	addr := netip.AddrPortFrom(b.ServerAddr, naglePort).String()
	var ln net.Listener
	err := b.Server.Do(func() error {
		var err error
		ln, err = sockopt.ListenConfig(ctl).Listen(ctx, "tcp4", addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server listen: %w", err)
	}
	defer ln.Close()

	runs := &nagleRuns{headerLen: len(nagleHeader(n.BodyBytes)), bodyLen: n.BodyBytes, replyLen: len(nagleReply)}
	for _, m := range nagleModes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := n.exchangeRun(ctx, b, p, ln, ctl, addr, m)
		if err != nil {
			return nil, fmt.Errorf("mode %s: %w", m, err)
		}
		runs.conns = append(runs.conns, c)
	}
	// A congestion window of 10 would hold the NODELAY burst back after
	// its tenth segment and pile the rest into one: open it for the bursts.
	runs.burstInitCwnd = n.Burst + 10
	if err := nagleSetInitCwnd(b.Client, b.ServerAddr, runs.burstInitCwnd); err != nil {
		return nil, fmt.Errorf("client route initcwnd: %w", err)
	}
	for _, nagle := range []bool{true, false} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := n.burstRun(ctx, b, p, ln, ctl, addr, nagle)
		if err != nil {
			return nil, fmt.Errorf("burst (Nagle %v): %w", nagle, err)
		}
		runs.bursts = append(runs.bursts, c)
	}
	return runs, nil
}

// nagleDialAccept connects from the client namespace and accepts the connection
// on ln. Go sets TCP_NODELAY on both after connect(2) and accept(2), after
// any Control has run.
func nagleDialAccept(ctx context.Context, b *Bench, ln net.Listener, ctl sockopt.Control, addr string, deadline time.Time) (client, server *net.TCPConn, err error) {
	var conn net.Conn
	err = b.Client.Do(func() error {
		var err error
		conn, err = sockopt.Dialer(ctl).DialContext(ctx, "tcp4", addr)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	ln.(*net.TCPListener).SetDeadline(deadline)
	sconn, err := ln.Accept()
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("accept: %w", err)
	}
	conn.SetDeadline(deadline)
	sconn.SetDeadline(deadline)
	return conn.(*net.TCPConn), sconn.(*net.TCPConn), nil
}

// nagleDeadline bounds one connection's run: every exchange may take two
// RTTs plus the longest delayed ACK, with room to spare.
func nagleDeadline(p Plan, exchanges int) time.Time {
	return time.Now().Add(10*time.Second + time.Duration(exchanges)*(3*p.RTT+300*time.Millisecond))
}

// nagleServerResult is what a server goroutine reports when its connection ends.
type nagleServerResult struct {
	info *sockopt.TCPInfo
	ato  []time.Duration
	err  error
}

// exchangeRun runs Exchanges write-write-read exchanges on one connection
// set up for mode m.
func (n *Nagle) exchangeRun(ctx context.Context, b *Bench, p Plan, ln net.Listener, ctl sockopt.Control, addr string, m nagleMode) (*nagleConn, error) {
	conn, sconn, err := nagleDialAccept(ctx, b, ln, ctl, addr, nagleDeadline(p, n.Exchanges))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close(); sconn.Close() })()
	header, body := nagleHeader(n.BodyBytes), bytes.Repeat([]byte{'b'}, n.BodyBytes)
	done := make(chan nagleServerResult, 1)
	go func() {
		defer sconn.Close()
		done <- nagleServe(sconn, len(header)+len(body), n.Exchanges, m == nagleModeQuickAck)
	}()

	c := &nagleConn{mode: m, local: netip.MustParseAddrPort(conn.LocalAddr().String())}
	if c.goNoDelay, err = sockopt.GetNoDelay(conn); err != nil {
		return nil, err
	}
	// Nagle is turned back on after the connection exists: Go set
	// TCP_NODELAY after the dialer's Control ran.
	if err := sockopt.SetNoDelay(conn, m == nagleModeNoDelay); err != nil {
		return nil, err
	}
	if c.noDelay, err = sockopt.GetNoDelay(conn); err != nil {
		return nil, err
	}
	reply := make([]byte, len(nagleReply))
	for i := 0; i < n.Exchanges; i++ {
		var t nagleExchangeTime
		t.start = time.Now()
		if err := nagleClientExchange(conn, m, header, body, reply); err != nil {
			return nil, fmt.Errorf("exchange %d: %w", i+1, err)
		}
		t.end = time.Now()
		c.times = append(c.times, t)
	}
	c.infoAt = time.Now()
	if c.client, err = sockopt.GetTCPInfo(conn); err != nil {
		return nil, err
	}
	conn.Close()
	res := <-done
	if res.err != nil {
		return nil, fmt.Errorf("server: %w", res.err)
	}
	c.server, c.serverAto = res.info, res.ato
	return c, nil
}

// nagleClientExchange writes the header and the body in two write(2) calls and
// reads the whole reply. In cork mode TCP_CORK holds both writes and
// uncorking pushes them as one segment.
func nagleClientExchange(conn *net.TCPConn, m nagleMode, header, body, reply []byte) error {
	if m == nagleModeCork {
		if err := sockopt.SetCork(conn, true); err != nil {
			return err
		}
	}
	if _, err := conn.Write(header); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if _, err := conn.Write(body); err != nil {
		return fmt.Errorf("write body: %w", err)
	}
	if m == nagleModeCork {
		if err := sockopt.SetCork(conn, false); err != nil {
			return err
		}
	}
	if _, err := io.ReadFull(conn, reply); err != nil {
		return fmt.Errorf("read reply: %w", err)
	}
	if !bytes.Equal(reply, nagleReply) {
		return fmt.Errorf("reply %q, want %q", reply, nagleReply)
	}
	return nil
}

// nagleServe answers exchanges requests of reqLen bytes with nagleReply.
// With quickack it sets TCP_QUICKACK after every read(2) and after every
// reply, as tcp(7) says to use it: the flag is not sticky, and sending the
// reply within ato of the request puts the socket back in interactive
// (pingpong) mode. Re-arming after the reply lets the kernel ACK the next
// header as it arrives, without waiting for this program to be scheduled.
// It records tcpi_ato after each request and TCP_INFO after the last
// reply, then waits for the client's FIN.
func nagleServe(c *net.TCPConn, reqLen, exchanges int, quickack bool) nagleServerResult {
	var res nagleServerResult
	buf := make([]byte, reqLen)
	for i := 0; i < exchanges; i++ {
		for got := 0; got < reqLen; {
			k, err := c.Read(buf[got:])
			if err != nil {
				res.err = fmt.Errorf("request %d: read: %w", i+1, err)
				return res
			}
			got += k
			if quickack {
				if err := sockopt.SetQuickAck(c, true); err != nil {
					res.err = err
					return res
				}
			}
		}
		if info, err := sockopt.GetTCPInfo(c); err == nil {
			res.ato = append(res.ato, info.ATO)
		}
		if _, err := c.Write(nagleReply); err != nil {
			res.err = fmt.Errorf("request %d: write reply: %w", i+1, err)
			return res
		}
		if quickack {
			if err := sockopt.SetQuickAck(c, true); err != nil {
				res.err = err
				return res
			}
		}
	}
	res.info, res.err = sockopt.GetTCPInfo(c)
	if res.err == nil {
		_, err := io.Copy(io.Discard, c)
		res.err = err
	}
	return res
}

// burstRun writes Burst single bytes with Nagle on or off, waits for the
// server's reply (sent once it has every byte), and reads TCP_INFO.
func (n *Nagle) burstRun(ctx context.Context, b *Bench, p Plan, ln net.Listener, ctl sockopt.Control, addr string, nagle bool) (*nagleBurstConn, error) {
	conn, sconn, err := nagleDialAccept(ctx, b, ln, ctl, addr, nagleDeadline(p, 4))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close(); sconn.Close() })()
	done := make(chan error, 1)
	go func() {
		defer sconn.Close()
		if _, err := io.ReadFull(sconn, make([]byte, n.Burst)); err != nil {
			done <- fmt.Errorf("server: read burst: %w", err)
			return
		}
		if _, err := sconn.Write(nagleReply); err != nil {
			done <- fmt.Errorf("server: reply: %w", err)
			return
		}
		_, err := io.Copy(io.Discard, sconn)
		done <- err
	}()

	c := &nagleBurstConn{nagle: nagle, local: netip.MustParseAddrPort(conn.LocalAddr().String())}
	if err := sockopt.SetNoDelay(conn, !nagle); err != nil {
		return nil, err
	}
	if c.noDelay, err = sockopt.GetNoDelay(conn); err != nil {
		return nil, err
	}
	if info, err := sockopt.GetTCPInfo(conn); err == nil {
		c.cwnd0 = info.SndCwnd
	}
	one := []byte{'x'}
	start := time.Now()
	for i := 0; i < n.Burst; i++ {
		if _, err := conn.Write(one); err != nil {
			return nil, fmt.Errorf("write byte %d: %w", i+1, err)
		}
	}
	c.writing = time.Since(start)
	if _, err := io.ReadFull(conn, make([]byte, len(nagleReply))); err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	c.infoAt = time.Now()
	if c.client, err = sockopt.GetTCPInfo(conn); err != nil {
		return nil, err
	}
	conn.Close()
	if err := <-done; err != nil {
		return nil, err
	}
	return c, nil
}
