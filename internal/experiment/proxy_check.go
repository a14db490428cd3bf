package experiment

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/tcplab/tcplab/internal/analyze"
	"github.com/tcplab/tcplab/internal/peer"
)

// pxOutcome summarises the client's result for one request.
func pxOutcome(res peer.Result) string {
	switch {
	case res.Response != nil && res.Err == nil:
		return fmt.Sprintf("%d, %d body bytes", res.Response.Status, len(res.Response.Body))
	case res.Response != nil:
		return fmt.Sprintf("%d then error: %v", res.Response.Status, res.Err)
	case res.Err != nil:
		return "error: " + res.Err.Error()
	}
	return "no response"
}

// pxOK reports whether the client got a complete 200 with size body bytes.
func pxOK(res peer.Result, size int) bool {
	return res.Err == nil && res.Response != nil && res.Response.Status == 200 && len(res.Response.Body) == size
}

func pxFind(runs []*pxRun, w []pxWire, name string) (*pxRun, pxWire) {
	for i, run := range runs {
		if run.ph.name == name {
			return run, w[i]
		}
	}
	return nil, pxWire{}
}

// pxShape describes the connections of one side: "1 connection, 2 requests, 1 response".
func pxShape(vs []pxView) string {
	return fmt.Sprintf("%d connection(s), %d request(s), %d response(s)", len(vs), pxCount(vs, false), pxCount(vs, true))
}

// check compares each phase with the model.
func (x *Proxy) check(r *Result, p Plan, runs []*pxRun, w []pxWire) {
	hang := ms(x.effectiveHang(p))
	r.Metric("hang_timeout_ms", hang)
	conns := 0
	for _, pw := range w {
		conns += pxSYNs(flowsOf(pw.client))
	}
	r.Metric("connections", float64(conns))
	x.checkDumb(r, p, runs, w, hang)
	x.checkSmart(r, p, runs, w, hang)
	x.checkProxyConnection(r, p, runs, w, hang)

	r.Explain("A dumb proxy relays bytes and waits for the server to close, which is how it knows a response ended. The client's Connection: Keep-Alive, meant for the proxy, reaches the server, which agrees and keeps its side open; the client sees the server's Connection: keep-alive and sends its next request on a connection nobody reads.")
	r.Explain("A smart proxy treats Connection, Keep-Alive and every field Connection names as hop-by-hop (RFC 9110 §7.6.1): it removes them, asks the server for keep-alive itself, and keeps a persistent connection on each side.")
	r.Explain("Proxy-Connection was the browsers' workaround: a dumb proxy passes it on and the server ignores it (no keep-alive, no hang); a smart proxy reads it as Connection. With a dumb proxy behind the smart one, the smart proxy's own Connection: keep-alive reaches the server through the dumb one and the hang comes back, this time as the smart proxy's 504.")
	r.Explain("Both links are in the pcapng: 198.18.1.x is the client's link, 198.18.2.x the server's; the smart⇄dumb hop of the chain stays inside the proxy namespace and is not captured. Each packet's comment says what the experiment read from it.")
}

// flowsOf returns the flows of views.
func flowsOf(vs []pxView) []*analyze.Flow {
	out := make([]*analyze.Flow, len(vs))
	for i, v := range vs {
		out[i] = v.f
	}
	return out
}

