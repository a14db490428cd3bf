package main

import (
	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

// allCommand runs every registered experiment with the shared flags and the
// experiments' defaults, then prints a summary table.
func allCommand() *cli.Command {
	return &cli.Command{
		Name:  "all",
		Usage: "run every experiment in the chapter's order and print a summary",
		Flags: planFlags(),
		Action: func(c *cli.Context) error {
			var es []experiment.Experiment
			for _, name := range experiment.Names() {
				e, err := experiment.New(name)
				if err != nil {
					return cli.Exit(err.Error(), exitCannotRun)
				}
				es = append(es, e)
			}
			if len(es) == 0 {
				return cli.Exit("tcplab all: no experiments are registered", exitCannotRun)
			}
			return runExperiments(c, es, true)
		},
	}
}
