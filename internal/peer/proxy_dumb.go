package peer

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// DumbProxyConfig configures a DumbProxy.
type DumbProxyConfig struct {
	// Upstream is the server every request goes to (host:port).
	Upstream string
	// Dial opens the upstream connections; nil selects Dialer().
	Dial DialFunc
	// HeaderTimeout bounds the reading of the client's request (default 10 s).
	HeaderTimeout time.Duration
}

// DumbProxy is an HTTP/1.0-era proxy that understands nothing of
// persistence (the chapter's §4.5, "Keep-Alive and dumb proxies"). Per
// client connection it reads one request, forwards its bytes untouched —
// every header, Connection: keep-alive included — over a new upstream
// connection, relays the response bytes blindly, and waits for the server to
// close before it closes the client's side. It never reads a second request:
// with a server that honours the forwarded keep-alive the client's next
// request on the same connection hangs, unread, until the server's idle
// timeout (and then the proxy's close sends RST, since input is unread).
type DumbProxy struct {
	Config DumbProxyConfig

	acc acceptor
	rec recorder // client side: conns, events, forwards
	up  recorder // upstream conns
}

// Serve accepts client connections on ln until ln fails or Close is called.
func (p *DumbProxy) Serve(ln net.Listener) error { return p.acc.serve(ln, p.handle) }

// Close stops the listeners and closes every connection.
func (p *DumbProxy) Close() error {
	p.acc.close()
	return nil
}

// Forwards returns the requests forwarded upstream with their headers.
func (p *DumbProxy) Forwards() []Forward { return p.rec.forwardsCopy() }

// Conns returns the client-side connection records.
func (p *DumbProxy) Conns() []ConnRecord { return p.rec.connsCopy() }

// UpstreamConns returns the upstream connection records.
func (p *DumbProxy) UpstreamConns() []ConnRecord { return p.up.connsCopy() }

// Events returns the client-side events.
func (p *DumbProxy) Events() []Event { return p.rec.eventsCopy() }

func (p *DumbProxy) handle(nc net.Conn, accepted time.Time) {
	rec := p.rec.newConn(addrString(nc.LocalAddr()), addrString(nc.RemoteAddr()), accepted)
	p.rec.event(Event{At: accepted, Kind: EventAccepted, Conn: rec.ID})
	end := func(by Closer, reason string, err error) {
		p.rec.closeConn(rec, nc, CloseImmediate, 0, by, reason, err)
	}

	// Read one request, consuming exactly its bytes from the socket.
	_ = nc.SetReadDeadline(time.Now().Add(durationOr(p.Config.HeaderTimeout, 10*time.Second)))
	raw := &recordingReader{r: exactReader{nc}}
	req := new(httpwire.Request)
	if err := httpwire.NewReader(raw).ReadRequest(req); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			end(ByPeer, ReasonPeerEOF, nil)
		case isTimeout(err):
			end(ByLocal, ReasonTimeout, err)
		default:
			end(ByLocal, ReasonError, err)
		}
		return
	}
	_ = nc.SetReadDeadline(time.Time{})
	p.rec.update(rec, func(r *ConnRecord) { r.Requests++ })
	p.rec.event(Event{At: time.Now(), Kind: EventRequestRead, Conn: rec.ID, Seq: 1, Method: req.Method, Target: req.Target})

	dial := p.Config.Dial
	if dial == nil {
		dial = Dialer()
	}
	ctx, cancel := p.acc.handlerContext()
	defer cancel()
	start := time.Now()
	up, err := dial(ctx, p.Config.Upstream)
	if err != nil {
		_, _ = io.WriteString(nc, "HTTP/1.0 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		end(ByLocal, ReasonError, err)
		return
	}
	if !p.acc.track(up) {
		_ = up.Close()
		end(ByLocal, ReasonShutdown, nil)
		return
	}
	defer p.acc.untrack(up)
	urec := p.up.newConn(addrString(up.LocalAddr()), addrString(up.RemoteAddr()), start)
	p.up.update(urec, func(r *ConnRecord) { r.Connected = time.Now() })

	// Forward the request bytes as received.
	_, werr := up.Write(raw.buf)
	p.rec.forward(Forward{At: time.Now(), Conn: rec.ID, Upstream: urec.ID, Method: req.Method, Target: req.Target, Header: req.Header.Clone()})
	if werr == nil {
		p.up.update(urec, func(r *ConnRecord) { r.Requests++ })
	}

	// Relay the response blindly until the server closes.
	_, cerr := io.Copy(nc, up)
	ures := finishConn(up, CloseImmediate, 0)
	now := time.Now()
	p.up.update(urec, func(r *ConnRecord) {
		r.Closed, r.ClosedBy, r.Reason = now, ByPeer, ReasonPeerEOF
		switch {
		case p.acc.isClosed():
			r.ClosedBy, r.Reason = ByLocal, ReasonShutdown
		case werr != nil || cerr != nil && !isReset(cerr):
			r.ClosedBy, r.Reason = ByLocal, ReasonError
		case cerr != nil:
			r.Reason = ReasonPeerReset
		}
		ures.apply(r)
	})
	switch {
	case p.acc.isClosed():
		end(ByLocal, ReasonShutdown, nil)
	case cerr != nil:
		end(ByLocal, ReasonError, cerr)
	default:
		end(ByLocal, ReasonUpstream, nil)
	}
}
