package batonsync

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// roleSyncer lists user roles, their `member` entitlement and a grant per
// member, and provisions membership (the SDK routes Grant and Revoke to the
// syncer of the entitlement's resource type).
type roleSyncer struct{ c *Connector }

var (
	_ connectorbuilder.ResourceSyncerV2              = (*roleSyncer)(nil)
	_ connectorbuilder.ResourceProvisionerV2         = (*roleSyncer)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*roleSyncer)(nil)
)

func (r *roleSyncer) ResourceType(context.Context) *v2.ResourceType { return roleResourceType }

func (r *roleSyncer) List(ctx context.Context, _ *v2.ResourceId, opts resource.SyncOpAttrs) ([]*v2.Resource, *resource.SyncOpResults, error) {
	st, err := r.c.forSync(ctx, opts.SyncID)
	if err != nil {
		return nil, nil, err
	}
	return listPage(st.roles, func(r ninjaone.Role) int32 { return r.ID }, opts, r.c.cfg.PageSize, func(role ninjaone.Role) (*v2.Resource, error) {
		res, err := roleResource(role)
		if err != nil {
			return nil, fmt.Errorf("role %d %q: %w", role.ID, role.Name, err)
		}
		return res, nil
	})
}

// Get serves a targeted sync (--sync-resources role:12). Roles list their
// entitlements and grants by type, so the SDK syncs the role alone.
func (r *roleSyncer) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	roleID, err := parseID(id, roleType)
	if err != nil {
		return nil, nil, rpcError(codes.InvalidArgument, err)
	}
	st, err := r.c.forGet(ctx)
	if err != nil {
		return nil, nil, err
	}
	role, _, ok := st.role(roleID)
	if !ok {
		return nil, nil, rpcError(codes.NotFound, errNoSuchResource(id))
	}
	res, err := roleResource(role)
	return res, nil, err
}

func (r *roleSyncer) Entitlements(ctx context.Context, role *v2.Resource, opts resource.SyncOpAttrs) ([]*v2.Entitlement, *resource.SyncOpResults, error) {
	// roleResource puts the type in the profile; only a resource built
	// elsewhere, without it, needs the live role looked up.
	typ := roleTypeOf(role)
	if id, err := parseID(role.GetId(), roleType); err == nil && typ == "" {
		st, err := r.c.forSync(ctx, opts.SyncID)
		if err != nil {
			return nil, nil, err
		}
		if live, _, ok := st.role(id); ok {
			typ = live.Type
		}
	}
	return []*v2.Entitlement{memberEntitlement(role, typ)}, nil, nil
}

// Grants lists the role's members from the snapshot, a page at a time, so
// that a role of 100,000 members never becomes one gRPC message.
func (r *roleSyncer) Grants(ctx context.Context, role *v2.Resource, opts resource.SyncOpAttrs) ([]*v2.Grant, *resource.SyncOpResults, error) {
	roleID, err := parseID(role.GetId(), roleType)
	if err != nil {
		return nil, nil, rpcError(codes.InvalidArgument, err)
	}
	st, err := r.c.forSync(ctx, opts.SyncID)
	if err != nil {
		return nil, nil, err
	}
	_, members, ok := st.role(roleID)
	if !ok {
		return nil, nil, nil
	}
	if i := st.roleByID[roleID]; st.roles[i].MembersUnknown {
		return nil, nil, st.unknownRole(i)
	}
	ids, next, err := page(members, func(id int32) int32 { return id }, opts.PageToken.Token, pageSize(opts.PageToken.Size, r.c.cfg.PageSize))
	if err != nil {
		return nil, nil, rpcError(codes.InvalidArgument, err)
	}
	out := make([]*v2.Grant, 0, len(ids))
	for _, id := range ids {
		out = append(out, memberGrant(role, id))
	}
	return out, &resource.SyncOpResults{NextPageToken: next}, nil
}

// target is a role and a user, looked up live.
type target struct {
	st      *state
	role    ninjaone.Role
	members []int32
	roleOK  bool
	user    ninjaone.User
	userOK  bool
}

