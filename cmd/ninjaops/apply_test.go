package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ninjaops/ninjaops/internal/apply"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// applyRun runs ninjaops in process against a --sandbox state in dir,
// with stdin as the terminal's input when tty is set.
func applyRun(ctx context.Context, t *testing.T, state, stdin string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, stdinTTY: tty, getenv: func(string) string { return "" }}
	full := append([]string{"ninjaops"}, args...)
	full = append(full, "--sandbox", "--sandbox-state", state)
	return run(ctx, e, full), out.String(), errb.String()
}

var quickstartFile = filepath.Join("..", "..", "examples", "quickstart", "ninjaops.yaml")

func TestApplyAsksForYesOnATerminal(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	ctx := context.Background()

	for _, answer := range []string{"no\n", "YES\n", "", "y\n"} {
		code, out, errb := applyRun(ctx, t, state, answer, true, "apply", "-f", quickstartFile)
		if code != exitError || !strings.Contains(errb, "Only 'yes' will be accepted") || !strings.Contains(errb, "apply cancelled; nothing was changed") {
			t.Errorf("answer %q: exit %d, stderr %q; want 1 and cancelled", answer, code, errb)
		}
		if strings.Contains(out, "Apply complete") {
			t.Errorf("answer %q applied", answer)
		}
	}
	// Nothing was changed: the plan is the same as before.
	code, out, _ := applyRun(ctx, t, state, "", false, "plan", "-f", quickstartFile, "--detailed-exitcode")
	if code != exitChanges || !strings.Contains(out, "Plan: 2 to create, 2 to update, 1 to delete") {
		t.Fatalf("after refusals: exit %d\n%s", code, out)
	}

	code, out, errb := applyRun(ctx, t, state, "yes\n", true, "apply", "-f", quickstartFile)
	if code != exitOK || !strings.Contains(out, "Apply complete! 12 done, 0 failed, 0 skipped") {
		t.Fatalf("yes: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	// Nothing is left to change; the quickstart's two unmanaged users are
	// still drift.
	if code, out, _ := applyRun(ctx, t, state, "", false, "plan", "-f", quickstartFile, "--detailed-exitcode"); code != exitChanges ||
		!strings.Contains(out, "No changes to apply. Unmanaged: 2 users in scope are not in the file: erin@customer.example, judy@customer.example.") {
		t.Errorf("plan after apply: exit %d\n%s", code, out)
	}
}

func TestApplyInterruptedBeforeWritingExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errb := applyRun(ctx, t, filepath.Join(t.TempDir(), "state.json"), "", false, "apply", "-f", quickstartFile, "--auto-approve")
	if code != exitInterrupted || !strings.Contains(errb, "interrupted; nothing was changed") {
		t.Errorf("exit %d, stderr %q; want 130 saying nothing was changed", code, errb)
	}
}

func TestApplyFlagErrors(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "a.json", "b.json"}, "at most one PLANFILE"},
		{[]string{"apply", "-f", quickstartFile, "plan.json"}, "either -f FILE or a PLANFILE"},
		{[]string{"apply", "--parallelism", "0"}, "--parallelism 0"},
		{[]string{"apply", "missing-plan.json"}, "missing-plan.json"},
		{[]string{"apply", "-f", "-"}, "pass --auto-approve"},
	} {
		code, _, errb := applyRun(context.Background(), t, state, "", false, tt.args...)
		if code != exitError || !strings.Contains(errb, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 mentioning %q", tt.args, code, errb, tt.want)
		}
	}
}

