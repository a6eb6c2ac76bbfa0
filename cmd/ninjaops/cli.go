package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/plan"
)

// How ninjaops answers a command line that is wrong: an unknown command or
// flag, a missing value, a missing required flag. Scripts rely on it: the
// exit code is 1, stderr gets one line that says what is wrong and what
// was probably meant, and stdout gets nothing, so that a mistyped flag in
// `ninjaops plan -o json > plan.json` never fills plan.json with help.
// (run buffers the help that urfave/cli prints on the way and drops it on
// an error.)

func init() {
	// --version prints what `ninjaops version` prints. No -v: it reads as
	// "verbose" to many.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version, the commit and the Go version"}
	cli.VersionPrinter = func(c *cli.Context) { _ = writeVersion(c.App.Writer) }
}

// prepareCommands gives every command of app the same handling of a wrong
// command line, and a usage line generated from its flags, so that the
// two can never disagree.
func prepareCommands(app *cli.App) {
	app.OnUsageError = usageError
	app.Action = groupAction(nil)
	app.UsageText = "ninjaops [--help] [--version] " + strings.Join(commandNames(app.Commands), "|") + " [flags]"
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string(nil), path...), c.Name)
			c.OnUsageError = usageError
			if len(c.Subcommands) > 0 {
				c.Action = groupAction(c.Action)
				c.UsageText = strings.Join(p, " ") + " " + strings.Join(commandNames(c.Subcommands), "|") + " [flags]"
				walk(p, c.Subcommands)
				continue
			}
			c.UsageText = usageLine(p, c)
		}
	}
	walk([]string{app.Name}, app.Commands)
}

// groupAction is the action of a command that has subcommands (and of
// ninjaops itself): without arguments it runs the command's own action,
// if it has one, else prints its help; an argument that is not one of its
// commands is an unknown command.
func groupAction(own cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Args().Present() {
			return unknownCommand(c, c.Args().First())
		}
		if own != nil {
			return own(c)
		}
		if c.Command == nil || c.Command.Name == c.App.Name {
			return cli.ShowAppHelp(c)
		}
		return cli.ShowSubcommandHelp(c)
	}
}

// commandPath names the command c runs, e.g. "ninjaops baton sync".
func commandPath(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Command.Name != "" {
			names = append(names, ctx.Command.Name)
		}
	}
	if len(names) == 0 || names[len(names)-1] != c.App.Name {
		names = append(names, c.App.Name)
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return strings.Join(names, " ")
}

// unknownCommand is the error for `ninjaops plna`, `ninjaops baton sink`
// or `ninjaops help nope`: c is the context of the command whose
// subcommand name is.
func unknownCommand(c *cli.Context, name string) error {
	cmds := c.App.Commands
	if c.Command != nil && c.Command.Name != c.App.Name {
		cmds = c.Command.Subcommands
	}
	names := commandNames(cmds)
	msg := fmt.Sprintf("unknown command %q for %s", name, commandPath(c))
	if s := suggestName(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	msg += fmt.Sprintf(" (commands: %s; see %s --help)", strings.Join(names, ", "), commandPath(c))
	return withCode(exitError, errors.New(msg))
}

// commandNames lists the visible commands by their main name, help left
// out.
func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return names
}

