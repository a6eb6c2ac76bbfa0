package msp_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// planMSP plans the MSP example, after edit (nil: as written), against its
// own seed, through the real client and a sandbox.
func planMSP(t *testing.T, edit func(*plan.Desired)) (*plan.Desired, *ninjaone.Snapshot, *plan.Plan) {
	t.Helper()
	seed, err := sandbox.LoadTenant("sandbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, url := sandboxtest.New(t, sandbox.Options{Seed: seed, ClientID: "sandbox", ClientSecret: "sandbox"})
	client, err := ninjaone.New(ninjaone.Config{BaseURL: url, ClientID: "sandbox", ClientSecret: "sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("ninjaops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := plan.Load("examples/msp/ninjaops.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(d)
	}
	live, err := client.Snapshot(context.Background(), ninjaone.SnapshotOptions{Organizations: plan.NeedsOrganizations(d)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	return d, live, p
}

// The MSP example plans against its own seed to the changes its comments
// promise, and nothing else.
func TestMSPExample(t *testing.T) {
	_, _, p := planMSP(t, nil)

	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Address)
	}
	want := []string{
		`create user["frank@northwind.example"]`,
		`create user["hygienist@contoso-dental.example"]`,
		`update user["partner@fabrikam-legal.example"]`,
		`delete user["eve@northwind.example"]`,
		`add role["Helpdesk"].member["frank@northwind.example"]`,
		`add role["Portal Users"].member["hygienist@contoso-dental.example"]`,
		`add role["Tier 2"].member["ana@northwind.example"]`,
		`remove role["Approvers"].member["paralegal@fabrikam-legal.example"]`,
		`remove role["Security Admins"].member["dev@northwind.example"]`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// "It reports one unmanaged user, a temp at Contoso Dental": the
	// protected accounts are listed, and Tailspin Toys is out of scope.
	if diff := cmp.Diff([]string{"temp@contoso-dental.example"}, p.Unmanaged); diff != "" {
		t.Errorf("unmanaged (-want +got):\n%s", diff)
	}
	if len(p.Warnings) > 0 {
		t.Errorf("warnings, want none (the guards must pass):\n%s", strings.Join(p.Warnings, "\n"))
	}
	for _, c := range p.Changes {
		if strings.Contains(c.Address, "tailspin") || strings.Contains(c.Address, "remotevendor") || strings.Contains(c.Address, "root@") {
			t.Errorf("a change to a user outside the scope or protected: %s", c.Address)
		}
	}
}

// "The break-glass account and the vendor's shared login are protected
// too, and listed below as they are, so that no plan changes, deletes or
// reports them": every live user the file's protected globs match is
// listed, and named by no change, warning or unmanaged entry.
func TestMSPProtectedAccountsAreListedAsTheyAre(t *testing.T) {
	d, live, p := planMSP(t, nil)
	var globs []plan.Glob
	for _, pat := range d.Settings.Protected {
		g, err := plan.CompileGlob(pat)
		if err != nil {
			t.Fatal(err)
		}
		globs = append(globs, g)
	}
	listed := map[string]bool{}
	for _, u := range d.Users {
		listed[strings.ToLower(u.Email)] = true
	}
	var protected []string
	for _, u := range slices.Concat(live.Technicians, live.EndUsers) {
		for _, g := range globs {
			if g.Match(u.Email) {
				protected = append(protected, u.Email)
				break
			}
		}
	}
	// The System Administrator, the break-glass account and the vendor.
	if diff := cmp.Diff([]string{"root@northwind.example", "break-glass-1@northwind.example", "support@remotevendor.example"}, protected); diff != "" {
		t.Errorf("protected live users (-want +got):\n%s", diff)
	}
	for _, email := range protected {
		if !listed[email] {
			t.Errorf("%s is protected and not listed: plan reports it as unmanaged", email)
		}
		for _, c := range p.Changes {
			if strings.Contains(c.Address, `"`+email+`"`) {
				t.Errorf("a change to protected %s: %s %s", email, c.Action, c.Address)
			}
		}
		for _, w := range p.Warnings {
			if strings.Contains(w, email) {
				t.Errorf("a warning about protected %s (its lines differ from NinjaOne): %s", email, w)
			}
		}
		if slices.Contains(p.Unmanaged, email) {
			t.Errorf("protected %s is reported as unmanaged", email)
		}
	}
}

// What the comments say of protected accounts the file does not list:
// "protecting an account keeps it from being changed, not from being
// noticed" (report: they are unmanaged drift), and "delete" removes only
// the unlisted ones that are not protected.
func TestMSPProtectedAccountsNotListed(t *testing.T) {
	unlist := func(d *plan.Desired) {
		d.Users = slices.DeleteFunc(d.Users, func(u plan.UserSpec) bool {
			return u.Email == "break-glass-1@northwind.example" || u.Email == "support@remotevendor.example"
		})
	}
	_, _, p := planMSP(t, unlist)
	if diff := cmp.Diff([]string{"break-glass-1@northwind.example", "support@remotevendor.example", "temp@contoso-dental.example"}, p.Unmanaged); diff != "" {
		t.Errorf("report: unmanaged (-want +got):\n%s", diff)
	}

	_, _, p = planMSP(t, func(d *plan.Desired) {
		unlist(d)
		d.Settings.UnmanagedUsers = plan.UnmanagedDelete
	})
	var deleted []string
	for _, c := range p.Changes {
		if c.Action == plan.Delete {
			deleted = append(deleted, c.Address)
		}
	}
	if diff := cmp.Diff([]string{`user["eve@northwind.example"]`, `user["temp@contoso-dental.example"]`}, deleted); diff != "" {
		t.Errorf("delete: deletions (-want +got):\n%s", diff)
	}
	for _, email := range []string{"break-glass-1@northwind.example", "support@remotevendor.example"} {
		if !slices.ContainsFunc(p.Warnings, func(w string) bool {
			return strings.Contains(w, email) && strings.Contains(w, "skipped: delete")
		}) {
			t.Errorf("delete: no warning that protected %s is skipped:\n%s", email, strings.Join(p.Warnings, "\n"))
		}
	}
}