func TestFlagsMayFollowArguments(t *testing.T) {
	app := newApp(&env{getenv: func(string) string { return "" }})
	for _, tt := range []struct{ in, want string }{
		{"ninjaops apply plan.json --parallelism 8 --auto-approve", "ninjaops apply --parallelism 8 --auto-approve plan.json"},
		{"ninjaops apply --parallelism=8 plan.json --no-color", "ninjaops apply --parallelism=8 --no-color plan.json"},
		{"ninjaops apply -f x.yaml", "ninjaops apply -f x.yaml"},
		{"ninjaops apply plan.json -- --odd-name.json", "ninjaops apply plan.json -- --odd-name.json"},
		{"ninjaops baton grant --entitlement role:1:member --principal user:2", "ninjaops baton grant --entitlement role:1:member --principal user:2"},
		{"ninjaops nosuchcommand x --y", "ninjaops nosuchcommand x --y"},
		{"ninjaops", "ninjaops"},
	} {
		got := strings.Join(interspersed(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestApplyReportThatCannotBeWrittenFails(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "no-such-dir", "report.json")
	code, out, errb := applyRun(context.Background(), t, filepath.Join(dir, "state.json"), "", false,
		"apply", "-f", quickstartFile, "--auto-approve", "--report", report)
	// A report asked for that cannot be written fails the run before
	// anything is changed: a CI job that reads it must not be told all
	// went well, nor find changes nobody reported.
	if code != exitError || !strings.Contains(errb, report) || strings.Contains(out, "Apply complete!") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 naming %s, and nothing applied", code, out, errb, report)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err == nil {
		t.Error("the sandbox was started (its state exists): the report should be refused first")
	}
}

// cancelOnWrite cancels when what is written to it contains marker.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

func TestApplyInterruptedAtThePromptExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The person at the terminal never answers: SIGINT or SIGTERM must end
	// the wait rather than be swallowed while apply reads the terminal.
	stdin, never := io.Pipe()
	defer never.Close()
	errw := &cancelOnWrite{marker: "Enter a value:", cancel: cancel}
	e := &env{stdin: stdin, stdout: io.Discard, stderr: errw, stdinTTY: true, getenv: func(string) string { return "" }}
	state := filepath.Join(t.TempDir(), "state.json")
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"ninjaops", "apply", "-f", quickstartFile, "--sandbox", "--sandbox-state", state})
	}()
	select {
	case code := <-done:
		errw.mu.Lock()
		defer errw.mu.Unlock()
		if code != exitInterrupted || !strings.Contains(errw.buf.String(), "nothing was changed") {
			t.Errorf("exit %d, stderr %q; want 130 saying nothing was changed", code, errw.buf.String())
		}
	case <-time.After(time.Minute): // a hang guard, not a speed assertion
		t.Fatal("apply still waits for an answer after the interrupt")
	}
}

func TestApplyProgress(t *testing.T) {
	ok := apply.Result{Address: `user["zoë@example.com"]`, Action: plan.Create, Status: apply.OK, UserID: 7}
	bad := apply.Result{Address: `user["x@example.com"]`, Action: plan.Update, Status: apply.Failed, Error: "boom", UserID: 8}
	gone := apply.Result{Address: `user["y@example.com"]`, Action: plan.Delete, Status: apply.Skipped, NotStarted: true}

	// Not a terminal (CI logs): one plain line per finished change.
	var plain bytes.Buffer
	p := newApplyProgress(&env{stderr: &plain})
	p.update(ok, 1, 3)
	p.update(bad, 2, 3)
	p.update(gone, 3, 3)
	p.finish()
	want := "ok      create user[\"zoë@example.com\"] (user 7)\nfailed  update user[\"x@example.com\"] (user 8): boom\n"
	if plain.String() != want {
		t.Errorf("plain progress:\n%q\nwant\n%q", plain.String(), want)
	}

	// A terminal: one line rewritten in place; failures stay on screen.
	var live bytes.Buffer
	p = newApplyProgress(&env{stderr: &live, stderrTTY: true})
	p.update(ok, 1, 3)
	p.update(bad, 2, 3)
	p.finish()
	got := live.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "\r\033[K[1/3] create") || !strings.Contains(got, "failed update user[\"x@example.com\"]: boom\n") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("live progress = %q", got)
	}
	if got := truncate(strings.Repeat("é", 130), 120); len([]rune(got)) != 120 || !utf8.ValidString(got) {
		t.Errorf("truncate cut a character: %q", got)
	}
}

// apply's progress and outcome lines quote live data (an address, an error
// NinjaOne wrote): what would hide or reorder the line is escaped.
func TestApplyOutputEscapesLiveText(t *testing.T) {
	var errb bytes.Buffer
	e := &env{stderr: &errb, stdout: &errb}
	r := apply.Result{Address: `user["a\u3164b@example.com"]`, Action: plan.Create, Status: apply.Failed, Error: "400: name \u202eexe.txt is invalid\x1b[2J"}
	newApplyProgress(e).update(r, 1, 1)
	printOutcome(e, &apply.Report{Changes: []apply.Result{r}, Totals: apply.Totals{Failed: 1, Total: 1}})
	out := errb.String()
	for _, raw := range []string{"\u202e", "\u3164", "\x1b"} {
		if strings.Contains(out, raw) {
			t.Errorf("output holds %q raw:\n%q", raw, out)
		}
	}
	if !strings.Contains(out, `name \u202eexe.txt is invalid\x1b[2J`) {
		t.Errorf("output does not show the escaped error:\n%s", out)
	}
}
