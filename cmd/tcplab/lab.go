package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/urfave/cli/v2"
)

// labCommand manages named labs that stay up for work by hand: tcpdump,
// curl, ss inside `ip netns exec tcplab-<name>-client …`.
func labCommand() *cli.Command {
	return &cli.Command{
		Name:  "lab",
		Usage: "a named lab that stays up for manual work (ip netns exec, tcpdump, curl)",
		Subcommands: []*cli.Command{
			{
				Name:      "up",
				Usage:     "build a named lab and keep its emulated link running in the background",
				ArgsUsage: "NAME",
				Flags: append(linkFlags(),
					&cli.StringFlag{Name: "topology", Value: "client-server", Usage: "client-server or client-proxy-server"},
					&cli.BoolFlag{Name: "foreground", Usage: "stay in the foreground until interrupted (the relay runs in this process)"},
				),
				Action: labUp,
			},
			{
				Name:      "down",
				Usage:     "remove a named lab: its namespaces, links and relay process",
				ArgsUsage: "NAME",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return cli.Exit("tcplab lab down: want exactly one NAME", exitCannotRun)
					}
					if err := netlab.RequireRoot(); err != nil {
						return cli.Exit("tcplab lab down: "+err.Error(), exitCannotRun)
					}
					if err := netlab.NewRegistry().Down(c.Args().First(), 10*time.Second); err != nil {
						return cli.Exit("tcplab lab down: "+err.Error(), exitCannotRun)
					}
					fmt.Fprintf(c.App.Writer, "lab %s removed\n", c.Args().First())
					return nil
				},
			},
			{
				Name:  "list",
				Usage: "list the named labs, and remove those whose process died",
				Action: func(c *cli.Context) error {
					reg := netlab.NewRegistry()
					if os.Geteuid() == 0 {
						if gone, err := reg.ReclaimStale(); err == nil {
							for _, g := range gone {
								fmt.Fprintf(c.App.ErrWriter, "reclaimed stale lab %s\n", g)
							}
						}
					}
					labs, err := reg.List()
					if err != nil {
						return cli.Exit("tcplab lab list: "+err.Error(), exitCannotRun)
					}
					if len(labs) == 0 {
						fmt.Fprintln(c.App.Writer, "no labs are up")
						return nil
					}
					for _, l := range labs {
						describeLab(c, l)
					}
					return nil
				},
			},
		},
	}
}

// linkFlags are the emulated link's flags, shared with the experiments.
func linkFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range planFlags() {
		switch f.Names()[0] {
		case "rtt", "rate", "loss", "queue", "seed", "link", "let-cpus-idle":
			out = append(out, f)
		}
	}
	return out
}

func labUp(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("tcplab lab up: want exactly one NAME", exitCannotRun)
	}
	name := c.Args().First()
	if err := netlab.RequireRoot(); err != nil {
		return cli.Exit("tcplab lab up: "+err.Error(), exitCannotRun)
	}
	p, err := planFrom(c)
	if err != nil {
		return cli.Exit("tcplab lab up: "+err.Error(), exitCannotRun)
	}
	var topo netlab.Topology
	switch c.String("topology") {
	case "client-server":
		topo = netlab.ClientServer
	case "client-proxy-server":
		topo = netlab.ClientProxyServer
	default:
		return cli.Exit("tcplab lab up: --topology must be client-server or client-proxy-server", exitCannotRun)
	}
	reg := netlab.NewRegistry()
	if !c.Bool("foreground") {
		return startLabInBackground(c, reg, name)
	}
	lab, err := reg.Up(c.Context, name, netlab.Config{
		Name: name, Topology: topo,
		Link: netlab.LinkConfig{Kind: p.Link, Delay: p.RTT / 2, RateBps: p.RateBps, Loss: p.Loss, QueuePackets: p.Queue, Seed: p.Seed, LetCPUsIdle: p.LetCPUsIdle},
	})
	if err != nil {
		return cli.Exit("tcplab lab up: "+err.Error(), exitCannotRun)
	}
	defer reg.Down(name, time.Second)
	_ = lab
	fmt.Fprintf(c.App.Writer, "lab %s is up (pid %d); interrupt to remove it\n", name, os.Getpid())
	<-c.Context.Done() // SIGINT or SIGTERM (tcplab lab down)
	return nil
}

// startLabInBackground re-executes this binary with --foreground in a new
// session, its output in the state directory, and waits until the lab is
// recorded alive.
func startLabInBackground(c *cli.Context, reg *netlab.Registry, name string) error {
	self, err := os.Executable()
	if err != nil {
		return cli.Exit("tcplab lab up: "+err.Error(), exitCannotRun)
	}
	if err := os.MkdirAll(reg.StateDir, 0o755); err != nil {
		return cli.Exit("tcplab lab up: "+err.Error(), exitCannotRun)
	}
	logPath := filepath.Join(reg.StateDir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return cli.Exit("tcplab lab up: "+err.Error(), exitCannotRun)
	}
	defer logf.Close()
	args := append([]string{"lab", "up", "--foreground"}, os.Args[3:]...)
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return cli.Exit("tcplab lab up: start the lab's process: "+err.Error(), exitCannotRun)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for {
		labs, _ := reg.List()
		for _, l := range labs {
			if l.Name == name && l.Alive && l.PID == cmd.Process.Pid {
				describeLab(c, l)
				fmt.Fprintf(c.App.Writer, "remove it with: tcplab lab down %s\n", name)
				return nil
			}
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			return cli.Exit(fmt.Sprintf("tcplab lab up: the lab's process ended:\n%s", b), exitCannotRun)
		case <-deadline:
			cmd.Process.Kill()
			return cli.Exit("tcplab lab up: the lab did not come up within 30s", exitCannotRun)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func describeLab(c *cli.Context, l netlab.LabState) {
	w := c.App.Writer
	state := "up"
	if !l.Alive {
		state = "dead (its relay process is gone)"
	}
	fmt.Fprintf(w, "lab %s: %s, pid %d, %s, one-way delay %v, rate %d bit/s, loss %g\n",
		l.Name, state, l.PID, l.Topology, l.Link.Delay, l.Link.RateBps, l.Link.Loss)
	roles := make([]string, 0, len(l.Namespaces))
	for r := range l.Namespaces {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		fmt.Fprintf(w, "  %-7s ip netns exec %-24s  (%s on %s)\n", r, l.Namespaces[r], l.Addrs[r], l.Interfaces[r])
	}
}
