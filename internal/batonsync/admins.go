package batonsync

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/types/entitlement"
	"github.com/conductorone/baton-sdk/pkg/types/grant"
	"github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
)

// System Administrators are access a reviewer must see, though NinjaOne
// keeps it in a flag on the technician rather than in a role: one
// resource, `system_role:administrator`, with one entitlement and a grant
// per administrator. NinjaOne's API can neither make nor unmake one, so
// the type has no provisioner (ConductorOne then offers no grant or
// revoke) and the entitlement and grants are marked immutable.
const (
	systemRoleType = "system_role"
	adminRoleID    = "administrator"
	// AdminEntitlement is the System Administrators' entitlement id.
	AdminEntitlement = systemRoleType + ":" + adminRoleID + ":" + memberSlug
)

var systemRoleResourceType = v2.ResourceType_builder{
	Id:          systemRoleType,
	DisplayName: "System role",
	Description: "NinjaOne's built-in System Administrator status: read-only, since NinjaOne never lets it be granted or removed through its API",
	Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_ROLE},
}.Build()

func adminRoleResource() (*v2.Resource, error) {
	return resource.NewRoleResource("System Administrators", systemRoleResourceType, adminRoleID, nil,
		resource.WithDescription("Technicians with NinjaOne's System Administrator flag: full access to the tenant, set in NinjaOne's console only"),
		resource.WithResourceProfile(map[string]any{"name": "System Administrators", "read_only": true}),
	)
}

func adminEntitlement(role *v2.Resource) *v2.Entitlement {
	return entitlement.NewAssignmentEntitlement(role, memberSlug,
		entitlement.WithGrantableTo(userResourceType),
		entitlement.WithDisplayName("System Administrator"),
		entitlement.WithDescription("A NinjaOne System Administrator: full access to the tenant. Read-only: set in NinjaOne's console, never through the API"),
		entitlement.WithAnnotation(&v2.EntitlementImmutable{}),
	)
}

// adminSyncer lists the System Administrators as access. It has no Grant
// or Revoke, on purpose.
type adminSyncer struct{ c *Connector }

var (
	_ connectorbuilder.ResourceSyncerV2              = (*adminSyncer)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*adminSyncer)(nil)
)

func (a *adminSyncer) ResourceType(context.Context) *v2.ResourceType { return systemRoleResourceType }

func (a *adminSyncer) List(ctx context.Context, _ *v2.ResourceId, opts resource.SyncOpAttrs) ([]*v2.Resource, *resource.SyncOpResults, error) {
	if opts.PageToken.Token != "" {
		return nil, nil, nil
	}
	res, err := adminRoleResource()
	if err != nil {
		return nil, nil, err
	}
	return []*v2.Resource{res}, nil, nil
}

func (a *adminSyncer) Entitlements(_ context.Context, role *v2.Resource, _ resource.SyncOpAttrs) ([]*v2.Entitlement, *resource.SyncOpResults, error) {
	return []*v2.Entitlement{adminEntitlement(role)}, nil, nil
}

// Grants lists a grant per System Administrator, a page at a time.
func (a *adminSyncer) Grants(ctx context.Context, role *v2.Resource, opts resource.SyncOpAttrs) ([]*v2.Grant, *resource.SyncOpResults, error) {
	st, err := a.c.forSync(ctx, opts.SyncID)
	if err != nil {
		return nil, nil, err
	}
	ids, next, err := page(st.admins, func(id int32) int32 { return id }, opts.PageToken.Token, pageSize(opts.PageToken.Size, a.c.cfg.PageSize))
	if err != nil {
		return nil, nil, rpcError(codes.InvalidArgument, err)
	}
	out := make([]*v2.Grant, 0, len(ids))
	for _, id := range ids {
		out = append(out, grant.NewGrant(role, memberSlug, userResourceID(id), grant.WithAnnotation(&v2.GrantImmutable{})))
	}
	return out, &resource.SyncOpResults{NextPageToken: next}, nil
}

// Get serves a targeted sync of the one resource.
func (a *adminSyncer) Get(_ context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	if id.GetResourceType() != systemRoleType || id.GetResource() != adminRoleID {
		return nil, nil, rpcError(codes.NotFound, errNoSuchResource(id))
	}
	res, err := adminRoleResource()
	return res, nil, err
}
