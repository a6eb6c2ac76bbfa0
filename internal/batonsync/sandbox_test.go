package batonsync

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// The tests in this file run the connector against the sandbox through the
// real client, with every exchange checked against the OpenAPI contract.

const sbID, sbSecret = "baton-test", "baton-test-secret"

// handTenant holds the cases that matter for the connector, by hand: a
// System Administrator, a protected vendor account, a disabled user, both
// user types, a role of each type and an empty one.
func handTenant() *sandbox.Tenant {
	return &sandbox.Tenant{
		Organizations: []sandbox.Organization{{ID: 7, Name: "Acme"}, {ID: 8, Name: "Globex"}},
		Users: []sandbox.User{
			{ID: 1, FirstName: "Root", LastName: "Admin", Email: "root@example.com", UserType: ninjaone.Technician, Administrator: true, Enabled: true},
			{ID: 2, FirstName: "Alice", LastName: "Tech", Email: "alice@example.com", UserType: ninjaone.Technician, Enabled: true},
			{ID: 3, FirstName: "Vic", LastName: "Vendor", Email: "vic@vendor.example", UserType: ninjaone.Technician, Enabled: true},
			{ID: 4, FirstName: "Dora", LastName: "Disabled", Email: "dora@example.com", UserType: ninjaone.Technician, Enabled: false, InvitationStatus: "EXPIRED"},
			{ID: 10, FirstName: "Eve", LastName: "End", Email: "eve@example.com", UserType: ninjaone.EndUser, OrganizationID: 7, Enabled: true, InvitationStatus: "PENDING"},
			{ID: 11, FirstName: "Frank", LastName: "End", Email: "frank@example.com", UserType: ninjaone.EndUser, OrganizationID: 8, Enabled: true},
		},
		Roles: []sandbox.Role{
			{ID: 100, Name: "Helpdesk", Type: ninjaone.Technician, Description: "first line", Members: []int32{1, 2, 3}},
			{ID: 101, Name: "Portal", Type: ninjaone.EndUser, Members: []int32{10}},
			{ID: 102, Name: "Empty", Type: ninjaone.Technician, Members: []int32{}},
		},
	}
}

type sandboxEnv struct {
	srv    *sandbox.Server
	url    string
	client *ninjaone.Client
}

func startSandbox(t testing.TB, seed *sandbox.Tenant, checked bool) sandboxEnv {
	t.Helper()
	opts := sandbox.Options{ClientID: sbID, ClientSecret: sbSecret, Seed: seed}
	var env sandboxEnv
	if checked {
		env.srv, env.url, _ = sandboxtest.NewChecked(t, opts)
	} else {
		env.srv, env.url = sandboxtest.New(t, opts)
	}
	env.client = newClient(t, env.url, sbID, sbSecret, "")
	return env
}

