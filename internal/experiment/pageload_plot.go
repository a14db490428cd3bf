package experiment

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/peer"
	"github.com/tcplab/tcplab/internal/plot"
)

// plot draws one waterfall per strategy and round from the client's Timing
// records and records them as artifacts "waterfall_<round>_<strategy>".
func (pl *PageLoad) plot(r *Result, p Plan, rounds []*plRound) error {
	for _, rd := range rounds {
		for _, run := range rd.runs {
			key := plKey(run.strategy.Mode)
			w := plWaterfall(run.timings, run.start)
			w.Title = fmt.Sprintf("%s round (%s): %s — %.0f ms, %d connection(s), model %.0f ms",
				rd.spec.name, plRateName(rd.spec.rateBps), run.strategy, ms(run.total), len(run.client), ms(run.model.total))
			path := p.Artifact(fmt.Sprintf("%s-%s-%s.svg", pl.Name(), rd.spec.name, strings.ReplaceAll(key, "_", "-")))
			if err := w.SaveSVG(path); err != nil {
				return fmt.Errorf("pageload: waterfall: %w", err)
			}
			r.Artifacts["waterfall_"+rd.spec.name+"_"+key] = path
		}
	}
	return nil
}

// plWaterfall turns Timing records into waterfall bars, one per attempt in
// the order the requests were written: blocked (waiting for a connection or
// for the request before), connect, wait (request written → first byte),
// receive (first byte → complete). Times are milliseconds since start.
func plWaterfall(ts []peer.Timing, start time.Time) plot.Waterfall {
	ts = append([]peer.Timing(nil), ts...)
	sort.SliceStable(ts, func(i, j int) bool { return plBegin(ts[i]).Before(plBegin(ts[j])) })
	at := func(t time.Time) float64 { return max(ms(t.Sub(start)), 0) }
	var w plot.Waterfall
	for _, t := range ts {
		var b plot.Bar
		b.Label = fmt.Sprintf("%s · conn %d", plShortTarget(t.Target), t.Conn)
		add := func(kind string, from, to time.Time) {
			if from.IsZero() || to.IsZero() || !to.After(from) {
				return
			}
			b.Phases = append(b.Phases, plot.Phase{Kind: kind, Start: at(from), End: at(to)})
		}
		begin := plBegin(t)
		add("blocked", t.Queued, begin)
		add("connect", t.ConnStart, t.Connected)
		add("wait", t.Written, t.FirstByte)
		add("receive", t.FirstByte, t.Done)
		w.Bars = append(w.Bars, b)
	}
	return w
}

// plBegin is when an attempt started using the network: dialing, or
// writing its request on an open connection.
func plBegin(t peer.Timing) time.Time {
	if !t.ConnStart.IsZero() {
		return t.ConnStart
	}
	return t.Written
}

// plShortTarget drops the query: "/obj/3?size=2048" → "/obj/3".
func plShortTarget(t string) string {
	if i := strings.IndexByte(t, '?'); i >= 0 {
		return t[:i]
	}
	return t
}

// plRateName prints a link rate for people.
func plRateName(bps int64) string {
	switch {
	case bps <= 0:
		return "no rate limit"
	case bps%1_000_000 == 0:
		return fmt.Sprintf("%d Mbit/s", bps/1_000_000)
	case bps >= 1_000_000:
		return fmt.Sprintf("%.1f Mbit/s", float64(bps)/1e6)
	}
	return fmt.Sprintf("%d kbit/s", bps/1000)
}
