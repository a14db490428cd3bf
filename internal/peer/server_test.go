package peer

import (
	"errors"
	"io"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// The persistence rules of RFC 9112 §9.3 as the server applies them,
// checked by the number of connections the server accepted for three
// requests sent by a client that reuses a connection whenever the response
// allows it.
func TestServerPersistenceMatrix(t *testing.T) {
	cases := []struct {
		name        string
		version     Version
		noKeepAlive bool
		wantConns   int
		wantConnHdr string // the response's Connection field
	}{
		{"HTTP/1.0", HTTP10, true, 3, "close"},
		{"HTTP/1.0 keep-alive", HTTP10, false, 1, "keep-alive"},
		{"HTTP/1.1", HTTP11, false, 1, ""},
		{"HTTP/1.1 close", HTTP11, true, 3, "close"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, addr := startServer(t, ServerConfig{})
			c := &Client{Config: ClientConfig{Addr: addr, Version: tc.version, NoKeepAlive: tc.noKeepAlive}}
			res, err := c.Fetch(testCtx(t, 5*time.Second), gets("/obj/a?size=100", "/obj/b?size=100", "/obj/c?size=100"), Strategy{Mode: PersistentSerial})
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			for _, r := range res {
				if got := r.Response.Header.Get("Connection"); got != tc.wantConnHdr {
					t.Errorf("request %d: Connection %q, want %q", r.Index, got, tc.wantConnHdr)
				}
				if r.Response.Minor != tc.version.Minor {
					t.Errorf("request %d: response version 1.%d, want 1.%d", r.Index, r.Response.Minor, tc.version.Minor)
				}
				if len(r.Response.Body) != 100 {
					t.Errorf("request %d: body %d bytes", r.Index, len(r.Response.Body))
				}
			}
			waitFor(t, "server closes", 3*time.Second, func() bool { return closedConns(s.Conns()) == tc.wantConns })
			conns := s.Conns()
			if len(conns) != tc.wantConns {
				t.Fatalf("server accepted %d connections, want %d", len(conns), tc.wantConns)
			}
			for _, rec := range conns {
				wantBy, wantReqs := ByPeer, 3
				if tc.wantConns == 3 {
					wantBy, wantReqs = ByLocal, 1
				}
				if rec.ClosedBy != wantBy || rec.Requests != wantReqs {
					t.Errorf("server conn %d: closed by %v after %d requests (%s), want %v after %d", rec.ID, rec.ClosedBy, rec.Requests, rec.Reason, wantBy, wantReqs)
				}
			}
			if got := len(c.Conns()); got != tc.wantConns {
				t.Errorf("client opened %d connections, want %d", got, tc.wantConns)
			}
		})
	}
}

