package experiment

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/peer"
)

// kaAll returns the runs of one scenario; kaBest the fastest of them on
// the wire.
func kaAll(scs []*kaScenario, name string) []*kaScenario {
	var out []*kaScenario
	for _, sc := range scs {
		if sc.name == name {
			out = append(out, sc)
		}
	}
	return out
}

func kaBest(scs []*kaScenario, name string) *kaScenario {
	var best *kaScenario
	for _, sc := range kaAll(scs, name) {
		if best == nil || sc.total < best.total {
			best = sc
		}
	}
	return best
}

// kaPromptFIN bounds the time from a response to the server's FIN when the
// server closes because of that response (not because of a timer): well
// below the idle timeout, with room for a busy machine's scheduling.
func (ka *KeepAlive) promptFIN() time.Duration { return min(50*time.Millisecond, ka.Timeout/4) }

// check records the metrics and every check.
func (ka *KeepAlive) check(r *Result, p Plan, scs []*kaScenario) {
	ka.model(r, p)
	ka.checkHTTP10(r, scs)
	ka.checkEcho(r, scs)
	ka.checkParams(r, scs)
	ka.checkMax(r, scs)
	ka.checkTimeout(r, p, scs)
	ka.checkFraming(r, scs)
	ka.checkHTTP11(r, scs)
	ka.checkReuse(r, p, scs)
	for _, name := range []string{kaHTTP10, kaKeepAlive, kaIdle, kaRefused, kaEOF, kaHTTP11} {
		if sc := kaBest(scs, name); sc != nil {
			r.Metric("connections_"+strings.ReplaceAll(name, "-", "_"), float64(sc.wire.syns))
		}
	}
	ka.explain(r, scs)
}

// kaHeaders lists a response's persistence fields for people.
func kaHeaders(resp *httpwire.Response) string {
	if resp == nil {
		return "no response"
	}
	var parts []string
	for _, f := range []string{"Connection", "Keep-Alive"} {
		if v := resp.Header.Get(f); v != "" {
			parts = append(parts, f+": "+v)
		}
	}
	if len(parts) == 0 {
		return "no Connection or Keep-Alive field"
	}
	return strings.Join(parts, ", ")
}

func kaHasToken(h httpwire.Header, name, tok string) bool {
	for _, v := range h.Values(name) {
		for _, e := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(e), tok) {
				return true
			}
		}
	}
	return false
}

// checkHTTP10: without keep-alive, one connection per request, closed by
// the server.
func (ka *KeepAlive) checkHTTP10(r *Result, scs []*kaScenario) {
	ok := true
	var obs []string
	for _, sc := range kaAll(scs, kaHTTP10) {
		w := sc.wire
		persisted := 0
		for _, res := range sc.results {
			if keep, _ := res.Response.KeepAlive(); keep || res.Persistent || kaHasToken(res.Sent, "Connection", "keep-alive") {
				persisted++
			}
		}
		ok = ok && w.syns == ka.Requests && w.serverFirst == ka.Requests && w.resets == 0 && persisted == 0 && len(sc.results) == ka.Requests
		obs = append(obs, fmt.Sprintf("#%d: %d requests, %d SYNs, %d closed by the server first, %d RST, %d kept open; responses: %s",
			sc.repeat+1, len(sc.results), w.syns, w.serverFirst, w.resets, persisted, kaHeaders(sc.results[0].Response)))
	}
	r.Check("http10-connection-per-request",
		"C20: without persistence every request pays for a new connection: HTTP/1.0 without Connection: Keep-Alive closes after each response",
		fmt.Sprintf("%d requests → %d connections (SYNs), each closed first by the server (FIN), none kept", ka.Requests, ka.Requests),
		strings.Join(obs, "; "), ok)
}

