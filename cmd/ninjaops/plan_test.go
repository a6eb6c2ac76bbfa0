package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// The command's wiring (formats, exit codes, color, --out) tested in
// process against a minimal fake tenant; the scripts in testdata/script
// cover the same against the real sandbox.

func fakeTenant(t *testing.T) *httptest.Server { return fakeTenantFailing(t, "") }

// fakeTenantFailing answers 403 on the path fail.
func fakeTenantFailing(t *testing.T, fail string) *httptest.Server {
	t.Helper()
	live := ninjaone.Snapshot{
		Technicians: []ninjaone.User{{ID: 1, Email: "alice@example.com", FirstName: "Alice", LastName: "Smith", UserType: ninjaone.Technician}},
		EndUsers:    []ninjaone.User{},
		Roles: []ninjaone.Role{
			{ID: 10, Name: "Helpdesk", Type: ninjaone.Technician, Members: []ninjaone.RoleMember{{ID: 1}}},
			{ID: 11, Name: "Tier 2", Type: ninjaone.Technician, Members: []ninjaone.RoleMember{}},
		},
		Organizations: []ninjaone.Organization{{ID: 1, Name: "Acme"}},
	}
	mux := http.NewServeMux()
	reply := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(v)
		}
	}
	mux.HandleFunc("POST /ws/oauth/token", reply(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600, "scope": "monitoring management"}))
	mux.HandleFunc("GET /v2/user/technicians", reply(live.Technicians))
	mux.HandleFunc("GET /v2/user/end-users", reply(live.EndUsers))
	mux.HandleFunc("GET /v2/user/roles", reply(live.Roles))
	mux.HandleFunc("GET /v2/users", reply(append(live.Technicians, live.EndUsers...)))
	mux.HandleFunc("GET /v2/organizations", reply(live.Organizations))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"resultCode":"FORBIDDEN","errorMessage":"Access denied"}`))
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	fileNoChanges = `version: 1
settings: {unmanaged_users: ignore}
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith, roles: [Helpdesk]}
`
	fileChanges = `version: 1
users:
  - {email: alice@example.com, type: technician, first_name: Alicia, last_name: Smith, roles: [Helpdesk, Tier 2]}
  - {email: bob@example.com, type: technician, first_name: Bob, last_name: Jones}
`
	fileBadRole = `version: 1
users:
  - {email: alice@example.com, type: technician, first_name: Alice, last_name: Smith, roles: [Nope]}
