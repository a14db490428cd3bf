package experiment

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/capture"
)

// lingerWire is what the capture on the client's link says about one
// variant's connection.
type lingerWire struct {
	found      bool
	fins, rsts int // both directions
	clientFINs int
	clientRSTs int
	clientFIN  *analyze.Segment // the client's first FIN
	clientRST  *analyze.Segment
	wireBytes  int // distinct payload bytes the client sent
	// finAfterData: the client's FIN sits right after the last byte
	// written (its sequence number is ISN + 1 + bytes written).
	finAfterData   bool
	zeroWindows    int              // server segments advertising window 0 before close()
	afterClose     int              // client data segments sent after close() returned
	firstAfter     *analyze.Segment // the first of them
	finAck         *analyze.Segment // the server's ACK of the client's FIN
	twHolder       string           // analyze.Teardown.TimeWaitHolder
	lastAck        *analyze.Segment // the closer's last ACK: TIME_WAIT begins
	serverFINFirst bool
}

// observeWire finds each variant's flow by its 4-tuple, reads the close
// from it and annotates the packets.
func (l *Linger) observeWire(runs []*lingerRun, pkts []capture.Packet) []lingerWire {
	segs, _ := analyze.Decode(Frames(pkts))
	flows := analyze.Flows(segs)
	out := make([]lingerWire, len(runs))
	for i, run := range runs {
		f := twFlowOf(flows, run.local, run.remote)
		if f == nil {
			continue
		}
		out[i] = lingerReadFlow(f, run, pkts)
	}
	return out
}

func lingerReadFlow(f *analyze.Flow, run *lingerRun, pkts []capture.Packet) lingerWire {
	w := lingerWire{found: true}
	td := f.Teardown()
	w.fins, w.rsts, w.twHolder = td.FINs, td.RSTs, td.TimeWaitHolder
	w.serverFINFirst = td.FirstFIN != nil && td.FirstFIN.Src == f.Server
	fins := twSegs(f, true, func(s *analyze.Segment) bool { return s.FIN })
	rsts := twSegs(f, true, func(s *analyze.Segment) bool { return s.RST })
	w.clientFINs, w.clientRSTs = len(fins), len(rsts)
	if len(fins) > 0 {
		w.clientFIN = fins[0]
	}
	if len(rsts) > 0 {
		w.clientRST = rsts[0]
	}
	w.wireBytes = f.Bytes(true)
	if hs, ok := f.Handshake(); ok && w.clientFIN != nil {
		end := w.clientFIN.Seq + uint32(w.clientFIN.Payload)
		w.finAfterData = int(end-(hs.SYN.Seq+1)) == run.written
	}
	w.zeroWindows = len(twSegs(f, false, func(s *analyze.Segment) bool {
		return s.Window == 0 && !s.RST && s.Time.Before(run.closeStart)
	}))
	after := twSegs(f, true, func(s *analyze.Segment) bool { return s.Payload > 0 && s.Time.After(run.closeEnd) })
	w.afterClose = len(after)
	if len(after) > 0 {
		w.firstAfter = after[0]
	}
	w.finAck = twFINAck(f, w.clientFIN)
	w.lastAck = twLastAck(f)

	closeMs := ms(run.closeBlock())
	switch run.variant {
	case lingerDefault:
		twNote(pkts, w.clientFIN, fmt.Sprintf("FIN — SO_LINGER %v: close() returned after %.1f ms; the kernel sends the data and this FIN in the background", run.got, closeMs))
		twNote(pkts, w.lastAck, fmt.Sprintf("last ACK — the client closed first and now holds TIME_WAIT (census: %.1f s left)", run.twClient.remaining.Seconds()))
	case lingerAbortive:
		twNote(pkts, w.clientRST, fmt.Sprintf("RST — SO_LINGER %v: close() aborts; %d bytes written, %d reached the wire, the peer read %d then %s; no TIME_WAIT",
			run.got, run.written, w.wireBytes, run.received, lingerErrName(run.peerErr)))
	case lingerTimeout:
		if zw := twSegs(f, false, func(s *analyze.Segment) bool { return s.Window == 0 && !s.RST }); len(zw) > 0 {
			twNote(pkts, zw[0], "window 0 — the server's application does not read; its receive buffer is full")
		}
		if w.firstAfter != nil {
			twNote(pkts, w.firstAfter, fmt.Sprintf("data from the orphan, %.0f ms after close() returned — SO_LINGER %v expired without a RST",
				ms(w.firstAfter.Time.Sub(run.closeEnd)), run.got))
		}
		if w.clientFIN != nil {
			twNote(pkts, w.clientFIN, fmt.Sprintf("FIN — after the last of %d bytes, %.0f ms after close() returned: the orphan closes normally", run.written, ms(w.clientFIN.Time.Sub(run.closeEnd))))
		}
	case lingerReader:
		if w.finAck != nil {
			twNote(pkts, w.finAck, fmt.Sprintf("ACK of the client's FIN — close() with SO_LINGER %v returned %.1f ms after this arrived, after blocking %.1f ms",
				run.got, ms(run.closeEnd.Sub(w.finAck.Time)), closeMs))
		}
	}
	return w
}

