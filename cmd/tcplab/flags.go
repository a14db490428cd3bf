package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

// planFlags are the flags every experiment shares.
func planFlags() []cli.Flag {
	d := experiment.DefaultPlan()
	return []cli.Flag{
		&cli.DurationFlag{Name: "rtt", Value: d.RTT, Usage: "round-trip time of the emulated link (half each way)"},
		&cli.StringFlag{Name: "rate", Value: "0", Usage: "link rate, e.g. 10mbit, 100mbit, 1gbit; 0 = unlimited"},
		&cli.Float64Flag{Name: "loss", Value: d.Loss, Usage: "per-packet loss probability in each direction (seeded)"},
		&cli.IntFlag{Name: "queue", Value: d.Queue, Usage: "packets the link holds before it drops at the tail"},
		&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the loss process: same seed, same drops"},
		&cli.StringFlag{Name: "cc", Value: d.CC, Usage: "congestion control pinned on every socket: reno, cubic or bbr"},
		&cli.StringFlag{Name: "link", Value: d.Link, Usage: "link emulation: tun (userspace emulator over TUN devices), veth (the emulator bridging veth pairs; used without root) or netem (only where the kernel has it)"},
		&cli.StringFlag{Name: "out", Value: d.OutDir, Usage: "directory for artifacts (pcapng, SVG)"},
		&cli.StringFlag{Name: "pcap", Usage: "write the annotated capture to this pcapng file (default <out>/<experiment>.pcapng)"},
		&cli.BoolFlag{Name: "json", Usage: "print the result as JSON (the contract of DESIGN.md)"},
		&cli.BoolFlag{Name: "let-cpus-idle", Usage: "let idle CPUs halt while the link delays or paces packets (by default SCHED_IDLE spinners keep them awake, because a halted virtual CPU wakes the relay up to milliseconds late)"},
	}
}

// planFrom reads the shared flags into a validated Plan.
func planFrom(c *cli.Context) (experiment.Plan, error) {
	p := experiment.DefaultPlan()
	p.RTT = c.Duration("rtt")
	rate, err := parseRate(c.String("rate"))
	if err != nil {
		return p, err
	}
	p.RateBps = rate
	p.Loss = c.Float64("loss")
	p.Queue = c.Int("queue")
	p.Seed = c.Int64("seed")
	p.LetCPUsIdle = c.Bool("let-cpus-idle")
	// Commands that take only the link's flags (lab up) keep the defaults
	// of the rest.
	for _, f := range []struct {
		name string
		dst  *string
	}{{"cc", &p.CC}, {"link", &p.Link}, {"out", &p.OutDir}, {"pcap", &p.Pcap}} {
		if v := c.String(f.name); v != "" {
			*f.dst = v
		}
	}
	return p, p.Validate()
}

// parseRate reads a rate such as "10mbit", "1.5gbit", "800kbit" or a plain
// number of bit/s.
func parseRate(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("--rate %q: want a number of bit/s or a value like 10mbit", s)
	}
	return int64(v * mult), nil
}

// durationMs renders d in milliseconds for plan output.
func durationMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
