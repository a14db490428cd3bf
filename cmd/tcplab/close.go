package main

import (
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewClose()
	registerExperimentCommand("close", experimentCmd{
		usage: "§4.7: half-close, reset on unread data, and graceful close compared on the wire and in the kernel",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "response-size", Value: d.ResponseSize, Usage: "response body bytes; above the initial window (10 segments) part of it is still queued when the reset comes"},
			&cli.DurationFlag{Name: "read-delay", Value: d.ReadDelay, Usage: "client's pause before reading its pipelined responses; 0 = 2 RTT + 50ms (must exceed the RTT)"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			x := e.(*experiment.Close)
			x.ResponseSize, x.ReadDelay = c.Int("response-size"), c.Duration("read-delay")
			if x.ResponseSize < 16<<10 || x.ResponseSize > 4<<20 {
				return fmt.Errorf("--response-size %d out of range (16 KiB to 4 MiB: above the initial window, and small enough to sit in the server's send buffer)", x.ResponseSize)
			}
			if x.ReadDelay < 0 || x.ReadDelay > time.Minute {
				return fmt.Errorf("--read-delay %v out of range (0 to 1m)", x.ReadDelay)
			}
			return nil
		},
	})
}
