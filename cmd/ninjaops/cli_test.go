package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

// runArgs runs ninjaops in process with no environment.
func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	return run(context.Background(), e, append([]string{"ninjaops"}, args...)), out.String(), errb.String()
}

// A wrong command line exits 1 with one line on stderr that says what is
// wrong and what was probably meant, and nothing on stdout, however
// urfave/cli would have answered it.
func TestWrongCommandLines(t *testing.T) {
	tests := []struct {
		args []string
		want string // the one line on stderr
	}{
		{[]string{"plna"}, `Error: unknown command "plna" for ninjaops; did you mean "plan"? (commands: apply, baton, completion, export, plan, sandbox, schema, validate, version; see ninjaops --help)`},
		{[]string{"baton", "sink"}, `Error: unknown command "sink" for ninjaops baton; did you mean "sync"? (commands: serve, sync, grant, revoke, create-account, delete, capabilities, config; see ninjaops baton --help)`},
		{[]string{"sandbox", "start"}, `Error: unknown command "start" for ninjaops sandbox (commands: serve; see ninjaops sandbox --help)`},
		{[]string{"help", "nope"}, `Error: unknown command "nope" for ninjaops (commands: apply, baton, completion, export, plan, sandbox, schema, validate, version; see ninjaops --help)`},
		{[]string{"help", "expotr"}, `Error: unknown command "expotr" for ninjaops; did you mean "export"? (commands: apply, baton, completion, export, plan, sandbox, schema, validate, version; see ninjaops --help)`},
		{[]string{"baton", "help", "sinc"}, `Error: unknown command "sinc" for ninjaops baton; did you mean "sync"? (commands: serve, sync, grant, revoke, create-account, delete, capabilities, config; see ninjaops baton --help)`},
		{[]string{"plan", "-o", "json", "--bogus"}, `Error: ninjaops plan: unknown flag --bogus (see ninjaops plan --help)`},
		{[]string{"plan", "--outt", "p.json"}, `Error: ninjaops plan: unknown flag --outt; did you mean --out? (see ninjaops plan --help)`},
		{[]string{"plan", "--detailed-exit-code"}, `Error: ninjaops plan: unknown flag --detailed-exit-code; did you mean --detailed-exitcode? (see ninjaops plan --help)`},
		{[]string{"plan", "-o"}, `Error: ninjaops plan: flag -o needs a value: text, json, markdown (see ninjaops plan --help)`},
		{[]string{"apply", "--parallelism", "many"}, `Error: ninjaops apply: invalid value "many" for --parallelism: want a whole number (see ninjaops apply --help)`},
		{[]string{"sandbox", "serve", "--latency", "soon"}, `Error: ninjaops sandbox serve: invalid value "soon" for --latency: want a duration such as 500ms, 30s or 2m (see ninjaops sandbox serve --help)`},
		{[]string{"baton", "grant"}, `Error: --entitlement is required: the role's entitlement, role:<roleId>:member`},
		{[]string{"baton", "revoke", "--provisioning"}, `Error: --grant is required: the grant to revoke, role:<roleId>:member:user:<userId>`},
		{[]string{"--bogus"}, `Error: ninjaops: unknown flag --bogus (see ninjaops --help)`},
		{[]string{"-v"}, `Error: ninjaops: unknown flag -v; did you mean --version? (see ninjaops --help)`},
		{[]string{"plan", "-x"}, `Error: ninjaops plan: unknown flag -x (see ninjaops plan --help)`},
	}
	for _, tt := range tests {
		code, out, errb := runArgs(t, tt.args...)
		if code != exitError || out != "" || errb != tt.want+"\n" {
			t.Errorf("ninjaops %s: exit %d, stdout %q, stderr %q\nwant exit 1, no stdout, stderr %q", strings.Join(tt.args, " "), code, out, errb, tt.want)
		}
	}
}

// Help asked for goes to stdout and succeeds: a bare group shows its help,
// as bare ninjaops does. (Bare `ninjaops baton` is not a group: it is a
// baton connector's main command, a sync or service mode.)
func TestHelpAskedFor(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"help"}, {"help", "plan"}, {"plan", "--help"}, {"plan", "-h"}, {"baton", "--help"}, {"help", "baton"}, {"baton", "help", "sync"}, {"sandbox"}} {
		code, out, errb := runArgs(t, args...)
		if code != exitOK || !strings.Contains(out, "USAGE:") || errb != "" {
			t.Errorf("ninjaops %s: exit %d, stderr %q, stdout %.80q; want 0 and help on stdout", strings.Join(args, " "), code, errb, out)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	code, out, errb := runArgs(t, "--version")
	_, want, _ := runArgs(t, "version")
	if code != exitOK || out != want || errb != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want 0 and %q", code, out, errb, want)
	}
}

