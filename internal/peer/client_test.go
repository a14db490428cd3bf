package peer

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"
)

// maxOverlap returns the largest number of attempts in progress at once,
// from their start (dial or write) to their end.
func maxOverlap(ts []Timing) int {
	type edge struct {
		at time.Time
		d  int
	}
	var es []edge
	for _, t := range ts {
		start := t.ConnStart
		if start.IsZero() {
			start = t.Written
		}
		es = append(es, edge{start, +1}, edge{t.Done, -1})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].at.Equal(es[j].at) {
			return es[i].d < es[j].d
		}
		return es[i].at.Before(es[j].at)
	})
	n, m := 0, 0
	for _, e := range es {
		n += e.d
		m = max(m, n)
	}
	return m
}

// Each strategy opens the connections it should, overlaps as much as it
// should, and gets every object.
func TestClientStrategies(t *testing.T) {
	const objects = 8
	var reqs []Request
	for i := range objects {
		reqs = append(reqs, Request{Target: fmt.Sprintf("/obj/%d?size=%d&delay=40", i, 1000+i)})
	}
	cases := []struct {
		s           Strategy
		conns       int
		overlap     int // the most attempts at once
		reused      int // attempts on a reused connection
		pipelinedGE int
	}{
		{Strategy{Mode: SerialNew}, objects, 1, 0, 0},
		{Strategy{Mode: ParallelNew, Conns: 4}, objects, 4, 0, 0},
		{Strategy{Mode: PersistentSerial}, 1, 1, objects - 1, 0},
		{Strategy{Mode: PersistentParallel, Conns: 3}, 3, 3, objects - 3, 0},
		{Strategy{Mode: Pipelined}, 1, objects - 1, objects - 1, objects - 2},
	}
	var elapsed = map[Mode]time.Duration{}
	for _, tc := range cases {
		t.Run(tc.s.String(), func(t *testing.T) {
			s, addr := startServer(t, ServerConfig{})
			c := &Client{Config: ClientConfig{Addr: addr}}
			start := time.Now()
			res, err := c.Fetch(testCtx(t, 10*time.Second), reqs, tc.s)
			elapsed[tc.s.Mode] = time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d objects in %v", tc.s, objects, elapsed[tc.s.Mode].Round(time.Millisecond))
			c.Close()
			var ts []Timing
			reused, pipelined := 0, 0
			for i, r := range res {
				if len(r.Response.Body) != 1000+i {
					t.Errorf("object %d: %d bytes, want %d", i, len(r.Response.Body), 1000+i)
				}
				tm := r.Timing()
				ts = append(ts, tm)
				if tm.Reused {
					reused++
				}
				if tm.Pipelined {
					pipelined++
				}
				if tm.Written.IsZero() || tm.FirstByte.Before(tm.Written) || tm.Done.Before(tm.FirstByte) {
					t.Errorf("object %d: timing out of order %+v", i, tm)
				}
			}
			if n := len(s.Conns()); n != tc.conns {
				t.Errorf("server accepted %d connections, want %d", n, tc.conns)
			}
			if n := len(c.Conns()); n != tc.conns {
				t.Errorf("client opened %d connections, want %d", n, tc.conns)
			}
			if got := maxOverlap(ts); got != tc.overlap && tc.s.Mode != Pipelined || tc.s.Mode == Pipelined && got < 2 {
				t.Errorf("at most %d requests at once, want %d", got, tc.overlap)
			}
			if reused != tc.reused {
				t.Errorf("%d requests on reused connections, want %d", reused, tc.reused)
			}
			if pipelined < tc.pipelinedGE {
				t.Errorf("%d pipelined requests, want at least %d", pipelined, tc.pipelinedGE)
			}
			for k, v := range s.ExecutionCounts() {
				if v != 1 {
					t.Errorf("%s executed %d times", k, v)
				}
			}
		})
	}
	if elapsed[ParallelNew] >= elapsed[SerialNew] {
		t.Errorf("parallel %v not faster than serial %v", elapsed[ParallelNew], elapsed[SerialNew])
	}
}