// check compares every variant with the model.
func (l *Linger) check(r *Result, p Plan, runs []*lingerRun, w []lingerWire) {
	d := l.effectiveLinger(p).Duration()
	rtt := ms(p.RTT)
	r.Model = fmt.Sprintf("close(2) by SO_LINGER mode. {0} (Default): returns at once (< 50 ms); FIN; the peer reads all "+
		"%d bytes, then EOF; the closer holds TIME_WAIT for 60 s. {1,0} (Abortive): returns at once; RST, no FIN; the "+
		"bytes still in the send queue (tcpi_notsent_bytes > 0) are never sent; the peer reads what had already "+
		"arrived, then ECONNRESET; no TIME_WAIT on either side. {1,%d} (Timeout %v) against a zero window: close blocks "+
		"%v (−10 ms, +500 ms), then the orphan delivers every byte once the peer reads, FIN last, no RST. {1,%d} against "+
		"a reader that closes at EOF: close blocks until the FIN's ACK, about one RTT (%.0f ms), not %v.",
		l.Payload, int(d.Seconds()), d, d, int(d.Seconds()), rtt, d)

	byName := map[string]int{}
	for i, run := range runs {
		byName[run.variant] = i
		pre := run.variant + "_"
		r.Metric(pre+"fin_count", float64(w[i].fins))
		r.Metric(pre+"rst_count", float64(w[i].rsts))
		r.Metric(pre+"timewait_sockets", float64(run.twClient.n+run.twServer.n))
		r.Metric(pre+"bytes_written", float64(run.written))
		r.Metric(pre+"bytes_received", float64(run.received))
		r.Metric(pre+"close_block_ms", ms(run.closeBlock()))
	}
	var fins, rsts, tws, written, received float64
	longest := 0.0
	for i, run := range runs {
		fins += float64(w[i].fins)
		rsts += float64(w[i].rsts)
		tws += float64(run.twClient.n + run.twServer.n)
		written += float64(run.written)
		received += float64(run.received)
		longest = math.Max(longest, ms(run.closeBlock()))
	}
	r.Metric("fin_count", fins)
	r.Metric("rst_count", rsts)
	r.Metric("timewait_sockets", tws)
	r.Metric("bytes_written", written)
	r.Metric("bytes_received", received)
	r.Metric("close_block_ms", longest)
	r.Metric("linger_s", d.Seconds())

	var readback []string
	allRead := len(runs) == 4
	for _, run := range runs {
		readback = append(readback, fmt.Sprintf("%s: set %v, read %v", run.variant, run.set, run.got))
		allRead = allRead && run.got == run.set
	}
	r.Check("linger-readback",
		"C11: SO_LINGER is set per socket, and the kernel holds the mode that was set",
		"getsockopt(SO_LINGER) returns each mode just before close()",
		strings.Join(readback, "; "), allRead)

	if i, ok := byName[lingerDefault]; ok {
		l.checkDefault(r, runs[i], w[i])
	}
	if i, ok := byName[lingerAbortive]; ok {
		l.checkAbortive(r, runs[i], w[i])
	}
	if i, ok := byName[lingerTimeout]; ok {
		l.checkTimeout(r, d, runs[i], w[i])
	}
	if i, ok := byName[lingerReader]; ok {
		l.checkReader(r, p, d, runs[i], w[i])
	}

	r.Finding("{1,N} is not \"close after N\": when N passes, close() returns 0 and the orphaned connection carries on — it still delivers the queued data and ends with FIN, never RST (net/core/stream.c sk_stream_wait_close). Here close blocked %.0f ms and the peer later read all %d bytes.",
		l.metric(r, lingerTimeout+"_close_block_ms"), int(l.metric(r, lingerTimeout+"_bytes_received")))
	r.Finding("The data {1,0} discards is the closer's send queue. Bytes that had already reached the peer's receive buffer stay readable there: the peer read %d bytes before ECONNRESET.",
		int(l.metric(r, lingerAbortive+"_bytes_received")))
	r.Finding("l_linger counts whole seconds: Timeout(d) is rounded up to %v.", d)
	r.Explain("close() on a TCP socket normally returns at once and the kernel finishes the job: it sends what is queued, then FIN, and the side that closed first keeps the 4-tuple in TIME_WAIT.")
	r.Explain("SO_LINGER {1,0} turns close() into an abort: the kernel throws away unsent data and sends RST, so nothing lingers — and the peer sees \"connection reset\".")
	r.Explain("SO_LINGER {1,N} only makes close() wait for the FIN's acknowledgement, at most N seconds; the connection itself ends the same way either way.")
	r.Explain("Open the pcapng in Wireshark: each packet's comment says what the experiment read from it.")
}

