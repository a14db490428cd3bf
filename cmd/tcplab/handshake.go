package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewHandshake()
	registerExperimentCommand("handshake", experimentCmd{
		usage: "§4.2: what an HTTP transaction on a new connection costs, and the handshake's share",
		flags: []cli.Flag{
			&cli.StringFlag{Name: "sizes", Value: joinInts(d.Sizes), Usage: "response body sizes in bytes, comma-separated"},
			&cli.DurationFlag{Name: "server-delay", Value: d.ServerDelay, Usage: "the server's processing time per request"},
			&cli.IntFlag{Name: "repeats", Value: d.Repeats, Usage: "fresh connections per size"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			h := e.(*experiment.Handshake)
			sizes, err := parseInts(c.String("sizes"))
			if err != nil {
				return fmt.Errorf("--sizes: %w", err)
			}
			h.Sizes, h.ServerDelay, h.Repeats = sizes, c.Duration("server-delay"), c.Int("repeats")
			if h.ServerDelay < 0 || h.ServerDelay > time.Minute {
				return fmt.Errorf("--server-delay %v out of range (0 to 1m)", h.ServerDelay)
			}
			if h.Repeats < 1 || h.Repeats > 100 {
				return fmt.Errorf("--repeats %d out of range (1 to 100)", h.Repeats)
			}
			return nil
		},
	})
}

// parseInts reads a comma-separated list of non-negative integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a non-negative integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}