// Keep-Alive: timeout=, max= are announced on HTTP/1.0 keep-alive responses
// with max counting down, the connection ends after max requests, and the
// client reads max and sends its last request without keep-alive.
func TestServerKeepAliveMax(t *testing.T) {
	s, addr := startServer(t, ServerConfig{MaxRequests: 3, IdleTimeout: 5 * time.Second})
	c := dialRaw(t, addr)
	want := []struct{ conn, ka string }{
		{"keep-alive", "timeout=5, max=2"},
		{"keep-alive", "timeout=5, max=1"},
		{"close", ""},
	}
	for i, w := range want {
		c.send("GET /obj/x HTTP/1.0", "Connection: keep-alive")
		resp := c.mustResponse("GET")
		if got := resp.Header.Get("Connection"); got != w.conn {
			t.Errorf("response %d: Connection %q, want %q", i+1, got, w.conn)
		}
		if got := resp.Header.Get("Keep-Alive"); got != w.ka {
			t.Errorf("response %d: Keep-Alive %q, want %q", i+1, got, w.ka)
		}
	}
	if err, _ := c.readEOF(2 * time.Second); err != nil {
		t.Fatalf("after max requests: %v, want EOF", err)
	}
	c.nc.Close()
	waitFor(t, "server record", 2*time.Second, func() bool { return closedConns(s.Conns()) == 1 })
	if rec := s.Conns()[0]; rec.Reason != ReasonMaxRequests || rec.ClosedBy != ByLocal || rec.Requests != 3 {
		t.Errorf("server record %+v", rec)
	}
	// The events of the connection, in time order, for a waterfall.
	wantEv := []EventKind{EventAccepted, EventRequestRead, EventResponseWritten, EventRequestRead, EventResponseWritten, EventRequestRead, EventResponseWritten, EventClosed}
	var got []EventKind
	var last time.Time
	for _, e := range s.Events() {
		got = append(got, e.Kind)
		if e.At.Before(last) {
			t.Errorf("event %v at %v before the previous one", e.Kind, e.At)
		}
		last = e.At
	}
	if !slices.Equal(got, wantEv) {
		t.Errorf("events %v, want %v", got, wantEv)
	}

	// The client honours max: five requests take two connections, and the
	// third request on the first one no longer asks for keep-alive.
	s2, addr2 := startServer(t, ServerConfig{MaxRequests: 3, IdleTimeout: 5 * time.Second})
	cl := &Client{Config: ClientConfig{Addr: addr2, Version: HTTP10}}
	res, err := cl.Fetch(testCtx(t, 5*time.Second), gets("/obj/1", "/obj/2", "/obj/3", "/obj/4", "/obj/5"), Strategy{Mode: PersistentSerial})
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	if hasToken(res[2].Sent, "Connection", "keep-alive") || !hasToken(res[1].Sent, "Connection", "keep-alive") {
		t.Errorf("sent headers: 2nd %v, 3rd %v", res[1].Sent, res[2].Sent)
	}
	if n := len(s2.Conns()); n != 2 {
		t.Errorf("server accepted %d connections, want 2", n)
	}
}

// The idle timeout closes a persistent connection gracefully after the
// configured time without a request; Keep-Alive announces it in seconds.
func TestServerIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	s, addr := startServer(t, ServerConfig{IdleTimeout: idle})
	c := dialRaw(t, addr)
	c.send("GET /obj/x HTTP/1.0", "Connection: keep-alive")
	resp := c.mustResponse("GET")
	if got := resp.Header.Get("Keep-Alive"); got != "timeout=1" {
		t.Errorf("Keep-Alive %q, want timeout=1", got)
	}
	err, took := c.readEOF(3 * time.Second)
	if err != nil {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	c.nc.Close()
	if took < idle-20*time.Millisecond || took > idle+500*time.Millisecond {
		t.Errorf("closed after %v idle, want about %v", took, idle)
	}
	waitFor(t, "server record", 2*time.Second, func() bool { return closedConns(s.Conns()) == 1 })
	if rec := s.Conns()[0]; rec.Reason != ReasonIdleTimeout || rec.ClosedBy != ByLocal || !rec.Graceful {
		t.Errorf("server record %+v", rec)
	}
}

// CloseAfter drops the connection after N responses with requests
// pipelined behind: with exact reads those requests are still in the
// kernel's queue, so an immediate close sends RST; a graceful close sends
// FIN and reads them away. Neither executes them.
func TestServerCloseAfterPipelined(t *testing.T) {
	cases := []struct {
		name      string
		mode      CloseMode
		wantReset bool
	}{
		{"immediate", CloseImmediate, true},
		{"graceful", CloseGraceful, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, addr := startServer(t, ServerConfig{CloseAfter: 1, ExactReads: true, CloseMode: tc.mode})
			c := dialRaw(t, addr)
			c.send("GET /obj/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /obj/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /obj/3 HTTP/1.1", "Host: x")
			resp := c.mustResponse("GET")
			if ok, _ := resp.KeepAlive(); !ok {
				t.Errorf("first response announces the close: %v", resp.Header)
			}
			_, err := c.response("GET")
			if tc.wantReset {
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("second response: %v, want ECONNRESET", err)
				}
			} else if err != io.EOF {
				t.Errorf("second response: %v, want EOF", err)
			}
			c.nc.Close()
			waitFor(t, "server record", 3*time.Second, func() bool { return closedConns(s.Conns()) == 1 })
			rec := s.Conns()[0]
			if rec.Reason != ReasonCloseAfter || rec.Requests != 1 {
				t.Errorf("record %+v", rec)
			}
			if tc.wantReset && rec.Unread <= 0 {
				t.Errorf("unread bytes at close %d, want > 0", rec.Unread)
			}
			if !tc.wantReset && (rec.Unread != 0 || rec.Drained == 0 || !rec.Graceful) {
				t.Errorf("graceful close: unread %d drained %d graceful %v", rec.Unread, rec.Drained, rec.Graceful)
			}
			if n := s.Executions("GET", "/obj/2") + s.Executions("GET", "/obj/3"); n != 0 {
				t.Errorf("pipelined requests executed %d times", n)
			}
		})
	}
}

