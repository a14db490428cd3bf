package experiment

import (
	"fmt"
	"sort"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
	"github.com/tcplab/tcplab/sockopt"
	"golang.org/x/sys/unix"
)

// closeWire is what the capture on the client's interface says about one
// connection of the close experiment.
type closeWire struct {
	found                  bool
	flow                   *analyze.Flow
	start                  time.Time // the SYN
	clientBytes            int       // distinct payload bytes, client → server
	serverBytes            int       // distinct payload bytes, server → client
	request                *analyze.Segment
	firstData, lastData    *analyze.Segment // server data: first, and the one with the highest byte
	clientFIN, serverFIN   *analyze.Segment // first FIN of each side
	clientRST, serverRST   *analyze.Segment // first RST of each side
	clientRSTs, serverRSTs int
	serverFINs             int
	dataAfterRST           int // server data segments after the server's first RST
	inOrder                int // server bytes contiguous from its first byte, before its RST
	haveISN                bool
	closer                 string
}

// observeClose finds run's connection among flows by the client's port and
// reads its close from the wire.
func observeClose(flows []*analyze.Flow, run *closeRun) closeWire {
	var w closeWire
	for _, f := range flows {
		if f.Client == run.cli.local && f.Server == run.server {
			w.flow = f
		}
	}
	if w.flow == nil {
		return w
	}
	f := w.flow
	w.found = true
	w.start = f.Segments[0].Time
	w.clientBytes, w.serverBytes = f.Bytes(true), f.Bytes(false)
	if req := f.Data(true); len(req) > 0 {
		w.request = &req[0]
	}
	var (
		base uint32 // sequence number of the first response byte
		high int64  // end of the highest response byte so far, from base
	)
	if hs, ok := f.Handshake(); ok {
		base, w.haveISN = hs.SYNACK.Seq+1, true
	}
	for i := range f.Segments {
		s := &f.Segments[i]
		fromClient := s.Src == f.Client
		if !fromClient && s.Payload > 0 {
			// lastData is the segment that carried the highest new byte:
			// a retransmission (a tail-loss probe, say) does not move it.
			if w.firstData == nil {
				w.firstData = s
				if !w.haveISN {
					base = s.Seq
				}
			}
			if end := int64(int32(s.Seq-base)) + int64(s.Payload); end > high {
				high, w.lastData = end, s
			}
			if w.serverRST != nil {
				w.dataAfterRST++
			}
		}
		if s.FIN {
			if fromClient && w.clientFIN == nil {
				w.clientFIN = s
			}
			if !fromClient {
				w.serverFINs++
				if w.serverFIN == nil {
					w.serverFIN = s
				}
			}
		}
		if s.RST {
			if fromClient {
				w.clientRSTs++
				if w.clientRST == nil {
					w.clientRST = s
				}
			} else {
				w.serverRSTs++
				if w.serverRST == nil {
					w.serverRST = s
				}
			}
		}
	}
	w.closer = f.Teardown().ActiveCloser
	w.inOrder = closeInOrder(f, base, w.serverRST)
	return w
}

// closeInOrder counts the server's payload bytes that reached the capture
// contiguously from base (the byte after the server's ISN) before stop (nil:
// to the end): what the client's kernel could queue for reading. Bytes past
// a hole wait in the out-of-order queue and are never readable if the
// connection dies first.
func closeInOrder(f *analyze.Flow, base uint32, stop *analyze.Segment) int {
	type span struct{ a, b int64 }
	var spans []span
	for _, s := range f.Data(false) {
		if stop != nil && s.Index > stop.Index {
			break
		}
		a := int64(int32(s.Seq - base))
		spans = append(spans, span{a, a + int64(s.Payload)})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a < spans[j].a })
	var next int64
	for _, sp := range spans {
		if sp.a > next {
			break
		}
		next = max(next, sp.b)
	}
	return int(next)
}

// closeBefore reports whether a was captured before b; false if either is nil.
func closeBefore(a, b *analyze.Segment) bool {
	return a != nil && b != nil && a.Index < b.Index
}

var closeModeTitle = map[string]string{
	modeHalfClose: "the client half-closes after its request",
	modeReset:     "the server closes with a request unread",
	modeGraceful:  "the server shuts down its output and drains its input before closing",
}

