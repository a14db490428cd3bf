// Command tcplab turns the claims of chapter 4 of "HTTP: The Definitive Guide"
// (Connection Management) into experiments on a throwaway network of Linux
// namespaces: claim, model, measurement, verdict.
//
// Exit status: 0 every check passed, 1 a check failed (or, for `wire parse`,
// a protocol error), 2 the run could not happen (usage, privilege, kernel
// feature — the reason is printed on stderr).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit statuses.
const (
	exitPass      = 0
	exitFail      = 1
	exitCannotRun = 2
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if code, done := bootstrap(args, stdin, stdout, stderr); done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	app := newApp(stdin, stdout, stderr)
	unknown := ""
	app.CommandNotFound = func(c *cli.Context, name string) { unknown = name }
	err := app.RunContext(ctx, args)
	if unknown != "" {
		fmt.Fprintf(stderr, "tcplab: no command %q (see tcplab --help)\n", unknown)
		return exitCannotRun
	}
	return exitStatus(err, stderr)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "tcplab",
		Usage: "experiments on TCP and HTTP/1.x connection management (HTTP: The Definitive Guide, ch. 4)",
		Description: "Each experiment builds a throwaway network of Linux namespaces joined by an emulated link,\n" +
			"drives real sockets and a hand-written HTTP/1.x codec through it, captures the packets,\n" +
			"and checks what happened against a model: claim, model, measurement, verdict.",
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // exit statuses are decided in run
		Commands:        commands(),
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return cli.Exit(fmt.Sprintf("tcplab: %v", err), exitCannotRun)
		},
	}
}

// exitStatus prints err's message (if any) and maps it to an exit status.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return exitPass
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintf(stderr, "tcplab: %v\n", err)
	return exitCannotRun
}
