package peer

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// SmartProxyConfig configures a SmartProxy.
type SmartProxyConfig struct {
	// Upstream is the server every request goes to (host:port).
	Upstream string
	// Dial opens the upstream connections; nil selects Dialer().
	Dial DialFunc
	// IdleTimeout closes a client connection idle that long (0: never).
	IdleTimeout time.Duration
	// UpstreamTimeout bounds the wait for an upstream response (default 30 s);
	// when it expires the client gets 504.
	UpstreamTimeout time.Duration
	// UpstreamIdleTimeout closes pooled upstream connections idle that long
	// (0: only the server's Keep-Alive timeout).
	UpstreamIdleTimeout time.Duration
	// UpstreamVersion is the version of the forwarded requests (zero: the
	// client's version). An HTTP/1.0 upstream request asks for keep-alive
	// with Connection: keep-alive.
	UpstreamVersion Version
	// MaxAttempts bounds the upstream tries of an idempotent request
	// (default 3).
	MaxAttempts int
}

// SmartProxy is a proxy that knows connection management (the chapter's
// §4.5): it removes the hop-by-hop fields of each message
// (httpwire.StripHopByHop: Connection and the fields it lists, Keep-Alive,
// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Auth*),
// reads a client's Proxy-Connection: keep-alive as the request for a
// persistent connection and asks the server with its own Connection:
// keep-alive, and keeps separate persistent connections on each side: the
// client's, and a pool toward the server. Bodies are re-framed with
// Content-Length, or chunked for an HTTP/1.1 client when the server chunked.
type SmartProxy struct {
	Config SmartProxyConfig

	acc    acceptor
	rec    recorder
	once   sync.Once
	client *Client
}

func (p *SmartProxy) upstream() *Client {
	p.once.Do(func() {
		p.client = &Client{Config: ClientConfig{
			Addr:            p.Config.Upstream,
			Dial:            p.Config.Dial,
			ResponseTimeout: durationOr(p.Config.UpstreamTimeout, 30*time.Second),
			IdleTimeout:     p.Config.UpstreamIdleTimeout,
			MaxAttempts:     p.Config.MaxAttempts,
		}}
	})
	return p.client
}

// Serve accepts client connections on ln until ln fails or Close is called.
func (p *SmartProxy) Serve(ln net.Listener) error {
	p.upstream()
	return p.acc.serve(ln, p.handle)
}

// Close stops the listeners, closes every client connection and the
// upstream pool.
func (p *SmartProxy) Close() error {
	p.acc.close()
	return p.upstream().Close()
}

// Forwards returns the requests sent upstream, each with the header exactly
// as written.
func (p *SmartProxy) Forwards() []Forward { return p.rec.forwardsCopy() }

// Conns returns the client-side connection records.
func (p *SmartProxy) Conns() []ConnRecord { return p.rec.connsCopy() }

// UpstreamConns returns the upstream connection records.
func (p *SmartProxy) UpstreamConns() []ConnRecord { return p.upstream().Conns() }

// Events returns the client-side events.
func (p *SmartProxy) Events() []Event { return p.rec.eventsCopy() }

func (p *SmartProxy) handle(nc net.Conn, accepted time.Time) {
	rec := p.rec.newConn(addrString(nc.LocalAddr()), addrString(nc.RemoteAddr()), accepted)
	p.rec.event(Event{At: accepted, Kind: EventAccepted, Conn: rec.ID})
	end := func(by Closer, reason string, err error, mode CloseMode) {
		p.rec.closeConn(rec, nc, mode, 0, by, reason, err)
	}
	ctx, cancel := p.acc.handlerContext()
	defer cancel()

	src := &prefixReader{r: nc}
	r := httpwire.NewReader(src)
	w := httpwire.NewWriter(nc)
	for seq := 1; ; seq++ {
		var dl time.Time
		if d := p.Config.IdleTimeout; d > 0 {
			dl = time.Now().Add(d)
		}
		_ = nc.SetReadDeadline(dl)
		req := new(httpwire.Request)
		err := r.ReadRequest(req)
		switch {
		case p.acc.isClosed():
			end(ByLocal, ReasonShutdown, nil, CloseImmediate)
			return
		case err == nil:
		case errors.Is(err, io.EOF):
			end(ByPeer, ReasonPeerEOF, nil, CloseImmediate)
			return
		case isTimeout(err):
			end(ByLocal, ReasonIdleTimeout, nil, CloseGraceful)
			return
		case isReset(err), errors.Is(err, io.ErrUnexpectedEOF):
			end(ByPeer, ReasonBrokenPeer, err, CloseImmediate)
			return
		default:
			end(ByLocal, ReasonError, err, CloseGraceful)
			return
		}
		p.rec.update(rec, func(r *ConnRecord) { r.Requests++ })
		p.rec.event(Event{At: time.Now(), Kind: EventRequestRead, Conn: rec.ID, Seq: seq, Method: req.Method, Target: req.Target})
		if ok, _ := req.KeepAlive(); !ok && clientWantsKeepAlive(req) {
			// The codec follows RFC 9112 App. C.2.2: Proxy-Connection is not
			// Connection, so it stops after this request. This proxy takes
			// Proxy-Connection: keep-alive as the client's wish and goes on
			// reading, with the bytes the codec had buffered put back.
			src.unread(r.Leftover())
			r.Reset(src)
		}

		out, keep := p.forward(ctx, rec.ID, req)
		_ = nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if err := w.WriteResponse(out); err != nil {
			end(ByLocal, ReasonError, err, CloseImmediate)
			return
		}
		p.rec.update(rec, func(r *ConnRecord) { r.Responses++ })
		p.rec.event(Event{At: time.Now(), Kind: EventResponseWritten, Conn: rec.ID, Seq: seq, Method: req.Method, Target: req.Target, Status: out.Status})
		if !keep {
			end(ByLocal, ReasonNotPersistent, nil, CloseGraceful)
			return
		}
	}
}

