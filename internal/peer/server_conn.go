package peer

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// serverConn is one accepted connection, served by one goroutine: read a
// request, execute it, write the response, decide whether to go on.
type serverConn struct {
	s   *Server
	nc  net.Conn
	rec *ConnRecord

	mu        sync.Mutex
	idle      bool // waiting for the first byte of the next request
	closeIdle bool // CloseIdle chose this connection
	aborted   bool // Server.Close closed the socket under us
}

// markCloseIdle selects the connection for CloseIdle when it is idle and
// wakes its reader with a past read deadline.
func (c *serverConn) markCloseIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.idle || c.closeIdle || c.aborted {
		return false
	}
	c.closeIdle = true
	_ = c.nc.SetReadDeadline(time.Now())
	return true
}

func (c *serverConn) abort() {
	c.mu.Lock()
	c.aborted = true
	c.mu.Unlock()
	_ = c.nc.Close()
}

// firstByte runs when a request's first byte is available: the connection
// is no longer idle and the idle deadline gives way to the read timeout.
func (c *serverConn) firstByte() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = false
	if c.closeIdle {
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(durationOr(c.s.Config.ReadTimeout, 10*time.Second)))
}

func (c *serverConn) setIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = true
	var dl time.Time
	if d := c.s.Config.IdleTimeout; d > 0 {
		dl = time.Now().Add(d)
	}
	if c.closeIdle {
		dl = time.Now()
	}
	_ = c.nc.SetReadDeadline(dl)
}

func (c *serverConn) state() (closeIdle, aborted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeIdle, c.aborted
}

func (c *serverConn) serve() {
	cfg := &c.s.Config
	var src io.Reader = c.nc
	if cfg.ExactReads {
		src = exactReader{c.nc}
	}
	r := httpwire.NewReader(src)
	r.Trace = &httpwire.Trace{FirstByte: c.firstByte}
	w := httpwire.NewWriter(c.nc)

	for seq := 1; ; seq++ {
		c.setIdle()
		req := new(httpwire.Request)
		err := r.ReadRequest(req)
		closeIdle, aborted := c.state()
		switch {
		case aborted || c.s.isClosed():
			c.finish(ByLocal, ReasonShutdown, nil, CloseImmediate)
			return
		case err == nil && closeIdle:
			c.s.rec.event(Event{At: time.Now(), Kind: EventDropped, Conn: c.rec.ID, Seq: seq, Method: req.Method, Target: req.Target, Detail: ReasonCloseIdle})
			c.finish(ByLocal, ReasonCloseIdle, nil, cfg.CloseMode)
			return
		case err == nil:
		case errors.Is(err, io.EOF):
			c.finish(ByPeer, ReasonPeerEOF, nil, CloseImmediate)
			return
		case closeIdle:
			c.finish(ByLocal, ReasonCloseIdle, nil, cfg.CloseMode)
			return
		case isTimeout(err):
			reason := ReasonIdleTimeout
			if !c.isIdle() {
				reason = ReasonTimeout
			}
			c.finish(ByLocal, reason, nil, cfg.CloseMode)
			return
		case isReset(err):
			c.finish(ByPeer, ReasonPeerReset, err, CloseImmediate)
			return
		case errors.Is(err, io.ErrUnexpectedEOF):
			c.finish(ByPeer, ReasonBrokenPeer, err, CloseImmediate)
			return
		default:
			var pe *httpwire.ProtocolError
			if errors.As(err, &pe) {
				c.writeError(w, pe)
			}
			c.finish(ByLocal, ReasonError, err, cfg.CloseMode)
			return
		}
		if req.Truncated {
			c.finish(ByPeer, ReasonBrokenPeer, errors.New("request body truncated"), CloseImmediate)
			return
		}
		now := time.Now()
		c.s.rec.update(c.rec, func(rec *ConnRecord) { rec.Requests++ })
		c.s.rec.event(Event{At: now, Kind: EventRequestRead, Conn: c.rec.ID, Seq: seq, Method: req.Method, Target: req.Target})

		c.s.countExecution(req)
		rep := c.s.handler()(req)
		if !c.respond(w, req, &rep, seq) {
			return
		}
	}
}

func (c *serverConn) isIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idle
}

