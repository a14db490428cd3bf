package experiment

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/peer"
)

func rtFind(runs []*rtRun, w []rtWire, name string) (*rtRun, rtWire) {
	for i, run := range runs {
		if run.sc.name == name {
			return run, w[i]
		}
	}
	return nil, rtWire{}
}

// rtMetricName turns a scenario name into a metric prefix: "retry-all" →
// "retry_all".
func rtMetricName(s string) string { return strings.ReplaceAll(s, "-", "_") }

// check compares every scenario with the model.
func (x *Retry) check(r *Result, p Plan, runs []*rtRun, w []rtWire) {
	conns, resets := 0, 0
	for _, rw := range w {
		conns += pxSYNs(flowsOf(rw.views))
		for _, v := range rw.views {
			if s := pxFirstClose(v.f, false, time.Time{}); s != nil && s.RST {
				resets++
			}
		}
	}
	r.Metric("connections", float64(conns))
	r.Metric("server_resets", float64(resets))

	retries := 0.0
	if run, rw := rtFind(runs, w, "pipeline"); run != nil {
		retries += x.checkPipeline(r, p, run, rw)
	} else {
		r.Check("pipeline-ran", "C30: pipelined requests survive a close", "the pipeline scenario ran", "it did not", false)
	}
	safe, sw := rtFind(runs, w, "safe")
	all, aw := rtFind(runs, w, "retry-all")
	if safe == nil || all == nil {
		r.Check("scripts-ran", "C33: a POST is not retried", "the scripted scenarios ran", "they did not", false)
		return
	}
	retries += x.checkScript(r, safe, sw)
	x.checkScript(r, all, aw)
	r.Metric("retries", retries)
	x.checkTruncation(r, safe, sw)
	x.checkPosts(r, safe, sw, all, aw)

	model := rtPipelineModel(x.Requests, x.CloseAfter)
	_, safeConns := rtScriptModel(safe.steps, false, rtMaxAttempts)
	_, allConns := rtScriptModel(all.steps, true, rtMaxAttempts)
	r.Model = fmt.Sprintf("Pipeline: %d GETs to a server that closes after %d responses give %d connections carrying %s requests "+
		"(the first alone, the rest pipelined once a response proved the connection persistent); every unanswered GET is sent again "+
		"and each is executed exactly once. Scripted list (warm GET, GET with a body %d bytes short, POST dropped after execution, GET, "+
		"POST with a short body) against a server that fails each request once: a correct client retries the GET on a new connection "+
		"(2 executions, %d connections in all) and never the POSTs (1 execution each); a client that retries everything executes each POST twice (%d connections).",
		x.Requests, x.CloseAfter, len(model), rtListSizes(model), x.Short, len(safeConns), len(allConns))
	r.Explain("A persistent connection can end at any moment; the client learns it only when a read returns EOF or a reset. Requests it had pipelined behind an answered one were never read by the server (Linux even answers their bytes with RST), so sending them again is safe.")
	r.Explain("A body shorter than its Content-Length is an error, never a response to keep or cache: the client discards the connection.")
	r.Explain("When the connection ends after the request was read, the client cannot know whether the server acted on it. Repeating a GET is harmless; repeating a POST may order twice — which is exactly what the retry-all client does.")
	r.Explain("The pcapng comments mark each request sent again, each truncated body and each server close (FIN, or RST with pipelined bytes unread).")
}

func rtListSizes(ls [][]int) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, fmt.Sprint(len(l)))
	}
	return strings.Join(parts, ", ")
}

