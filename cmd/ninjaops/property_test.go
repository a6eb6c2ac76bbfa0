package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// The property that ties the reader together, run through the real
// commands in process: one tenant served in every shape that should not
// change the outcome gives byte-identical `plan -o json`, the same export
// and the same baton sync, and an apply that converges (the next plan has
// no changes) to the same tenant with the same writes; every mode that
// makes the read partial or unknowable ends in a refusal with nothing
// written, neither to NinjaOne (the sandbox's request stats) nor to a
// file. `go test -v -run TestReadProperty ./cmd/ninjaops` prints the
// matrix of mode × tenant → outcome.

// propTenant is a tenant and the desired state planned against it.
type propTenant struct {
	name string
	seed *sandbox.Tenant
	file string
}

// outcome is what a mode must end in.
type outcome int

const (
	// neutral: the same plan, export and sync as the spec shape, and an
	// apply that converges to the same tenant.
	neutral outcome = iota
	// refused: every command refuses the read; nothing is written.
	refused
	// unknownRoles: roles listed without members. plan warns and plans no
	// membership change for them, apply converges without touching them,
	// baton sync refuses.
	unknownRoles
	// noWrite: the read is whole, so plan, export and sync are the spec
	// shape's, but the token cannot write: apply is refused before its
	// first write.
	noWrite
	// writesRefused: as noWrite, but nothing shows it before a write, so
	// NinjaOne refuses the writes apply sends; none is made.
	writesRefused
)

type propMode struct {
	name string
	// opts sets the sandbox's switches for tenant tn.
	opts func(o *sandbox.Options, tn *sandbox.Tenant)
	// api serves the API under /api/v2 only: the client's /v2 calls are
	// answered as the sandbox answers /api/v2.
	api bool
	// redirect points the sandbox's redirects at a recorder, which must
	// never be asked anything.
	redirect *sandbox.Redirect
	// budget, when set, is the client's per-call budget.
	budget time.Duration
	// faults: writes are retried, so their count is not compared.
	faults bool
	// noSync leaves baton sync out of a mode that changes nothing the
	// sync reads (it reads no organizations) or only how and when
	// answers come: a sync costs seconds under -race (SQLite's
	// translated C is checked pointer by pointer), and plan and export
	// already read the same answers.
	noSync bool
	out    outcome
	// want is in the error of a refusal.
	want string
}

