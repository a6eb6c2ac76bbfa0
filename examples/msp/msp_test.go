package msp_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// The MSP example plans against its own seed, through the real client and
// a sandbox, to the changes its comments promise, and nothing else.
func TestMSPExample(t *testing.T) {
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
	live, err := client.Snapshot(context.Background(), ninjaone.SnapshotOptions{Organizations: plan.NeedsOrganizations(d)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}

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
	// In scope and not listed: reported. Tailspin Toys is out of scope.
	if diff := cmp.Diff([]string{"break-glass-1@northwind.example", "support@remotevendor.example", "temp@contoso-dental.example"}, p.Unmanaged); diff != "" {
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
