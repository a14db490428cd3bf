package main

import (
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewLinger()
	registerExperimentCommand("linger", experimentCmd{
		usage: "§4.2: SO_LINGER — graceful close (FIN, TIME_WAIT), abortive close (RST), and a close that waits",
		flags: []cli.Flag{
			&cli.DurationFlag{Name: "linger", Value: d.Linger,
				Usage: "d of the SO_LINGER {1,d} variant, whole seconds (rounded up; raised to 3 RTT if shorter)"},
			&cli.IntFlag{Name: "payload", Value: d.Payload, Usage: "bytes the graceful variants send before closing"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			l := e.(*experiment.Linger)
			l.Linger, l.Payload = c.Duration("linger"), c.Int("payload")
			if l.Linger < time.Second || l.Linger > time.Minute {
				return fmt.Errorf("--linger %v out of range (1s to 1m; 0 would be the abortive close)", l.Linger)
			}
			if l.Payload < 1 || l.Payload > 1<<20 {
				return fmt.Errorf("--payload %d out of range (1 to 1048576 bytes)", l.Payload)
			}
			return nil
		},
	})
}
