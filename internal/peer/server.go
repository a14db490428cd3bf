package peer

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// ServerConfig sets a Server's persistence policy and its scripted
// misbehaviour. The zero value is a well-behaved HTTP/1.1 server serving
// Objects with no idle timeout and no request limit.
type ServerConfig struct {
	// Handler answers each request; nil selects Objects.
	Handler Handler

	// IdleTimeout closes a connection that has waited this long for the
	// next request (0: never). When a response carries Connection:
	// keep-alive it is announced as Keep-Alive: timeout=N, N the timeout in
	// whole seconds rounded up (RFC 2068 §19.7.1.1).
	IdleTimeout time.Duration
	// MaxRequests ends a connection after that many requests (0: no
	// limit). The last response says Connection: close; keep-alive
	// responses announce the requests left as Keep-Alive: max=.
	MaxRequests int
	// NoKeepAlive makes every response end its connection (Connection:
	// close), as a server that does not agree to persistence.
	NoKeepAlive bool

	// ReadTimeout bounds the rest of a request once its first byte arrived
	// (default 10 s); WriteTimeout bounds the writing of a response (default
	// 10 s).
	ReadTimeout, WriteTimeout time.Duration

	// CloseMode is how the server closes the connections it decides to end;
	// DrainTimeout bounds the read-until-EOF phase of CloseGraceful.
	CloseMode    CloseMode
	DrainTimeout time.Duration
	// ExactReads reads requests one byte per read(2), so requests pipelined
	// behind the current one stay in the kernel's receive queue until they
	// are parsed. With CloseImmediate, a close with such requests pending
	// then sends RST (ConnRecord.Unread says how much was left).
	ExactReads bool

	// CloseAfter closes each connection right after its CloseAfter-th
	// response without announcing it (the response still says the
	// connection persists), even with requests pipelined behind: a server
	// that drops persistent connections at any time (RFC 9112 §9.5).
	CloseAfter int
}

// Server is an HTTP/1.0 and HTTP/1.1 server that keeps exact records: a
// ConnRecord per connection, an Event per step, and per request
// method+target the number of executions (requests handed to the Handler),
// so that a replayed request is visible.
type Server struct {
	Config ServerConfig

	once      sync.Once
	rec       recorder
	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	execs     map[string]int
	wg        sync.WaitGroup
	done      chan struct{}
}

func (s *Server) init() {
	s.once.Do(func() {
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[*serverConn]struct{})
		s.execs = make(map[string]int)
		s.done = make(chan struct{})
	})
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("peer: server closed")

// Serve accepts connections on ln and serves each in its own goroutine until
// ln fails or Close is called; then it returns ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			return err
		}
		now := time.Now()
		sc := &serverConn{s: s, nc: nc}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return ErrServerClosed
		}
		sc.rec = s.rec.newConn(addrString(nc.LocalAddr()), addrString(nc.RemoteAddr()), now)
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.rec.event(Event{At: now, Kind: EventAccepted, Conn: sc.rec.ID})
		go func() {
			defer s.wg.Done()
			sc.serve()
			s.mu.Lock()
			delete(s.conns, sc)
			s.mu.Unlock()
		}()
	}
}

// Close stops the listeners, closes every connection at once (close(2),
// recorded with ReasonShutdown) and waits for the connection goroutines.
func (s *Server) Close() error {
	s.init()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	for ln := range s.listeners {
		_ = ln.Close()
	}
	for sc := range s.conns {
		sc.abort()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// CloseIdle closes, with Config.CloseMode, every connection that has no
// request in progress — waiting for the first byte of its next request, or
// writing the last response (it then closes right after it) — as a server
// reclaiming idle connections does. A request that arrives while the close
// is under way is not executed. It returns the number of connections it
// chose.
func (s *Server) CloseIdle() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sc := range s.conns {
		if sc.markCloseIdle() {
			n++
		}
	}
	return n
}

// Conns returns a copy of the connection records, in accept order.
func (s *Server) Conns() []ConnRecord { return s.rec.connsCopy() }

// Events returns a copy of the events, in the order they happened.
func (s *Server) Events() []Event { return s.rec.eventsCopy() }

// ExecKey is the key of ExecutionCounts: the method, a space and the
// request target in origin form ("/obj/1?size=10").
func ExecKey(method, target string) string { return method + " " + originForm(target) }

// Executions returns how many times a request with this method and target
// was handed to the Handler.
func (s *Server) Executions(method, target string) int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.execs[ExecKey(method, target)]
}

// ExecutionCounts returns a copy of all execution counters by ExecKey.
func (s *Server) ExecutionCounts() map[string]int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.execs))
	for k, v := range s.execs {
		out[k] = v
	}
	return out
}

func (s *Server) countExecution(req *httpwire.Request) {
	s.mu.Lock()
	s.execs[ExecKey(req.Method, req.Target)]++
	s.mu.Unlock()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) handler() Handler {
	if s.Config.Handler != nil {
		return s.Config.Handler
	}
	return Objects
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