// checkPipeline checks the pipeline scenario (C30, C31, C27) and returns
// the number of requests sent again.
func (x *Retry) checkPipeline(r *Result, p Plan, run *rtRun, rw rtWire) float64 {
	n, k := x.Requests, x.CloseAfter
	model := rtPipelineModel(n, k)
	syns := pxSYNs(flowsOf(rw.views))
	recsMatch := len(run.client) == len(model)
	for c, v := range rw.views {
		found := false
		for _, rec := range run.client {
			if rec.LocalPort == int(v.f.Client.Port()) {
				found = true
				recsMatch = recsMatch && c < len(rw.written) && rec.Requests == len(rw.written[c])
			}
		}
		recsMatch = recsMatch && found
	}
	r.Metric("connections_pipeline", float64(syns))
	r.Check("pipeline-reconnects",
		"C30: be ready to reconnect and resend: the unanswered pipelined requests go again on a new connection",
		fmt.Sprintf("%d connections (SYNs) carrying requests %s; the client's records agree, connection by connection", len(model), rtLists(model)),
		fmt.Sprintf("%d SYNs; requests read from the payloads per connection: %s; client records of %d connections agree: %v", syns, rtLists(rw.written), len(run.client), recsMatch),
		syns == len(model) && rtSameLists(rw.written, model) && recsMatch)

	// Pipelining only after proof, and then without waiting.
	// Requests 3, 4, … of a connection leave in one burst right after
	// response 1; on a loaded machine a burst may straddle the arrival of
	// response 2, so the check asks for at least one pipelined request per
	// connection that had three or more.
	early, pipelined, wantPipelined, wantConns := 0, 0, 0, 0
	for _, c := range model {
		wantPipelined += max(len(c)-2, 0)
		if len(c) >= 3 {
			wantConns++
		}
	}
	perConn := make([]int, len(rw.views))
	for c, v := range rw.views {
		for j := 1; j < len(v.reqs); j++ {
			rs := v.reqSeg(j)
			if rs == nil {
				continue
			}
			if j == 1 {
				if p := v.respSeg(0); p == nil || rs.Time.Before(p.Time) {
					early++
				}
				continue
			}
			if p := v.respSeg(j - 1); p == nil || rs.Time.Before(p.Time) {
				pipelined++
				perConn[c]++
			}
		}
	}
	gotConns := 0
	for _, n := range perConn {
		if n > 0 {
			gotConns++
		}
	}
	r.Metric("pipelined_requests", float64(pipelined))
	r.Check("pipeline-after-proof",
		"C30: pipeline only on a connection known to be persistent; then send without waiting",
		fmt.Sprintf("on every connection the second request leaves after the first response arrived; then requests go before the previous response arrived (model: %d in all) on each of the %d connections with three or more", wantPipelined, wantConns),
		fmt.Sprintf("%d second requests sent before the first response; %d requests pipelined, on %d connections", early, pipelined, gotConns),
		early == 0 && pipelined > 0 && pipelined <= wantPipelined && gotConns == wantConns)

	// Responses in request order: every body has its request's size.
	mismatch, answered := 0, 0
	for c, v := range rw.views {
		for j, resp := range v.resps {
			answered++
			if j >= len(rw.written[c]) || rw.written[c][j] < 0 || resp.BodyLen != pipelineSize(rw.written[c][j]) {
				mismatch++
			}
		}
	}
	clientBad := 0
	for i, res := range run.results {
		if res.Err != nil || res.Response == nil || len(res.Response.Body) != pipelineSize(i) {
			clientBad++
		}
	}
	r.Check("pipeline-in-order",
		"C30: responses come in request order",
		fmt.Sprintf("%d responses on the wire, each with the body size of the request in the same place on its connection; the client got every object with its own size", n),
		fmt.Sprintf("%d responses on the wire, %d out of place; client objects wrong or missing: %d", answered, mismatch, clientBad),
		answered == n && mismatch == 0 && clientBad == 0)

	// Who closed, and how: the server's record (bytes unread at close(2))
	// against the wire (RST or FIN).
	var parts []string
	agree, serverCloses, wantCloses, resets, wantResets := true, 0, 0, 0, 0
	for _, c := range model {
		if len(c) >= k {
			wantCloses++
		}
		if len(c) > k {
			wantResets++
		}
	}
	for c, v := range rw.views {
		s := pxFirstClose(v.f, false, time.Time{})
		cs := pxFirstClose(v.f, true, time.Time{})
		serverFirst := s != nil && (cs == nil || !cs.Time.Before(s.Time))
		rec, ok := run.serverRecord(v.f.Client.Port())
		switch {
		case !ok:
			agree = false
			parts = append(parts, fmt.Sprintf("conn %d: no server record", c+1))
		case rec.ClosedBy == peer.ByLocal && rec.Reason == peer.ReasonCloseAfter:
			serverCloses++
			rst := s != nil && s.RST
			if rst {
				resets++
			}
			agree = agree && serverFirst && rst == (rec.Unread > 0)
			parts = append(parts, fmt.Sprintf("conn %d: server closed after %d responses with %d bytes unread → %s", c+1, rec.Responses, rec.Unread, pxFinOrRst(rst)))
		default:
			parts = append(parts, fmt.Sprintf("conn %d: %s closed (%s)", c+1, rec.ClosedBy, rec.Reason))
		}
	}
	r.Check("server-closes-with-requests-in-flight",
		"C31: either side may close at any time — here the server, with pipelined requests in flight",
		fmt.Sprintf("the server closes %d connections first, after %d responses each; RST on the wire exactly where its record shows requests left unread at close(2) (%d; fewer under loss, when pipelined requests arrive after the close), FIN elsewhere", wantCloses, k, wantResets),
		strings.Join(parts, "; "),
		agree && serverCloses == wantCloses && (resets == wantResets || p.Loss > 0 && resets <= wantResets))

	sent := rw.sentOnWire(n)
	var wantSent []int
	for i := range n {
		cnt := 0
		for _, c := range model {
			for _, j := range c {
				if j == i {
					cnt++
				}
			}
		}
		wantSent = append(wantSent, cnt)
	}
	once := true
	var execs []string
	for i := range n {
		e := run.exec(i)
		r.Metric(fmt.Sprintf("exec_pipeline_%d", i+1), float64(e))
		once = once && e == 1
		execs = append(execs, fmt.Sprint(e))
	}
	resent := rw.requests() - n
	modelResent := 0
	for _, c := range model {
		modelResent += len(c)
	}
	modelResent -= n
	r.Metric("retries_pipeline", float64(resent))
	r.Check("pipelined-gets-executed-once",
		"C30/C27: requests the server never read are resent safely: every GET executed once",
		fmt.Sprintf("each GET executed exactly once although sent %v times on the wire (%d sent again)", wantSent, modelResent),
		fmt.Sprintf("executions %s; sent on the wire %v (%d again)", strings.Join(execs, " "), sent, resent),
		once && fmt.Sprint(sent) == fmt.Sprint(wantSent) && resent == modelResent)
	return float64(resent)
}

