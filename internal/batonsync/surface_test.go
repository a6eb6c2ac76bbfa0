package batonsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/conductorone/baton-sdk/pkg/types/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// TestUserProfileOnTraitAndResource: first-party connectors put the user
// profile on the user trait with snake_case keys, which the public `baton`
// tool's exports read (a nil trait profile crashes them); ninjaops keeps
// the resource profile too. Both engines.
func TestUserProfileOnTraitAndResource(t *testing.T) {
	for _, engine := range []Engine{SQLite, Pebble} {
		t.Run(string(engine), func(t *testing.T) {
			got, _ := syncFake(t, newFake(smallTenant()), Config{}, engine)
			eve := got.Users["10"]
			wantTrait := map[string]any{"first_name": "Eve", "last_name": "End", "user_id": "10", "email": "eve@example.com", "login": "eve@example.com",
				"user_type": "END_USER", "administrator": false, "organization_id": float64(7), "invitation_status": "PENDING"}
			if d := cmp.Diff(wantTrait, eve.TraitProfile); d != "" {
				t.Errorf("user trait profile (-want +got):\n%s", d)
			}
			wantRes := map[string]any{"firstName": "Eve", "lastName": "End", "userType": "END_USER", "administrator": false, "organizationId": float64(7)}
			if d := cmp.Diff(wantRes, eve.Profile); d != "" {
				t.Errorf("resource profile (-want +got):\n%s", d)
			}
			for id, u := range got.Users {
				for _, k := range []string{"first_name", "last_name", "user_id", "email", "login", "user_type"} {
					if _, ok := u.TraitProfile[k]; !ok {
						t.Errorf("user %s: trait profile has no %q: %v", id, k, u.TraitProfile)
					}
				}
				if len(u.Profile) == 0 {
					t.Errorf("user %s: no resource profile", id)
				}
			}
			if eve.GivenName != "Eve" || eve.FamilyName != "End" || eve.StatusDetails != "invitation pending/invitation pending" {
				t.Errorf("Eve: structured name %q %q, status details %q", eve.GivenName, eve.FamilyName, eve.StatusDetails)
			}
			if dora := got.Users["4"]; dora.Status != "STATUS_DISABLED/RESOURCE_STATUS_DISABLED" || dora.StatusDetails != "invitation expired/invitation expired" {
				t.Errorf("Dora: %s %s", dora.Status, dora.StatusDetails)
			}
			if root := got.Users["1"]; root.Description != "NinjaOne technician, System Administrator" || root.TraitProfile["user_type"] != "TECHNICIAN" {
				t.Errorf("Root: %q %v", root.Description, root.TraitProfile)
			}
		})
	}
}

// TestSameNamedRolesHaveDistinctEntitlements: a technician role and an
// end-user role both called "Helpdesk" must not look alike to a reviewer.
func TestSameNamedRolesHaveDistinctEntitlements(t *testing.T) {
	got, _ := syncFake(t, newFake(smallTenant()), Config{}, SQLite)
	var helpdesk []string
	for _, e := range got.Entitlements {
		if strings.Contains(e, "Helpdesk") {
			helpdesk = append(helpdesk, e)
		}
	}
	want := []string{
		"role:100:member PURPOSE_VALUE_ASSIGNMENT grantable to user: Helpdesk (technician role) member",
		"role:103:member PURPOSE_VALUE_ASSIGNMENT grantable to user: Helpdesk (end-user role) member",
	}
	if d := cmp.Diff(want, helpdesk); d != "" {
		t.Errorf("Helpdesk entitlements (-want +got):\n%s", d)
	}
	// The per-resource path (ListEntitlements of one role) names them the
	// same way.
	c := newTestConnector(t, newFake(smallTenant()), Config{})
	role, err := roleResource(smallTenant().Roles[3])
	if err != nil {
		t.Fatal(err)
	}
	ents, _, err := (&roleSyncer{c: c}).Entitlements(context.Background(), role, resource.SyncOpAttrs{SyncID: "s"})
	if err != nil || len(ents) != 1 || ents[0].GetDisplayName() != "Helpdesk (end-user role) member" || !strings.Contains(ents[0].GetDescription(), "end users only") {
		t.Errorf("Entitlements: %v %v", ents, err)
	}
	// A resource without the type in its profile: the live role says it.
	delete(role.GetProfile().GetFields(), "type")
	ents, _, err = (&roleSyncer{c: c}).Entitlements(context.Background(), role, resource.SyncOpAttrs{SyncID: "s"})
	if err != nil || len(ents) != 1 || ents[0].GetDisplayName() != "Helpdesk (end-user role) member" {
		t.Errorf("Entitlements of a role without its type: %v %v", ents, err)
	}
}

