package experiment

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tcplab/tcplab/sockopt"
	"github.com/tcplab/tcplab/tfo"
)

// tfoTolerance is the tolerance of the timing claims at a given RTT (ms):
// 8 % of the RTT, at least 3 ms (a few 4 ms ticks of a loaded machine).
func tfoTolerance(rtt float64) float64 { return tolerance(rtt, 0.08, 3) }

// tfoModel is the model's first-byte times in ms: a plain connection and
// the cookie-fetching first one pay the handshake and then the request's
// round trip (2 RTT); a connection whose SYN carries cookie and request
// gets the response after one RTT. The saving is one RTT.
func tfoModel(rtt float64) (plain, first, fastOpen, saved float64) {
	return 2 * rtt, 2 * rtt, rtt, rtt
}

// tfoTiming is one group's first-byte times: the client's clock, the
// network part read from the captures, and the hosts' processing between.
type tfoTiming struct {
	clock, network, host []float64 // ms, one per connection
	timed                int       // connections whose captures allowed the decomposition
}

func tfoTimes(conns []*tfoConn, wire []tfoWireConn) tfoTiming {
	var t tfoTiming
	for i, c := range conns {
		t.clock = append(t.clock, ms(c.ttfb()))
		if x := wire[i]; x.timed() {
			t.timed++
			t.network = append(t.network, ms(x.network()))
			t.host = append(t.host, ms(c.ttfb()-x.network()))
		}
	}
	return t
}