func (r *roleSyncer) lookup(ctx context.Context, roleRID, userRID *v2.ResourceId) (target, error) {
	roleID, err := parseID(roleRID, roleType)
	if err != nil {
		return target{}, rpcError(codes.InvalidArgument, err)
	}
	userID, err := parseID(userRID, userType)
	if err != nil {
		return target{}, rpcError(codes.InvalidArgument, err)
	}
	st, err := r.c.fresh(ctx)
	if err != nil {
		return target{}, err
	}
	t := target{st: st}
	t.role, t.members, t.roleOK = st.role(roleID)
	if !t.roleOK {
		t.role.ID = roleID
	}
	t.user, t.userOK = st.user(userID)
	if !t.userOK {
		t.user.ID = userID
	}
	return t, nil
}

// Grant adds the principal to the role. A user who is already a member is
// success, with the GrantAlreadyExists annotation.
func (r *roleSyncer) Grant(ctx context.Context, principal *v2.Resource, ent *v2.Entitlement) ([]*v2.Grant, annotations.Annotations, error) {
	if err := r.c.checkProvisioning(); err != nil {
		return nil, nil, err
	}
	if ent.GetSlug() != "" && ent.GetSlug() != memberSlug {
		return nil, nil, rpcError(codes.InvalidArgument, fmt.Errorf("entitlement %s: a NinjaOne role has only the %q entitlement", ent.GetId(), memberSlug))
	}
	t, err := r.lookup(ctx, ent.GetResource().GetId(), principal.GetId())
	if err != nil {
		return nil, nil, err
	}
	if !t.roleOK {
		return nil, nil, rpcError(codes.NotFound, fmt.Errorf("role %d does not exist in NinjaOne any more; sync again", t.role.ID))
	}
	if !t.userOK {
		return nil, nil, rpcError(codes.NotFound, fmt.Errorf("user %d does not exist in NinjaOne any more; sync again", t.user.ID))
	}
	// A technician role takes technicians and an end-user role end users;
	// NinjaOne's own answer to a mismatch is not documented, so it is never
	// sent.
	switch {
	case !t.role.Type.Valid():
		return nil, nil, rpcError(codes.InvalidArgument, fmt.Errorf("cannot add user %d (%s) to role %d %q: NinjaOne did not say whether it is a technician or an end-user role (type %q), so whether the user may join it cannot be checked",
			t.user.ID, t.user.Email, t.role.ID, t.role.Name, t.role.Type))
	case t.role.Type != t.user.UserType:
		return nil, nil, rpcError(codes.InvalidArgument, fmt.Errorf("cannot add user %d (%s) to role %d %q: it is %s, which takes %ss only, and the user is %s",
			t.user.ID, t.user.Email, t.role.ID, t.role.Name, withArticle(roleKind(t.role.Type)), describeType(t.role.Type), withArticle(describeType(t.user.UserType))))
	}
	roleRes, err := roleResource(t.role)
	if err != nil {
		return nil, nil, err
	}
	g := memberGrant(roleRes, t.user.ID)
	if isMember(t.members, t.user.ID) {
		return []*v2.Grant{g}, annotations.New(&v2.GrantAlreadyExists{}), nil
	}
	if err := r.c.client.AddRoleMembers(ctx, t.role.ID, []int32{t.user.ID}); err != nil {
		return nil, nil, explain(fmt.Errorf("adding user %d (%s) to role %d %q: %w", t.user.ID, t.user.Email, t.role.ID, t.role.Name, err))
	}
	return []*v2.Grant{g}, nil, nil
}

// Revoke removes the principal from the role, unless the user is protected.
// A user who is not a member (or no longer exists) is success, with the
// GrantAlreadyRevoked annotation.
func (r *roleSyncer) Revoke(ctx context.Context, g *v2.Grant) (annotations.Annotations, error) {
	if err := r.c.checkProvisioning(); err != nil {
		return nil, err
	}
	t, err := r.lookup(ctx, g.GetEntitlement().GetResource().GetId(), g.GetPrincipal().GetId())
	if err != nil {
		return nil, err
	}
	if t.userOK {
		if why := r.c.protect.reason(t.user); why != "" {
			return nil, refused(fmt.Errorf("refusing to remove user %d (%s) from role %d %q: %s",
				t.user.ID, t.user.Email, t.role.ID, t.role.Name, why))
		}
	}
	// A role listed without its members may still hold the user: only a
	// known membership can be already revoked.
	if !t.userOK || !t.roleOK || (!isMember(t.members, t.user.ID) && !t.role.MembersUnknown) {
		return annotations.New(&v2.GrantAlreadyRevoked{}), nil
	}
	if err := r.c.client.RemoveRoleMembers(ctx, t.role.ID, []int32{t.user.ID}); err != nil {
		return nil, explain(fmt.Errorf("removing user %d (%s) from role %d %q: %w", t.user.ID, t.user.Email, t.role.ID, t.role.Name, err))
	}
	return nil, nil
}