// suggestName is the name the user probably meant: a near miss by edit
// distance, or the only name that starts with what was typed.
func suggestName(typed string, names []string) string {
	if typed == "" {
		return ""
	}
	best, bestD := "", 0
	for _, n := range names {
		if d := plan.EditDistance(strings.ToLower(typed), strings.ToLower(n)); best == "" || d < bestD {
			best, bestD = n, d
		}
	}
	// Two edits is a typo in a word of five letters or more, one in a
	// shorter one; "sink" is two edits from "sync", so four letters allow
	// two when the first letter is right.
	limit := 1
	switch n := len(typed); {
	case n <= 2:
		limit = 0 // every letter is one edit from every other
	case n >= 5 || (n == 4 && best != "" && typed[0] == best[0]):
		limit = 2
	}
	if best != "" && bestD <= limit {
		return best
	}
	var prefixed []string
	for _, n := range names {
		if strings.HasPrefix(n, typed) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// The flag package's messages, which urfave/cli passes on.
var (
	reUndefined  = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNeedsValue = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue   = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]*): (.*)$`)
	reRequired   = regexp.MustCompile(`^Required flags? "(.*)" not set$`)
)

// usageError is the OnUsageError of every command: one line that names
// the command, what is wrong and, for an unknown flag, the flag meant.
func usageError(c *cli.Context, err error, _ bool) error {
	return withCode(exitError, errors.New(usageMessage(c, err.Error())))
}

func usageMessage(c *cli.Context, msg string) string {
	path := commandPath(c)
	var flags []cli.Flag
	if c.Command != nil {
		flags = c.Command.Flags
	}
	if c.Command == nil || c.Command.Name == c.App.Name {
		flags = c.App.Flags
	}
	see := fmt.Sprintf("see %s --help", path)
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("%s: unknown flag %s", path, dashed(m[1]))
		if s := suggestName(m[1], flagNames(flags)); s != "" {
			out += fmt.Sprintf("; did you mean %s?", dashed(s))
		}
		return out + " (" + see + ")"
	}
	if m := reNeedsValue.FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("%s: flag %s needs a value", path, dashed(m[1]))
		if f := findFlag(flags, m[1]); f != nil {
			if ch := flagChoices(f); len(ch) > 0 {
				out += ": " + strings.Join(ch, ", ")
			}
		}
		return out + " (" + see + ")"
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		why := m[3]
		switch findFlag(flags, m[2]).(type) {
		case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag:
			why = "want a whole number"
		case *cli.Float64Flag:
			why = "want a number"
		case *cli.DurationFlag:
			why = "want a duration such as 500ms, 30s or 2m"
		case *cli.BoolFlag:
			why = "want true or false"
		}
		return fmt.Sprintf("%s: invalid value %q for %s: %s (%s)", path, m[1], dashed(m[2]), why, see)
	}
	return fmt.Sprintf("%s: %s (%s)", path, msg, see)
}

// requiredFlagsError rewords urfave/cli's "Required flags ... not set",
// which it returns without passing it to OnUsageError.
func requiredFlagsError(path string, err error) error {
	m := reRequired.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	names := strings.Split(m[1], ", ")
	for i, n := range names {
		names[i] = dashed(n)
	}
	return withCode(exitError, fmt.Errorf("%s needs %s (see %s --help)", path, joinAnd(names), path))
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// dashed spells a flag name as it is typed: -f, --file.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagNames lists every name of flags, the help flag's included.
func flagNames(flags []cli.Flag) []string {
	names := []string{"help", "h"}
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	return names
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// usageLine is a command's usage: every flag of its own in order, then
// the shared groups by the headings its help lists them under, then its
// arguments (ArgsUsage).
//
//	ninjaops plan [-f FILE] [-o text|json|markdown] ... [connection flags] [logging flags]
func usageLine(path []string, c *cli.Command) string {
	parts := []string{strings.Join(path, " ")}
	var groups []string
	seen := map[string]bool{}
	for _, f := range c.Flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		if cf, ok := f.(cli.CategorizableFlag); ok && cf.GetCategory() != "" {
			if g := cf.GetCategory(); !seen[g] {
				seen[g] = true
				groups = append(groups, "["+strings.ToLower(g)+" flags]")
			}
			continue
		}
		parts = append(parts, flagUsage(f))
	}
	parts = append(parts, groups...)
	if a := strings.TrimSpace(c.ArgsUsage); a != "" {
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// flagUsage is one flag in a usage line: [-o text|json|markdown],
// [--user-type TYPE]... for a repeatable one, <--email EMAIL> for a
// required one.
func flagUsage(f cli.Flag) string {
	names := f.Names()
	name := names[0]
	for _, n := range names[1:] {
		if len(n) == 1 {
			name = n // the short form, as people type it
		}
	}
	s := dashed(name)
	if dg, ok := f.(cli.DocGenerationFlag); ok && dg.TakesValue() {
		s += " " + valuePlaceholder(f)
	}
	if rf, ok := f.(cli.RequiredFlag); ok && rf.IsRequired() {
		return s
	}
	s = "[" + s + "]"
	if _, ok := f.(interface{ IsSliceFlag() bool }); ok {
		s += "..."
	}
	return s
}

// valuePlaceholder is how a flag's value is shown: its choices, else the
// `NAME` its usage text quotes, else a word for its type.
func valuePlaceholder(f cli.Flag) string {
	if ch := flagChoices(f); len(ch) > 0 && len(ch) <= 6 {
		return strings.Join(ch, "|")
	}
	if dg, ok := f.(cli.DocGenerationFlag); ok {
		if name, _ := unquoteUsage(dg.GetUsage()); name != "" {
			return name
		}
	}
	switch f.(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Float64Flag:
		return "N"
	case *cli.DurationFlag:
		return "DURATION"
	}
	return strings.ToUpper(f.Names()[0])
}

// unquoteUsage splits a flag's usage as urfave/cli does: the first
// `quoted` word names the value, and is shown without its quotes.
func unquoteUsage(usage string) (name, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}

// commandWords is the command path args run, e.g. [ninjaops baton sync].
func commandWords(app *cli.App, args []string) []string {
	words := []string{app.Name}
	cmds := app.Commands
	for _, a := range args[min(1, len(args)):] {
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		if next == nil {
			break
		}
		words = append(words, next.Name)
		cmds = next.Subcommands
	}
	return words
}