// TestAdministratorsAreReadOnlyAccess: each System Administrator is a
// grant of an immutable entitlement on a type without provisioning, and
// asking to grant or revoke it is a refusal that never reaches NinjaOne.
func TestAdministratorsAreReadOnlyAccess(t *testing.T) {
	snap := smallTenant()
	// An administrator flag on an end user (which the API never sends)
	// does not make one.
	snap.EndUsers[0].Administrator = true
	got, _ := syncFake(t, newFake(snap), Config{}, SQLite)
	var admins []string
	for _, g := range got.Grants {
		if strings.HasPrefix(g, AdminEntitlement+":") {
			admins = append(admins, g)
		}
	}
	if d := cmp.Diff([]string{"system_role:administrator:member:user:1"}, admins); d != "" {
		t.Errorf("administrator grants (-want +got):\n%s", d)
	}
	if !slices.Contains(got.Immutable, AdminEntitlement) || !slices.Contains(got.Immutable, "system_role:administrator:member:user:1") {
		t.Errorf("immutable: %v", got.Immutable)
	}
	if d := cmp.Diff(map[string]fileRole{"administrator": {Name: "System Administrators", Profile: map[string]any{"name": "System Administrators", "read_only": true}}}, got.SystemRoles); d != "" {
		t.Errorf("system roles (-want +got):\n%s", d)
	}

	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{Provisioning: true}))
	file := filepath.Join(t.TempDir(), "sync.c1z")
	if _, err := s.Sync(context.Background(), SyncOptions{File: file}); err != nil {
		t.Fatal(err)
	}
	before := f.total()
	for name, call := range map[string]func() error{
		"grant":  func() error { _, err := s.Grant(context.Background(), file, AdminEntitlement, "user:2"); return err },
		"revoke": func() error { _, err := s.Revoke(context.Background(), file, AdminEntitlement+":user:1"); return err },
	} {
		err := call()
		if !IsRefusal(err) || !strings.Contains(Message(err), "System Administrators are read-only") {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	if f.total() != before {
		t.Errorf("a refused change asked NinjaOne: %v", f.calls)
	}
}

// TestIsRefusalIsOurs: only the connector's guards are refusals; the SDK's
// stores answer FailedPrecondition too ("no current sync" on an empty c1z).
func TestIsRefusalIsOurs(t *testing.T) {
	ours := refused(errors.New("provisioning is disabled"))
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{ours, true},
		{fmt.Errorf("grant failed: %w", ours), true},
		{status.Error(codes.FailedPrecondition, "pebble engine: no current sync"), false},
		{errors.New("FailedPrecondition"), false},
		{nil, false},
	} {
		if got := IsRefusal(tc.err); got != tc.want {
			t.Errorf("IsRefusal(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestLookUpBeforeProvisioning: an id that is not in the file, and a file
// that is missing, empty or not a c1z, are errors that say so, and nothing
// is asked of NinjaOne.
func TestLookUpBeforeProvisioning(t *testing.T) {
	ctx := context.Background()
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{Provisioning: true}))
	dir := t.TempDir()
	good := filepath.Join(dir, "sync.c1z")
	if _, err := s.Sync(ctx, SyncOptions{File: good}); err != nil {
		t.Fatal(err)
	}
	empty, corrupt := filepath.Join(dir, "empty.c1z"), filepath.Join(dir, "corrupt.c1z")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, data[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	calls := f.total()

	notIn := func(id string) func(error) bool {
		return func(err error) bool {
			var e *NotInFileError
			return errors.As(err, &e) && e.ID == id && e.File == good
		}
	}
	fileErr := func(want error) func(error) bool {
		return func(err error) bool {
			var e *FileError
			return errors.As(err, &e) && (want == nil || errors.Is(err, want))
		}
	}
	for _, tc := range []struct {
		name string
		call func() error
		ok   func(error) bool
	}{
		{"grant: unknown user", func() error { _, err := s.Grant(ctx, good, "role:102:member", "user:34"); return err }, notIn("user:34")},
		{"grant: unknown role", func() error { _, err := s.Grant(ctx, good, "role:99:member", "user:2"); return err }, notIn("role:99:member")},
		{"revoke: unknown grant", func() error { _, err := s.Revoke(ctx, good, "role:102:member:user:2"); return err }, notIn("role:102:member:user:2")},
		{"grant: no file", func() error {
			_, err := s.Grant(ctx, filepath.Join(dir, "none.c1z"), "role:102:member", "user:2")
			return err
		}, fileErr(os.ErrNotExist)},
		{"grant: empty file", func() error { _, err := s.Grant(ctx, empty, "role:102:member", "user:2"); return err }, fileErr(ErrEmptyFile)},
		{"revoke: empty file", func() error { _, err := s.Revoke(ctx, empty, "role:100:member:user:2"); return err }, fileErr(ErrEmptyFile)},
		{"grant: corrupt file", func() error { _, err := s.Grant(ctx, corrupt, "role:102:member", "user:2"); return err }, fileErr(nil)},
	} {
		err := tc.call()
		if !tc.ok(err) {
			t.Errorf("%s: %T %v", tc.name, err, err)
		}
		if IsRefusal(err) {
			t.Errorf("%s: a bad id or file is not a refusal: %v", tc.name, err)
		}
	}
	if f.total() != calls {
		t.Errorf("NinjaOne was asked: %v", f.calls)
	}
}

// TestDeleteOfAnAbsentUser: the connector's delete succeeds (a retried
// delete must), and the outcome says that nothing was there.
func TestDeleteOfAnAbsentUser(t *testing.T) {
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{Provisioning: true}))
	out, err := s.Delete(context.Background(), "", "user:34")
	if err != nil || !out.Absent || out.Changed {
		t.Errorf("delete user:34: %+v %v, want absent", out, err)
	}
	out, err = s.Delete(context.Background(), "", "user:2")
	if err != nil || out.Absent || !out.Changed {
		t.Errorf("delete user:2: %+v %v, want deleted", out, err)
	}
}

// TestSyncOptions: --skip-entitlements-and-grants, --sync-resource-types
// and --sync-resources as the SDK gives them meaning.
func TestSyncOptions(t *testing.T) {
	sync := func(t *testing.T, opts SyncOptions) (contents, Summary) {
		t.Helper()
		f := newFake(smallTenant())
		s := startServer(t, newTestConnector(t, f, Config{ValidateWithSnapshot: true}))
		opts.File = filepath.Join(t.TempDir(), "sync.c1z")
		sum, err := s.Sync(context.Background(), opts)
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if n := f.count("Snapshot"); n != 1 {
			t.Errorf("%d Snapshot reads, want 1", n)
		}
		return readC1Z(t, opts.File), sum
	}
	t.Run("skip entitlements and grants", func(t *testing.T) {
		got, sum := sync(t, SyncOptions{SkipEntitlementsAndGrants: true})
		if len(got.Users) != 7 || len(got.Roles) != 4 || len(got.Entitlements) != 0 || len(got.Grants) != 0 || sum.SyncType != "resources_only" {
			t.Errorf("%d users, %d roles, %d entitlements, %d grants, %s sync", len(got.Users), len(got.Roles), len(got.Entitlements), len(got.Grants), sum.SyncType)
		}
	})
	t.Run("resource types", func(t *testing.T) {
		got, sum := sync(t, SyncOptions{ResourceTypes: []string{"role"}})
		if len(got.Users) != 0 || len(got.Roles) != 4 || len(got.SystemRoles) != 0 || len(got.Entitlements) != 4 || sum.SyncType != "full" {
			t.Errorf("%d users, %d roles, %d system roles, %d entitlements, %s sync", len(got.Users), len(got.Roles), len(got.SystemRoles), len(got.Entitlements), sum.SyncType)
		}
	})
	t.Run("targeted", func(t *testing.T) {
		var ids []*v2.ResourceId
		for _, s := range []string{"user:2", "bid:r:system_role/administrator"} {
			id, err := ParseResourceRef(s)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		got, sum := sync(t, SyncOptions{Resources: ids})
		if _, ok := got.Users["2"]; !ok || len(got.Users) != 1 || len(got.Roles) != 0 || sum.SyncType != "partial" {
			t.Errorf("users %v, %d roles, %s sync", got.Users, len(got.Roles), sum.SyncType)
		}
		if !slices.Contains(got.Grants, "system_role:administrator:member:user:1") {
			t.Errorf("grants of the targeted system role: %v", got.Grants)
		}
	})
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{}))
	if _, err := s.Sync(context.Background(), SyncOptions{File: filepath.Join(t.TempDir(), "x.c1z"), ResourceTypes: []string{"group"}}); err == nil || !strings.Contains(err.Error(), `resource type "group": want one of user, role, system_role`) {
		t.Errorf("unknown resource type: %v", err)
	}
	for _, bad := range []string{"group:1", "user", "bid:x"} {
		if _, err := ParseResourceRef(bad); err == nil {
			t.Errorf("ParseResourceRef(%q) accepted", bad)
		}
	}
}

