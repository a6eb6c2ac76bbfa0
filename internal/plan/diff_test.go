package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// The live tenant most cases start from.
//
//	technicians: 10 alice (Helpdesk), 11 root (System Administrator, Read Only),
//	             12 dave (Helpdesk, Tier 2), 13 sam (SCIM), 14 val@vendor.example
//	end users:   20 bob (Customer Inc, Portal Users), 21 erin (Acme)
//	roles:       100 Helpdesk, 101 Tier 2, 102 Read Only (technician),
//	             200 Portal Users, 201 Approvers (end user)
//	organizations: 1 Acme, 2 Customer Inc
func baseSnapshot() *ninjaone.Snapshot {
	return &ninjaone.Snapshot{
		Technicians: []ninjaone.User{
			tech(10, "alice@example.com", "Alice", "Smith", "+1 555 0100"),
			func() ninjaone.User {
				u := tech(11, "root@example.com", "Root", "Admin", "")
				u.Administrator = true
				return u
			}(),
			tech(12, "dave@example.com", "Dave", "Brown", ""),
			func() ninjaone.User {
				u := tech(13, "sam@example.com", "Sam", "Scim", "")
				u.ScimUser = true
				return u
			}(),
			tech(14, "val@vendor.example", "Val", "Vendor", ""),
		},
		EndUsers: []ninjaone.User{
			endUser(20, "bob@customer.example", "Bob", "Jones", 2, false),
			endUser(21, "erin@acme.example", "Erin", "Stone", 1, true),
		},
		Roles: []ninjaone.Role{
			role(100, "Helpdesk", ninjaone.Technician, 10, 12),
			role(101, "Tier 2", ninjaone.Technician, 12),
			role(102, "Read Only", ninjaone.Technician, 11),
			role(200, "Portal Users", ninjaone.EndUser, 20),
			role(201, "Approvers", ninjaone.EndUser),
		},
		Organizations: []ninjaone.Organization{{ID: 1, Name: "Acme"}, {ID: 2, Name: "Customer Inc"}},
	}
}

func tech(id int32, email, first, last, phone string) ninjaone.User {
	return ninjaone.User{ID: id, Email: email, FirstName: first, LastName: last, Phone: phone, UserType: ninjaone.Technician, Enabled: true}
}

func endUser(id int32, email, first, last string, org int32, fpa bool) ninjaone.User {
	return ninjaone.User{ID: id, Email: email, FirstName: first, LastName: last, UserType: ninjaone.EndUser, OrganizationID: org, FullPortalAccess: fpa, Enabled: true}
}

func role(id int32, name string, t ninjaone.UserType, members ...int32) ninjaone.Role {
	r := ninjaone.Role{ID: id, Name: name, Type: t, Members: []ninjaone.RoleMember{}}
	for _, m := range members {
		r.Members = append(r.Members, ninjaone.RoleMember{ID: m})
	}
	return r
}

// at gives a user entry that starts on line the positions the loader would
// record, so error places are checkable.
func at(line int) Positions {
	return MakePositions(map[string]Pos{
		"": {line, 5}, "email": {line, 12}, "type": {line + 1, 11},
		"first_name": {line + 2, 17}, "organization": {line + 3, 19}, "organization_id": {line + 3, 22},
		"roles[0]": {line + 4, 14}, "roles[1]": {line + 4, 24}, "name": {line, 13},
	})
}

func tuser(line int, email, first, last string, roles ...string) UserSpec {
	return UserSpec{Email: email, Type: TechnicianUser, FirstName: first, LastName: last, Roles: roles, At: at(line)}
}

func euser(line int, email, first, last, org string, roles ...string) UserSpec {
	return UserSpec{Email: email, Type: EndUserUser, FirstName: first, LastName: last, Organization: org, Roles: roles, At: at(line)}
}

func desired(mode UnmanagedMode, users ...UserSpec) *Desired {
	// The removal guard is off by default here: small tenants trip it, and
	// it has its own cases.
	return &Desired{Version: 1, Path: "ninjaops.yaml", Settings: Settings{UnmanagedUsers: mode, MaxRemovalPercent: ptr(100.0)}, Users: users}
}

// Expected changes, spelled the way a reviewer reads them.
func add(label, role string, roleID int32, t UserType, email string, uid int32, reason string) Change {
	return Change{
		Address: fmt.Sprintf("role[%q].member[%q]", label, strings.ToLower(email)), Kind: MembershipKind, Action: Add,
		After: &Values{Email: email, Role: role, RoleID: roleID, RoleType: t, UserID: uid}, Reason: reason,
	}
}

func remove(label, role string, roleID int32, t UserType, email string, uid int32, reason string) Change {
	c := add(label, role, roleID, t, email, uid, reason)
	c.Action, c.Before, c.After = Remove, c.After, nil
	return c
}

func tdelete(u ninjaone.User, reason string) Change {
	return Change{Address: fmt.Sprintf("user[%q]", strings.ToLower(u.Email)), Kind: UserKind, Action: Delete,
		Before: &Values{Email: u.Email, ID: u.ID, Type: TechnicianUser, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone}, Reason: reason}
}

type diffCase struct {
	name      string
	desired   *Desired
	live      func(*ninjaone.Snapshot) // edits baseSnapshot; nil leaves it
	want      []Change
	warnings  []string
	unmanaged []string
	errs      []string // exact lines of the Diagnostics error
}

