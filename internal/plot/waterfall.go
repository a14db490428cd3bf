package plot

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Phase is one coloured stretch of a waterfall bar: connecting, waiting for
// the first byte, receiving.
type Phase struct {
	Kind       string  // "connect", "wait", "receive" or any other label
	Start, End float64 // milliseconds from the page start
}

// Bar is one request of a waterfall: a row with its phases.
type Bar struct {
	Label  string
	Phases []Phase
}

// Waterfall is a page-load waterfall: one bar per request, time on X.
type Waterfall struct {
	Title string
	Bars  []Bar
}

var phaseColors = map[string]color.RGBA{
	"connect": {230, 159, 0, 255},
	"wait":    {86, 180, 233, 255},
	"receive": {0, 114, 178, 255},
}

// SaveSVG draws the waterfall into an SVG file at path. Row 0 is at the top.
func (w Waterfall) SaveSVG(path string) error {
	p := plot.New()
	p.Title.Text = w.Title
	p.X.Label.Text = "time since the page load started (ms)"
	p.Y.Label.Text = "request"
	p.Add(plotter.NewGrid())
	n := len(w.Bars)
	legend := map[string]bool{}
	for i, b := range w.Bars {
		y := float64(n - i)
		for _, ph := range b.Phases {
			if ph.End < ph.Start {
				return fmt.Errorf("plot: bar %q phase %q ends before it starts", b.Label, ph.Kind)
			}
			ln, err := plotter.NewLine(plotter.XYs{{X: ph.Start, Y: y}, {X: ph.End, Y: y}})
			if err != nil {
				return fmt.Errorf("plot: bar %q: %w", b.Label, err)
			}
			col, ok := phaseColors[ph.Kind]
			if !ok {
				col = color.RGBA{120, 120, 120, 255}
			}
			ln.LineStyle.Color = col
			ln.LineStyle.Width = vg.Points(7)
			p.Add(ln)
			if !legend[ph.Kind] {
				legend[ph.Kind] = true
				p.Legend.Add(ph.Kind, ln)
			}
		}
	}
	p.Y.Min, p.Y.Max = 0, float64(n+1)
	// Room on the right for the legend, so it never covers a bar.
	maxEnd := 0.0
	for _, b := range w.Bars {
		for _, ph := range b.Phases {
			maxEnd = max(maxEnd, ph.End)
		}
	}
	p.X.Min, p.X.Max = 0, maxEnd*1.22+1
	ticks := make([]plot.Tick, 0, n)
	for i, b := range w.Bars {
		ticks = append(ticks, plot.Tick{Value: float64(n - i), Label: b.Label})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Legend.Top = true
	height := vg.Length(1.5*vg.Inch) + vg.Length(n)*vg.Points(12)
	if err := p.Save(9*vg.Inch, height, path); err != nil {
		return fmt.Errorf("plot: save %s: %w", path, err)
	}
	return nil
}
