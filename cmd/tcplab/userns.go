package main

import (
	"fmt"
	"io"
	"os"

	"github.com/tcplab/tcplab/internal/netlab"
)

// bootstrap decides, before the CLI runs, where this process does its work.
// A process started as a trial of the unprivileged mode (by tcplab probe)
// runs the trial and ends. A user who is not root and runs a command that
// builds labs (an experiment, or all) gets the command re-executed in a user
// namespace of its own, where tcplab is root and builds its labs with veth
// links (netlab.ReexecInUserNS); the run's exit status is the child's, and a
// kernel that refuses user namespaces gets exit 2 and one sentence saying
// what is missing. `tcplab lab up` and `lab down` are refused without real
// root: a named lab lives in the host's /run/netns. Everything else (wire parse, analyze,
// probe, help) runs as it is. It reports whether it handled the run and
// the exit status then.
func bootstrap(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	if code, ran := netlab.RunUserNSTrial(stderr); ran {
		return code, true
	}
	cmd, sub := commandOf(args)
	switch {
	case wantsHelp(args):
		return 0, false
	case cmd == "lab" && (sub == "up" || sub == "down") && (os.Geteuid() != 0 || netlab.InOwnUserNS()):
		fmt.Fprintf(stderr, "tcplab lab %s: a named lab is bind-mounted in the host's /run/netns for ip netns exec, which only root can do (a user namespace cannot): run it with sudo; the experiments themselves run without root\n", sub)
		return exitCannotRun, true
	case os.Geteuid() == 0 || !buildsLabs(cmd):
		return 0, false
	}
	code, err := netlab.ReexecInUserNS(args[1:], stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "tcplab: %v\n", err)
		return exitCannotRun, true
	}
	return code, true
}

// commandOf returns the subcommand and its first argument (lab's
// subcommand) of a command line; the CLI has no global flags.
func commandOf(args []string) (cmd, sub string) {
	if len(args) > 1 {
		cmd = args[1]
	}
	if len(args) > 2 {
		sub = args[2]
	}
	return cmd, sub
}

// wantsHelp reports whether the command line only asks for help.
func wantsHelp(args []string) bool {
	for _, a := range args[1:] {
		switch a {
		case "-h", "--help", "-help", "help":
			return true
		}
	}
	return false
}

// buildsLabs reports whether subcommand cmd builds network namespaces.
func buildsLabs(cmd string) bool {
	_, experiment := experimentCmds[cmd]
	return experiment || cmd == "all"
}

// userNSVerdict is tcplab probe's line about the unprivileged mode: a trial
// run of it, as nobody when tcplab probe runs as root.
func userNSVerdict() string {
	if err := netlab.ProbeUserNS(); err != nil {
		return "unavailable: " + err.Error()
	}
	return "available: without root, experiments re-execute in a user namespace of their own (veth link emulator, no realtime priority for the relay)"
}