// checkScript checks a scripted scenario against rtScriptModel: the
// connections and what each carried, the executions and the attempts. It
// returns the number of requests sent again.
func (x *Retry) checkScript(r *Result, run *rtRun, rw rtWire) float64 {
	outs, model := rtScriptModel(run.steps, run.sc.retryAll, rtMaxAttempts)
	name := rtMetricName(run.sc.name)
	syns := pxSYNs(flowsOf(rw.views))
	r.Metric("connections_"+name, float64(syns))
	policy := "retries idempotent requests only"
	if run.sc.retryAll {
		policy = "retries every method"
	}
	r.Check(run.sc.name+"-connections-on-wire",
		"C31: either side may close at any time: each failure ends its connection, and what follows goes on a new one",
		fmt.Sprintf("a client that %s: %d connections carrying requests %s", policy, len(model), rtLists(model)),
		fmt.Sprintf("%d SYNs; requests read from the payloads per connection: %s", syns, rtLists(rw.written)),
		syns == len(model) && rtSameLists(rw.written, model))

	sent := rw.sentOnWire(len(run.steps))
	ok := true
	var parts []string
	retries := 0
	for i, s := range run.steps {
		e := run.exec(i)
		r.Metric(fmt.Sprintf("exec_%s_%s", name, s.name), float64(e))
		att := len(run.results[i].Attempts)
		retries += att - 1
		good := run.results[i].Err == nil
		ok = ok && e == outs[i].execs && att == outs[i].attempts && sent[i] == outs[i].attempts && good == outs[i].ok
		parts = append(parts, fmt.Sprintf("%s %s: executed %d, sent %d (wire %d), %s", s.method, s.name, e, att, sent[i], rtVerdict(run.results[i])))
	}
	r.Metric("retries_"+name, float64(retries))
	var want []string
	for i, s := range run.steps {
		want = append(want, fmt.Sprintf("%s %s: executed %d, sent %d", s.method, s.name, outs[i].execs, outs[i].attempts))
	}
	r.Check(run.sc.name+"-executions",
		"C33: the server's execution counters against the client's retries",
		strings.Join(want, "; "),
		strings.Join(parts, "; "),
		ok)
	return float64(retries)
}

