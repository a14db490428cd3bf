package main

import (
	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewKeepAlive()
	registerExperimentCommand("keepalive", experimentCmd{
		usage: "§4.5: HTTP/1.0 keep-alive (the echo, Keep-Alive: timeout= and max=) and HTTP/1.1 persistence, on the wire",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "requests", Value: d.Requests, Usage: "requests of the HTTP/1.0 and HTTP/1.1 sequences (2 to 20)"},
			&cli.DurationFlag{Name: "timeout", Value: d.Timeout, Usage: "the keep-alive server's idle timeout (200ms to 30s; announced in whole seconds)"},
			&cli.IntFlag{Name: "max", Value: d.Max, Usage: "requests the keep-alive server allows per connection (2 to 20)"},
			&cli.IntFlag{Name: "size", Value: d.Size, Usage: "response body bytes (1 to 10000: within the initial window)"},
			&cli.IntFlag{Name: "repeats", Value: d.Repeats, Usage: "runs of the timed sequences; the fastest is checked (1 to 5)"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			ka := e.(*experiment.KeepAlive)
			ka.Requests, ka.Timeout, ka.Max = c.Int("requests"), c.Duration("timeout"), c.Int("max")
			ka.Size, ka.Repeats = c.Int("size"), c.Int("repeats")
			return ka.Validate()
		},
	})
}
