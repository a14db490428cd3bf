package main

import (
	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewFastOpen()
	registerExperimentCommand("tfo", experimentCmd{
		usage: "§4.2: TCP Fast Open — the first connection fetches a cookie, later ones send the request in the SYN and save a round trip",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "connections", Value: d.Connections, Usage: "Fast Open connections (2 to 50): #1 fetches the cookie, #2… use it; as many plain ones as the baseline"},
			&cli.IntFlag{Name: "response", Value: d.ResponseBytes, Usage: "response body size in bytes (0 to 100000)"},
			&cli.IntFlag{Name: "qlen", Value: d.QueueLen, Usage: "the listener's TCP_FASTOPEN queue length (1 to 4096)"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			f := e.(*experiment.FastOpen)
			f.Connections, f.ResponseBytes, f.QueueLen = c.Int("connections"), c.Int("response"), c.Int("qlen")
			return f.Validate()
		},
	})
}
