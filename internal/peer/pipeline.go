package peer

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// errUnprocessed marks a pipelined request left unanswered after an earlier
// response announced the close of the connection: the server did not act on
// it (RFC 9112 §9.6), so sending it again is safe whatever its method.
var errUnprocessed = fmt.Errorf("%w: the server closed the connection after an earlier response", ErrConnClosed)

// flight is a request written on a pipelined connection and not yet
// answered.
type flight struct {
	j      *job
	t      Timing
	wantKA bool
	werr   error // the write failed: there is no response to read
}

// pipeline sends the jobs for each address over one persistent connection at
// a time (RFC 9112 §9.3.2): the first request on a connection goes alone;
// once a response has shown the connection persistent, the idempotent
// requests behind it are written without waiting; a non-idempotent request
// waits until nothing is outstanding and goes alone. Responses are matched
// to requests in order. When the connection ends with requests unanswered,
// a new connection is opened and they are sent again as the retry policy
// allows.
func (c *Client) pipeline(ctx context.Context, jobs []*job) {
	var order []string
	groups := map[string][]*job{}
	for _, j := range jobs {
		a := c.addr(&j.res.Request)
		if _, ok := groups[a]; !ok {
			order = append(order, a)
		}
		groups[a] = append(groups[a], j)
	}
	for _, addr := range order {
		pending := groups[addr]
		for len(pending) > 0 {
			if err := ctx.Err(); err != nil {
				for _, j := range pending {
					t := j.newTiming()
					t.Err = err.Error()
					c.record(j, t)
					j.finish(nil, false, fmt.Errorf("%w (%w)", ErrTimeout, err))
				}
				break
			}
			t := pending[0].newTiming()
			cc, err := c.pool.get(ctx, addr, pending[0].uncertain > 0, &t)
			if err != nil {
				for _, j := range pending {
					tj := j.newTiming()
					tj.Err = err.Error()
					c.record(j, tj)
					j.finish(nil, false, err)
				}
				break
			}
			pending = c.pipelineOn(ctx, cc, pending, t)
		}
	}
}

// pipelineOn runs the pipeline on one connection and returns the jobs still
// to send: those left unsent and those to send again.
func (c *Client) pipelineOn(ctx context.Context, cc *clientConn, pending []*job, t0 Timing) []*job {
	stop := context.AfterFunc(ctx, func() { _ = cc.nc.SetDeadline(time.Unix(1, 0)) })
	var (
		inflight []flight
		again    []*job
		lastDone time.Time
		sending  = true // more requests may be written on cc
		keep     = true // cc may go back to the pool
		first    = true // t0 carries the connection's dial times
		failure  error  // why cc ended, when it ended badly
	)
	// unanswered ends the flights still outstanding after cc ended.
	unanswered := func(err error) {
		for _, f := range inflight {
			f.t.Done = time.Now()
			f.t.Err = err.Error()
			c.record(f.j, f.t)
			if c.retryAfter(f.j, err) {
				again = append(again, f.j)
			} else {
				f.j.finish(nil, false, err)
			}
		}
		inflight = nil
	}
	for {
		for sending && len(pending) > 0 {
			j := pending[0]
			if len(inflight) > 0 && !c.mayPipeline(cc, j, inflight) {
				break
			}
			if cc.limit > 0 && cc.sent >= cc.limit || c.Config.MaxRequestsPerConn > 0 && cc.sent >= c.Config.MaxRequestsPerConn {
				sending, keep = false, false
				break
			}
			t := j.newTiming()
			if first {
				t.ConnStart, t.Connected, first = t0.ConnStart, t0.Connected, false
			}
			w, wantKA := c.wire(&j.res.Request, cc, true)
			j.res.Sent = w.Header
			pending = pending[1:]
			if err := cc.write(w, &t); err != nil {
				// The responses to the requests before it may still be
				// readable: read them first.
				inflight = append(inflight, flight{j: j, t: t, wantKA: wantKA, werr: ctxErr(ctx, err)})
				sending, keep = false, false
				break
			}
			inflight = append(inflight, flight{j: j, t: t, wantKA: wantKA})
			if !wantKA {
				sending, keep = false, false
			}
		}
		if len(inflight) == 0 {
			break
		}
		f := inflight[0]
		inflight = inflight[1:]
		resp, err := (*httpwire.Response)(nil), f.werr
		if err == nil {
			resp, err = cc.read(f.j.method(), &f.t, later(lastDone, f.t.Written))
			lastDone = f.t.Done
		}
		if err != nil {
			err = ctxErr(ctx, err)
			f.t.Err = err.Error()
			c.record(f.j, f.t)
			f.j.finish(resp, false, err)
			if c.retryAfter(f.j, err) {
				again = append(again, f.j)
			}
			unanswered(fmt.Errorf("%w: an earlier response on the connection failed", err))
			failure, keep = err, false
			break
		}
		persists := cc.afterResponse(resp, f.wantKA)
		c.record(f.j, f.t)
		f.j.finish(resp, persists, nil)
		if ok, _ := resp.KeepAlive(); !ok || !f.wantKA {
			unanswered(errUnprocessed)
			keep = false
			break
		}
		if !persists {
			sending, keep = false, false
		}
	}
	if !stop() {
		keep = false
	}
	c.pool.put(cc, keep, failure)
	return append(again, pending...)
}

// mayPipeline reports whether j may be written while inflight is
// outstanding: the connection has proven persistent, j and everything
// outstanding are idempotent, and the depth bound leaves room.
func (c *Client) mayPipeline(cc *clientConn, j *job, inflight []flight) bool {
	if !cc.proven || !Idempotent(j.method()) {
		return false
	}
	for _, f := range inflight {
		if !Idempotent(f.j.method()) {
			return false
		}
	}
	return c.Config.PipelineDepth <= 0 || len(inflight) < c.Config.PipelineDepth
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
