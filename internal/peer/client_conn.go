package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// clientConn is one client connection. It is used by one goroutine at a
// time: the one that took it from the pool or dialed it.
type clientConn struct {
	c    *Client
	addr string
	nc   net.Conn
	r    *httpwire.Reader
	w    *httpwire.Writer
	rec  *ConnRecord

	sent, answered int
	// limit is the number of requests the server still accepts in total on
	// this connection, learnt from Keep-Alive: max= (0: no bound known).
	limit int
	// proven: a response has shown the connection persistent, so requests
	// may be pipelined on it (RFC 9112 §9.3.2).
	proven bool
	// kaIdle is the server's Keep-Alive: timeout=, when it sent one.
	kaIdle    time.Duration
	hasKAIdle bool
	// sawEnd: the peer's EOF or reset has been read.
	sawEnd bool

	idleTimer *time.Timer // guarded by pool.mu
}

func (cc *clientConn) stopIdle() {
	if cc.idleTimer != nil {
		cc.idleTimer.Stop()
	}
}

// dial opens a connection to addr and records it.
func (c *Client) dial(ctx context.Context, addr string, t *Timing) (*clientConn, error) {
	dial := c.Config.Dial
	if dial == nil {
		dial = Dialer()
	}
	t.ConnStart = time.Now()
	nc, err := dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("peer: dial %s: %w", addr, err)
	}
	t.Connected = time.Now()
	rec := c.rec.newConn(addrString(nc.LocalAddr()), addrString(nc.RemoteAddr()), t.ConnStart)
	c.rec.update(rec, func(r *ConnRecord) { r.Connected = t.Connected })
	t.Conn, t.LocalPort, t.Reused = rec.ID, rec.LocalPort, false
	return &clientConn{c: c, addr: addr, nc: nc, r: httpwire.NewReader(nc), w: httpwire.NewWriter(nc), rec: rec}, nil
}

// exchange writes one request and reads its response, and reports whether
// the connection may carry another request. from is the earliest start of
// the response wait (the previous response on a pipeline); zero means the
// write time.
func (c *Client) exchange(ctx context.Context, cc *clientConn, w *httpwire.Request, wantKA bool, t *Timing, from time.Time) (*httpwire.Response, bool, error) {
	stop := context.AfterFunc(ctx, func() { _ = cc.nc.SetDeadline(time.Unix(1, 0)) })
	if err := cc.write(w, t); err != nil {
		stop()
		return nil, false, ctxErr(ctx, err)
	}
	if from.Before(t.Written) {
		from = t.Written
	}
	resp, err := cc.read(w.Method, t, from)
	keep := false
	if err == nil {
		keep = cc.afterResponse(resp, wantKA)
	}
	if !stop() {
		keep = false // the deadline was spoiled by the context's end
	}
	return resp, keep, ctxErr(ctx, err)
}

// ctxErr attaches the context's error to a timeout caused by its end.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && errors.Is(err, ErrTimeout) && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return err
}

// write sends one request.
func (cc *clientConn) write(w *httpwire.Request, t *Timing) error {
	t.Conn, t.LocalPort = cc.rec.ID, cc.rec.LocalPort
	t.Reused = cc.sent > 0
	t.Pipelined = cc.sent > cc.answered
	var dl time.Time
	if d := cc.c.Config.ResponseTimeout; d > 0 {
		dl = time.Now().Add(d)
	}
	_ = cc.nc.SetWriteDeadline(dl)
	err := cc.w.WriteRequest(w)
	t.Written = time.Now()
	if err != nil {
		t.Done = t.Written
		return cc.ioError("write request", err)
	}
	cc.sent++
	cc.c.rec.update(cc.rec, func(r *ConnRecord) { r.Requests++ })
	return nil
}

// read reads the response to a request with the given method, skipping
// interim 1xx responses.
func (cc *clientConn) read(method string, t *Timing, from time.Time) (*httpwire.Response, error) {
	var dl time.Time
	if d := cc.c.Config.ResponseTimeout; d > 0 {
		dl = from.Add(d)
	}
	_ = cc.nc.SetReadDeadline(dl)
	cc.r.Trace = &httpwire.Trace{FirstByte: func() {
		if t.FirstByte.IsZero() {
			t.FirstByte = time.Now()
		}
	}}
	resp := new(httpwire.Response)
	var err error
	for {
		err = cc.r.ReadResponse(resp, method)
		if err != nil || resp.Status >= 200 || resp.Status == 101 {
			break
		}
	}
	t.Done = time.Now()
	if err != nil {
		return nil, cc.ioError("read response", err)
	}
	t.Status, t.BodyBytes = resp.Status, len(resp.Body)
	if resp.Truncated {
		cc.sawEnd = true
		return resp, fmt.Errorf("%w: %d of %d bytes", ErrTruncated, len(resp.Body), resp.ContentLength)
	}
	cc.answered++
	cc.c.rec.update(cc.rec, func(r *ConnRecord) { r.Responses++ })
	return resp, nil
}