// checkDumb checks the dumb proxy phase (C25, C14).
func (x *Proxy) checkDumb(r *Result, p Plan, runs []*pxRun, w []pxWire, hang float64) {
	run, pw := pxFind(runs, w, "dumb")
	if run == nil || len(run.results) < 2 {
		r.Check("dumb-phase-ran", "C25: a dumb proxy hangs a kept connection", "the dumb proxy phase ran", "it did not", false)
		return
	}
	first, second := run.results[0], run.results[1]
	wait := ms(run.wait(1))
	r.Metric("dumb_hang_ms", wait)
	r.Metric("dumb_first_request_ms", ms(run.wait(0)))

	// The model: the server agrees to keep-alive and keeps its side open.
	var serverKA, serverHeld bool
	var fwdConn string
	clientGaveUp := time.Time{}
	if len(pw.client) == 1 {
		v := pw.client[0]
		if s := v.reqSeg(1); s != nil {
			if c := pxFirstClose(v.f, true, s.Time); c != nil {
				clientGaveUp = c.Time
			}
		}
	}
	if len(pw.server) == 1 && len(pw.server[0].reqs) >= 1 && len(pw.server[0].resps) >= 1 {
		sv := pw.server[0]
		fwdConn = sv.reqs[0].Header.Get("Connection")
		serverKA = pxHasToken(sv.resps[0].Header, "Connection", "keep-alive")
		c := pxFirstClose(sv.f, false, time.Time{})
		serverHeld = !clientGaveUp.IsZero() && (c == nil || c.Time.After(clientGaveUp))
	}
	r.Check("dumb-forwards-keepalive",
		"C25: a dumb proxy forwards Connection: Keep-Alive blindly; the server agrees and keeps the connection",
		"on the server link: request 1 with the client's Connection field, a response with Connection: keep-alive, and no FIN or RST from the server before the client gives up",
		fmt.Sprintf("%s on the server link; forwarded Connection: %q; server answered keep-alive: %v; server still open when the client gave up: %v; request 1: %s",
			pxShape(pw.server), fwdConn, serverKA, serverHeld, pxOutcome(first)),
		pxOK(first, x.Size) && pxListHas(fwdConn, "keep-alive") && serverKA && serverHeld)

	tol := pxHangTolerance(hang)
	r.Check("dumb-hang-clock",
		"C25: the client's next request on the kept connection hangs until a timeout",
		fmt.Sprintf("request 2 on the reused connection fails with a timeout after %s (+%.0f ms)", fmtMs(hang), tol),
		fmt.Sprintf("request 2: %s after %s, reused connection: %v", pxOutcome(second), fmtMs(wait), second.Timing().Reused),
		errors.Is(second.Err, peer.ErrTimeout) && second.Timing().Reused && wait >= hang-2 && wait <= hang+tol)

	// The wire: request 2 goes out on the same connection, nothing comes
	// back, then the client's close.
	var wireHang float64 = -1
	silent := false
	if len(pw.client) == 1 && len(pw.client[0].reqs) == 2 && !clientGaveUp.IsZero() {
		v := pw.client[0]
		t2 := v.reqSeg(1).Time
		wireHang = ms(clientGaveUp.Sub(t2))
		silent = v.downBytesBetween(t2, clientGaveUp) == 0 && len(v.resps) == 1
	}
	r.Metric("dumb_hang_wire_ms", wireHang)
	// The segment leaves before write(2) returns and the FIN after the
	// client's clock stopped: the wire's gap is the clock's, or a little
	// longer.
	wtol := tolerance(wait, 0.02, 30)
	r.Check("dumb-hang-on-wire",
		"C25: the hang on the wire: request 2 sent, no response, then the client's close at its timeout",
		fmt.Sprintf("one client connection carrying 2 requests and 1 response; no byte from the proxy between request 2 and the client's FIN/RST; that gap = the client's wait %s (−2, +%.0f ms)", fmtMs(wait), wtol),
		fmt.Sprintf("%s on the client link; nothing from the proxy after request 2: %v; request 2 → client's close %s", pxShape(pw.client), silent, fmtMs(wireHang)),
		silent && wireHang >= 0 && wireHang >= wait-2 && wireHang <= wait+wtol)

	// The kernel's witness: when the dumb proxy finally closed the client's
	// connection, request 2 was still in its receive queue (SIOCINQ), so
	// Linux sent RST; and the server kept its connection until shut down.
	serverReqs := pxCount(pw.server, false)
	unread, req2Len, proxyRST := -1, -2, false
	if len(run.front) == 1 {
		unread = run.front[0].Unread
	}
	if len(pw.client) == 1 && len(pw.client[0].reqs) == 2 {
		v := pw.client[0]
		req2Len = v.reqs[1].End - v.reqs[1].Off
		c := pxFirstClose(v.f, false, time.Time{})
		proxyRST = c != nil && c.RST
	}
	serverKept := len(run.server) == 1 && run.server[0].Reason == peer.ReasonShutdown && run.server[0].Requests == 1
	r.Metric("dumb_unread_bytes", float64(unread))
	r.Check("dumb-second-never-reaches-server",
		"C25: the dumb proxy never reads the second request: the server never sees it",
		"the server executed request 2 zero times and kept its connection until the experiment shut it down; the server link carries exactly 1 request; "+
			"the proxy's socket still held request 2 unread when it closed (SIOCINQ = its length on the wire), so its close on the client link is a RST",
		fmt.Sprintf("server executions: request 1 %d, request 2 %d; server's record: %d request(s), closed by %s; requests on the server link: %d; unread at the proxy's close %d bytes, request 2 on the wire %d bytes; proxy's close is RST: %v",
			run.exec(0), run.exec(1), pxRecReqs(run.server), pxRecReason(run.server), serverReqs, unread, req2Len, proxyRST),
		run.exec(0) == 1 && run.exec(1) == 0 && serverReqs == 1 && serverKept && unread == req2Len && proxyRST)

	// Hop-by-hop fields: the wire and the proxy's own record.
	sent := first.Sent
	want := httpwire.HopByHop(sent)
	var wire, rec []string
	if len(pw.server) > 0 && len(pw.server[0].reqs) > 0 {
		wire = pxLeaked(sent, pw.server[0].reqs[0].Header)
	}
	if len(run.forwards) > 0 {
		rec = pxLeaked(sent, run.forwards[0].Header)
	}
	r.Metric("hop_by_hop_forwarded_dumb", float64(len(wire)))
	r.Metric("hop_by_hop_forwarded_dumb_records", float64(len(rec)))
	r.Check("hop-by-hop-forwarded-dumb",
		"C14: Connection and the fields it names are hop-by-hop; a dumb proxy forwards them anyway",
		fmt.Sprintf("every hop-by-hop field the client sent reaches the server: %s (capture of the server link and the proxy's record agree)", pxNames(want)),
		fmt.Sprintf("server link: %s; proxy's record: %s", pxNames(wire), pxNames(rec)),
		len(want) > 0 && fmt.Sprint(wire) == fmt.Sprint(want) && fmt.Sprint(rec) == fmt.Sprint(want))
}

