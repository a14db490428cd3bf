package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/timewait"
	"golang.org/x/sys/unix"
)

// closeRun is one connection of the close experiment: what each end's
// application did and what each end's kernel said, and later the wire.
type closeRun struct {
	mode           string
	server         netip.AddrPort
	requests       [][]byte // what the client sends, in one write
	srv            closeServerSide
	cli            closeClientSide
	wire           closeWire
	responseLength int // header and body of the server's response
}

// closeServerSide is the server's view of one connection.
type closeServerSide struct {
	peer           netip.AddrPort
	requestRead    int              // bytes read before answering
	stateAfterEOF  sockopt.TCPState // halfclose: state once read returned 0
	responseSent   int              // bytes write(2) accepted
	drained        int              // graceful: bytes read after shutdown(SHUT_WR)
	drainEOF       bool             // graceful: the drain ended at the peer's FIN
	unreadAtClose  int              // SIOCINQ just before close(2)
	notsentAtClose int              // TCP_INFO tcpi_notsent_bytes just before close(2)
	outqAtClose    int              // SIOCOUTQ just before close(2)
	abortOnClose   int64            // TcpExt TCPAbortOnClose increase across close(2)
	timeWait       int              // census: TIME_WAIT sockets of this 4-tuple after close
}

// closeClientSide is the client's view of one connection.
type closeClientSide struct {
	local              netip.AddrPort
	requestSent        int
	stateAfterShutdown sockopt.TCPState // halfclose
	paused             bool             // waited ReadDelay before reading
	inqBeforeRead      int              // SIOCINQ after the pause
	infoBeforeRead     uint64           // TCP_INFO tcpi_bytes_received after the pause
	stateBeforeRead    sockopt.TCPState
	responseReceived   int // bytes read(2) returned
	errno              syscall.Errno
	eof                bool
	infoAfterRead      uint64 // tcpi_bytes_received at the end
	complete           bool   // the response parsed whole (httpwire)
	timeWait           int    // census: TIME_WAIT sockets of this 4-tuple after the read
}