func TestSuggestName(t *testing.T) {
	names := []string{"apply", "baton", "completion", "export", "plan", "sandbox", "schema", "validate", "version", "sync", "serve"}
	for typed, want := range map[string]string{
		"plna": "plan", "paln": "plan", "aplpy": "apply", "expotr": "export", "sink": "sync", "sanbdox": "sandbox",
		"val": "validate", "comp": "completion", "ba": "baton",
		"nope": "", "start": "", "s": "", "v": "", "x": "", "": "", "fink": "",
	} {
		if got := suggestName(typed, names); got != want {
			t.Errorf("suggestName(%q) = %q, want %q", typed, got, want)
		}
	}
}

// Every command's usage line lists each of its flags, or the heading of
// the group the help lists it under, and its arguments.
func TestUsageLinesListEveryFlag(t *testing.T) {
	app := newApp(&env{getenv: func(string) string { return "" }})
	var check func(path string, cmds []*cli.Command)
	check = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := path + " " + c.Name
			if !strings.HasPrefix(c.UsageText, p+" ") && c.UsageText != p {
				t.Errorf("%s: usage %q does not start with the command", p, c.UsageText)
			}
			if len(c.Subcommands) > 0 {
				for _, s := range commandNames(c.Subcommands) {
					if !strings.Contains(c.UsageText, s) {
						t.Errorf("%s: usage %q leaves out the command %s", p, c.UsageText, s)
					}
				}
				check(p, c.Subcommands)
				continue
			}
			for _, f := range c.Flags {
				if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
					continue // hidden on purpose (baton's --client-id, there only to say whose it is)
				}
				listed := regexp.MustCompile(`(^|[\[ ])` + regexp.QuoteMeta(dashed(f.Names()[0])) + `[ \]]`).MatchString(c.UsageText + " ")
				for _, n := range f.Names()[1:] {
					listed = listed || strings.Contains(c.UsageText, dashed(n)+" ")
				}
				if cf, ok := f.(cli.CategorizableFlag); ok && cf.GetCategory() != "" {
					listed = strings.Contains(c.UsageText, "["+strings.ToLower(cf.GetCategory())+" flags]")
				}
				if !listed {
					t.Errorf("%s: usage %q leaves out %s", p, c.UsageText, dashed(f.Names()[0]))
				}
			}
			if a := strings.TrimSpace(c.ArgsUsage); a != "" && !strings.HasSuffix(c.UsageText, " "+a) {
				t.Errorf("%s: usage %q leaves out its arguments %s", p, c.UsageText, a)
			}
		}
	}
	check("ninjaops", app.Commands)

	if got, want := usageLine([]string{"ninjaops", "plan"}, findCommand(t, app, "plan")),
		"ninjaops plan [-f FILE] [-o text|json|markdown] [--out PLANFILE] [--detailed-exitcode] [--no-color] [connection flags] [logging flags]"; got != want {
		t.Errorf("plan usage:\n got %s\nwant %s", got, want)
	}
}

// The README shows the usage lines the commands print.
func TestREADMEUsageLines(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	space := regexp.MustCompile(`\s+`)
	text := space.ReplaceAllString(string(readme), " ")
	app := newApp(&env{getenv: func(string) string { return "" }})
	for _, path := range []string{"validate", "plan", "apply", "export", "sandbox serve"} {
		c := findCommand(t, app, path)
		if !strings.Contains(text, c.UsageText) {
			t.Errorf("README.md does not show the usage of ninjaops %s:\n%s", path, c.UsageText)
		}
	}
}

func findCommand(t *testing.T, app *cli.App, path string) *cli.Command {
	t.Helper()
	cmds := app.Commands
	var c *cli.Command
	for _, name := range strings.Fields(path) {
		c = nil
		for _, x := range cmds {
			if x.Name == name {
				c = x
			}
		}
		if c == nil {
			t.Fatalf("no command %q", path)
		}
		cmds = c.Subcommands
	}
	return c
}

// The flag package's messages, as urfave/cli passes them on, become one
// line naming the command.
func TestUsageMessage(t *testing.T) {
	app := newApp(&env{getenv: func(string) string { return "" }})
	c := cli.NewContext(app, nil, nil)
	c.Command = findCommand(t, app, "export")
	got := []string{
		usageMessage(c, "flag provided but not defined: -user-typ"),
		usageMessage(c, "flag needs an argument: -user-type"),
		usageMessage(c, "something else"),
	}
	want := []string{
		"ninjaops export: unknown flag --user-typ; did you mean --user-type? (see ninjaops export --help)",
		"ninjaops export: flag --user-type needs a value: technician, end_user (see ninjaops export --help)",
		"ninjaops export: something else (see ninjaops export --help)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("usageMessage (-want +got):\n%s", d)
	}
}
