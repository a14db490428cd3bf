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
	d := experiment.NewSlowStart()
	registerExperimentCommand("slowstart", experimentCmd{
		usage: "§4.2: slow start doubles the window per round trip; warm connections are faster, idle ones start over",
		flags: []cli.Flag{
			&cli.StringFlag{Name: "size", Value: "auto", Usage: "bytes per transfer (k/m suffix = ×1000/×1000000), or auto: whole rounds of slow start that fit the link"},
			&cli.DurationFlag{Name: "sample", Value: d.SampleEvery, Usage: "TCP_INFO sampling period on the sender"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			s := e.(*experiment.SlowStart)
			size, err := parseSize(c.String("size"))
			if err != nil {
				return fmt.Errorf("--size: %w", err)
			}
			s.Size, s.SampleEvery = size, c.Duration("sample")
			if s.SampleEvery < time.Millisecond || s.SampleEvery > 50*time.Millisecond {
				return fmt.Errorf("--sample %v out of range (1ms to 50ms)", s.SampleEvery)
			}
			return nil
		},
	})
}

// parseSize reads "auto" (0), a number of bytes, or one with a k or m
// suffix (×1000, ×1000000), between 1 byte and 64 MiB.
func parseSize(arg string) (int, error) {
	s := strings.ToLower(strings.TrimSpace(arg))
	if s == "auto" || s == "0" {
		return 0, nil
	}
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1000
	case strings.HasSuffix(s, "m"):
		s, mult = strings.TrimSuffix(s, "m"), 1000_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > (64<<20)/mult {
		return 0, fmt.Errorf("%q: want auto or 1 byte to 64 MiB, e.g. 450000 or 450k", arg)
	}
	return n * mult, nil
}