// drive runs one mode: a listener in the server namespace, one connection
// from the client namespace, both ends on raw sockets.
func (c *Close) drive(ctx context.Context, b *Bench, p Plan, mode string, port uint16) (*closeRun, error) {
	run := &closeRun{mode: mode, server: netip.AddrPortFrom(b.ServerAddr, port)}
	timeout := 10*time.Second + 20*p.RTT
	host := run.server.String()
	run.requests = append(run.requests, closeRequest(host, mode, 1))
	if mode != modeHalfClose {
		run.requests = append(run.requests, closeRequest(host, mode, 2))
	}
	resp := closeResponse(c.ResponseSize)
	run.responseLength = len(resp)

	var lfd int
	err := b.Server.Do(func() error {
		var err error
		lfd, err = closeListen(p, run.server, timeout, 4*len(resp))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("server listen: %w", err)
	}
	defer unix.Close(lfd)
	srvDone := make(chan error, 1)
	go func() {
		srvDone <- b.Server.Do(func() error { return closeServe(lfd, mode, resp, timeout, &run.srv) })
	}()
	cliErr := b.Client.Do(func() error { return c.client(ctx, p, run, timeout) })
	if cliErr != nil {
		unix.Shutdown(lfd, unix.SHUT_RD) // wakes accept(2) if the client never came
	}
	srvErr := <-srvDone
	if cliErr != nil {
		return nil, fmt.Errorf("client: %w", cliErr)
	}
	if srvErr != nil {
		return nil, fmt.Errorf("server: %w", srvErr)
	}
	return run, nil
}

// closeRequest is request n of a connection: a GET with no body.
func closeRequest(host, mode string, n int) []byte {
	req := &httpwire.Request{
		Method: "GET", Target: "/" + mode + "/" + strconv.Itoa(n), Major: 1, Minor: 1,
		Header: httpwire.Header{{Name: "Host", Value: host}},
	}
	var buf bytes.Buffer
	if err := httpwire.NewWriter(&buf).WriteRequest(req); err != nil {
		panic("close: format request: " + err.Error()) // a fixed, valid request
	}
	return buf.Bytes()
}

// closeResponse is the server's one answer: size body bytes, Connection:
// close (the server ends the connection after it).
func closeResponse(size int) []byte {
	resp := &httpwire.Response{
		Major: 1, Minor: 1, Status: 200, Reason: "OK",
		Header:  httpwire.Header{{Name: "Connection", Value: "close"}, {Name: "Content-Type", Value: "application/octet-stream"}},
		Body:    bytes.Repeat([]byte{'x'}, size),
		Framing: httpwire.FramingContentLength, ContentLength: int64(size),
	}
	var buf bytes.Buffer
	if err := httpwire.NewWriter(&buf).WriteResponse(resp); err != nil {
		panic("close: format response: " + err.Error())
	}
	return buf.Bytes()
}

// closeListen opens the server's raw listener: socket(2), the plan's
// congestion control, a send buffer large enough that the response's
// write(2) never blocks (sndbuf bytes; 0 leaves the kernel's autotuning),
// bind(2), listen(2). Accepted sockets inherit it all.
func closeListen(p Plan, addr netip.AddrPort, timeout time.Duration, sndbuf int) (fd int, err error) {
	fd, err = sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		return -1, err
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	if err := controlRawFD(fd, addr, pinned(p)); err != nil {
		return -1, err
	}
	if sndbuf > 0 {
		if err := sockopt.SetSendBuffer(sockopt.FD(fd), sndbuf); err != nil {
			return -1, err
		}
	}
	if err := setRawTimeouts(fd, timeout); err != nil {
		return -1, err
	}
	if err := sockopt.Bind(fd, addr); err != nil {
		return -1, err
	}
	return fd, sockopt.Listen(fd, 8)
}

// rawControl runs a Control (the one net.Dialer would run) on a raw socket.
func controlRawFD(fd int, addr netip.AddrPort, ctl sockopt.Control) error {
	rc, err := sockopt.FD(fd).SyscallConn()
	if err != nil {
		return err
	}
	return ctl("tcp4", addr.String(), rc)
}

// closeServe accepts one connection and ends it the way mode says. It runs
// inside the server namespace, so the MIB counters and the census it reads
// are the server's.
func closeServe(lfd int, mode string, resp []byte, timeout time.Duration, s *closeServerSide) error {
	fd, peer, err := sockopt.Accept(lfd)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if !closed {
			unix.Close(fd)
		}
	}()
	s.peer = peer
	if err := setRawTimeouts(fd, timeout); err != nil {
		return err
	}
	local, err := sockopt.LocalAddr(fd)
	if err != nil {
		return err
	}
	before, err := netstatCounters()
	if err != nil {
		return err
	}
	if mode == modeHalfClose {
		n, eof, err := closeReadAll(fd, nil)
		s.requestRead = n
		if err != nil || !eof {
			return fmt.Errorf("read request to EOF: %d bytes, %w", n, closeErrOr(err, "no EOF"))
		}
		info, err := sockopt.GetTCPInfo(sockopt.FD(fd))
		if err != nil {
			return err
		}
		s.stateAfterEOF = info.State
	} else {
		head, err := closeReadHead(fd)
		s.requestRead = len(head)
		if err != nil {
			return fmt.Errorf("read the first request: %w", err)
		}
	}
	n, err := closeWriteAll(fd, resp)
	s.responseSent = n
	if err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	if mode == modeGraceful {
		if err := sockopt.Shutdown(fd, sockopt.ShutWrite); err != nil {
			return err
		}
		n, eof, err := closeReadAll(fd, nil)
		s.drained, s.drainEOF = n, eof
		if err != nil {
			return fmt.Errorf("drain after shutdown: %w", err)
		}
	}
	if s.unreadAtClose, err = sockInq(fd); err != nil {
		return err
	}
	if s.outqAtClose, err = sockOutq(fd); err != nil {
		return err
	}
	info, err := sockopt.GetTCPInfo(sockopt.FD(fd))
	if err != nil {
		return err
	}
	s.notsentAtClose = int(info.NotsentBytes)
	closed = true
	if err := sockopt.Close(fd); err != nil {
		return err
	}
	after, err := netstatCounters()
	if err != nil {
		return err
	}
	s.abortOnClose = after["TcpExt.TCPAbortOnClose"] - before["TcpExt.TCPAbortOnClose"]
	tw, err := timewait.Census()
	if err != nil {
		return err
	}
	s.timeWait = timewait.CountTimeWait(tw, local, peer)
	return nil
}