// A pipeline: the first request goes alone, the idempotent ones behind it
// are written before the earlier responses come back, a POST waits for an
// empty pipeline and goes alone, and responses are matched in order even
// when the first is the slowest.
func TestClientPipelineOrder(t *testing.T) {
	s, addr := startServer(t, ServerConfig{})
	reqs := []Request{
		{Target: "/obj/0?size=10"},
		{Target: "/obj/1?size=11&delay=80"},
		{Target: "/obj/2?size=12"},
		{Target: "/obj/3?size=13"},
		{Method: "POST", Target: "/obj/4?size=14", Body: []byte("form")},
		{Target: "/obj/5?size=15"},
		{Target: "/obj/6?size=16"},
	}
	c := &Client{Config: ClientConfig{Addr: addr}}
	res, err := c.Fetch(testCtx(t, 5*time.Second), reqs, Strategy{Mode: Pipelined})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for i, r := range res {
		if len(r.Response.Body) != 10+i {
			t.Errorf("response %d has %d bytes, want %d: out of order", i, len(r.Response.Body), 10+i)
		}
	}
	tm := func(i int) Timing { return res[i].Timing() }
	if tm(1).Written.Before(tm(0).Done) {
		t.Error("second request written before the connection proved persistent")
	}
	for _, i := range []int{2, 3} {
		if !tm(i).Written.Before(tm(1).Done) || !tm(i).Pipelined {
			t.Errorf("request %d not pipelined behind request 1", i)
		}
	}
	if tm(4).Written.Before(tm(3).Done) || tm(4).Pipelined {
		t.Error("POST pipelined")
	}
	if tm(5).Written.Before(tm(4).Done) {
		t.Error("request after the POST written before the POST's response")
	}
	if !tm(6).Written.Before(tm(5).Done) {
		t.Error("pipelining did not resume after the POST")
	}
	if n := len(s.Conns()); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// A server that drops the connection after two responses, with requests
// pipelined behind: the client reconnects and sends the unanswered ones
// again; each is executed exactly once.
func TestClientPipelineReconnect(t *testing.T) {
	s, addr := startServer(t, ServerConfig{CloseAfter: 2, ExactReads: true})
	c := &Client{Config: ClientConfig{Addr: addr}}
	targets := []string{"/obj/0", "/obj/1", "/obj/2", "/obj/3", "/obj/4"}
	res, err := c.Fetch(testCtx(t, 5*time.Second), gets(targets...), Strategy{Mode: Pipelined})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, tg := range targets {
		if n := s.Executions("GET", tg); n != 1 {
			t.Errorf("%s executed %d times, want 1", tg, n)
		}
	}
	if n := len(s.Conns()); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	if n := len(res[4].Attempts); n != 3 {
		t.Errorf("last request took %d attempts, want 3", n)
	}
	for _, a := range res[4].Attempts[:2] {
		if a.Err == "" {
			t.Errorf("failed attempt without an error: %+v", a)
		}
	}
}

// The retry policy on a reused connection the server closed while idle: the
// GET is sent again on a new connection, the POST is not (RFC 9112
// §9.3.1); the server's execution counters show it. RetryAll sends the
// POST again.
func TestClientRetryAfterIdleClose(t *testing.T) {
	cases := []struct {
		method   string
		retryAll bool
		wantErr  bool
		attempts int
	}{
		{"GET", false, false, 2},
		{"PUT", false, false, 2},
		{"POST", false, true, 1},
		{"POST", true, false, 2},
	}
	for _, tc := range cases {
		t.Run(tc.method+"/retryAll="+strconv.FormatBool(tc.retryAll), func(t *testing.T) {
			s, addr := startServer(t, ServerConfig{CloseMode: CloseImmediate})
			c := &Client{Config: ClientConfig{Addr: addr, RetryAll: tc.retryAll}}
			ctx := testCtx(t, 5*time.Second)
			if r := c.Do(ctx, Request{Target: "/obj/warm"}); r.Err != nil {
				t.Fatal(r.Err)
			}
			if n := s.CloseIdle(); n != 1 {
				t.Fatalf("CloseIdle: %d", n)
			}
			waitFor(t, "server close", 2*time.Second, func() bool { return closedConns(s.Conns()) == 1 })
			r := c.Do(ctx, Request{Method: tc.method, Target: "/obj/x", Body: []byte("data")})
			c.Close()
			if (r.Err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", r.Err, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(r.Err, ErrConnClosed) {
				t.Errorf("err %v, want ErrConnClosed", r.Err)
			}
			if len(r.Attempts) != tc.attempts {
				t.Errorf("%d attempts, want %d", len(r.Attempts), tc.attempts)
			}
			if !r.Attempts[0].Reused {
				t.Error("first attempt not on the reused connection")
			}
			want := 1
			if tc.wantErr {
				want = 0
			}
			if n := s.Executions(tc.method, "/obj/x"); n != want {
				t.Errorf("executed %d times, want %d", n, want)
			}
		})
	}
}

// A server that executes a POST and closes without answering: a correct
// client executes it once and reports the failure; a client that retries
// everything executes it twice — the double POST.
func TestClientDoublePost(t *testing.T) {
	for _, retryAll := range []bool{false, true} {
		t.Run("retryAll="+strconv.FormatBool(retryAll), func(t *testing.T) {
			s, addr := startServer(t, ServerConfig{})
			c := &Client{Config: ClientConfig{Addr: addr, RetryAll: retryAll, MaxAttempts: 2}}
			r := c.Do(testCtx(t, 5*time.Second), Request{Method: "POST", Target: "/obj/order?drop=1", Body: []byte("buy")})
			c.Close()
			if !errors.Is(r.Err, ErrConnClosed) {
				t.Errorf("err %v, want ErrConnClosed", r.Err)
			}
			want := 1
			if retryAll {
				want = 2
			}
			if n := s.Executions("POST", "/obj/order?drop=1"); n != want {
				t.Errorf("POST executed %d times, want %d", n, want)
			}
		})
	}
}

// A body shorter than its Content-Length is an error, the response is not
// cacheable and its connection is not reused; an idempotent request is
// retried.
func TestClientTruncation(t *testing.T) {
	s, addr := startServer(t, ServerConfig{})
	c := &Client{Config: ClientConfig{Addr: addr, MaxAttempts: 1}}
	ctx := testCtx(t, 5*time.Second)
	r := c.Do(ctx, Request{Target: "/obj/t?size=1000&short=100"})
	if !errors.Is(r.Err, ErrTruncated) {
		t.Fatalf("err %v, want ErrTruncated", r.Err)
	}
	if r.Cacheable || r.Persistent || r.Response == nil || !r.Response.Truncated || len(r.Response.Body) != 900 {
		t.Errorf("truncated result: cacheable %v persistent %v response %+v", r.Cacheable, r.Persistent, r.Response)
	}
	ok := c.Do(ctx, Request{Target: "/obj/ok?size=1000"})
	if ok.Err != nil || !ok.Cacheable || ok.Timing().Reused {
		t.Errorf("next request: err %v cacheable %v reused %v", ok.Err, ok.Cacheable, ok.Timing().Reused)
	}
	c.Close()
	if n := len(s.Conns()); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if rec := c.Conns()[0]; rec.ClosedBy != ByPeer || rec.Responses != 0 {
		t.Errorf("client record of the truncated connection %+v", rec)
	}

	c3 := &Client{Config: ClientConfig{Addr: addr, MaxAttempts: 3}}
	r = c3.Do(ctx, Request{Target: "/obj/t3?size=1000&short=1"})
	if !errors.Is(r.Err, ErrTruncated) || len(r.Attempts) != 3 {
		t.Errorf("err %v after %d attempts, want ErrTruncated after 3", r.Err, len(r.Attempts))
	}
	if n := s.Executions("GET", "/obj/t3?size=1000&short=1"); n != 3 {
		t.Errorf("executed %d times, want 3", n)
	}
}

// The pool bounds connections per host and closes idle ones after its idle
// timeout.
func TestClientPool(t *testing.T) {
	s, addr := startServer(t, ServerConfig{})
	c := &Client{Config: ClientConfig{Addr: addr, MaxConnsPerHost: 2, IdleTimeout: 150 * time.Millisecond}}
	var reqs []Request
	for i := range 6 {
		reqs = append(reqs, Request{Target: fmt.Sprintf("/obj/%d?delay=30", i)})
	}
	if _, err := c.Fetch(testCtx(t, 5*time.Second), reqs, Strategy{Mode: PersistentParallel, Conns: 4}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Conns()); n != 2 {
		t.Errorf("%d connections, want 2 (MaxConnsPerHost)", n)
	}
	waitFor(t, "idle timeout", 2*time.Second, func() bool { return closedConns(c.Conns()) == 2 })
	for _, rec := range c.Conns() {
		if rec.Reason != ReasonIdleTimeout || rec.ClosedBy != ByLocal || rec.Requests != 3 {
			t.Errorf("client record %+v", rec)
		}
	}
	waitFor(t, "server sees the close", 2*time.Second, func() bool { return closedConns(s.Conns()) == 2 })
	for _, rec := range s.Conns() {
		if rec.ClosedBy != ByPeer {
			t.Errorf("server record %+v", rec)
		}
	}
}