// respond writes the reply to req and reports whether the connection goes
// on to the next request; when it does not, the connection is closed.
func (c *serverConn) respond(w *httpwire.Writer, req *httpwire.Request, rep *Reply, seq int) bool {
	cfg := &c.s.Config
	if rep.Delay > 0 {
		t := time.NewTimer(rep.Delay)
		select {
		case <-t.C:
		case <-c.s.done:
			t.Stop()
			c.finish(ByLocal, ReasonShutdown, nil, CloseImmediate)
			return false
		}
	}
	if rep.Drop {
		c.s.rec.event(Event{At: time.Now(), Kind: EventDropped, Conn: c.rec.ID, Seq: seq, Method: req.Method, Target: req.Target, Detail: ReasonDrop})
		c.finish(ByLocal, ReasonDrop, nil, cfg.CloseMode)
		return false
	}

	wantKA, _ := req.KeepAlive()
	keep, reason := wantKA, ReasonNotPersistent
	switch {
	case !keep:
	case cfg.NoKeepAlive || rep.Close || rep.CloseDelimited || rep.Short > 0:
		keep = false
	case cfg.MaxRequests > 0 && seq >= cfg.MaxRequests:
		keep, reason = false, ReasonMaxRequests
	}

	resp := c.buildResponse(req, rep, keep, seq)
	if keep {
		// From here the request is answered: CloseIdle may choose the
		// connection, which then closes right after this response.
		c.mu.Lock()
		c.idle = true
		c.mu.Unlock()
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(durationOr(cfg.WriteTimeout, 10*time.Second)))
	var err error
	if rep.Short > 0 {
		err = w.WriteResponse(shortened(resp, rep.Short))
		reason = ReasonShortBody
	} else {
		err = w.WriteResponse(resp)
	}
	if err != nil {
		who, why := ByLocal, ReasonError
		if isReset(err) {
			who, why = ByPeer, ReasonPeerReset
		}
		c.finish(who, why, err, CloseImmediate)
		return false
	}
	c.s.rec.update(c.rec, func(rec *ConnRecord) { rec.Responses++ })
	c.s.rec.event(Event{At: time.Now(), Kind: EventResponseWritten, Conn: c.rec.ID, Seq: seq, Method: req.Method, Target: req.Target, Status: resp.Status})

	switch {
	case !keep:
		c.finish(ByLocal, reason, nil, cfg.CloseMode)
		return false
	case cfg.CloseAfter > 0 && seq >= cfg.CloseAfter:
		c.finish(ByLocal, ReasonCloseAfter, nil, cfg.CloseMode)
		return false
	}
	return true
}

// buildResponse turns a Reply into the message on the wire: the version of
// the request (at most 1.1), the persistence fields, the framing.
func (c *serverConn) buildResponse(req *httpwire.Request, rep *Reply, keep bool, seq int) *httpwire.Response {
	cfg := &c.s.Config
	resp := &httpwire.Response{Major: 1, Minor: 1, Status: rep.Status, Reason: rep.Reason, Body: rep.Body, ContentLength: -1}
	if req.Major == 1 && req.Minor == 0 {
		resp.Minor = 0
	}
	if resp.Status == 0 {
		resp.Status = 200
	}
	if resp.Reason == "" {
		resp.Reason = statusText(resp.Status)
	}
	resp.Header = append(resp.Header, rep.Header...)
	switch {
	case !keep:
		resp.Header.Set("Connection", "close")
	case resp.Minor == 0 || hasToken(req.Header, "Connection", "keep-alive"):
		// HTTP/1.0+ keep-alive: echo the option, announce the limits (C22, C23).
		resp.Header.Set("Connection", "keep-alive")
		if ka := keepAliveValue(cfg.IdleTimeout, cfg.MaxRequests, seq); ka != "" {
			resp.Header.Set("Keep-Alive", ka)
		}
	}
	noBody := req.Method == "HEAD" || resp.Status == 204 || resp.Status == 304 || resp.Status/100 == 1
	switch {
	case noBody:
		resp.Framing = httpwire.FramingNone
		if req.Method == "HEAD" && !rep.Chunked && !rep.CloseDelimited {
			resp.Header.Set("Content-Length", strconv.Itoa(len(rep.Body)))
		}
		resp.Body = nil
	case rep.CloseDelimited:
		resp.Framing = httpwire.FramingClose
	case rep.Chunked && resp.Minor == 1 && rep.Short == 0:
		resp.Framing = httpwire.FramingChunked
	default:
		resp.Framing = httpwire.FramingContentLength
		resp.ContentLength = int64(len(rep.Body))
	}
	return resp
}

// keepAliveValue formats Keep-Alive: timeout=, max= for the response to the
// seq-th request; max counts the requests still allowed after this one.
func keepAliveValue(idle time.Duration, maxReq, seq int) string {
	var v string
	if idle > 0 {
		secs := int((idle + time.Second - 1) / time.Second)
		v = "timeout=" + strconv.Itoa(secs)
	}
	if maxReq > 0 {
		if v != "" {
			v += ", "
		}
		v += "max=" + strconv.Itoa(maxReq-seq)
	}
	return v
}

// shortened returns resp with its full Content-Length field but short bytes
// fewer body bytes, written unframed.
func shortened(resp *httpwire.Response, short int) *httpwire.Response {
	cut := max(len(resp.Body)-short, 0)
	out := *resp
	out.Header = append(httpwire.Header(nil), resp.Header...)
	out.Header.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	out.Framing = httpwire.FramingClose
	out.Body = resp.Body[:cut]
	return &out
}

func (c *serverConn) writeError(w *httpwire.Writer, pe *httpwire.ProtocolError) {
	status := pe.Status
	if status == 0 {
		status = 400
	}
	resp := &httpwire.Response{Major: 1, Minor: 1, Status: status, Reason: statusText(status), Framing: httpwire.FramingContentLength, Body: []byte(pe.Error() + "\n"), ContentLength: -1}
	resp.Header.Set("Connection", "close")
	_ = c.nc.SetWriteDeadline(time.Now().Add(durationOr(c.s.Config.WriteTimeout, 10*time.Second)))
	_ = w.WriteResponse(resp)
}

// finish closes the connection and completes its record.
func (c *serverConn) finish(by Closer, reason string, err error, mode CloseMode) {
	c.s.rec.closeConn(c.rec, c.nc, mode, c.s.Config.DrainTimeout, by, reason, err)
}

// hasToken reports whether a comma-separated field called name lists tok,
// case-insensitively.
func hasToken(h httpwire.Header, name, tok string) bool {
	for _, v := range h.Values(name) {
		for e := range splitCommaSeq(v) {
			if equalFoldASCII(e, tok) {
				return true
			}
		}
	}
	return false
}
