package plot

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// XY is one point.
type XY struct{ X, Y float64 }

// Series is a named set of points, drawn as a line or as dots.
type Series struct {
	Name   string
	Points []XY
	Dots   bool // scatter instead of a line
}

// Chart describes a line or scatter chart.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	// LegendBottomRight moves the legend from the top left, where rising
	// series start, to the bottom right, where rising series have left.
	LegendBottomRight bool
}

// palette is a colour-blind friendly set (Okabe–Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{86, 180, 233, 255}, {213, 94, 0, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

// SaveSVG draws the chart into an SVG file at path.
func (c Chart) SaveSVG(path string) error {
	if !strings.EqualFold(filepath.Ext(path), ".svg") {
		return fmt.Errorf("plot: %s: want a .svg path", path)
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Legend.Top = !c.LegendBottomRight
	p.Legend.Left = !c.LegendBottomRight
	p.Add(plotter.NewGrid())
	for i, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(s.Points))
		for j, q := range s.Points {
			pts[j].X, pts[j].Y = q.X, q.Y
		}
		col := palette[i%len(palette)]
		if s.Dots {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return fmt.Errorf("plot: series %q: %w", s.Name, err)
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(1.5)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			p.Legend.Add(s.Name, sc)
			continue
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("plot: series %q: %w", s.Name, err)
		}
		ln.LineStyle.Color = col
		ln.LineStyle.Width = vg.Points(1.5)
		p.Add(ln)
		p.Legend.Add(s.Name, ln)
	}
	if err := p.Save(8*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("plot: save %s: %w", path, err)
	}
	return nil
}