func runDiffCases(t *testing.T, cases []diffCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			live := baseSnapshot()
			if tc.live != nil {
				tc.live(live)
			}
			p, err := Diff(tc.desired, live)
			if tc.errs != nil {
				if err == nil {
					t.Fatalf("Diff succeeded, want errors:\n%s", strings.Join(tc.errs, "\n"))
				}
				ds, ok := err.(Diagnostics)
				if !ok {
					t.Fatalf("error is %T, want Diagnostics: %v", err, err)
				}
				if diff := cmp.Diff(tc.errs, strings.Split(ds.Error(), "\n")); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			want := &Plan{FormatVersion: "1", Changes: tc.want, Warnings: tc.warnings, Unmanaged: tc.unmanaged}
			for _, c := range want.Changes {
				switch c.Action {
				case Create:
					want.Summary.Create++
				case Update:
					want.Summary.Update++
				case Delete:
					want.Summary.Delete++
				case Add:
					want.Summary.Add++
				case Remove:
					want.Summary.Remove++
				}
			}
			if want.Changes == nil {
				want.Changes = []Change{}
			}
			if want.Warnings == nil {
				want.Warnings = []string{}
			}
			if want.Unmanaged == nil {
				want.Unmanaged = []string{}
			}
			switch {
			case len(want.Changes) > 0 && len(want.Unmanaged) > 0:
				want.Drift = DriftBoth
			case len(want.Changes) > 0:
				want.Drift = DriftChanges
			case len(want.Unmanaged) > 0:
				want.Drift = DriftUnmanaged
			default:
				want.Drift = NoDrift
			}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffUsers(t *testing.T) {
	base := baseSnapshot()
	dave := base.Technicians[2]
	runDiffCases(t, []diffCase{
		{
			name:    "no changes when the file matches",
			desired: desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk")),
		},
		{
			name:    "email matched case-insensitively",
			desired: desired(UnmanagedIgnore, tuser(3, "Alice@Example.COM", "Alice", "Smith")),
		},
		{
			name: "create technician with phone and roles; new members carry user id 0",
			desired: desired(UnmanagedIgnore, func() UserSpec {
				u := tuser(3, "Carol@Example.com", "Carol", "White", "Tier 2", "Helpdesk")
				u.Phone = "+1 555 0101"
				return u
			}()),
			want: []Change{
				{Address: `user["carol@example.com"]`, Kind: UserKind, Action: Create, Reason: "declared in ninjaops.yaml",
					After: &Values{Email: "Carol@Example.com", Type: TechnicianUser, FirstName: "Carol", LastName: "White", Phone: "+1 555 0101"}},
				add("Helpdesk", "Helpdesk", 100, TechnicianUser, "Carol@Example.com", 0, "declared in ninjaops.yaml"),
				add("Tier 2", "Tier 2", 101, TechnicianUser, "Carol@Example.com", 0, "declared in ninjaops.yaml"),
			},
		},
		{
			name: "create end user by organization name with invitation",
			desired: desired(UnmanagedIgnore, func() UserSpec {
				u := euser(3, "fay@customer.example", "Fay", "Lee", "Customer Inc", "Portal Users")
				u.SendInvitation = true
				u.FullPortalAccess = ptr(true)
				return u
			}()),
			want: []Change{
				{Address: `user["fay@customer.example"]`, Kind: UserKind, Action: Create, Reason: "declared in ninjaops.yaml",
					After: &Values{Email: "fay@customer.example", Type: EndUserUser, FirstName: "Fay", LastName: "Lee",
						OrganizationID: 2, Organization: "Customer Inc", FullPortalAccess: ptr(true), SendInvitation: true}},
				add("Portal Users", "Portal Users", 200, EndUserUser, "fay@customer.example", 0, "declared in ninjaops.yaml"),
			},
		},
		{
			name: "create end user by organization_id without organizations read",
			desired: desired(UnmanagedIgnore, func() UserSpec {
				u := euser(3, "gus@customer.example", "Gus", "Hill", "")
				u.OrganizationID = 42
				return u
			}()),
			live: func(s *ninjaone.Snapshot) { s.Organizations = nil },
			want: []Change{
				{Address: `user["gus@customer.example"]`, Kind: UserKind, Action: Create, Reason: "declared in ninjaops.yaml",
					After: &Values{Email: "gus@customer.example", Type: EndUserUser, FirstName: "Gus", LastName: "Hill",
						OrganizationID: 42, FullPortalAccess: ptr(false)}},
			},
		},
		{
			name:    "update technician names",
			desired: desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alicia", "Smyth")),
			want: []Change{{Address: `user["alice@example.com"]`, Kind: UserKind, Action: Update, Reason: "first_name, last_name differ",
				Before: &Values{Email: "alice@example.com", ID: 10, Type: TechnicianUser, FirstName: "Alice", LastName: "Smith"},
				After:  &Values{Email: "alice@example.com", ID: 10, Type: TechnicianUser, FirstName: "Alicia", LastName: "Smyth"}}},
		},
		{
			name: "update end user organization and full portal access",
			desired: desired(UnmanagedIgnore, func() UserSpec {
				u := euser(3, "bob@customer.example", "Bob", "Jones", "Acme")
				u.FullPortalAccess = ptr(true)
				return u
			}()),
			want: []Change{{Address: `user["bob@customer.example"]`, Kind: UserKind, Action: Update, Reason: "organization, full_portal_access differ",
				Before: &Values{Email: "bob@customer.example", ID: 20, Type: EndUserUser, OrganizationID: 2, Organization: "Customer Inc", FullPortalAccess: ptr(false)},
				After:  &Values{Email: "bob@customer.example", ID: 20, Type: EndUserUser, OrganizationID: 1, Organization: "Acme", FullPortalAccess: ptr(true)}}},
		},
		{
			name:    "full portal access not compared when the file leaves it out",
			desired: desired(UnmanagedIgnore, euser(3, "erin@acme.example", "Erin", "Stone", "Acme")),
		},
		{
			name: "phone differs: warning, no change",
			desired: desired(UnmanagedIgnore, func() UserSpec {
				u := tuser(3, "alice@example.com", "Alice", "Smith")
				u.Phone = "+1 555 9999"
				return u
			}()),
			warnings: []string{`user["alice@example.com"]: phone is "+1 555 0100" in NinjaOne but "+1 555 9999" in the file; the API sets a phone only at creation, so change it in the NinjaOne console`},
		},
		{
			name:    "type differs: error at type",
			desired: desired(UnmanagedIgnore, euser(3, "alice@example.com", "Alice", "Smith", "Acme")),
			errs:    []string{"ninjaops.yaml:4:11: user \"alice@example.com\" is a technician in NinjaOne (id 10) but type end_user in the file; NinjaOne cannot change a user's type and ninjaops never replaces a user silently: fix the type, or set state: absent, apply, and declare the user again"},
		},
		{
			name:    "type differs the other way: an end user in NinjaOne",
			desired: desired(UnmanagedIgnore, tuser(3, "bob@customer.example", "Bob", "Jones")),
			errs:    []string{"ninjaops.yaml:4:11: user \"bob@customer.example\" is an end_user in NinjaOne (id 20) but type technician in the file; NinjaOne cannot change a user's type and ninjaops never replaces a user silently: fix the type, or set state: absent, apply, and declare the user again"},
		},
		{
			name: "state absent deletes a live user and ignores a missing one",
			desired: desired(UnmanagedIgnore,
				UserSpec{Email: "Dave@example.com", State: Absent, At: at(3)},
				UserSpec{Email: "nobody@example.com", State: Absent, At: at(9)}),
			want: []Change{tdelete(dave, "state: absent in ninjaops.yaml")},
		},
		{
			name:    "absent user is not also removed from an exclusive role",
			desired: withRoles(desired(UnmanagedIgnore, UserSpec{Email: "dave@example.com", State: Absent, At: at(9)}), RoleSpec{Name: "Tier 2", Type: TechnicianUser, Exclusive: true}),
			want:    []Change{tdelete(dave, "state: absent in ninjaops.yaml")},
		},
		{
			name:    "unmanaged ignore",
			desired: desired(UnmanagedIgnore),
		},
		{
			name:      "unmanaged report lists in-scope emails sorted, lower-cased",
			desired:   desired(UnmanagedReport, tuser(3, "alice@example.com", "Alice", "Smith")),
			live:      func(s *ninjaone.Snapshot) { s.Technicians[2].Email = "Dave@Example.com" },
			unmanaged: []string{"bob@customer.example", "dave@example.com", "erin@acme.example", "root@example.com", "sam@example.com", "val@vendor.example"},
		},
		{
			name:      "default unmanaged mode is report",
			desired:   desired("", tuser(3, "alice@example.com", "Alice", "Smith")),
			unmanaged: []string{"bob@customer.example", "dave@example.com", "erin@acme.example", "root@example.com", "sam@example.com", "val@vendor.example"},
		},
		{
			name: "unmanaged delete: deletes, but never an administrator; memberships go with the user",
			desired: func() *Desired {
				d := desired(UnmanagedDelete, tuser(3, "alice@example.com", "Alice", "Smith"))
				d.Settings.Scope.UserTypes = []UserType{TechnicianUser}
				d.Settings.Scope.EmailDomains = []string{"example.com"}
				return d
			}(),
			want: []Change{
				tdelete(dave, "not in ninjaops.yaml (unmanaged_users: delete)"),
				tdelete(base.Technicians[3], "not in ninjaops.yaml (unmanaged_users: delete)"),
			},
			warnings: []string{
				`user["root@example.com"] is a System Administrator and is never changed; skipped: delete (unmanaged_users: delete)`,
				`user["sam@example.com"] is provisioned by SCIM (scimUser: true); the identity provider may revert: delete (unmanaged_users: delete)`,
			},
		},
		{
			name: "scope user_types: end users not governed",
			desired: func() *Desired {
				d := desired(UnmanagedReport)
				d.Settings.Scope.UserTypes = []UserType{EndUserUser}
				return d
			}(),
			unmanaged: []string{"bob@customer.example", "erin@acme.example"},
		},
		{
			name: "scope email_domains: exact domain, case-insensitive",
			desired: func() *Desired {
				d := desired(UnmanagedReport)
				d.Settings.Scope.EmailDomains = []string{"Vendor.Example", "acme.example"}
				return d
			}(),
			live: func(s *ninjaone.Snapshot) {
				s.Technicians = append(s.Technicians, tech(15, "x@sub.vendor.example", "X", "Y", ""), tech(16, "Y@VENDOR.EXAMPLE", "Y", "Z", ""))
			},
			unmanaged: []string{"erin@acme.example", "val@vendor.example", "y@vendor.example"},
		},
		{
			name: "scope organizations apply to end users only",
			desired: func() *Desired {
				d := desired(UnmanagedReport)
				d.Settings.Scope.Organizations = []string{"Acme"}
				return d
			}(),
			unmanaged: []string{"alice@example.com", "dave@example.com", "erin@acme.example", "root@example.com", "sam@example.com", "val@vendor.example"},
		},
		{
			name: "listed users outside the scope are errors",
			desired: func() *Desired {
				d := desired(UnmanagedReport,
					euser(3, "bob@customer.example", "Bob", "Jones", "Customer Inc"),
					tuser(9, "alice@example.com", "Alice", "Smith"),
					tuser(15, "zed@other.example", "Zed", "Z"),
					UserSpec{Email: "erin@acme.example", State: Absent, At: at(21)},
					UserSpec{Email: "gone@elsewhere.example", State: Absent, At: at(27)})
				d.Settings.Scope.Organizations = []string{"Acme"}
				d.Settings.Scope.EmailDomains = []string{"example.com", "customer.example"}
				d.Settings.Scope.UserTypes = []UserType{EndUserUser, TechnicianUser}
				return d
			}(),
			errs: []string{
				`ninjaops.yaml:3:12: user "bob@customer.example" is outside settings.scope (organization "Customer Inc" is not in organizations); widen the scope or remove the entry`,
				`ninjaops.yaml:15:12: user "zed@other.example" is outside settings.scope (domain "other.example" is not in email_domains); widen the scope or remove the entry`,
				`ninjaops.yaml:21:12: user "erin@acme.example" is outside settings.scope (domain "acme.example" is not in email_domains); widen the scope or remove the entry`,
				`ninjaops.yaml:27:12: user "gone@elsewhere.example" is outside settings.scope (domain "elsewhere.example" is not in email_domains); widen the scope or remove the entry`,
			},
		},
		{
			name: "listed user of a type outside the scope",
			desired: func() *Desired {
				d := desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith"))
				d.Settings.Scope.UserTypes = []UserType{EndUserUser}
				return d
			}(),
			errs: []string{`ninjaops.yaml:3:12: user "alice@example.com" is outside settings.scope (type technician is not in user_types); widen the scope or remove the entry`},
		},
		{
			name:    "a user listed twice (any case) is an error, not two changes",
			desired: desired(UnmanagedIgnore, tuser(3, "carol@example.com", "Carol", "White"), tuser(9, "CAROL@example.com", "Carol", "White")),
			errs:    []string{`ninjaops.yaml:9:12: user "CAROL@example.com" is listed twice; keep one entry`},
		},
		{
			name:    "two live users share a listed email: error naming both ids",
			desired: desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith")),
			live: func(s *ninjaone.Snapshot) {
				s.EndUsers = append(s.EndUsers, endUser(30, "ALICE@example.com", "Alice", "Other", 1, false))
			},
			errs: []string{`ninjaops.yaml:3:12: user "alice@example.com" matches end_user id 30 ("ALICE@example.com") and technician id 10 ("alice@example.com") in NinjaOne that share this email; ninjaops cannot tell which one the file means: delete or rename one of them in NinjaOne`},
		},
		{
			name:    "two live users share an unlisted email: warning, neither deleted",
			desired: desired(UnmanagedDelete, tuser(3, "alice@example.com", "Alice", "Smith")),
			live: func(s *ninjaone.Snapshot) {
				s.Technicians = s.Technicians[:1]
				s.EndUsers = []ninjaone.User{endUser(30, "twin@example.com", "T", "One", 1, false), endUser(31, "Twin@example.com", "T", "Two", 1, false)}
			},
			warnings: []string{`end_user id 30 ("twin@example.com") and end_user id 31 ("Twin@example.com") in NinjaOne share the email "twin@example.com"; ninjaops changes neither until one is deleted or renamed`},
		},
		{
			name:    "live users without an email are left alone, even by exclusive roles",
			desired: withRoles(desired(UnmanagedDelete, tuser(3, "alice@example.com", "Alice", "Smith")), RoleSpec{Name: "Approvers", Type: EndUserUser, Exclusive: true}),
			live: func(s *ninjaone.Snapshot) {
				s.Technicians = s.Technicians[:1]
				s.EndUsers = []ninjaone.User{endUser(30, "", "No", "Email", 1, false), endUser(31, "", "Also", "None", 1, false)}
				s.Roles[4].Members = []ninjaone.RoleMember{{ID: 30}}
			},
			warnings: []string{
				"end_user user id 30 has no email; ninjaops leaves it alone",
				"end_user user id 31 has no email; ninjaops leaves it alone",
			},
		},
		{
			name: "unknown organization lists existing names",
			desired: desired(UnmanagedIgnore,
				euser(3, "fay@customer.example", "Fay", "Lee", "Customer Incorporated"),
				func() UserSpec {
					u := euser(9, "gus@customer.example", "Gus", "Hill", "")
					u.OrganizationID = 42
					return u
				}()),
			errs: []string{
				`ninjaops.yaml:6:19: user "fay@customer.example": unknown organization "Customer Incorporated" (organizations: "Acme", "Customer Inc")`,
				`ninjaops.yaml:12:22: user "gus@customer.example": organization_id 42 not found (organizations: "Acme", "Customer Inc")`,
			},
		},
		{
			name:    "a misspelt organization gets a suggestion",
			desired: desired(UnmanagedIgnore, euser(3, "fay@customer.example", "Fay", "Lee", "Acem")),
			errs:    []string{`ninjaops.yaml:6:19: user "fay@customer.example": unknown organization "Acem" (organizations: "Acme", "Customer Inc"); did you mean "Acme"?`},
		},
		{
			name:    "ambiguous organization name",
			desired: desired(UnmanagedIgnore, euser(3, "fay@customer.example", "Fay", "Lee", "Acme")),
			live: func(s *ninjaone.Snapshot) {
				s.Organizations = append(s.Organizations, ninjaone.Organization{ID: 7, Name: "Acme"})
			},
			errs: []string{`ninjaops.yaml:6:19: user "fay@customer.example": organization name "Acme" is ambiguous: organizations 1, 7 share it; use organization_id instead`},
		},
		{
			name:    "long organization lists are truncated",
			desired: desired(UnmanagedIgnore, euser(3, "fay@customer.example", "Fay", "Lee", "Nope")),
			live: func(s *ninjaone.Snapshot) {
				s.Organizations = nil
				for i := range 25 {
					s.Organizations = append(s.Organizations, ninjaone.Organization{ID: int32(i + 1), Name: fmt.Sprintf("Org %02d", i)})
				}
			},
			errs: []string{`ninjaops.yaml:6:19: user "fay@customer.example": unknown organization "Nope" (organizations: "Org 00", "Org 01", "Org 02", "Org 03", "Org 04", "Org 05", "Org 06", "Org 07", "Org 08", "Org 09", "Org 10", "Org 11", "Org 12", "Org 13", "Org 14", "Org 15", "Org 16", "Org 17", "Org 18", "Org 19", and 5 more)`},
		},
		{
			name: "scope organization unknown",
			desired: func() *Desired {
				d := desired(UnmanagedIgnore)
				d.Settings.Scope.Organizations = []string{"Acme", "Umbrella"}
				d.Settings.Scope.At = MakePositions(map[string]Pos{"organizations[1]": {6, 27}})
				return d
			}(),
			errs: []string{`ninjaops.yaml:6:27: settings.scope.organizations: unknown organization "Umbrella" (organizations: "Acme", "Customer Inc")`},
		},
		{
			name: "bad protected glob",
			desired: func() *Desired {
				d := desired(UnmanagedIgnore)
				d.Settings.Protected = []string{"[root@example.com"}
				d.Settings.At = MakePositions(map[string]Pos{"protected[0]": {5, 15}})
				return d
			}(),
			errs: []string{`ninjaops.yaml:5:15: settings.protected: bad pattern "[root@example.com": syntax error in pattern; use * and ? wildcards and [] classes`},
		},
	})
}

func withRoles(d *Desired, rs ...RoleSpec) *Desired {
	for i := range rs {
		if rs[i].At.list == nil {
			rs[i].At = at(40 + 3*i)
		}
	}
	d.Roles = rs
	return d
}

func additive(d *Desired) *Desired {
	d.Settings.Membership = Additive
	return d
}

func TestDiffRoles(t *testing.T) {
	const (
		declared = "declared in ninjaops.yaml"
		authz    = "not in the user's roles in ninjaops.yaml (membership: authoritative)"
		excl     = "role is exclusive and the user does not declare it in ninjaops.yaml"
	)
	runDiffCases(t, []diffCase{
		{
			name:    "authoritative: add missing, remove extra",
			desired: desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown", "Read Only", "Tier 2")),
			want: []Change{
				add("Read Only", "Read Only", 102, TechnicianUser, "dave@example.com", 12, declared),
				remove("Helpdesk", "Helpdesk", 100, TechnicianUser, "dave@example.com", 12, authz),
			},
		},
		{
			name:    "authoritative: empty list removes every role",
			desired: desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown", []string{}...)),
			want: []Change{
				remove("Helpdesk", "Helpdesk", 100, TechnicianUser, "dave@example.com", 12, authz),
				remove("Tier 2", "Tier 2", 101, TechnicianUser, "dave@example.com", 12, authz),
			},
		},
		{
			name:    "roles omitted: not managed",
			desired: desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown")),
		},
		{
			name:    "additive: only adds",
			desired: additive(desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown", "Read Only"))),
			want:    []Change{add("Read Only", "Read Only", 102, TechnicianUser, "dave@example.com", 12, declared)},
		},
		{
			name: "exclusive role loses unlisted members and listed users without roles, keeps declared ones",
			desired: withRoles(additive(desired(UnmanagedIgnore,
				tuser(3, "alice@example.com", "Alice", "Smith"),
				tuser(9, "val@vendor.example", "Val", "Vendor", "Tier 2"))),
				RoleSpec{Name: "Helpdesk", Type: TechnicianUser},
				RoleSpec{Name: "Tier 2", Type: TechnicianUser, Exclusive: true}),
			live: func(s *ninjaone.Snapshot) {
				s.Roles[1].Members = append(s.Roles[1].Members, ninjaone.RoleMember{ID: 10})
			},
			want: []Change{
				add("Tier 2", "Tier 2", 101, TechnicianUser, "val@vendor.example", 14, declared),
				remove("Tier 2", "Tier 2", 101, TechnicianUser, "alice@example.com", 10, excl),
				remove("Tier 2", "Tier 2", 101, TechnicianUser, "dave@example.com", 12, excl),
			},
		},
		{
			// An MSP's per-customer file must not strip other customers'
			// end users from a role they share.
			name: "exclusive role keeps its members outside the scope, with a warning",
			desired: func() *Desired {
				d := withRoles(desired(UnmanagedIgnore), RoleSpec{Name: "Portal Users", Type: EndUserUser, Exclusive: true})
				d.Settings.Scope.Organizations = []string{"Acme"}
				return d
			}(),
			live: func(s *ninjaone.Snapshot) {
				s.Roles[3].Members = append(s.Roles[3].Members, ninjaone.RoleMember{ID: 21})
			},
			want:     []Change{remove("Portal Users", "Portal Users", 200, EndUserUser, "erin@acme.example", 21, excl)},
			warnings: []string{`role["Portal Users"] is exclusive, but 1 of its members is outside settings.scope and was left in it: "bob@customer.example"`},
		},
		{
			name: "exclusive role outside a domain scope: members of other domains stay",
			desired: func() *Desired {
				d := withRoles(desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk")),
					RoleSpec{Name: "Helpdesk", Type: TechnicianUser, Exclusive: true})
				d.Settings.Scope.EmailDomains = []string{"example.com"}
				return d
			}(),
			live: func(s *ninjaone.Snapshot) {
				s.Roles[0].Members = append(s.Roles[0].Members, ninjaone.RoleMember{ID: 14}, ninjaone.RoleMember{ID: 20})
			},
			want: []Change{remove("Helpdesk", "Helpdesk", 100, TechnicianUser, "dave@example.com", 12, excl)},
			warnings: []string{
				`role["Helpdesk"] is exclusive, but 2 of its members are outside settings.scope and were left in it: "bob@customer.example", "val@vendor.example"`,
			},
		},
		{
			name: "exclusive and authoritative removal is planned once",
			desired: withRoles(desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown", "Helpdesk")),
				RoleSpec{Name: "Tier 2", Type: TechnicianUser, Exclusive: true}),
			want: []Change{remove("Tier 2", "Tier 2", 101, TechnicianUser, "dave@example.com", 12, authz)},
		},
		{
			name: "exclusive role member unknown to the user lists: warning",
			desired: withRoles(desired(UnmanagedIgnore),
				RoleSpec{Name: "Approvers", Type: EndUserUser, Exclusive: true}),
			live: func(s *ninjaone.Snapshot) {
				s.Roles[4].Members = []ninjaone.RoleMember{{ID: 99, Email: "ghost@customer.example"}}
			},
			warnings: []string{`role["Approvers"] lists member id 99 ("ghost@customer.example") that is not among the live users; ninjaops leaves that membership alone`},
		},
		{
			// NinjaOne listed Tier 2 and Approvers without their members:
			// nobody is added to them or removed from them, even where the
			// file declares them, makes them exclusive, or leaves them out
			// of an authoritative list.
			name: "roles of unknown membership get no membership changes, and a warning",
			desired: withRoles(desired(UnmanagedIgnore,
				tuser(3, "dave@example.com", "Dave", "Brown", "Tier 2", "Read Only"),
				tuser(9, "alice@example.com", "Alice", "Smith", "Tier 2"),
				tuser(15, "new@example.com", "New", "User", "Tier 2"),
				euser(21, "bob@customer.example", "Bob", "Jones", "Customer Inc", "Approvers")),
				RoleSpec{Name: "Tier 2", Type: TechnicianUser, Exclusive: true},
				RoleSpec{Name: "Approvers", Type: EndUserUser, Exclusive: true}),
			live: func(s *ninjaone.Snapshot) {
				for _, i := range []int{1, 4} {
					s.Roles[i].Members, s.Roles[i].MembersUnknown = nil, true
				}
			},
			want: []Change{
				{Address: `user["new@example.com"]`, Kind: UserKind, Action: Create, Reason: declared,
					After: &Values{Email: "new@example.com", Type: TechnicianUser, FirstName: "New", LastName: "User"}},
				add("Read Only", "Read Only", 102, TechnicianUser, "dave@example.com", 12, declared),
				remove("Helpdesk", "Helpdesk", 100, TechnicianUser, "alice@example.com", 10, authz),
				remove("Helpdesk", "Helpdesk", 100, TechnicianUser, "dave@example.com", 12, authz),
				remove("Portal Users", "Portal Users", 200, EndUserUser, "bob@customer.example", 20, authz),
			},
			warnings: []string{
				`role["Approvers"]: NinjaOne listed it without its members, so who holds it is unknown; ninjaops plans no membership changes for it until NinjaOne lists them`,
				`role["Tier 2"]: NinjaOne listed it without its members, so who holds it is unknown; ninjaops plans no membership changes for it until NinjaOne lists them`,
			},
		},
		{
			name:    "roles of unknown membership: no warning for a file that manages no membership",
			desired: desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown")),
			live: func(s *ninjaone.Snapshot) {
				s.Roles[1].Members, s.Roles[1].MembersUnknown = nil, true
			},
		},
		{
			name: "unknown role and role of the other type name the roles that exist",
			desired: withRoles(desired(UnmanagedIgnore,
				tuser(12, "alice@example.com", "Alice", "Smith", "Helpdsk", "Portal Users"),
				euser(20, "bob@customer.example", "Bob", "Jones", "Customer Inc", "Helpdesk")),
				RoleSpec{Name: "Auditors", Type: EndUserUser}),
			errs: []string{
				`ninjaops.yaml:16:14: unknown role "Helpdsk" of user "alice@example.com" (technician roles: "Helpdesk", "Read Only", "Tier 2"); did you mean "Helpdesk"?`,
				`ninjaops.yaml:16:24: role "Portal Users" of user "alice@example.com" is an end_user role, not a technician role (technician roles: "Helpdesk", "Read Only", "Tier 2")`,
				`ninjaops.yaml:24:14: role "Helpdesk" of user "bob@customer.example" is a technician role, not an end_user role (end_user roles: "Approvers", "Portal Users")`,
				`ninjaops.yaml:40:13: unknown role "Auditors" in roles[0] (end_user roles: "Approvers", "Portal Users")`,
			},
		},
		{
			name:    "two roles of one type sharing a name are ambiguous",
			desired: desired(UnmanagedIgnore, tuser(3, "alice@example.com", "Alice", "Smith", "Helpdesk")),
			live: func(s *ninjaone.Snapshot) {
				s.Roles = append(s.Roles, role(103, "Helpdesk", ninjaone.Technician))
			},
			errs: []string{`ninjaops.yaml:7:14: role "Helpdesk" of user "alice@example.com" is ambiguous: technician roles with ids 100, 103 share the name; rename one of them in NinjaOne`},
		},
		{
			name:    "roles of both types sharing a name get typed addresses",
			desired: desired(UnmanagedIgnore, euser(3, "bob@customer.example", "Bob", "Jones", "Customer Inc", "Helpdesk")),
			live: func(s *ninjaone.Snapshot) {
				s.Roles = append(s.Roles, role(202, "Helpdesk", ninjaone.EndUser))
			},
			want: []Change{
				add("Helpdesk (end_user)", "Helpdesk", 202, EndUserUser, "bob@customer.example", 20, declared),
				remove("Portal Users", "Portal Users", 200, EndUserUser, "bob@customer.example", 20, authz),
			},
		},
	})
}

func TestDiffProtection(t *testing.T) {
	base := baseSnapshot()
	runDiffCases(t, []diffCase{
		{
			name: "protected globs, case-insensitive: file changes become warnings",
			desired: func() *Desired {
				d := desired(UnmanagedIgnore,
					tuser(3, "VAL@vendor.example", "Valerie", "Vendor", "Helpdesk"),
					tuser(9, "new@VENDOR.example", "New", "Vendor"),
					UserSpec{Email: "alice@example.com", State: Absent, At: at(15)})
				d.Settings.Protected = []string{"*@Vendor.Example", "alice@*"}
				return d
			}(),
			warnings: []string{
				`user["alice@example.com"] is protected by settings.protected "alice@*" and is never changed; skipped: delete`,
				`user["new@vendor.example"] is protected by settings.protected "*@vendor.example" and is never changed; skipped: create`,
				`user["val@vendor.example"] is protected by settings.protected "*@vendor.example" and is never changed; skipped: update first_name, add to role "Helpdesk"`,
			},
		},
		{
			// path.Match's * stops at '/', which an email's local part may hold.
			name: "protected globs match emails with a slash",
			live: func(s *ninjaone.Snapshot) {
				s.Technicians = append(s.Technicians, tech(15, "ops/admin@vendor.example", "Ops", "Admin", ""))
			},
			desired: func() *Desired {
				d := desired(UnmanagedDelete, tuser(3, "val@vendor.example", "Val", "Vendor"))
				d.Settings.Protected = []string{"*@vendor.example"}
				d.Settings.Scope.EmailDomains = []string{"vendor.example"}
				return d
			}(),
			warnings: []string{
				`user["ops/admin@vendor.example"] is protected by settings.protected "*@vendor.example" and is never changed; skipped: delete (unmanaged_users: delete)`,
			},
		},
		{
			name: "system administrator: role changes and exclusive removal skipped",
			desired: withRoles(desired(UnmanagedIgnore, tuser(3, "root@example.com", "Root", "Admin", "Helpdesk")),
				RoleSpec{Name: "Read Only", Type: TechnicianUser, Exclusive: true}),
			warnings: []string{
				`user["root@example.com"] is a System Administrator and is never changed; skipped: add to role "Helpdesk", remove from role "Read Only"`,
			},
		},
		{
			name:    "scim user: changes proceed with a warning",
			desired: desired(UnmanagedIgnore, tuser(3, "sam@example.com", "Samuel", "Scim", "Tier 2")),
			want: []Change{
				{Address: `user["sam@example.com"]`, Kind: UserKind, Action: Update, Reason: "first_name differs",
					Before: &Values{Email: "sam@example.com", ID: 13, Type: TechnicianUser, FirstName: "Sam"},
					After:  &Values{Email: "sam@example.com", ID: 13, Type: TechnicianUser, FirstName: "Samuel"}},
				add("Tier 2", "Tier 2", 101, TechnicianUser, "sam@example.com", 13, "declared in ninjaops.yaml"),
			},
			warnings: []string{`user["sam@example.com"] is provisioned by SCIM (scimUser: true); the identity provider may revert: update first_name, add to role "Tier 2"`},
		},
		{
			name: "guards default to 5 deletions and 25 percent",
			desired: func() *Desired {
				d := desired(UnmanagedIgnore, tuser(3, "dave@example.com", "Dave", "Brown", "Helpdesk"))
				d.Settings.MaxRemovalPercent = nil
				return d
			}(),
			// One removal is all of Tier 2's members, and 20% of what the
			// file governs: under the floor, so no guard fires.
			want: []Change{remove("Tier 2", "Tier 2", 101, TechnicianUser, "dave@example.com", 12, "not in the user's roles in ninjaops.yaml (membership: authoritative)")},
		},
		{
			name: "guards: deletions above max_deletions warn, a removal under the floor does not",
			desired: func() *Desired {
				d := desired(UnmanagedDelete, tuser(3, "alice@example.com", "Alice", "Smith", []string{}...))
				d.Settings.MaxDeletions = ptr(1)
				d.Settings.MaxRemovalPercent = ptr(10.0)
				d.Settings.Scope.UserTypes = []UserType{TechnicianUser}
				d.Settings.Protected = []string{"root@*", "sam@*"}
				return d
			}(),
			want: []Change{
				tdelete(base.Technicians[2], "not in ninjaops.yaml (unmanaged_users: delete)"),
				tdelete(base.Technicians[4], "not in ninjaops.yaml (unmanaged_users: delete)"),
				remove("Helpdesk", "Helpdesk", 100, TechnicianUser, "alice@example.com", 10, "not in the user's roles in ninjaops.yaml (membership: authoritative)"),
			},
			warnings: []string{
				`the plan deletes 2 of the 5 users in scope, more than max_deletions (1); if that is intended, raise the limit with --max-deletions 2 or settings.max_deletions`,
				`user["root@example.com"] is protected by settings.protected "root@*" and is never changed; skipped: delete (unmanaged_users: delete)`,
				`user["sam@example.com"] is protected by settings.protected "sam@*" and is never changed; skipped: delete (unmanaged_users: delete)`,
			},
		},
	})
}

func TestCheckGuards(t *testing.T) {
	base := GuardBase{Users: 40, Memberships: 80}
	del := Change{Kind: UserKind, Action: Delete}
	rm := Change{Kind: MembershipKind, Action: Remove, Before: &Values{RoleID: 1}}
	n := func(k int, c Change) []Change {
		out := make([]Change, k)
		for i := range out {
			out[i] = c
		}
		return out
	}
	tests := []struct {
		name    string
		changes []Change
		base    GuardBase
		maxDel  int
		maxPct  float64
		want    []string // guards violated
		values  []float64
		msgs    []string // each a part of the matching message
	}{
		{"deletions at the limit", n(2, del), base, 2, 25, nil, nil, nil},
		{"one deletion too many", n(3, del), base, 2, 25, []string{GuardMaxDeletions}, []float64{3},
			[]string{"deletes 3 of the 40 users in scope, more than max_deletions (2)"}},
		{"zero deletions allowed", n(1, del), base, 0, 25, []string{GuardMaxDeletions}, []float64{1}, []string{"deletes 1 of the 40 users in scope"}},
		{"deletions without a base", n(2, del), GuardBase{}, 1, 25, []string{GuardMaxDeletions}, []float64{2}, []string{"deletes 2 users,"}},
		// 10 removals are all of what the file governs, and still pass.
		{"removals at the floor never fire", n(RemovalFloor, rm), GuardBase{Users: 5, Memberships: RemovalFloor}, 5, 0, nil, nil, nil},
		{"removals over the floor and the percentage", n(21, rm), base, 5, 25, []string{GuardMaxRemovalPercent}, []float64{26.25},
			[]string{"removes 21 of the 80 memberships of the users in scope (26.2%), more than max_removal_percent (25%)", "--max-removal-percent 26.3"}},
		{"removals over the floor, under the percentage", n(20, rm), base, 5, 25, nil, nil, nil},
		{"removals the snapshot does not show count in full", n(11, rm), GuardBase{Users: 3, Memberships: 4}, 5, 99, []string{GuardMaxRemovalPercent}, []float64{100},
			[]string{"removes 11 memberships (100%)"}},
		{"a NaN limit stops the plan", n(11, rm), base, 5, math.NaN(), []string{GuardMaxRemovalPercent}, []float64{13.75}, nil},
		{"both", append(n(1, del), n(80, rm)...), base, 0, 0, []string{GuardMaxDeletions, GuardMaxRemovalPercent}, []float64{1, 100}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckGuards(&Plan{Changes: tc.changes}, tc.base, tc.maxDel, tc.maxPct)
			var guards []string
			var values []float64
			for i, v := range got {
				guards = append(guards, v.Guard)
				values = append(values, v.Value)
				flag := "--max-deletions"
				if v.Guard == GuardMaxRemovalPercent {
					flag = "--max-removal-percent"
				}
				if !strings.Contains(v.Message, flag) {
					t.Errorf("message %q does not name %s", v.Message, flag)
				}
				if i < len(tc.msgs) && !strings.Contains(v.Message, tc.msgs[i]) {
					t.Errorf("message %q does not say %q", v.Message, tc.msgs[i])
				}
			}
			if diff := cmp.Diff(tc.want, guards); diff != "" {
				t.Errorf("guards (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.values, values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidRemovalPercent(t *testing.T) {
	for _, p := range []float64{0, 0.5, 25, 100} {
		if !ValidRemovalPercent(p) {
			t.Errorf("ValidRemovalPercent(%v) = false, want true", p)
		}
	}
	for _, p := range []float64{-1, -0.001, 100.001, 1000, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if ValidRemovalPercent(p) {
			t.Errorf("ValidRemovalPercent(%v) = true, want false", p)
		}
	}
}

// The base is what the file governs: the users in its scope and all their
// memberships, whatever roles the plan touches.
func TestGuardBaseOf(t *testing.T) {
	// baseSnapshot: 5 technicians holding 4 memberships (alice 1, root 1,
	// dave 2), 2 end users holding 1 (bob).
	tests := []struct {
		name  string
		scope Scope
		want  GuardBase
	}{
		{"no scope: everyone", Scope{}, GuardBase{Users: 7, Memberships: 5}},
		{"technicians", Scope{UserTypes: []UserType{TechnicianUser}}, GuardBase{Users: 5, Memberships: 4}},
		{"a domain", Scope{EmailDomains: []string{"Example.com"}}, GuardBase{Users: 4, Memberships: 4}},
		{"an organization limits end users only", Scope{Organizations: []string{"Customer Inc"}}, GuardBase{Users: 6, Memberships: 5}},
		{"end users of another organization", Scope{UserTypes: []UserType{EndUserUser}, Organizations: []string{"Acme"}}, GuardBase{Users: 1, Memberships: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := desired(UnmanagedReport)
			d.Settings.Scope = tc.scope
			if got := GuardBaseOf(d, baseSnapshot()); got != tc.want {
				t.Errorf("GuardBaseOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A tenant of 60 technicians in 3 roles each, and 500 end users outside the
// file's scope. Offboarding 4 technicians removes 12 memberships, all of
// one small role's: routine, not mass. Emptying everyone's roles is mass,
// and the end users outside the scope do not dilute it.
func TestGuardsFitRealTenants(t *testing.T) {
	live := &ninjaone.Snapshot{Roles: []ninjaone.Role{
		role(1, "Helpdesk", ninjaone.Technician), role(2, "Tier 2", ninjaone.Technician),
		role(3, "Night Shift", ninjaone.Technician), role(4, "Portal Users", ninjaone.EndUser),
	}}
	var users []UserSpec
	for i := range int32(60) {
		email := fmt.Sprintf("tech%02d@example.com", i)
		live.Technicians = append(live.Technicians, tech(100+i, email, "T", "Tech", ""))
		roles := []string{"Helpdesk", "Tier 2"}
		live.Roles[0].Members = append(live.Roles[0].Members, ninjaone.RoleMember{ID: 100 + i})
		live.Roles[1].Members = append(live.Roles[1].Members, ninjaone.RoleMember{ID: 100 + i})
		if i < 4 {
			live.Roles[2].Members = append(live.Roles[2].Members, ninjaone.RoleMember{ID: 100 + i})
			roles = append(roles, "Night Shift")
		}
		users = append(users, tuser(3+6*int(i), email, "T", "Tech", roles...))
	}
	for i := range int32(500) {
		live.EndUsers = append(live.EndUsers, endUser(1000+i, fmt.Sprintf("user%03d@customer.example", i), "E", "User", 2, false))
		live.Roles[3].Members = append(live.Roles[3].Members, ninjaone.RoleMember{ID: 1000 + i})
	}
	scoped := func(us []UserSpec) *Desired {
		d := desired(UnmanagedIgnore, us...)
		d.Settings.MaxRemovalPercent = nil // the default, 25
		d.Settings.Scope.UserTypes = []UserType{TechnicianUser}
		return d
	}
	guardWarnings := func(p *Plan) []string {
		var out []string
		for _, w := range p.Warnings {
			if strings.Contains(w, "max_removal_percent") || strings.Contains(w, "max_deletions") {
				out = append(out, w)
			}
		}
		return out
	}

	// Offboarding: the first 4 leave every role (12 removals, all of Night
	// Shift's members): 12 of the 124 memberships in scope, under 25%.
	off := slices.Clone(users)
	for i := range 4 {
		off[i].Roles = []string{}
	}
	p, err := Diff(scoped(off), live)
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.Remove != 12 {
		t.Fatalf("offboarding removes %d memberships, want 12", p.Summary.Remove)
	}
	if ws := guardWarnings(p); len(ws) > 0 {
		t.Errorf("routine offboarding trips a guard:\n%s", strings.Join(ws, "\n"))
	}
	if vs := CheckGuards(p, GuardBaseOf(scoped(off), live), 5, 25); len(vs) > 0 {
		t.Errorf("CheckGuards refuses routine offboarding: %v", vs)
	}

	// Everyone loses Tier 2: 60 of 124, 48%.
	mass := slices.Clone(users)
	for i := range mass {
		mass[i].Roles = slices.DeleteFunc(slices.Clone(mass[i].Roles), func(r string) bool { return r == "Tier 2" })
	}
	p, err = Diff(scoped(mass), live)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"the plan removes 60 of the 124 memberships of the users in scope (48.4%), more than max_removal_percent (25%); if that is intended, raise the limit with --max-removal-percent 48.4 or settings.max_removal_percent"}
	if diff := cmp.Diff(want, guardWarnings(p)); diff != "" {
		t.Errorf("mass removal (-want +got):\n%s", diff)
	}
}

func TestNeedsOrganizations(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    *Desired
		want bool
	}{
		{"none", desired(UnmanagedIgnore, tuser(3, "a@example.com", "A", "B")), false},
		{"by id", desired(UnmanagedIgnore, UserSpec{Email: "a@example.com", Type: EndUserUser, OrganizationID: 3}), false},
		{"by name", desired(UnmanagedIgnore, euser(3, "a@example.com", "A", "B", "Acme")), true},
		{"absent with a name", desired(UnmanagedIgnore, UserSpec{Email: "a@example.com", State: Absent, Organization: "Acme"}), false},
		{"scope", func() *Desired {
			d := desired(UnmanagedIgnore)
			d.Settings.Scope.Organizations = []string{"Acme"}
			return d
		}(), true},
	} {
		if got := NeedsOrganizations(tc.d); got != tc.want {
			t.Errorf("%s: NeedsOrganizations = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The same inputs in any order give byte-identical JSON.
func TestDiffDeterministic(t *testing.T) {
	d := withRoles(desired(UnmanagedDelete,
		tuser(3, "carol@example.com", "Carol", "White", "Helpdesk", "Tier 2"),
		tuser(9, "dave@example.com", "David", "Brown", "Read Only"),
		euser(15, "fay@customer.example", "Fay", "Lee", "Acme", "Approvers", "Portal Users"),
		// A System Administrator in two roles: its warning lists both
		// skipped removals, in an order that must not follow NinjaOne's.
		tuser(21, "root@example.com", "Root", "Admin", []string{}...),
	), RoleSpec{Name: "Helpdesk", Type: TechnicianUser, Exclusive: true})
	baseSnapshot := func() *ninjaone.Snapshot {
		s := baseSnapshot()
		s.Roles[1].Members = append(s.Roles[1].Members, ninjaone.RoleMember{ID: 11}) // root in Tier 2 too
		return s
	}
	first, err := Diff(d, baseSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(first)
	if first.Summary.Create == 0 || first.Summary.Delete == 0 || first.Summary.Add == 0 || first.Summary.Remove == 0 || len(first.Warnings) == 0 {
		t.Fatalf("case too small to show anything: %s", want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		live := baseSnapshot()
		rng.Shuffle(len(live.Technicians), func(i, j int) { live.Technicians[i], live.Technicians[j] = live.Technicians[j], live.Technicians[i] })
		rng.Shuffle(len(live.EndUsers), func(i, j int) { live.EndUsers[i], live.EndUsers[j] = live.EndUsers[j], live.EndUsers[i] })
		rng.Shuffle(len(live.Roles), func(i, j int) { live.Roles[i], live.Roles[j] = live.Roles[j], live.Roles[i] })
		dd := *d
		dd.Users = append([]UserSpec(nil), d.Users...)
		rng.Shuffle(len(dd.Users), func(i, j int) { dd.Users[i], dd.Users[j] = dd.Users[j], dd.Users[i] })
		p, err := Diff(&dd, live)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(p)
		if string(got) != string(want) {
			t.Fatalf("shuffle %d changed the plan:\n%s", i, cmp.Diff(string(want), string(got)))
		}
	}
}
