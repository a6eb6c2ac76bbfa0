package plan

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzLoad feeds Load anything. Its seed corpus (testdata/fuzz/FuzzLoad:
// an alias bomb, deep nesting, duplicate keys, binary junk, tabs, a second
// document, huge scalars...) runs in the normal test suite. Load must
// never panic, must give the same answer twice, must give the same answer
// whichever way it reads the file (split or whole, fast chunk parser or
// yaml.v3), and what it returns must be well formed.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := loadEveryWay(t, "f.yaml", data)
		again, err2 := Load("f.yaml", data)
		if errString(err) != errString(err2) || !cmp.Equal(got, again) {
			t.Fatalf("Load is not deterministic")
		}
		if err != nil {
			checkDiagnostics(t, err)
			return
		}
		checkDesired(t, got)
	})
}

// checkDiagnostics checks the shape of a Load error: sorted diagnostics of
// this file, each with a place (but a file-wide one or the last count),
// at most MaxDiagnostics of them, and one line each.
func checkDiagnostics(t *testing.T, err error) {
	t.Helper()
	checkDiagnosticsOf(t, "f.yaml", err)
}

func checkDiagnosticsOf(t *testing.T, path string, err error) {
	t.Helper()
	var ds Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("error %T is not Diagnostics: %v", err, err)
	}
	if len(ds) == 0 || len(ds) > MaxDiagnostics+1 {
		t.Fatalf("%d diagnostics", len(ds))
	}
	if !slices.IsSortedFunc(ds[:len(ds)-1], func(a, b Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	}) {
		t.Errorf("diagnostics are not sorted:\n%s", err)
	}
	for _, d := range ds {
		if d.Path != path || d.Msg == "" || strings.ContainsAny(d.Msg, "\n\r") || (d.Line > 0) != (d.Col > 0) {
			t.Errorf("malformed diagnostic %#v", d)
		}
		if len(d.Msg) > 600 {
			t.Errorf("diagnostic of %d bytes: %.200s...", len(d.Msg), d.Msg)
		}
	}
}

// checkDesired checks what every loaded file promises: defaults filled,
// positions for every entry, the rules between keys.
func checkDesired(t *testing.T, d *Desired) {
	t.Helper()
	s := d.Settings
	if d.Version != 1 || s.UnmanagedUsers == "" || s.Membership == "" || len(s.Scope.UserTypes) == 0 ||
		s.MaxDeletions == nil || s.MaxRemovalPercent == nil {
		t.Fatalf("defaults missing: %+v", d)
	}
	emails := map[string]bool{}
	for _, u := range d.Users {
		if _, ok := u.At.Lookup(""); !ok || u.At.Get("email").Line == 0 {
			t.Errorf("user %q has no positions: %v", u.Email, u.At)
		}
		if emails[strings.ToLower(u.Email)] {
			t.Errorf("duplicate email %q loaded", u.Email)
		}
		emails[strings.ToLower(u.Email)] = true
		switch u.State {
		case Present:
			if u.Type == "" || u.FirstName == "" || u.LastName == "" {
				t.Errorf("present user %q lacks type or names", u.Email)
			}
			if u.Type == EndUserUser && (u.Organization == "") == (u.OrganizationID == 0) {
				t.Errorf("end user %q: organization %q, organization_id %d", u.Email, u.Organization, u.OrganizationID)
			}
		case Absent:
			if u.Type != "" || u.FirstName != "" || u.Roles != nil {
				t.Errorf("absent user %q has other keys", u.Email)
			}
		default:
			t.Errorf("user %q has state %q", u.Email, u.State)
		}
		for i := range u.Roles {
			if _, ok := u.At.Lookup(itemKey("roles", i)); !ok {
				t.Errorf("user %q: no position for roles[%d]", u.Email, i)
			}
		}
	}
	for _, r := range d.Roles {
		if r.Name == "" || r.Type == "" || r.At.Get("").Line == 0 {
			t.Errorf("role %+v", r)
		}
	}
}

func itemKey(key string, i int) string { return label(key, i) }

// TestLoadHostile checks the inputs a fuzzer would find first get a clear
// answer (the fuzz seeds run them again, for panics and agreement).
func TestLoadHostile(t *testing.T) {
	bomb := "version: 1\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		bomb += "lol" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" +
			strings.TrimSuffix(strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9), ", ") + "]\n"
	}
	bomb += "users: *a9\n"
	tests := []struct {
		name string
		src  string
		want []string // substrings of the error, in order
	}{
		{"alias bomb", bomb, []string{
			`f.yaml:2:1: unknown key "lol0" at the top level`,
			`f.yaml:2:7: anchors (&a0) are not supported: write each value out in full`,
			`f.yaml:3:12: aliases (*a0) are not supported: write the value out in full`,
			`f.yaml:12:8: aliases (*a9) are not supported: write the value out in full`,
		}},
		{"deep nesting", "version: 1\nsettings: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n", []string{
			`f.yaml:2:`, `YAML syntax error: exceeded max depth of 10000`,
		}},
		{"deep nesting within the limit", "version: 1\nsettings: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n", []string{
			`f.yaml:2:11: settings must be a mapping; found a list`,
		}},
		{"huge scalar", "version: 1\nusers:\n  - email: a@x.example\n    type: technician\n    first_name: " + strings.Repeat("x", 2<<20) + "\n    last_name: Y\n", []string{
			`f.yaml:5:17: first_name is 2097152 characters long; the limit is 150`,
		}},
		{"long unknown key", "version: 1\n" + strings.Repeat("k", 1000) + ": v\n", []string{
			`f.yaml:2:1: unknown key "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"... at the top level`,
		}},
		{"huge key", "version: 1\n" + strings.Repeat("k", 1<<20) + ": v\n", []string{
			`f.yaml:2:1: YAML syntax error: could not find expected ':'`,
		}},
		{"binary junk", "version: 1\n\x00\x01\x02\xff", []string{
			`f.yaml:2:1: control character U+0000 is not allowed in a YAML file; remove it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadEveryWay(t, "f.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			checkDiagnostics(t, err)
			msg := err.Error()
			for _, w := range tt.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error lacks %q:\n%.2000s", w, msg)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}
