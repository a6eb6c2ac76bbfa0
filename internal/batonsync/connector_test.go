package batonsync

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

func newTestConnector(t *testing.T, f *fakeClient, cfg Config) *Connector {
	t.Helper()
	c, err := New(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startServer(t *testing.T, c *Connector) *Server {
	t.Helper()
	s, err := Start(context.Background(), c, Options{TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func syncFake(t *testing.T, f *fakeClient, cfg Config, engine Engine) (contents, Summary) {
	t.Helper()
	cfg.ValidateWithSnapshot = true
	s := startServer(t, newTestConnector(t, f, cfg))
	path := filepath.Join(t.TempDir(), "sync.c1z")
	sum, err := s.Sync(context.Background(), SyncOptions{File: path, Engine: engine})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return readC1Z(t, path), sum
}

// TestSyncMatchesSnapshot syncs through the SDK into a file, reads the file
// back, and wants exactly the snapshot's users, roles, entitlements and
// grants, with one Snapshot read and nothing else. Page sizes that split
// every list into several pages exercise the page tokens.
func TestSyncMatchesSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pageSize int
		engine   Engine
	}{
		{"one page sqlite", 0, SQLite},
		{"pages of two sqlite", 2, SQLite},
		{"pages of three pebble", 3, Pebble},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := smallTenant()
			// A member the user lists do not know is left out, not
			// written as a grant to a missing principal.
			snap.Roles[1].Members = append(snap.Roles[1].Members, ninjaone.RoleMember{ID: 999})
			f := newFake(snap)
			got, sum := syncFake(t, f, Config{PageSize: tc.pageSize}, tc.engine)
			want := expected(smallTenant())
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("file contents (-want +got):\n%s", d)
			}
			if n := f.count("Snapshot"); n != 1 || f.total() != 1 {
				t.Errorf("calls %v, want exactly one Snapshot", f.calls)
			}
			wantSum := Summary{Engine: tc.engine, Resources: 12, Entitlements: 5, Grants: 6}
			gotSum := Summary{Engine: sum.Engine, Resources: sum.Resources, Entitlements: sum.Entitlements, Grants: sum.Grants}
			if d := cmp.Diff(wantSum, gotSum); d != "" {
				t.Errorf("summary (-want +got):\n%s", d)
			}
			if sum.FileBytes <= 0 || sum.ResourcesByType["user"] != 7 || sum.ResourcesByType["role"] != 4 || sum.ResourcesByType["system_role"] != 1 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

func TestPage(t *testing.T) {
	ids := []int32{2, 3, 5, 8, 13}
	id := func(i int32) int32 { return i }
	for _, tc := range []struct {
		token    string
		size     int
		want     []int32
		wantNext string
		wantErr  string
	}{
		{"", 2, []int32{2, 3}, "3", ""},
		{"3", 2, []int32{5, 8}, "8", ""},
		{"8", 2, []int32{13}, "", ""},
		{"", 10, ids, "", ""},
		// The last id served was removed since: resume after it anyway.
		{"4", 2, []int32{5, 8}, "8", ""},
		{"13", 2, []int32{}, "", ""},
		{"x", 2, nil, "", "page token"},
	} {
		got, next, err := page(ids, id, tc.token, tc.size)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("page(%q): err %v, want %q", tc.token, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !cmp.Equal(append([]int32{}, got...), tc.want) || next != tc.wantNext {
			t.Errorf("page(%q, %d) = %v, %q, %v; want %v, %q", tc.token, tc.size, got, next, err, tc.want, tc.wantNext)
		}
		if next != "" && next == tc.token {
			t.Errorf("page(%q) returned its own token", tc.token)
		}
	}
	if got := pageSize(0, 0); got != defaultPageSize {
		t.Errorf("pageSize(0,0) = %d", got)
	}
	if got := pageSize(1e6, 0); got != maxPageSize {
		t.Errorf("pageSize(1e6,0) = %d", got)
	}
}

// TestSnapshotPerSync: all calls of one sync share one read; a new sync id
// reads again.
func TestSnapshotPerSync(t *testing.T) {
	f := newFake(smallTenant())
	c := newTestConnector(t, f, Config{})
	ctx := context.Background()
	for _, id := range []string{"a", "a", "a", "b", "b"} {
		if _, err := c.forSync(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("Snapshot"); n != 2 {
		t.Errorf("Snapshot read %d times for two syncs, want 2", n)
	}
}

func grantArgs(roleID, userID string) (*v2.Resource, *v2.Entitlement) {
	role := v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: "role", Resource: roleID}.Build(), DisplayName: "r"}.Build()
	user := v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: "user", Resource: userID}.Build()}.Build()
	return user, memberEntitlement(role, "")
}

func TestGrant(t *testing.T) {
	for _, tc := range []struct {
		name         string
		cfg          Config
		role, user   string
		wantCode     codes.Code
		wantErr      string
		wantExisting bool
		wantAdds     int
	}{
		{name: "adds", cfg: Config{Provisioning: true}, role: "102", user: "2", wantAdds: 1},
		{name: "already a member", cfg: Config{Provisioning: true}, role: "100", user: "2", wantExisting: true},
		{name: "provisioning off", role: "102", user: "2", wantCode: codes.FailedPrecondition, wantErr: "BATON_PROVISIONING=true"},
		{name: "end user into technician role", cfg: Config{Provisioning: true}, role: "102", user: "10", wantCode: codes.InvalidArgument, wantErr: `cannot add user 10 (eve@example.com) to role 102 "Empty": it is a technician role, which takes technicians only, and the user is an end user`},
		{name: "technician into end-user role of the same name", cfg: Config{Provisioning: true}, role: "103", user: "2", wantCode: codes.InvalidArgument, wantErr: `cannot add user 2 (alice@example.com) to role 103 "Helpdesk": it is an end-user role, which takes end users only, and the user is a technician`},
		{name: "role of unknown type", cfg: Config{Provisioning: true}, role: "104", user: "2", wantCode: codes.InvalidArgument, wantErr: "NinjaOne did not say whether it is a technician or an end-user role"},
		{name: "unknown role", cfg: Config{Provisioning: true}, role: "555", user: "2", wantCode: codes.NotFound, wantErr: "role 555"},
		{name: "unknown user", cfg: Config{Provisioning: true}, role: "102", user: "555", wantCode: codes.NotFound, wantErr: "user 555"},
		{name: "bad id", cfg: Config{Provisioning: true}, role: "102", user: "x", wantCode: codes.InvalidArgument, wantErr: "user:x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := smallTenant()
			snap.Roles = append(snap.Roles, ninjaone.Role{ID: 104, Name: "Typeless"})
			f := newFake(snap)
			c := newTestConnector(t, f, tc.cfg)
			principal, ent := grantArgs(tc.role, tc.user)
			grants, annos, err := (&roleSyncer{c: c}).Grant(context.Background(), principal, ent)
			if tc.wantErr != "" {
				if status.Code(err) != tc.wantCode || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %v %q", err, tc.wantCode, tc.wantErr)
				}
				if f.count("AddRoleMembers") != 0 {
					t.Errorf("AddRoleMembers called after a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := annotations.Annotations(annos)
			if a.Contains(&v2.GrantAlreadyExists{}) != tc.wantExisting {
				t.Errorf("GrantAlreadyExists = %v, want %v", !tc.wantExisting, tc.wantExisting)
			}
			if n := f.count("AddRoleMembers"); n != tc.wantAdds {
				t.Errorf("AddRoleMembers called %d times, want %d", n, tc.wantAdds)
			}
			if len(grants) != 1 || grants[0].GetId() != "role:"+tc.role+":member:user:"+tc.user {
				t.Errorf("grants %v", grants)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cfg         Config
		role, user  string
		wantCode    codes.Code
		wantErr     string
		wantRevoked bool
		wantRemoves int
	}{
		{name: "removes", cfg: Config{Provisioning: true}, role: "100", user: "2", wantRemoves: 1},
		{name: "not a member", cfg: Config{Provisioning: true}, role: "102", user: "2", wantRevoked: true},
		{name: "user gone", cfg: Config{Provisioning: true}, role: "100", user: "555", wantRevoked: true},
		{name: "role gone", cfg: Config{Provisioning: true}, role: "555", user: "2", wantRevoked: true},
		{name: "system administrator", cfg: Config{Provisioning: true}, role: "100", user: "1", wantCode: codes.FailedPrecondition, wantErr: "System Administrator"},
		{name: "protected glob", cfg: Config{Provisioning: true, Protected: []string{"*@VENDOR.example"}}, role: "100", user: "3", wantCode: codes.FailedPrecondition, wantErr: `refusing to remove user 3 (vic@vendor.example) from role 100 "Helpdesk": the user's email matches the protected pattern "*@vendor.example"`},
		{name: "provisioning off", role: "100", user: "2", wantCode: codes.FailedPrecondition, wantErr: "provisioning is disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(smallTenant())
			c := newTestConnector(t, f, tc.cfg)
			principal, ent := grantArgs(tc.role, tc.user)
			g := v2.Grant_builder{Id: "x", Entitlement: ent, Principal: principal}.Build()
			annos, err := (&roleSyncer{c: c}).Revoke(context.Background(), g)
			if tc.wantErr != "" {
				if status.Code(err) != tc.wantCode || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %v %q", err, tc.wantCode, tc.wantErr)
				}
				if f.count("RemoveRoleMembers") != 0 {
					t.Errorf("RemoveRoleMembers called after a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := annotations.Annotations(annos)
			if a.Contains(&v2.GrantAlreadyRevoked{}) != tc.wantRevoked {
				t.Errorf("GrantAlreadyRevoked = %v, want %v", !tc.wantRevoked, tc.wantRevoked)
			}
			if n := f.count("RemoveRoleMembers"); n != tc.wantRemoves {
				t.Errorf("RemoveRoleMembers called %d times, want %d", n, tc.wantRemoves)
			}
		})
	}
}

// A role NinjaOne listed without its members may hold the user: a revoke
// is sent, not answered "already revoked".
func TestRevokeFromARoleOfUnknownMembership(t *testing.T) {
	snap := smallTenant()
	snap.Roles[0].Members, snap.Roles[0].MembersUnknown = nil, true
	f := newFake(snap)
	c := newTestConnector(t, f, Config{Provisioning: true})
	principal, ent := grantArgs("100", "2")
	annos, err := (&roleSyncer{c: c}).Revoke(context.Background(), v2.Grant_builder{Id: "x", Entitlement: ent, Principal: principal}.Build())
	if err != nil {
		t.Fatal(err)
	}
	if a := annotations.Annotations(annos); a.Contains(&v2.GrantAlreadyRevoked{}) || f.count("RemoveRoleMembers") != 1 {
		t.Errorf("annotations %v, %d removals; want the removal sent", annos, f.count("RemoveRoleMembers"))
	}
}

// Every provisioning call asks for the management scope before it reads or
// writes anything, and a token without it is refused with the client's
// message, which names the scope and the setting to change.
func TestProvisioningNeedsTheManagementScope(t *testing.T) {
	scopeErr := &ninjaone.ScopeError{Scope: ninjaone.ScopeManagement, Asked: []string{"monitoring", "management"}, Granted: []string{"monitoring"}}
	ctx := context.Background()
	calls := map[string]func(c *Connector) error{
		"grant": func(c *Connector) error {
			principal, ent := grantArgs("102", "2")
			_, _, err := (&roleSyncer{c: c}).Grant(ctx, principal, ent)
			return err
		},
		"revoke": func(c *Connector) error {
			principal, ent := grantArgs("100", "2")
			_, err := (&roleSyncer{c: c}).Revoke(ctx, v2.Grant_builder{Id: "x", Entitlement: ent, Principal: principal}.Build())
			return err
		},
		"create-account": func(c *Connector) error {
			profile, _ := structpb.NewStruct(map[string]any{"firstName": "Ada", "lastName": "Lovelace", "organizationId": 7})
			_, _, _, err := (&userSyncer{c: c}).CreateAccount(ctx, v2.AccountInfo_builder{Login: "ada@example.com", Profile: profile}.Build(), nil)
			return err
		},
		"delete": func(c *Connector) error {
			_, err := (&userSyncer{c: c}).Delete(ctx, v2.ResourceId_builder{ResourceType: "user", Resource: "2"}.Build(), nil)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			f := newFake(smallTenant())
			f.fail["RequireScope management"] = scopeErr
			err := call(newTestConnector(t, f, Config{Provisioning: true}))
			if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "needs the management scope") || !strings.Contains(err.Error(), "Client app IDs") {
				t.Errorf("err = %v, want PermissionDenied naming the scope and the client app setting", err)
			}
			if f.total() != 1 {
				t.Errorf("calls %v, want only the scope check", f.calls)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		user     string
		wantCode codes.Code
		wantErr  string
		wantCall string
	}{
		{name: "technician", cfg: Config{Provisioning: true}, user: "2", wantCall: "DeleteTechnician"},
		{name: "end user", cfg: Config{Provisioning: true}, user: "10", wantCall: "DeleteEndUser"},
		{name: "already gone", cfg: Config{Provisioning: true}, user: "555"},
		{name: "system administrator", cfg: Config{Provisioning: true}, user: "1", wantCode: codes.FailedPrecondition, wantErr: "refusing to delete user 1 (root@example.com): the user is a System Administrator"},
		{name: "protected", cfg: Config{Provisioning: true, Protected: []string{"eve@example.com"}}, user: "10", wantCode: codes.FailedPrecondition, wantErr: "protected pattern"},
		{name: "provisioning off", user: "2", wantCode: codes.FailedPrecondition, wantErr: "provisioning is disabled"},
		{name: "not a user", cfg: Config{Provisioning: true}, user: "role:100", wantCode: codes.InvalidArgument, wantErr: "is not a user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(smallTenant())
			c := newTestConnector(t, f, tc.cfg)
			rid := v2.ResourceId_builder{ResourceType: "user", Resource: tc.user}.Build()
			if typ, id, ok := strings.Cut(tc.user, ":"); ok {
				rid = v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build()
			}
			annos, err := (&userSyncer{c: c}).Delete(context.Background(), rid, nil)
			deletes := f.count("DeleteTechnician") + f.count("DeleteEndUser")
			if tc.wantErr != "" {
				if status.Code(err) != tc.wantCode || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %v %q", err, tc.wantCode, tc.wantErr)
				}
				if deletes != 0 {
					t.Errorf("a delete call was made after a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCall == "" && deletes != 0 || tc.wantCall != "" && (f.count(tc.wantCall) != 1 || deletes != 1) {
				t.Errorf("calls %v, want one %q", f.calls, tc.wantCall)
			}
			// A user that does not exist is success, and says so.
			a := annotations.Annotations(annos)
			if got := a.Contains(&v2.ResourceDoesNotExist{}); got != (tc.wantCall == "") {
				t.Errorf("ResourceDoesNotExist = %v, want %v", got, tc.wantCall == "")
			}
		})
	}
}

// The protected globs are those of ninjaops.yaml: case-insensitive, and
// '/' (which an email's local part may hold) is an ordinary character.
func TestProtection(t *testing.T) {
	p, err := newProtection([]string{"*@Vendor.example", "  ", "root@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user ninjaone.User
		want bool
	}{
		{ninjaone.User{Email: "vic@vendor.example"}, true},
		{ninjaone.User{Email: "ops/admin@VENDOR.example"}, true},
		{ninjaone.User{Email: "ROOT@example.com"}, true},
		{ninjaone.User{Email: "alice@example.com"}, false},
		{ninjaone.User{Email: "vic@vendor.example.org"}, false},
		{ninjaone.User{Email: "alice@example.com", Administrator: true}, true},
	} {
		if got := p.reason(tc.user) != ""; got != tc.want {
			t.Errorf("%+v protected = %v, want %v", tc.user, got, tc.want)
		}
	}
	if _, err := newProtection([]string{"[a-"}); err == nil {
		t.Error("a malformed pattern was accepted")
	}
}

func TestCreateAccount(t *testing.T) {
	for _, tc := range []struct {
		name         string
		email        string
		profile      map[string]any
		provisionOff bool
		wantErr      string
		wantCall     string
		wantExists   bool
		wantUser     ninjaone.User
		wantInvite   bool
	}{
		{name: "end user", email: "new@example.com",
			profile:  map[string]any{"firstName": "New", "lastName": "Person", "organizationId": 7, "phone": "+1 555", "sendInvitation": true, "fullPortalAccess": "true"},
			wantCall: "CreateEndUser", wantInvite: true,
			wantUser: ninjaone.User{FirstName: "New", LastName: "Person", Email: "new@example.com", Phone: "+1 555", OrganizationID: 7, FullPortalAccess: true, UserType: ninjaone.EndUser, Enabled: true}},
		{name: "technician", email: "tech@example.com",
			profile:  map[string]any{"firstName": "T", "lastName": "Echo", "userType": "technician"},
			wantCall: "CreateTechnician",
			wantUser: ninjaone.User{FirstName: "T", LastName: "Echo", Email: "tech@example.com", UserType: ninjaone.Technician, Enabled: true}},
		{name: "email in the profile", profile: map[string]any{"email": "p@example.com", "firstName": "P", "lastName": "Q", "organizationId": "8"},
			wantCall: "CreateEndUser",
			wantUser: ninjaone.User{FirstName: "P", LastName: "Q", Email: "p@example.com", OrganizationID: 8, UserType: ninjaone.EndUser, Enabled: true}},
		// NinjaOne counts characters, not bytes: 150 two-byte letters fit.
		{name: "names of 150 non-ASCII characters", email: "long@example.com",
			profile:  map[string]any{"firstName": strings.Repeat("é", 150), "lastName": "Ö", "userType": "TECHNICIAN"},
			wantCall: "CreateTechnician",
			wantUser: ninjaone.User{FirstName: strings.Repeat("é", 150), LastName: "Ö", Email: "long@example.com", UserType: ninjaone.Technician, Enabled: true}},
		{name: "name over 150 characters", email: "x@example.com", profile: map[string]any{"firstName": strings.Repeat("é", 151), "lastName": "Y", "organizationId": 7}, wantErr: "at most 150 characters"},
		{name: "already exists, any case", email: "EVE@example.com", profile: map[string]any{"firstName": "E", "lastName": "E", "organizationId": 7}, wantExists: true},
		{name: "unknown key", email: "x@example.com", profile: map[string]any{"firstName": "X", "lastName": "Y", "organisationId": 7}, wantErr: `unknown key "organisationId"`},
		{name: "no names", email: "x@example.com", profile: map[string]any{"organizationId": 7}, wantErr: "firstName and lastName are required"},
		{name: "end user without organization", email: "x@example.com", profile: map[string]any{"firstName": "X", "lastName": "Y"}, wantErr: "needs an organizationId"},
		{name: "technician with organization", email: "x@example.com", profile: map[string]any{"firstName": "X", "lastName": "Y", "userType": "TECHNICIAN", "organizationId": 7}, wantErr: "organizationId applies to end users only"},
		{name: "bad type", email: "x@example.com", profile: map[string]any{"firstName": "X", "lastName": "Y", "userType": "robot"}, wantErr: `userType "robot"`},
		{name: "bad organization", email: "x@example.com", profile: map[string]any{"firstName": "X", "lastName": "Y", "organizationId": 1.5}, wantErr: "positive whole number"},
		{name: "no email", profile: map[string]any{"firstName": "X", "lastName": "Y", "organizationId": 7}, wantErr: "needs an email"},
		{name: "provisioning off", email: "x@example.com", profile: map[string]any{"firstName": "X", "lastName": "Y", "organizationId": 7}, provisionOff: true, wantErr: "provisioning is disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(smallTenant())
			c := newTestConnector(t, f, Config{Provisioning: !tc.provisionOff})
			prof, err := structpb.NewStruct(tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			info := v2.AccountInfo_builder{Profile: prof}.Build()
			if tc.email != "" {
				info.SetEmails([]*v2.AccountInfo_Email{v2.AccountInfo_Email_builder{Address: tc.email, IsPrimary: true}.Build()})
			}
			// A password option is ignored: NinjaOne takes none.
			opts := v2.LocalCredentialOptions_builder{RandomPassword: v2.LocalCredentialOptions_RandomPassword_builder{Length: 20}.Build()}.Build()
			resp, plain, _, err := (&userSyncer{c: c}).CreateAccount(context.Background(), info, opts)
			creates := f.count("CreateEndUser") + f.count("CreateTechnician")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if creates != 0 {
					t.Errorf("a create call was made after a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(plain) != 0 {
				t.Errorf("credentials returned: %v", plain)
			}
			if tc.wantExists {
				r, ok := resp.(*v2.CreateAccountResponse_AlreadyExistsResult)
				if !ok || r.GetResource().GetId().GetResource() != "10" || creates != 0 {
					t.Errorf("resp %v, creates %d; want AlreadyExists for user 10", resp, creates)
				}
				return
			}
			r, ok := resp.(*v2.CreateAccountResponse_SuccessResult)
			if !ok || f.count(tc.wantCall) != 1 || creates != 1 {
				t.Fatalf("resp %T, calls %v; want success through %s", resp, f.calls, tc.wantCall)
			}
			snap := f.snap
			all := append(append([]ninjaone.User{}, snap.Technicians...), snap.EndUsers...)
			got := all[len(all)-1]
			if tc.wantCall == "CreateTechnician" {
				got = snap.Technicians[len(snap.Technicians)-1]
			}
			if r.GetResource().GetId().GetResource() != userResourceID(got.ID).GetResource() {
				t.Errorf("resource %v, created id %d", r.GetResource().GetId(), got.ID)
			}
			got.ID = 0
			if d := cmp.Diff(tc.wantUser, got); d != "" {
				t.Errorf("created user (-want +got):\n%s", d)
			}
			if tc.wantCall == "CreateEndUser" && f.invitations[f.nextID-1] != tc.wantInvite {
				t.Errorf("sendInvitation %v, want %v", !tc.wantInvite, tc.wantInvite)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{Provisioning: true}))
	md, err := s.Client().GetMetadata(context.Background(), &v2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string][]string{}
	for _, rc := range md.GetMetadata().GetCapabilities().GetResourceTypeCapabilities() {
		for _, c := range rc.GetCapabilities() {
			caps[rc.GetResourceType().GetId()] = append(caps[rc.GetResourceType().GetId()], c.String())
		}
	}
	// System Administrators are read-only: synced, never provisioned.
	want := map[string][]string{
		"role":        {"CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC", "CAPABILITY_PROVISION"},
		"system_role": {"CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC"},
		"user":        {"CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC", "CAPABILITY_ACCOUNT_PROVISIONING", "CAPABILITY_RESOURCE_DELETE"},
	}
	for k := range caps {
		slices.Sort(caps[k])
	}
	for k := range want {
		slices.Sort(want[k])
	}
	if d := cmp.Diff(want, caps); d != "" {
		t.Errorf("capabilities (-want +got):\n%s", d)
	}
	ap := md.GetMetadata().GetCapabilities().GetCredentialDetails().GetCapabilityAccountProvisioning()
	if ap.GetPreferredCredentialOption() != v2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD {
		t.Errorf("account provisioning details %v", ap)
	}
	if f.total() != 0 {
		t.Errorf("metadata made calls: %v", f.calls)
	}
}

func TestValidateExplains(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
		code codes.Code
	}{
		{"region", &ninjaone.APIError{Method: "POST", Path: "/ws/oauth/token", StatusCode: 404, ResultCode: "Client app not exist"}, "wrong region or client id", codes.Unauthenticated},
		{"scope", &ninjaone.APIError{Method: "POST", Path: "/ws/oauth/token", StatusCode: 400, AuthError: "invalid_scope"}, "wrong scope", codes.PermissionDenied},
		{"credentials", &ninjaone.APIError{Method: "POST", Path: "/ws/oauth/token", StatusCode: 401, AuthError: "invalid_client"}, "wrong credentials", codes.Unauthenticated},
		{"wrapped credentials", errors.Join(errors.New("token"), &ninjaone.APIError{Method: "GET", Path: "/v2/users", StatusCode: 401}), "wrong credentials", codes.Unauthenticated},
		{"other", errors.New("connection refused"), "connection refused", codes.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, snapshotMode := range []bool{false, true} {
				f := newFake(smallTenant())
				f.fail["Validate"] = tc.err
				f.fail["Snapshot"] = tc.err
				c := newTestConnector(t, f, Config{ValidateWithSnapshot: snapshotMode})
				_, err := c.Validate(context.Background())
				if err == nil || !strings.Contains(err.Error(), tc.want) || status.Code(err) != tc.code {
					t.Errorf("snapshot mode %v: Validate: %v, want %v %q", snapshotMode, err, tc.code, tc.want)
				}
				if !strings.Contains(err.Error(), tc.err.Error()) {
					t.Errorf("the client's own message is lost: %v", err)
				}
				if f.total() != 1 {
					t.Errorf("calls %v, want one", f.calls)
				}
			}
		})
	}
}

// TestRunnerProvisioning drives the provisioning through the SDK's one-shot
// provisioner and the in-process server, with a sync in between each step.
func TestRunnerProvisioning(t *testing.T) {
	ctx := context.Background()
	f := newFake(smallTenant())
	s := startServer(t, newTestConnector(t, f, Config{Provisioning: true, Protected: []string{"*@vendor.example"}}))
	dir := t.TempDir()
	n := 0
	resync := func() contents {
		n++
		path := filepath.Join(dir, "sync.c1z")
		if _, err := s.Sync(ctx, SyncOptions{File: path}); err != nil {
			t.Fatalf("sync %d: %v", n, err)
		}
		return readC1Z(t, path)
	}
	has := func(c contents, grant string) bool {
		for _, g := range c.Grants {
			if g == grant {
				return true
			}
		}
		return false
	}
	file := filepath.Join(dir, "sync.c1z")
	resync()

	out, err := s.Grant(ctx, file, "role:102:member", "user:2")
	if err != nil || !out.Changed {
		t.Fatalf("grant: %+v %v", out, err)
	}
	if !has(resync(), "role:102:member:user:2") {
		t.Errorf("grant not in the next sync")
	}
	if out, err := s.Grant(ctx, file, "role:102:member", "user:2"); err != nil || out.Changed {
		t.Errorf("grant again: %+v %v, want unchanged", out, err)
	}
	if out, err := s.Revoke(ctx, file, "role:102:member:user:2"); err != nil || !out.Changed {
		t.Fatalf("revoke: %+v %v", out, err)
	}
	if has(resync(), "role:102:member:user:2") {
		t.Errorf("revoked grant still in the next sync")
	}
	_, err = s.Revoke(ctx, file, "role:100:member:user:3")
	if err == nil || !strings.Contains(Message(err), `refusing to remove user 3 (vic@vendor.example) from role 100 "Helpdesk"`) || strings.Contains(Message(err), "rpc error") {
		t.Errorf("revoke of a protected user: %v (message %q)", err, Message(err))
	}
	if !IsRefusal(err) {
		t.Errorf("revoke of a protected user is not a refusal after gRPC: %v", err)
	}

	out, err = s.CreateAccount(ctx, file, "new@example.com", map[string]any{"firstName": "N", "lastName": "U", "organizationId": 7})
	if err != nil || !out.Changed || !strings.HasPrefix(out.Resource, "user:") {
		t.Fatalf("create: %+v %v", out, err)
	}
	id := strings.TrimPrefix(out.Resource, "user:")
	if u, ok := resync().Users[id]; !ok || u.Login != "new@example.com" {
		t.Errorf("created user %s not in the next sync", id)
	}
	if out2, err := s.CreateAccount(ctx, file, "new@example.com", map[string]any{"firstName": "N", "lastName": "U", "organizationId": 7}); err != nil || out2.Changed || out2.Resource != out.Resource {
		t.Errorf("create again: %+v %v, want unchanged %s", out2, err, out.Resource)
	}
	if _, err := s.Delete(ctx, file, out.Resource); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := resync().Users[id]; ok {
		t.Errorf("deleted user %s still in the next sync", id)
	}
	if _, err := s.Delete(ctx, file, "user:1"); err == nil || !strings.Contains(Message(err), "System Administrator") {
		t.Errorf("delete of a System Administrator: %v", err)
	}
}

// TestGrantPage walks memberships across roles, empty roles included, in
// pages of every size, and resumes after a role that has since vanished.
func TestGrantPage(t *testing.T) {
	st := newState(&ninjaone.Snapshot{
		Technicians: []ninjaone.User{{ID: 1}, {ID: 2}, {ID: 3}},
		Roles: []ninjaone.Role{
			{ID: 10, Members: []ninjaone.RoleMember{{ID: 2}, {ID: 1}}},
			{ID: 20},
			{ID: 30, Members: []ninjaone.RoleMember{{ID: 3}}},
			{ID: 40},
		},
	})
	all := []string{"10:1", "10:2", "30:3"}
	for size := 1; size <= 4; size++ {
		var got []string
		pages := 0
		for tok := ""; ; {
			ms, next, err := grantPage(st, tok, size)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, m := range ms {
				got = append(got, fmt.Sprintf("%d:%d", st.roles[m.role].ID, m.user))
			}
			if next == "" {
				break
			}
			if next == tok || pages > 10 {
				t.Fatalf("size %d: token %q does not advance", size, next)
			}
			tok = next
		}
		if d := cmp.Diff(all, got); d != "" {
			t.Errorf("size %d (-want +got):\n%s", size, d)
		}
		if want := (len(all) + size - 1) / size; pages != want {
			t.Errorf("size %d: %d pages, want %d (no empty last page)", size, pages, want)
		}
	}
	for tok, want := range map[string][]string{
		"15:9": {"30:3"},         // role 15 vanished: carry on with the next role
		"10:1": {"10:2", "30:3"}, // resume inside a role
		"10:5": {"30:3"},         // the last member served has since left
		"30:3": nil,
	} {
		ms, _, err := grantPage(st, tok, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%d:%d", st.roles[m.role].ID, m.user))
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after %s (-want +got):\n%s", tok, d)
		}
	}
	if _, _, err := grantPage(st, "x", 1); err == nil {
		t.Error("bad token accepted")
	}
}