// check compares the clocks, both captures and the kernel with the model.
func (e *FastOpen) check(r *Result, p Plan, run *tfoRun, w tfoWire) {
	rtt := ms(p.RTT)
	tol := tfoTolerance(rtt)
	mPlain, mFirst, mTFO, mSaved := tfoModel(rtt)
	later := run.fastOpen[1:]
	wFirst := w.fastOpen[0]
	reqLen := len(later[0].request)

	r.Model = fmt.Sprintf("Without Fast Open a request on a new connection waits for the handshake (1 RTT) and then "+
		"its own round trip: first response byte after 2 RTT = %.1f ms, plus the hosts' processing. With "+
		"net.ipv4.tcp_fastopen=3 and a listener with TCP_FASTOPEN, connection 1 sends an empty cookie option "+
		"(kind 34), gets a cookie (8 bytes on Linux) in the SYN/ACK and sends its request after the handshake: 2 RTT, "+
		"nothing saved. Connections 2…%d send the cookie and the request (%d bytes) in the SYN; the server accepts "+
		"the data at once, its SYN/ACK acknowledges it and the response follows in the same flight: first byte "+
		"after 1 RTT = %.1f ms, %.1f ms saved per connection. The round trips are checked on the wire (SYN → first "+
		"response byte, less the time each host spent between receiving and sending, read from captures at both "+
		"ends), ±%.1f ms.", mPlain, e.Connections, reqLen, mTFO, mSaved, tol)

	plain := tfoTimes(run.plain, w.plain)
	fast := tfoTimes(later, w.fastOpen[1:])
	first := tfoTimes(run.fastOpen[:1], w.fastOpen[:1])
	var wireRTTs, synData, serverMs []float64
	for _, x := range w.fastOpen[1:] {
		synData = append(synData, float64(x.synData))
	}
	for _, x := range append(append([]tfoWireConn(nil), w.fastOpen...), w.plain...) {
		if x.handshake {
			wireRTTs = append(wireRTTs, ms(x.rtt))
		}
		if x.srvFound {
			serverMs = append(serverMs, ms(x.serverTime))
		}
	}
	ttfbPlain, ttfbTFO, ttfbFirst := median(plain.clock), median(fast.clock), median(first.clock)
	netPlain, netTFO, netFirst := median(plain.network), median(fast.network), median(first.network)
	saved, savedNet := ttfbPlain-ttfbTFO, netPlain-netTFO
	r.Metric("ttfb_plain_ms", ttfbPlain)
	r.Metric("ttfb_tfo_ms", ttfbTFO)
	r.Metric("ttfb_first_ms", ttfbFirst)
	r.Metric("saved_ms", saved)
	r.Metric("saved_rtt", saved/rtt)
	r.Metric("net_plain_ms", netPlain)
	r.Metric("net_tfo_ms", netTFO)
	r.Metric("net_first_ms", netFirst)
	r.Metric("saved_net_ms", savedNet)
	r.Metric("host_plain_ms", median(plain.host))
	r.Metric("host_tfo_ms", median(fast.host))
	r.Metric("server_ms", median(serverMs))
	r.Metric("syn_data_bytes", median(synData))
	r.Metric("request_bytes", float64(reqLen))
	r.Metric("cookie_len", float64(len(wFirst.cookieGranted)))
	r.Metric("wire_rtt_ms", median(wireRTTs))
	r.Metric("connections", float64(e.Connections))

	e.checkSetup(r, run)
	e.checkFirst(r, run, wFirst)
	e.checkLater(r, run, w, reqLen)
	e.checkCounters(r, run)

	timing := func(name, claim string, t tfoTiming, want float64, what string) {
		r.Check(name, claim,
			fmt.Sprintf("%s: SYN → first response byte less host processing = %s ± %.1f ms (median of %d)", what, fmtMs(want), tol, len(t.clock)),
			fmt.Sprintf("median %s on the wire (%s); the client's clock: TTFB %s, of which %s host processing",
				fmtMs(median(t.network)), tfoFmtList(t.network), fmtMs(median(t.clock)), fmtMs(median(t.host))),
			t.timed == len(t.clock) && within(median(t.network), want, tol))
	}
	r.Check("first-saves-nothing", "C6: the first connection saves nothing (it only fetches the cookie)",
		fmt.Sprintf("TFO #1: SYN → first response byte less host processing ≥ 2 RTT − %.1f ms = %s, no faster than a plain connection",
			tol, fmtMs(mFirst-tol)),
		fmt.Sprintf("%s on the wire (plain median %s); the client's clock: TTFB %s, of which %s host processing",
			fmtMs(netFirst), fmtMs(netPlain), fmtMs(ttfbFirst), fmtMs(median(first.host))),
		first.timed == 1 && netFirst >= mFirst-tol)
	timing("ttfb-plain-two-rtt", "C6: without Fast Open a request on a new connection gets its first response byte after 2 RTT (handshake, then request)",
		plain, mPlain, fmt.Sprintf("%d plain connections: 2 RTT", len(run.plain)))
	timing("ttfb-tfo-one-rtt", "C6: with a cookie the request rides in the SYN and the first response byte comes after 1 RTT",
		fast, mTFO, fmt.Sprintf("connections 2…%d: 1 RTT", e.Connections))
	r.Check("saves-one-rtt",
		"C6: later Fast Open connections reach the first response byte about one RTT sooner",
		fmt.Sprintf("network part of TTFB, plain − Fast Open = 1 RTT = %s ± %.1f ms", fmtMs(mSaved), tol),
		fmt.Sprintf("saved %s on the wire (%.2f RTT); on the client's clock %s − %s = %s",
			fmtMs(savedNet), savedNet/rtt, fmtMs(ttfbPlain), fmtMs(ttfbTFO), fmtMs(saved)),
		plain.timed == len(plain.clock) && fast.timed == len(fast.clock) && within(savedNet, mSaved, tol))

	e.findings(r, run, w)

	r.Explain("Fast Open trades a cookie for a round trip: the server proves, with a cookie it issued on an earlier connection, that the client's address is real, so it may act on data before the handshake completes.")
	r.Explain("Connection 1 only fetches the cookie (the client caches it per server in tcp_metrics); from connection 2 the request is in the SYN and the response comes back one RTT after the SYN instead of two.")
	r.Explain("Both client interfaces do the same on the wire: TCP_FASTOPEN_CONNECT makes connect(2) return at once and puts the first write in the SYN; sendto(2) with MSG_FASTOPEN connects and sends in one call.")
	r.Explain("The client's clock adds the hosts' own delays (scheduling, the server's work); the captures at both ends separate them from the round trips. Open the pcapng (and the -server one) in Wireshark: each SYN and SYN/ACK says what it carries.")
}

// checkSetup: the kernel's preconditions, read back.
func (e *FastOpen) checkSetup(r *Result, run *tfoRun) {
	ok := run.modeErr == nil && run.clientMode&tfo.Client != 0 && run.serverMode&tfo.Server != 0 &&
		run.qlenErr == nil && run.qlen == e.QueueLen
	obs := fmt.Sprintf("client tcp_fastopen %v, server %v, listener TCP_FASTOPEN %d", run.clientMode, run.serverMode, run.qlen)
	if run.modeErr != nil || run.qlenErr != nil {
		obs += fmt.Sprintf(" (errors: %v, %v)", run.modeErr, run.qlenErr)
	}
	r.Check("fastopen-enabled",
		"C6: Fast Open needs the sysctl bits (client 0x1, server 0x2) and the server's TCP_FASTOPEN",
		fmt.Sprintf("read back in the namespaces: client has 0x1, server has 0x2; getsockopt TCP_FASTOPEN on the listener = %d", e.QueueLen),
		obs, ok)
}

