package experiment

import (
	"fmt"
	"os"
	"time"

	"github.com/tcplab/tcplab/internal/plot"
)

// plot draws the time-sequence graph of the cold transfer and cwnd over time
// in every phase, and names them in r.Artifacts.
func (s *SlowStart) plot(r *Result, p Plan, run *ssRun, w ssWire) error {
	if err := os.MkdirAll(p.OutDir, 0o755); err != nil {
		return err
	}
	if w.found && len(w.phases) > 0 && w.phases[0].found {
		path := p.Artifact("slowstart-tseq.svg")
		if err := ssTimeSequence(w, run).SaveSVG(path); err != nil {
			return err
		}
		r.Artifacts["tseq_svg"] = path
	}
	path := p.Artifact("slowstart-cwnd.svg")
	if err := ssCwndChart(run, w, p.RTT).SaveSVG(path); err != nil {
		return err
	}
	r.Artifacts["cwnd_svg"] = path
	return nil
}

// ssTimeSequence is the Stevens graph of the cold transfer at the sender:
// the end of each data segment and the receiver's cumulative ACK, in KB of
// sequence space, against ms since the request arrived.
func ssTimeSequence(w ssWire, run *ssRun) plot.Chart {
	ph := w.phases[0]
	t0 := ph.reqAt
	base := w.isn + 1
	var data, acks []plot.XY
	for _, sg := range ph.seg {
		x := ms(sg.Time.Sub(t0))
		switch {
		case sg.Src == w.flow.Server && sg.Payload > 0:
			data = append(data, plot.XY{X: x, Y: float64(sg.Seq-base+uint32(sg.Payload)) / 1000})
		case sg.Src == w.flow.Client && sg.ACK && sg.Payload == 0 && !sg.FIN:
			acks = append(acks, plot.XY{X: x, Y: float64(sg.Ack-base) / 1000})
		}
	}
	return plot.Chart{
		Title:  fmt.Sprintf("Cold transfer: one step per round trip (%s segments)", ssInts(ph.flights)),
		XLabel: "ms since the request arrived",
		YLabel: "sequence number (kB of the transfer)",
		Series: []plot.Series{
			{Name: "data segment sent (end of its bytes)", Points: data, Dots: true},
			{Name: "ACK received", Points: acks, Dots: true},
		},
	}
}

// ssCwndChart overlays cwnd against the time since each transfer's write,
// one line per phase, from the sender's TCP_INFO samples.
func ssCwndChart(run *ssRun, w ssWire, rtt time.Duration) plot.Chart {
	var series []plot.Series
	for i, ph := range run.phases {
		if ph.atWrite == nil {
			continue
		}
		until := ph.lastByte.Add(rtt + 20*time.Millisecond)
		if i < len(w.phases) && w.phases[i].found {
			until = w.phases[i].lastData.Add(rtt + rtt/2 + 10*time.Millisecond)
		}
		pts := []plot.XY{{X: 0, Y: float64(ph.atWrite.SndCwnd)}}
		for _, sm := range run.samples {
			if sm.at.Before(ph.writeAt) || sm.at.After(until) {
				continue
			}
			pts = append(pts, plot.XY{X: ms(sm.at.Sub(ph.writeAt)), Y: float64(sm.info.SndCwnd)})
		}
		label := ph.name
		switch ph.name {
		case "idle":
			label = "idle, restart on (=1)"
		case "idle_noss":
			label = "idle, restart off (=0)"
		}
		series = append(series, plot.Series{Name: label, Points: pts})
	}
	return plot.Chart{
		Title:  "Sender's cwnd (TCP_INFO) per transfer; restart = tcp_slow_start_after_idle",
		XLabel: "ms since the response was written",
		YLabel: "cwnd (segments)",
		Series: series,
		// Every transfer rises from the left; the bottom right stays empty.
		LegendBottomRight: true,
	}
}