func (l *Linger) metric(r *Result, name string) float64 { return r.Metrics[name] }

func (l *Linger) checkDefault(r *Result, run *lingerRun, w lingerWire) {
	block := ms(run.closeBlock())
	eof := errors.Is(run.peerErr, io.EOF)
	r.Check("default-close-graceful",
		"C11: SO_LINGER {0} closes gracefully in the background: close() returns at once, FIN follows the data, the peer reads everything",
		fmt.Sprintf("close() < 50 ms; the client sends FIN and no RST; the peer reads all %d bytes, then EOF", run.written),
		fmt.Sprintf("close() took %.1f ms; client FINs %d, RSTs %d; the peer read %d bytes then %s",
			block, w.clientFINs, w.rsts, run.received, lingerErrName(run.peerErr)),
		w.found && block < 50 && w.clientFINs >= 1 && w.rsts == 0 && run.received == run.written && eof)
	rem := run.twClient.remaining.Seconds()
	r.Metric(lingerDefault+"_timewait_remaining_s", rem)
	r.Check("default-timewait-on-closer",
		"C10: after a graceful close the side that closed first holds the 4-tuple in TIME_WAIT (60 s on Linux)",
		"census: 1 TIME_WAIT entry on the client with 55–60 s left, none on the server; wire: the client's FIN came first and the close completed",
		fmt.Sprintf("client census %d entry (%.1f s left), server census %d; wire: TIME_WAIT holder %q",
			run.twClient.n, rem, run.twServer.n, w.twHolder),
		run.twClient.n == 1 && rem >= 55 && rem <= 60.01 && run.twServer.n == 0 && w.twHolder == "client")
}

func (l *Linger) checkAbortive(r *Result, run *lingerRun, w lingerWire) {
	block := ms(run.closeBlock())
	r.Check("abortive-rst-not-fin",
		"C11: SO_LINGER {1,0} closes abnormally: RST instead of FIN",
		"close() returns at once (< 50 ms); the client sends RST and no FIN",
		fmt.Sprintf("close() took %.1f ms; client RSTs %d, client FINs %d", block, w.clientRSTs, w.clientFINs),
		w.found && block < 50 && w.clientRSTs >= 1 && w.clientFINs == 0)
	reset := errors.Is(run.peerErr, syscall.ECONNRESET)
	discarded := run.written - w.wireBytes
	r.Metric(lingerAbortive+"_notsent_bytes", float64(run.notsent))
	r.Metric(lingerAbortive+"_wire_bytes", float64(w.wireBytes))
	r.Metric(lingerAbortive+"_discarded_bytes", float64(discarded))
	r.Check("abortive-discards-send-queue",
		"C11: SO_LINGER {1,0} discards the data still queued for sending",
		"tcpi_notsent_bytes > 0 at close(); fewer bytes on the wire than written; the peer reads fewer than written (at most what was on the wire), then ECONNRESET",
		fmt.Sprintf("wrote %d bytes; the kernel held %d unsent at close(); %d reached the wire (%d never sent); the peer (state %v after the RST) read %d, then %s",
			run.written, run.notsent, w.wireBytes, discarded, run.peerState, run.received, lingerErrName(run.peerErr)),
		w.found && run.notsent > 0 && w.wireBytes < run.written && run.received < run.written && run.received <= w.wireBytes && reset)
	r.Check("abortive-no-timewait",
		"C11: SO_LINGER {1,0} skips TIME_WAIT on both sides",
		"census: no TIME_WAIT entry for the 4-tuple on the client or the server, and no client socket of the 4-tuple in any state",
		fmt.Sprintf("client TIME_WAIT %d, server TIME_WAIT %d, client sockets of the 4-tuple in any state %d; wire RSTs %d",
			run.twClient.n, run.twServer.n, run.anyClient, w.rsts),
		w.found && w.rsts >= 1 && run.twClient.n == 0 && run.twServer.n == 0 && run.anyClient == 0)
}