// annotateClose writes what the experiment read from each packet into its
// pcapng comment.
func annotateClose(pkts []capture.Packet, run *closeRun) {
	w := run.wire
	if !w.found {
		return
	}
	note := func(s *analyze.Segment, format string, args ...any) {
		if s != nil && s.Index >= 0 && s.Index < len(pkts) {
			pkts[s.Index].Comment = fmt.Sprintf("%s: ", run.mode) + fmt.Sprintf(format, args...)
		}
	}
	at := func(s *analyze.Segment) string { return fmtMs(ms(s.Time.Sub(w.start))) }
	note(&w.flow.Segments[0], "SYN — a new connection for this mode (%s)", closeModeTitle[run.mode])
	switch run.mode {
	case modeHalfClose:
		note(w.request, "request (%d bytes), then shutdown(SHUT_WR)", w.request.Payload)
		note(w.clientFIN, "FIN — client half-closes (shutdown SHUT_WR) at %s: its output is done, it can still read", at(w.clientFIN))
		note(w.firstData, "first response byte at %s, after the client's FIN: the other direction is still open", at(w.firstData))
		note(w.serverFIN, "FIN — server closes after the whole response (%d bytes on the wire)", w.serverBytes)
	case modeReset:
		note(w.request, "two pipelined requests (%d bytes); the server will read only the first (%d bytes)",
			w.request.Payload, run.srv.requestRead)
		note(w.lastData, "last response byte to reach the client (%d bytes on the wire of %d written); this data sits unread in the client's receive queue",
			w.serverBytes, run.srv.responseSent)
		note(w.serverRST, "RST — server close(2)d with %d unread request bytes (SIOCINQ); %d response bytes still queued were discarded",
			run.srv.unreadAtClose, run.srv.notsentAtClose)
	case modeGraceful:
		note(w.request, "two pipelined requests (%d bytes); the server answers the first and keeps reading", w.request.Payload)
		note(w.serverFIN, "FIN — server shutdown(SHUT_WR) after the response; it keeps reading until the client's FIN")
		note(w.clientFIN, "FIN — client closes after reading the whole response (%d bytes); the server drained %d bytes and closes",
			run.cli.responseReceived, run.srv.drained)
	}
}

