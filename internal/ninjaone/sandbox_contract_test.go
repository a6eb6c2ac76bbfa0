package ninjaone_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// These tests run the real client against the sandbox with every request
// the client makes and every response it reads validated against the
// OpenAPI description (testdata/openapi.yaml), on both sides of the wire.

func seed() *sandbox.Tenant {
	return &sandbox.Tenant{
		Organizations: []sandbox.Organization{{ID: 1, Name: "Acme"}, {ID: 2, Name: "Customer Inc"}},
		Roles: []sandbox.Role{
			{ID: 10, Name: "Helpdesk", Type: ninjaone.Technician, Members: []int32{100}},
			{ID: 20, Name: "Portal Users", Type: ninjaone.EndUser, Members: []int32{200}},
		},
		Users: []sandbox.User{
			{ID: 100, FirstName: "Alice", LastName: "Smith", Email: "alice@example.com", UserType: ninjaone.Technician, Enabled: true},
			{ID: 101, FirstName: "Root", LastName: "Admin", Email: "root@example.com", UserType: ninjaone.Technician, Administrator: true, Enabled: true},
			{ID: 200, FirstName: "Bob", LastName: "Jones", Email: "bob@customer.example", UserType: ninjaone.EndUser, OrganizationID: 2, FullPortalAccess: true, Enabled: true},
		},
	}
}

// checkedClient returns a client whose transport validates every exchange.
func checkedClient(t *testing.T, base string, mod func(*ninjaone.Config)) *ninjaone.Client {
	t.Helper()
	hc, _ := contract.Client(t, &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()})
	cfg := ninjaone.Config{BaseURL: base, ClientID: "sandbox", ClientSecret: "sandbox", HTTPClient: hc,
		Retry: ninjaone.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxAttempts: 12}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := ninjaone.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSnapshotAgainstSandbox(t *testing.T) {
	srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
	c := checkedClient(t, base, nil)
	snap, err := c.Snapshot(context.Background(), ninjaone.SnapshotOptions{Organizations: true})
	if err != nil {
		t.Fatal(err)
	}
	emails := func(us []ninjaone.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Email)
		}
		return out
	}
	if diff := cmp.Diff([]string{"alice@example.com", "root@example.com"}, emails(snap.Technicians)); diff != "" {
		t.Errorf("technicians (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bob@customer.example"}, emails(snap.EndUsers)); diff != "" {
		t.Errorf("end users (-want +got):\n%s", diff)
	}
	if !snap.EndUsers[0].FullPortalAccess || snap.EndUsers[0].OrganizationID != 2 || !snap.Technicians[1].Administrator {
		t.Errorf("fields lost in decoding: %+v %+v", snap.EndUsers[0], snap.Technicians[1])
	}
	if len(snap.Roles) != 2 || snap.Roles[0].Members[0].ID != 100 || snap.Roles[0].Type != ninjaone.Technician {
		t.Errorf("roles = %+v", snap.Roles)
	}
	if len(snap.Organizations) != 2 {
		t.Errorf("organizations = %+v", snap.Organizations)
	}
	want := map[string]int64{
		"POST /ws/oauth/token":     1,
		"GET /v2/user/technicians": 1,
		"GET /v2/user/end-users":   1,
		"GET /v2/user/roles":       1,
		"GET /v2/users":            1,
		// Two organizations: one page, then the empty page that ends them.
		"GET /v2/organizations": 2,
	}
	if diff := cmp.Diff(want, srv.Stats().Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// The client reads the same snapshot from every shape the sandbox writes
// (exactly the spec's keys, all keys, legacy and unknown keys, empty
// values left out), every answer validated against the spec, and from
// the API under /api/v2 as well.
func TestSnapshotInEveryShape(t *testing.T) {
	ctx := context.Background()
	read := func(t *testing.T, opts sandbox.Options, mod func(*ninjaone.Config)) *ninjaone.Snapshot {
		opts.Seed = sandbox.Generate(60, 6, 150, 4, 3)
		_, base, v := sandboxtest.NewChecked(t, opts)
		snap, err := checkedClient(t, base, mod).Snapshot(ctx, ninjaone.SnapshotOptions{Organizations: true})
		if err != nil {
			t.Fatal(err)
		}
		if checked, _ := v.Checked(); checked < 4 {
			t.Errorf("the sandbox's validator checked %d answers", checked)
		}
		return snap
	}
	want := read(t, sandbox.Options{}, nil)
	if len(want.EndUsers) == 0 || len(want.Technicians) == 0 || len(want.Roles) == 0 {
		t.Fatalf("empty snapshot: %+v", want)
	}
	// permitAllClients is a key of the User object only; the all-keys
	// shape puts it on technicians too, and the client keeps what it
	// finds there. No decision rests on it, so it is left out of the
	// comparison rather than believed.
	ignore := cmpopts.IgnoreFields(ninjaone.User{}, "PermitAllClients")
	for _, shape := range sandbox.Shapes[1:] {
		t.Run(string(shape), func(t *testing.T) {
			if d := cmp.Diff(want, read(t, sandbox.Options{Shape: shape}, nil), ignore); d != "" {
				t.Errorf("snapshot from the %s shape (-spec +%s):\n%s", shape, shape, d)
			}
		})
	}
	t.Run("/api/v2", func(t *testing.T) {
		var sent atomic.Int32
		api := func(cfg *ninjaone.Config) {
			hc, _ := contract.Client(t, &http.Client{Transport: apiPrefix{http.DefaultTransport, &sent}})
			cfg.HTTPClient = hc
		}
		if d := cmp.Diff(want, read(t, sandbox.Options{}, api)); d != "" {
			t.Errorf("snapshot through /api/v2 (-/v2 +/api/v2):\n%s", d)
		}
		if sent.Load() < 4 {
			t.Errorf("%d calls went to /api/v2", sent.Load())
		}
	})
}

// apiPrefix sends the API calls (not the token call) under /api/v2.
type apiPrefix struct {
	next http.RoundTripper
	sent *atomic.Int32
}

func (a apiPrefix) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/v2/") {
		req = req.Clone(req.Context())
		req.URL.Path = "/api" + req.URL.Path
		a.sent.Add(1)
	}
	return a.next.RoundTrip(req)
}