// checkFirst: connection 1 fetches the cookie and saves nothing.
func (e *FastOpen) checkFirst(r *Result, run *tfoRun, w tfoWireConn) {
	c := run.fastOpen[0]
	cl := len(w.cookieGranted)
	flush, flushOK := "cookie cache flushed", true
	switch {
	case errors.Is(run.flushErr, os.ErrPermission):
		// tcp_metrics is a GENL_ADMIN_PERM family: CAP_NET_ADMIN in the
		// initial user namespace. The lab's namespace is new, so its
		// cache holds no cookie; the SYN below is the witness.
		flush = "flush not permitted in this user namespace (the lab's namespace is new, its cache empty)"
	case run.flushErr != nil:
		flush, flushOK = "flush failed: "+run.flushErr.Error(), false
	}
	ok := flushOK && w.handshake && w.cookieReq && w.synData == 0 && cl >= 4 && cl <= 16 && w.reqAfterHS
	r.Check("first-asks-for-cookie",
		"C6: the client's first SYN asks for a cookie, the SYN-ACK returns it, the request goes after the handshake",
		"after a flush of the cookie cache, TFO #1: SYN with an empty TFO option and no data; SYN/ACK with a 4–16-byte cookie; request in a later segment",
		fmt.Sprintf("%s; %s: SYN cookie request %v, SYN data %d B; SYN/ACK cookie %d B %s; request after the handshake %v",
			flush, tfoLabel(c), w.cookieReq, w.synData, cl, hex.EncodeToString(w.cookieGranted), w.reqAfterHS),
		ok)

	acc := run.accepts[c.local]
	r.Check("first-kernel-no-cookie",
		"C6: the kernel agrees that connection 1 had no cookie to use",
		"client tcpi_fastopen_client_fail = TFO_COOKIE_UNAVAILABLE, no TCPI_OPT_SYN_DATA; the server accepted it without SYN data",
		fmt.Sprintf("client fastopen_client_fail %v, SYN_DATA %v%s; server SYN_DATA %v",
			c.info.ClientFail, c.info.SynData, tfoErrText(c.infoErr), acc.synData),
		c.infoErr == nil && c.info.ClientFail == sockopt.FastOpenFailCookieUnavailable && !c.info.SynData && acc.err == nil && !acc.synData)
}

