package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/plan"
)

func init() { register(validateCommand) }

// fileFlag is the -f flag of every command that reads a desired-state file.
func fileFlag() cli.Flag {
	return &cli.StringFlag{
		Name:      "file",
		Aliases:   []string{"f"},
		Value:     "ninjaops.yaml",
		Usage:     "desired-state `FILE` (- reads standard input)",
		TakesFile: true,
	}
}

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "check a desired-state file without contacting NinjaOne",
		Description: "Checks everything about the file that needs no tenant: YAML syntax, keys, types,\n" +
			"values, required keys, duplicate emails and roles, and listed users that settings.scope\n" +
			"leaves out (their type, email domain, or organization by name). Prints \"FILE: valid (N users, M roles)\",\n" +
			"the users and roles the file declares (its users: and roles: lists),\n" +
			"and exits 0, or prints every problem as FILE:LINE:COL: message on stderr and exits 1.",
		Flags: []cli.Flag{fileFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return withCode(exitError, errNoArgs("validate"))
			}
			des, err := loadDesired(c.Context, e, c.String("file"))
			if err != nil {
				return desiredError(e, err)
			}
			for _, w := range des.Warnings {
				fmt.Fprintln(e.stderr, w.Warning())
			}
			fmt.Fprintf(e.stdout, "%s: valid (%s, %s)\n", des.Path, plan.Count(len(des.Users), "user", ""), plan.Count(len(des.Roles), "role", ""))
			return nil
		},
	}
}

// stdinName names standard input in messages.
const stdinName = "<stdin>"

// loadDesired reads the desired-state file at path ("-" for standard
// input) and loads it. An invalid file gives plan.Diagnostics; print them
// with desiredError. An interrupt (ctx) ends a read that blocks, on a
// FIFO or a stdin that never closes.
func loadDesired(ctx context.Context, e *env, path string) (*plan.Desired, error) {
	type file struct {
		name string
		data []byte
	}
	f, err := interruptibly(ctx, func() (file, error) {
		name, data, err := readDesired(e, path)
		return file{name, data}, err
	})
	if err != nil {
		return nil, err
	}
	return plan.Load(f.name, f.data)
}

// readDesired reads a desired-state file, refusing one over
// plan.MaxFileSize before reading it all.
func readDesired(e *env, path string) (name string, data []byte, err error) {
	if path == "-" {
		data, err := io.ReadAll(io.LimitReader(e.stdin, plan.MaxFileSize+1))
		if err != nil {
			return stdinName, nil, fmt.Errorf("reading standard input: %w", err)
		}
		if len(data) > plan.MaxFileSize {
			return stdinName, nil, plan.TooLarge(stdinName, -1)
		}
		return stdinName, data, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil, fmt.Errorf("%s: no such file (name the desired-state file with -f FILE, or - for standard input)", path)
	}
	if err != nil {
		return path, nil, err
	}
	defer f.Close()
	// One buffer the file's size, as os.ReadFile does: io.ReadAll grows
	// by doubling, which on a 100,000-user file (23 MB) allocates and
	// copies more than twice that. The spare byte lets the read see the
	// end without growing; a file that grows meanwhile still reads whole.
	size := 512
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if st.Size() > plan.MaxFileSize {
			return path, nil, plan.TooLarge(path, st.Size())
		}
		size = max(size, int(st.Size())+1)
	}
	data = make([]byte, 0, size)
	r := io.LimitReader(f, plan.MaxFileSize+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		var n int
		n, err = r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			break
		}
	}
	if err != nil {
		return path, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > plan.MaxFileSize {
		return path, nil, plan.TooLarge(path, -1)
	}
	return path, data, nil
}

// desiredError reports an error from loadDesired: diagnostics one per
// line on stderr, anything else as a plain error. Both exit 1.
func desiredError(e *env, err error) error {
	var ds plan.Diagnostics
	if errors.As(err, &ds) {
		for _, d := range ds {
			fmt.Fprintln(e.stderr, d)
		}
		return withCode(exitError, nil)
	}
	if errors.Is(err, context.Canceled) {
		// An interrupt during the read: exit 130, as run decides.
		return err
	}
	return withCode(exitError, err)
}

func errNoArgs(cmd string) error {
	return fmt.Errorf("%s takes no arguments (name a desired-state file with -f FILE)", cmd)
}