// checkEcho: the server echoes Connection: Keep-Alive when it agrees and
// closes when it does not.
func (ka *KeepAlive) checkEcho(r *Result, scs []*kaScenario) {
	sc := kaBest(scs, kaKeepAlive)
	echoed, asked := 0, 0
	for i, res := range sc.results {
		if kaHasToken(res.Sent, "Connection", "keep-alive") {
			asked++
		}
		if i < len(sc.results)-1 && kaHasToken(res.Response.Header, "Connection", "keep-alive") {
			echoed++
		}
	}
	want := len(sc.results) - 1
	r.Check("keepalive-echoed",
		"C22: the client sends Connection: Keep-Alive; a server that agrees echoes it and keeps the connection",
		fmt.Sprintf("all %d requests ask for keep-alive; the first %d responses echo Connection: keep-alive; all on 1 connection (1 SYN, %d requests)", ka.Max, want, ka.Max),
		fmt.Sprintf("%d requests asked, %d responses echoed (first: %s); %d SYN(s), %d request segments", asked, echoed, kaHeaders(sc.results[0].Response), sc.wire.syns, sc.wire.requests),
		asked == ka.Max && echoed == want && sc.wire.syns == 1 && sc.wire.requests == ka.Max)

	sc = kaBest(scs, kaRefused)
	asked, echoed = 0, 0
	for _, res := range sc.results {
		if kaHasToken(res.Sent, "Connection", "keep-alive") {
			asked++
		}
		if kaHasToken(res.Response.Header, "Connection", "keep-alive") || res.Persistent {
			echoed++
		}
	}
	n := len(sc.results)
	r.Check("keepalive-refused",
		"C22: a server that does not agree to keep-alive does not echo it, and closes the connection after its response",
		fmt.Sprintf("%d requests ask for keep-alive; no echo; %d connections, each closed by the server first", n, n),
		fmt.Sprintf("%d asked, %d echoed (%s); %d SYNs, %d closed by the server first, %d RST", asked, echoed, kaHeaders(sc.results[0].Response), sc.wire.syns, sc.wire.serverFirst, sc.wire.resets),
		asked == n && echoed == 0 && sc.wire.syns == n && sc.wire.serverFirst == n && sc.wire.resets == 0)
}

// checkParams: Keep-Alive: timeout=, max= come with Connection: keep-alive
// only, and count down.
func (ka *KeepAlive) checkParams(r *Result, scs []*kaScenario) {
	secs := int((ka.Timeout + time.Second - 1) / time.Second)
	sc := kaBest(scs, kaKeepAlive)
	ok := true
	var seen []string
	for i, res := range sc.results {
		kp, has := httpwire.ParseKeepAlive(res.Response.Header)
		kaOn := kaHasToken(res.Response.Header, "Connection", "keep-alive")
		last := i == len(sc.results)-1
		if last {
			ok = ok && !has && kaHasToken(res.Response.Header, "Connection", "close")
		} else {
			ok = ok && has && kaOn && kp.HasTimeout && kp.Timeout == secs && kp.HasMax && kp.Max == ka.Max-(i+1)
		}
		seen = append(seen, kaHeaders(res.Response))
		if i == 0 {
			r.Metric("keepalive_timeout_announced_s", float64(kp.Timeout))
			r.Metric("keepalive_max_announced", float64(kp.Max))
		}
	}
	idle := kaBest(scs, kaIdle)
	kp, has := httpwire.ParseKeepAlive(idle.resp.Header)
	ok = ok && has && kp.Timeout == secs && kp.Max == ka.Max-1
	http11 := 0
	for _, res := range kaBest(scs, kaHTTP11).results {
		if _, has := httpwire.ParseKeepAlive(res.Response.Header); has {
			http11++
		}
	}
	ok = ok && http11 == 0
	r.Check("keepalive-parameters",
		"C23: Keep-Alive: timeout=, max= travel only with Connection: Keep-Alive and say how long and how many more requests",
		fmt.Sprintf("timeout=%d and max counting down %d…1 with each echo, none with Connection: close; none in HTTP/1.1 responses", secs, ka.Max-1),
		fmt.Sprintf("%s; idle-timeout scenario: %s; HTTP/1.1 responses with Keep-Alive: %d", strings.Join(seen, " | "), kaHeaders(idle.resp), http11),
		ok)
}

// checkMax: the server closes right after the max-th response.
func (ka *KeepAlive) checkMax(r *Result, scs []*kaScenario) {
	sc := kaBest(scs, kaKeepAlive)
	w := sc.wire
	gap := time.Duration(-1)
	if len(w.finGaps) == 1 {
		gap = w.finGaps[0]
	}
	reason, reqs := "", 0
	if len(sc.server) == 1 {
		reason, reqs = sc.server[0].Reason, sc.server[0].Requests
	}
	r.Metric("max_fin_gap_ms", ms(gap))
	limit := ka.promptFIN()
	r.Check("max-closes-connection",
		"C23: the server honours its max=: after the max-th request it closes the connection",
		fmt.Sprintf("the server's FIN within %s of its response to request %d; no request after it; the server's record says %s after %d requests", limit, ka.Max, peer.ReasonMaxRequests, ka.Max),
		fmt.Sprintf("FIN %.1f ms after the last response byte (server first in %d of %d flows); %d requests after the FIN; server's record: %q after %d requests",
			ms(gap), w.serverFirst, len(w.flows), w.dataAfterFIN, reason, reqs),
		gap >= 0 && gap <= limit && w.serverFirst == 1 && w.dataAfterFIN == 0 && reason == peer.ReasonMaxRequests && reqs == ka.Max)
}