func TestFileEngine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		path    string
		want    Engine
		wantErr bool
	}{
		{filepath.Join(dir, "none.c1z"), "", false},
		{write("empty.c1z", ""), "", false},
		{write("sqlite.c1z", "C1ZF\x00rest"), SQLite, false},
		{write("pebble.c1z", "C1Z3\x00rest"), Pebble, false},
		{write("text.c1z", "hello world"), "", true},
		{write("short.c1z", "C1"), "", true},
	} {
		got, err := FileEngine(tc.path)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("FileEngine(%s) = %q, %v", filepath.Base(tc.path), got, err)
		}
	}
}

// TestCapabilitiesNeedNoConnection: the capabilities the `capabilities`
// command prints are those the served connector reports, without a call.
func TestCapabilitiesNeedNoConnection(t *testing.T) {
	got, err := Capabilities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{}))
	md, err := s.Client().GetMetadata(context.Background(), &v2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, md.GetMetadata().GetCapabilities()) {
		t.Errorf("capabilities differ:\n%v\n%v", got, md.GetMetadata().GetCapabilities())
	}
	if len(got.GetResourceTypeCapabilities()) != 3 {
		t.Errorf("capabilities of %d resource types, want 3", len(got.GetResourceTypeCapabilities()))
	}
}

// TestSyncInterrupted: a sync cancelled halfway returns an error that says
// so, leaves a file whose unfinished sync the next run completes, and the
// completed file is the whole tenant.
func TestSyncInterrupted(t *testing.T) {
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{ValidateWithSnapshot: true, PageSize: 2}))
	file := filepath.Join(t.TempDir(), "sync.c1z")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.Sync(ctx, SyncOptions{File: file, Progress: func(p *sdksync.Progress) {
		if p.Action == sdksync.SyncResourcesOp.String() && p.ResourceTypeID == userType {
			cancel()
		}
	}})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("interrupted sync: %v", err)
	}
	t.Logf("interrupted: %v", err)
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no file after the interrupt: %v", err)
	}
	if _, err := s.Sync(context.Background(), SyncOptions{File: file}); err != nil {
		t.Fatalf("the next sync: %v", err)
	}
	if d := cmp.Diff(expected(smallTenant()), readC1Z(t, file)); d != "" {
		t.Errorf("file after the resumed sync (-want +got):\n%s", d)
	}
}
