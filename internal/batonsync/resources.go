package batonsync

import (
	"fmt"
	"strconv"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/types/entitlement"
	"github.com/conductorone/baton-sdk/pkg/types/grant"
	"github.com/conductorone/baton-sdk/pkg/types/resource"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Resource type ids and the one entitlement of a role. ConductorOne and the
// SDK's one-shot flags address things by these strings: `role:12:member`,
// `role:12:member:user:34`.
const (
	userType   = "user"
	roleType   = "role"
	memberSlug = "member"
)

var (
	userResourceType = v2.ResourceType_builder{
		Id:          userType,
		DisplayName: "User",
		Description: "A NinjaOne technician or end user",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_USER},
		// Users hold no entitlements and are granted nothing themselves;
		// saying so spares the SDK two empty calls per user.
		Annotations: annotations.New(&v2.SkipEntitlementsAndGrants{}),
	}.Build()
	roleResourceType = v2.ResourceType_builder{
		Id:          roleType,
		DisplayName: "Role",
		Description: "A NinjaOne user role (technician or end-user role)",
		Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_ROLE},
		// Entitlements and grants of all roles are listed in pages across
		// roles rather than role by role: the SDK pays a checkpoint per
		// action, and 500 roles made 1,000 actions where a few pages do.
		Annotations: annotations.New(&v2.TypeScopedEntitlements{}, &v2.TypeScopedGrants{}),
	}.Build()
)

func userResourceID(id int32) *v2.ResourceId {
	return v2.ResourceId_builder{ResourceType: userType, Resource: strconv.FormatInt(int64(id), 10)}.Build()
}

// userResource is a NinjaOne user as a baton user: login and primary email
// are the email (NinjaOne signs in by email), status follows `enabled`
// with the invitation's state as its details, and the name is given
// structured as well. The profile is on the user trait with the snake_case
// keys first-party connectors use (which the public `baton` tool's exports
// read), and on the resource with the API's own names.
func userResource(u ninjaone.User) (*v2.Resource, error) {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Email
	}
	status, details := userStatus(u)
	profile := map[string]any{
		"firstName":     u.FirstName,
		"lastName":      u.LastName,
		"userType":      string(u.UserType),
		"administrator": u.Administrator,
	}
	traitProfile := map[string]any{
		"first_name":    u.FirstName,
		"last_name":     u.LastName,
		"user_id":       strconv.FormatInt(int64(u.ID), 10),
		"email":         u.Email,
		"login":         u.Email,
		"user_type":     string(u.UserType),
		"administrator": u.Administrator,
	}
	if u.UserType == ninjaone.EndUser {
		profile["organizationId"] = int64(u.OrganizationID)
		traitProfile["organization_id"] = int64(u.OrganizationID)
	}
	if u.InvitationStatus != "" {
		traitProfile["invitation_status"] = u.InvitationStatus
	}
	return resource.NewUserResource(name, userResourceType, int64(u.ID),
		[]resource.UserTraitOption{
			resource.WithEmail(u.Email, true),
			resource.WithUserLogin(u.Email),
			resource.WithStructuredName(v2.UserTrait_StructuredName_builder{GivenName: u.FirstName, FamilyName: u.LastName}.Build()),
			// The trait's status is deprecated in favour of the resource's,
			// but NewUserTrait would otherwise default it to enabled, and
			// this option sets both.
			resource.WithDetailedStatus(status, details), //nolint:staticcheck // sets the trait's and the resource's status
			resource.WithAccountType(v2.UserTrait_ACCOUNT_TYPE_HUMAN),
			// The trait's profile is deprecated too, yet it is the one
			// `baton export` reads; the resource profile is set first, so
			// this one stays on the trait.
			resource.WithUserProfile(traitProfile), //nolint:staticcheck // the trait profile first-party connectors carry
		},
		resource.WithResourceProfile(profile),
		resource.WithDescription(describeUser(u)),
	)
}

