package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/peer"
	"github.com/tcplab/tcplab/timewait"
)

// Scenarios of the keepalive experiment.
const (
	kaHTTP10    = "http10"          // HTTP/1.0 without keep-alive
	kaKeepAlive = "keepalive"       // HTTP/1.0 + Connection: Keep-Alive up to the server's max
	kaIdle      = "idle-timeout"    // HTTP/1.0 + Keep-Alive, then idle until the server's timeout
	kaRefused   = "refused"         // HTTP/1.0 + Keep-Alive to a server that does not agree
	kaEOF       = "close-delimited" // HTTP/1.0 + Keep-Alive, a response without a length
	kaHTTP11    = "http11"          // HTTP/1.1, persistent by default, Connection: close last
)

// kaScenario is one scenario's run: the peers' records, the capture's view,
// and for the idle-timeout scenario the hand-driven client's own times and
// the kernel's socket table.
type kaScenario struct {
	name   string
	repeat int
	port   uint16

	start time.Time
	clock time.Duration // start → last response complete, client's clock
	// total is the same on the wire: the first SYN to the last response
	// byte, from the capture on the client's link.
	total   time.Duration
	results []peer.Result
	client  []peer.ConnRecord
	server  []peer.ConnRecord

	// idle-timeout scenario only.
	resp      *httpwire.Response
	sent      httpwire.Header
	respDone  time.Time // the response was read
	eof       time.Time // the server's close was read
	idleEstab int       // ESTABLISHED sockets on the server's port halfway through the idle time
	serverTW  int       // TIME_WAIT sockets on the server's port after the close
	clientTW  int       // … on the client toward the server's port

	wire kaWire
}

// kaPort gives every scenario and repeat a server port of its own.
func kaPort(i, repeat int) uint16 { return uint16(8101 + i + 10*repeat) }