// checkTimeout: an idle keep-alive connection is closed by the server after
// its timeout, and holds a socket on the server until then.
func (ka *KeepAlive) checkTimeout(r *Result, p Plan, scs []*kaScenario) {
	sc := kaBest(scs, kaIdle)
	w := sc.wire
	t := ms(ka.Timeout)
	// The server's timer starts when its response is written; the response
	// reaches the client's end of the link its serialisation time later
	// than the FIN does after the timer, and the relay may deliver either a
	// few ms late on a busy machine.
	tx := ms(plSerialise(plWireBytes(ka.Size+plRespHdrB), p.RateBps))
	lo, hi := t-math.Max(10, 0.02*t)-tx, t+math.Max(50, 0.03*t)
	gap := -1.0
	if len(w.finGaps) == 1 {
		gap = ms(w.finGaps[0])
	}
	clientIdle := ms(sc.eof.Sub(sc.respDone))
	reason := ""
	if len(sc.server) == 1 {
		reason = sc.server[0].Reason
	}
	r.Metric("timeout_fin_gap_ms", gap)
	r.Metric("timeout_client_idle_ms", clientIdle)
	r.Check("timeout-closes-connection",
		"C23: the server honours its timeout=: an idle keep-alive connection is closed by the server once the timeout has passed",
		fmt.Sprintf("the server's FIN %.0f–%.0f ms after its last response byte on the wire, and not before %.0f ms on the client's clock; the server's record says %s", lo, hi, lo, peer.ReasonIdleTimeout),
		fmt.Sprintf("FIN %.1f ms after the response on the wire, EOF %.1f ms after it on the client's clock; server first: %v; server's record: %q",
			gap, clientIdle, w.serverFirst == 1, reason),
		gap >= lo && gap <= hi && clientIdle >= lo && w.serverFirst == 1 && reason == peer.ReasonIdleTimeout)

	r.Metric("idle_established", float64(sc.idleEstab))
	r.Metric("idle_server_time_wait", float64(sc.serverTW))
	r.Metric("idle_client_time_wait", float64(sc.clientTW))
	r.Check("idle-connection-holds-resources",
		"C20: an idle persistent connection keeps a socket open on the server until it is closed; the side that closes first holds TIME_WAIT",
		"halfway through the idle time 1 ESTABLISHED socket on the server's port; after the close TIME_WAIT on the server (it closed first), none on the client",
		fmt.Sprintf("inet_diag: %d ESTABLISHED on the server while idle; TIME_WAIT afterwards: server %d, client %d", sc.idleEstab, sc.serverTW, sc.clientTW),
		sc.idleEstab == 1 && sc.serverTW == 1 && sc.clientTW == 0)
}

// checkFraming: a connection persists only after self-delimiting messages,
// and keep-alive needs its header on every message.
func (ka *KeepAlive) checkFraming(r *Result, scs []*kaScenario) {
	kept, framed, asked, total := 0, 0, 0, 0
	for _, name := range []string{kaKeepAlive, kaRefused, kaEOF, kaHTTP11} {
		for _, sc := range kaAll(scs, name) {
			for _, res := range sc.results {
				if name != kaHTTP11 {
					total++
					if kaHasToken(res.Sent, "Connection", "keep-alive") {
						asked++
					}
				}
				if keep, _ := res.Response.KeepAlive(); keep {
					kept++
					if res.Response.Framing == httpwire.FramingContentLength || res.Response.Framing == httpwire.FramingChunked {
						framed++
					}
				}
			}
		}
	}
	sc := kaBest(scs, kaEOF)
	first := sc.results[0].Response
	eofOK := first.Framing == httpwire.FramingClose && !first.Header.Has("Content-Length") && !sc.results[0].Persistent &&
		sc.wire.syns == 2 && sc.wire.serverFirst >= 1
	r.Check("self-delimiting-messages",
		"C24: keep-alive needs the header on every message and a length on every body: a body ended by the close cannot leave a persistent connection",
		fmt.Sprintf("every HTTP/1.0 keep-alive request carries Connection: Keep-Alive; every response that keeps its connection has Content-Length or chunked framing; the close-delimited response (no Content-Length) ends its connection, so the next request opens a second one"),
		fmt.Sprintf("%d of %d HTTP/1.0 requests carried it; %d of %d persistent responses self-delimited; close-delimited response: %s framing, %s, %d SYNs, server closed first in %d flow(s)",
			asked, total, framed, kept, first.Framing, kaHeaders(first), sc.wire.syns, sc.wire.serverFirst),
		asked == total && framed == kept && kept > 0 && eofOK)
}