// checkLater: connections 2…N carry cookie and request in the SYN, the
// SYN/ACK acknowledges it, the server answers at once; the plain ones do
// none of this.
func (e *FastOpen) checkLater(r *Result, run *tfoRun, w tfoWire, reqLen int) {
	granted := w.fastOpen[0].cookieGranted
	styles := map[tfoStyle][2]int{} // style → {SYNs with cookie and request, connections}
	var bad []string
	acked, kernelOK, srvOK, firstFlight := 0, 0, 0, 0
	var leads, kparts []string
	synRecv := 0
	for i, c := range run.fastOpen[1:] {
		x := w.fastOpen[i+1]
		s := styles[c.style]
		s[1]++
		carries := x.handshake && x.reqInSYN && x.synData == len(c.request) && len(granted) > 0 && bytes.Equal(x.cookieSent, granted)
		if carries {
			s[0]++
		} else {
			bad = append(bad, fmt.Sprintf("%s: SYN data %d B of %d, cookie %x", tfoLabel(c), x.synData, len(c.request), x.cookieSent))
		}
		styles[c.style] = s
		if x.synAckAcksData {
			acked++
		}
		if c.infoErr == nil && c.info.SynData && c.info.ClientFail == sockopt.FastOpenFailUnspec {
			kernelOK++
		} else {
			kparts = append(kparts, fmt.Sprintf("%s: SYN_DATA %v, fail %v%s", tfoLabel(c), c.info.SynData, c.info.ClientFail, tfoErrText(c.infoErr)))
		}
		acc := run.accepts[c.local]
		if acc.err == nil && acc.synData {
			srvOK++
		}
		if acc.state == sockopt.StateSynRecv {
			synRecv++
		}
		if x.srvFound && x.srvRespBeforeACK {
			firstFlight++
		}
		leads = append(leads, fmt.Sprintf("%.2f", ms(x.srvLead)))
	}
	n := len(run.fastOpen) - 1
	var sparts []string
	for _, st := range []tfoStyle{tfoStyleConnect, tfoStyleSendto} {
		if s, ok := styles[st]; ok {
			sparts = append(sparts, fmt.Sprintf("%v %d of %d", st, s[0], s[1]))
		}
	}
	obs := strings.Join(sparts, ", ") + fmt.Sprintf("; request %d B", reqLen)
	if len(bad) > 0 {
		obs += "; not: " + strings.Join(bad, "; ")
	}
	r.Check("syn-carries-request",
		"C6: later SYNs carry the cookie and the data (the whole HTTP request)",
		fmt.Sprintf("connections 2…%d: SYN payload = request length, TFO option = the cookie granted to connection 1 (%s), in both client styles",
			e.Connections, hex.EncodeToString(granted)),
		obs, len(bad) == 0 && n > 0)

	r.Check("synack-acks-data",
		"C6: the server's SYN/ACK acknowledges the data in the SYN",
		fmt.Sprintf("%d of %d SYN/ACKs have ack = client ISN + 1 + SYN payload", n, n),
		fmt.Sprintf("%d of %d", acked, n), acked == n)

	kobs := fmt.Sprintf("client: %d of %d with SYN_DATA and fastopen_client_fail TFO_STATUS_UNSPEC; server: %d of %d accepted with SYN_DATA (%d still in SYN_RECV at accept)",
		kernelOK, n, srvOK, n, synRecv)
	if len(kparts) > 0 {
		kobs += "; " + strings.Join(kparts, "; ")
	}
	r.Check("kernel-syn-data",
		"C6: the kernel agrees: tcpi_options has SYN_DATA, no fastopen_client_fail, on connections 2…N",
		fmt.Sprintf("%d of %d on the client (TCP_INFO after the response) and on the server (TCP_INFO at accept)", n, n),
		kobs, kernelOK == n && srvOK == n)

	plainLate := 0
	for _, x := range w.plain {
		if x.srvFound && !x.srvRespBeforeACK {
			plainLate++
		}
	}
	r.Check("server-first-flight",
		"C6: data flows during the handshake: the server answers in its first flight, before the handshake completes",
		fmt.Sprintf("server-side capture: the response leaves before the client's ACK of the SYN/ACK arrives on Fast Open connections "+
			"(at least one of %d: impossible unless the request came in the SYN; a server busier than one RTT misses it), "+
			"and after it on all %d plain ones", n, len(w.plain)),
		fmt.Sprintf("Fast Open %d of %d (ACK arrived after the response by %s ms); plain %d of %d",
			firstFlight, n, strings.Join(leads, ", "), plainLate, len(w.plain)),
		firstFlight >= 1 && plainLate == len(w.plain))

	plainOK := 0
	for i, c := range run.plain {
		x := w.plain[i]
		acc := run.accepts[c.local]
		if x.handshake && !x.synTFO && x.synData == 0 && x.reqAfterHS && c.infoErr == nil && !c.info.SynData && acc.err == nil && !acc.synData {
			plainOK++
		}
	}
	r.Check("baseline-plain",
		"C6: the baseline is the ordinary handshake: the same requests without Fast Open",
		fmt.Sprintf("%d plain connections: SYN without TFO option or data, request after the handshake, no SYN_DATA in either kernel", len(run.plain)),
		fmt.Sprintf("%d of %d", plainOK, len(run.plain)),
		plainOK == len(run.plain))
}

