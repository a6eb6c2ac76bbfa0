package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/apply"
	"github.com/ninjaops/ninjaops/internal/plan"
)

func init() { register(applyCommand) }

func applyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "carry out the changes that bring NinjaOne to the state ninjaops.yaml declares",
		ArgsUsage: "[PLANFILE]",
		Description: `With -f (default ninjaops.yaml): computes the plan, prints it, and asks for
"yes" on a terminal; without a terminal it refuses unless --auto-approve.

With PLANFILE (written by plan --out): the saved plan is the approval. apply
re-reads NinjaOne, re-computes the changes from the desired state recorded in
the plan, and proceeds only if they equal the saved ones exactly; otherwise it
stops with "plan is stale" and changes nothing.

Order: creates, updates, membership additions, membership removals,
deletions; one add-members and one remove-members call per role.

Exit codes: 0 all done; 1 error, or a change failed or was skipped;
3 refused by a safety guard (nothing changed); 130 interrupted.`,
		Flags: append([]cli.Flag{
			fileFlag(),
			&cli.BoolFlag{Name: "auto-approve", Usage: "do not ask for approval (needed without a terminal)"},
			&cli.IntFlag{Name: "parallelism", Value: 4, Usage: "write calls in flight at once"},
			&cli.IntFlag{Name: "max-deletions", DefaultText: "settings.max_deletions, else 5", Usage: "refuse to delete more users than `N`"},
			&cli.Float64Flag{Name: "max-removal-percent", DefaultText: "settings.max_removal_percent, else 25", Usage: "refuse to remove more than `P` percent of the memberships of the roles concerned"},
			&cli.StringFlag{Name: "report", TakesFile: true, Usage: "write a JSON report of every change to `FILE`"},
			&cli.BoolFlag{Name: "no-color", Usage: "no color in the printed plan (also NO_COLOR)"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error { return runApply(c, e) },
	}
}

func runApply(c *cli.Context, e *env) error {
	if c.NArg() > 1 {
		return fmt.Errorf("apply takes at most one PLANFILE (got %d arguments)", c.NArg())
	}
	if c.Int("parallelism") < 1 {
		return fmt.Errorf("--parallelism %d: want 1 or more", c.Int("parallelism"))
	}
	planFile := c.Args().First()
	if planFile != "" && c.IsSet("file") {
		return errors.New("give either -f FILE or a PLANFILE, not both")
	}
	if planFile == "" && c.String("file") == "-" && !c.Bool("auto-approve") {
		return errors.New("-f - reads the desired state from standard input, so there is nothing left to answer the approval prompt with: pass --auto-approve, or save a plan first")
	}

	var saved *plan.SavedPlan
	load := func() (*plan.Desired, error) {
		d, err := loadDesired(c.Context, e, c.String("file"))
		if d != nil {
			d.Source = nil // apply -f saves no plan: the file's bytes are not needed
		}
		return d, err
	}
	if planFile != "" {
		data, err := interruptibly(c.Context, func() ([]byte, error) { return os.ReadFile(planFile) })
		if err != nil {
			return fmt.Errorf("reading the plan: %w", err)
		}
		if saved, err = plan.ReadPlanFile(data); err != nil {
			return fmt.Errorf("%s: %w", planFile, err)
		}
		load = func() (*plan.Desired, error) {
			d, err := plan.Load(saved.Desired.Path, saved.Desired.Source)
			if err != nil {
				fmt.Fprintf(e.stderr, "%s: the desired state recorded in the plan does not load with this ninjaops:\n", planFile)
			}
			return d, err
		}
	}

	s, err := readBoth(c, e, load)
	if err != nil {
		return err
	}
	defer s.close()
	d, client, live := s.desired, s.client, s.live
	if saved != nil && saved.Target != "" {
		if t := planTarget(c, client); t != saved.Target {
			return fmt.Errorf("%s was made for %s, but this apply talks to %s; make a new plan against this tenant", planFile, saved.Target, t)
		}
	}
	p, err := plan.Diff(d, live)
	if err != nil {
		return desiredError(e, err)
	}

	if saved != nil {
		if diffs := plan.CompareChanges(saved.Plan.Changes, p.Changes); len(diffs) > 0 {
			return fmt.Errorf("plan is stale: NinjaOne or the plan changed since %s was made, nothing was changed:\n  %s\nmake a new plan with ninjaops plan --out",
				planFile, strings.Join(diffs, "\n  "))
		}
		fmt.Fprintf(e.stderr, "Applying %s: %s\n", planFile, summaryLine(p))
	} else if _, err := e.stdout.Write(plan.RenderText(p, plan.TextOptions{Color: useColor(c, e)})); err != nil {
		return err
	}
	if len(p.Changes) == 0 {
		if saved != nil {
			fmt.Fprintln(e.stdout, "No changes.")
		}
		return nil
	}

	maxDel, maxPct := guardLimits(c, d)
	if vs := plan.CheckGuards(p, live, maxDel, maxPct); len(vs) > 0 {
		msgs := make([]string, len(vs))
		for i, v := range vs {
			msgs[i] = v.Message
		}
		return withCode(exitGuard, fmt.Errorf("refusing to apply, nothing was changed:\n  %s", strings.Join(msgs, "\n  ")))
	}

	if saved == nil && !c.Bool("auto-approve") {
		if err := approve(c.Context, e); err != nil {
			return err
		}
	}

	prog := newApplyProgress(e)
	rep := apply.Run(c.Context, client, p, apply.Options{
		Parallelism: c.Int("parallelism"),
		Live:        live,
		Protected:   d.Settings.Protected,
		Progress:    prog.update,
	})
	prog.finish()

	// A report that was asked for and is missing fails the run (after the
	// outcome is printed): whatever reads it next must not see success.
	reportFailed := false
	if path := c.String("report"); path != "" {
		if err := writeReport(path, rep); err != nil {
			fmt.Fprintf(e.stderr, "Error: writing the report %s: %v\n", path, err)
			reportFailed = true
		}
	}
	printOutcome(e, rep)
	switch {
	case rep.Interrupted:
		return withCode(exitInterrupted, nil)
	case rep.Totals.Failed > 0 || rep.Totals.Skipped > 0 || reportFailed:
		return withCode(exitError, nil)
	}
	return nil
}

// guardLimits: flags override the file's settings, which default.
func guardLimits(c *cli.Context, d *plan.Desired) (int, float64) {
	maxDel, maxPct := plan.DefaultMaxDeletions, plan.DefaultMaxRemovalPercent
	if d.Settings.MaxDeletions != nil {
		maxDel = *d.Settings.MaxDeletions
	}
	if d.Settings.MaxRemovalPercent != nil {
		maxPct = *d.Settings.MaxRemovalPercent
	}
	if c.IsSet("max-deletions") {
		maxDel = c.Int("max-deletions")
	}
	if c.IsSet("max-removal-percent") {
		maxPct = c.Float64("max-removal-percent")
	}
	return maxDel, maxPct
}

// approve asks for "yes" on a terminal, as Terraform does. An interrupt
// ends the wait (ctx's error, exit 130): the signal handler has taken
// SIGINT and SIGTERM over, so a read alone would swallow them.
func approve(ctx context.Context, e *env) error {
	if !e.stdinTTY {
		return errors.New("apply needs approval and there is no terminal to ask on: pass --auto-approve, or apply a reviewed saved plan (ninjaops plan --out plan.json, then ninjaops apply plan.json)")
	}
	fmt.Fprint(e.stderr, "\nDo you want to perform these actions?\n  ninjaops will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	type answer struct {
		line string
		err  error
	}
	// On an interrupt the reader stays blocked on the terminal until the
	// process exits, which it is about to do.
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		ch <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		fmt.Fprintln(e.stderr)
		return ctx.Err()
	}
	if a.err != nil && !errors.Is(a.err, io.EOF) {
		return a.err
	}
	if strings.TrimSpace(a.line) != "yes" {
		return errors.New("apply cancelled; nothing was changed")
	}
	fmt.Fprintln(e.stderr)
	return nil
}