func propModes() []propMode {
	set := func(f func(o *sandbox.Options)) func(*sandbox.Options, *sandbox.Tenant) {
		return func(o *sandbox.Options, _ *sandbox.Tenant) { f(o) }
	}
	const disagree = "refusing to plan from a partial read"
	return []propMode{
		{name: "spec (baseline)", opts: set(func(o *sandbox.Options) {})},
		{name: "all-keys", opts: set(func(o *sandbox.Options) { o.Shape = sandbox.ShapeAllKeys })},
		{name: "legacy keys", opts: set(func(o *sandbox.Options) { o.Shape = sandbox.ShapeLegacy })},
		{name: "sparse", opts: set(func(o *sandbox.Options) { o.Shape = sandbox.ShapeSparse })},
		{name: "org page cap 1", noSync: true, opts: set(func(o *sandbox.Options) { o.OrgPageCap = 1 })},
		{name: "org page cap 7", noSync: true, opts: set(func(o *sandbox.Options) { o.OrgPageCap = 7 })},
		{name: "org page cap 1000", noSync: true, opts: set(func(o *sandbox.Options) { o.OrgPageCap = 1000 })},
		{name: "/api/v2", opts: set(func(o *sandbox.Options) {}), api: true},
		{name: "token without scope", opts: set(func(o *sandbox.Options) { o.TokenWithoutScope = true })},
		{name: "partial scopes, all granted", noSync: true, opts: set(func(o *sandbox.Options) { o.PartialScopes = true })},
		{name: "dripped within the deadline", noSync: true, opts: set(func(o *sandbox.Options) { o.Drip = &sandbox.Drip{Bytes: 4096, Interval: time.Millisecond} })},
		{name: "latency 2ms", noSync: true, opts: set(func(o *sandbox.Options) { o.Latency = 2 * time.Millisecond })},
		// Whether NinjaOne refuses a second user with an email is unknown;
		// a plan never creates an email NinjaOne has, so neither answer may
		// change the outcome.
		{name: "duplicate emails refused", noSync: true, opts: set(func(o *sandbox.Options) { o.DuplicateEmails = sandbox.DuplicatesRefuse })},
		{name: "faults 15% (429, 500, 503, html, reset)", opts: set(func(o *sandbox.Options) { o.FaultRate, o.RandomSeed = 0.15, 7 }), faults: true},
		{name: "all of: legacy, org cap 1, /api/v2, drip, no scope", api: true, opts: set(func(o *sandbox.Options) {
			o.Shape, o.OrgPageCap, o.TokenWithoutScope = sandbox.ShapeLegacy, 1, true
			o.Drip = &sandbox.Drip{Bytes: 512}
		})},

		{name: "technicians truncated 25%, /v2/users complete", out: refused, want: disagree,
			opts: set(func(o *sandbox.Options) { o.Truncate = sandbox.Truncation{Technicians: 0.25} })},
		{name: "technicians truncated 25%, /v2/users the same", out: refused, want: disagree,
			opts: set(func(o *sandbox.Options) {
				o.Truncate = sandbox.Truncation{Technicians: 0.25, Users: sandbox.TruncateUsersSame}
			})},
		{name: "end users truncated 10%, /v2/users complete", out: refused, want: disagree,
			opts: set(func(o *sandbox.Options) { o.Truncate = sandbox.Truncation{EndUsers: 0.1} })},
		{name: "end users truncated 50% spread, /v2/users the same", out: refused, want: disagree,
			opts: set(func(o *sandbox.Options) {
				o.Truncate = sandbox.Truncation{EndUsers: 0.5, Spread: true, Users: sandbox.TruncateUsersSame}
			})},
		{name: "redirect of the token call (307)", out: refused, want: "which ninjaops never follows",
			redirect: &sandbox.Redirect{Token: true}},
		{name: "redirect of the API calls (302)", out: refused, want: "which ninjaops never follows",
			redirect: &sandbox.Redirect{API: true, Status: http.StatusFound}},
		// 64 bytes every 100ms: no list can be read within 1s.
		{name: "dripped past the deadline", out: refused, want: "no complete answer within the retry budget of 1s", budget: time.Second,
			opts: set(func(o *sandbox.Options) { o.Drip = &sandbox.Drip{Bytes: 64, Interval: 100 * time.Millisecond} })},

		{name: "roles without members (no key, every role)", out: unknownRoles,
			opts: set(func(o *sandbox.Options) { o.RolesWithoutMembers = sandbox.MembersMissing })},
		{name: "roles without members (null, one role of each type)", out: unknownRoles,
			opts: func(o *sandbox.Options, tn *sandbox.Tenant) {
				o.RolesWithoutMembers = sandbox.MembersNull
				o.RolesWithoutMembersIDs = firstRoleOfEachType(tn)
			}},

		{name: "partial scopes: the app lacks management", out: noWrite, want: "needs the management scope",
			opts: set(func(o *sandbox.Options) { o.Scopes, o.PartialScopes = []string{"monitoring"}, true })},
		{name: "partial scopes, token answer without scope", noSync: true, out: writesRefused, want: "insufficient_scope",
			opts: set(func(o *sandbox.Options) {
				o.Scopes, o.PartialScopes, o.TokenWithoutScope = []string{"monitoring"}, true, true
			})},
		{name: "user_context_required on every write", noSync: true, out: writesRefused, want: "only with a token authorised by a signed-in user",
			opts: set(func(o *sandbox.Options) { o.UserContextRequired = []string{"/"} })},
	}
}

