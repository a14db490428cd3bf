package main

import (
	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewNagle()
	registerExperimentCommand("nagle", experimentCmd{
		usage: "§4.2: Nagle's algorithm meets delayed ACKs — write-write-read stalls, TCP_NODELAY, TCP_CORK, TCP_QUICKACK",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "exchanges", Value: d.Exchanges, Usage: "write-write-read exchanges per mode, on one connection (3 to 1000)"},
			&cli.IntFlag{Name: "burst", Value: d.Burst, Usage: "1-byte writes in the coalescing burst (20 to 10000)"},
			&cli.IntFlag{Name: "body", Value: d.BodyBytes, Usage: "bytes of the request body, the second write (1 to 500)"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			n := e.(*experiment.Nagle)
			n.Exchanges, n.Burst, n.BodyBytes = c.Int("exchanges"), c.Int("burst"), c.Int("body")
			return n.Validate()
		},
	})
}
