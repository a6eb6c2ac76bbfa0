package main

import (
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// Shell completion. The bash, zsh and fish scripts (completion.go) all
// call the program back the same way:
//
//	ninjaops __complete WORD... CURRENT
//
// with the words typed after the program name, the last one being the
// word under the cursor (possibly empty). ninjaops answers one candidate
// per line, "value<TAB>description", the values starting with CURRENT,
// then one directive line: ":files" when the shell should complete file
// names instead, ":nofiles" otherwise. The answer is computed from the
// same command tree that parses the command line, so completion offers
// exactly what ninjaops accepts.
const completeCommand = "__complete"

// candidate is one completion: the value to insert and what it means.
type candidate struct{ value, desc string }

type completion struct {
	cands []candidate
	files bool
}

// runComplete answers `ninjaops __complete WORD...`.
func runComplete(app *cli.App, w io.Writer, words []string) int {
	if len(words) == 0 {
		words = []string{""}
	}
	res := complete(app, words)
	var b strings.Builder
	for _, c := range res.cands {
		b.WriteString(c.value)
		if c.desc != "" {
			b.WriteString("\t" + c.desc)
		}
		b.WriteByte('\n')
	}
	if res.files {
		b.WriteString(":files\n")
	} else {
		b.WriteString(":nofiles\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return exitError
	}
	return exitOK
}

// node is a command as completion sees it; the root is ninjaops itself.
type node struct {
	name  string
	cmd   *cli.Command // nil at the root
	subs  []*cli.Command
	flags []cli.Flag
}

func rootNode(app *cli.App) node {
	return node{name: app.Name, subs: app.Commands, flags: []cli.Flag{cli.VersionFlag}}
}

func commandNode(c *cli.Command) node {
	return node{name: c.Name, cmd: c, subs: c.Subcommands, flags: c.Flags}
}

func (n node) sub(name string) *cli.Command {
	for _, c := range n.subs {
		if !c.Hidden && c.HasName(name) {
			return c
		}
	}
	return nil
}

// complete works out what may replace the last of words.
func complete(app *cli.App, words []string) completion {
	cur := words[len(words)-1]
	done := words[:len(words)-1]
	n := rootNode(app)
	help := false // after "help": command names only
	positional := 0
	seen := map[string]bool{} // flags given, by their first name
	dashdash := false
	for i := 0; i < len(done); i++ {
		w := done[i]
		switch {
		case dashdash:
			positional++
		case w == "--":
			dashdash = true
		case len(w) > 1 && w[0] == '-':
			name, _, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			f := findFlag(n.flags, name)
			if f == nil {
				continue
			}
			seen[f.Names()[0]] = true
			if takesValue(f) && !hasValue {
				if i == len(done)-1 {
					return completeValue(f, "", cur)
				}
				i++
			}
		case !help && w == "help" && positional == 0 && len(n.subs) > 0:
			help = true
		case positional == 0 && n.sub(w) != nil:
			n = commandNode(n.sub(w))
		default:
			positional++
		}
	}

	if !dashdash && strings.HasPrefix(cur, "-") {
		if name, value, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok {
			if f := findFlag(n.flags, name); f != nil && takesValue(f) {
				return completeValue(f, cur[:len(cur)-len(value)], value)
			}
			return completion{}
		}
		return completion{cands: flagCandidates(n, seen, cur)}
	}
	if help {
		return completion{cands: commandCandidates(n, cur)}
	}
	if dashdash {
		// Only arguments follow "--".
		if n.cmd != nil && strings.Contains(n.cmd.ArgsUsage, "FILE") {
			return completion{files: true}
		}
		return completion{}
	}
	if len(n.subs) > 0 && positional == 0 {
		c := commandCandidates(n, cur)
		if strings.HasPrefix("help", cur) {
			c = append(c, candidate{"help", "show the help of a command"})
		}
		return completion{cands: c}
	}
	if n.cmd == nil {
		return completion{}
	}
	// A command's own arguments, as its ArgsUsage describes them:
	// "bash|zsh|fish" are choices, "[PLANFILE]" a file.
	args := strings.Trim(strings.TrimSpace(n.cmd.ArgsUsage), "[]")
	switch {
	case args == "" || positional > 0:
		// No arguments: the flags are all that can follow.
		if args == "" {
			return completion{cands: flagCandidates(n, seen, cur)}
		}
		return completion{}
	case strings.Contains(args, "|"):
		return completion{cands: filter(strings.Split(args, "|"), cur, "")}
	case strings.Contains(args, "FILE"):
		return completion{files: true}
	}
	return completion{}
}

// completeValue completes the value of flag f: prefix is what precedes
// the value in the word (--output= in --output=js), typed the value so
// far.
func completeValue(f cli.Flag, prefix, typed string) completion {
	switch f := f.(type) {
	case *choiceFlag:
		return completion{cands: filter(f.choices, typed, prefix)}
	case *choiceSliceFlag:
		return completion{cands: filter(f.choices, typed, prefix)}
	case *listChoiceFlag:
		// Complete the last item of the list; the ones before it stay.
		head := ""
		if i := strings.LastIndex(typed, ","); i >= 0 {
			head, typed = typed[:i+1], typed[i+1:]
		}
		given := map[string]bool{}
		for _, g := range strings.Split(strings.TrimSuffix(head, ","), ",") {
			given[g] = true
		}
		var left []string
		for _, c := range f.choices {
			if !given[c] {
				left = append(left, c)
			}
		}
		return completion{cands: filter(left, typed, prefix+head)}
	}
	return completion{files: takesFile(f)}
}

// takesFile says whether a flag's value is a file name (TakesFile).
func takesFile(f cli.Flag) bool {
	switch f := f.(type) {
	case *cli.StringFlag:
		return f.TakesFile
	case *cli.StringSliceFlag:
		return f.TakesFile
	case *cli.PathFlag:
		return f.TakesFile
	case *cli.GenericFlag:
		return f.TakesFile
	}
	return false
}

func filter(values []string, typed, prefix string) []candidate {
	var out []candidate
	for _, v := range values {
		if strings.HasPrefix(v, typed) {
			out = append(out, candidate{value: prefix + v})
		}
	}
	return out
}

func commandCandidates(n node, cur string) []candidate {
	var out []candidate
	for _, c := range n.subs {
		if c.Hidden || c.Name == "help" || !strings.HasPrefix(c.Name, cur) {
			continue
		}
		out = append(out, candidate{c.Name, c.Usage})
	}
	return out
}

// flagCandidates offers the flags of n not given yet (repeatable ones
// always), long names as --name and one-letter ones as -n, and --help.
func flagCandidates(n node, seen map[string]bool, cur string) []candidate {
	var out []candidate
	// One-letter names only once a single dash is typed: a menu of every
	// flag twice helps nobody.
	short := strings.HasPrefix(cur, "-") && !strings.HasPrefix(cur, "--")
	add := func(names []string, desc string) {
		for _, name := range names {
			if len(name) == 1 && !short {
				continue
			}
			if d := dashed(name); strings.HasPrefix(d, cur) {
				out = append(out, candidate{d, desc})
			}
		}
	}
	for _, f := range n.flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		if _, repeatable := f.(interface{ IsSliceFlag() bool }); seen[f.Names()[0]] && !repeatable {
			continue
		}
		desc := ""
		if dg, ok := f.(cli.DocGenerationFlag); ok {
			_, desc = unquoteUsage(dg.GetUsage())
		}
		add(f.Names(), firstLine(desc))
	}
	add([]string{"help", "h"}, "show the help of "+n.name)
	return out
}

func takesValue(f cli.Flag) bool {
	dg, ok := f.(cli.DocGenerationFlag)
	return ok && dg.TakesValue()
}

// firstLine keeps a description to one line for the shells' menus, the
// environment variables left out.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if i := strings.Index(s, " [$"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