// CloseIdle ends connections waiting for a request, and only those.
func TestServerCloseIdle(t *testing.T) {
	s, addr := startServer(t, ServerConfig{})
	idle := dialRaw(t, addr)
	idle.send("GET /obj/1 HTTP/1.1", "Host: x")
	idle.mustResponse("GET")
	busy := dialRaw(t, addr)
	busy.send("GET /obj/2?delay=300 HTTP/1.1", "Host: x")
	waitFor(t, "two requests", 2*time.Second, func() bool { return s.Executions("GET", "/obj/2?delay=300") == 1 })
	if n := s.CloseIdle(); n != 1 {
		t.Fatalf("CloseIdle chose %d connections, want 1", n)
	}
	if err, _ := idle.readEOF(2 * time.Second); err != nil {
		t.Errorf("idle connection: %v, want EOF", err)
	}
	if resp := busy.mustResponse("GET"); resp.Status != 200 {
		t.Errorf("busy connection got %d", resp.Status)
	}
	idle.nc.Close() // ends the server's drain phase
	waitFor(t, "server record", 2*time.Second, func() bool { return closedConns(s.Conns()) == 1 })
	recs := s.Conns()
	if recs[0].Reason != ReasonCloseIdle || recs[0].ClosedBy != ByLocal {
		t.Errorf("idle record %+v", recs[0])
	}
	if !recs[1].Closed.IsZero() {
		t.Errorf("busy connection closed: %+v", recs[1])
	}
}

// The scripted responses: a Content-Length larger than the body, chunked
// framing for HTTP/1.1 only, HEAD without a body.
func TestServerResponses(t *testing.T) {
	_, addr := startServer(t, ServerConfig{})

	c := dialRaw(t, addr)
	c.send("GET /obj/1?size=1000&short=300 HTTP/1.1", "Host: x")
	resp := c.mustResponse("GET")
	if !resp.Truncated || len(resp.Body) != 700 || resp.ContentLength != 1000 {
		t.Errorf("short body: truncated %v, %d of %d bytes", resp.Truncated, len(resp.Body), resp.ContentLength)
	}

	c = dialRaw(t, addr)
	c.send("GET /obj/1?size=5000&chunked=1 HTTP/1.1", "Host: x")
	resp = c.mustResponse("GET")
	if resp.Framing != httpwire.FramingChunked || len(resp.Body) != 5000 {
		t.Errorf("chunked: framing %v, %d bytes", resp.Framing, len(resp.Body))
	}
	c.send("HEAD /obj/1?size=5000 HTTP/1.1", "Host: x")
	resp = c.mustResponse("HEAD")
	if resp.Header.Get("Content-Length") != "5000" || len(resp.Body) != 0 {
		t.Errorf("HEAD: %v, %d body bytes", resp.Header, len(resp.Body))
	}

	c = dialRaw(t, addr)
	c.send("GET /obj/1?size=5000&chunked=1 HTTP/1.0")
	resp = c.mustResponse("GET")
	if resp.Framing != httpwire.FramingContentLength || len(resp.Body) != 5000 {
		t.Errorf("chunked to HTTP/1.0: framing %v, %d bytes", resp.Framing, len(resp.Body))
	}

	c = dialRaw(t, addr)
	c.send("GET /nothing HTTP/1.1", "Host: x")
	if resp = c.mustResponse("GET"); resp.Status != 404 {
		t.Errorf("unknown path: %d", resp.Status)
	}
}
