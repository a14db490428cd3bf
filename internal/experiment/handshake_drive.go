package experiment

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/sockopt"
)

// transaction is one HTTP exchange on a fresh connection, timed by the
// client's clock and read back from the kernel afterwards.
type transaction struct {
	size       int
	local      netip.AddrPort
	start      time.Time // before connect(2)
	connected  time.Time // connect(2) returned
	sent       time.Time // request written
	firstByte  time.Time // first response byte read
	done       time.Time // last body byte read
	bodyBytes  int
	processing time.Duration // the server's own measure of its work
	tcpInfoRTT time.Duration // tcpi_rtt after the response
	tcpInfoMSS int
}

func (t transaction) connect() time.Duration { return t.connected.Sub(t.start) }
func (t transaction) ttfb() time.Duration    { return t.firstByte.Sub(t.start) }
func (t transaction) total() time.Duration   { return t.done.Sub(t.start) }

const handshakePort = 8080

// drive starts the server in the server namespace and runs the client's
// transactions from the client namespace.
func (h *Handshake) drive(ctx context.Context, b *Bench, p Plan) ([]transaction, error) {
	ctl := pinned(p)
	var ln net.Listener
	err := b.Server.Do(func() error {
		var err error
		ln, err = sockopt.ListenConfig(ctl).Listen(ctx, "tcp4", netip.AddrPortFrom(b.ServerAddr, handshakePort).String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server listen: %w", err)
	}
	defer ln.Close()
	srv := &sizedServer{delay: h.ServerDelay, took: map[netip.AddrPort]time.Duration{}}
	go srv.serve(ln)

	server := netip.AddrPortFrom(b.ServerAddr, handshakePort).String()
	var txs []transaction
	for _, size := range h.Sizes {
		for i := 0; i < h.Repeats; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			tx, err := h.transact(ctx, b, ctl, server, size)
			if err != nil {
				return nil, fmt.Errorf("transaction %d of %d bytes: %w", i+1, size, err)
			}
			tx.processing = srv.processing(tx.local)
			txs = append(txs, tx)
			// Let the previous connection's FIN exchange finish so the
			// capture shows one connection at a time.
			time.Sleep(p.RTT + 5*time.Millisecond)
		}
	}
	return txs, nil
}

// transact opens a connection, sends GET /size/N with Connection: close and
// reads the whole response.
func (h *Handshake) transact(ctx context.Context, b *Bench, ctl sockopt.Control, server string, size int) (transaction, error) {
	tx := transaction{size: size}
	conn, start, connected, err := dialTimed(b.Client, ctl, netip.MustParseAddrPort(server))
	if err != nil {
		return tx, fmt.Errorf("connect: %w", err)
	}
	tx.start, tx.connected = start, connected
	defer conn.Close()
	tx.local = netip.MustParseAddrPort(conn.LocalAddr().String())
	conn.SetDeadline(time.Now().Add(30*time.Second + 20*b.plan.RTT))

	req := &httpwire.Request{
		Method: "GET", Target: "/size/" + strconv.Itoa(size), Major: 1, Minor: 1,
		Header: httpwire.Header{{Name: "Host", Value: server}, {Name: "Connection", Value: "close"}},
	}
	var buf bytes.Buffer
	if err := httpwire.NewWriter(&buf).WriteRequest(req); err != nil {
		return tx, err
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		return tx, fmt.Errorf("send request: %w", err)
	}
	tx.sent = time.Now()

	rd := httpwire.NewReader(conn)
	rd.Trace = &httpwire.Trace{FirstByte: func() { tx.firstByte = time.Now() }}
	var resp httpwire.Response
	if err := rd.ReadResponse(&resp, "GET"); err != nil {
		return tx, fmt.Errorf("read response: %w", err)
	}
	tx.done = time.Now()
	tx.bodyBytes = len(resp.Body)
	if resp.Truncated || tx.bodyBytes != size {
		return tx, fmt.Errorf("response body %d bytes, want %d", tx.bodyBytes, size)
	}
	if info, err := sockopt.GetTCPInfo(conn.(*net.TCPConn)); err == nil {
		tx.tcpInfoRTT = info.RTT
		tx.tcpInfoMSS = int(info.SndMSS)
	}
	return tx, nil
}

// sizedServer answers GET /size/N with N bytes after a delay, one request
// per connection, and records how long it really took per connection (its
// own clock, from the request read to the response written): the
// processing time of the model.
type sizedServer struct {
	delay time.Duration
	mu    sync.Mutex
	took  map[netip.AddrPort]time.Duration
}

func (s *sizedServer) processing(client netip.AddrPort) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.took[client]
}

// serve runs until ln is closed.
func (s *sizedServer) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go s.answer(c)
	}
}

func (s *sizedServer) answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	var req httpwire.Request
	if err := httpwire.NewReader(c).ReadRequest(&req); err != nil {
		return
	}
	begin := time.Now()
	n, err := strconv.Atoi(strings.TrimPrefix(req.Target, "/size/"))
	status, reason := 200, "OK"
	if err != nil || n < 0 || n > 64<<20 {
		status, reason, n = 404, "Not Found", 0
	}
	time.Sleep(s.delay)
	resp := &httpwire.Response{
		Major: 1, Minor: 1, Status: status, Reason: reason,
		Header:  httpwire.Header{{Name: "Connection", Value: "close"}, {Name: "Content-Type", Value: "application/octet-stream"}},
		Body:    bytes.Repeat([]byte{'x'}, n),
		Framing: httpwire.FramingContentLength, ContentLength: int64(n),
	}
	var buf bytes.Buffer
	if httpwire.NewWriter(&buf).WriteResponse(resp) != nil {
		return
	}
	if _, err := c.Write(buf.Bytes()); err != nil {
		return
	}
	took := time.Since(begin)
	if peer, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		s.mu.Lock()
		s.took[peer] = took
		s.mu.Unlock()
	}
}
