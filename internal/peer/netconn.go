package peer

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/sockopt"
)

// DialFunc opens a connection to addr ("host:port"). Experiments plug in
// dialers that run inside a lab namespace or set socket options.
type DialFunc func(ctx context.Context, addr string) (net.Conn, error)

// Dialer returns a DialFunc over sockopt.Dialer: TCP with Multipath TCP and
// Go's keepalive off, the controls run before connect(2).
func Dialer(ctl ...sockopt.Control) DialFunc {
	d := sockopt.Dialer(ctl...)
	return func(ctx context.Context, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", addr)
	}
}

// Listen opens a TCP listener on addr with sockopt.ListenConfig: Multipath
// TCP and Go's keepalive off, the controls run before bind(2).
func Listen(ctx context.Context, addr string, ctl ...sockopt.Control) (net.Listener, error) {
	return sockopt.ListenConfig(ctl...).Listen(ctx, "tcp", addr)
}

// CloseMode is how a program closes a connection it decided to end.
type CloseMode uint8

const (
	// CloseGraceful half-closes with shutdown(2) SHUT_WR (a FIN), reads and
	// discards the peer's input until EOF or the drain timeout, then calls
	// close(2): the graceful close of RFC 9112 §9.6.
	CloseGraceful CloseMode = iota
	// CloseImmediate calls close(2) at once. The kernel sends FIN, or RST
	// when unread input is still queued (ConnRecord.Unread > 0).
	CloseImmediate
	// CloseReset sets SO_LINGER {1, 0} and calls close(2): always RST, no
	// TIME_WAIT.
	CloseReset
)

// String returns "graceful", "immediate" or "reset".
func (m CloseMode) String() string {
	switch m {
	case CloseImmediate:
		return "immediate"
	case CloseReset:
		return "reset"
	}
	return "graceful"
}

// DefaultDrainTimeout bounds the read-until-EOF phase of a graceful close.
const DefaultDrainTimeout = 2 * time.Second

// closeResult is what finishConn learned while closing.
type closeResult struct {
	graceful bool
	drained  int64
	unread   int
	reset    bool
	peerEOF  bool // the drain phase saw the peer's FIN
}

// finishConn closes nc the way mode says. src is where the drain phase
// reads from (the connection itself: bytes an application buffer already
// holds are not in the kernel and do not matter for FIN vs RST).
func finishConn(nc net.Conn, mode CloseMode, drain time.Duration) closeResult {
	var res closeResult
	switch mode {
	case CloseGraceful:
		cw, ok := nc.(interface{ CloseWrite() error })
		if !ok || cw.CloseWrite() != nil {
			break
		}
		res.graceful = true
		if drain <= 0 {
			drain = DefaultDrainTimeout
		}
		_ = nc.SetReadDeadline(time.Now().Add(drain))
		n, err := io.Copy(io.Discard, nc)
		res.drained = n
		res.peerEOF = err == nil
	case CloseReset:
		if l, ok := nc.(interface{ SetLinger(int) error }); ok && l.SetLinger(0) == nil {
			res.reset = true
		}
	}
	res.unread = unreadBytes(nc)
	_ = nc.Close()
	return res
}

// apply copies a closeResult into a record.
func (res closeResult) apply(rec *ConnRecord) {
	rec.Graceful = res.graceful
	rec.Drained = res.drained
	rec.Unread = res.unread
	rec.Reset = res.reset
}

// closeConn closes nc with finishConn and completes its record rec: when,
// by whom, why, the error if any and what the close did; then it records
// EventClosed.
func (r *recorder) closeConn(rec *ConnRecord, nc net.Conn, mode CloseMode, drain time.Duration, by Closer, reason string, err error) {
	res := finishConn(nc, mode, drain)
	now := time.Now()
	r.update(rec, func(c *ConnRecord) {
		c.Closed, c.ClosedBy, c.Reason = now, by, reason
		if err != nil {
			c.Err = err.Error()
		}
		res.apply(c)
	})
	r.event(Event{At: now, Kind: EventClosed, Conn: rec.ID, Detail: reason})
}

// isTimeout reports whether err is a deadline or context expiry.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isReset reports whether err is a reset by the peer (ECONNRESET, or EPIPE on
// a write after the peer's RST).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// portOf returns the port of a host:port address, or 0.
func portOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// addrString formats a possibly nil address.
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// exactReader hands its reader's bytes on one at a time, so that a buffered
// parser above it consumes from the socket exactly the bytes of the messages
// it parses and leaves anything pipelined behind them in the kernel's
// receive queue. One read(2) per byte: meant for request headers of a few
// hundred bytes.
type exactReader struct{ r io.Reader }

func (e exactReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return e.r.Read(p[:1])
}

// recordingReader keeps a copy of every byte read through it.
type recordingReader struct {
	r   io.Reader
	buf []byte
}

func (t *recordingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}
