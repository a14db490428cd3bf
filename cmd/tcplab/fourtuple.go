package main

import (
	"fmt"

	"github.com/tcplab/tcplab/internal/experiment"
	"github.com/urfave/cli/v2"
)

func init() {
	d := experiment.NewFourTuple()
	registerExperimentCommand("fourtuple", experimentCmd{
		usage: "§4.1: a connection is its 4-tuple — three shared values coexist, four equal are refused",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "client-port", Value: int(d.ClientPort), Usage: "fixed client port the connections bind (the other-client-port connection uses the next one)"},
			&cli.IntFlag{Name: "server-port", Value: int(d.ServerPort), Usage: "first server port (the second is the next one)"},
			&cli.BoolFlag{Name: "second-addresses", Value: d.SecondAddresses, Usage: "add a second address at each end for the connections that differ only in an address"},
		},
		apply: func(c *cli.Context, e experiment.Experiment) error {
			x := e.(*experiment.FourTuple)
			cp, sp := c.Int("client-port"), c.Int("server-port")
			if cp < 1024 || cp > 65534 {
				return fmt.Errorf("--client-port %d out of range (1024 to 65534)", cp)
			}
			if sp < 1 || sp > 65534 {
				return fmt.Errorf("--server-port %d out of range (1 to 65534)", sp)
			}
			x.ClientPort, x.ServerPort, x.SecondAddresses = uint16(cp), uint16(sp), c.Bool("second-addresses")
			return nil
		},
	})
}