// checkSmart checks the smart proxy phase (C24, C27, C14).
func (x *Proxy) checkSmart(r *Result, p Plan, runs []*pxRun, w []pxWire, hang float64) {
	run, pw := pxFind(runs, w, "smart")
	if run == nil || len(run.results) < 2 {
		r.Check("smart-phase-ran", "C24: a smart proxy keeps both sides", "the smart proxy phase ran", "it did not", false)
		return
	}
	second := run.results[1]
	wait := ms(run.wait(1))
	rttC, rttS := pxLinkRTTs(pw)
	model := rttC + rttS
	r.Metric("client_link_rtt_ms", rttC)
	r.Metric("server_link_rtt_ms", rttS)
	r.Metric("smart_second_request_ms", wait)
	r.Metric("smart_second_model_ms", model)
	tol := pxModelTolerance(model)
	r.Check("smart-no-hang",
		"C24: with a proxy that strips Connection headers, keep-alive works: the next request is answered at once",
		fmt.Sprintf("request 2 on the reused connection answered in one round trip per link: client-link RTT + server-link RTT = %s ± %.1f ms (well under the %s timeout)", fmtMs(model), tol, fmtMs(hang)),
		fmt.Sprintf("request 1: %s; request 2: %s in %s, reused: %v", pxOutcome(run.results[0]), pxOutcome(second), fmtMs(wait), second.Timing().Reused),
		pxOK(run.results[0], x.Size) && pxOK(second, x.Size) && second.Timing().Reused && rttC > 0 && rttS > 0 &&
			within(wait, model, tol) && wait < hang/2)

	oneEach := len(pw.client) == 1 && len(pw.server) == 1 &&
		len(pw.client[0].reqs) == 2 && len(pw.client[0].resps) == 2 &&
		len(pw.server[0].reqs) == 2 && len(pw.server[0].resps) == 2
	r.Check("smart-keeps-each-side",
		"C27: a proxy keeps each side's connection separately: one persistent connection per link",
		"client link: 1 connection with 2 requests and 2 responses; server link: 1 connection with 2 requests and 2 responses",
		fmt.Sprintf("client link: %s; server link: %s", pxShape(pw.client), pxShape(pw.server)),
		oneEach)

	sent := run.results[0].Sent
	var wire, rec []string
	var farHop []string
	endToEnd := len(pw.server) > 0 && len(pw.server[0].reqs) > 0
	if len(pw.server) > 0 {
		for _, req := range pw.server[0].reqs {
			wire = append(wire, pxLeaked(sent, req.Header)...)
			farHop = append(farHop, httpwire.HopByHop(req.Header)...)
			endToEnd = endToEnd && req.Header.Get("X-End-To-End") == "kept" &&
				pxHasToken(req.Header, "Connection", "keep-alive")
		}
	}
	for _, f := range run.forwards {
		rec = append(rec, pxLeaked(sent, f.Header)...)
	}
	r.Metric("hop_by_hop_forwarded_smart", float64(len(wire)))
	r.Metric("hop_by_hop_forwarded_smart_records", float64(len(rec)))
	r.Check("hop-by-hop-removed-smart",
		"C14: a smart proxy removes the hop-by-hop fields before forwarding",
		fmt.Sprintf("none of the client's %s reaches the server (capture and proxy record); the server sees only the proxy's own Connection: keep-alive and the end-to-end X-End-To-End", pxNames(httpwire.HopByHop(sent))),
		fmt.Sprintf("leaked on the server link: %s; in the proxy's record: %s over %d forwards; hop-by-hop fields the server saw: %s; end-to-end field and the proxy's keep-alive present: %v",
			pxNames(wire), pxNames(rec), len(run.forwards), pxNames(pxUniq(farHop)), endToEnd),
		len(wire) == 0 && len(rec) == 0 && len(run.forwards) == 2 && endToEnd && fmt.Sprint(pxUniq(farHop)) == "[connection]")
}