func summaryLine(p *plan.Plan) string {
	s := p.Summary
	return fmt.Sprintf("%d to create, %d to update, %d to delete, %s to add, %d to remove", s.Create, s.Update, s.Delete, plan.Count(s.Add, "membership", ""), s.Remove)
}

// progress shows how an apply goes on stderr: one live line on a
// terminal, one plain line per finished change otherwise (CI logs).
type applyProgress struct {
	e    *env
	mu   sync.Mutex
	live bool
}

func newApplyProgress(e *env) *applyProgress { return &applyProgress{e: e, live: e.stderrTTY} }

func (p *applyProgress) update(r apply.Result, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.NotStarted {
		// Summed up once at the end, not listed one by one.
		return
	}
	if p.live {
		line := fmt.Sprintf("[%d/%d] %s %s: %s", done, total, r.Action, r.Address, r.Status)
		fmt.Fprintf(p.e.stderr, "\r\033[K%s", truncate(line, 120))
		if r.Status == apply.Failed {
			fmt.Fprintf(p.e.stderr, "\r\033[K%s %s %s: %s\n", r.Status, r.Action, r.Address, r.Error)
		}
		return
	}
	fmt.Fprintf(p.e.stderr, "%-7s %-6s %s%s\n", r.Status, r.Action, r.Address, resultDetail(r))
}