// rtVerdict says how a request ended for the client.
func rtVerdict(res peer.Result) string {
	switch {
	case res.Err == nil && res.Response != nil:
		return fmt.Sprintf("client got %d", res.Response.Status)
	case errors.Is(res.Err, peer.ErrTruncated):
		return "client saw a truncated body"
	case errors.Is(res.Err, peer.ErrConnClosed):
		return "client saw the connection close"
	case res.Err != nil:
		return "client error"
	}
	return "no response"
}

// checkTruncation checks the short bodies of the safe scenario (C32, C24).
func (x *Retry) checkTruncation(r *Result, run *rtRun, rw rtWire) {
	detected := 0
	for _, res := range run.results {
		for _, a := range res.Attempts {
			if strings.Contains(a.Err, peer.ErrTruncated.Error()) {
				detected++
			}
		}
	}
	wantShort := 0
	for _, s := range run.steps {
		if s.fail == rtFailShort {
			wantShort++
		}
	}
	onWire, closedAfter, reusedAfter := 0, 0, 0
	bodyBytes, declared := -1, int64(-1)
	for c, v := range rw.views {
		for j, resp := range v.resps {
			if !resp.Truncated {
				continue
			}
			onWire++
			bodyBytes, declared = resp.BodyLen, resp.ContentLength
			// The server ends the connection first (under loss its FIN may
			// reach the capture before a retransmitted body segment).
			sc, cc := pxFirstClose(v.f, false, time.Time{}), pxFirstClose(v.f, true, time.Time{})
			if sc != nil && (cc == nil || !cc.Time.Before(sc.Time)) {
				closedAfter++
			}
			if len(rw.written[c]) > j+1 {
				reusedAfter++
			}
		}
	}
	r.Metric("truncated_detected", float64(detected))
	r.Metric("truncated_on_wire", float64(onWire))
	r.Metric("short_body_bytes", float64(bodyBytes))
	r.Metric("short_content_length", float64(declared))
	r.Check("truncation-detected",
		"C32: when the body is shorter than its Content-Length and the server closes, the client must notice",
		fmt.Sprintf("%d responses on the wire with %d body bytes for a Content-Length of %d, each on a connection the server closes first; the client reports %d truncations and sends nothing more on those connections",
			wantShort, x.Size-x.Short, x.Size, wantShort),
		fmt.Sprintf("%d truncated responses on the wire (%d body bytes, Content-Length %d), %d on connections the server closed first; client reported %d; requests after a truncated body on its connection: %d",
			onWire, bodyBytes, declared, closedAfter, detected, reusedAfter),
		onWire == wantShort && detected == wantShort && closedAfter == wantShort && reusedAfter == 0 &&
			bodyBytes == x.Size-x.Short && declared == int64(x.Size))

	// The truncated GET: retried on a new connection, complete, cacheable
	// only the second time.
	for i, s := range run.steps {
		if s.method != "GET" || s.fail != rtFailShort {
			continue
		}
		res := run.results[i]
		ok := len(res.Attempts) == 2 && res.Err == nil && res.Response != nil && len(res.Response.Body) == x.Size &&
			res.Cacheable && !res.Attempts[1].Reused && res.Attempts[1].Conn != res.Attempts[0].Conn &&
			strings.Contains(res.Attempts[0].Err, peer.ErrTruncated.Error())
		obs := fmt.Sprintf("%d attempt(s)", len(res.Attempts))
		if len(res.Attempts) == 2 {
			obs += fmt.Sprintf(", the first on connection %d (%s), the second on connection %d (reused %v)",
				res.Attempts[0].Conn, rtShortErr(res.Attempts[0].Err), res.Attempts[1].Conn, res.Attempts[1].Reused)
		}
		obs += fmt.Sprintf("; final: %s; cacheable %v; executed %d", rtVerdict(res), res.Cacheable, run.exec(i))
		r.Check("truncated-get-retried",
			"C24/C27: clients retry safe requests after a close: the truncated GET goes again on a new connection",
			fmt.Sprintf("2 attempts, the second on a new connection, ending with all %d bytes (cacheable only then); executed twice — harmless for a GET", x.Size),
			obs, ok && run.exec(i) == 2)
	}
}

