package sandbox

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

const seedYAML = `# a small tenant
organizations:
  - {id: 1, name: Acme}
  - name: Customer Inc
roles:
  - id: 5
    name: Helpdesk
    type: TECHNICIAN
    members: [1, 2]
  - name: Portal Users
    type: END_USER
    description: can use the portal
    members: [10]
users:
  - {id: 1, firstName: Sys, lastName: Admin, email: admin@example.com, userType: TECHNICIAN, administrator: true}
  - {id: 2, firstName: Alice, lastName: Smith, email: alice@example.com, userType: TECHNICIAN, invitationStatus: REGISTERED}
  - {id: 10, firstName: Bob, lastName: Jones, email: bob@customer.example, userType: END_USER, organizationId: 2, fullPortalAccess: true}
  - {firstName: Carol, lastName: Off, email: carol@customer.example, userType: END_USER, organizationId: 2, enabled: false}
`

func TestParseTenant(t *testing.T) {
	want := &Tenant{
		Organizations: []Organization{{ID: 1, Name: "Acme"}, {ID: 2, Name: "Customer Inc"}},
		Roles: []Role{
			{ID: 5, Name: "Helpdesk", Type: ninjaone.Technician, Members: []int32{1, 2}},
			{ID: 6, Name: "Portal Users", Type: ninjaone.EndUser, Description: "can use the portal", Members: []int32{10}},
		},
		Users: []User{
			{ID: 1, FirstName: "Sys", LastName: "Admin", Email: "admin@example.com", UserType: ninjaone.Technician, Administrator: true, Enabled: true},
			{ID: 2, FirstName: "Alice", LastName: "Smith", Email: "alice@example.com", UserType: ninjaone.Technician, Enabled: true, InvitationStatus: "REGISTERED"},
			{ID: 10, FirstName: "Bob", LastName: "Jones", Email: "bob@customer.example", UserType: ninjaone.EndUser, OrganizationID: 2, Enabled: true, FullPortalAccess: true},
			{ID: 11, FirstName: "Carol", LastName: "Off", Email: "carol@customer.example", UserType: ninjaone.EndUser, OrganizationID: 2},
		},
	}
	got, err := ParseTenant("seed.yaml", []byte(seedYAML))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("YAML seed (-want +got):\n%s", d)
	}

	// The state format is the same tenant as JSON, and reads back equal.
	st := newStore(got)
	var b strings.Builder
	if err := writeTenant(&b, st, nil); err != nil {
		t.Fatal(err)
	}
	again, err := ParseTenant("state.json", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if d := cmp.Diff(want, again); d != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", d)
	}

	empty, err := ParseTenant("empty.yaml", nil)
	if err != nil || len(empty.Users)+len(empty.Roles)+len(empty.Organizations) != 0 {
		t.Errorf("empty seed: %+v, %v", empty, err)
	}
}

func TestParseTenantErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, doc string
		want            []string // each a line of the error
	}{
		{"yaml syntax", "s.yaml", "users: [\n  {id: 1,\n", []string{"s.yaml:2: did not find expected node content"}},
		{"unknown field", "s.yaml", "users:\n  - id: 1\n    usertype: TECHNICIAN\n", []string{
			"s.yaml:3: field usertype not found in type User",
		}},
		{"bad user type", "s.yaml", "users:\n  - {id: 1, email: a@x, userType: ADMIN}\n", []string{
			`s.yaml:2:35: user 1 (a@x): userType "ADMIN" must be TECHNICIAN or END_USER`,
		}},
		{"missing user type", "s.yaml", "users:\n  - {id: 1, email: a@x}\n", []string{
			"s.yaml:2:5: user 1 (a@x): userType is missing (TECHNICIAN or END_USER)",
		}},
		{"duplicate ids", "s.yaml", "users:\n  - {id: 1, email: a@x, userType: TECHNICIAN}\n  - {id: 1, email: b@x, userType: TECHNICIAN}\n", []string{
			"s.yaml:3:10: user 1 (b@x): duplicate id 1",
		}},
		{"unknown member and wrong type", "s.yaml", `organizations: [{id: 1, name: O}]
users:
  - {id: 1, email: t@x, userType: TECHNICIAN}
  - {id: 2, email: e@x, userType: END_USER, organizationId: 1}
roles:
  - name: Helpdesk
    type: TECHNICIAN
    members: [1, 2, 3, 1]
`, []string{
			`s.yaml:8:18: role "Helpdesk": member 2 is an end user but the role is for technicians`,
			`s.yaml:8:21: role "Helpdesk": member 3 is not a user id`,
			`s.yaml:8:24: role "Helpdesk": member 1 is listed twice`,
		}},
		{"end user organization", "s.yaml", "users:\n  - {id: 1, email: e@x, userType: END_USER, organizationId: 9}\n  - {id: 2, email: f@x, userType: END_USER}\n  - {id: 3, email: t@x, userType: TECHNICIAN, organizationId: 9, fullPortalAccess: true}\n", []string{
			"s.yaml:2:61: user 1 (e@x): unknown organizationId 9",
			"s.yaml:3:5: user 2 (f@x): an end user needs an organizationId",
			"s.yaml:4:63: user 3 (t@x): a technician has no organizationId (only end users belong to an organization)",
			"s.yaml:4:84: user 3 (t@x): fullPortalAccess is for end users only",
		}},
		{"role type", "s.yaml", "roles:\n  - {name: R, type: DEVICE}\n  - {type: TECHNICIAN}\n", []string{
			`s.yaml:2:21: role "R": type "DEVICE" must be TECHNICIAN or END_USER`,
			"s.yaml:3:5: role without a name",
		}},
		{"json syntax", "s.json", "{\"users\": [\n  {\"id\": 1,}\n]}", []string{
			"s.json:2:13: invalid character '}' looking for beginning of object key string",
		}},
		{"json unknown field", "s.json", "{\"users\": [\n  {\"id\": 1, \"nmae\": \"x\"}\n]}", []string{
			`s.json:2:13: unknown field "nmae"`,
		}},
		{"json validation", "s.json", "{\"users\": [\n  {\"id\": 1, \"email\": \"a@x\", \"userType\": \"BOSS\"}\n]}", []string{
			`s.json:2:41: user 1 (a@x): userType "BOSS" must be TECHNICIAN or END_USER`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTenant(tc.file, []byte(tc.doc))
			if err == nil {
				t.Fatal("no error")
			}
			if d := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
		})
	}
}

func TestValidateTenant(t *testing.T) {
	_, err := ValidateTenant(&Tenant{Users: []User{{ID: 1, UserType: "X"}}})
	if err == nil || !strings.Contains(err.Error(), `userType "X"`) {
		t.Errorf("got %v", err)
	}
	got, err := ValidateTenant(&Tenant{Users: []User{{FirstName: "A", UserType: ninjaone.Technician, Enabled: false}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Users[0].ID != 1 || got.Users[0].Enabled {
		t.Errorf("id not assigned or enabled changed: %+v", got.Users[0])
	}
}

func TestGenerate(t *testing.T) {
	a := Generate(1000, 50, 3000, 10, 7)
	b := Generate(1000, 50, 3000, 10, 7)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("not deterministic:\n%s", d)
	}
	if _, err := ValidateTenant(a); err != nil {
		t.Fatalf("generated tenant is invalid: %v", err)
	}
	n := 0
	for _, r := range a.Roles {
		n += len(r.Members)
	}
	if n != 3000 || len(a.Users) != 1000 || len(a.Roles) != 50 || len(a.Organizations) != 10 {
		t.Errorf("got %d users, %d roles, %d memberships, %d organizations", len(a.Users), len(a.Roles), n, len(a.Organizations))
	}
	c := Generate(1000, 50, 3000, 10, 8)
	if cmp.Equal(a, c) {
		t.Error("another seed gave the same tenant")
	}
	// More memberships than pairs: every pair, once.
	d := Generate(10, 2, 1000, 1, 1)
	n = 0
	for _, r := range d.Roles {
		n += len(r.Members)
	}
	if n != 2*1+8*1 {
		t.Errorf("dense tenant has %d memberships, want 10", n)
	}
}