// ioError classifies a read or write error: the peer's close or reset
// (ErrConnClosed), a deadline (ErrTimeout), or anything else.
func (cc *clientConn) ioError(op string, err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		cc.sawEnd = true
		return fmt.Errorf("%w: %s: %v", ErrConnClosed, op, err)
	case isReset(err):
		cc.sawEnd = true
		return fmt.Errorf("%w: %s: %v", ErrConnClosed, op, err)
	case isTimeout(err):
		return fmt.Errorf("%w: %s: %v", ErrTimeout, op, err)
	}
	return fmt.Errorf("peer: %s: %w", op, err)
}

// afterResponse applies the response's persistence fields to the connection
// and reports whether it may carry another request: the request asked for
// persistence, the response agreed (RFC 9112 §9.3), and neither the
// server's Keep-Alive: max= nor the client's own limit is used up.
func (cc *clientConn) afterResponse(resp *httpwire.Response, wantKA bool) bool {
	ok, _ := resp.KeepAlive()
	keep := ok && wantKA
	if p, has := httpwire.ParseKeepAlive(resp.Header); has && keep {
		if p.HasMax {
			cc.limit = cc.answered + p.Max
		}
		if p.HasTimeout {
			cc.kaIdle, cc.hasKAIdle = time.Duration(p.Timeout)*time.Second, true
		}
	}
	if keep {
		cc.proven = true
	}
	if cc.limit > 0 && cc.sent >= cc.limit || cc.limit > 0 && cc.answered >= cc.limit {
		keep = false
	}
	if m := cc.c.Config.MaxRequestsPerConn; m > 0 && cc.sent >= m {
		keep = false
	}
	return keep
}

// closeReason names why a connection is not kept after an exchange.
func closeReason(err error) string {
	switch {
	case err == nil:
		return ReasonNotPersistent
	case errors.Is(err, ErrTimeout):
		return ReasonTimeout
	case errors.Is(err, ErrTruncated):
		return ReasonBrokenPeer
	case errors.Is(err, ErrConnClosed):
		return ReasonPeerEOF
	}
	return ReasonError
}

// retire closes cc in the background and records it; Fetch and Close wait
// for these closes. After a response that ended the connection the client
// waits up to CloseWait for the server's FIN (the server closes first);
// after a timeout it closes at once; otherwise it probes for a FIN that
// already came and then closes with Config.CloseMode.
func (c *Client) retire(cc *clientConn, reason string) {
	c.closers.add()
	go func() {
		defer c.closers.done()
		by, res := ByLocal, closeResult{unread: -1}
		switch {
		case cc.sawEnd:
			by = ByPeer
			res = finishConn(cc.nc, CloseImmediate, 0)
		case reason == ReasonTimeout:
			res = finishConn(cc.nc, CloseImmediate, 0)
		default:
			wait := time.Millisecond
			if reason == ReasonNotPersistent {
				wait = durationOr(c.Config.CloseWait, time.Second)
			}
			_ = cc.nc.SetReadDeadline(time.Now().Add(wait))
			_, err := io.Copy(io.Discard, cc.nc)
			switch {
			case err == nil || isReset(err):
				by = ByPeer
				if reason != ReasonNotPersistent {
					reason = ReasonPeerEOF
				}
				res = finishConn(cc.nc, CloseImmediate, 0)
			default:
				res = finishConn(cc.nc, c.Config.CloseMode, c.Config.DrainTimeout)
			}
		}
		now := time.Now()
		c.rec.update(cc.rec, func(r *ConnRecord) {
			r.Closed, r.ClosedBy, r.Reason = now, by, reason
			res.apply(r)
		})
	}()
}

// closeTracker counts the background closes in progress. Unlike a
// sync.WaitGroup it may gain new closes (an idle timer firing) while a wait
// is under way.
type closeTracker struct {
	mu   sync.Mutex
	n    int
	cond *sync.Cond
}

func (ct *closeTracker) add() {
	ct.mu.Lock()
	ct.n++
	ct.mu.Unlock()
}

func (ct *closeTracker) done() {
	ct.mu.Lock()
	if ct.n--; ct.n == 0 && ct.cond != nil {
		ct.cond.Broadcast()
	}
	ct.mu.Unlock()
}

func (ct *closeTracker) wait() {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.cond == nil {
		ct.cond = sync.NewCond(&ct.mu)
	}
	for ct.n > 0 {
		ct.cond.Wait()
	}
}
