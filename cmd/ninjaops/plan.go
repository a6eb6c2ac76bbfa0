package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/plan"
	"github.com/ninjaops/ninjaops/internal/safefile"
)

func init() { register(planCommand) }

func planCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "plan",
		Usage: "show the changes that would bring NinjaOne to the state ninjaops.yaml declares",
		Description: `Reads the desired-state file and the live tenant (a handful of list calls,
whatever its size), and prints what apply would do. Nothing is changed.

Exit codes: 0 success; 1 error; with --detailed-exitcode, 2 on drift: the
plan has changes, or (unmanaged_users: report) users in scope that the file
does not list. An error is never 2.`,
		Flags: append([]cli.Flag{
			fileFlag(),
			oneOf(&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output `FORMAT`: text|json|markdown"}, "text", "json", "markdown"),
			&cli.StringFlag{Name: "out", TakesFile: true, Usage: "also save the plan to `PLANFILE`, for ninjaops apply PLANFILE"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 on drift: changes, or unmanaged users in scope (0: none, 1: error)"},
			&cli.BoolFlag{Name: "no-color", Usage: "no color in text output (also NO_COLOR; color is only used on a terminal)"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error { return runPlan(c, e) },
	}
}

func runPlan(c *cli.Context, e *env) error {
	if c.NArg() > 0 {
		return fmt.Errorf("plan takes no arguments (got %q); give the file with -f", c.Args().First())
	}
	format := c.String("output")
	switch format {
	case "text", "json", "markdown":
	default:
		return fmt.Errorf("-o %q: want text, json or markdown", format)
	}

	saving := c.String("out") != ""
	if saving {
		// Refused before anything is read or started: the in-process
		// sandbox would leave a state file behind for a plan never saved.
		if err := checkOutput("out", c.String("out"), input{"-f", c.String("file")}); err != nil {
			return fmt.Errorf("saving the plan: %w", err)
		}
	}
	s, err := readBoth(c, e, func() (*plan.Desired, error) {
		d, err := loadDesired(c.Context, e, c.String("file"))
		if d != nil && !saving {
			// Only a saved plan records the file; on a 100,000-user
			// tenant its bytes are 20 MB the rest of the plan never reads.
			d.Source = nil
		}
		return d, err
	})
	if err != nil {
		return err
	}
	defer s.close()
	d := s.desired
	p, err := plan.Diff(d, s.live)
	if err != nil {
		return desiredError(e, err)
	}

	// Save first: a plan that cannot be saved is an error, and the
	// printed plan must not suggest otherwise.
	if out := c.String("out"); out != "" {
		t, err := tenantOf(c, e)
		if err != nil {
			return err
		}
		saved, err := plan.MarshalPlanFile(p, d, t.target())
		if err != nil {
			return err
		}
		if err := safefile.Write(out, saved); err != nil {
			return fmt.Errorf("saving the plan: %w", err)
		}
	}

	var rendered []byte
	switch format {
	case "json":
		if rendered, err = plan.RenderJSON(p); err != nil {
			return err
		}
	case "markdown":
		rendered = plan.RenderMarkdown(p, plan.MarkdownOptions{})
	default:
		rendered = plan.RenderText(p, plan.TextOptions{Color: useColor(c, e)})
	}
	if _, err := e.stdout.Write(rendered); err != nil {
		return err
	}
	if out := c.String("out"); out != "" {
		fmt.Fprintf(e.stderr, "Saved the plan to %s. To carry it out exactly: ninjaops apply %s\n", out, out)
	}

	if c.Bool("detailed-exitcode") && p.HasDrift() {
		return withCode(exitChanges, nil)
	}
	return nil
}

// useColor: only on a terminal, and never when asked not to
// (https://no-color.org: NO_COLOR set to anything non-empty).
func useColor(c *cli.Context, e *env) bool {
	return e.stdoutTTY && !c.Bool("no-color") && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
}
