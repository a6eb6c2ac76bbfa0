// Command ninjaops manages NinjaOne users and role memberships as code.
//
// This package holds flags, environment, exit codes and wiring only: each
// command is a function that builds a *cli.Command from the shared env, and
// the work happens in the internal packages.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
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
	// runTemp, when set, gives the run a private temporary directory
	// that is removed however the process ends (signals.go). Tests leave
	// it nil.
	runTemp func() error
	// retry bounds the NinjaOne client's retries and per-call time; the
	// zero value is the client's defaults. Only tests change it, to see a
	// budget run out without waiting minutes.
	retry ninjaone.RetryPolicy
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
		Name:      "ninjaops",
		Usage:     "manage NinjaOne users and role memberships as code",
		Version:   version,
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// Completion is ninjaops __complete (complete.go), not urfave/cli's
		// --generate-bash-completion, which cannot tell a flag's value from
		// the next flag.
		EnableBashCompletion: false,
		HideHelpCommand:      false,
		// Errors are printed once, by run, with the exit code they carry.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, f := range commands {
		app.Commands = append(app.Commands, f(e))
	}
	sort.Slice(app.Commands, func(i, j int) bool { return app.Commands[i].Name < app.Commands[j].Name })
	prepareCommands(app)
	return app
}

// run executes ninjaops with args (args[0] is the program name) and returns
// the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	e = withLockedStderr(e)
	app := newApp(e)
	if len(args) > 1 && args[1] == completeCommand {
		return runComplete(app, e.stdout, args[2:])
	}
	// Help and --version reach stdout only when the command line was
	// right: urfave/cli also prints help on the way to some errors, and
	// `ninjaops plan -o json --bogus > plan.json` must leave plan.json
	// empty (cli.go).
	var help bytes.Buffer
	app.Writer = &help
	var notFound error
	app.CommandNotFound = func(c *cli.Context, name string) { notFound = unknownCommand(c, name) }
	args = interspersed(app, args)
	err := app.RunContext(ctx, args)
	if err == nil {
		err = notFound
	}
	if err == nil {
		if _, werr := e.stdout.Write(help.Bytes()); werr != nil && !brokenPipe() {
			fmt.Fprintf(e.stderr, "Error: %s\n", werr)
			return exitError
		}
		return exitOK
	}
	if brokenPipe() {
		// The reader of stdout went away (ninjaops plan | head): as for
		// any filter, that is not worth a message.
		return exitError
	}
	err = requiredFlagsError(strings.Join(commandWords(app, args), " "), err)
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

// interspersed lets flags follow positional arguments, as in
// `ninjaops apply plan.json --parallelism 8`: urfave/cli v2 stops reading
// flags at the first argument that is not one. It moves the positional
// arguments of the (sub)command to the end, using the command's flags to
// know which ones take a value. "--" ends the flags as usual.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	cmds := app.Commands
	i := 1
	var cmd *cli.Command
	// Walk down the command path: ninjaops baton grant ...
	for i < len(args) {
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				next = c
			}
		}
		if next == nil {
			break
		}
		cmd = next
		out = append(out, args[i])
		cmds = cmd.Subcommands
		i++
	}
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, positional []string
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			positional = append(positional, a)
		}
	}
	out = append(out, flags...)
	return append(out, positional...)
}

func processEnv() *env {
	return &env{
		stdin:     os.Stdin,
		stdout:    outputFile{os.Stdout},
		stderr:    outputFile{os.Stderr},
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		getenv:    os.Getenv,
		runTemp:   useRunTemp,
	}
}

func main() { os.Exit(ninjaopsMain()) }