// rtShortErr shortens an attempt's error for the report.
func rtShortErr(s string) string {
	switch {
	case strings.Contains(s, peer.ErrTruncated.Error()):
		return "truncated"
	case strings.Contains(s, peer.ErrConnClosed.Error()):
		return "connection closed"
	case s == "":
		return "ok"
	}
	return s
}

// checkPosts checks the POSTs: never retried by the correct client, twice
// executed by the one that retries everything (C33).
func (x *Retry) checkPosts(r *Result, safe *rtRun, sw rtWire, all *rtRun, aw rtWire) {
	maxExec := func(run *rtRun) int {
		m := 0
		for i, s := range run.steps {
			if s.method == "POST" {
				m = max(m, run.exec(i))
			}
		}
		return m
	}
	r.Metric("post_executions_safe", float64(maxExec(safe)))
	r.Metric("post_executions_retry_all", float64(maxExec(all)))

	sentSafe := sw.sentOnWire(len(safe.steps))
	sentAll := aw.sentOnWire(len(all.steps))
	okSafe, okAll := true, true
	var ps, pa []string
	posts := 0
	for i, s := range safe.steps {
		if s.method != "POST" {
			continue
		}
		posts++
		res := safe.results[i]
		okSafe = okSafe && safe.exec(i) == 1 && sentSafe[i] == 1 && len(res.Attempts) == 1 && peer.Retryable(res.Err)
		ps = append(ps, fmt.Sprintf("%s: executed %d, on the wire %d time(s), %s", s.name, safe.exec(i), sentSafe[i], rtVerdict(res)))
	}
	for i, s := range all.steps {
		if s.method != "POST" {
			continue
		}
		res := all.results[i]
		okAll = okAll && all.exec(i) == 2 && sentAll[i] == 2 && len(res.Attempts) == 2 && res.Err == nil
		pa = append(pa, fmt.Sprintf("%s: executed %d, on the wire %d time(s), %s", s.name, all.exec(i), sentAll[i], rtVerdict(res)))
	}

	// The dropped POST on the wire: the request, no response, the server's
	// close first.
	dropSeen := false
	for c, v := range sw.views {
		for j, k := range sw.written[c] {
			if k < 0 || safe.steps[k].fail != rtFailDrop || j != len(sw.written[c])-1 {
				continue
			}
			rs := v.reqSeg(j)
			if rs == nil {
				continue
			}
			s := pxFirstClose(v.f, false, rs.Time)
			cs := pxFirstClose(v.f, true, rs.Time)
			dropSeen = len(v.resps) == j && s != nil && (cs == nil || !cs.Time.Before(s.Time)) &&
				v.downBytesBetween(rs.Time, s.Time) == 0
		}
	}
	r.Check("post-not-retried",
		"C33: after a lost connection the client cannot know what the server did: a POST is not retried automatically",
		fmt.Sprintf("each of the %d POSTs on the wire once, executed once, reported to the application as a failure; the dropped one shows on the wire as the request, no response, then the server's close", posts),
		fmt.Sprintf("%s; dropped POST seen on the wire: %v", strings.Join(ps, "; "), dropSeen),
		okSafe && posts > 0 && dropSeen)
	r.Check("double-post",
		"C33: a client that retries everything replays the POST: the server executes it twice",
		fmt.Sprintf("each of the %d POSTs on the wire twice (two connections), executed twice, and the client reports success", posts),
		strings.Join(pa, "; "),
		okAll && posts > 0)
}