func (p *applyProgress) finish() {
	if p.live {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
}

func resultDetail(r apply.Result) string {
	var parts []string
	if r.UserID != 0 {
		parts = append(parts, fmt.Sprintf("user %d", r.UserID))
	}
	if r.RoleID != 0 {
		parts = append(parts, fmt.Sprintf("role %d", r.RoleID))
	}
	if r.Note != "" {
		parts = append(parts, r.Note)
	}
	s := ""
	if len(parts) > 0 {
		s = " (" + strings.Join(parts, ", ") + ")"
	}
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}

// truncate shortens s to at most n runes, so a live line stays one line.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

func printOutcome(e *env, rep *apply.Report) {
	t := rep.Totals
	var bad []apply.Result
	for _, r := range rep.Changes {
		if r.Status == apply.Failed || (r.Status == apply.Skipped && !r.NotStarted) {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintln(e.stderr, "\nNot done:")
		for _, r := range bad {
			fmt.Fprintf(e.stderr, "  %s %s %s: %s\n", r.Status, r.Action, r.Address, r.Error)
		}
	}
	notStarted := 0
	for _, r := range rep.Changes {
		if r.NotStarted {
			notStarted++
		}
	}
	if notStarted > 0 {
		fmt.Fprintf(e.stderr, "\n%s not started; run apply again to carry them out.\n", plan.Count(notStarted, "change was", "changes were"))
	}
	head := "Apply complete!"
	switch {
	case rep.Interrupted:
		head = "Apply interrupted: in-flight calls finished, no new ones were started."
	case t.Failed > 0 || t.Skipped > 0:
		head = "Apply finished with errors; run apply again to finish the job (it re-reads NinjaOne and does only what is left)."
	}
	fmt.Fprintf(e.stdout, "\n%s %d done, %d failed, %d skipped (of %d) in %s.\n", head, t.OK, t.Failed, t.Skipped, t.Total,
		rep.Finished.Sub(rep.Started).Round(time.Millisecond))
}

// reportFile is the --report JSON.
type reportFile struct {
	FormatVersion string `json:"format_version"`
	*apply.Report
}

func writeReport(path string, rep *apply.Report) error {
	b, err := json.MarshalIndent(reportFile{FormatVersion: "1", Report: rep}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o600)
}
