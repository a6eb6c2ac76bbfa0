package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/plan"
)

// envProtected holds protected patterns from outside the plan, for apply.
const envProtected = "NINJAOPS_PROTECTED"

// protectedFlag is apply's --protected: the name and meaning of baton's.
func protectedFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: flagProtected,
		Usage: "case-insensitive email `GLOB` of users this apply never changes or deletes, whatever the plan or file says (repeatable; also " + envProtected + ", comma-separated)"}
}

// protectedPattern is a protected glob given outside the plan, with where
// it came from for messages.
type protectedPattern struct {
	glob   plan.Glob
	raw    string
	source string // "--protected" or "NINJAOPS_PROTECTED"
}

// outsideProtected compiles the protected patterns that come from outside
// the desired file and the plan: a plan file's checksum is unkeyed, so
// anyone who can edit it can drop settings.protected from its recorded
// source; these come from the person or the CI job that runs apply.
func outsideProtected(c *cli.Context, e *env) ([]protectedPattern, error) {
	var out []protectedPattern
	add := func(source, raw string) error {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil
		}
		g, err := plan.CompileGlob(raw)
		if err != nil {
			return fmt.Errorf("%s: bad pattern %q: %v; use * and ? wildcards and [] classes", source, raw, err)
		}
		out = append(out, protectedPattern{glob: g, raw: raw, source: source})
		return nil
	}
	for _, p := range c.StringSlice(flagProtected) {
		if err := add("--"+flagProtected, p); err != nil {
			return nil, err
		}
	}
	for _, p := range strings.FieldsFunc(e.getenv(envProtected), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		if err := add(envProtected, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refuseProtected refuses (exit 3, nothing changed) a plan any of whose
// changes touches a user an outside pattern protects.
func refuseProtected(changes []plan.Change, pats []protectedPattern) error {
	if len(pats) == 0 {
		return nil
	}
	var hits []string
	for _, c := range changes {
		v := c.Before
		if v == nil {
			v = c.After
		}
		if v == nil {
			continue
		}
		for _, p := range pats {
			if p.glob.Match(v.Email) {
				hits = append(hits, fmt.Sprintf("%s %s: %s is protected by %s %q", c.Action, c.Address, v.Email, p.source, p.raw))
				break
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	return withCode(exitGuard, fmt.Errorf("refusing to apply, nothing was changed: the plan changes users protected from outside it:\n  %s\n"+
		"Patterns given with --%s or %s protect users whatever the plan file says. If these changes are wanted, run apply without the pattern; to plan around these users, add it to settings.protected.",
		strings.Join(hits, "\n  "), flagProtected, envProtected))
}

// protectedGlobs are the raw patterns, for apply.Options.Protected.
func protectedGlobs(pats []protectedPattern) []string {
	out := make([]string, len(pats))
	for i, p := range pats {
		out[i] = p.raw
	}
	return out
}
