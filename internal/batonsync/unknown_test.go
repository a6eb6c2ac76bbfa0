package batonsync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// unknownTenant is smallTenant with roles 100 (Helpdesk) and 103 (the
// end-user Helpdesk) listed without their members.
func unknownTenant() ninjaone.Snapshot {
	snap := smallTenant()
	for _, i := range []int{0, 3} {
		snap.Roles[i].Members, snap.Roles[i].MembersUnknown = nil, true
	}
	return snap
}

// A role NinjaOne listed without its members is not synced as a role with
// no grants, a silently partial view: the sync is refused before anything
// is written, naming the roles, whether the connector validates with the
// Snapshot (a one-shot sync) or reads it on the first syncer call (as in
// service mode).
func TestSyncRefusesRolesOfUnknownMembership(t *testing.T) {
	for _, validate := range []bool{true, false} {
		name := "read by the syncers"
		if validate {
			name = "read by Validate"
		}
		t.Run(name, func(t *testing.T) {
			f := newFake(unknownTenant())
			s := startServer(t, newTestConnector(t, f, Config{ValidateWithSnapshot: validate}))
			file := filepath.Join(t.TempDir(), "sync.c1z")
			_, err := s.Sync(context.Background(), SyncOptions{File: file})
			want := `NinjaOne listed 2 roles without their members (role 100 "Helpdesk", role 103 "Helpdesk"): who holds them is unknown, and a sync would show them with no grants; refusing to sync a partial view.`
			if err == nil || !strings.Contains(Message(err), want) {
				t.Fatalf("sync: %v\nwant it to say %q", err, want)
			}
			if IsRefusal(err) {
				t.Errorf("a partial read is an error, not a refusal by a guard (exit 3): %v", err)
			}
			if validate {
				// Refused before the SDK opened the file.
				if _, err := os.Stat(file); !os.IsNotExist(err) {
					t.Errorf("%s was written from a partial read (%v)", file, err)
				}
			}
			if reads := f.count("Snapshot") + f.count("Validate"); f.total() != reads {
				t.Errorf("calls %v, want reads only", f.calls)
			}
		})
	}
}

// A sync that writes no role grants has no use for role membership, so a
// role of unknown membership does not stop it: users and roles only,
// resource types without roles, a targeted sync of users.
func TestSyncWithoutRoleGrantsTakesRolesOfUnknownMembership(t *testing.T) {
	user2, err := ParseResourceRef("user:2")
	if err != nil {
		t.Fatal(err)
	}
	role101, err := ParseResourceRef("role:101")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		opts   SyncOptions
		refuse bool
	}{
		{"skip entitlements and grants", SyncOptions{SkipEntitlementsAndGrants: true}, false},
		{"users only", SyncOptions{ResourceTypes: []string{userType, systemRoleType}}, false},
		{"targeted users", SyncOptions{Resources: []*v2.ResourceId{user2}}, false},
		{"roles", SyncOptions{ResourceTypes: []string{roleType}}, true},
		// Conservative: a targeted role of known membership is refused
		// too when another role's is unknown.
		{"targeted role", SyncOptions{Resources: []*v2.ResourceId{role101}}, true},
		{"full", SyncOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(unknownTenant())
			s := startServer(t, newTestConnector(t, f, Config{ValidateWithSnapshot: true}))
			tc.opts.File = filepath.Join(t.TempDir(), "sync.c1z")
			_, err := s.Sync(context.Background(), tc.opts)
			switch {
			case tc.refuse && (err == nil || !strings.Contains(Message(err), "refusing to sync a partial view")):
				t.Errorf("sync: %v, want it refused", err)
			case !tc.refuse && err != nil:
				t.Errorf("sync: %v", err)
			case !tc.refuse:
				if got := readC1Z(t, tc.opts.File); len(got.Grants) != 0 && tc.opts.SkipEntitlementsAndGrants {
					t.Errorf("grants written: %v", got.Grants)
				}
			}
		})
	}
	// The next sync on the same server asks for grants again, and is
	// refused again: what one sync allowed does not carry over.
	f := newFake(unknownTenant())
	s := startServer(t, newTestConnector(t, f, Config{ValidateWithSnapshot: true}))
	if _, err := s.Sync(context.Background(), SyncOptions{File: filepath.Join(t.TempDir(), "a.c1z"), SkipEntitlementsAndGrants: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(context.Background(), SyncOptions{File: filepath.Join(t.TempDir(), "b.c1z")}); err == nil {
		t.Error("a full sync after a resources-only one was not refused")
	}
}

// The grants of a role of unknown membership are never served as none,
// even to a sync that said it writes no role grants and asks for them.
func TestGrantsOfARoleOfUnknownMembership(t *testing.T) {
	st := newState(cloneSnapshot(unknownTenant()))
	if _, _, err := grantPage(st, "", 100); err == nil || !strings.Contains(err.Error(), `role 100 "Helpdesk"`) {
		t.Errorf("grantPage: %v, want an error naming role 100", err)
	}
	// Role 101's membership is known: its grants are served.
	c := newTestConnector(t, newFake(unknownTenant()), Config{})
	c.cur, c.claimed, c.noRoleGrants = st, false, true
	r := &roleSyncer{c: c}
	role101, err := roleResource(st.roles[1])
	if err != nil {
		t.Fatal(err)
	}
	grants, _, err := r.Grants(context.Background(), role101, resource.SyncOpAttrs{})
	if err != nil || len(grants) != 1 {
		t.Errorf("grants of role 101: %v, %v", grants, err)
	}
	role100, err := roleResource(st.roles[0])
	if err != nil {
		t.Fatal(err)
	}
	if grants, _, err := r.Grants(context.Background(), role100, resource.SyncOpAttrs{}); err == nil {
		t.Errorf("grants of role 100, of unknown membership: %v, want an error", grants)
	}
}
