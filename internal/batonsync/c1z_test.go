package batonsync

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// contents is what a c1z holds, flattened so go-cmp can diff it against
// what a Snapshot says it should hold.
type contents struct {
	Users        map[string]fileUser
	Roles        map[string]fileRole
	SystemRoles  map[string]fileRole
	Entitlements []string // "role:12:member PURPOSE grantable to user: display name"
	Grants       []string // grant ids
	// Immutable lists the immutable entitlements and grants by id.
	Immutable []string
}

type fileUser struct {
	Name, Email, Login, Status, AccountType string
	GivenName, FamilyName                   string
	StatusDetails, Description              string
	// Profile is the resource's, TraitProfile the user trait's.
	Profile, TraitProfile map[string]any
}

type fileRole struct {
	Name    string
	Profile map[string]any
}

// readC1Z reads every resource, entitlement and grant of the latest sync in
// path, following page tokens to the end.
func readC1Z(t testing.TB, path string) contents {
	t.Helper()
	ctx := context.Background()
	store, err := dotc1z.NewStore(ctx, path, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(t.TempDir()))
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer store.Close(ctx)

	got := contents{Users: map[string]fileUser{}, Roles: map[string]fileRole{}, SystemRoles: map[string]fileRole{}}
	for tok := ""; ; {
		resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{PageToken: tok}.Build())
		if err != nil {
			t.Fatalf("ListResources: %v", err)
		}
		for _, r := range resp.GetList() {
			id := r.GetId().GetResource()
			switch r.GetId().GetResourceType() {
			case userType:
				ut, err := resource.GetUserTrait(r)
				if err != nil {
					t.Fatalf("user %s: %v", id, err)
				}
				var emails []string
				for _, e := range ut.GetEmails() {
					emails = append(emails, fmt.Sprintf("%s primary=%v", e.GetAddress(), e.GetIsPrimary()))
				}
				if _, dup := got.Users[id]; dup {
					t.Errorf("user %s listed twice", id)
				}
				//nolint:staticcheck // the trait's status and profile are what `baton` reads
				got.Users[id] = fileUser{
					Name: r.GetDisplayName(), Email: strings.Join(emails, ","), Login: ut.GetLogin(),
					Status:        ut.GetStatus().GetStatus().String() + "/" + r.GetStatus().GetStatus().String(),
					StatusDetails: ut.GetStatus().GetDetails() + "/" + r.GetStatus().GetDetails(),
					AccountType:   ut.GetAccountType().String(),
					GivenName:     ut.GetStructuredName().GetGivenName(),
					FamilyName:    ut.GetStructuredName().GetFamilyName(),
					Description:   r.GetDescription(),
					Profile:       r.GetProfile().AsMap(),
					TraitProfile:  ut.GetProfile().AsMap(),
				}
			case roleType:
				if _, err := resource.GetRoleTrait(r); err != nil {
					t.Fatalf("role %s: %v", id, err)
				}
				if _, dup := got.Roles[id]; dup {
					t.Errorf("role %s listed twice", id)
				}
				got.Roles[id] = fileRole{Name: r.GetDisplayName(), Profile: r.GetProfile().AsMap()}
			case systemRoleType:
				if _, err := resource.GetRoleTrait(r); err != nil {
					t.Fatalf("system role %s: %v", id, err)
				}
				got.SystemRoles[id] = fileRole{Name: r.GetDisplayName(), Profile: r.GetProfile().AsMap()}
			default:
				t.Errorf("unexpected resource %s:%s", r.GetId().GetResourceType(), id)
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	for tok := ""; ; {
		resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{PageToken: tok}.Build())
		if err != nil {
			t.Fatalf("ListEntitlements: %v", err)
		}
		for _, e := range resp.GetList() {
			var to []string
			for _, rt := range e.GetGrantableTo() {
				to = append(to, rt.GetId())
			}
			got.Entitlements = append(got.Entitlements, fmt.Sprintf("%s %s grantable to %s: %s", e.GetId(), e.GetPurpose(), strings.Join(to, ","), e.GetDisplayName()))
			if annos := annotations.Annotations(e.GetAnnotations()); annos.Contains(&v2.EntitlementImmutable{}) {
				got.Immutable = append(got.Immutable, e.GetId())
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	for tok := ""; ; {
		resp, err := store.ListGrants(ctx, v2.GrantsServiceListGrantsRequest_builder{PageToken: tok}.Build())
		if err != nil {
			t.Fatalf("ListGrants: %v", err)
		}
		for _, g := range resp.GetList() {
			want := g.GetEntitlement().GetId() + ":" + g.GetPrincipal().GetId().GetResourceType() + ":" + g.GetPrincipal().GetId().GetResource()
			if g.GetId() != want {
				t.Errorf("grant id %s, want %s", g.GetId(), want)
			}
			got.Grants = append(got.Grants, g.GetId())
			if annos := annotations.Annotations(g.GetAnnotations()); annos.Contains(&v2.GrantImmutable{}) {
				got.Immutable = append(got.Immutable, g.GetId())
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	sort.Strings(got.Entitlements)
	sort.Strings(got.Grants)
	sort.Strings(got.Immutable)
	return got
}

// expected is what a sync of snap must write, built from the Snapshot
// directly rather than through the connector's own conversion.
func expected(snap ninjaone.Snapshot) contents {
	want := contents{
		Users: map[string]fileUser{}, Roles: map[string]fileRole{},
		SystemRoles:  map[string]fileRole{"administrator": {Name: "System Administrators", Profile: map[string]any{"name": "System Administrators", "read_only": true}}},
		Entitlements: []string{"system_role:administrator:member PURPOSE_VALUE_ASSIGNMENT grantable to user: System Administrator"},
		Immutable:    []string{"system_role:administrator:member"},
	}
	add := func(u ninjaone.User, typ ninjaone.UserType) {
		status := "STATUS_ENABLED"
		if !u.Enabled {
			status = "STATUS_DISABLED"
		}
		details := map[string]string{"PENDING": "invitation pending", "EXPIRED": "invitation expired"}[u.InvitationStatus]
		prof := map[string]any{"firstName": u.FirstName, "lastName": u.LastName, "userType": string(typ), "administrator": u.Administrator}
		trait := map[string]any{"first_name": u.FirstName, "last_name": u.LastName, "user_id": fmt.Sprint(u.ID), "email": u.Email, "login": u.Email,
			"user_type": string(typ), "administrator": u.Administrator}
		desc := "NinjaOne technician"
		if u.Administrator {
			desc += ", System Administrator"
		}
		if typ == ninjaone.EndUser {
			prof["organizationId"] = float64(u.OrganizationID)
			trait["organization_id"] = float64(u.OrganizationID)
			desc = fmt.Sprintf("NinjaOne end user of organization %d", u.OrganizationID)
		}
		if u.InvitationStatus != "" {
			trait["invitation_status"] = u.InvitationStatus
		}
		want.Users[fmt.Sprint(u.ID)] = fileUser{
			Name: u.FirstName + " " + u.LastName, Email: u.Email + " primary=true", Login: u.Email,
			Status: status + "/RESOURCE_" + status, StatusDetails: details + "/" + details, AccountType: "ACCOUNT_TYPE_HUMAN",
			GivenName: u.FirstName, FamilyName: u.LastName, Description: desc,
			Profile: prof, TraitProfile: trait,
		}
		if typ == ninjaone.Technician && u.Administrator {
			g := fmt.Sprintf("system_role:administrator:member:user:%d", u.ID)
			want.Grants = append(want.Grants, g)
			want.Immutable = append(want.Immutable, g)
		}
	}
	users := map[int32]bool{}
	for _, u := range snap.Technicians {
		add(u, ninjaone.Technician)
		users[u.ID] = true
	}
	for _, u := range snap.EndUsers {
		add(u, ninjaone.EndUser)
		users[u.ID] = true
	}
	kind := map[ninjaone.UserType]string{ninjaone.Technician: "technician role", ninjaone.EndUser: "end-user role"}
	for _, r := range snap.Roles {
		want.Roles[fmt.Sprint(r.ID)] = fileRole{Name: r.Name, Profile: map[string]any{"name": r.Name, "type": string(r.Type), "description": r.Description}}
		want.Entitlements = append(want.Entitlements, fmt.Sprintf("role:%d:member PURPOSE_VALUE_ASSIGNMENT grantable to user: %s (%s) member", r.ID, r.Name, kind[r.Type]))
		seen := map[int32]bool{}
		for _, m := range r.Members {
			if users[m.ID] && !seen[m.ID] {
				seen[m.ID] = true
				want.Grants = append(want.Grants, fmt.Sprintf("role:%d:member:user:%d", r.ID, m.ID))
			}
		}
	}
	sort.Strings(want.Entitlements)
	sort.Strings(want.Grants)
	sort.Strings(want.Immutable)
	return want
}
