package plan

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// benchSnapshot is a tenant of the size the plan benchmarks use: n users,
// 500 roles, three memberships per user, an organization per 100 users.
func benchSnapshot(n int) *ninjaone.Snapshot {
	return tenantSnapshot(sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1))
}

// roundTrip exports live, loads the export as plan would, and diffs it
// against the same live state.
func roundTrip(t testing.TB, live *ninjaone.Snapshot, opts ExportOptions) (*Plan, *Desired) {
	t.Helper()
	data, err := Export(live, opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load("ninjaops.yaml", data)
	if err != nil {
		t.Fatalf("the export does not load: %v", err)
	}
	p, err := Diff(d, live)
	if err != nil {
		t.Fatalf("the export does not diff: %v", err)
	}
	return p, d
}

// A fresh export planned against the tenant it came from has no changes.
// Users the file cannot express are reported as unmanaged, and nothing
// else is said about the tenant.
func TestExportRoundTrip(t *testing.T) {
	quick, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	dupWarning := func(a, b string) string {
		return a + " and " + b + " in NinjaOne share the email "
	}
	tests := []struct {
		name      string
		live      *ninjaone.Snapshot
		opts      ExportOptions
		users     int
		unmanaged []string
		warnings  []string // prefixes, in order
	}{
		{name: "quickstart", live: tenantSnapshot(quick), users: 16},
		{name: "awkward", live: awkwardSnapshot(t), users: 13,
			unmanaged: []string{"bad email <bad@example.com>", "nameless@example.com", "same@example.com", "shared@acme.example"},
			warnings: []string{
				dupWarning(`end_user id 108 ("Shared@Acme.Example")`, `technician id 107 ("shared@acme.example")`),
				dupWarning(`technician id 8 ("Same@example.com")`, `technician id 9 ("same@EXAMPLE.com")`),
			}},
		{name: "awkward technicians", live: awkwardSnapshot(t), opts: ExportOptions{UserTypes: []UserType{TechnicianUser}}, users: 7,
			unmanaged: []string{"bad email <bad@example.com>", "nameless@example.com", "same@example.com", "shared@acme.example"},
			warnings: []string{
				dupWarning(`end_user id 108 ("Shared@Acme.Example")`, `technician id 107 ("shared@acme.example")`),
				dupWarning(`technician id 8 ("Same@example.com")`, `technician id 9 ("same@EXAMPLE.com")`),
			}},
		{name: "awkward end users of two organizations", live: awkwardSnapshot(t),
			opts: ExportOptions{UserTypes: []UserType{EndUserUser}, Organizations: []string{"12345", "yes"}}, users: 2,
			warnings: []string{
				dupWarning(`end_user id 108 ("Shared@Acme.Example")`, `technician id 107 ("shared@acme.example")`),
				dupWarning(`technician id 8 ("Same@example.com")`, `technician id 9 ("same@EXAMPLE.com")`),
			}},
		{name: "awkward domain", live: awkwardSnapshot(t), opts: ExportOptions{EmailDomains: []string{"Twins.Example"}}, users: 2,
			warnings: []string{
				dupWarning(`end_user id 108 ("Shared@Acme.Example")`, `technician id 107 ("shared@acme.example")`),
				dupWarning(`technician id 8 ("Same@example.com")`, `technician id 9 ("same@EXAMPLE.com")`),
			}},
		{name: "1,000 users, 500 roles", live: benchSnapshot(1000), users: 1000},
		{name: "10,000 users, 500 roles", live: benchSnapshot(10_000), users: 10_000},
		{name: "empty tenant", live: &ninjaone.Snapshot{Organizations: []ninjaone.Organization{}}, users: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, d := roundTrip(t, tt.live, tt.opts)
			if len(p.Changes) != 0 {
				t.Errorf("%d changes, want none; the first: %+v", len(p.Changes), p.Changes[0])
			}
			if len(d.Users) != tt.users {
				t.Errorf("%d users in the export, want %d", len(d.Users), tt.users)
			}
			if diff := cmp.Diff(tt.unmanaged, p.Unmanaged, cmpEmptyNil); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
			if len(p.Warnings) != len(tt.warnings) {
				t.Errorf("warnings:\n%s\nwant %d", strings.Join(p.Warnings, "\n"), len(tt.warnings))
			} else {
				for i, w := range tt.warnings {
					if !strings.HasPrefix(p.Warnings[i], w) {
						t.Errorf("warning %d is %q, want it to begin with %q", i, p.Warnings[i], w)
					}
				}
			}
		})
	}
}

var cmpEmptyNil = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// The export is authoritative: once it is the file, a role granted in the
// console to a user exported with roles: [] is planned away, and a new
// console user is reported.
func TestExportIsAuthoritative(t *testing.T) {
	live := awkwardSnapshot(t)
	data, err := Export(live, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load("ninjaops.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	// Console changes after the export.
	for i := range live.Roles {
		if live.Roles[i].Name == "Nobody" {
			live.Roles[i].Members = append(live.Roles[i].Members, ninjaone.RoleMember{ID: 7, Email: "norole@example.com"})
		}
	}
	live.Technicians = append(live.Technicians, ninjaone.User{ID: 500, Email: "new@example.com", FirstName: "New", LastName: "Hire", UserType: ninjaone.Technician})
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Address)
	}
	if diff := cmp.Diff([]string{`remove role["Nobody"].member["norole@example.com"]`}, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if !slices.Contains(p.Unmanaged, "new@example.com") {
		t.Errorf("the new console user is not reported: %v", p.Unmanaged)
	}
}

func TestExportRoundTrip100k(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("100,000 users: seconds without -race, minutes with it; scripts/bench-export.sh runs this size too")
	}
	live := benchSnapshot(100_000)
	start := time.Now()
	data, err := Export(live, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Since(start)
	d, err := Load("ninjaops.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	load := time.Since(start) - exp
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("export %v (%d MB), load %v, diff %v", exp, len(data)>>20, load, time.Since(start)-exp-load)
	if len(p.Changes) != 0 {
		t.Errorf("%d changes", len(p.Changes))
	}
}
