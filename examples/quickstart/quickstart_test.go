package quickstart_test

import (
	"testing"

	"github.com/ninjaops/ninjaops/examples/quickstart"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// TestSeed checks the seed is valid and holds what the quickstart and its
// ninjaops.yaml rely on.
func TestSeed(t *testing.T) {
	tn, err := sandbox.ParseTenant(quickstart.SeedName, quickstart.SandboxSeed)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]sandbox.User{}
	for _, u := range tn.Users {
		users[u.Email] = u
	}
	roles := map[string]sandbox.Role{}
	for _, r := range tn.Roles {
		roles[r.Name] = r
	}
	has := func(role string, id int32) bool {
		for _, m := range roles[role].Members {
			if m == id {
				return true
			}
		}
		return false
	}
	alice, bob := users["alice@example.com"], users["bob@customer.example"]
	if alice.FirstName != "Alice" || alice.LastName != "Smith" || alice.UserType != ninjaone.Technician || !has("Helpdesk", alice.ID) {
		t.Errorf("Alice Smith, technician in Helpdesk: %+v", alice)
	}
	if bob.FirstName != "Bob" || bob.LastName != "Jones" || bob.UserType != ninjaone.EndUser || bob.OrganizationID != 2 {
		t.Errorf("Bob Jones, end user of Customer Inc: %+v", bob)
	}
	if tn.Organizations[1].Name != "Customer Inc" {
		t.Errorf("organization 2 is %q", tn.Organizations[1].Name)
	}
	var admins, scim int
	for _, u := range tn.Users {
		if u.Administrator {
			admins++
		}
		if u.ScimUser && u.UserType == ninjaone.Technician {
			scim++
		}
	}
	if admins != 1 || scim != 1 {
		t.Errorf("%d administrators and %d SCIM technicians, want 1 and 1", admins, scim)
	}
	for _, name := range []string{"Helpdesk", "Tier 2", "Read Only", "Portal Users", "Approvers"} {
		if _, ok := roles[name]; !ok {
			t.Errorf("no role %q", name)
		}
	}
}