func describeType(t ninjaone.UserType) string {
	switch t {
	case ninjaone.Technician:
		return "technician"
	case ninjaone.EndUser:
		return "end user"
	}
	return string(t)
}

func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

var (
	_ connectorbuilder.TypeScopedEntitlementsSyncer = (*roleSyncer)(nil)
	_ connectorbuilder.TypeScopedGrantsSyncer       = (*roleSyncer)(nil)
)

// EntitlementsForResourceType lists the member entitlement of every role,
// in pages of roles.
func (r *roleSyncer) EntitlementsForResourceType(ctx context.Context, _ string, opts resource.SyncOpAttrs) ([]*v2.Entitlement, *resource.SyncOpResults, error) {
	roles, res, err := r.List(ctx, nil, opts)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*v2.Entitlement, 0, len(roles))
	for _, role := range roles {
		out = append(out, memberEntitlement(role, roleTypeOf(role)))
	}
	return out, res, nil
}

// GrantsForResourceType lists the grants of every role, in pages that run
// across roles. The page token is "<roleId>:<userId>" of the last grant
// served (keyset paging, like List).
func (r *roleSyncer) GrantsForResourceType(ctx context.Context, _ string, opts resource.SyncOpAttrs) ([]*v2.Grant, *resource.SyncOpResults, error) {
	st, err := r.c.forSync(ctx, opts.SyncID)
	if err != nil {
		return nil, nil, err
	}
	pairs, next, err := grantPage(st, opts.PageToken.Token, pageSize(opts.PageToken.Size, r.c.cfg.PageSize))
	if _, coded := status.FromError(err); err != nil && !coded {
		err = rpcError(codes.InvalidArgument, err)
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]*v2.Grant, 0, len(pairs))
	var roleRes *v2.Resource
	last := -1
	for _, p := range pairs {
		if p.role != last {
			if roleRes, err = roleResource(st.roles[p.role]); err != nil {
				return nil, nil, err
			}
			last = p.role
		}
		out = append(out, memberGrant(roleRes, p.user))
	}
	return out, &resource.SyncOpResults{NextPageToken: next}, nil
}

// membership is one role member: an index into state.roles and a user id.
type membership struct {
	role int
	user int32
}

// grantPage serves up to size memberships after the one token names.
func grantPage(st *state, token string, size int) ([]membership, string, error) {
	ri, mi := 0, 0
	if token != "" {
		rs, us, ok := strings.Cut(token, ":")
		roleID, err1 := strconv.ParseInt(rs, 10, 32)
		userID, err2 := strconv.ParseInt(us, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, "", fmt.Errorf("page token %q: want <roleId>:<userId> of the last grant served", token)
		}
		var found bool
		ri, found = slices.BinarySearchFunc(st.roles, int32(roleID), func(r ninjaone.Role, id int32) int { return cmpInt32(r.ID, id) })
		if found {
			mi, _ = slices.BinarySearch(st.members[ri], int32(userID))
			if mi < len(st.members[ri]) && st.members[ri][mi] == int32(userID) {
				mi++
			}
		}
	}
	var out []membership
	for ri < len(st.roles) && len(out) < size {
		if st.roles[ri].MembersUnknown {
			return nil, "", st.unknownRole(ri)
		}
		m := st.members[ri][mi:]
		n := min(len(m), size-len(out))
		for _, u := range m[:n] {
			out = append(out, membership{role: ri, user: u})
		}
		mi += n
		if mi == len(st.members[ri]) {
			ri, mi = ri+1, 0
		}
	}
	// Only say there is more when there is: skip roles with nothing left.
	for ri < len(st.roles) && mi == len(st.members[ri]) {
		ri, mi = ri+1, 0
	}
	if ri == len(st.roles) || len(out) == 0 {
		return out, "", nil
	}
	l := out[len(out)-1]
	return out, fmt.Sprintf("%d:%d", st.roles[l.role].ID, l.user), nil
}
