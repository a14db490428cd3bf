package peer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// Version is an HTTP version; the zero value means "the default".
type Version struct{ Major, Minor int }

// The two versions the lab speaks.
var (
	HTTP10 = Version{1, 0}
	HTTP11 = Version{1, 1}
)

func (v Version) String() string { return fmt.Sprintf("HTTP/%d.%d", v.Major, v.Minor) }

// ClientConfig sets a Client's protocol, pool and retry policy. The zero
// value is an HTTP/1.1 client that asks for persistent connections, with no
// pool limits and up to 3 attempts for idempotent requests.
type ClientConfig struct {
	// Addr is the host:port used when a Request has none.
	Addr string
	// Dial opens connections; nil selects Dialer().
	Dial DialFunc

	// Version is the default request version (zero: HTTP/1.1).
	Version Version
	// NoKeepAlive asks for no persistence: HTTP/1.0 requests go without
	// Connection: keep-alive, HTTP/1.1 requests carry Connection: close.
	NoKeepAlive bool
	// ProxyConnection asks for HTTP/1.0 keep-alive with
	// Proxy-Connection: keep-alive instead of Connection, as browsers did
	// when talking to a proxy (the workaround of the chapter's §4.5).
	ProxyConnection bool
	// AbsoluteForm writes "http://host/path" request-targets, as sent to a
	// proxy (RFC 9112 §3.2.2).
	AbsoluteForm bool
	// Origin is the host[:port] named by the Host field and by absolute-form
	// targets (default: the address dialed). Set it when Addr is a proxy.
	Origin string
	// Header is added to every request, after Host and the persistence
	// fields and before the request's own fields.
	Header httpwire.Header

	// MaxConnsPerHost bounds the pool's open connections per address (0: no
	// bound); IdleTimeout closes a pooled connection unused that long (0:
	// only the server's Keep-Alive timeout, if it announced one);
	// MaxRequestsPerConn ends a connection after that many requests, the
	// last one carrying the close option (0: no bound).
	MaxConnsPerHost    int
	IdleTimeout        time.Duration
	MaxRequestsPerConn int

	// PipelineDepth bounds the requests outstanding on a pipelined
	// connection (0: no bound).
	PipelineDepth int

	// MaxAttempts bounds the tries of one request (default 3). Only a
	// request whose connection closed before a complete response is tried
	// again, and only when its method is idempotent (RFC 9110 §9.2.2) —
	// unless RetryAll, which retries every method, as a wrong client does.
	MaxAttempts int
	RetryAll    bool

	// ResponseTimeout bounds the wait for a response without progress, from
	// the later of its request's write and the previous response (0: the
	// context's deadline only).
	ResponseTimeout time.Duration
	// CloseWait is how long the client waits for the server's FIN after a
	// response that ends the connection before closing itself (default 1 s).
	CloseWait time.Duration
	// CloseMode and DrainTimeout say how the client closes connections it
	// ends itself.
	CloseMode    CloseMode
	DrainTimeout time.Duration
}

// Request is one request to fetch.
type Request struct {
	Addr    string // host:port; "" selects ClientConfig.Addr
	Method  string // "" selects GET
	Target  string // origin form, "/obj/1?size=100"
	Header  httpwire.Header
	Body    []byte
	Version Version // zero selects ClientConfig.Version
	// Close asks the server to end the connection after this response.
	Close bool
}

// Result is the outcome of one request of a Fetch.
type Result struct {
	Index    int
	Request  Request
	Response *httpwire.Response // the last response read, complete or truncated; nil if none
	Err      error              // nil, or wraps ErrConnClosed, ErrTruncated, ErrTimeout, a dial or protocol error
	// Cacheable: the response is complete and a cache could store it
	// (RFC 9111 §3). A truncated response never is (RFC 9112 §8).
	Cacheable bool
	// Persistent: the connection was kept for reuse after the response.
	Persistent bool
	// Sent is the header of the last attempt exactly as written.
	Sent     httpwire.Header
	Attempts []Timing
}

// Timing returns the Timing of the last attempt.
func (r *Result) Timing() Timing {
	if len(r.Attempts) == 0 {
		return Timing{}
	}
	return r.Attempts[len(r.Attempts)-1]
}

// Errors of a request, matched with errors.Is.
var (
	// ErrConnClosed: the connection ended (EOF or reset) before a complete
	// response: the client cannot know whether the server acted on the
	// request (RFC 9112 §9.3.1).
	ErrConnClosed = errors.New("peer: connection closed before a complete response")
	// ErrTruncated: the body ended before its Content-Length (or last
	// chunk). The connection is not reused and the response not cached.
	ErrTruncated = errors.New("peer: response body shorter than its declared length")
	// ErrTimeout: no response before ResponseTimeout or the context's end.
	ErrTimeout = errors.New("peer: response timed out")
)

// Client is an HTTP/1.x client with a connection pool per address, the
// fetch strategies of the chapter (serial, parallel, persistent,
// pipelined), a retry policy, and records: a Timing per attempt and a
// ConnRecord per connection.
type Client struct {
	Config ClientConfig

	once    sync.Once
	rec     recorder
	pool    *pool
	mu      sync.Mutex
	timings []Timing
	closers closeTracker
}

func (c *Client) init() {
	c.once.Do(func() { c.pool = &pool{c: c, hosts: map[string]*hostPool{}} })
}

