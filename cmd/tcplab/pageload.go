package main

import (
	"fmt"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewPageLoad()
	registerExperimentCommand("pageload", experimentCmd{
		usage: "§4.3–4.6: load a page serially, in parallel, over persistent and pipelined connections, on a fast and a slow link",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "objects", Value: d.Objects, Usage: "objects the page's document references (2 to 64)"},
			&cli.IntFlag{Name: "size", Value: d.Size, Usage: "bytes per object in the latency-bound round"},
			&cli.IntFlag{Name: "parallel", Value: d.Parallel, Usage: "connections at once in the parallel strategies (2 to 16)"},
			&cli.IntFlag{Name: "repeats", Value: d.Repeats, Usage: "loads per strategy and round, the fastest checked against the model (1 to 5; 0 = by RTT: more where round trips are short)"},
			&cli.StringFlag{Name: "bw-rate", Value: fmt.Sprint(d.BandwidthRate), Usage: "link rate of the bandwidth-bound round, e.g. 2mbit (--rate overrides it)"},
			&cli.IntFlag{Name: "bw-size", Value: d.BandwidthSize, Usage: "bytes per object in the bandwidth-bound round; 0 = two RTTs' worth at the rate, at least 32 KiB"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			pl := e.(*experiment.PageLoad)
			rate, err := parseRate(c.String("bw-rate"))
			if err != nil {
				return fmt.Errorf("--bw-rate %q: want a number of bit/s or a value like 2mbit", c.String("bw-rate"))
			}
			pl.Objects, pl.Size, pl.Parallel, pl.Repeats = c.Int("objects"), c.Int("size"), c.Int("parallel"), c.Int("repeats")
			pl.BandwidthRate, pl.BandwidthSize = rate, c.Int("bw-size")
			return pl.Validate()
		},
	})
}