func firstRoleOfEachType(tn *sandbox.Tenant) []int32 {
	var ids []int32
	seen := map[ninjaone.UserType]bool{}
	for _, r := range tn.Roles {
		if !seen[r.Type] {
			seen[r.Type] = true
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func propTenants(t *testing.T) []propTenant {
	t.Helper()
	qs, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	msp, err := sandbox.LoadTenant(filepath.Join("..", "..", "examples", "msp", "sandbox.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	gen := sandbox.Generate(300, 20, 900, 50, 9)
	genFile := filepath.Join(t.TempDir(), "generated.yaml")
	if err := os.WriteFile(genFile, []byte(generatedDesired(gen)), 0o644); err != nil {
		t.Fatal(err)
	}
	return []propTenant{
		{"quickstart", qs, filepath.Join("..", "..", "examples", "quickstart", "ninjaops.yaml")},
		{"msp", msp, filepath.Join("..", "..", "examples", "msp", "ninjaops.yaml")},
		{"generated 300 users, 50 orgs", gen, genFile},
	}
}

// generatedDesired is a desired state for a generated tenant that changes
// some of everything: users left unmanaged, deleted, renamed, moved to
// another organization (named, so the organizations are read), given and
// taken roles, new users, and two exclusive roles.
func generatedDesired(tn *sandbox.Tenant) string {
	orgs := map[int32]string{}
	for _, o := range tn.Organizations {
		orgs[o.ID] = o.Name
	}
	held := map[int32][]string{}
	byType := map[ninjaone.UserType][]string{}
	var exclusive []sandbox.Role
	for _, r := range tn.Roles {
		byType[r.Type] = append(byType[r.Type], r.Name)
		if len(byType[r.Type]) == 1 {
			exclusive = append(exclusive, r)
		}
		for _, m := range r.Members {
			held[m] = append(held[m], r.Name)
		}
	}
	q := strconv.Quote
	list := func(names []string) string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = q(n)
		}
		return "[" + strings.Join(out, ", ") + "]"
	}
	kind := func(t ninjaone.UserType) string {
		if t == ninjaone.Technician {
			return "technician"
		}
		return "end_user"
	}
	var b strings.Builder
	b.WriteString("version: 1\nsettings:\n  unmanaged_users: report\n  membership: authoritative\n  max_deletions: 1000\n  max_removal_percent: 100\nroles:\n")
	for _, r := range exclusive {
		fmt.Fprintf(&b, "  - {name: %s, type: %s, exclusive: true}\n", q(r.Name), kind(r.Type))
	}
	b.WriteString("users:\n")
	user := func(email string, t ninjaone.UserType, first, last string, org int32, portal bool, roles []string) {
		fmt.Fprintf(&b, "  - {email: %s, type: %s, first_name: %s, last_name: %s", q(email), kind(t), q(first), q(last))
		if t == ninjaone.EndUser {
			fmt.Fprintf(&b, ", organization: %s, full_portal_access: %v", q(orgs[org]), portal)
		}
		fmt.Fprintf(&b, ", roles: %s}\n", list(roles))
	}
	for i, u := range tn.Users {
		roles := slices.Clone(held[u.ID])
		first, last, org, portal := u.FirstName, u.LastName, u.OrganizationID, u.FullPortalAccess
		switch {
		case u.Administrator:
		case i%10 == 0:
			continue // unmanaged
		case i%10 == 1:
			fmt.Fprintf(&b, "  - {email: %s, state: absent}\n", q(u.Email))
			continue
		case i%10 == 2:
			last += "-Renamed"
		case i%10 == 3:
			if len(roles) > 0 {
				roles = roles[1:]
			}
			names := byType[u.UserType]
			if add := names[i%len(names)]; !slices.Contains(roles, add) {
				roles = append(roles, add)
			}
		case i%10 == 4 && u.UserType == ninjaone.EndUser:
			org = org%int32(len(tn.Organizations)) + 1
			portal = !portal
		case i%10 == 4:
			first = "Re" + first
		}
		user(u.Email, u.UserType, first, last, org, portal, roles)
	}
	for i := range 10 {
		n := strconv.Itoa(i + 1)
		user("new.tech"+n+"@example.com", ninjaone.Technician, "New", "Tech"+n, 0, false, byType[ninjaone.Technician][i%3:i%3+1])
		org := int32(i*5 + 1)
		user("new.user"+n+"@customer"+strconv.Itoa(int(org))+".example", ninjaone.EndUser, "New", "User"+n, org, i%2 == 0, byType[ninjaone.EndUser][i%3:i%3+1])
	}
	return b.String()
}

// propCell runs commands against one sandbox.
type propCell struct {
	t      *testing.T
	opts   sandbox.Options // the sandbox's, for the checks
	srv    *sandbox.Server
	url    string
	dir    string
	retry  ninjaone.RetryPolicy
	target *recorder // the redirects' destination
}

// recorder counts what it is asked; a redirect must never reach it.
type recorder struct {
	srv *httptest.Server
	n   atomic.Int64
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.n.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func startCell(t *testing.T, tn propTenant, m propMode) *propCell {
	t.Helper()
	opts := sandbox.Options{Seed: tn.seed}
	if m.opts != nil {
		m.opts(&opts, tn.seed)
	}
	c := &propCell{t: t, dir: t.TempDir(), retry: ninjaone.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxElapsed: m.budget}}
	if m.redirect != nil {
		c.target = newRecorder(t)
		r := *m.redirect
		r.Location = c.target.srv.URL
		opts.Redirect = &r
	}
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if m.api {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v2/") {
				r.URL.Path = "/api" + r.URL.Path
			} else if !strings.HasPrefix(r.URL.Path, "/ws/") && !strings.HasPrefix(r.URL.Path, "/_sandbox/") {
				http.NotFound(w, r)
				return
			}
			srv.ServeHTTP(w, r)
		})
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("closing the sandbox: %v", err)
		}
	})
	c.srv, c.url, c.opts = srv, ts.URL, opts
	return c
}

