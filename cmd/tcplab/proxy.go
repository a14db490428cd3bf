package main

import (
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewProxy()
	registerExperimentCommand("proxy", experimentCmd{
		usage: "§4.5: keep-alive through a dumb proxy hangs, a smart proxy strips hop-by-hop fields, and Proxy-Connection",
		flags: []cli.Flag{
			&cli.DurationFlag{Name: "hang-timeout", Value: d.HangTimeout, Usage: "how long the client (and the smart proxy upstream) waits for a response; raised to 6 RTT + 100ms"},
			&cli.IntFlag{Name: "size", Value: d.Size, Usage: "body bytes of every object"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			x := e.(*experiment.Proxy)
			x.HangTimeout, x.Size = c.Duration("hang-timeout"), c.Int("size")
			if x.HangTimeout < 100*time.Millisecond || x.HangTimeout > 30*time.Second {
				return fmt.Errorf("--hang-timeout %v out of range (100ms to 30s)", x.HangTimeout)
			}
			if x.Size < 1 || x.Size > 1<<20 {
				return fmt.Errorf("--size %d out of range (1 B to 1 MiB)", x.Size)
			}
			return nil
		},
	})
}
