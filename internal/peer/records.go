package peer

import (
	"sync"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// Closer says which end of a connection closed it first, from the point of
// view of the program that keeps the record.
type Closer uint8

const (
	// ByNone: the connection is still open.
	ByNone Closer = iota
	// ByLocal: this program decided to close (it sent the first FIN or RST).
	ByLocal
	// ByPeer: the other end closed first (this program read EOF or got a
	// reset before it decided to close).
	ByPeer
)

// String returns "open", "local" or "peer".
func (c Closer) String() string {
	switch c {
	case ByLocal:
		return "local"
	case ByPeer:
		return "peer"
	}
	return "open"
}

// Close reasons recorded in ConnRecord.Reason.
const (
	ReasonPeerEOF       = "peer-eof"           // read EOF between messages
	ReasonPeerReset     = "peer-reset"         // ECONNRESET from the peer
	ReasonNotPersistent = "not-persistent"     // the message said the connection ends (HTTP/1.0, Connection: close)
	ReasonMaxRequests   = "max-requests"       // the per-connection request limit was reached
	ReasonIdleTimeout   = "idle-timeout"       // no request (server) or no use (client pool) for the idle timeout
	ReasonCloseIdle     = "close-idle"         // Server.CloseIdle or Client.CloseIdle
	ReasonCloseAfter    = "close-after"        // scripted: unannounced close after N responses
	ReasonShortBody     = "short-body"         // scripted: Content-Length larger than the body sent
	ReasonDrop          = "drop"               // scripted: executed, then closed without a response
	ReasonBrokenPeer    = "closed-mid-message" // the peer closed before a complete message
	ReasonTimeout       = "timeout"            // a deadline or context expired
	ReasonError         = "error"              // I/O or protocol error (see Err)
	ReasonShutdown      = "shutdown"           // the program itself was closed
	ReasonUpstream      = "upstream-closed"    // proxy: the upstream connection ended
)

// ConnRecord describes one TCP connection as seen by one program. Times are
// wall-clock with Go's monotonic reading, comparable across records of the
// same process.
type ConnRecord struct {
	ID            uint64
	Local, Remote string // addresses as host:port
	LocalPort     int

	Opened    time.Time // accept(2) returned (server) or dialing began (client)
	Connected time.Time // connect(2) completed (client); equal to Opened on a server
	Closed    time.Time // close(2) returned; zero while open

	Requests  int // requests read (server) or written (client)
	Responses int // responses written in full (server) or read in full (client)

	ClosedBy Closer
	Reason   string // one of the Reason* constants
	Err      string // the error behind ReasonError, ReasonPeerReset, ReasonTimeout

	// Graceful: the closer half-closed first (shutdown(2) SHUT_WR, a FIN) and
	// then read the peer's input until EOF or a deadline (RFC 9112 §9.6).
	Graceful bool
	// Drained counts the bytes read and discarded after the half-close.
	Drained int64
	// Unread is the number of bytes left in the kernel's receive queue when
	// close(2) was called (ioctl SIOCINQ); when it is above zero Linux sends
	// RST instead of FIN and the peer may lose data (RFC 2525 §2.17). -1 when
	// the socket could not be queried.
	Unread int
	// Reset: the socket was closed with SO_LINGER {1, 0}, which always sends
	// RST.
	Reset bool
}

// EventKind names a server-side moment for waterfall pictures.
type EventKind uint8

const (
	EventAccepted        EventKind = iota + 1 // accept(2) returned
	EventRequestRead                          // a whole request was read
	EventResponseWritten                      // a response was written and flushed
	EventDropped                              // a request was read but not answered
	EventClosed                               // close(2) returned
)

// String returns a short lower-case name.
func (k EventKind) String() string {
	switch k {
	case EventAccepted:
		return "accepted"
	case EventRequestRead:
		return "request-read"
	case EventResponseWritten:
		return "response-written"
	case EventDropped:
		return "dropped"
	case EventClosed:
		return "closed"
	}
	return "event"
}

// Event is one timestamped moment in a server's (or proxy's) life.
type Event struct {
	At     time.Time
	Kind   EventKind
	Conn   uint64 // ConnRecord.ID
	Seq    int    // request number on the connection, from 1; 0 for accept/close
	Method string
	Target string
	Status int
	Detail string // close reason, or what was dropped
}

// Timing is the life of one attempt of one request on the client: the data
// of a waterfall row. A request retried after a failure has one Timing per
// attempt. Zero times mean the step did not happen.
type Timing struct {
	Index          int // position in the Fetch list
	Method, Target string
	Attempt        int // 1 for the first try

	Queued    time.Time // Fetch was called
	ConnStart time.Time // dialing began (zero on a reused connection)
	Connected time.Time // the connection was established (zero on a reused connection)
	Written   time.Time // the request was written and flushed
	FirstByte time.Time // the first byte of the response was read
	Done      time.Time // the response was complete, or the attempt failed

	Conn      uint64 // ConnRecord.ID of the connection used
	LocalPort int
	Reused    bool // the connection had carried an earlier request
	Pipelined bool // written while an earlier response on the connection was outstanding

	Status    int
	BodyBytes int
	Err       string
}

// Forward records one request a proxy sent upstream: the header exactly as
// forwarded, so that hop-by-hop fields that leaked can be listed with
// httpwire.HopByHop.
type Forward struct {
	At             time.Time
	Conn           uint64 // client-side ConnRecord.ID
	Upstream       uint64 // upstream ConnRecord.ID, 0 when unknown
	Method, Target string
	Header         httpwire.Header
}

// Names returns the field names of the forwarded header in order.
func (f Forward) Names() []string {
	names := make([]string, len(f.Header))
	for i, fl := range f.Header {
		names[i] = fl.Name
	}
	return names
}

// recorder is the mutex-protected store of records shared by the programs.
type recorder struct {
	mu       sync.Mutex
	nextID   uint64
	conns    []*ConnRecord
	events   []Event
	forwards []Forward
}

// newConn registers a connection record and returns it; the caller updates it
// only through update.
func (r *recorder) newConn(local, remote string, opened time.Time) *ConnRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	rec := &ConnRecord{ID: r.nextID, Local: local, Remote: remote, LocalPort: portOf(local), Opened: opened, Connected: opened, Unread: -1}
	r.conns = append(r.conns, rec)
	return rec
}

// update runs f on rec under the lock.
func (r *recorder) update(rec *ConnRecord, f func(*ConnRecord)) {
	r.mu.Lock()
	f(rec)
	r.mu.Unlock()
}

func (r *recorder) event(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) forward(f Forward) {
	r.mu.Lock()
	r.forwards = append(r.forwards, f)
	r.mu.Unlock()
}

func (r *recorder) connsCopy() []ConnRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ConnRecord, len(r.conns))
	for i, c := range r.conns {
		out[i] = *c
	}
	return out
}

func (r *recorder) eventsCopy() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *recorder) forwardsCopy() []Forward {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Forward, len(r.forwards))
	for i, f := range r.forwards {
		f.Header = f.Header.Clone()
		out[i] = f
	}
	return out
}
