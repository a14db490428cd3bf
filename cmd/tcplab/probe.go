package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/urfave/cli/v2"
)

// probeReport is what `tcplab probe` finds about this machine.
type probeReport struct {
	Kernel      string            `json:"kernel"`
	Root        bool              `json:"root"`
	TUN         string            `json:"tun"`
	Netem       string            `json:"netem"`
	UserNS      string            `json:"userns"`
	IdleCPUs    string            `json:"idle_cpus"`
	DefaultCC   string            `json:"default_cc"`
	AllowedCC   string            `json:"allowed_cc"`
	AvailableCC string            `json:"available_cc"`
	HostSysctls map[string]string `json:"host_sysctls"`
	Warnings    []string          `json:"warnings"`
}

// hostSysctls are read (never written) in the host namespace.
var hostSysctls = []string{
	"net.ipv4.tcp_congestion_control",
	"net.ipv4.tcp_allowed_congestion_control",
	"net.ipv4.tcp_available_congestion_control",
	"net.ipv4.tcp_fastopen",
	"net.ipv4.tcp_tw_reuse",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_timestamps",
	"net.ipv4.tcp_autocorking",
	"net.ipv4.ip_local_port_range",
	"net.mptcp.enabled",
	"user.max_user_namespaces",
}

func probeCommand() *cli.Command {
	return &cli.Command{
		Name:  "probe",
		Usage: "what this machine offers the lab: kernel, TUN, netem, user namespaces, congestion control, TFO, and the confounders to expect",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			rep := probe()
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			w := c.App.Writer
			fmt.Fprintf(w, "kernel        %s\n", rep.Kernel)
			fmt.Fprintf(w, "root          %v\n", rep.Root)
			fmt.Fprintf(w, "tun           %s\n", rep.TUN)
			fmt.Fprintf(w, "netem         %s\n", rep.Netem)
			fmt.Fprintf(w, "userns        %s\n", rep.UserNS)
			fmt.Fprintf(w, "idle cpus     %s\n", rep.IdleCPUs)
			fmt.Fprintf(w, "default cc    %s (allowed: %s; available: %s)\n", rep.DefaultCC, rep.AllowedCC, rep.AvailableCC)
			fmt.Fprintf(w, "host sysctls (read only):\n")
			for _, k := range hostSysctls {
				fmt.Fprintf(w, "  %-42s %s\n", k, rep.HostSysctls[k])
			}
			if len(rep.Warnings) > 0 {
				fmt.Fprintf(w, "confounders tcplab pins or works around:\n")
				for _, x := range rep.Warnings {
					fmt.Fprintf(w, "  - %s\n", x)
				}
			}
			return nil
		},
	}
}

func probe() probeReport {
	rep := probeReport{Kernel: experiment.KernelRelease(), Root: os.Geteuid() == 0, HostSysctls: map[string]string{}}
	rep.TUN = verdict(netlab.HaveTUN())
	rep.Netem = verdict(netlab.HaveNetem())
	for _, k := range hostSysctls {
		b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(k, ".", "/"))
		if err != nil {
			rep.HostSysctls[k] = "absent"
			continue
		}
		rep.HostSysctls[k] = strings.Join(strings.Fields(string(b)), " ")
	}
	rep.DefaultCC = rep.HostSysctls["net.ipv4.tcp_congestion_control"]
	rep.AllowedCC = rep.HostSysctls["net.ipv4.tcp_allowed_congestion_control"]
	rep.AvailableCC = rep.HostSysctls["net.ipv4.tcp_available_congestion_control"]
	rep.UserNS = userNSVerdict()
	var lateWake bool
	rep.IdleCPUs, lateWake = netlab.IdleHalts()
	if rep.DefaultCC == "bbr" {
		rep.Warnings = append(rep.Warnings, "default congestion control is BBR: no classic slow start and no window restart after idle; tcplab pins --cc on every socket (default cubic)")
	}
	if rep.HostSysctls["net.mptcp.enabled"] == "1" {
		rep.Warnings = append(rep.Warnings, "MPTCP is enabled and Go (≥1.24) uses it on listeners; tcplab turns it off on every socket")
	}
	rep.Warnings = append(rep.Warnings,
		"Go sets TCP_NODELAY on every connection and SO_REUSEADDR on every listener; experiments that need Nagle or EADDRINUSE set them explicitly or use raw sockets",
		"lo and veth use GSO/GRO (64 KB \"segments\" in captures); tcplab's TUN link carries real MTU-sized segments",
		"receivers ACK every segment for the first ~16 segments (quickack); delayed-ACK measurements skip them",
		"TFO cookies are cached per destination in tcp_metrics; the tfo experiment flushes them first")
	if rep.Netem != "available" {
		rep.Warnings = append(rep.Warnings, "no netem in this kernel: delay, rate and loss come from tcplab's userspace TUN emulator")
	}
	if lateWake {
		rep.Warnings = append(rep.Warnings, "idle CPUs halt and wake late: while a link delays or paces packets, a SCHED_IDLE spinner keeps the relay's CPU awake (--let-cpus-idle turns it off)")
	}
	if rep.HostSysctls["net.ipv4.tcp_tw_reuse"] == "2" {
		rep.Warnings = append(rep.Warnings, "tcp_tw_reuse=2 reuses TIME_WAIT ports for loopback only; the timewait experiment sets it per namespace")
	}
	return rep
}

func verdict(err error) string {
	if err == nil {
		return "available"
	}
	return "unavailable: " + err.Error()
}
