package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/tcplab/tcplab/internal/netlab"
	"github.com/tcplab/tcplab/internal/report"
	"github.com/urfave/cli/v2"
)

// experimentCmd describes the subcommand of one experiment: its own flags
// and how they set the experiment's parameters. Each experiment's file
// registers one in init.
type experimentCmd struct {
	usage string
	flags []cli.Flag
	apply func(c *cli.Context, e experiment.Experiment) error
}

var experimentCmds = map[string]experimentCmd{}

func registerExperimentCommand(name string, cmd experimentCmd) { experimentCmds[name] = cmd }

// experimentCommands builds one subcommand per registered experiment.
func experimentCommands() []*cli.Command {
	names := make([]string, 0, len(experimentCmds))
	for n := range experimentCmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var cmds []*cli.Command
	for _, name := range names {
		name, ec := name, experimentCmds[name]
		cmds = append(cmds, &cli.Command{
			Name:     name,
			Usage:    ec.usage,
			Category: "experiments",
			Flags:    append(planFlags(), ec.flags...),
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return cli.Exit(fmt.Sprintf("tcplab %s: unexpected argument %q", name, c.Args().First()), exitCannotRun)
				}
				e, err := experiment.New(name)
				if err != nil {
					return cli.Exit(err.Error(), exitCannotRun)
				}
				if ec.apply != nil {
					if err := ec.apply(c, e); err != nil {
						return cli.Exit(fmt.Sprintf("tcplab %s: %v", name, err), exitCannotRun)
					}
				}
				return runExperiments(c, []experiment.Experiment{e}, false)
			},
		})
	}
	return cmds
}

// runExperiments runs es one after the other, renders each result, and
// decides the exit status: 2 when a run could not happen, else 1 when a
// check failed, else 0.
func runExperiments(c *cli.Context, es []experiment.Experiment, summary bool) error {
	p, err := planFrom(c)
	if err != nil {
		return cli.Exit("tcplab: "+err.Error(), exitCannotRun)
	}
	if err := os.MkdirAll(p.OutDir, 0o755); err != nil {
		return cli.Exit(fmt.Sprintf("tcplab: create output directory: %v", err), exitCannotRun)
	}
	if len(es) > 1 && p.Pcap != "" {
		return cli.Exit("tcplab: --pcap names one file; with several experiments use --out", exitCannotRun)
	}
	reclaimStale(c)
	asJSON := c.Bool("json")
	w := c.App.Writer
	var results []*experiment.Result
	notRun := map[string]string{}
	status := exitPass
	for _, e := range es {
		res, err := e.Run(c.Context, p)
		if err != nil {
			if errors.Is(err, context.Canceled) || c.Context.Err() != nil {
				return cli.Exit(fmt.Sprintf("tcplab %s: interrupted; every namespace the run made was removed", e.Name()), exitCannotRun)
			}
			fmt.Fprintf(c.App.ErrWriter, "tcplab %s: %v\n", e.Name(), err)
			notRun[e.Name()] = err.Error()
			status = exitCannotRun
			if experiment.IsUnavailable(err) && len(es) > 1 {
				break // the same privilege or feature is missing for the rest
			}
			continue
		}
		results = append(results, res)
		if !res.Pass && status == exitPass {
			status = exitFail
		}
		if !asJSON {
			if err := report.Text(w, res); err != nil {
				return err
			}
		}
	}
	if asJSON {
		var err error
		if len(es) == 1 && len(results) == 1 {
			err = report.JSON(w, results[0])
		} else if len(es) > 1 {
			err = report.JSONAll(w, results)
		}
		if err != nil {
			return err
		}
	} else if summary {
		if err := report.Summary(w, results, notRun); err != nil {
			return err
		}
	}
	if status != exitPass {
		return cli.Exit("", status)
	}
	return nil
}

// reclaimStale removes what named labs killed with SIGKILL left behind (their
// bind mounts and state). A run's own namespaces are held by file
// descriptors and vanish with its process, so nothing else can be stale.
func reclaimStale(c *cli.Context) {
	if os.Geteuid() != 0 {
		return
	}
	gone, err := netlab.NewRegistry().ReclaimStale()
	if err != nil {
		fmt.Fprintf(c.App.ErrWriter, "tcplab: reclaiming stale labs: %v\n", err)
	}
	for _, name := range gone {
		fmt.Fprintf(c.App.ErrWriter, "tcplab: removed stale lab %s (its process had died)\n", name)
	}
}
