package peer

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// headerLog is a Handler that records the header of every request the
// server receives, then serves Objects.
type headerLog struct {
	mu   sync.Mutex
	hdrs []httpwire.Header
}

func (l *headerLog) handle(req *httpwire.Request) Reply {
	l.mu.Lock()
	l.hdrs = append(l.hdrs, req.Header.Clone())
	l.mu.Unlock()
	return Objects(req)
}

func (l *headerLog) get() []httpwire.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.hdrs)
}

// hopFields are sent by the client: hop-by-hop fields a proxy must remove.
var hopFields = httpwire.Header{
	{Name: "Connection", Value: "keep-alive, X-Trace-Hop"},
	{Name: "X-Trace-Hop", Value: "1"},
	{Name: "Keep-Alive", Value: "timeout=30"},
	{Name: "X-End-To-End", Value: "kept"},
}

func startDumb(t *testing.T, upstream string) (*DumbProxy, string) {
	p := &DumbProxy{Config: DumbProxyConfig{Upstream: upstream}}
	return p, serveOn(t, p.Serve, p.Close)
}

func startSmart(t *testing.T, cfg SmartProxyConfig) (*SmartProxy, string) {
	p := &SmartProxy{Config: cfg}
	return p, serveOn(t, p.Serve, p.Close)
}

// The dumb proxy problem (C25): the client's Connection: keep-alive is
// forwarded, the server keeps the connection, the proxy waits for a close
// that does not come, and the client's second request on the connection
// hangs until the client's timeout. It never reaches the server.
func TestDumbProxyHang(t *testing.T) {
	log := &headerLog{}
	s, saddr := startServer(t, ServerConfig{Handler: log.handle, IdleTimeout: 20 * time.Second})
	p, paddr := startDumb(t, saddr)
	const timeout = 300 * time.Millisecond
	c := &Client{Config: ClientConfig{Addr: paddr, Version: HTTP10, ResponseTimeout: timeout, MaxAttempts: 1, CloseMode: CloseImmediate}}
	reqs := []Request{{Target: "/obj/1", Header: hopFields}, {Target: "/obj/2", Header: hopFields}}
	res, _ := c.Fetch(testCtx(t, 5*time.Second), reqs, Strategy{Mode: PersistentSerial})
	if res[0].Err != nil || res[0].Response.Header.Get("Connection") != "keep-alive" || !res[0].Persistent {
		t.Fatalf("first request: err %v, persistent %v", res[0].Err, res[0].Persistent)
	}
	second := res[1].Timing()
	if !errors.Is(res[1].Err, ErrTimeout) || !second.Reused {
		t.Fatalf("second request: err %v reused %v, want a timeout on the reused connection", res[1].Err, second.Reused)
	}
	if hang := second.Done.Sub(second.Written); hang < timeout-5*time.Millisecond {
		t.Errorf("second request failed after %v, before the %v timeout", hang, timeout)
	}
	if n := s.Executions("GET", "/obj/2"); n != 0 {
		t.Errorf("second request reached the server %d times", n)
	}
	fw := p.Forwards()
	if len(fw) != 1 {
		t.Fatalf("%d requests forwarded, want 1", len(fw))
	}
	if got, want := httpwire.HopByHop(fw[0].Header), []string{"connection", "keep-alive", "x-trace-hop"}; !slices.Equal(got, want) {
		t.Errorf("hop-by-hop fields forwarded %v, want %v", got, want)
	}
	if got := httpwire.HopByHop(log.get()[0]); len(got) != 3 {
		t.Errorf("server received hop-by-hop fields %v", got)
	}
	if n := len(s.Conns()); n != 1 || !s.Conns()[0].Closed.IsZero() {
		t.Errorf("server connections %+v, want one still open", s.Conns())
	}
}