// check compares the three modes' wire and kernel witnesses with C34/C35.
func (c *Close) check(r *Result, p Plan, runs []*closeRun, linkDrops int) {
	byMode := map[string]*closeRun{}
	for _, run := range runs {
		byMode[run.mode] = run
		c.metrics(r, run)
	}
	hc, rs, gr := byMode[modeHalfClose], byMode[modeReset], byMode[modeGraceful]
	r.Model = fmt.Sprintf("TCP carries one byte stream each way. shutdown(SHUT_WR) sends FIN and ends only the "+
		"sender's output; close(2) ends both, and when the closer's receive queue still holds unread bytes Linux "+
		"sends RST instead of FIN (tcp.c __tcp_close), discarding whatever it had not yet transmitted. Here the "+
		"response is %d bytes (more than the initial window of 10 segments), so a server that closes right after "+
		"write(2) has most of it still queued. Graceful close — shut down the output, read until the peer's FIN, "+
		"then close — leaves nothing unread and delivers all %d bytes. The unprefixed metrics are the reset mode's.",
		hc.responseLength, hc.responseLength)

	// (1) Half-close.
	hw := hc.wire
	r.Check("halfclose-client-fin-first",
		"C34: shutdown() closes one direction: the client's FIN goes out first and the response still flows the other way",
		"client FIN before the first response byte; server FIN with or after the last; no RST; client in FIN_WAIT1/2 after shutdown, server in CLOSE_WAIT at EOF",
		fmt.Sprintf("wire: client FIN %s first response byte, server FIN %s last byte, %d RST; kernel: client %v after shutdown, server %v at EOF",
			closeOrder(hw.clientFIN, hw.firstData), closeOrder(hw.serverFIN, hw.lastData), hw.clientRSTs+hw.serverRSTs,
			hc.cli.stateAfterShutdown, hc.srv.stateAfterEOF),
		hw.found && closeBefore(hw.clientFIN, hw.firstData) && closeEndsData(hw.serverFIN, hw.lastData) &&
			hw.clientRSTs+hw.serverRSTs == 0 &&
			(hc.cli.stateAfterShutdown == sockopt.StateFinWait1 || hc.cli.stateAfterShutdown == sockopt.StateFinWait2) &&
			hc.srv.stateAfterEOF == sockopt.StateCloseWait)
	r.Check("halfclose-response-complete",
		"C34: after a half-close the client still reads the whole response, to EOF",
		fmt.Sprintf("client read = server wrote = bytes on the wire = %d, ending in EOF", hc.responseLength),
		fmt.Sprintf("server wrote %d, wire %d, client read %d (%s), tcpi_bytes_received %d; the server's close(2) found %d bytes not yet sent and, with nothing unread, still delivered them before its FIN",
			hc.srv.responseSent, hw.serverBytes, hc.cli.responseReceived, closeEnd(hc.cli), hc.cli.infoAfterRead, hc.srv.notsentAtClose),
		hc.srv.responseSent == hc.responseLength && hw.serverBytes == hc.srv.responseSent &&
			hc.cli.responseReceived == hc.srv.responseSent && hc.cli.eof && hc.cli.complete)
	r.Check("halfclose-first-closer-holds-timewait",
		"C34: the side that closed its output first (the client) ends in TIME_WAIT",
		"wire: first FIN from the client; census: 1 TIME_WAIT socket for the connection in the client's namespace, 0 in the server's",
		fmt.Sprintf("wire: first closer %q; census: client %d, server %d", hw.closer, hc.cli.timeWait, hc.srv.timeWait),
		hw.closer == "client" && hc.cli.timeWait == 1 && hc.srv.timeWait == 0)

	// (2) Reset on unread data.
	w := rs.wire
	second := len(rs.requests[1])
	r.Check("reset-rst-on-unread",
		"C34: closing with unread input makes the kernel send RST, not FIN",
		fmt.Sprintf("server's SIOCINQ = %d (the second request) at close(2); TCPAbortOnClose +1; the server sends RST and no FIN; no TIME_WAIT on either side", second),
		fmt.Sprintf("SIOCINQ %d, TCPAbortOnClose +%d; wire: %d RST (the first from close(2), any others answer the client's ACKs to a socket that no longer exists) and %d FIN from the server, first closer %q; census: client %d, server %d TIME_WAIT",
			rs.srv.unreadAtClose, rs.srv.abortOnClose, w.serverRSTs, w.serverFINs, w.closer, rs.cli.timeWait, rs.srv.timeWait),
		w.found && rs.srv.unreadAtClose == second && rs.srv.abortOnClose == 1 && w.serverRSTs >= 1 && w.serverFINs == 0 &&
			w.closer == "server" && rs.cli.timeWait == 0 && rs.srv.timeWait == 0)
	r.Check("reset-peer-gets-econnreset",
		"C34: the peer, still reading, gets ECONNRESET instead of EOF",
		"the client's read(2) ends with ECONNRESET; its socket is CLOSE before it reads",
		fmt.Sprintf("read ended with %s after %d bytes; state before the read %v", closeErrnoWord(rs.cli), rs.cli.responseReceived, rs.cli.stateBeforeRead),
		rs.cli.errno == unix.ECONNRESET && !rs.cli.eof && rs.cli.stateBeforeRead == sockopt.StateClose)
	lost := rs.srv.responseSent - rs.cli.responseReceived
	behindHole := w.serverBytes - w.inOrder // reached the client, stuck behind a lost segment
	onLink := rs.srv.responseSent - rs.srv.notsentAtClose - w.serverBytes
	accounted := onLink == 0
	if linkDrops > 0 {
		accounted = onLink >= 0 // some of what was sent may have been dropped by the link
	}
	r.Metric("reset_bytes_never_sent", float64(rs.srv.notsentAtClose))
	r.Metric("reset_bytes_behind_hole", float64(behindHole))
	r.Metric("reset_bytes_lost_on_link", float64(onLink))
	r.Check("reset-response-lost",
		"C34: after the RST the peer loses response data: it never gets what the server's kernel still held",
		fmt.Sprintf("client read < server wrote (%d); client read = the bytes that reached it in order; the %d bytes the server's kernel had not sent (tcpi_notsent_bytes at close) never cross the wire; no server data after its RST",
			rs.srv.responseSent, rs.srv.notsentAtClose),
		fmt.Sprintf("client read %d of %d (lost %d: %d never sent, %d sent but dropped by the link, %d behind a hole); in order on the wire %d of %d; %d server data segments after the RST; response complete %v",
			rs.cli.responseReceived, rs.srv.responseSent, lost, rs.srv.notsentAtClose, onLink, behindHole,
			w.inOrder, w.serverBytes, w.dataAfterRST, rs.cli.complete),
		w.found && lost > 0 && rs.srv.notsentAtClose > 0 && !rs.cli.complete && rs.cli.responseReceived == w.inOrder &&
			accounted && w.dataAfterRST == 0 && closeBefore(w.lastData, w.serverRST))
	r.Check("reset-data-arrived-before-rst",
		"C34: the response bytes had reached the client before the RST — they were in its receive queue when it read",
		"wire: every server data segment before the server's RST at the client's interface; kernel, once the RST is in: SIOCINQ = tcpi_bytes_received = the bytes that arrived in order",
		fmt.Sprintf("last data %s RST; SIOCINQ %d, tcpi_bytes_received %d, in order on the wire %d",
			closeOrder(w.lastData, w.serverRST), rs.cli.inqBeforeRead, rs.cli.infoBeforeRead, w.inOrder),
		closeBefore(w.lastData, w.serverRST) && rs.cli.paused && rs.cli.inqBeforeRead == w.inOrder &&
			int(rs.cli.infoBeforeRead) == w.inOrder)
	if kept := rs.cli.responseReceived; rs.cli.inqBeforeRead > 0 && kept == rs.cli.inqBeforeRead {
		r.Finding("Linux does not flush the receive queue on RST (net/ipv4/tcp_input.c tcp_reset purges only the write queue): "+
			"the %d bytes queued when the RST arrived were still read, and only then came ECONNRESET. The %d bytes never sent "+
			"were discarded by the server's kernel (tcpi_notsent_bytes at close); stacks that discard the receive buffer on RST "+
			"lose more (RFC 9112 §9.6).", kept, rs.srv.notsentAtClose)
	}
	if behindHole > 0 {
		r.Explain("%d response bytes reached the client's interface but waited behind a lost segment in the out-of-order queue; "+
			"the server, already closed, never retransmitted, and the RST made them unreadable.", behindHole)
	}

	// (3) Graceful close.
	g := gr.wire
	r.Check("graceful-no-rst",
		"C35: graceful close — output shut first, input drained to the peer's FIN — ends with FINs, no RST",
		"server FIN with or after its last data byte, client FIN after it, no RST; server drained the second request to EOF with nothing unread at close; TCPAbortOnClose +0; the server holds TIME_WAIT",
		fmt.Sprintf("wire: server FIN %s last data, server FIN %s client FIN, %d RST; server drained %d bytes (EOF %v), SIOCINQ %d, TCPAbortOnClose +%d; census: server %d, client %d TIME_WAIT",
			closeOrder(g.serverFIN, g.lastData), closeOrder(g.serverFIN, g.clientFIN), g.clientRSTs+g.serverRSTs,
			gr.srv.drained, gr.srv.drainEOF, gr.srv.unreadAtClose, gr.srv.abortOnClose, gr.srv.timeWait, gr.cli.timeWait),
		g.found && closeEndsData(g.serverFIN, g.lastData) && closeBefore(g.serverFIN, g.clientFIN) && g.clientRSTs+g.serverRSTs == 0 &&
			gr.srv.drained == len(gr.requests[1]) && gr.srv.drainEOF && gr.srv.unreadAtClose == 0 && gr.srv.abortOnClose == 0 &&
			gr.srv.timeWait == 1 && gr.cli.timeWait == 0)
	r.Check("graceful-delivers-everything",
		"C35: graceful close delivers the whole response, where closing with unread data lost part of it",
		fmt.Sprintf("client read = server wrote = wire = %d, ending in EOF; the same request pair under reset delivered less", gr.responseLength),
		fmt.Sprintf("graceful: server wrote %d, wire %d, client read %d (%s); reset: client read %d",
			gr.srv.responseSent, g.serverBytes, gr.cli.responseReceived, closeEnd(gr.cli), rs.cli.responseReceived),
		gr.srv.responseSent == gr.responseLength && g.serverBytes == gr.srv.responseSent &&
			gr.cli.responseReceived == gr.srv.responseSent && gr.cli.eof && gr.cli.complete &&
			rs.cli.responseReceived < gr.cli.responseReceived)

	r.Explain("shutdown(SHUT_WR) sends a FIN and closes only your output: the peer sees EOF, answers, and you keep reading — a half-close.")
	r.Explain("close(2) with unread bytes in the receive queue makes Linux answer with RST at once, dropping whatever it had not yet sent; the peer's next read fails with ECONNRESET.")
	r.Explain("An HTTP server that closes after a response must expect pipelined requests it has not read: shut down the output, read until the client's FIN, then close (§4.7.3.3).")
	r.Explain("Open the pcapng in Wireshark: each packet's comment says what the experiment read from it.")
}

