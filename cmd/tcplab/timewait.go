package main

import (
	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewTimewait()
	registerExperimentCommand("timewait", experimentCmd{
		usage: "§4.2: TIME_WAIT — who holds it, port exhaustion, tcp_tw_reuse, SO_LINGER, pools and SO_REUSEADDR",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "ports", Value: d.Ports, Usage: "size of the client namespace's ip_local_port_range (4 to 128)"},
			&cli.DurationFlag{Name: "reuse-delay", Value: d.ReuseDelay,
				Usage: "net.ipv4.tcp_tw_reuse_delay in the client namespace (the kernel's default is 1s)"},
			&cli.IntFlag{Name: "pool", Value: d.PoolConns, Usage: "persistent connections of the pool remedy (fewer than --ports)"},
			&cli.BoolFlag{Name: "wait-expiry", Usage: "wait about 60 s for the first TIME_WAIT entry to expire and measure when it does (progress on stderr)"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			t := e.(*experiment.Timewait)
			t.Ports, t.ReuseDelay, t.PoolConns = c.Int("ports"), c.Duration("reuse-delay"), c.Int("pool")
			t.WaitExpiry = c.Bool("wait-expiry")
			if err := t.Validate(); err != nil {
				return err
			}
			if t.WaitExpiry {
				t.Progress = c.App.ErrWriter
			}
			return nil
		},
	})
}