func TestSnapshotRequestCountDoesNotGrowWithTheTenant(t *testing.T) {
	for _, n := range []int{10, 5000} {
		srv, base := sandboxtest.New(t, sandbox.Options{Seed: sandbox.Generate(n, 50, 3*n, 5, 1)})
		c := checkedClient(t, base, nil)
		snap, err := c.Snapshot(context.Background(), ninjaone.SnapshotOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(snap.Technicians) + len(snap.EndUsers); got != n {
			t.Errorf("read %d users, want %d", got, n)
		}
		if total := srv.Stats().Total; total != 5 {
			t.Errorf("%d users: %d requests, want 5 (token + 4 lists)", n, total)
		}
	}
}

func TestWritesAgainstSandbox(t *testing.T) {
	srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
	c := checkedClient(t, base, nil)
	ctx := context.Background()

	eu, err := c.CreateEndUser(ctx, ninjaone.CreateEndUserRequest{FirstName: "Carol", LastName: "King", Email: "carol@customer.example", Phone: "+1 555 0199", OrganizationID: 2, FullPortalAccess: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	tech, err := c.CreateTechnician(ctx, ninjaone.CreateTechnicianRequest{FirstName: "Dan", LastName: "Brown", Email: "dan@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	first := "Caroline"
	org := int32(1)
	if err := c.UpdateEndUser(ctx, eu.ID, ninjaone.EndUserPatch{FirstName: &first, OrganizationID: &org}); err != nil {
		t.Fatal(err)
	}
	last := "Browne"
	if err := c.UpdateTechnician(ctx, tech.ID, ninjaone.TechnicianPatch{LastName: &last}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRoleMembers(ctx, 10, []int32{tech.ID}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRoleMembers(ctx, 20, []int32{eu.ID, eu.ID}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveRoleMembers(ctx, 10, []int32{100}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteEndUser(ctx, 200); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteEndUser(ctx, 200); !errors.Is(err, ninjaone.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if err := c.DeleteTechnician(ctx, 100); err != nil {
		t.Fatal(err)
	}

	got := srv.Tenant()
	var users []string
	for _, u := range got.Users {
		users = append(users, fmt.Sprintf("%s %s %s %s org=%d portal=%v", u.UserType, u.Email, u.FirstName, u.LastName, u.OrganizationID, u.FullPortalAccess))
	}
	sort.Strings(users)
	want := []string{
		"END_USER carol@customer.example Caroline King org=1 portal=true",
		"TECHNICIAN dan@example.com Dan Browne org=0 portal=false",
		"TECHNICIAN root@example.com Root Admin org=0 portal=false",
	}
	if diff := cmp.Diff(want, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	members := map[string][]int32{}
	for _, r := range got.Roles {
		members[r.Name] = r.Members
	}
	if diff := cmp.Diff(map[string][]int32{"Helpdesk": {tech.ID}, "Portal Users": {eu.ID}}, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestErrorsFromSandbox(t *testing.T) {
	ctx := context.Background()
	t.Run("unsupported route", func(t *testing.T) {
		_, base, v := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(), UnsupportedPrefixes: []string{"/v2/user/"}})
		v.AllowUnknownRoutes = true
		_, err := checkedClient(t, base, nil).Snapshot(ctx, ninjaone.SnapshotOptions{})
		if !errors.Is(err, ninjaone.ErrRouteNotSupported) || errors.Is(err, ninjaone.ErrNotFound) {
			t.Errorf("err = %v, want ErrRouteNotSupported", err)
		}
	})
	t.Run("write without management scope", func(t *testing.T) {
		_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
		c := checkedClient(t, base, func(cfg *ninjaone.Config) { cfg.Scope = "monitoring" })
		err := c.AddRoleMembers(ctx, 10, []int32{101})
		if !errors.Is(err, ninjaone.ErrForbidden) || !strings.Contains(err.Error(), "management scope") {
			t.Errorf("err = %v, want ErrForbidden naming the management scope", err)
		}
	})
	t.Run("unknown member fails the whole call", func(t *testing.T) {
		srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
		err := checkedClient(t, base, nil).AddRoleMembers(ctx, 10, []int32{101, 999})
		if !errors.Is(err, ninjaone.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
		if m := srv.Tenant().Roles[0].Members; len(m) != 1 {
			t.Errorf("members = %v: a refused call changed something", m)
		}
	})
	for _, tt := range []struct {
		name string
		mod  func(*ninjaone.Config)
		want string
	}{
		{"wrong client id", func(c *ninjaone.Config) { c.ClientID = "nope" }, "--region"},
		{"wrong secret", func(c *ninjaone.Config) { c.ClientSecret = "wrong-secret-value" }, "--client-secret"},
		{"scope not granted", func(c *ninjaone.Config) { c.Scope = "monitoring superpowers" }, "scope"},
	} {
		t.Run("validate/"+tt.name, func(t *testing.T) {
			_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
			err := checkedClient(t, base, tt.mod).Validate(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
	t.Run("validate ok", func(t *testing.T) {
		_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
		if err := checkedClient(t, base, nil).Validate(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestTokenRefreshAgainstSandbox(t *testing.T) {
	srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed()})
	c := checkedClient(t, base, nil)
	ctx := context.Background()
	if _, err := c.Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	if _, err := c.Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if n := srv.Stats().Requests["POST /ws/oauth/token"]; n != 2 {
		t.Errorf("%d token requests, want 2 (one, then one after the 401)", n)
	}
}

// Under heavy fault injection every write lands exactly once: no user is
// created twice, no membership is lost.
func TestWritesUnderFaults(t *testing.T) {
	srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(), FaultRate: 0.3, RandomSeed: 7,
		FaultKinds: []string{"429", "500", "503", "html", "reset"}})
	c := checkedClient(t, base, nil)
	ctx := context.Background()
	const n = 60
	ids := make([]int32, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			u, err := c.CreateEndUser(ctx, ninjaone.CreateEndUserRequest{FirstName: "U", LastName: fmt.Sprint(i),
				Email: fmt.Sprintf("u%02d@customer.example", i), OrganizationID: 2}, false)
			if err != nil {
				errs <- err
				return
			}
			ids[i] = u.ID
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.AddRoleMembers(ctx, 20, ids); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveRoleMembers(ctx, 20, ids[:n/2]); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[n/2 : n/2+10] {
		if err := c.DeleteEndUser(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Tenant()
	seen := map[string]int{}
	for _, u := range got.Users {
		seen[strings.ToLower(u.Email)]++
	}
	for e, k := range seen {
		if k > 1 {
			t.Errorf("%s exists %d times", e, k)
		}
	}
	if len(got.Users) != 3+n-10 {
		t.Errorf("%d users, want %d", len(got.Users), 3+n-10)
	}
	wantMembers := append([]int32{200}, ids[n/2+10:]...)
	sort.Slice(wantMembers, func(i, j int) bool { return wantMembers[i] < wantMembers[j] })
	if diff := cmp.Diff(wantMembers, got.Roles[1].Members); diff != "" {
		t.Errorf("Portal Users members (-want +got):\n%s", diff)
	}
	// Without faults this takes one token call, n creates, one add, one
	// remove and 10 deletes; every injected fault costs at least one more.
	if minimum := int64(1 + n + 1 + 1 + 10); srv.Stats().Total <= minimum {
		t.Errorf("%d requests, the fault-free minimum: were faults injected at all?", srv.Stats().Total)
	}
}
