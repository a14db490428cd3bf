package experiment

import (
	"fmt"
	"time"
)

// Plan holds the settings every experiment shares. The zero value is not
// useful: start from DefaultPlan.
type Plan struct {
	RTT     time.Duration // round-trip time of the emulated link (half each way)
	RateBps int64         // link rate in bit/s; 0 = unlimited
	Loss    float64       // per-packet loss probability, each direction
	Queue   int           // packets the link may hold before it drops at the tail
	Seed    int64         // seed of the loss process: same seed, same drops
	CC      string        // congestion control pinned on every socket (TCP_CONGESTION)
	Link    string        // "tun" (userspace emulator over TUN), "veth" (the same emulator bridging veths, for unprivileged runs) or "netem"
	OutDir  string        // directory for artifacts (pcapng, SVG)
	Pcap    string        // pcapng path; "" = OutDir/<experiment>.pcapng

	// LetCPUsIdle lets idle CPUs halt while the link runs
	// (netlab.LinkConfig.LetCPUsIdle): less CPU burnt, wake-ups of the
	// relay up to milliseconds late on a virtual machine.
	LetCPUsIdle bool
}

// DefaultPlan is what `tcplab all` runs with.
func DefaultPlan() Plan {
	return Plan{
		RTT:    40 * time.Millisecond,
		Queue:  1000,
		Seed:   1,
		CC:     "cubic",
		Link:   "tun",
		OutDir: "out",
	}
}

// Validate rejects settings no experiment can honour.
func (p Plan) Validate() error {
	switch {
	case p.RTT < 0 || p.RTT > 10*time.Second:
		return fmt.Errorf("--rtt %v out of range (0 to 10s)", p.RTT)
	case p.RateBps < 0:
		return fmt.Errorf("--rate must not be negative")
	case p.Loss < 0 || p.Loss >= 1:
		return fmt.Errorf("--loss %v out of range [0, 1)", p.Loss)
	case p.Queue < 1:
		return fmt.Errorf("--queue must be at least 1 packet")
	}
	switch p.CC {
	case "reno", "cubic", "bbr":
	default:
		return fmt.Errorf("--cc %q: want reno, cubic or bbr", p.CC)
	}
	switch p.Link {
	case "tun", "veth", "netem":
	default:
		return fmt.Errorf("--link %q: want tun, veth or netem", p.Link)
	}
	return nil
}

// PcapPath is where the experiment called name writes its capture.
func (p Plan) PcapPath(name string) string {
	if p.Pcap != "" {
		return p.Pcap
	}
	return p.OutDir + "/" + name + ".pcapng"
}

// Artifact is the path of an extra artifact (an SVG picture, say).
func (p Plan) Artifact(file string) string { return p.OutDir + "/" + file }

// Fields renders the plan for the JSON result, plus the experiment's own
// parameters.
func (p Plan) Fields(extra map[string]any) map[string]any {
	m := map[string]any{
		"rtt_ms":   float64(p.RTT) / float64(time.Millisecond),
		"rate_bps": p.RateBps,
		"loss":     p.Loss,
		"queue":    p.Queue,
		"cc":       p.CC,
		"seed":     p.Seed,
		"link":     p.Link,
	}
	if p.LetCPUsIdle {
		m["let_cpus_idle"] = true
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}