// userStatus is a user's status and its details: whether NinjaOne's
// invitation is still pending or has expired, which a reviewer needs to
// tell an account nobody uses yet from one in use.
func userStatus(u ninjaone.User) (v2.UserTrait_Status_Status, string) {
	status := v2.UserTrait_Status_STATUS_ENABLED
	if !u.Enabled {
		status = v2.UserTrait_Status_STATUS_DISABLED
	}
	switch strings.ToUpper(u.InvitationStatus) {
	case "PENDING":
		return status, "invitation pending"
	case "EXPIRED":
		return status, "invitation expired"
	}
	return status, ""
}

// describeUser says what kind of user u is, so that technicians and end
// users are told apart wherever only the description is shown.
func describeUser(u ninjaone.User) string {
	switch {
	case u.UserType == ninjaone.Technician && u.Administrator:
		return "NinjaOne technician, System Administrator"
	case u.UserType == ninjaone.Technician:
		return "NinjaOne technician"
	case u.UserType == ninjaone.EndUser:
		return fmt.Sprintf("NinjaOne end user of organization %d", u.OrganizationID)
	}
	return "NinjaOne user"
}

// roleResource is a NinjaOne user role as a baton role.
func roleResource(r ninjaone.Role) (*v2.Resource, error) {
	opts := []resource.ResourceOption{
		resource.WithResourceProfile(map[string]any{
			"name":        r.Name,
			"type":        string(r.Type),
			"description": r.Description,
		}),
	}
	if r.Description != "" {
		opts = append(opts, resource.WithDescription(r.Description))
	}
	return resource.NewRoleResource(r.Name, roleResourceType, int64(r.ID), nil, opts...)
}

// memberEntitlement is a role's one entitlement, `role:<id>:member`. Its
// name says which kind of role it is: a technician role and an end-user
// role may share a name ("Helpdesk"), and a reviewer must tell them apart.
func memberEntitlement(role *v2.Resource, typ ninjaone.UserType) *v2.Entitlement {
	kind := roleKind(typ)
	desc := "Member of the NinjaOne " + kind + " " + role.GetDisplayName()
	switch typ {
	case ninjaone.Technician:
		desc += "; technicians only"
	case ninjaone.EndUser:
		desc += "; end users only"
	}
	return entitlement.NewAssignmentEntitlement(role, memberSlug,
		entitlement.WithGrantableTo(userResourceType),
		entitlement.WithDisplayName(role.GetDisplayName()+" ("+kind+") member"),
		entitlement.WithDescription(desc),
	)
}

// roleKind names the kind of a role of type t: "technician role",
// "end-user role".
func roleKind(t ninjaone.UserType) string {
	if !t.Valid() {
		return "role"
	}
	return strings.ReplaceAll(describeType(t), " ", "-") + " role"
}

// roleTypeOf is the type of the role resource r, from its profile; "" when
// the resource does not say.
func roleTypeOf(r *v2.Resource) ninjaone.UserType {
	t := ninjaone.UserType(r.GetProfile().GetFields()["type"].GetStringValue())
	if !t.Valid() {
		return ""
	}
	return t
}

// memberGrant is `role:<roleId>:member:user:<userId>`.
func memberGrant(role *v2.Resource, userID int32) *v2.Grant {
	return grant.NewGrant(role, memberSlug, userResourceID(userID))
}

func errNoSuchResource(id *v2.ResourceId) error {
	return fmt.Errorf("%s:%s does not exist in NinjaOne", id.GetResourceType(), id.GetResource())
}

// parseID reads a NinjaOne id out of a baton resource id of type want.
func parseID(id *v2.ResourceId, want string) (int32, error) {
	if id == nil {
		return 0, fmt.Errorf("missing %s resource id", want)
	}
	if id.GetResourceType() != want {
		return 0, fmt.Errorf("resource %s:%s is not a %s", id.GetResourceType(), id.GetResource(), want)
	}
	n, err := strconv.ParseInt(id.GetResource(), 10, 32)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("resource %s:%s: want a NinjaOne %s id, a positive number", id.GetResourceType(), id.GetResource(), want)
	}
	return int32(n), nil
}
