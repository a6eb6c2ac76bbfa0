package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// Two applies of one file at once, from two machines (two lock
// directories, so the lock cannot keep them apart), against one tenant.
// These tests run the ninjaops binary (testscript.Main put it on PATH)
// against a sandbox behind a gate that makes the worst interleaving
// happen every time, where two processes merely started together only
// make it likely (apply_concurrent.txtar).

// tenantRun is one ninjaops against base, as its own machine.
type tenantRun struct {
	code           int
	stdout, stderr *syncBuffer
}

// runAgainst runs the ninjaops binary with args against base.
func runAgainst(t *testing.T, base, lockDir string, args ...string) *tenantRun {
	t.Helper()
	r := &tenantRun{stdout: newSyncBuffer(), stderr: newSyncBuffer()}
	cmd := exec.Command("ninjaops", append(args, "--base-url", base, "--client-id", "sandbox", "--client-secret", "sandbox")...)
	cmd.Env = append(os.Environ(), envLockDir+"="+lockDir, envProtected+"=", "NINJAONE_CLIENT_SECRET=", "NINJAONE_BASE_URL=", "NINJAONE_CLIENT_ID=")
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running ninjaops: %v", err)
	}
	r.code = cmd.ProcessState.ExitCode()
	return r
}

// gate holds every user creation until every list of n reads of the
// tenant has been answered: with two applies each reading twice (the plan,
// and again just before creating), both have checked for each other before
// either creates anything. It counts each of a read's four lists, which
// are read concurrently: opening on one list's answer would let creations
// land between the lists of the same read, which then disagree and are
// read again (and the second read adopts instead of creating).
type gate struct {
	next  http.Handler
	n     int32
	mu    sync.Mutex
	reads map[string]int32
	open  chan struct{}
	once  sync.Once
	posts atomic.Int32
}

// gatedLists are the lists of one read of the tenant.
var gatedLists = []string{"/v2/user/technicians", "/v2/user/end-users", "/v2/user/roles", "/v2/users"}

func newGate(next http.Handler, n int32) *gate {
	return &gate{next: next, n: n, reads: map[string]int32{}, open: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && slices.Contains(gatedLists, r.URL.Path):
		g.next.ServeHTTP(w, r)
		g.mu.Lock()
		g.reads[r.URL.Path]++
		done := true
		for _, p := range gatedLists {
			done = done && g.reads[p] >= g.n
		}
		g.mu.Unlock()
		if done {
			g.once.Do(func() { close(g.open) })
		}
		return
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/user/"):
		g.posts.Add(1)
		select {
		case <-g.open:
		case <-time.After(time.Minute): // a hang guard, not a speed assertion
		}
	}
	g.next.ServeHTTP(w, r)
}

// concurrentFile declares n new technicians, each in Helpdesk.
func concurrentFile(t *testing.T, n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nsettings:\n  unmanaged_users: ignore\nusers:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {email: race%02d@example.com, type: technician, first_name: Race, last_name: User%02d, roles: [Helpdesk]}\n", i, i)
	}
	p := filepath.Join(t.TempDir(), "ninjaops.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func quickstartSandbox(t *testing.T, dup string) *sandbox.Server {
	t.Helper()
	seed, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.New(sandbox.Options{Seed: seed, DuplicateEmails: dup})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// holders maps each email of the new users to the ids holding it.
func holders(srv *sandbox.Server) map[string][]int32 {
	m := map[string][]int32{}
	for _, u := range srv.Tenant().Users {
		if e := strings.ToLower(u.Email); strings.HasPrefix(e, "race") {
			m[e] = append(m[e], u.ID)
		}
	}
	return m
}

// bothAtOnce runs two applies of file together, as two machines.
func bothAtOnce(t *testing.T, base, file string) [2]*tenantRun {
	var runs [2]*tenantRun
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			runs[i] = runAgainst(t, base, filepath.Join(t.TempDir(), "locks"), "apply", "-f", file, "--auto-approve", "--parallelism", "4")
		})
	}
	wg.Wait()
	return runs
}

// gatedRace starts a quickstart sandbox that treats duplicate emails as
// dup says, behind a gate for two applies, and runs two applies of a file
// of n new users against it at once.
func gatedRace(t *testing.T, dup string, n int) (srv *sandbox.Server, g *gate, base, file string, runs [2]*tenantRun) {
	srv = quickstartSandbox(t, dup)
	g = newGate(srv, 4)
	ts := httptest.NewServer(g)
	t.Cleanup(ts.Close)
	file = concurrentFile(t, n)
	return srv, g, ts.URL, file, bothAtOnce(t, ts.URL, file)
}