// checkHTTP11: persistent by default; Connection: close ends it.
func (ka *KeepAlive) checkHTTP11(r *Result, scs []*kaScenario) {
	ok := true
	var obs []string
	for _, sc := range kaAll(scs, kaHTTP11) {
		noField, persistent := 0, 0
		for _, res := range sc.results[:len(sc.results)-1] {
			if !res.Sent.Has("Connection") {
				noField++
			}
			if keep, _ := res.Response.KeepAlive(); keep && !res.Response.Header.Has("Connection") {
				persistent++
			}
		}
		n := len(sc.results) - 1
		ok = ok && noField == n && persistent == n && sc.wire.syns == 1 && sc.wire.requests == ka.Requests
		obs = append(obs, fmt.Sprintf("#%d: %d of %d requests without a Connection field, %d responses persistent without one; %d SYN, %d requests on the wire",
			sc.repeat+1, noField, n, persistent, sc.wire.syns, sc.wire.requests))
	}
	r.Check("http11-persistent-by-default",
		"C27: HTTP/1.1 connections are persistent by default: no header is needed to reuse one",
		fmt.Sprintf("%d requests on 1 connection; all but the last without a Connection field, their responses too", ka.Requests),
		strings.Join(obs, "; "), ok)

	sc := kaBest(scs, kaHTTP11)
	last := sc.results[len(sc.results)-1]
	gap := time.Duration(-1)
	if len(sc.wire.finGaps) == 1 {
		gap = sc.wire.finGaps[0]
	}
	reqs, by := 0, ""
	if len(sc.server) == 1 {
		reqs, by = sc.server[0].Requests, sc.server[0].ClosedBy.String()
	}
	r.Metric("http11_close_fin_gap_ms", ms(gap))
	limit := ka.promptFIN()
	r.Check("http11-connection-close",
		"C27: Connection: close on a request ends the connection after its response; no request follows on it",
		fmt.Sprintf("the last request says Connection: close, so does its response; the server's FIN within %s of it; no request after the FIN", limit),
		fmt.Sprintf("request: %s; response: %s; FIN %.1f ms after the response (server first in %d flow(s)); %d request(s) after it; the server read %d requests and closed (%s)",
			kaConnField(last.Sent), kaHeaders(last.Response), ms(gap), sc.wire.serverFirst, sc.wire.dataAfterFIN, reqs, by),
		kaHasToken(last.Sent, "Connection", "close") && kaHasToken(last.Response.Header, "Connection", "close") &&
			gap >= 0 && gap <= limit && sc.wire.serverFirst == 1 && sc.wire.dataAfterFIN == 0 && reqs == ka.Requests && by == "local")
}

// kaModel is the model of a sequence of n requests of size-byte responses,
// one at a time: a new connection each (persistent false) or one
// connection for all.
func (ka *KeepAlive) kaModel(p Plan, persistent bool) plModelParams {
	m := peer.SerialNew
	if persistent {
		m = peer.PersistentSerial
	}
	b := ka.Size + plRespHdrB
	return plModelParams{mode: m, objects: ka.Requests - 1, docBytes: b, objBytes: b, rtt: p.RTT, rateBps: p.RateBps}
}