type cmdResult struct {
	code           int
	stdout, stderr string
}

// parseMu serializes the parsing of the commands run in process:
// urfave/cli v2 applies its global help flag (cli.HelpFlag) to every
// command it parses, so two parses at once race on it. A command's own
// code starts once its flags are parsed, and asks for its settings through
// env.getenv before it connects: from there on it runs in parallel with
// the others.
var parseMu sync.Mutex

func (c *propCell) ninjaops(args ...string) cmdResult {
	c.t.Helper()
	vars := map[string]string{"NINJAONE_BASE_URL": c.url, "NINJAONE_CLIENT_ID": "sandbox", "NINJAONE_CLIENT_SECRET": "sandbox"}
	parseMu.Lock()
	var parsed sync.Once
	done := func() { parsed.Do(parseMu.Unlock) }
	defer done()
	getenv := func(k string) string {
		done()
		return vars[k]
	}
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv, retry: c.retry}
	full := append([]string{"ninjaops"}, args...)
	for i, a := range full {
		full[i] = strings.ReplaceAll(a, "$DIR", c.dir)
	}
	return cmdResult{run(context.Background(), e, full), out.String(), errb.String()}
}

// writes counts the write requests the sandbox was sent since the last
// reset, token calls aside.
func (c *propCell) writes() int64 {
	var n int64
	for k, v := range c.srv.Stats().Requests {
		if !strings.HasPrefix(k, "GET ") && k != "POST /ws/oauth/token" {
			n += v
		}
	}
	return n
}

// view is what a run of the read commands gives for one tenant.
type view struct {
	plan   []byte // plan -o json
	export string // export, the host taken out
	sync   c1zContents
	// after is the tenant after apply; writes the write requests apply
	// sent.
	after  normTenant
	writes int64
}

