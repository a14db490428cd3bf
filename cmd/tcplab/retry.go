package main

import (
	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewRetry()
	registerExperimentCommand("retry", experimentCmd{
		usage: "§4.6–4.7: connections closed under pipelined and reused requests, truncated bodies, safe retries and the double POST",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "requests", Value: d.Requests, Usage: "GETs pipelined on the persistent connection"},
			&cli.IntFlag{Name: "close-after", Value: d.CloseAfter, Usage: "responses after which the server closes each connection (2 to requests-1)"},
			&cli.IntFlag{Name: "size", Value: d.Size, Usage: "Content-Length of the truncated responses"},
			&cli.IntFlag{Name: "short", Value: d.Short, Usage: "body bytes the server withholds from a truncated response"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			x := e.(*experiment.Retry)
			x.Requests, x.CloseAfter = c.Int("requests"), c.Int("close-after")
			x.Size, x.Short = c.Int("size"), c.Int("short")
			return x.Validate()
		},
	})
}