// metrics records one mode's numbers, prefixed with the mode; the reset
// mode's are also recorded without a prefix.
func (c *Close) metrics(r *Result, run *closeRun) {
	rst := 0.0
	if run.wire.clientRSTs+run.wire.serverRSTs > 0 {
		rst = 1
	}
	m := map[string]float64{
		"response_bytes_sent":     float64(run.srv.responseSent),
		"response_bytes_received": float64(run.cli.responseReceived),
		"response_bytes_wire":     float64(run.wire.serverBytes),
		"response_bytes_lost":     float64(run.srv.responseSent - run.cli.responseReceived),
		"rst_seen":                rst,
		"rst_count":               float64(run.wire.clientRSTs + run.wire.serverRSTs),
		"fin_count":               float64(run.wire.serverFINs + closeFinCount(run.wire.clientFIN)),
		"client_errno":            float64(run.cli.errno),
		"server_unread_at_close":  float64(run.srv.unreadAtClose),
		"server_notsent_at_close": float64(run.srv.notsentAtClose),
		"server_abort_on_close":   float64(run.srv.abortOnClose),
		"client_timewait":         float64(run.cli.timeWait),
		"server_timewait":         float64(run.srv.timeWait),
	}
	if run.cli.paused {
		m["client_inq_before_read"] = float64(run.cli.inqBeforeRead)
		m["client_tcpinfo_bytes_received"] = float64(run.cli.infoBeforeRead)
		m["client_buffer_bytes_lost"] = float64(run.cli.inqBeforeRead - min(run.cli.responseReceived, run.cli.inqBeforeRead))
	}
	if run.mode == modeGraceful {
		m["server_drained_bytes"] = float64(run.srv.drained)
	}
	for k, v := range m {
		r.Metric(run.mode+"_"+k, v)
		if run.mode == modeReset {
			r.Metric(k, v)
		}
	}
}

func closeFinCount(s *analyze.Segment) int {
	if s == nil {
		return 0
	}
	return 1
}

// closeOrder says whether a came before, with or after b on the wire.
func closeOrder(a, b *analyze.Segment) string {
	switch {
	case a == nil || b == nil:
		return "(missing)"
	case a.Index < b.Index:
		return "before"
	case a.Index == b.Index:
		return "with"
	default:
		return "after"
	}
}

// closeEnd says how the client's read ended.
func closeEnd(cs closeClientSide) string {
	if cs.eof {
		return "EOF"
	}
	return closeErrnoWord(cs)
}

func closeErrnoWord(cs closeClientSide) string {
	if cs.errno == 0 {
		if cs.eof {
			return "EOF"
		}
		return "no error"
	}
	return fmt.Sprintf("%s (errno %d)", unix.ErrnoName(cs.errno), int(cs.errno))
}

// closeEndsData reports whether fin comes with or after the last data
// segment last (a FIN is often piggybacked on it); false if either is nil.
func closeEndsData(fin, last *analyze.Segment) bool {
	return fin != nil && last != nil && fin.Index >= last.Index
}