// The smart proxy (C24, C27): both requests are answered over one client
// connection and one upstream connection, hop-by-hop fields are removed,
// and the proxy asks the server for keep-alive with its own Connection
// field.
func TestSmartProxyNoHang(t *testing.T) {
	for _, proxyConn := range []bool{false, true} {
		name := "Connection"
		if proxyConn {
			name = "Proxy-Connection"
		}
		t.Run(name, func(t *testing.T) {
			log := &headerLog{}
			s, saddr := startServer(t, ServerConfig{Handler: log.handle, IdleTimeout: 20 * time.Second})
			p, paddr := startSmart(t, SmartProxyConfig{Upstream: saddr})
			hdr := hopFields
			if proxyConn {
				hdr = httpwire.Header{{Name: "X-End-To-End", Value: "kept"}}
			}
			c := &Client{Config: ClientConfig{Addr: paddr, Origin: saddr, Version: HTTP10, ProxyConnection: proxyConn, AbsoluteForm: true, ResponseTimeout: 2 * time.Second}}
			reqs := []Request{{Target: "/obj/1", Header: hdr}, {Target: "/obj/2", Header: hdr}}
			start := time.Now()
			res, err := c.Fetch(testCtx(t, 5*time.Second), reqs, Strategy{Mode: PersistentSerial})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("two requests took %v", d)
			}
			c.Close()
			if !res[1].Timing().Reused || len(c.Conns()) != 1 {
				t.Errorf("second request not on the first connection (%d connections)", len(c.Conns()))
			}
			if got := res[0].Response.Header.Get("Connection"); got != "keep-alive" {
				t.Errorf("proxy answered Connection %q, want keep-alive", got)
			}
			if n := len(p.UpstreamConns()); n != 1 || len(s.Conns()) != 1 {
				t.Errorf("%d upstream connections, want 1", n)
			}
			for i, h := range log.get() {
				if got := httpwire.HopByHop(h); !slices.Equal(got, []string{"connection"}) || h.Get("Connection") != "keep-alive" {
					t.Errorf("request %d: server received hop-by-hop %v (Connection %q), want only the proxy's Connection: keep-alive", i, got, h.Get("Connection"))
				}
				if h.Get("X-End-To-End") != "kept" || h.Get("Host") != saddr {
					t.Errorf("request %d: end-to-end field lost: %v", i, h)
				}
			}
			for _, f := range p.Forwards() {
				if slices.Contains(f.Names(), "Proxy-Connection") || slices.Contains(f.Names(), "X-Trace-Hop") {
					t.Errorf("forwarded %v", f.Names())
				}
			}
		})
	}
}

// Proxy-Connection (C26): through one dumb proxy it is forwarded, the server
// ignores it and closes, and nothing hangs; with a dumb proxy between a
// smart proxy and the server, the smart proxy's Connection: keep-alive
// reaches the server and the second request hangs at the dumb proxy.
func TestProxyConnectionChain(t *testing.T) {
	t.Run("dumb", func(t *testing.T) {
		s, saddr := startServer(t, ServerConfig{IdleTimeout: 20 * time.Second})
		_, paddr := startDumb(t, saddr)
		c := &Client{Config: ClientConfig{Addr: paddr, Version: HTTP10, ProxyConnection: true, ResponseTimeout: time.Second}}
		res, err := c.Fetch(testCtx(t, 5*time.Second), gets("/obj/1", "/obj/2"), Strategy{Mode: PersistentSerial})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Persistent || len(c.Conns()) != 2 || len(s.Conns()) != 2 {
			t.Errorf("persistent %v, %d client and %d server connections; want 2 and 2", res[0].Persistent, len(c.Conns()), len(s.Conns()))
		}
	})
	t.Run("smart-then-dumb", func(t *testing.T) {
		s, saddr := startServer(t, ServerConfig{IdleTimeout: 20 * time.Second})
		_, daddr := startDumb(t, saddr)
		const timeout = 300 * time.Millisecond
		_, paddr := startSmart(t, SmartProxyConfig{Upstream: daddr, UpstreamTimeout: timeout})
		c := &Client{Config: ClientConfig{Addr: paddr, Version: HTTP10, ProxyConnection: true, ResponseTimeout: 3 * time.Second}}
		start := time.Now()
		res, _ := c.Fetch(testCtx(t, 5*time.Second), gets("/obj/1", "/obj/2"), Strategy{Mode: PersistentSerial})
		if res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		if res[1].Err != nil || res[1].Response.Status != 504 {
			t.Errorf("second request: err %v, response %+v; want 504 from the smart proxy", res[1].Err, res[1].Response)
		}
		if d := time.Since(start); d < timeout {
			t.Errorf("took %v, less than the upstream timeout", d)
		}
		if n := s.Executions("GET", "/obj/2"); n != 0 {
			t.Errorf("second request executed %d times", n)
		}
	})
}