// checkReuse: the persistent HTTP/1.1 sequence saves a handshake per
// request against HTTP/1.0 without keep-alive, as modelled.
func (ka *KeepAlive) checkReuse(r *Result, p Plan, scs []*kaScenario) {
	h10, h11 := kaBest(scs, kaHTTP10), kaBest(scs, kaHTTP11)
	m10, m11 := ka.kaModel(p, false), ka.kaModel(p, true)
	t10, t11 := pageloadModel(m10).total, pageloadModel(m11).total
	r10, r11 := m10.rttRounds(), m11.rttRounds()
	tol10, tol11 := plTolerance(ms(t10), r10), plTolerance(ms(t11), r11)
	r.Metric("http10_ms", ms(h10.total))
	r.Metric("http10_client_ms", ms(h10.clock))
	r.Metric("http10_model_ms", ms(t10))
	r.Metric("http11_ms", ms(h11.total))
	r.Metric("http11_client_ms", ms(h11.clock))
	r.Metric("http11_model_ms", ms(t11))
	r.Check("reuse-saves-handshakes",
		"C20: a persistent connection avoids the handshake of a new connection for every request",
		fmt.Sprintf("%d requests: HTTP/1.0 without keep-alive %s ± %.1f ms (%.0f RTT), HTTP/1.1 persistent %s ± %.1f ms (%.0f RTT)",
			ka.Requests, fmtMs(ms(t10)), tol10, r10, fmtMs(ms(t11)), tol11, r11),
		fmt.Sprintf("on the wire (first SYN → last response byte), the fastest of %d runs each: HTTP/1.0 %s, HTTP/1.1 %s (client's clock %s, %s)",
			ka.Repeats, fmtMs(ms(h10.total)), fmtMs(ms(h11.total)), fmtMs(ms(h10.clock)), fmtMs(ms(h11.clock))),
		h10.total > 0 && h11.total > 0 && within(ms(h10.total), ms(t10), tol10) && within(ms(h11.total), ms(t11), tol11) && h11.total < h10.total)
}

// model states the model with this run's numbers.
func (ka *KeepAlive) model(r *Result, p Plan) {
	secs := int((ka.Timeout + time.Second - 1) / time.Second)
	r.Model = fmt.Sprintf("HTTP/1.0 without keep-alive: one connection per request, the server closes after each response; "+
		"n=%d requests cost n × 2 RTT (RTT=%s). HTTP/1.0 with Connection: Keep-Alive on every request: the server (idle timeout %s, "+
		"max %d requests) echoes Connection: keep-alive with Keep-Alive: timeout=%d, max=%d…1, answers the %d-th with Connection: close "+
		"and sends its FIN at once; a connection left idle gets the server's FIN %s after the last response. A server that refuses "+
		"does not echo and closes. A body without a length is ended by the close. HTTP/1.1: one connection, 1 + n RTT, persistent "+
		"without any field until Connection: close, after which the server closes at once. Times within ±(15%% + 3 ms per RTT round); "+
		"a FIN caused by a response within %s of it; the idle FIN within −max(10 ms, 2%%) (less the response's serialisation)…+max(50 ms, 3%%) of the timeout.",
		ka.Requests, p.RTT, ka.Timeout, ka.Max, secs, ka.Max-1, ka.Max, ka.Timeout, ka.promptFIN())
}

// explain adds findings and the lines for a student.
func (ka *KeepAlive) explain(r *Result, scs []*kaScenario) {
	if ka.Timeout%time.Second != 0 {
		secs := int((ka.Timeout + time.Second - 1) / time.Second)
		r.Finding("C23: the server announced timeout=%d but closed after %s: Keep-Alive counts whole seconds, and neither "+
			"parameter is a promise (RFC 2068 §19.7.1.1).", secs, ka.Timeout)
	}
	r.Finding("C22/C23: today's HTTP/1.1 (RFC 9112 App. C.2.2) keeps Connection: keep-alive only as HTTP/1.0 compatibility, and " +
		"the Keep-Alive field comes from RFC 2068 §19.7.1.1, not from RFC 9110/9112; this server sends it only with an echoed " +
		"keep-alive, never in a plain HTTP/1.1 response (checked above).")
	r.Explain("HTTP/1.0 closes after every response unless both sides say Connection: Keep-Alive; HTTP/1.1 keeps the connection unless one says Connection: close.")
	r.Explain("Keep-Alive: timeout= and max= tell the client how long an idle connection and how many more requests the server means to allow; the server then closes it, so its FIN comes right after the max-th response or after the idle time.")
	r.Explain("Reuse needs a length on every body: without Content-Length or chunked framing only the close can end a response.")
	r.Explain("Whoever closes first keeps the TIME_WAIT: here the server, which ends every connection it times out. Each packet's comment in the pcapng says what was read from it.")
}