// checkProxyConnection checks the three Proxy-Connection phases (C26).
func (x *Proxy) checkProxyConnection(r *Result, p Plan, runs []*pxRun, w []pxWire, hang float64) {
	// One dumb proxy: Proxy-Connection is forwarded, the server ignores it
	// and closes: no keep-alive, but no hang either.
	if run, pw := pxFind(runs, w, "pc-dumb"); run != nil && len(run.results) == 2 {
		fwd, closeResp := 0, 0
		var httpwireKA []bool
		for _, v := range pw.server {
			for _, req := range v.reqs {
				if req.Header.Has("Proxy-Connection") {
					fwd++
				}
				ka, _ := (&httpwire.Request{Major: req.Major, Minor: req.Minor, Header: req.Header}).KeepAlive()
				httpwireKA = append(httpwireKA, ka)
			}
			for _, resp := range v.resps {
				if pxHasToken(resp.Header, "Connection", "close") {
					closeResp++
				}
			}
		}
		wait := ms(run.wait(1))
		// Request 2 goes on a new client connection (its write starts the
		// clock), and the proxy opens a new upstream one: RTT_c + 2 RTT_s.
		rttC, rttS := pxLinkRTTs(pw)
		model := rttC + 2*rttS
		tol := pxModelTolerance(model)
		r.Metric("pc_dumb_connections", float64(len(pw.client)))
		r.Metric("pc_dumb_second_request_ms", wait)
		r.Metric("pc_dumb_second_model_ms", model)
		r.Check("proxy-connection-one-dumb",
			"C26: Proxy-Connection works around one dumb proxy: forwarded, ignored by the server, no hang",
			fmt.Sprintf("both requests answered, the second within RTT_client + 2 RTT_server (a new upstream connection) = %s + %.1f ms, no hang; the server link shows Proxy-Connection forwarded and Connection: close in both responses; a new connection per request on each link (2 and 2)", fmtMs(model), tol),
			fmt.Sprintf("request 1: %s; request 2: %s in %s; Proxy-Connection forwarded %d time(s); responses with Connection: close %d; client link: %s; server link: %s",
				pxOutcome(run.results[0]), pxOutcome(run.results[1]), fmtMs(wait), fwd, closeResp, pxShape(pw.client), pxShape(pw.server)),
			pxOK(run.results[0], x.Size) && pxOK(run.results[1], x.Size) && rttC > 0 && rttS > 0 && wait <= model+tol && wait < hang &&
				fwd == 2 && closeResp == 2 && len(pw.client) == 2 && len(pw.server) == 2)
		if len(httpwireKA) > 0 && !httpwireKA[0] {
			r.Finding("C26: RFC 9112 App. C.2.2 says Proxy-Connection is not Connection: the request the dumb proxy forwarded (HTTP/1.0 with Proxy-Connection: keep-alive) is not persistent under httpwire's RFC 9112 rules, and the server answered Connection: close — the workaround works only because the server ignores the field. The smart proxy here reads Proxy-Connection as the client's wish on purpose, as proxies of the 1990s did; RFC 9110 §7.6.1 lists Proxy-Connection among the fields a proxy removes.")
		}
	}

	// One smart proxy: it reads Proxy-Connection as the client's wish and
	// keeps both sides.
	if run, pw := pxFind(runs, w, "pc-smart"); run != nil && len(run.results) == 2 {
		pcSeen, kaSeen, reqs := 0, 0, 0
		for _, v := range pw.server {
			for _, req := range v.reqs {
				reqs++
				if req.Header.Has("Proxy-Connection") {
					pcSeen++
				}
				if pxHasToken(req.Header, "Connection", "keep-alive") {
					kaSeen++
				}
			}
		}
		wait := ms(run.wait(1))
		rttC, rttS := pxLinkRTTs(pw)
		model := rttC + rttS
		tol := pxModelTolerance(model)
		r.Metric("pc_smart_connections", float64(len(pw.client)))
		r.Metric("pc_smart_second_request_ms", wait)
		r.Metric("pc_smart_second_model_ms", model)
		r.Check("proxy-connection-one-smart",
			"C26: a smart proxy understands Proxy-Connection: keep-alive and keeps the connections",
			fmt.Sprintf("both requests answered on one client connection, the second in RTT_client + RTT_server = %s ± %.1f ms; the server link carries 1 connection with 2 requests, each with Connection: keep-alive and without Proxy-Connection", fmtMs(model), tol),
			fmt.Sprintf("request 2: %s in %s, reused: %v; client link: %s; server link: %s; with Connection: keep-alive %d, with Proxy-Connection %d",
				pxOutcome(run.results[1]), fmtMs(wait), run.results[1].Timing().Reused, pxShape(pw.client), pxShape(pw.server), kaSeen, pcSeen),
			pxOK(run.results[0], x.Size) && pxOK(run.results[1], x.Size) && run.results[1].Timing().Reused &&
				len(pw.client) == 1 && len(pw.server) == 1 && reqs == 2 && kaSeen == 2 && pcSeen == 0 &&
				rttC > 0 && rttS > 0 && within(wait, model, tol))
	}

	// A dumb proxy behind the smart one: the smart proxy's own Connection:
	// keep-alive reaches the server, which keeps the connection; the dumb
	// proxy never reads the next request and the smart proxy gives up.
	if run, pw := pxFind(runs, w, "chain"); run != nil && len(run.results) == 2 {
		second := run.results[1]
		wait := ms(run.wait(1))
		status := 0
		if second.Response != nil {
			status = second.Response.Status
		}
		failed := status == 504 || errors.Is(second.Err, peer.ErrTimeout)
		var fwdConn string
		serverKA := false
		if len(pw.server) == 1 && len(pw.server[0].reqs) == 1 && len(pw.server[0].resps) == 1 {
			fwdConn = pw.server[0].reqs[0].Header.Get("Connection")
			serverKA = pxHasToken(pw.server[0].resps[0].Header, "Connection", "keep-alive")
		}
		// The kernel's witness inside the proxy namespace: the dumb proxy
		// behind still had request 2 in its receive queue when it closed.
		behindUnread := -1
		if len(run.behind) == 1 {
			behindUnread = run.behind[0].Unread
		}
		r.Metric("chain_behind_unread_bytes", float64(behindUnread))
		r.Metric("chain_second_request_ms", wait)
		r.Metric("chain_second_status", float64(status))
		tol := pxHangTolerance(hang) + ms(4*p.RTT)
		r.Check("proxy-connection-chain-fails",
			"C26: Proxy-Connection fails when a dumb proxy sits between the smart proxy and the server",
			fmt.Sprintf("request 1 answered; request 2 fails (504 from the smart proxy, or a timeout) after the %s upstream timeout (+%.0f ms); the server link carries 1 request with the smart proxy's Connection: keep-alive, the server answers keep-alive, and request 2 is never executed: the dumb proxy behind forwarded 1 request and still held request 2 unread when it closed (SIOCINQ > 0)", fmtMs(hang), tol),
			fmt.Sprintf("request 1: %s; request 2: %s after %s; server link: %s, forwarded Connection: %q, server keep-alive: %v; server executions of request 2: %d; dumb proxy behind: %d forward(s), %d bytes unread at its close",
				pxOutcome(run.results[0]), pxOutcome(second), fmtMs(wait), pxShape(pw.server), fwdConn, serverKA, run.exec(1), len(run.chainFw), behindUnread),
			pxOK(run.results[0], x.Size) && failed && wait >= hang-2 && wait <= hang+tol &&
				pxListHas(fwdConn, "keep-alive") &&
				serverKA && run.exec(1) == 0 && len(run.chainFw) == 1 && behindUnread > 0)
	}

	r.Model = fmt.Sprintf("Through a dumb proxy, request 2 on the kept connection is never read: it waits for the client's timeout, "+
		"hang = %s. Through a smart proxy both sides persist and request 2 costs one round trip per link, RTT_client + RTT_server ≈ 2 × %s. "+
		"A dumb proxy forwards every hop-by-hop field (Connection, Keep-Alive and the fields Connection names); a smart one forwards none. "+
		"Proxy-Connection: ignored by the server behind one dumb proxy (a connection per request, no hang), honoured by one smart proxy "+
		"(one connection per side), and a hang again — a 504 after the smart proxy's %s upstream timeout — when a dumb proxy sits behind the smart one.",
		fmtMs(hang), fmtMs(ms(p.RTT)), fmtMs(hang))
}

