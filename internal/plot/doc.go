// Package plot draws the experiments' pictures as SVG with gonum/plot: the
// time-sequence (Stevens) graph of a transfer, the congestion window over
// time, and the waterfall of a page load. It knows nothing of experiments:
// it takes named series of points and bars.
package plot
