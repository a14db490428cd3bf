package plot

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wellFormed parses the SVG as XML and returns its text.
func wellFormed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
	}
	return string(b)
}

func TestChartSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cwnd.svg")
	c := Chart{Title: "cwnd", XLabel: "ms", YLabel: "segments", Series: []Series{
		{Name: "cold", Points: []XY{{0, 10}, {40, 20}, {80, 40}}},
		{Name: "data", Points: []XY{{1, 1}, {2, 2}}, Dots: true},
	}}
	if err := c.SaveSVG(path); err != nil {
		t.Fatal(err)
	}
	s := wellFormed(t, path)
	for _, want := range []string{"<svg", "cold", "data", "segments"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if err := c.SaveSVG(filepath.Join(t.TempDir(), "x.png")); err == nil {
		t.Error("SaveSVG accepted a .png path")
	}
}

func TestWaterfallSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.svg")
	w := Waterfall{Title: "serial", Bars: []Bar{
		{Label: "/index.html", Phases: []Phase{{"connect", 0, 40}, {"wait", 40, 80}, {"receive", 80, 85}}},
		{Label: "/obj/1", Phases: []Phase{{"connect", 85, 125}, {"wait", 125, 165}}},
	}}
	if err := w.SaveSVG(path); err != nil {
		t.Fatal(err)
	}
	s := wellFormed(t, path)
	for _, want := range []string{"/index.html", "/obj/1", "connect", "receive"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	bad := Waterfall{Bars: []Bar{{Label: "x", Phases: []Phase{{"wait", 10, 5}}}}}
	if err := bad.SaveSVG(filepath.Join(t.TempDir(), "bad.svg")); err == nil {
		t.Error("a phase ending before it starts was accepted")
	}
}