`
)

type planRun struct {
	code           int
	stdout, stderr string
}

func runPlanCmd(t *testing.T, srv *httptest.Server, file string, tty bool, getenv map[string]string, args ...string) planRun {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "ninjaops.yaml")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, stdoutTTY: tty, getenv: func(k string) string { return getenv[k] }}
	full := append([]string{"ninjaops", "plan", "-f", path, "--base-url", srv.URL, "--client-id", "id", "--client-secret", "secret"}, args...)
	for i, a := range full {
		full[i] = strings.ReplaceAll(a, "$DIR", dir)
	}
	code := run(context.Background(), e, full)
	return planRun{code, out.String(), errb.String()}
}

func TestPlanCommandExitCodes(t *testing.T) {
	srv := fakeTenant(t)
	tests := []struct {
		name   string
		file   string
		args   []string
		code   int
		stdout string // a line the output must hold
		stderr string
	}{
		{"no changes", fileNoChanges, nil, 0, "No changes.", ""},
		{"no changes, detailed", fileNoChanges, []string{"--detailed-exitcode"}, 0, "No changes.", ""},
		{"changes", fileChanges, nil, 0, "Plan: 1 to create, 1 to update, 0 to delete, 1 membership to add, 0 to remove.", ""},
		{"changes, detailed: 2 with the plan printed", fileChanges, []string{"--detailed-exitcode"}, 2, `~ user["alice@example.com"]`, ""},
		{"changes, detailed, json", fileChanges, []string{"--detailed-exitcode", "-o", "json"}, 2, `"format_version": "1"`, ""},
		{"changes, detailed, markdown", fileChanges, []string{"--detailed-exitcode", "-o", "markdown"}, 2, "### ninjaops plan: 1 to create", ""},
		{"diff error, detailed: 1 not 2", fileBadRole, []string{"--detailed-exitcode"}, 1, "", `unknown role "Nope" of user "alice@example.com" (technician roles: "Helpdesk", "Tier 2")`},
		{"bad format", fileChanges, []string{"-o", "yaml", "--detailed-exitcode"}, 1, "", `-o "yaml": want text, json or markdown`},
		{"missing file", fileChanges, []string{"-f", "$DIR/nope.yaml", "--detailed-exitcode"}, 1, "", "nope.yaml: no such file"},
		{"NinjaOne error, detailed: 1", fileChanges, []string{"--base-url", fakeTenantFailing(t, "/v2/user/roles").URL, "--detailed-exitcode"}, 1, "", "reading NinjaOne"},
		{"unwritable --out: 1", fileChanges, []string{"--out", "$DIR/no/such/dir/plan.json", "--detailed-exitcode"}, 1, "", "saving the plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runPlanCmd(t, srv, tc.file, false, nil, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, r.stderr)
			}
			if tc.code == 1 && r.stdout != "" {
				t.Errorf("an error printed a plan:\n%s", r.stdout)
			}
			if strings.Contains(r.stdout+r.stderr, "secret") && !strings.Contains(tc.name, "secret") {
				t.Errorf("the client secret reached the output")
			}
		})
	}
}

func TestPlanCommandJSONIsThePlan(t *testing.T) {
	r := runPlanCmd(t, fakeTenant(t), fileChanges, false, nil, "-o", "json")
	var p plan.Plan
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("stdout is not a plan: %v\n%s", err, r.stdout)
	}
	want := plan.Summary{Create: 1, Update: 1, Add: 1}
	if diff := cmp.Diff(want, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestPlanCommandOut(t *testing.T) {
	srv := fakeTenant(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "plan.json")
	r := runPlanCmd(t, srv, fileChanges, false, nil, "--out", out, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := plan.ReadPlanFile(data)
	if err != nil {
		t.Fatalf("saved plan refused: %v", err)
	}
	var printed plan.Plan
	if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&printed, sp.Plan); diff != "" {
		t.Errorf("saved plan differs from the printed one (-printed +saved):\n%s", diff)
	}
	u, _ := url.Parse(srv.URL)
	// The host, and a digest of it with the client id: the tenant, without a secret.
	wantTarget := u.Host + " client:" + tenantDigest(u.Host, "id")
	if sp.Target != wantTarget || string(sp.Desired.Source) != fileChanges || !strings.HasSuffix(sp.Desired.Path, "ninjaops.yaml") {
		t.Errorf("target %q (want %q), desired %q %q", sp.Target, wantTarget, sp.Desired.Path, sp.Desired.Source)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if !strings.Contains(r.stderr, "ninjaops apply "+out) {
		t.Errorf("stderr does not say how to apply: %s", r.stderr)
	}
}

func TestPlanCommandColor(t *testing.T) {
	srv := fakeTenant(t)
	tests := []struct {
		name  string
		tty   bool
		env   map[string]string
		args  []string
		color bool
	}{
		{"terminal", true, nil, nil, true},
		{"not a terminal", false, nil, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"--no-color", true, nil, []string{"--no-color"}, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"json on a terminal", true, nil, []string{"-o", "json"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runPlanCmd(t, srv, fileChanges, tc.tty, tc.env, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if got := strings.Contains(r.stdout, "\x1b["); got != tc.color {
				t.Errorf("color = %v, want %v:\n%q", got, tc.color, r.stdout)
			}
		})
	}
}

// The quickstart file must keep showing every kind of change against the
// quickstart sandbox: README's first command depends on it.
func TestQuickstartPlan(t *testing.T) {
	if inProcessSandbox == nil {
		t.Skip("this build has no built-in sandbox")
	}
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	state := filepath.Join(t.TempDir(), "sandbox.json")
	code := run(context.Background(), e, []string{"ninjaops", "plan", "--sandbox", "--sandbox-state", state,
		"-f", filepath.Join("..", "..", "examples", "quickstart", "ninjaops.yaml"), "-o", "json"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var p plan.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plan.Summary{Create: 2, Update: 2, Delete: 1, Add: 5, Remove: 2}, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if len(p.Warnings) != 3 || len(p.Unmanaged) != 2 {
		t.Errorf("warnings %q, unmanaged %q; want 3 and 2", p.Warnings, p.Unmanaged)
	}
}
