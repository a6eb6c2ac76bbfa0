package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/apply"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
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
checks the plan was made for this tenant (host and client id) and from the
desired-state file now at its recorded path (--allow-missing-desired when the
file is not there), re-reads NinjaOne, re-computes the changes from the
desired state recorded in the plan, and proceeds only if they equal the saved
ones exactly; otherwise it stops with "plan is stale" and changes nothing.

Users matching --protected or NINJAOPS_PROTECTED are never changed, whatever
the plan says: a plan that would change one is refused (exit 3). One apply
per tenant runs at a time on a machine (a lock in the user's cache directory,
or NINJAOPS_LOCK_DIR).

Order: creates, updates, membership additions, membership removals,
deletions; one add-members and one remove-members call per role.

Exit codes: 0 all done; 1 error, or a change failed or was skipped;
3 refused by a safety guard (nothing changed); 130 interrupted.`,
		Flags: append([]cli.Flag{
			fileFlag(),
			&cli.BoolFlag{Name: "auto-approve", Usage: "do not ask for approval (needed without a terminal)"},
			&cli.IntFlag{Name: "parallelism", Value: 4, Usage: "write calls in flight at once"},
			&cli.IntFlag{Name: "max-deletions", DefaultText: "settings.max_deletions, else 5", Usage: "refuse to delete more users than `N` (0 or more)"},
			&cli.Float64Flag{Name: "max-removal-percent", DefaultText: "settings.max_removal_percent, else 25", Usage: fmt.Sprintf("refuse to remove more than `P` percent (0 to 100) of the memberships of the users in scope, when more than %d are removed", plan.RemovalFloor)},
			&cli.StringFlag{Name: "report", TakesFile: true, Usage: "write a JSON report of the outcome and every change to `FILE`, whatever the outcome"},
			&cli.BoolFlag{Name: "no-color", Usage: "no color in the printed plan (also NO_COLOR)"},
			protectedFlag(),
			&cli.BoolFlag{Name: flagAllowMissingDesired, Usage: "apply a PLANFILE although the desired-state file it was made from is not at its recorded path (a CI job with only the plan file); protection then comes from the plan and --protected alone"},
		}, connectionFlags()...),
		Action: func(c *cli.Context) error { return runApply(c, e) },
	}
}

func runApply(c *cli.Context, e *env) error {
	o := &applyOutcome{started: time.Now().UTC()}
	path := c.String("report")
	if path != "" {
		reads := []input{{"PLANFILE", c.Args().First()}}
		if !c.Args().Present() {
			reads = append(reads, input{"-f", c.String("file")})
		}
		if err := checkOutput("report", path, reads...); err != nil {
			return err
		}
		// Replaced at once: an earlier run's report must never pass for
		// this one's, even if this run is killed before it ends.
		if err := writeReport(path, o.file(nil, true)); err != nil {
			return fmt.Errorf("writing the report %s: %w", path, err)
		}
	}
	err := applyWith(c, e, o)
	// A report that was asked for is written whatever the outcome, and
	// one that could not be written fails the run (after the outcome is
	// printed): whatever reads it next must not see success.
	if path != "" {
		if werr := writeReport(path, o.file(err, false)); werr != nil {
			fmt.Fprintf(e.stderr, "Error: writing the report %s: %v\n", path, werr)
			if err == nil {
				return withCode(exitError, nil)
			}
		}
	}
	return err
}

func applyWith(c *cli.Context, e *env, o *applyOutcome) error {
	if c.NArg() > 1 {
		return fmt.Errorf("apply takes at most one PLANFILE (got %d arguments)", c.NArg())
	}
	if c.Int("parallelism") < 1 {
		return fmt.Errorf("--parallelism %d: want 1 or more", c.Int("parallelism"))
	}
	if err := checkGuardFlags(c); err != nil {
		return err
	}
	planFile := c.Args().First()
	if planFile != "" && c.IsSet("file") {
		return errors.New("give either -f FILE or a PLANFILE, not both")
	}
	if planFile == "" && c.String("file") == "-" && !c.Bool("auto-approve") {
		return errors.New("-f - reads the desired state from standard input, so there is nothing left to answer the approval prompt with: pass --auto-approve, or save a plan first")
	}
	if planFile == "" && c.Bool(flagAllowMissingDesired) {
		return fmt.Errorf("--%s is for apply PLANFILE: with -f the desired file is the one read", flagAllowMissingDesired)
	}
	outside, err := outsideProtected(c, e)
	if err != nil {
		return err
	}

	var saved *plan.SavedPlan
	load := func() (*plan.Desired, error) {
		d, err := loadDesired(c.Context, e, c.String("file"))
		if d != nil {
			d.Source = nil // apply -f saves no plan: the file's bytes are not needed
		}
		o.noteDesired(err)
		return d, err
	}
	if planFile != "" {
		data, err := interruptibly(c.Context, func() ([]byte, error) { return readPlanFile(planFile) })
		if err != nil {
			return err
		}
		if saved, err = plan.ReadPlanFile(data); err != nil {
			return fmt.Errorf("%s: %w", planFile, err)
		}
		if err := checkRecordedDesired(e, planFile, saved, c.Bool(flagAllowMissingDesired)); err != nil {
			return err
		}
		// Before anything is read: the plan's own changes already say it.
		if err := refuseProtected(saved.Plan.Changes, outside); err != nil {
			o.notStarted("refused", saved.Plan.Changes, "the plan changes users protected from outside it")
			return err
		}
		load = func() (*plan.Desired, error) {
			d, err := plan.Load(saved.Desired.Path, saved.Desired.Source)
			if err != nil {
				fmt.Fprintf(e.stderr, "%s: the desired state recorded in the plan does not load with this ninjaops:\n", planFile)
			}
			o.noteDesired(err)
			return d, err
		}
	}

	// The tenant is checked, and locked on this machine, before NinjaOne
	// is read: the plan is computed under the lock. Settings it cannot
	// read are reported by readBoth, after an invalid desired file.
	t, terr := tenantOf(c, e)
	if terr == nil {
		if saved != nil {
			if err := checkTarget(planFile, saved.Target, t); err != nil {
				return err
			}
		}
		lock, err := lockApply(c, e, t)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	s, err := readBoth(c, e, load)
	if err != nil {
		return err
	}
	defer s.close()
	if terr != nil {
		return terr
	}
	d, client, live := s.desired, s.client, s.live
	p, err := plan.Diff(d, live)
	if err != nil {
		o.noteDesired(err)
		return desiredError(e, err)
	}

	if saved != nil {
		if diffs := plan.CompareChanges(saved.Plan.Changes, p.Changes); len(diffs) > 0 {
			o.notStarted("stale", saved.Plan.Changes, "the plan is stale")
			return fmt.Errorf("plan is stale: NinjaOne or the plan changed since %s was made, nothing was changed:\n  %s\nmake a new plan with ninjaops plan --out",
				planFile, strings.Join(diffs, "\n  "))
		}
		fmt.Fprintf(e.stderr, "Applying %s: %s\n", planFile, summaryLine(p))
	} else if _, err := e.stdout.Write(plan.RenderText(p, plan.TextOptions{Color: useColor(c, e)})); err != nil {
		return err
	}
	if len(p.Changes) == 0 {
		o.outcome = "no_changes"
		if saved != nil {
			// Not "No changes." alone: unmanaged users are drift that an
			// apply leaves as it is, and the summary says so.
			fmt.Fprintln(e.stdout, plan.SummaryLine(p))
		}
		return nil
	}

	if err := refuseProtected(p.Changes, outside); err != nil {
		o.notStarted("refused", p.Changes, "the plan changes users protected from outside it")
		return err
	}

	// A token that cannot write is refused before the first write, not by
	// a 403 on each change.
	if err := client.RequireScope(c.Context, ninjaone.ScopeManagement); err != nil {
		o.notStarted("refused", p.Changes, "the token lacks the management scope")
		return fmt.Errorf("refusing to apply, nothing was changed: %w", err)
	}

	maxDel, maxPct := guardLimits(c, d)
	if vs := plan.CheckGuards(p, plan.GuardBaseOf(d, live), maxDel, maxPct); len(vs) > 0 {
		msgs := make([]string, len(vs))
		for i, v := range vs {
			msgs[i] = v.Message
		}
		o.notStarted("refused", p.Changes, "refused by a safety guard")
		return withCode(exitGuard, fmt.Errorf("refusing to apply, nothing was changed:\n  %s", strings.Join(msgs, "\n  ")))
	}

	if saved == nil && !c.Bool("auto-approve") {
		if err := approve(c.Context, e); err != nil {
			if errors.Is(err, errCancelled) {
				o.notStarted("cancelled", p.Changes, "apply was cancelled at the prompt")
			}
			return err
		}
	}

	prog := newApplyProgress(e)
	rep := apply.Run(c.Context, client, p, apply.Options{
		Parallelism: c.Int("parallelism"),
		Live:        live,
		Protected:   append(slices.Clip(d.Settings.Protected), protectedGlobs(outside)...),
		Progress:    prog.update,
		// Read again around the create phase: users someone created since
		// the plan are adopted, and a duplicate made meanwhile is caught.
		Reread: func(ctx context.Context) (*ninjaone.Snapshot, error) {
			return client.Snapshot(ctx, ninjaone.SnapshotOptions{})
		},
	})
	prog.finish()
	o.rep = rep
	printOutcome(e, rep)
	switch {
	case rep.Interrupted:
		return withCode(exitInterrupted, nil)
	case rep.Stopped != "" || rep.Totals.Failed > 0 || rep.Totals.Skipped > 0:
		return withCode(exitError, nil)
	}
	return nil
}

// checkGuardFlags refuses limits that would switch a guard off or mean
// nothing, before anything is read: a percentage outside 0 to 100 (NaN
// included), a negative number of deletions.
func checkGuardFlags(c *cli.Context) error {
	if c.IsSet("max-deletions") && c.Int("max-deletions") < 0 {
		return fmt.Errorf("--max-deletions %d: want 0 or more", c.Int("max-deletions"))
	}
	if p := c.Float64("max-removal-percent"); c.IsSet("max-removal-percent") && !plan.ValidRemovalPercent(p) {
		return fmt.Errorf("--max-removal-percent %v: want a number from 0 to 100", p)
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

var errCancelled = errors.New("apply cancelled; nothing was changed")

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
		return errCancelled
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
		// Addresses and errors quote live data: escape what would hide or
		// reorder the line.
		line := fmt.Sprintf("[%d/%d] %s %s: %s", done, total, r.Action, plan.EscapeInvisible(r.Address), r.Status)
		fmt.Fprintf(p.e.stderr, "\r\033[K%s", truncate(line, 120))
		if r.Status == apply.Failed {
			fmt.Fprintf(p.e.stderr, "\r\033[K%s %s %s: %s\n", r.Status, r.Action, plan.EscapeInvisible(r.Address), plan.EscapeInvisible(r.Error))
		}
		return
	}
	fmt.Fprintf(p.e.stderr, "%-7s %-6s %s%s\n", r.Status, r.Action, plan.EscapeInvisible(r.Address), resultDetail(r))
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
		s += ": " + plan.EscapeInvisible(r.Error)
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
			fmt.Fprintf(e.stderr, "  %s %s %s: %s\n", r.Status, r.Action, plan.EscapeInvisible(r.Address), plan.EscapeInvisible(r.Error))
		}
	}
	if len(rep.Duplicates) > 0 {
		fmt.Fprintln(e.stderr, "\nDuplicate users: NinjaOne now holds these emails more than once, although this apply created each of them once:")
		for _, d := range rep.Duplicates {
			ids := make([]string, len(d.UserIDs))
			for i, id := range d.UserIDs {
				ids[i] = fmt.Sprint(id)
			}
			fmt.Fprintf(e.stderr, "  %s: users %s (%d created by this apply)\n", d.Email, strings.Join(ids, ", "), d.Created)
		}
		fmt.Fprintln(e.stderr, "Another apply or a person created them at the same moment. Delete the extra user of each email in NinjaOne (plan refuses an email held twice), then run apply again.")
	}
	adopted, notStarted := 0, 0
	for _, r := range rep.Changes {
		if r.Adopted {
			adopted++
		}
		if r.NotStarted {
			notStarted++
		}
	}
	if adopted > 0 {
		fmt.Fprintf(e.stderr, "\n%d users the plan creates were created since the plan (by another apply or a person) and were adopted, not created again.\n", adopted)
	}
	if notStarted > 0 {
		again := "run apply again to carry them out"
		if rep.Stopped != "" && !rep.Interrupted {
			again = "run apply again once what stopped it is put right"
		}
		fmt.Fprintf(e.stderr, "\n%s not started; %s.\n", plan.Count(notStarted, "change was", "changes were"), again)
	}
	head := "Apply complete!"
	switch {
	case rep.Interrupted:
		head = "Apply interrupted: in-flight calls finished, no new ones were started."
	case rep.Stopped != "":
		head = "Apply stopped: " + rep.Stopped + ". In-flight calls finished, no new ones were started."
	case t.Failed > 0 || t.Skipped > 0:
		head = "Apply finished with errors; run apply again to finish the job (it re-reads NinjaOne and does only what is left)."
	}
	fmt.Fprintf(e.stdout, "\n%s %d done, %d failed, %d skipped (of %d) in %s.\n", head, t.OK, t.Failed, t.Skipped, t.Total,
		rep.Finished.Sub(rep.Started).Round(time.Millisecond))
}
