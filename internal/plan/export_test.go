package plan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

var exportTestTime = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func awkwardSnapshot(t testing.TB) *ninjaone.Snapshot {
	t.Helper()
	tn, err := sandbox.LoadTenant(filepath.Join("testdata", "export", "awkward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tenantSnapshot(tn)
}

// The awkward tenant's export, byte for byte, and what it warns about.
func TestExportAwkwardGolden(t *testing.T) {
	var warnings []string
	got, err := Export(awkwardSnapshot(t), ExportOptions{
		Source: "eu.ninjarmm.com", Time: exportTestTime, SchemaURL: "ninjaops.schema.json",
		Warn: func(s string) { warnings = append(warnings, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "export/awkward.golden.yaml", got)

	shared := "2 users share this email (compared case-insensitively) and the file identifies users by email; delete or rename all but one in NinjaOne"
	wantWarnings := []string{
		`technician id 11 ("Bad Email <bad@example.com>") left out: the email is not a valid email address (want name@domain.tld)`,
		`technician id 6 ("dana@example.com"): roles left out, so the file does not manage them: 2 technician roles are named "Dup"`,
		`technician id 10 ("nameless@example.com") left out: first_name is empty in NinjaOne and the file requires one`,
		`technician id 8 ("Same@example.com") left out: ` + shared,
		`technician id 9 ("same@EXAMPLE.com") left out: ` + shared,
		`technician id 107 ("shared@acme.example") left out: ` + shared,
		`end_user id 108 ("Shared@Acme.Example") left out: ` + shared,
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// The same tenant gives the same bytes, whatever order NinjaOne lists
// users, roles, members and organizations in.
func TestExportStable(t *testing.T) {
	for _, tc := range []struct {
		name string
		live func() *ninjaone.Snapshot
	}{
		{"awkward", func() *ninjaone.Snapshot { return awkwardSnapshot(t) }},
		{"generated", func() *ninjaone.Snapshot { return tenantSnapshot(sandbox.Generate(2000, 50, 4000, 20, 7)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := ExportOptions{Source: "host", Time: exportTestTime}
			first, err := Export(tc.live(), opts)
			if err != nil {
				t.Fatal(err)
			}
			for seed := range uint64(3) {
				live := tc.live()
				rng := rand.New(rand.NewPCG(seed, 1))
				shuffle(rng, live.Technicians)
				shuffle(rng, live.EndUsers)
				shuffle(rng, live.Roles)
				shuffle(rng, live.Organizations)
				for i := range live.Roles {
					shuffle(rng, live.Roles[i].Members)
				}
				again, err := Export(live, opts)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first, again) {
					t.Fatalf("shuffle %d changed the export:\n%s", seed, cmp.Diff(string(first), string(again)))
				}
			}
		})
	}
}

// Users are encoded in batches; the batch size must not change a byte.
func TestExportBatches(t *testing.T) {
	live := tenantSnapshot(sandbox.Generate(300, 20, 900, 5, 3))
	want, err := Export(live, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { exportBatch = n }(exportBatch)
	for _, n := range []int{1, 2, 7, 299, 300, 301} {
		exportBatch = n
		got, err := Export(live, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("batches of %d change the export:\n%s", n, cmp.Diff(string(want), string(got)))
		}
	}
}

func shuffle[T any](rng *rand.Rand, s []T) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// Every string from the tenant comes back exactly, however it has to be
// quoted, and stays on one line.
func TestExportStrings(t *testing.T) {
	awkward := []string{
		"plain", "O'Brien", `"quoted"`, "'single'", "a: b", "a:b", "x #y", "#x", " lead", "trail ", "  ",
		"yes", "No", "ON", "off", "y", "N", "true", "False", "null", "NULL", "~", "",
		"123", "0123", "1e3", "0x1F", "0o17", "1_000", "+1", "-1", ".5", ".inf", "-.Inf", ".NaN", "1:20", "2001-01-01", "2001-01-01T10:00:00Z",
		"<<", "=", "*alias", "&anchor", "!tag", "%dir", "@at", "`tick", "|pipe", ">fold", "?q", "- dash", "-dash", "[x", "x]", "{x", "x}", "a, b", "a,b",
		"Zoë", "Ñúñez", "日本語", "☃", "😀 emoji", "e\u0301", "\u00a0nbsp", "x\u00a0y", "\ufeffbom", "tab\there", "new\nline", "cr\rlf", "nel\u0085x", "ls\u2028x", "ps\u2029x",
		"back\\slash", `C:\path`, "bidi marks \u200e\u200f", strings.Repeat("long name ", 14) + "end",
	}
	for _, s := range awkward {
		t.Run(strings.ToValidUTF8(s, "?"), func(t *testing.T) {
			name := s
			if name == "" {
				name = "x" // names cannot be empty; org and role names are checked below
			}
			live := &ninjaone.Snapshot{
				Technicians: []ninjaone.User{{ID: 1, Email: "t@example.com", FirstName: name, LastName: name, Phone: s, UserType: ninjaone.Technician, Enabled: true}},
				EndUsers:    []ninjaone.User{{ID: 2, Email: "e@example.com", FirstName: name, LastName: name, UserType: ninjaone.EndUser, OrganizationID: 7, Enabled: true}},
				Roles: []ninjaone.Role{
					{ID: 1, Name: name, Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 1}}},
					{ID: 2, Name: "other", Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 1}}},
				},
				Organizations: []ninjaone.Organization{{ID: 7, Name: name}},
			}
			data, err := Export(live, ExportOptions{Organizations: []string{name}, EmailDomains: []string{"example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			d := loadExport(t, data)
			if len(d.Users) != 2 {
				t.Fatalf("%d users, want 2:\n%s", len(d.Users), data)
			}
			tech, end := d.Users[1], d.Users[0]
			got := []string{tech.FirstName, tech.LastName, tech.Phone, end.FirstName, end.LastName, end.Organization, d.Settings.Scope.Organizations[0]}
			want := []string{name, name, s, name, name, name, name}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("values after the round trip (-want +got):\n%s\n%s", diff, data)
			}
			wantRoles := []string{name, "other"}
			slices.Sort(wantRoles)
			if diff := cmp.Diff(wantRoles, tech.Roles); diff != "" {
				t.Errorf("roles after the round trip (-want +got):\n%s", diff)
			}
			// One line per key: the loader's fast path reads that, and a
			// reviewer's diff stays one line per change.
			for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
				if line != "" && !strings.HasPrefix(strings.TrimSpace(line), "#") && !oneLineKey.MatchString(line) {
					t.Errorf("line %q is not one key and its value:\n%s", line, data)
				}
			}
		})
	}
}

// Strings the file refuses (controls a YAML file may not hold raw, bidi
// overrides; invisible characters in emails) are never exported: the
// user is left out, its roles are not managed, or its organization is
// named by id, and the export always loads.
func TestExportRefusedStrings(t *testing.T) {
	for _, bad := range []string{"ctrl\x01\x1f", "del\x7f", "bell\a", "esc\x1b[2J", "csi\u009b", "rlo\u202eevil", "isolate\u2066x"} {
		t.Run(strings.ToValidUTF8(bad, "?"), func(t *testing.T) {
			live := &ninjaone.Snapshot{
				Technicians: []ninjaone.User{
					{ID: 1, Email: "name@example.com", FirstName: bad, LastName: "X", UserType: ninjaone.Technician, Enabled: true},
					{ID: 2, Email: "phone@example.com", FirstName: "P", LastName: "X", Phone: bad, UserType: ninjaone.Technician, Enabled: true},
					{ID: 3, Email: "role@example.com", FirstName: "R", LastName: "X", UserType: ninjaone.Technician, Enabled: true},
					{ID: 4, Email: "zw\u200bsp@example.com", FirstName: "Z", LastName: "X", UserType: ninjaone.Technician, Enabled: true},
				},
				EndUsers:      []ninjaone.User{{ID: 5, Email: "org@example.com", FirstName: "O", LastName: "X", UserType: ninjaone.EndUser, OrganizationID: 7, Enabled: true}},
				Roles:         []ninjaone.Role{{ID: 1, Name: bad, Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 3}}}},
				Organizations: []ninjaone.Organization{{ID: 7, Name: bad}},
			}
			var warnings []string
			data, err := Export(live, ExportOptions{Warn: func(s string) { warnings = append(warnings, s) }})
			if err != nil {
				t.Fatal(err)
			}
			d := loadExport(t, data)
			byEmail := map[string]UserSpec{}
			for _, u := range d.Users {
				byEmail[u.Email] = u
			}
			for _, gone := range []string{"name@example.com", "phone@example.com", "zw\u200bsp@example.com"} {
				if _, ok := byEmail[gone]; ok {
					t.Errorf("%q was exported:\n%s", gone, data)
				}
			}
			if u, ok := byEmail["role@example.com"]; !ok || u.Roles != nil {
				t.Errorf("role@example.com: exported %v with roles %q, want exported with roles not managed:\n%s", ok, u.Roles, data)
			}
			if u := byEmail["org@example.com"]; u.Organization != "" || u.OrganizationID != 7 {
				t.Errorf("org@example.com: organization %q, id %d; want id 7:\n%s", u.Organization, u.OrganizationID, data)
			}
			if !strings.Contains(strings.Join(warnings, "\n"), "which the file refuses") {
				t.Errorf("no warning says why:\n%s", strings.Join(warnings, "\n"))
			}
			if _, err := Export(live, ExportOptions{Organizations: []string{bad}}); err == nil || !strings.Contains(err.Error(), "which the file refuses") {
				t.Errorf("--organization %q: %v, want refused", bad, err)
			}
		})
	}
}

var oneLineKey = regexp.MustCompile(`^ *(- )?[a-z_]+:( [^ ].*)?$`)

func TestPlainSafe(t *testing.T) {
	for s, want := range map[string]bool{
		"Alice": true, "Tier 2": true, "O'Brien": true, "Zoë": true, "日本": true, "Read Only": true, "a.b@c.d": true, "Tom & Jerry": true,
		"": false, "yes": false, "Null": false, "1a": false, "+1 555": false, "a: b": false, "a #b": false, "trail ": false, " lead": false,
		"a,b": false, "x]": false, "a\tb": false, "\u00a0x": false, "e\u0301": true,
	} {
		if got := plainSafe(s); got != want {
			t.Errorf("plainSafe(%q) = %v, want %v", s, got, want)
		}
	}
}

// The filters select the users settings.scope selects and become it.
func TestExportFilters(t *testing.T) {
	live := awkwardSnapshot(t)
	tests := []struct {
		name   string
		opts   ExportOptions
		scope  Scope
		emails []string
	}{
		{"all", ExportOptions{}, Scope{UserTypes: []UserType{TechnicianUser, EndUserUser}},
			[]string{"dana@example.com", "digits@num.example", "line@twins.example", "nihon@kunde.example", "norole@example.com", "obrien@example.com",
				"plain@acme.example", "Root.Admin@Example.COM", "spaced@example.com", "truthy@twins.example", "y@yes.example", "yes@example.com", "ZOE@example.com"}},
		{"technicians", ExportOptions{UserTypes: []UserType{TechnicianUser}}, Scope{UserTypes: []UserType{TechnicianUser}},
			[]string{"dana@example.com", "norole@example.com", "obrien@example.com", "Root.Admin@Example.COM", "spaced@example.com", "yes@example.com", "ZOE@example.com"}},
		{"end users of two organizations", ExportOptions{UserTypes: []UserType{EndUserUser, EndUserUser}, Organizations: []string{"yes", "Müller & Söhne: GmbH"}},
			Scope{UserTypes: []UserType{EndUserUser}, Organizations: []string{"Müller & Söhne: GmbH", "yes"}},
			[]string{"nihon@kunde.example", "y@yes.example"}},
		{"an organization keeps the technicians", ExportOptions{Organizations: []string{"Acme"}},
			Scope{UserTypes: []UserType{TechnicianUser, EndUserUser}, Organizations: []string{"Acme"}},
			[]string{"dana@example.com", "norole@example.com", "obrien@example.com", "plain@acme.example", "Root.Admin@Example.COM", "spaced@example.com", "yes@example.com", "ZOE@example.com"}},
		{"domains, normalized", ExportOptions{EmailDomains: []string{"@Twins.Example", "yes.example", "twins.example"}},
			Scope{UserTypes: []UserType{TechnicianUser, EndUserUser}, EmailDomains: []string{"twins.example", "yes.example"}},
			[]string{"line@twins.example", "truthy@twins.example", "y@yes.example"}},
		{"nothing matches", ExportOptions{EmailDomains: []string{"nowhere.example"}},
			Scope{UserTypes: []UserType{TechnicianUser, EndUserUser}, EmailDomains: []string{"nowhere.example"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Export(live, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			d := loadExport(t, data)
			if diff := cmp.Diff(tt.scope, d.Settings.Scope, cmpIgnorePositions); diff != "" {
				t.Errorf("scope (-want +got):\n%s", diff)
			}
			var emails []string
			for _, u := range d.Users {
				emails = append(emails, u.Email)
			}
			if diff := cmp.Diff(tt.emails, emails); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			if d.Settings.UnmanagedUsers != UnmanagedReport || d.Settings.Membership != Authoritative {
				t.Errorf("settings %+v, want unmanaged_users report and membership authoritative", d.Settings)
			}
		})
	}
}

func TestExportFilterErrors(t *testing.T) {
	live := awkwardSnapshot(t)
	for _, tt := range []struct {
		opts ExportOptions
		want string
	}{
		{ExportOptions{Organizations: []string{"Nope"}}, `unknown organization "Nope" (organizations: "12345", "Acme", "Müller & Söhne: GmbH", "Twins", "yes")`},
		{ExportOptions{Organizations: []string{"Twins"}}, `organization name "Twins" is ambiguous: organizations 3, 4 share it`},
		{ExportOptions{EmailDomains: []string{"not a domain"}}, `email domain "not a domain" is not a domain name like example.com`},
		{ExportOptions{UserTypes: []UserType{"admin"}}, `user type "admin": want technician or end_user`},
	} {
		_, err := Export(live, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Export(%+v) = %v, want an error containing %q", tt.opts, err, tt.want)
		}
	}
}

// The header says when and from where, and ExportTime reads the time back.
func TestExportHeader(t *testing.T) {
	live := awkwardSnapshot(t)
	data, err := Export(live, ExportOptions{Source: "eu.ninjarmm.com\nversion: 2", Time: exportTestTime.Add(30 * time.Minute).In(time.FixedZone("X", 3600))})
	if err != nil {
		t.Fatal(err)
	}
	wantHead := "# Exported by ninjaops export from eu.ninjarmm.com version: 2 at 2026-03-01T10:30:00Z.\n"
	if !bytes.HasPrefix(data, []byte(wantHead)) {
		t.Errorf("header:\n%s\nwant it to begin with\n%s", data[:200], wantHead)
	}
	if got, ok := ExportTime(data); !ok || !got.Equal(exportTestTime.Add(30*time.Minute)) {
		t.Errorf("ExportTime = %v, %v", got, ok)
	}

	untimed, err := Export(live, ExportOptions{Source: "eu.ninjarmm.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(untimed, []byte("# Exported by ninjaops export from eu.ninjarmm.com.\n")) {
		t.Errorf("header without a time:\n%s", untimed[:200])
	}
	if _, ok := ExportTime(untimed); ok {
		t.Error("ExportTime found a time in a header without one")
	}
	if _, ok := ExportTime([]byte("version: 1\n")); ok {
		t.Error("ExportTime found a time in a file without a header")
	}
}

// cmpIgnorePositions leaves out where things stand in the file.
var cmpIgnorePositions = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "At"
}, cmp.Ignore())

// Live data the sandbox cannot even hold: each case is either left out
// with a warning or written without its roles, never written wrongly.
func TestExportInexpressible(t *testing.T) {
	long := strings.Repeat("x", 151)
	longEmail := "x" + strings.Repeat("ü", 64) + "@" + strings.Repeat("d", 181) + ".example" // 255 characters
	tech := func(id int32, email, first, last string) ninjaone.User {
		return ninjaone.User{ID: id, Email: email, FirstName: first, LastName: last, UserType: ninjaone.Technician, Enabled: true}
	}
	live := &ninjaone.Snapshot{
		Technicians: []ninjaone.User{
			tech(1, "ok@example.com", "Ok", "Fine"),
			tech(2, "cross@example.com", "Cross", "Type"),
			tech(3, "noname-role@example.com", "No", "Name"),
			tech(4, "long@example.com", long, "Long"),
			tech(5, " space@example.com", "Lead", "Space"),
			tech(6, "nolast@example.com", "No", ""),
			{ID: 7, Email: "odd@example.com", FirstName: "Odd", LastName: "Type", UserType: "ROBOT"},
			tech(8, "", "No", "Email"),
			// NinjaOne sets no length limit on emails; the file allows 254.
			tech(9, longEmail, "Long", "Email"),
		},
		EndUsers: []ninjaone.User{
			{ID: 10, Email: "noorg@example.com", FirstName: "No", LastName: "Org", UserType: ninjaone.EndUser},
			{ID: 11, Email: "goneorg@example.com", FirstName: "Gone", LastName: "Org", UserType: ninjaone.EndUser, OrganizationID: 99},
			{ID: 12, Email: "fine@example.com", FirstName: "Fine", LastName: "User", UserType: ninjaone.EndUser, OrganizationID: 1},
		},
		Roles: []ninjaone.Role{
			{ID: 1, Name: "Portal", Type: ninjaone.EndUser, Members: []ninjaone.RoleMember{{ID: 2}, {ID: 12}, {ID: 12}}},
			{ID: 2, Name: "", Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 3}}},
			{ID: 3, Name: "Helpdesk", Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 404}}},
		},
		Organizations: []ninjaone.Organization{{ID: 1, Name: "Acme"}},
	}
	var warnings []string
	data, err := Export(live, ExportOptions{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []string{
		`technician id 8 ("") left out: the email is empty`,
		`technician id 5 (" space@example.com") left out: the email has leading or trailing spaces; remove them`,
		`technician id 2 ("cross@example.com"): roles left out, so the file does not manage them: it is a member of end_user role "Portal" (id 1)`,
		`end_user id 11 ("goneorg@example.com") left out: organization id 99 is not among the organizations NinjaOne lists`,
		`technician id 4 ("long@example.com") left out: first_name is 151 characters long, over the file's limit of 150`,
		`technician id 6 ("nolast@example.com") left out: last_name is empty in NinjaOne and the file requires one`,
		`technician id 3 ("noname-role@example.com"): roles left out, so the file does not manage them: role id 2 has no name`,
		`end_user id 10 ("noorg@example.com") left out: the end user has no organization`,
		`ROBOT id 7 ("odd@example.com") left out: unknown user type "ROBOT"`,
		`technician id 9 ("` + longEmail + `") left out: the email is 255 characters long, over the file's limit of 254`,
	}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	d := loadExport(t, data)
	got := map[string][]string{}
	for _, u := range d.Users {
		got[u.Email] = u.Roles
	}
	want := map[string][]string{
		"cross@example.com": nil, "noname-role@example.com": nil,
		"ok@example.com": {"Helpdesk"}, "fine@example.com": {"Portal"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("users and roles (-want +got):\n%s\n%s", diff, data)
	}
	p, err := Diff(d, live)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 {
		t.Errorf("%d changes, want none: %+v", len(p.Changes), p.Changes)
	}
}

// A role listed without its members may hold any user of its type: the
// roles of those users are left out (not managed), with one warning, so
// that the file never declares an incomplete list of roles as complete.
func TestExportWithARoleOfUnknownMembership(t *testing.T) {
	live := &ninjaone.Snapshot{
		Technicians: []ninjaone.User{{ID: 1, Email: "a@example.com", FirstName: "A", LastName: "A", UserType: ninjaone.Technician}},
		EndUsers:    []ninjaone.User{{ID: 2, Email: "b@example.com", FirstName: "B", LastName: "B", UserType: ninjaone.EndUser, OrganizationID: 1}},
		Roles: []ninjaone.Role{
			{ID: 1, Name: "Helpdesk", Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 1}}},
			{ID: 2, Name: "Hidden", Type: ninjaone.Technician, MembersUnknown: true},
			{ID: 3, Name: "Portal", Type: ninjaone.EndUser, Members: []ninjaone.RoleMember{{ID: 2}}},
		},
		Organizations: []ninjaone.Organization{{ID: 1, Name: "Acme"}},
	}
	var warnings []string
	data, err := Export(live, ExportOptions{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`role "Hidden" (id 2) was listed without its members, so who holds it is unknown: the roles of every technician are left out, so the file does not manage them`}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if !bytes.Contains(data, []byte(`Roles left out, so not managed: role "Hidden" (id 2) was listed without its members.`)) {
		t.Errorf("no note on the technician:\n%s", data)
	}
	d := loadExport(t, data)
	got := map[string][]string{}
	for _, u := range d.Users {
		got[u.Email] = u.Roles
	}
	if diff := cmp.Diff(map[string][]string{"a@example.com": nil, "b@example.com": {"Portal"}}, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if p, err := Diff(d, live); err != nil || len(p.Changes) != 0 {
		t.Errorf("plan of the export: %v, %+v", err, p)
	}
}

// The exporter's copies of the loader's limits agree with the tags the
// loader and the schema read them from.
func TestExportLimitsMatchTags(t *testing.T) {
	typ := reflect.TypeOf(UserSpec{})
	for field, limit := range map[string]int{"Email": maxEmailLength, "FirstName": maxNameLength, "LastName": maxNameLength} {
		f, _ := typ.FieldByName(field)
		if want := fmt.Sprintf("maxLength=%d", limit); !strings.Contains(f.Tag.Get("jsonschema"), want) {
			t.Errorf("UserSpec.%s's jsonschema tag %q lacks %s", field, f.Tag.Get("jsonschema"), want)
		}
	}
}