// read runs plan -o json, export and baton sync, each required to succeed.
func (c *propCell) read(file string, sync bool) view {
	c.t.Helper()
	var v view
	r := c.ninjaops("plan", "-f", file, "-o", "json")
	if r.code != exitOK {
		c.t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	v.plan = []byte(r.stdout)
	r = c.ninjaops("export", "--no-timestamp")
	if r.code != exitOK {
		c.t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	v.export = strings.ReplaceAll(r.stdout, strings.TrimPrefix(c.url, "http://"), "HOST")
	if !sync {
		return v
	}
	file = filepath.Join(c.dir, "sync.c1z")
	r = c.ninjaops("baton", "sync", "--file", file)
	if r.code != exitOK {
		c.t.Fatalf("baton sync: exit %d\n%s", r.code, r.stderr)
	}
	v.sync = readSyncFile(c.t, file)
	return v
}

// applyConverges applies file, then wants a plan without changes.
func (c *propCell) applyConverges(file string, v *view) {
	c.t.Helper()
	c.srv.ResetStats()
	r := c.ninjaops("apply", "-f", file, "--auto-approve")
	if r.code != exitOK || !strings.Contains(r.stdout+r.stderr, "Apply complete!") {
		c.t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	v.writes = c.writes()
	// "No changes." (or, with unmanaged users reported, "No changes to
	// apply."), never a count of changes.
	r = c.ninjaops("plan", "-f", file)
	if r.code != exitOK || !strings.Contains(r.stdout, "No changes") || strings.Contains(r.stdout, "Plan:") {
		c.t.Fatalf("apply did not converge: the next plan: exit %d\n%s", r.code, r.stdout)
	}
	v.after = normalize(c.t, c.srv.Tenant())
}

// refusedAll wants every command refused with want in its error, nothing
// printed that looks like a result, and no file written.
func (c *propCell) refusedAll(file, want string, cmds map[string][]string) {
	c.t.Helper()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := c.ninjaops(cmds[n]...)
		if r.code != exitError || !strings.Contains(r.stderr, want) {
			c.t.Errorf("%s: exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", n, r.code, want, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "Plan:") || strings.Contains(r.stdout, "users:") || strings.Contains(r.stderr, "Wrote ") {
			c.t.Errorf("%s printed a result from a read it refused:\n%s\n%s", n, r.stdout, r.stderr)
		}
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range entries {
		c.t.Errorf("%s was written from a refused read", e.Name())
	}
}

func allCommands(file string) map[string][]string {
	return map[string][]string{
		"plan":       {"plan", "-f", file, "-o", "json", "--out", "$DIR/plan.json"},
		"apply":      {"apply", "-f", file, "--auto-approve"},
		"export":     {"export", "-o", "$DIR/export.yaml"},
		"baton sync": {"baton", "sync", "--file", "$DIR/sync.c1z"},
	}
}

// propMatrix collects the outcome of every cell for the log.
type propMatrix struct {
	mu    sync.Mutex
	cells map[[2]string]string
}

// set records what a cell ended in, unless t failed: then the cell says
// so, whatever its checks got as far as.
func (m *propMatrix) set(t *testing.T, mode, tenant, what string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.Failed() {
		what = "FAILED (see the test's errors)"
	}
	m.cells[[2]string{mode, tenant}] = what
}

func (m *propMatrix) String(modes []propMode, tenants []propTenant) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("| mode |")
	for _, tn := range tenants {
		b.WriteString(" " + tn.name + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(tenants)) + "\n")
	for _, md := range modes {
		b.WriteString("| " + md.name + " |")
		for _, tn := range tenants {
			what, ok := m.cells[[2]string{md.name, tn.name}]
			if !ok {
				what = "FAILED (see the test's errors)"
			}
			b.WriteString(" " + what + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestReadProperty(t *testing.T) {
	modes := propModes()
	tenants := propTenants(t)
	matrix := &propMatrix{cells: map[[2]string]string{}}
	t.Cleanup(func() { t.Logf("mode × tenant → outcome:\n%s", matrix.String(modes, tenants)) })
	for _, tn := range tenants {
		t.Run(tn.name, func(t *testing.T) {
			t.Parallel()
			// The baseline: the spec shape, read, applied and read again.
			base := startCell(t, tn, modes[0])
			want := base.read(tn.file, true)
			before := normalize(t, base.srv.Tenant())
			base.applyConverges(tn.file, &want)
			var basePlan plan.Plan
			if err := json.Unmarshal(want.plan, &basePlan); err != nil {
				t.Fatal(err)
			}
			if len(basePlan.Changes) == 0 || want.writes == 0 {
				t.Fatalf("the baseline plans nothing: the property would hold vacuously")
			}
			matrix.set(t, modes[0].name, tn.name, fmt.Sprintf("%d changes, converged (%d writes)", len(basePlan.Changes), want.writes))

			for _, m := range modes[1:] {
				t.Run(m.name, func(t *testing.T) {
					t.Parallel()
					c := startCell(t, tn, m)
					initial := c.srv.Tenant()
					switch m.out {
					case neutral:
						got := c.read(tn.file, !m.noSync)
						c.applyConverges(tn.file, &got)
						if !bytes.Equal(want.plan, got.plan) {
							t.Errorf("plan -o json differs from the spec shape's (-spec +%s):\n%s", m.name, cmp.Diff(string(want.plan), string(got.plan)))
						}
						if d := cmp.Diff(want.export, got.export); d != "" {
							t.Errorf("export differs from the spec shape's (-spec +got):\n%s", d)
						}
						if d := cmp.Diff(want.sync, got.sync); d != "" && !m.noSync {
							t.Errorf("baton sync differs from the spec shape's (-spec +got):\n%s", d)
						}
						if d := cmp.Diff(want.after, got.after); d != "" {
							t.Errorf("apply left another tenant than the spec shape's apply (-spec +got):\n%s", d)
						}
						if !m.faults && got.writes != want.writes {
							t.Errorf("apply sent %d writes, %d in the spec shape", got.writes, want.writes)
						}
						what := "plan, export, sync identical; converged"
						if m.noSync {
							what = "plan, export identical; converged"
						}
						if m.faults {
							what += fmt.Sprintf(" (%d writes, retries included)", got.writes)
						}
						matrix.set(t, m.name, tn.name, what)

					case refused:
						c.checkDetectable(initial)
						c.srv.ResetStats()
						c.refusedAll(tn.file, m.want, allCommands(tn.file))
						if n := c.writes(); n != 0 {
							t.Errorf("%d writes sent: %v", n, c.srv.Stats().Requests)
						}
						if d := cmp.Diff(initial, c.srv.Tenant()); d != "" {
							t.Errorf("the tenant changed (-before +after):\n%s", d)
						}
						if c.target != nil {
							if n := c.target.n.Load(); n != 0 {
								t.Errorf("the redirect was followed: %d requests reached its target", n)
							}
						}
						matrix.set(t, m.name, tn.name, "refused by all 4, 0 writes")

					case unknownRoles:
						what := c.unknownRoles(tn, basePlan, before, want.after, initial)
						matrix.set(t, m.name, tn.name, what)

					case noWrite, writesRefused:
						got := c.read(tn.file, !m.noSync)
						if !bytes.Equal(want.plan, got.plan) {
							t.Errorf("plan -o json differs from the spec shape's:\n%s", cmp.Diff(string(want.plan), string(got.plan)))
						}
						if d := cmp.Diff(want.export, got.export); d != "" {
							t.Errorf("export differs from the spec shape's (-spec +got):\n%s", d)
						}
						if d := cmp.Diff(want.sync, got.sync); d != "" && !m.noSync {
							t.Errorf("baton sync differs from the spec shape's (-spec +got):\n%s", d)
						}
						c.srv.ResetStats()
						r := c.ninjaops("apply", "-f", tn.file, "--auto-approve")
						if r.code != exitError || !strings.Contains(r.stderr+r.stdout, m.want) {
							t.Errorf("apply: exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", r.code, m.want, r.stdout, r.stderr)
						}
						if d := cmp.Diff(initial, c.srv.Tenant()); d != "" {
							t.Errorf("the tenant changed (-before +after):\n%s", d)
						}
						n := c.writes()
						if m.out == noWrite {
							if n != 0 {
								t.Errorf("%d writes sent: %v", n, c.srv.Stats().Requests)
							}
							matrix.set(t, m.name, tn.name, "plan, export, sync identical; apply refused, 0 writes")
						} else {
							// The first refusal stops the run: only the
							// writes already in flight (apply's default
							// parallelism, 4) may follow it.
							if n > 4 {
								t.Errorf("%d writes sent after NinjaOne refused this client's writes; want at most the 4 in flight", n)
							}
							if !strings.Contains(r.stdout, "Apply stopped: NinjaOne refuses this client's writes") {
								t.Errorf("apply does not say why it stopped:\n%s", r.stdout)
							}
							matrix.set(t, m.name, tn.name, fmt.Sprintf("plan, export identical; apply refused by NinjaOne: %d writes sent, 0 made", n))
						}
					}
				})
			}
		})
	}
}

// checkDetectable fails a truncating mode that leaves out no role member
// while /v2/users agrees: such a read is indistinguishable from a smaller
// tenant, and the mode would test nothing.
func (c *propCell) checkDetectable(tn *sandbox.Tenant) {
	t := c.t
	t.Helper()
	tr := c.opts.Truncate
	if tr.Technicians == 0 && tr.EndUsers == 0 {
		return
	}
	hidden := c.srv.HiddenUsers()
	if len(hidden) == 0 {
		t.Fatalf("the truncation hides nobody")
	}
	if tr.Users != sandbox.TruncateUsersSame {
		return
	}
	for _, r := range tn.Roles {
		for _, id := range hidden {
			if slices.Contains(r.Members, id) {
				return
			}
		}
	}
	t.Fatalf("users %v are hidden from every list and hold no role: no client can tell; choose another fraction", hidden)
}

// unknownRoles checks a mode whose roles are listed without members: plan
// warns about each one and plans the spec shape's changes without their
// memberships, apply converges without touching them, and baton sync is
// refused, naming them, with nothing written.
func (c *propCell) unknownRoles(tn propTenant, basePlan plan.Plan, before, baseAfter normTenant, initial *sandbox.Tenant) string {
	t := c.t
	t.Helper()
	ids := map[int32]bool{}
	var names []string
	for _, r := range initial.Roles {
		if c.opts.RolesWithoutMembersIDs == nil || slices.Contains(c.opts.RolesWithoutMembersIDs, r.ID) {
			ids[r.ID] = true
			names = append(names, r.Name)
		}
	}
	if len(ids) == 0 {
		t.Fatal("no role is listed without members")
	}

	r := c.ninjaops("plan", "-f", tn.file, "-o", "json")
	if r.code != exitOK {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	var wantChanges []plan.Change
	skipped := 0
	for _, ch := range basePlan.Changes {
		if ch.Kind == plan.MembershipKind && ids[membershipRole(ch)] {
			skipped++
			continue
		}
		wantChanges = append(wantChanges, ch)
	}
	if d := cmp.Diff(wantChanges, p.Changes); d != "" {
		t.Errorf("changes (-spec shape's without the unknown roles' memberships +got):\n%s", d)
	}
	for _, n := range names {
		w := fmt.Sprintf("role[%q]: NinjaOne listed it without its members", n)
		if !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
			t.Errorf("no warning %q in %q", w, p.Warnings)
		}
	}

	sync := c.ninjaops("baton", "sync", "--file", "$DIR/sync.c1z")
	if sync.code != exitError || !strings.Contains(sync.stderr, "refusing to sync a partial view") {
		t.Errorf("baton sync: exit %d, want it refused\n%s", sync.code, sync.stderr)
	}
	for _, n := range names[:min(len(names), 10)] {
		if !strings.Contains(sync.stderr, strconv.Quote(n)) {
			t.Errorf("baton sync does not name role %q:\n%s", n, sync.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "sync.c1z")); !os.IsNotExist(err) {
		t.Errorf("baton sync wrote a file from a partial read (%v)", err)
	}

	var got view
	c.applyConverges(tn.file, &got)
	// The spec shape's outcome, except that the unknown roles keep the
	// members they had (less the users deleted).
	wantAfter := baseAfter.clone()
	for id := range ids {
		var kept []string
		for _, email := range before.Roles[id] {
			if _, ok := wantAfter.Users[email]; ok {
				kept = append(kept, email)
			}
		}
		wantAfter.Roles[id] = kept
	}
	if d := cmp.Diff(wantAfter, got.after); d != "" {
		t.Errorf("apply left (-want +got):\n%s", d)
	}
	return fmt.Sprintf("plan warned (%d roles), %d membership changes left out; apply converged; baton sync refused, nothing written", len(ids), skipped)
}

func membershipRole(ch plan.Change) int32 {
	if ch.After != nil {
		return ch.After.RoleID
	}
	if ch.Before != nil {
		return ch.Before.RoleID
	}
	return 0
}

// normTenant is a tenant as its users and roles look, whatever ids the
// sandbox gave users it created: users by lower-cased email, role members
// as sorted emails.
type normTenant struct {
	Users map[string]sandbox.User
	Roles map[int32][]string
}

func (n normTenant) clone() normTenant {
	c := normTenant{Users: map[string]sandbox.User{}, Roles: map[int32][]string{}}
	for k, v := range n.Users {
		c.Users[k] = v
	}
	for k, v := range n.Roles {
		c.Roles[k] = slices.Clone(v)
	}
	return c
}

func normalize(t *testing.T, tn *sandbox.Tenant) normTenant {
	t.Helper()
	n := normTenant{Users: map[string]sandbox.User{}, Roles: map[int32][]string{}}
	email := map[int32]string{}
	for _, u := range tn.Users {
		k := strings.ToLower(u.Email)
		if _, dup := n.Users[k]; dup {
			t.Errorf("two users share the email %s: a user was created twice", u.Email)
		}
		email[u.ID] = k
		u.ID = 0
		n.Users[k] = u
	}
	for _, r := range tn.Roles {
		var members []string
		for _, id := range r.Members {
			members = append(members, email[id])
		}
		sort.Strings(members)
		n.Roles[r.ID] = members
	}
	return n
}

// c1zContents is what a sync wrote, as protos sorted by id, to compare
// two syncs with.
type c1zContents struct {
	Resources, Entitlements, Grants []string
}

// readSyncFile reads back the latest sync in path: each resource,
// entitlement and grant as the text of its proto, sorted.
func readSyncFile(t *testing.T, path string) c1zContents {
	t.Helper()
	ctx := context.Background()
	store, err := dotc1z.NewStore(ctx, path, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(t.TempDir()))
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer store.Close(ctx)
	got := c1zContents{
		Resources: pageTexts(t, func(tok string) ([]*v2.Resource, string, error) {
			resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{PageToken: tok}.Build())
			return resp.GetList(), resp.GetNextPageToken(), err
		}),
		Entitlements: pageTexts(t, func(tok string) ([]*v2.Entitlement, string, error) {
			resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{PageToken: tok}.Build())
			return resp.GetList(), resp.GetNextPageToken(), err
		}),
		Grants: pageTexts(t, func(tok string) ([]*v2.Grant, string, error) {
			resp, err := store.ListGrants(ctx, v2.GrantsServiceListGrantsRequest_builder{PageToken: tok}.Build())
			return resp.GetList(), resp.GetNextPageToken(), err
		}),
	}
	if len(got.Resources) == 0 || len(got.Grants) == 0 {
		t.Fatalf("%s holds %d resources and %d grants", path, len(got.Resources), len(got.Grants))
	}
	return got
}

// pageTexts reads every page of a c1z list, each item as the text of its
// proto (prototext, its spacing, which varies on purpose, evened out),
// sorted.
func pageTexts[T proto.Message](t *testing.T, list func(tok string) ([]T, string, error)) []string {
	t.Helper()
	var out []string
	for tok := ""; ; {
		items, next, err := list(tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			b, err := prototext.Marshal(it)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, strings.Join(strings.Fields(string(b)), " "))
		}
		if tok = next; tok == "" {
			break
		}
	}
	sort.Strings(out)
	return out
}
