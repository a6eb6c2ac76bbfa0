package sandbox_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// Another of ninjaops' files given as a tenant is one line saying what it
// is, not an error for each of its keys; a desired-state file with a
// tenant beside it names that tenant.
func TestNotATenant(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"desired.yaml", "version: 1\nsettings:\n  unmanaged_users: report\nusers:\n  - email: a@example.com\n    type: technician\n    first_name: A\n    last_name: B\n",
			"desired.yaml is a desired-state file (ninjaops.yaml), not a sandbox tenant: "},
		{"desired.yaml", "version: 1\nroles:\n  - name: Helpdesk\n    type: technician\n", "desired.yaml is a desired-state file (ninjaops.yaml), not a sandbox tenant: "},
		{"plan.json", `{"format_version": 1, "plan": {"changes": []}}`, "plan.json is a saved plan (ninjaops plan --out), not a sandbox tenant: "},
		{"report.json", `{"format_version": 1, "outcome": "applied"}`, "report.json is an apply report (ninjaops apply --report), not a sandbox tenant: "},
	} {
		_, err := sandbox.ParseTenant(tc.name, []byte(tc.data))
		var nt *sandbox.NotTenantError
		if !errors.As(err, &nt) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line starting %q", tc.name, err, tc.want)
		}
	}

	// A tenant with a mistake is still told its mistakes, line by line.
	_, err := sandbox.ParseTenant("seed.yaml", []byte("organizations: []\nusers:\n  - {id: 1, email: a@example.com, userType: TECHNICIAN, first_name: A}\n"))
	var nt *sandbox.NotTenantError
	if err == nil || errors.As(err, &nt) || !strings.Contains(err.Error(), "seed.yaml:3:") {
		t.Errorf("a tenant with an unknown key: err = %v, want its line", err)
	}

	// The examples keep their tenant beside their desired-state file.
	dir := t.TempDir()
	desired := filepath.Join(dir, "ninjaops.yaml")
	write(t, desired, "version: 1\nusers: []\n")
	_, err = sandbox.LoadTenant(desired)
	if err == nil || strings.Contains(err.Error(), "beside") {
		t.Errorf("no tenant beside: err = %v, want no hint", err)
	}
	write(t, filepath.Join(dir, "sandbox.yaml"), "users: []\n")
	_, err = sandbox.LoadTenant(desired)
	if want := "; the tenant beside it is " + filepath.Join(dir, "sandbox.yaml"); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("a tenant beside: err = %v, want it to end %q", err, want)
	}
}

// The state is rewritten as JSON as the sandbox runs, so a state path
// that holds YAML or is named as YAML is refused, and left as it was,
// with no journal made beside it.
func TestStateIsNeverYAML(t *testing.T) {
	dir := t.TempDir()
	yamlSeed := "organizations: []\nroles: []\nusers:\n  - {id: 1, email: a@example.com, userType: TECHNICIAN}\n"
	for _, path := range []string{
		filepath.Join(dir, "seed.yaml"),  // a seed given as the state
		filepath.Join(dir, "new.yml"),    // a new one named as YAML
		filepath.Join(dir, "state.json"), // YAML in a .json
		filepath.Join(dir, "STATE.YAML"), // any case
		filepath.Join(dir, "state"),      // YAML without an extension
	} {
		if !strings.HasSuffix(path, "new.yml") {
			write(t, path, yamlSeed)
		}
		_, err := sandbox.New(sandbox.Options{Seed: seed(t), StatePath: path})
		if !errors.Is(err, sandbox.ErrStateYAML) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want ErrStateYAML naming it", path, err)
		}
		if data, _ := os.ReadFile(path); !strings.HasSuffix(path, "new.yml") && string(data) != yamlSeed {
			t.Errorf("%s was changed:\n%s", path, data)
		}
		if _, err := os.Stat(path); strings.HasSuffix(path, "new.yml") && err == nil {
			t.Errorf("%s was created", path)
		}
		if _, err := os.Stat(sandbox.JournalPath(path)); err == nil {
			t.Errorf("a journal was made beside %s", path)
		}
	}
}

// A new state records the seed it was built from; a later start says
// where its tenant came from, and a caller that insists on a seed is
// refused a state built from another one.
func TestStateRecordsItsSeed(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	a := sandbox.SeedInfo{Name: "a.yaml", Digest: sandbox.SeedDigest([]byte("a"))}
	b := sandbox.SeedInfo{Name: "b.yaml", Digest: sandbox.SeedDigest([]byte("b"))}
	start := func(s sandbox.SeedInfo, check bool) (sandbox.Origin, error) {
		t.Helper()
		srv, err := sandbox.New(sandbox.Options{Seed: seed(t), StatePath: state, SeedName: s.Name, SeedDigest: s.Digest, CheckSeed: check})
		if err != nil {
			return sandbox.Origin{}, err
		}
		defer srv.Close()
		return srv.Origin(), nil
	}

	o, err := start(a, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sandbox.Origin{State: state, Existed: false, Seed: &a}, o); diff != "" {
		t.Errorf("new state (-want +got):\n%s", diff)
	}
	// Started again with another seed, not insisted on: the state's own.
	o, err = start(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sandbox.Origin{State: state, Existed: true, Seed: &a}, o); diff != "" {
		t.Errorf("existing state (-want +got):\n%s", diff)
	}
	// Insisted on: refused, and the state is still a's.
	_, err = start(b, true)
	var mismatch *sandbox.SeedMismatchError
	if !errors.As(err, &mismatch) || err.Error() != "sandbox: state "+state+" was built from a.yaml, not from b.yaml" {
		t.Errorf("another seed insisted on: err = %v", err)
	}
	// The same name with another content.
	_, err = start(sandbox.SeedInfo{Name: "a.yaml", Digest: b.Digest}, true)
	if err == nil || !strings.Contains(err.Error(), "earlier content of a.yaml") {
		t.Errorf("a changed seed insisted on: err = %v", err)
	}
	if _, err = start(a, true); err != nil {
		t.Errorf("the same seed: %v", err)
	}

	// A state that records no seed (written before states did, or by
	// hand) is served, and refused to a caller that insists on one.
	old := filepath.Join(t.TempDir(), "old.json")
	write(t, old, `{"organizations": [], "roles": [], "users": [{"id": 1, "email": "a@example.com", "userType": "TECHNICIAN"}]}`)
	srv, err := sandbox.New(sandbox.Options{StatePath: old, SeedName: a.Name, SeedDigest: a.Digest})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sandbox.Origin{State: old, Existed: true}, srv.Origin()); diff != "" {
		t.Errorf("a state without its seed (-want +got):\n%s", diff)
	}
	srv.Close()
	_, err = sandbox.New(sandbox.Options{StatePath: old, SeedName: a.Name, SeedDigest: a.Digest, CheckSeed: true})
	if err == nil || !strings.Contains(err.Error(), "does not say which seed it was built from") {
		t.Errorf("a state without its seed, insisted on: err = %v", err)
	}

	// In memory, the seed is the caller's.
	mem, err := sandbox.New(sandbox.Options{Seed: seed(t), SeedName: a.Name, SeedDigest: a.Digest})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if diff := cmp.Diff(sandbox.Origin{Seed: &a}, mem.Origin()); diff != "" {
		t.Errorf("in memory (-want +got):\n%s", diff)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
