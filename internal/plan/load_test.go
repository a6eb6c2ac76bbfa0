package plan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// loadModes are the ways Load can read a file. Every loader test loads its
// input each way and requires the same result, positions included, so the
// split loader and the fast chunk parser are checked against a plain
// yaml.v3 parse of the whole document on every case.
var loadModes = []struct {
	name string
	opts loadOptions
}{
	{"split", loadOptions{}},
	{"whole", loadOptions{whole: true}},
	{"split-yamlv3", loadOptions{noFast: true}},
	{"split-chunk1", loadOptions{chunkSize: 1}},
	{"split-chunk1-yamlv3", loadOptions{chunkSize: 1, noFast: true}},
}

// loadEveryWay loads data in every mode, fails the test if any two modes
// disagree, and returns the result.
func loadEveryWay(t testing.TB, path string, data []byte) (*Desired, error) {
	t.Helper()
	var first *Desired
	var firstErr error
	for i, m := range loadModes {
		d, err := load(path, data, m.opts)
		if i == 0 {
			first, firstErr = d, err
			continue
		}
		if diff := cmp.Diff(errString(firstErr), errString(err)); diff != "" {
			t.Fatalf("%s and %s report different errors (-%s +%s):\n%s", loadModes[0].name, m.name, loadModes[0].name, m.name, diff)
		}
		if diff := cmp.Diff(first, d); diff != "" {
			t.Fatalf("%s and %s load different results (-%s +%s):\n%s", loadModes[0].name, m.name, loadModes[0].name, m.name, diff)
		}
	}
	return first, firstErr
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func ptr[T any](v T) *T { return &v }

// ignorePlaces leaves positions and source bytes out of a comparison.
var ignorePlaces = cmp.Options{
	cmpopts.IgnoreFields(UserSpec{}, "At"),
	cmpopts.IgnoreFields(RoleSpec{}, "At"),
	cmpopts.IgnoreFields(Settings{}, "At"),
	cmpopts.IgnoreFields(Scope{}, "At"),
	cmpopts.IgnoreFields(Desired{}, "Source"),
}

// defaults is the Settings of a file that sets none.
func defaults() Settings {
	return Settings{
		UnmanagedUsers:    UnmanagedReport,
		Scope:             Scope{UserTypes: []UserType{TechnicianUser, EndUserUser}},
		Membership:        Authoritative,
		MaxDeletions:      ptr(5),
		MaxRemovalPercent: ptr(25.0),
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		file string
		want *Desired
	}{
		{
			file: "minimal.yaml",
			want: &Desired{Version: 1, Settings: defaults()},
		},
		{
			file: "issue-example.yaml",
			want: &Desired{
				Version: 1,
				Settings: Settings{
					UnmanagedUsers: UnmanagedReport,
					Scope: Scope{
						UserTypes:     []UserType{TechnicianUser, EndUserUser},
						EmailDomains:  []string{"example.com", "customer.example"},
						Organizations: []string{"Acme", "Customer Inc"},
					},
					Protected:         []string{"root@example.com", "*@vendor.example"},
					Membership:        Authoritative,
					MaxDeletions:      ptr(5),
					MaxRemovalPercent: ptr(25.0),
				},
				Roles: []RoleSpec{{Name: "Helpdesk", Type: TechnicianUser, Exclusive: true}},
				Users: []UserSpec{
					{Email: "alice@example.com", Type: TechnicianUser, State: Present, FirstName: "Alice", LastName: "Smith",
						Phone: "+1 555 0100", Roles: []string{"Helpdesk", "Tier 2"}},
					{Email: "bob@customer.example", Type: EndUserUser, State: Present, FirstName: "Bob", LastName: "Jones",
						Organization: "Customer Inc", FullPortalAccess: ptr(true), SendInvitation: true, Roles: []string{"Portal Users"}},
					{Email: "mallory@example.com", State: Absent},
				},
			},
		},
		{
			file: "msp.yaml",
			want: &Desired{
				Version: 1,
				Settings: Settings{
					UnmanagedUsers:    UnmanagedIgnore,
					Scope:             Scope{UserTypes: []UserType{EndUserUser}, Organizations: []string{"Acme, Inc.", "Globex"}},
					Membership:        Additive,
					MaxDeletions:      ptr(0),
					MaxRemovalPercent: ptr(12.5),
				},
				Roles: []RoleSpec{
					{Name: "Portal Users", Type: EndUserUser},
					{Name: "Portal Users", Type: TechnicianUser},
				},
				Users: []UserSpec{
					{Email: "O'Brien@Acme.example", Type: EndUserUser, State: Present, FirstName: "Seán", LastName: "O'Brien: the 2nd",
						Organization: "Acme, Inc.", FullPortalAccess: ptr(false), Roles: []string{"Portal Users", "Tier: 2"}},
					{Email: "zoe@globex.example", Type: EndUserUser, State: Present, FirstName: "Zoë", LastName: "#1",
						OrganizationID: 42, Roles: []string{}},
					{Email: "kim@globex.example", Type: EndUserUser, State: Present, FirstName: "123", LastName: "true",
						OrganizationID: 42, Phone: "+44 20 7946 0000", SendInvitation: true},
					{Email: "gone@acme.example", State: Absent},
				},
			},
		},
		{
			file: "crlf.yaml",
			want: &Desired{Version: 1, Settings: defaults(), Users: []UserSpec{
				{Email: "crlf@example.com", Type: TechnicianUser, State: Present, FirstName: "Carla", LastName: "Crlf", Roles: []string{"Helpdesk"}},
			}},
		},
		{
			file: "long-names.yaml",
			want: &Desired{Version: 1, Settings: defaults(), Users: []UserSpec{
				{Email: "long@example.com", Type: TechnicianUser, State: Present,
					FirstName: strings.Repeat("é", 150), LastName: strings.Repeat("字", 150)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "valid", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := loadEveryWay(t, path, data)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.want.Path = path
			if diff := cmp.Diff(tt.want, got, ignorePlaces); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
			if string(got.Source) != string(data) {
				t.Errorf("Source is not the file's bytes")
			}
		})
	}
}

// TestLoadRolesNilOrEmpty checks the distinction the diff relies on:
// omitted roles are not managed (nil), roles: [] means none (empty).
func TestLoadRolesNilOrEmpty(t *testing.T) {
	src := "version: 1\nusers:\n" +
		"  - {email: a@x.example, type: technician, first_name: A, last_name: A}\n" +
		"  - {email: b@x.example, type: technician, first_name: B, last_name: B, roles: []}\n"
	d, err := loadEveryWay(t, "f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d.Users[0].Roles != nil {
		t.Errorf("omitted roles: got %#v, want nil", d.Users[0].Roles)
	}
	if d.Users[1].Roles == nil || len(d.Users[1].Roles) != 0 {
		t.Errorf("roles: []: got %#v, want an empty non-nil slice", d.Users[1].Roles)
	}
}

func TestLoadPositions(t *testing.T) {
	path := filepath.Join("testdata", "valid", "issue-example.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := loadEveryWay(t, path, data)
	if err != nil {
		t.Fatal(err)
	}
	wantAlice := map[string]Pos{
		"":           {17, 5},
		"email":      {17, 12},
		"type":       {18, 11},
		"first_name": {19, 17},
		"last_name":  {20, 16},
		"phone":      {21, 12},
		"roles":      {22, 12},
		"roles[0]":   {22, 13},
		"roles[1]":   {22, 23},
	}
	if diff := cmp.Diff(wantAlice, d.Users[0].At.Map()); diff != "" {
		t.Errorf("alice's positions (-want +got):\n%s", diff)
	}
	wantMallory := map[string]Pos{"": {31, 5}, "email": {31, 12}, "state": {32, 12}}
	if diff := cmp.Diff(wantMallory, d.Users[2].At.Map()); diff != "" {
		t.Errorf("mallory's positions (-want +got):\n%s", diff)
	}
	wantRole := map[string]Pos{"": {13, 5}, "name": {13, 11}, "type": {14, 11}, "exclusive": {15, 16}}
	if diff := cmp.Diff(wantRole, d.Roles[0].At.Map()); diff != "" {
		t.Errorf("Helpdesk's positions (-want +got):\n%s", diff)
	}
	if got, want := d.Where(d.Users[0].At, "roles[1]"), path+":22:23"; got != want {
		t.Errorf("Where(roles[1]) = %q, want %q", got, want)
	}
	if got, want := d.Where(d.Users[2].At, "roles"), path+":31:5"; got != want {
		t.Errorf("Where falls back to the entry: got %q, want %q", got, want)
	}
}

// TestLoadColumnsCountCharacters checks that columns count characters,
// as yaml.v3 and editors do, not bytes.
func TestLoadColumnsCountCharacters(t *testing.T) {
	src := "version: 1\nusers:\n  - {first_name: Zoë, last_name: Ünal, email: z@x.example, type: technician, roles: [Rôle, Role]}\n"
	d, err := loadEveryWay(t, "f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Users[0].At.Get("roles[1]"), (Pos{3, 92}); got != want {
		t.Errorf("roles[1] at %v, want %v", got, want)
	}
}

func TestLoadInvalid(t *testing.T) {
	user := func(lines ...string) string {
		return "version: 1\nusers:\n  - " + strings.Join(lines, "\n    ") + "\n"
	}
	long := strings.Repeat("é", 151)
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown key with suggestion", "verison: 1\n", []string{
			`f.yaml:1:1: missing required key "version" at the top level`,
			`f.yaml:1:1: unknown key "verison" at the top level; did you mean "version"? (allowed: version, settings, roles, users)`,
		}},
		{"unknown key", "version: 1\nfoo: bar\n", []string{
			`f.yaml:2:1: unknown key "foo" at the top level (allowed: version, settings, roles, users)`,
		}},
		{"unknown user key", user("email: a@x.example", "type: technician", "first_name: A", "last_name: B", "firstname: A"), []string{
			`f.yaml:7:5: unknown key "firstname" in a user; did you mean "first_name"? (allowed: email, type, state, first_name, last_name, phone, organization, organization_id, full_portal_access, send_invitation, roles)`,
		}},
		{"duplicate keys", "version: 1\nsettings:\n  membership: additive\n  membership: additive\nversion: 1\n", []string{
			`f.yaml:4:3: duplicate key "membership" in settings (first at line 3, column 3)`,
			`f.yaml:5:1: duplicate key "version" at the top level (first at line 1, column 1)`,
		}},
		{"missing version", "users: []\n", []string{
			`f.yaml:1:1: missing required key "version" at the top level`,
		}},
		{"version 2", "version: 2\n", []string{
			`f.yaml:1:10: version must be 1; found 2`,
		}},
		{"version as a string", "version: \"1\"\n", []string{
			`f.yaml:1:10: version must be 1; found the string "1"`,
		}},
		{"wrong types", "version: 1\nsettings: []\nroles: {}\nusers:\n", []string{
			`f.yaml:2:11: settings must be a mapping; found a list`,
			`f.yaml:3:8: roles must be a list of mappings; found a mapping`,
			`f.yaml:4:7: users must be a list of mappings; found nothing (null) (write [] for an empty list, or leave the key out)`,
		}},
		{"wrong setting types", "version: 1\nsettings:\n  max_deletions: many\n  max_removal_percent: lots\n  protected: root@example.com\n", []string{
			`f.yaml:3:18: max_deletions must be a whole number; found the string "many"`,
			`f.yaml:4:24: max_removal_percent must be a number; found the string "lots"`,
			`f.yaml:5:14: protected must be a list; found the string "root@example.com" (write protected: [root@example.com], or one "- item" per line)`,
		}},
		{"wrong user types", user("email: a@x.example", "type: end_user", "first_name: 123", "last_name: null", "organization_id: abc", "full_portal_access: \"true\"", "roles: Helpdesk"), []string{
			`f.yaml:5:17: first_name must be a string; found the number 123 (quote it to make it a string: "123")`,
			`f.yaml:6:16: last_name must be a string; found nothing (null)`,
			`f.yaml:7:22: organization_id must be a whole number; found the string "abc"`,
			`f.yaml:8:25: full_portal_access must be true or false; found the string "true"`,
			`f.yaml:9:12: roles must be a list; found the string "Helpdesk" (write roles: [Helpdesk], or one "- item" per line)`,
		}},
		{"null roles", user("email: a@x.example", "type: technician", "first_name: A", "last_name: B", "roles:"), []string{
			`f.yaml:7:11: roles must be a list; found nothing (null) (write [] for an empty list, or leave the key out)`,
		}},
		{"user not a mapping", "version: 1\nusers:\n  - alice@example.com\n", []string{
			`f.yaml:3:5: users[0] must be a mapping; found the string "alice@example.com"`,
		}},
		{"bad enums", "version: 1\nsettings:\n  unmanaged_users: delte\n  membership: strict\n  scope:\n    user_types: [technicians]\nroles:\n  - {name: R, type: admin}\n" +
			"users:\n  - {email: a@x.example, type: endUser, state: gone}\n", []string{
			`f.yaml:3:20: unmanaged_users "delte" is not valid: use ignore, report or delete; did you mean "delete"?`,
			`f.yaml:4:15: membership "strict" is not valid: use authoritative or additive`,
			`f.yaml:6:18: user_types[0] "technicians" is not valid: use technician or end_user; did you mean "technician"?`,
			`f.yaml:8:21: type "admin" is not valid: use technician or end_user`,
			`f.yaml:10:32: type "endUser" is not valid: use technician or end_user; did you mean "end_user"?`,
			`f.yaml:10:48: state "gone" is not valid: use present or absent`,
		}},
		{"duplicate email in any case", "version: 1\nusers:\n" +
			"  - {email: alice@example.com, state: absent}\n" +
			"  - {email: bob@example.com, state: absent}\n" +
			"  - {email: Alice@Example.COM, state: absent}\n", []string{
			`f.yaml:5:13: duplicate email "Alice@Example.COM" (emails are compared case-insensitively): first listed at line 3 as "alice@example.com"`,
		}},
		{"bad emails", "version: 1\nusers:\n" +
			"  - {email: bob, state: absent}\n" +
			"  - {email: bob@, state: absent}\n" +
			"  - {email: \"@x.example\", state: absent}\n" +
			"  - {email: a b@x.example, state: absent}\n" +
			"  - {email: \"Bob <bob@x.example>\", state: absent}\n" +
			"  - {email: a@b@x.example, state: absent}\n" +
			"  - {email: a@localhost, state: absent}\n" +
			"  - {email: \"\", state: absent}\n" +
			"  - {email: \"c@x.example \", state: absent}\n" +
			"  - {state: absent}\n", []string{
			`f.yaml:3:13: email "bob" is not a valid email address (want name@domain.tld)`,
			`f.yaml:4:13: email "bob@" is not a valid email address (want name@domain.tld)`,
			`f.yaml:5:13: email "@x.example" is not a valid email address (want name@domain.tld)`,
			`f.yaml:6:13: email "a b@x.example" is not a valid email address (want name@domain.tld)`,
			`f.yaml:7:13: email "Bob <bob@x.example>" is not a valid email address (want name@domain.tld)`,
			`f.yaml:8:13: email "a@b@x.example" is not a valid email address (want name@domain.tld)`,
			`f.yaml:9:13: email "a@localhost" is not a valid email address (want name@domain.tld)`,
			`f.yaml:10:13: email "" is empty`,
			`f.yaml:11:13: email "c@x.example " has leading or trailing spaces; remove them`,
			`f.yaml:12:5: missing required key "email" in a user`,
		}},
		{"names", user("email: a@x.example", "type: technician", "first_name: \"\"", "last_name: "+long), []string{
			`f.yaml:5:17: first_name is empty`,
			`f.yaml:6:16: last_name is 151 characters long; the limit is 150`,
		}},
		{"present user without type and names", user("email: a@x.example"), []string{
			`f.yaml:3:5: user "a@x.example" has no first_name (required unless state: absent)`,
			`f.yaml:3:5: user "a@x.example" has no last_name (required unless state: absent)`,
			`f.yaml:3:5: user "a@x.example" has no type (required unless state: absent)`,
		}},
		{"end user organization", "version: 1\nusers:\n" +
			"  - {email: a@x.example, type: end_user, first_name: A, last_name: A}\n" +
			"  - {email: b@x.example, type: end_user, first_name: B, last_name: B, organization: Acme, organization_id: 4}\n" +
			"  - {email: c@x.example, type: end_user, first_name: C, last_name: C, organization_id: 0}\n", []string{
			`f.yaml:3:5: end user "a@x.example" has no organization: give organization (a name) or organization_id`,
			`f.yaml:4:91: end user "b@x.example" has both organization and organization_id: keep one`,
			`f.yaml:5:88: organization_id must be between 1 and 2147483647; found 0`,
		}},
		{"technician with end user keys", user("email: a@x.example", "type: technician", "first_name: A", "last_name: B",
			"organization: Acme", "organization_id: 3", "full_portal_access: true", "send_invitation: true"), []string{
			`f.yaml:7:5: organization applies only to end users; user "a@x.example" is a technician`,
			`f.yaml:8:5: organization_id applies only to end users; user "a@x.example" is a technician`,
			`f.yaml:9:5: full_portal_access applies only to end users; user "a@x.example" is a technician`,
			`f.yaml:10:5: send_invitation applies only to end users; user "a@x.example" is a technician`,
		}},
		{"role listed twice", user("email: a@x.example", "type: technician", "first_name: A", "last_name: B", "roles: [Helpdesk, Tier 2, Helpdesk]"), []string{
			`f.yaml:7:31: roles[2] "Helpdesk" is listed twice in roles (first at line 7, column 13)`,
		}},
		{"role declared twice", "version: 1\nroles:\n  - {name: Helpdesk, type: technician}\n  - {name: Helpdesk, type: end_user}\n  - name: Helpdesk\n    type: technician\n  - type: end_user\n", []string{
			`f.yaml:5:5: role "Helpdesk" (technician) is declared twice (first at line 3, column 5)`,
			`f.yaml:7:5: missing required key "name" in a role`,
		}},
		{"protected patterns", "version: 1\nsettings:\n  protected: [\"[a-\", \"\", \"*@vendor.example\", \"a\\\\\"]\n", []string{
			`f.yaml:3:15: protected[0] "[a-" is not a valid pattern: use * for any run of characters, ? for one, [abc] or [a-z] for a class (and \ to escape)`,
			`f.yaml:3:22: protected[1] is empty`,
			`f.yaml:3:46: protected[3] "a\\" is not a valid pattern: use * for any run of characters, ? for one, [abc] or [a-z] for a class (and \ to escape)`,
		}},
		{"absent user with other keys", user("email: a@x.example", "state: absent", "first_name: A", "roles: []"), []string{
			`f.yaml:5:5: first_name does not apply to a user with state: absent (user "a@x.example" is deleted if it exists); an absent user takes only email and state`,
			`f.yaml:6:5: roles does not apply to a user with state: absent (user "a@x.example" is deleted if it exists); an absent user takes only email and state`,
		}},
		{"guard ranges", "version: 1\nsettings:\n  max_deletions: -1\n  max_removal_percent: 100.5\n", []string{
			`f.yaml:3:18: max_deletions must be 0 or more; found -1`,
			`f.yaml:4:24: max_removal_percent must be between 0 and 100; found 100.5`,
		}},
		{"not a finite number", "version: 1\nsettings:\n  max_removal_percent: .nan\n", []string{
			`f.yaml:3:24: max_removal_percent must be a finite number; found .nan`,
		}},
		{"scope", "version: 1\nsettings:\n  scope:\n    email_domains: [\"@example.com\", example, example.com, example.com]\n    organizations: [\"\"]\n    users: all\n", []string{
			`f.yaml:4:21: email_domains[0] "@example.com" is not a domain: write it without the @, e.g. example.com`,
			`f.yaml:4:37: email_domains[1] "example" is not a domain name like example.com`,
			`f.yaml:4:59: email_domains[3] "example.com" is listed twice in email_domains (first at line 4, column 46)`,
			`f.yaml:5:21: organizations[0] is empty`,
			`f.yaml:6:5: unknown key "users" in settings.scope (allowed: user_types, email_domains, organizations)`,
		}},
		{"empty file", "", []string{`f.yaml:1:1: the file is empty: it needs at least "version: 1"`}},
		{"only comments", "# nothing here\n\n   \n", []string{`f.yaml:1:1: the file is empty: it needs at least "version: 1"`}},
		{"null document", "~\n", []string{`f.yaml:1:1: the document is empty: it needs at least "version: 1"`}},
		{"a list", "- version: 1\n", []string{`f.yaml:1:1: the file must be a mapping with the keys version, settings, roles and users; found a list`}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{
			`f.yaml:2:1: a second YAML document starts here: a desired-state file holds exactly one (remove the --- or ... line)`,
		}},
		{"anchors and aliases", "version: 1\nroles:\n  - &r {name: R, type: technician}\n  - *r\n", []string{
			`f.yaml:3:5: anchors (&r) are not supported: write each value out in full`,
			`f.yaml:4:5: aliases (*r) are not supported: write the value out in full`,
		}},
		{"merge key", "version: 1\nusers:\n  - <<: {type: technician}\n    email: a@x.example\n    state: absent\n", []string{
			`f.yaml:3:5: merge keys (<<) are not supported in a user: write each key out`,
		}},
		{"key that is not a name", "version: 1\n[a]: b\n", []string{
			`f.yaml:2:1: a key must be a plain name; found a list used as a key at the top level`,
		}},
		{"tab", "version: 1\nsettings:\n\tmembership: additive\n", []string{
			`f.yaml:3:1: a tab character: YAML indents with spaces only (found character that cannot start any token)`,
		}},
		{"syntax error", "version: 1\nusers:\n  - email: \"a@x.example\n", []string{
			`f.yaml:4:1: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar that starts at line 3, column 12)`,
		}},
		{"bad indentation", "version: 1\nsettings:\n  membership: additive\n scope: {}\n", []string{
			`f.yaml:4:2: YAML syntax error: did not find expected key (while parsing a block mapping that starts at line 1, column 1)`,
		}},
		{"not UTF-8", "version: 1\nusers: [\"caf\xe9\"]\n", []string{
			`f.yaml:2:13: the file is not valid UTF-8 (byte 0xE9): save it as UTF-8`,
		}},
		{"UTF-16", "\xff\xfev\x00", []string{
			`f.yaml:1:1: the file is not valid UTF-8 (byte 0xFF) (it looks like UTF-16): save it as UTF-8`,
		}},
		{"control character", "version: 1\nusers:\x07 []\n", []string{
			`f.yaml:2:7: control character U+0007 is not allowed in a YAML file; remove it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := loadEveryWay(t, "f.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Load succeeded (%d users); want errors", len(d.Users))
			}
			if d != nil {
				t.Errorf("Load returned a Desired with its error")
			}
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("error is %T, want Diagnostics", err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if err.Error() != strings.Join(got, "\n") {
				t.Errorf("Error() is not the diagnostics, one per line:\n%s", err)
			}
		})
	}
}

func TestLoadTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nusers:\n")
	for range MaxDiagnostics + 500 {
		b.WriteString("  - {email: nobody, state: absent}\n")
	}
	_, err := loadEveryWay(t, "f.yaml", []byte(b.String()))
	var ds Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("got %v, want Diagnostics", err)
	}
	if len(ds) != MaxDiagnostics+1 {
		t.Fatalf("got %d diagnostics, want %d and a last line", len(ds), MaxDiagnostics+1)
	}
	if got, want := ds[0].String(), `f.yaml:3:13: email "nobody" is not a valid email address (want name@domain.tld)`; got != want {
		t.Errorf("first diagnostic %q, want %q", got, want)
	}
	if got, want := ds[len(ds)-1].String(), "f.yaml: too many errors: 500 more not shown (fix the ones above and run again)"; got != want {
		t.Errorf("last diagnostic %q, want %q", got, want)
	}
}

func TestLoadTooLarge(t *testing.T) {
	data := make([]byte, MaxFileSize+1)
	_, err := Load("big.yaml", data)
	want := "big.yaml: the file is 64.0 MiB (67108865 bytes); the limit is 64 MiB (67108864 bytes), several times the size of a 100,000-user file"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if got, want := TooLarge("<stdin>", -1).Error(), "<stdin>: the file is more than 64 MiB; the limit is 64 MiB (67108864 bytes), several times the size of a 100,000-user file"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