// pxUniq returns the sorted distinct strings of xs.
func pxUniq(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// pxLinkRTTs reads each link's round-trip time from the first handshake of
// a phase on it. The client link is captured at the client, where SYN →
// SYN/ACK is the RTT; the server link at the server, where SYN/ACK → ACK is.
// Zero when the handshake is missing.
func pxLinkRTTs(pw pxWire) (client, server float64) {
	if len(pw.client) > 0 && pw.client[0].hsOK {
		client = ms(pw.client[0].hs.RTT)
	}
	if len(pw.server) > 0 && pw.server[0].hsOK && pw.server[0].hs.ACK != nil {
		server = ms(pw.server[0].hs.ACK.Time.Sub(pw.server[0].hs.SYNACK.Time))
	}
	return client, server
}

// pxHangTolerance is how late a timeout of hang ms may fire on a loaded
// 2-core machine: 5 %, at least 50 ms.
func pxHangTolerance(hang float64) float64 { return tolerance(hang, 0.05, 50) }

// pxModelTolerance is the tolerance of a request's time against the
// round-trip model: 25 %, at least 10 ms — proxy and server run on a loaded
// 2-core machine and each add scheduling delay, while one more round trip
// (a new connection on a link) would add 50 % to the two-link model.
func pxModelTolerance(model float64) float64 { return tolerance(model, 0.25, 10) }

// pxRecReqs and pxRecReason summarise a single connection record.
func pxRecReqs(recs []peer.ConnRecord) int {
	if len(recs) != 1 {
		return -1
	}
	return recs[0].Requests
}

func pxRecReason(recs []peer.ConnRecord) string {
	if len(recs) != 1 {
		return fmt.Sprintf("%d records", len(recs))
	}
	return recs[0].ClosedBy.String() + " (" + recs[0].Reason + ")"
}