// Fetch sends reqs with strategy s and returns one Result per request, in
// the order of reqs, and the first request error (nil when all succeeded).
// It returns after every connection it ended has been closed and recorded;
// persistent connections stay in the pool for the next Fetch.
func (c *Client) Fetch(ctx context.Context, reqs []Request, s Strategy) ([]Result, error) {
	c.init()
	queued := time.Now()
	jobs := make([]*job, len(reqs))
	for i, r := range reqs {
		jobs[i] = &job{res: Result{Index: i, Request: r}, queued: queued}
	}
	switch s.Mode {
	case SerialNew:
		for _, j := range jobs {
			c.run(ctx, j, true)
		}
	case ParallelNew:
		c.parallel(ctx, jobs, s.conns(), true)
	case PersistentSerial:
		for _, j := range jobs {
			c.run(ctx, j, false)
		}
	case PersistentParallel:
		c.parallel(ctx, jobs, s.conns(), false)
	case Pipelined:
		c.pipeline(ctx, jobs)
	default:
		return nil, fmt.Errorf("peer: fetch: unknown strategy %d", s.Mode)
	}
	c.closers.wait()
	out := make([]Result, len(jobs))
	var first error
	for i, j := range jobs {
		out[i] = j.res
		if first == nil && j.res.Err != nil {
			first = fmt.Errorf("request %d (%s %s): %w", i, j.method(), j.res.Request.Target, j.res.Err)
		}
	}
	return out, first
}

// Do sends one request over the pool (a persistent connection when one is
// idle) with the retry policy.
func (c *Client) Do(ctx context.Context, req Request) Result {
	c.init()
	j := &job{res: Result{Request: req}, queued: time.Now()}
	c.run(ctx, j, false)
	return j.res
}

// CloseIdle closes the pool's idle connections (recorded with
// ReasonCloseIdle) and returns how many it closed.
func (c *Client) CloseIdle() int {
	c.init()
	n := c.pool.closeIdle()
	c.closers.wait()
	return n
}

// Close closes the idle connections and waits until every close is
// recorded. Connections in use are not interrupted.
func (c *Client) Close() error {
	c.CloseIdle()
	return nil
}

// Conns returns a copy of the connection records, in dial order.
func (c *Client) Conns() []ConnRecord { return c.rec.connsCopy() }

// Timings returns a copy of the Timing of every attempt, in completion order.
func (c *Client) Timings() []Timing {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Timing(nil), c.timings...)
}

// job is one request in flight through a strategy.
type job struct {
	res    Result
	queued time.Time
	// uncertain counts the attempts that failed with the connection closed
	// before a complete response (the server may have acted on them).
	uncertain int
}

func (j *job) method() string {
	if j.res.Request.Method == "" {
		return "GET"
	}
	return j.res.Request.Method
}

func (j *job) attempt() int { return len(j.res.Attempts) + 1 }

func (j *job) newTiming() Timing {
	return Timing{Index: j.res.Index, Method: j.method(), Target: j.res.Request.Target, Attempt: j.attempt(), Queued: j.queued}
}

// record appends an attempt's Timing to the job and the client log.
func (c *Client) record(j *job, t Timing) {
	if t.Done.IsZero() {
		t.Done = time.Now()
	}
	j.res.Attempts = append(j.res.Attempts, t)
	c.mu.Lock()
	c.timings = append(c.timings, t)
	c.mu.Unlock()
}

// finishJob stores the outcome of a job's last attempt.
func (j *job) finish(resp *httpwire.Response, persistent bool, err error) {
	j.res.Response = resp
	j.res.Err = err
	j.res.Persistent = persistent
	j.res.Cacheable = err == nil && cacheable(j.method(), resp)
}

func (c *Client) addr(r *Request) string {
	if r.Addr != "" {
		return r.Addr
	}
	return c.Config.Addr
}

func (c *Client) version(r *Request) Version {
	switch {
	case r.Version != (Version{}):
		return r.Version
	case c.Config.Version != (Version{}):
		return c.Config.Version
	}
	return HTTP11
}

func (c *Client) maxAttempts() int {
	if c.Config.MaxAttempts > 0 {
		return c.Config.MaxAttempts
	}
	return 3
}

// run sends one job with its retries: on a new connection per attempt
// (fresh) or through the pool.
func (c *Client) run(ctx context.Context, j *job, fresh bool) {
	addr := c.addr(&j.res.Request)
	for {
		t := j.newTiming()
		var cc *clientConn
		var err error
		if fresh {
			cc, err = c.dial(ctx, addr, &t)
		} else {
			cc, err = c.pool.get(ctx, addr, j.uncertain > 0, &t)
		}
		if err != nil {
			t.Err = err.Error()
			c.record(j, t)
			j.finish(nil, false, err)
			return
		}
		wreq, wantKA := c.wire(&j.res.Request, cc, !fresh)
		j.res.Sent = wreq.Header
		resp, keep, err := c.exchange(ctx, cc, wreq, wantKA, &t, time.Time{})
		if fresh {
			c.retire(cc, closeReason(err))
			keep = false
		} else {
			c.pool.put(cc, keep, err)
		}
		if err != nil {
			t.Err = err.Error()
		}
		c.record(j, t)
		j.finish(resp, keep, err)
		if err == nil || !c.retryAfter(j, err) {
			return
		}
	}
}

// parallel runs jobs on k workers that take them in order.
func (c *Client) parallel(ctx context.Context, jobs []*job, k int, fresh bool) {
	next := make(chan *job)
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				c.run(ctx, j, fresh)
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}
