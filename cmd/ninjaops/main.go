// Command ninjaops manages NinjaOne users and role memberships as code.
//
// This package holds flags, environment, exit codes and wiring only: each
// command is a function that builds a *cli.Command from the shared env, and
// the work happens in the internal packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// version and commit are set at build time with -ldflags -X.
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes, documented in README.md.
const (
	exitOK          = 0
	exitError       = 1
	exitChanges     = 2 // plan --detailed-exitcode: the plan has changes
	exitGuard       = 3 // apply refused by a safety guard
	exitInterrupted = 130
)

// env is what every command gets from the process: its streams, its
// environment and its signals. Tests build one by hand.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stdinTTY and stderrTTY say whether a person is at the other end.
	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	getenv    func(string) string
}

// commands holds one constructor per top-level command; each command's file
// registers its own in init, so the files can grow independently.
var commands []func(*env) *cli.Command

func register(f func(*env) *cli.Command) { commands = append(commands, f) }

// exitErr is an error that carries the process exit code.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitErr) Unwrap() error { return e.err }
func (e *exitErr) ExitCode() int { return e.code }

// withCode wraps err (which may be nil, for a silent exit) with an exit code.
func withCode(code int, err error) error { return &exitErr{code: code, err: err} }

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:                 "ninjaops",
		Usage:                "manage NinjaOne users and role memberships as code",
		Reader:               e.stdin,
		Writer:               e.stdout,
		ErrWriter:            e.stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      false,
		// Errors are printed once, by run, with the exit code they carry.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, f := range commands {
		app.Commands = append(app.Commands, f(e))
	}
	sort.Slice(app.Commands, func(i, j int) bool { return app.Commands[i].Name < app.Commands[j].Name })
	return app
}

// run executes ninjaops with args (args[0] is the program name) and returns
// the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	err := newApp(e).RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitError
	var ec cli.ExitCoder
	switch {
	case errors.As(err, &ec):
		code = ec.ExitCode()
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// Interrupted while reading or before any write.
		code = exitInterrupted
		err = errors.New("interrupted; nothing was changed")
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(e.stderr, "Error: %s\n", msg)
	}
	return code
}

func processEnv() *env {
	return &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		getenv:    os.Getenv,
	}
}

// ninjaopsMain is main without os.Exit, so the test binary can run it as
// the `ninjaops` command of its scripts.
func ninjaopsMain() int {
	// Commands that must finish cleanly on an interrupt (apply) watch the
	// context; a second signal kills the process the usual way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return run(ctx, processEnv(), os.Args)
}

func main() { os.Exit(ninjaopsMain()) }