// checkCounters: the TcpExt counters of both namespaces.
func (e *FastOpen) checkCounters(r *Result, run *tfoRun) {
	n := int64(e.Connections - 1)
	d := func(server bool, name string) int64 { return run.after.delta(run.before, server, name) }
	active, activeFail := d(false, "TCPFastOpenActive"), d(false, "TCPFastOpenActiveFail")
	passive, passiveFail := d(true, "TCPFastOpenPassive"), d(true, "TCPFastOpenPassiveFail")
	reqd := d(true, "TCPFastOpenCookieReqd")
	r.Metric("tfo_active", float64(active))
	r.Metric("tfo_passive", float64(passive))
	r.Metric("tfo_cookie_reqd", float64(reqd))
	obs := fmt.Sprintf("client TCPFastOpenActive +%d, TCPFastOpenActiveFail +%d; server TCPFastOpenPassive +%d, TCPFastOpenPassiveFail +%d, TCPFastOpenCookieReqd +%d",
		active, activeFail, passive, passiveFail, reqd)
	if run.countersErr != nil {
		obs = "cannot read: " + run.countersErr.Error()
	}
	r.Check("kernel-counters",
		"C6: the kernel counts one cookie request and N−1 Fast Opens",
		fmt.Sprintf("client TCPFastOpenActive +%d, ActiveFail +0; server TCPFastOpenPassive +%d, PassiveFail +0, CookieReqd +1", n, n),
		obs,
		run.countersErr == nil && active == n && activeFail == 0 && passive == n && passiveFail == 0 && reqd == 1)
}

// findings records where Linux's Fast Open looks different from the
// textbook picture.
func (e *FastOpen) findings(r *Result, run *tfoRun, w tfoWire) {
	first := w.fastOpen[0]
	laterTS := 0
	for _, x := range w.fastOpen[1:] {
		if x.ackTS {
			laterTS++
		}
	}
	r.Metric("cookie_synack_timestamps", boolMetric(first.ackTS))
	if first.handshake && first.synTS && !first.ackTS {
		r.Finding("The SYN/ACK that grants the cookie carries no timestamps option although the SYN offered one "+
			"(%d of %d later SYN/ACKs do carry it), so connection 1 runs without timestamps.", laterTS, len(w.fastOpen)-1)
	}
	var gaps []float64
	before, synRecv, synAckData := 0, 0, 0
	for i, x := range w.fastOpen[1:] {
		if x.synAckData > 0 {
			synAckData++
		}
		if x.handshake && x.ttfb > 0 {
			gaps = append(gaps, ms(x.respGap))
		}
		if x.srvFound && x.srvRespBeforeACK {
			before++
		}
		if run.accepts[run.fastOpen[i+1].local].state == sockopt.StateSynRecv {
			synRecv++
		}
	}
	if n := len(w.fastOpen) - 1; len(gaps) > 0 {
		r.Metric("response_after_synack_ms", median(gaps))
		r.Metric("server_accepts_syn_recv", float64(synRecv))
		r.Finding("The response does not ride in the SYN/ACK (%d of %d SYN/ACKs carried data): it follows as a separate segment, "+
			"%.2f ms (median) after it at the client; on %d of %d connections it left the server before the client's ACK "+
			"completed the handshake, and %d of %d server sockets were still SYN_RECV when accept(2) returned them.",
			synAckData, n, median(gaps), before, n, synRecv, n)
	}
	var connOpen, sendtoOpen []float64
	var connStates, sendtoStates []string
	for _, c := range run.fastOpen[1:] {
		switch c.style {
		case tfoStyleConnect:
			connOpen = append(connOpen, ms(c.open()))
			connStates = append(connStates, c.stateAtOpen.String())
		case tfoStyleSendto:
			sendtoOpen = append(sendtoOpen, ms(c.open()))
			sendtoStates = append(sendtoStates, c.stateAtOpen.String())
		}
	}
	if len(connOpen) > 0 {
		r.Metric("open_tfo_connect_ms", median(connOpen))
		r.Finding("With TCP_FASTOPEN_CONNECT and a cached cookie, connect(2) and the first write returned after %.2f ms "+
			"(socket %s): the dial succeeds before the SYN/ACK is back, so a failed handshake would surface only at the next read or write.",
			median(connOpen), strings.Join(tfoDedup(connStates), "/"))
	}
	if len(sendtoOpen) > 0 {
		r.Metric("open_tfo_sendto_ms", median(sendtoOpen))
		r.Finding("A blocking sendto(2) with MSG_FASTOPEN returned after %.2f ms (socket %s): it sends the SYN with the data and waits for the SYN/ACK, one RTT.",
			median(sendtoOpen), strings.Join(tfoDedup(sendtoStates), "/"))
	}
}

func tfoErrText(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

// tfoFmtList prints ms values "12.3, 14.0".
func tfoFmtList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ") + " ms"
}

// tfoDedup keeps the first occurrence of each string, in order.
func tfoDedup(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