func newClient(t testing.TB, url, id, secret, scope string) *ninjaone.Client {
	t.Helper()
	c, err := ninjaone.New(ninjaone.Config{BaseURL: url, ClientID: id, ClientSecret: secret, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stats reads GET /_sandbox/stats, the way a script outside would.
func (e sandboxEnv) stats(t testing.TB) sandbox.Stats {
	t.Helper()
	resp, err := http.Get(e.url + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s sandbox.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e sandboxEnv) resetStats(t testing.TB) {
	t.Helper()
	resp, err := http.Post(e.url+"/_sandbox/stats/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("stats reset: %s", resp.Status)
	}
}

// tenantSnapshot is the Snapshot a tenant amounts to, for expected().
func tenantSnapshot(tn *sandbox.Tenant) ninjaone.Snapshot {
	var s ninjaone.Snapshot
	for _, u := range tn.Users {
		nu := ninjaone.User{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Enabled: u.Enabled,
			Administrator: u.Administrator, OrganizationID: u.OrganizationID, UserType: u.UserType, InvitationStatus: u.InvitationStatus}
		if u.UserType == ninjaone.Technician {
			s.Technicians = append(s.Technicians, nu)
		} else {
			s.EndUsers = append(s.EndUsers, nu)
		}
	}
	for _, r := range tn.Roles {
		nr := ninjaone.Role{ID: r.ID, Name: r.Name, Type: r.Type, Description: r.Description}
		for _, m := range r.Members {
			nr.Members = append(nr.Members, ninjaone.RoleMember{ID: m})
		}
		s.Roles = append(s.Roles, nr)
	}
	return s
}

// snapshotCost is the number of requests one Snapshot makes, token
// included, measured on a fresh client.
func (e sandboxEnv) snapshotCost(t testing.TB) int64 {
	t.Helper()
	e.resetStats(t)
	if _, err := newClient(t, e.url, sbID, sbSecret, "").Snapshot(context.Background(), ninjaone.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	return e.stats(t).Total
}

func sandboxServer(t testing.TB, client Client, cfg Config) *Server {
	t.Helper()
	c, err := New(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), c, Options{TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSandboxSync: the file holds exactly the sandbox's users, roles,
// entitlements and grants, and the sync made exactly the requests of one
// Snapshot (token included), at two tenant sizes.
func TestSandboxSync(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seed     *sandbox.Tenant
		pageSize int
	}{
		{"by hand", handTenant(), 2},
		{"generated", sandbox.Generate(600, 20, 1500, 10, 5), 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := startSandbox(t, tc.seed, true)
			cost := env.snapshotCost(t)

			env.resetStats(t)
			s := sandboxServer(t, newClient(t, env.url, sbID, sbSecret, ""), Config{ValidateWithSnapshot: true, PageSize: tc.pageSize})
			path := filepath.Join(t.TempDir(), "sync.c1z")
			sum, err := s.Sync(context.Background(), SyncOptions{File: path})
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			st := env.stats(t)
			if st.Total != cost {
				t.Errorf("the sync made %d requests (%v), one Snapshot makes %d", st.Total, st.Requests, cost)
			}
			for k := range st.Requests {
				if strings.Contains(k, "{") {
					t.Errorf("the sync made a per-object request: %s", k)
				}
			}

			tenant := env.srv.Tenant()
			want := expected(tenantSnapshot(tenant))
			got := readC1Z(t, path)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("file contents (-want +got):\n%s", d)
			}
			if sum.Resources != int64(len(tenant.Users)+len(tenant.Roles)+1) || sum.Grants != int64(len(want.Grants)) {
				t.Errorf("summary %+v; tenant has %d users, %d roles, %d memberships", sum, len(tenant.Users), len(tenant.Roles), len(want.Grants))
			}
		})
	}
}

// TestSandboxProvisioning: each provisioning call changes the sandbox, and
// the next sync shows it; asking again is success without a write.
func TestSandboxProvisioning(t *testing.T) {
	ctx := context.Background()
	env := startSandbox(t, handTenant(), true)
	s := sandboxServer(t, env.client, Config{Provisioning: true, Protected: []string{"*@VENDOR.example"}})
	file := filepath.Join(t.TempDir(), "sync.c1z")
	sync := func() contents {
		t.Helper()
		if _, err := s.Sync(ctx, SyncOptions{File: file}); err != nil {
			t.Fatalf("sync: %v", err)
		}
		return readC1Z(t, file)
	}
	members := func(roleID int32) []int32 {
		for _, r := range env.srv.Tenant().Roles {
			if r.ID == roleID {
				return r.Members
			}
		}
		t.Fatalf("role %d gone", roleID)
		return nil
	}
	writes := func() int64 {
		var n int64
		for k, v := range env.stats(t).Requests {
			if !strings.HasPrefix(k, "GET ") && !strings.HasPrefix(k, "POST /ws/") {
				n += v
			}
		}
		return n
	}
	sync()

	// Grant, then grant again.
	if out, err := s.Grant(ctx, file, "role:100:member", "user:4"); err != nil || !out.Changed {
		t.Fatalf("grant: %+v %v", out, err)
	}
	if !slices.Contains(members(100), 4) || !slices.Contains(sync().Grants, "role:100:member:user:4") {
		t.Errorf("granted membership missing from the sandbox or the next sync")
	}
	env.resetStats(t)
	if out, err := s.Grant(ctx, file, "role:100:member", "user:4"); err != nil || out.Changed {
		t.Errorf("grant again: %+v %v, want success without change", out, err)
	}
	if n := writes(); n != 0 {
		t.Errorf("grant of an existing membership wrote %d times", n)
	}

	// Revoke, then revoke again.
	if out, err := s.Revoke(ctx, file, "role:100:member:user:4"); err != nil || !out.Changed {
		t.Fatalf("revoke: %+v %v", out, err)
	}
	if slices.Contains(members(100), 4) || slices.Contains(sync().Grants, "role:100:member:user:4") {
		t.Errorf("revoked membership still in the sandbox or the next sync")
	}
	// The file of the sync before still has the grant: revoke looks it
	// up there, and finds NinjaOne already done.
	if _, err := s.Grant(ctx, file, "role:100:member", "user:4"); err != nil {
		t.Fatal(err)
	}
	sync()
	if _, err := s.Revoke(ctx, file, "role:100:member:user:4"); err != nil {
		t.Fatal(err)
	}
	env.resetStats(t)
	if out, err := s.Revoke(ctx, file, "role:100:member:user:4"); err != nil || out.Changed {
		t.Errorf("revoke again: %+v %v, want success without change", out, err)
	}
	if n := writes(); n != 0 {
		t.Errorf("revoke of a removed membership wrote %d times", n)
	}

	// A role emptied and filled again: its only member, then none.
	if _, err := s.Grant(ctx, file, "role:102:member", "user:2"); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sync().Grants, "role:102:member:user:2") {
		t.Errorf("grant into the empty role missing from the next sync")
	}
	if _, err := s.Revoke(ctx, file, "role:102:member:user:2"); err != nil {
		t.Fatal(err)
	}
	if len(members(102)) != 0 || slices.Contains(sync().Grants, "role:102:member:user:2") {
		t.Errorf("role 102 not empty again: %v", members(102))
	}

	// Create an end user, see it, create again, delete it.
	out, err := s.CreateAccount(ctx, file, "Ada@Example.com", map[string]any{"firstName": "Ada", "lastName": "Lovelace", "organizationId": 7, "sendInvitation": false})
	if err != nil || !out.Changed {
		t.Fatalf("create-account: %+v %v", out, err)
	}
	id := strings.TrimPrefix(out.Resource, "user:")
	if u, ok := sync().Users[id]; !ok || u.Login != "Ada@Example.com" || u.Profile["userType"] != "END_USER" || u.Profile["organizationId"] != float64(7) {
		t.Errorf("created user %s in the next sync: %+v", id, u)
	}
	if again, err := s.CreateAccount(ctx, file, "ada@example.com", map[string]any{"firstName": "Ada", "lastName": "Lovelace", "organizationId": 7}); err != nil || again.Changed || again.Resource != out.Resource {
		t.Errorf("create-account again: %+v %v, want %s unchanged", again, err, out.Resource)
	}
	if _, err := s.Delete(ctx, file, out.Resource); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := sync().Users[id]; ok {
		t.Errorf("deleted user %s still in the next sync", id)
	}

	// A technician, deleted through the technician endpoint.
	out, err = s.CreateAccount(ctx, file, "tess@example.com", map[string]any{"firstName": "Tess", "lastName": "Tech", "userType": "TECHNICIAN"})
	if err != nil {
		t.Fatal(err)
	}
	if u := sync().Users[strings.TrimPrefix(out.Resource, "user:")]; u.Profile["userType"] != "TECHNICIAN" {
		t.Errorf("technician synced as %+v", u)
	}
	env.resetStats(t)
	if _, err := s.Delete(ctx, file, out.Resource); err != nil {
		t.Fatal(err)
	}
	if n := env.stats(t).Requests["DELETE /v2/user/technician/{id}"]; n != 1 {
		t.Errorf("technician deleted with %v", env.stats(t).Requests)
	}

	// Refusals: nothing is written.
	env.resetStats(t)
	before := env.srv.Tenant()
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"revoke protected", func() error { _, err := s.Revoke(ctx, file, "role:100:member:user:3"); return err },
			`refusing to remove user 3 (vic@vendor.example) from role 100 "Helpdesk": the user's email matches the protected pattern "*@vendor.example"`},
		{"revoke System Administrator", func() error { _, err := s.Revoke(ctx, file, "role:100:member:user:1"); return err },
			"the user is a System Administrator"},
		{"delete protected", func() error { _, err := s.Delete(ctx, file, "user:3"); return err }, "refusing to delete user 3"},
		{"delete System Administrator", func() error { _, err := s.Delete(ctx, file, "user:1"); return err }, "refusing to delete user 1 (root@example.com)"},
	} {
		err := tc.run()
		if err == nil || !IsRefusal(err) || !strings.Contains(Message(err), tc.want) {
			t.Errorf("%s: %v, want a refusal %q", tc.name, err, tc.want)
		}
	}
	if n := writes(); n != 0 {
		t.Errorf("refusals wrote %d times", n)
	}
	if d := cmp.Diff(before, env.srv.Tenant()); d != "" {
		t.Errorf("refusals changed the tenant:\n%s", d)
	}
}

// TestSandboxProvisioningOff: with provisioning off, every provisioning
// call is refused before any request.
func TestSandboxProvisioningOff(t *testing.T) {
	ctx := context.Background()
	env := startSandbox(t, handTenant(), false)
	file := filepath.Join(t.TempDir(), "sync.c1z")
	s := sandboxServer(t, env.client, Config{})
	if _, err := s.Sync(ctx, SyncOptions{File: file}); err != nil {
		t.Fatal(err)
	}
	env.resetStats(t)
	calls := map[string]func() error{
		"grant":  func() error { _, err := s.Grant(ctx, file, "role:100:member", "user:4"); return err },
		"revoke": func() error { _, err := s.Revoke(ctx, file, "role:100:member:user:2"); return err },
		"create": func() error {
			_, err := s.CreateAccount(ctx, file, "x@example.com", map[string]any{"firstName": "X", "lastName": "Y", "organizationId": 7})
			return err
		},
		"delete": func() error { _, err := s.Delete(ctx, file, "user:2"); return err },
	}
	for name, call := range calls {
		if err := call(); !IsRefusal(err) || !strings.Contains(Message(err), "provisioning is disabled") {
			t.Errorf("%s: %v, want refusal", name, err)
		}
	}
	if st := env.stats(t); st.Total != 0 {
		t.Errorf("refused calls made requests: %v", st.Requests)
	}
}

// TestSandboxValidate: Validate, and a sync, say which setting is wrong.
func TestSandboxValidate(t *testing.T) {
	ctx := context.Background()
	opts := sandbox.Options{ClientID: sbID, ClientSecret: sbSecret, Seed: handTenant(), Scopes: []string{"monitoring"}}
	_, url := sandboxtest.New(t, opts)
	for _, tc := range []struct {
		name, id, secret, scope, want string
	}{
		{"good", sbID, sbSecret, "monitoring", ""},
		{"wrong secret", sbID, "nope", "monitoring", "wrong credentials"},
		{"wrong client id", "someone-else", sbSecret, "monitoring", "wrong region or client id"},
		{"scope not granted", sbID, sbSecret, "monitoring management", "wrong scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, snapshotMode := range []bool{false, true} {
				c, err := New(newClient(t, url, tc.id, tc.secret, tc.scope), Config{ValidateWithSnapshot: snapshotMode})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Validate(ctx)
				if tc.want == "" {
					if err != nil {
						t.Errorf("snapshot mode %v: %v", snapshotMode, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("snapshot mode %v: %v, want %q", snapshotMode, err, tc.want)
				}
				if err != nil && strings.Contains(err.Error(), "nope") {
					t.Errorf("the secret appears in the error: %v", err)
				}
			}
			if tc.want == "" {
				return
			}
			// Through the SDK's syncer, which validates first.
			s := sandboxServer(t, newClient(t, url, tc.id, tc.secret, tc.scope), Config{ValidateWithSnapshot: true})
			_, err := s.Sync(ctx, SyncOptions{File: filepath.Join(t.TempDir(), "sync.c1z")})
			if err == nil || !strings.Contains(Message(err), tc.want) {
				t.Errorf("sync: %v, want %q", err, tc.want)
			}
		})
	}
}