// When NinjaOne accepts a second user with a taken email, two applies
// that both checked before either created make every new user twice. The
// apply that checks last, right after its create phase, finds each one:
// it stops before any membership, exits 1, and names every id. Once the
// extra users are deleted, apply finishes the job.
func TestConcurrentAppliesWhenDuplicatesAreAccepted(t *testing.T) {
	const n = 5
	srv, _, base, file, runs := gatedRace(t, sandbox.DuplicatesAccept, n)
	have := holders(srv)
	if len(have) != n {
		t.Fatalf("%d new emails in the tenant, want %d: %v", len(have), n, have)
	}
	// Whichever apply checked last saw both users of an email (the first
	// may have checked before the other's creation landed, and rightly
	// went on): every email is reported, with its ids, by an apply that
	// stopped and exited 1.
	for email, ids := range have {
		if len(ids) != 2 {
			t.Errorf("%s is held by %v, want 2 users (the gate makes both create it)", email, ids)
			continue
		}
		slices.Sort(ids)
		want := fmt.Sprintf("%s: users %d, %d (", email, ids[0], ids[1])
		if !slices.ContainsFunc(runs[:], func(r *tenantRun) bool {
			out := r.stdout.String() + r.stderr.String()
			return r.code == exitError && strings.Contains(out, want) && strings.Contains(out, "Apply stopped: ") && !strings.Contains(out, "Apply complete!")
		}) {
			t.Errorf("no apply stopped naming %q:\n%s%s\n%s%s", want, runs[0].stdout, runs[0].stderr, runs[1].stdout, runs[1].stderr)
		}
	}

	// Delete the extra user of each email: apply then finishes the job.
	c, err := ninjaone.New(ninjaone.Config{BaseURL: base, ClientID: "sandbox", ClientSecret: "sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range have {
		if err := c.DeleteTechnician(context.Background(), slices.Max(ids)); err != nil {
			t.Fatal(err)
		}
	}
	finishes(t, base, file)
}

// finishes runs apply once more and wants it to succeed (with what is
// left, or nothing), and the plan after it to be empty.
func finishes(t *testing.T, base, file string) {
	t.Helper()
	locks := filepath.Join(t.TempDir(), "locks")
	if r := runAgainst(t, base, locks, "apply", "-f", file, "--auto-approve"); r.code != exitOK || !strings.Contains(r.stdout.String(), "Apply complete!") && !strings.Contains(r.stdout.String(), "No changes.") {
		t.Fatalf("apply again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runAgainst(t, base, locks, "plan", "-f", file, "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("plan after: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// When NinjaOne refuses a taken email, the same race creates each user
// once: the apply that lost a creation says so and exits 1, and a second
// run finishes the job.
func TestConcurrentAppliesWhenDuplicatesAreRefused(t *testing.T) {
	const n = 5
	srv, g, base, file, runs := gatedRace(t, sandbox.DuplicatesRefuse, n)
	for email, ids := range holders(srv) {
		if len(ids) != 1 {
			t.Errorf("%s is held by %v", email, ids)
		}
	}
	if p := g.posts.Load(); p != 2*n {
		t.Errorf("%d creations sent, want %d (both applies tried each user: the gate made them race)", p, 2*n)
	}
	refused := 0
	for _, r := range runs {
		refused += strings.Count(r.stderr.String(), "already exists")
	}
	if refused < n {
		t.Errorf("%d refusals reported, want one per user (%d):\n%s\n%s", refused, n, runs[0].stderr, runs[1].stderr)
	}
	finishes(t, base, file)
}

// An apply that waits at its prompt while another (from another machine)
// creates the same users: once approved, it reads the users again, adopts
// them instead of creating them twice, says so, and adds the memberships
// to the users that exist.
func TestApplyAdoptsUsersCreatedSinceThePlan(t *testing.T) {
	const n = 3
	srv := quickstartSandbox(t, sandbox.DuplicatesAccept)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	file := concurrentFile(t, n)

	// This one runs in process, where its terminal can be played.
	stdin, answer := io.Pipe()
	defer answer.Close()
	r := &tenantRun{stdout: newSyncBuffer(), stderr: newSyncBuffer()}
	done := make(chan struct{})
	locks := filepath.Join(t.TempDir(), "a")
	e := &env{stdin: stdin, stdout: r.stdout, stderr: r.stderr, stdinTTY: true, getenv: func(k string) string {
		if k == envLockDir {
			return locks
		}
		return ""
	}}
	go func() {
		defer close(done)
		r.code = run(context.Background(), e, []string{"ninjaops", "apply", "-f", file,
			"--base-url", ts.URL, "--client-id", "sandbox", "--client-secret", "sandbox"})
	}()
	// Wait for the prompt: the plan (n creates) is made and shown.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(r.stderr.String(), "Enter a value:"); {
		if time.Now().After(deadline) { // a hang guard, not a speed assertion
			t.Fatalf("no prompt:\n%s%s", r.stdout, r.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	other := runAgainst(t, ts.URL, filepath.Join(t.TempDir(), "b"), "apply", "-f", file, "--auto-approve")
	if other.code != exitOK {
		t.Fatalf("the other apply: exit %d\n%s%s", other.code, other.stdout, other.stderr)
	}
	srv.ResetStats()
	io.WriteString(answer, "yes\n")
	<-done

	out := r.stdout.String() + r.stderr.String()
	if r.code != exitOK || !strings.Contains(out, "Apply complete!") {
		t.Fatalf("exit %d:\n%s", r.code, out)
	}
	if !strings.Contains(out, "Plan: 3 to create") || strings.Count(out, "adopted: created since the plan") != n ||
		!strings.Contains(out, "3 users the plan creates were created since the plan (by another apply or a person) and were adopted, not created again.") {
		t.Errorf("output does not say the users were adopted:\n%s", out)
	}
	for email, ids := range holders(srv) {
		if len(ids) != 1 {
			t.Errorf("%s is held by %v", email, ids)
		}
	}
	if st := srv.Stats().Requests; st["POST /v2/user/technicians"] != 0 {
		t.Errorf("users were created again: %v", st)
	}
}