// client runs the client's side of run inside the client namespace.
func (c *Close) client(ctx context.Context, p Plan, run *closeRun, timeout time.Duration) error {
	cs := &run.cli
	fd, err := sockopt.Socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := controlRawFD(fd, run.server, pinned(p)); err != nil {
		return err
	}
	if err := setRawTimeouts(fd, timeout); err != nil {
		return err
	}
	if err := sockopt.Connect(fd, run.server); err != nil {
		return err
	}
	if cs.local, err = sockopt.LocalAddr(fd); err != nil {
		return err
	}
	out := bytes.Join(run.requests, nil)
	if cs.requestSent, err = closeWriteAll(fd, out); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	if run.mode == modeHalfClose {
		if err := sockopt.Shutdown(fd, sockopt.ShutWrite); err != nil {
			return err
		}
		info, err := sockopt.GetTCPInfo(sockopt.FD(fd))
		if err != nil {
			return err
		}
		cs.stateAfterShutdown = info.State
	} else {
		until := []sockopt.TCPState{sockopt.StateClose} // reset: the RST is in
		if run.mode == modeGraceful {
			until = nil // the FIN may wait for the client to read and open its window
		}
		if err := closeAwaitPeer(ctx, fd, c.readDelay(p), timeout, until...); err != nil {
			return err
		}
		cs.paused = true
		if cs.inqBeforeRead, err = sockInq(fd); err != nil {
			return err
		}
		info, err := sockopt.GetTCPInfo(sockopt.FD(fd))
		if err != nil {
			return err
		}
		cs.infoBeforeRead, cs.stateBeforeRead = info.BytesReceived, info.State
	}
	var got bytes.Buffer
	n, eof, rerr := closeReadAll(fd, &got)
	cs.responseReceived, cs.eof = n, eof
	if rerr != nil {
		if !errors.As(rerr, &cs.errno) {
			return fmt.Errorf("read response: %w", rerr)
		}
		if cs.errno == unix.EAGAIN {
			return fmt.Errorf("read response: timed out after %d bytes", n)
		}
	}
	if info, err := sockopt.GetTCPInfo(sockopt.FD(fd)); err == nil {
		cs.infoAfterRead = info.BytesReceived
	} else {
		return err
	}
	var resp httpwire.Response
	cs.complete = httpwire.NewReader(&got).ReadResponse(&resp, "GET") == nil && !resp.Truncated &&
		len(resp.Body) == int(resp.ContentLength)
	tw, err := timewait.Census()
	if err != nil {
		return err
	}
	cs.timeWait = timewait.CountTimeWait(tw, cs.local, run.server)
	return nil
}

// readHead reads one request head, byte by byte, up to and including the
// blank line, so that whatever follows stays in the kernel's receive queue.
func closeReadHead(fd int) ([]byte, error) {
	var head []byte
	b := make([]byte, 1)
	for len(head) < 16<<10 {
		n, err := closeReadFD(fd, b)
		if err != nil {
			return head, err
		}
		if n == 0 {
			return head, fmt.Errorf("EOF after %d bytes of the head", len(head))
		}
		head = append(head, b[0])
		if bytes.HasSuffix(head, []byte("\r\n\r\n")) {
			return head, nil
		}
	}
	return head, fmt.Errorf("request head longer than 16 KiB")
}

// readAll reads fd until EOF (eof true) or an error; it returns the bytes
// read and copies them to w when w is not nil.
func closeReadAll(fd int, w *bytes.Buffer) (n int, eof bool, err error) {
	buf := make([]byte, 64<<10)
	for {
		k, err := closeReadFD(fd, buf)
		if err != nil {
			return n, false, err
		}
		if k == 0 {
			return n, true, nil
		}
		n += k
		if w != nil {
			w.Write(buf[:k])
		}
	}
}

// readFD wraps read(2), retrying on EINTR.
func closeReadFD(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err // a bare Errno, so callers can compare it
		}
		return n, nil
	}
}

// writeAll wraps write(2) until b is written or an error comes.
func closeWriteAll(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := unix.Write(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, os.NewSyscallError("write", err)
		}
		n += k
	}
	return n, nil
}

// errOr returns err, or an error saying what when err is nil.
func closeErrOr(err error, what string) error {
	if err != nil {
		return err
	}
	return errors.New(what)
}

// closeAwaitPeer is the client's pause before reading: at least min, then,
// if states are given, until TCP_INFO shows one of them (CLOSE: the server's
// RST has arrived), so that a lost and retransmitted segment cannot make the
// client read too early; at most max.
func closeAwaitPeer(ctx context.Context, fd int, min, max time.Duration, states ...sockopt.TCPState) error {
	deadline := time.Now().Add(max)
	wait := min
	for {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(states) == 0 {
			return nil
		}
		info, err := sockopt.GetTCPInfo(sockopt.FD(fd))
		if err != nil {
			return err
		}
		if slices.Contains(states, info.State) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server's RST did not come within %v (state %v)", max, info.State)
		}
		wait = 5 * time.Millisecond
	}
}