// drive runs the scenarios in order; the timed sequences (HTTP/1.0 and
// HTTP/1.1) run Repeats times, alternating.
func (ka *KeepAlive) drive(ctx context.Context, b *Bench, p Plan) ([]*kaScenario, error) {
	var out []*kaScenario
	run := func(name string, i, rep int, f func(*kaScenario) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		sc := &kaScenario{name: name, repeat: rep, port: kaPort(i, rep)}
		if err := f(sc); err != nil {
			return fmt.Errorf("keepalive: %s: %w", name, err)
		}
		out = append(out, sc)
		// Let the closes cross the link before the next scenario.
		time.Sleep(p.RTT + 20*time.Millisecond)
		return nil
	}
	size := fmt.Sprintf("?size=%d", ka.Size)
	targets := func(prefix string, n int) []peer.Request {
		reqs := make([]peer.Request, n)
		for i := range reqs {
			reqs[i] = peer.Request{Target: fmt.Sprintf("/obj/%s%d%s", prefix, i, size)}
		}
		return reqs
	}
	kaServer := peer.ServerConfig{IdleTimeout: ka.Timeout, MaxRequests: ka.Max}
	for rep := range ka.Repeats {
		err := run(kaHTTP10, 0, rep, func(sc *kaScenario) error {
			return ka.fetch(ctx, b, p, sc, kaServer, peer.ClientConfig{Version: peer.HTTP10, NoKeepAlive: true}, targets("a", ka.Requests))
		})
		if err != nil {
			return nil, err
		}
		err = run(kaHTTP11, 5, rep, func(sc *kaScenario) error {
			reqs := targets("f", ka.Requests)
			reqs[len(reqs)-1].Close = true
			return ka.fetch(ctx, b, p, sc, peer.ServerConfig{IdleTimeout: ka.Timeout}, peer.ClientConfig{}, reqs)
		})
		if err != nil {
			return nil, err
		}
	}
	// Connection: Keep-Alive on every request, as the field itself, so the
	// client sends it even on the request the server's max= says is the
	// last: the close is the server's.
	err := run(kaKeepAlive, 1, 0, func(sc *kaScenario) error {
		reqs := targets("b", ka.Max)
		for i := range reqs {
			reqs[i].Header = httpwire.Header{{Name: "Connection", Value: "Keep-Alive"}}
		}
		return ka.fetch(ctx, b, p, sc, kaServer, peer.ClientConfig{Version: peer.HTTP10}, reqs)
	})
	if err != nil {
		return nil, err
	}
	if err := run(kaIdle, 2, 0, func(sc *kaScenario) error { return ka.idle(ctx, b, p, sc, kaServer) }); err != nil {
		return nil, err
	}
	err = run(kaRefused, 3, 0, func(sc *kaScenario) error {
		return ka.fetch(ctx, b, p, sc, peer.ServerConfig{NoKeepAlive: true}, peer.ClientConfig{Version: peer.HTTP10}, targets("d", 2))
	})
	if err != nil {
		return nil, err
	}
	err = run(kaEOF, 4, 0, func(sc *kaScenario) error {
		reqs := []peer.Request{{Target: fmt.Sprintf("/obj/e0%s&eof=1", size)}, {Target: fmt.Sprintf("/obj/e1%s", size)}}
		return ka.fetch(ctx, b, p, sc, kaServer, peer.ClientConfig{Version: peer.HTTP10}, reqs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fetch runs one sequence of requests, one at a time over the client's
// pool of persistent connections, against a server of its own.
func (ka *KeepAlive) fetch(ctx context.Context, b *Bench, p Plan, sc *kaScenario, scfg peer.ServerConfig, ccfg peer.ClientConfig, reqs []peer.Request) error {
	srv, addr, err := plServe(ctx, b, p, sc.port, scfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ccfg.Addr, ccfg.Dial, ccfg.ResponseTimeout = addr, plDialer(b, p), plResponseTimeout(p)
	c := &peer.Client{Config: ccfg}
	sc.start = time.Now()
	res, err := c.Fetch(ctx, reqs, peer.Strategy{Mode: peer.PersistentSerial})
	if err != nil {
		return err
	}
	sc.results = res
	for _, x := range res {
		if d := x.Timing().Done.Sub(sc.start); d > sc.clock {
			sc.clock = d
		}
	}
	c.Close()
	sc.client = c.Conns()
	sc.server = plServerClosed(srv, p)
	return nil
}

// idle sends one HTTP/1.0 keep-alive request on a hand-driven connection,
// reads the response, and then only waits: for the server's idle timeout to
// close the connection. The peer's Client is not used here because it
// honours the announced timeout= itself and would close at the same moment
// as the server.
func (ka *KeepAlive) idle(ctx context.Context, b *Bench, p Plan, sc *kaScenario, scfg peer.ServerConfig) error {
	srv, addr, err := plServe(ctx, b, p, sc.port, scfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	nc, err := plDialer(b, p)(ctx, addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	_ = nc.SetDeadline(time.Now().Add(ka.Timeout + 10*time.Second + 10*p.RTT))
	req := &httpwire.Request{
		Method: "GET", Target: fmt.Sprintf("/obj/c0?size=%d", ka.Size), Major: 1, Minor: 0,
		Header: httpwire.Header{{Name: "Host", Value: addr}, {Name: "Connection", Value: "Keep-Alive"}},
	}
	sc.sent = req.Header.Clone()
	sc.start = time.Now()
	if err := httpwire.NewWriter(nc).WriteRequest(req); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	resp := new(httpwire.Response)
	if err := httpwire.NewReader(nc).ReadResponse(resp, "GET"); err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	sc.respDone = time.Now()
	sc.clock = sc.respDone.Sub(sc.start)
	sc.resp = resp.Clone()
	time.Sleep(ka.Timeout / 2)
	if sc.idleEstab, err = plEstablished(b.Server, sc.port); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, nc)
	sc.eof = time.Now()
	switch {
	case err != nil:
		return fmt.Errorf("wait for the server's close: %w", err)
	case n > 0:
		return fmt.Errorf("%d unexpected bytes after the response", n)
	}
	if err := nc.Close(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("close: %w", err)
	}
	sc.server = plServerClosed(srv, p)
	time.Sleep(p.RTT/2 + 10*time.Millisecond) // the client's last ACK crosses
	if sc.serverTW, err = kaTimeWait(b.Server.Do, sc.port, true); err != nil {
		return err
	}
	if sc.clientTW, err = kaTimeWait(b.Client.Do, sc.port, false); err != nil {
		return err
	}
	return nil
}

// kaTimeWait counts the TIME_WAIT sockets of a namespace (entered with do)
// whose local (local=true) or remote port is port.
func kaTimeWait(do func(func() error) error, port uint16, local bool) (int, error) {
	var ss []timewait.Socket
	err := do(func() error {
		var err error
		ss, err = timewait.Census()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("TIME_WAIT census: %w", err)
	}
	n := 0
	for _, s := range ss {
		if local && s.Local.Port() == port || !local && s.Remote.Port() == port {
			n++
		}
	}
	return n, nil
}