func (l *Linger) checkTimeout(r *Result, d time.Duration, run *lingerRun, w lingerWire) {
	block := run.closeBlock()
	lo, hi := d-10*time.Millisecond, d+500*time.Millisecond
	r.Metric(lingerTimeout+"_zero_window_segments", float64(w.zeroWindows))
	r.Metric(lingerTimeout+"_notsent_bytes", float64(run.notsent))
	r.Check("timeout-blocks-d",
		fmt.Sprintf("C11: SO_LINGER {1,N} makes close() wait up to N (here %v) while the FIN cannot be acknowledged", d),
		fmt.Sprintf("the server advertises a zero window before close(); %d bytes still unsent; close() blocks %v (%v to %v)", run.notsent, d, lo, hi),
		fmt.Sprintf("%d zero-window segments from the server before close(); tcpi_notsent_bytes %d; close() blocked %.1f ms",
			w.zeroWindows, run.notsent, ms(block)),
		w.found && w.zeroWindows > 0 && run.notsent > 0 && block >= lo && block <= hi && run.closeErr == nil)
	eof := errors.Is(run.peerErr, io.EOF)
	finLate := w.clientFIN != nil && w.clientFIN.Time.After(run.closeEnd)
	r.Metric(lingerTimeout+"_segments_after_close", float64(w.afterClose))
	r.Check("timeout-orphan-continues",
		"C11: when N passes the connection is not reset: the orphan delivers the rest and closes with FIN",
		fmt.Sprintf("no RST; client data segments after close() returned; all %d bytes on the wire and read by the peer, then EOF; the FIN after the last byte", run.written),
		fmt.Sprintf("RSTs %d; %d data segments after close(); %d bytes on the wire, the peer read %d then %s; FIN after close() %v, right after the data %v",
			w.rsts, w.afterClose, w.wireBytes, run.received, lingerErrName(run.peerErr), finLate, w.finAfterData),
		w.found && w.rsts == 0 && w.afterClose > 0 && w.wireBytes == run.written && run.received == run.written && eof && finLate && w.finAfterData)
	r.Check("timeout-orphan-timewait",
		"C10: the orphan, which closed first, still ends in TIME_WAIT",
		"census: 1 TIME_WAIT entry on the client for the 4-tuple, none on the server",
		fmt.Sprintf("client %d (%.1f s left), server %d; wire: TIME_WAIT holder %q", run.twClient.n, run.twClient.remaining.Seconds(), run.twServer.n, w.twHolder),
		run.twClient.n == 1 && run.twServer.n == 0 && w.twHolder == "client")
}

func (l *Linger) checkReader(r *Result, p Plan, d time.Duration, run *lingerRun, w lingerWire) {
	block := run.closeBlock()
	lo := p.RTT - p.RTT/10 - time.Millisecond
	hi := min(d/2, p.RTT+p.RTT/5+100*time.Millisecond)
	gap := time.Duration(math.MaxInt64)
	if w.finAck != nil {
		gap = run.closeEnd.Sub(w.finAck.Time)
	}
	if w.finAck != nil {
		r.Metric(lingerReader+"_fin_ack_to_return_ms", ms(gap))
	}
	r.Check("timeout-returns-on-fin-ack",
		"C11: SO_LINGER {1,N} blocks only until the FIN is acknowledged",
		fmt.Sprintf("close() blocks about one RTT (%v to %v, far less than %v) and returns within 25 ms of the peer's ACK of the FIN arriving", lo, hi, d),
		fmt.Sprintf("close() blocked %.1f ms; it returned %.1f ms after the FIN's ACK arrived; the peer read %d of %d bytes then %s",
			ms(block), ms(gap), run.received, run.written, lingerErrName(run.peerErr)),
		w.found && w.finAck != nil && block >= lo && block <= hi && gap >= -time.Millisecond && gap <= 25*time.Millisecond &&
			run.received == run.written && errors.Is(run.peerErr, io.EOF))
}