// clientWantsKeepAlive reads the client's wish for persistence: HTTP/1.1
// unless Connection: close; HTTP/1.0 with keep-alive in Connection or in
// the Proxy-Connection workaround.
func clientWantsKeepAlive(req *httpwire.Request) bool {
	v := Version{req.Major, req.Minor}
	if v == HTTP10 {
		return !hasToken(req.Header, "Connection", "close") &&
			(hasToken(req.Header, "Connection", "keep-alive") || hasToken(req.Header, "Proxy-Connection", "keep-alive"))
	}
	return !hasToken(req.Header, "Connection", "close")
}

// forward sends req upstream and builds the response for the client, and
// reports whether the client connection persists after it.
func (p *SmartProxy) forward(ctx context.Context, connID uint64, req *httpwire.Request) (*httpwire.Response, bool) {
	keep := clientWantsKeepAlive(req)
	kept, _ := httpwire.StripHopByHop(req.Header)
	v := p.Config.UpstreamVersion
	if v == (Version{}) {
		v = Version{req.Major, req.Minor}
	}
	res := p.upstream().Do(ctx, Request{
		Method:  req.Method,
		Target:  originForm(req.Target),
		Header:  kept,
		Body:    req.Body,
		Version: v,
	})
	if t := res.Timing(); !t.Written.IsZero() {
		p.rec.forward(Forward{At: t.Written, Conn: connID, Upstream: t.Conn, Method: req.Method, Target: originForm(req.Target), Header: res.Sent.Clone()})
	}

	out := &httpwire.Response{Major: 1, Minor: 1, ContentLength: -1}
	if req.Major == 1 && req.Minor == 0 {
		out.Minor = 0
	}
	up := res.Response
	switch {
	case res.Err == nil || errors.Is(res.Err, ErrTruncated) && up != nil:
		out.Status, out.Reason = up.Status, up.Reason
		out.Header, _ = httpwire.StripHopByHop(up.Header)
		switch {
		case up.Truncated:
			// Pass the truncation on: the announced length, the bytes that
			// came, then the close (RFC 9112 §8). Not cacheable.
			out.Framing, out.Body, keep = httpwire.FramingClose, up.Body, false
		case up.Framing == httpwire.FramingNone:
			out.Framing = httpwire.FramingNone
		case up.Framing == httpwire.FramingChunked && out.Minor == 1:
			out.Framing, out.Body = httpwire.FramingChunked, up.Body
		default:
			out.Header.Del("Content-Length")
			out.Framing, out.Body = httpwire.FramingContentLength, up.Body
		}
	default:
		out.Status = 502
		if errors.Is(res.Err, ErrTimeout) {
			out.Status = 504
		}
		out.Reason = statusText(out.Status)
		out.Framing, out.Body = httpwire.FramingContentLength, []byte(res.Err.Error()+"\n")
		keep = false
	}
	switch {
	case !keep:
		out.Header.Set("Connection", "close")
	case out.Minor == 0:
		out.Header.Set("Connection", "keep-alive")
	}
	return out, keep
}

// prefixReader reads pre, then r.
type prefixReader struct {
	pre []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// unread puts b in front of what is still to be read.
func (p *prefixReader) unread(b []byte) {
	p.pre = append(append([]byte(nil), b...), p.pre...)
}
