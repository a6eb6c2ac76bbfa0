package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// untrustedTenant is a fake NinjaOne whose token grants scope and whose
// roles are rolesJSON; it records every request that is not a read.
type untrustedTenant struct {
	srv    *httptest.Server
	mu     sync.Mutex
	writes []string
}

func newUntrustedTenant(t *testing.T, scope, rolesJSON string) *untrustedTenant {
	t.Helper()
	f := &untrustedTenant{}
	bodies := map[string]string{
		"/v2/user/technicians": `[{"id":1,"email":"alice@example.com","firstName":"Alice","lastName":"Smith"}]`,
		"/v2/user/end-users":   `[]`,
		"/v2/users":            `[{"id":1}]`,
		"/v2/user/roles":       rolesJSON,
		"/v2/organizations":    `[]`,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/ws/oauth/token" {
			w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600,"scope":"` + scope + `"}`))
			return
		}
		if r.Method != http.MethodGet {
			f.mu.Lock()
			f.writes = append(f.writes, r.Method+" "+r.URL.Path)
			f.mu.Unlock()
			w.Write([]byte(`{"id":2}`))
			return
		}
		w.Write([]byte(bodies[r.URL.Path]))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *untrustedTenant) run(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	// The connection comes from the environment, which every command
	// reads the same way (on baton commands --client-id is ConductorOne's).
	vars := map[string]string{"NINJAONE_BASE_URL": f.srv.URL, "NINJAONE_CLIENT_ID": "id", "NINJAONE_CLIENT_SECRET": "secret"}
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	full := append([]string{"ninjaops"}, args...)
	for i, a := range full {
		full[i] = strings.ReplaceAll(a, "$DIR", dir)
	}
	return run(context.Background(), e, full), out.String(), errb.String()
}

const goodRoles = `[{"id":10,"name":"Helpdesk","type":"TECHNICIAN","members":[{"id":1}]},{"id":11,"name":"Tier 2","type":"TECHNICIAN","members":[]}]`

// An apply whose token lacks the management scope is refused before the
// first write, naming the scope and the setting to change; a plan, which
// needs only monitoring, works.
func TestApplyWithoutManagementScopeIsRefusedBeforeWriting(t *testing.T) {
	f := newUntrustedTenant(t, "monitoring", goodRoles)
	dir := t.TempDir()
	file := filepath.Join(dir, "ninjaops.yaml")
	if err := os.WriteFile(file, []byte(fileChanges), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errb := f.run(t, dir, "plan", "-f", file)
	if code != exitOK || !strings.Contains(out, "Plan: 1 to create, 1 to update") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errb)
	}
	code, _, errb = f.run(t, dir, "apply", "-f", file, "--auto-approve")
	if code != exitError || !strings.Contains(errb, "Error: refusing to apply, nothing was changed: changing users and role memberships needs the management scope") ||
		!strings.Contains(errb, "Administration > Apps > API > Client app IDs") {
		t.Errorf("apply: exit %d, stderr:\n%s", code, errb)
	}
	if len(f.writes) != 0 {
		t.Errorf("writes sent: %v", f.writes)
	}
}

// A read whose lists disagree is refused by every command: exit 1, the
// disagreement said, nothing written (no plan file, no export, no c1z, no
// change in NinjaOne).
func TestCommandsRefuseAReadThatDisagrees(t *testing.T) {
	f := newUntrustedTenant(t, "monitoring management", `[{"id":10,"name":"Helpdesk","type":"TECHNICIAN","members":[{"id":1},{"id":100251}]}]`)
	dir := t.TempDir()
	file := filepath.Join(dir, "ninjaops.yaml")
	if err := os.WriteFile(file, []byte(fileChanges), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"plan", "-f", file, "--out", "$DIR/plan.json"},
		{"plan", "-f", file, "--detailed-exitcode"},
		{"apply", "-f", file, "--auto-approve"},
		{"export", "-o", "$DIR/export.yaml"},
		{"baton", "sync", "--file", "$DIR/sync.c1z"},
	} {
		code, out, errb := f.run(t, dir, args...)
		if code != exitError || !strings.Contains(errb, `1 members of 1 roles are in neither the technician nor the end-user list (e.g. user 100251 in role "Helpdesk"); refusing to plan from a partial read. Run again; if it persists, report it.`) {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args[:2], code, out, errb)
		}
		if strings.Contains(out, "Plan:") || strings.Contains(out, "users:") {
			t.Errorf("%v printed a plan or an export from a partial read:\n%s", args[:2], out)
		}
	}
	for _, name := range []string{"plan.json", "export.yaml", "sync.c1z"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s was written from a partial read (%v)", name, err)
		}
	}
	if len(f.writes) != 0 {
		t.Errorf("writes sent: %v", f.writes)
	}
}
