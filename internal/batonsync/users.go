package batonsync

import (
	"context"
	"errors"
	"fmt"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// userSyncer lists technicians and end users, creates accounts and deletes
// users.
type userSyncer struct{ c *Connector }

var (
	_ connectorbuilder.ResourceSyncerV2              = (*userSyncer)(nil)
	_ connectorbuilder.AccountManagerV2              = (*userSyncer)(nil)
	_ connectorbuilder.ResourceDeleterV2             = (*userSyncer)(nil)
	_ connectorbuilder.ResourceTargetedSyncerLimited = (*userSyncer)(nil)
)

func (u *userSyncer) ResourceType(context.Context) *v2.ResourceType { return userResourceType }

func (u *userSyncer) List(ctx context.Context, _ *v2.ResourceId, opts resource.SyncOpAttrs) ([]*v2.Resource, *resource.SyncOpResults, error) {
	st, err := u.c.forSync(ctx, opts.SyncID)
	if err != nil {
		return nil, nil, err
	}
	return listPage(st.users, func(u ninjaone.User) int32 { return u.ID }, opts, u.c.cfg.PageSize, func(user ninjaone.User) (*v2.Resource, error) {
		res, err := userResource(user)
		if err != nil {
			return nil, fmt.Errorf("user %d (%s): %w", user.ID, user.Email, err)
		}
		return res, nil
	})
}

// Get serves a targeted sync (--sync-resources user:34).
func (u *userSyncer) Get(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (*v2.Resource, annotations.Annotations, error) {
	userID, err := parseID(id, userType)
	if err != nil {
		return nil, nil, rpcError(codes.InvalidArgument, err)
	}
	st, err := u.c.forGet(ctx)
	if err != nil {
		return nil, nil, err
	}
	user, ok := st.user(userID)
	if !ok {
		return nil, nil, rpcError(codes.NotFound, errNoSuchResource(id))
	}
	res, err := userResource(user)
	return res, nil, err
}

// Users hold no entitlements and no grants: membership is listed from the
// role's side. The resource type says so, and the SDK does not ask.
func (u *userSyncer) Entitlements(context.Context, *v2.Resource, resource.SyncOpAttrs) ([]*v2.Entitlement, *resource.SyncOpResults, error) {
	return nil, nil, nil
}

func (u *userSyncer) Grants(context.Context, *v2.Resource, resource.SyncOpAttrs) ([]*v2.Grant, *resource.SyncOpResults, error) {
	return nil, nil, nil
}

// CreateAccountCapabilityDetails: NinjaOne's create calls take no password;
// the user sets one through NinjaOne's invitation.
func (u *userSyncer) CreateAccountCapabilityDetails(context.Context) (*v2.CredentialDetailsAccountProvisioning, annotations.Annotations, error) {
	return v2.CredentialDetailsAccountProvisioning_builder{
		SupportedCredentialOptions: []v2.CapabilityDetailCredentialOption{v2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD},
		PreferredCredentialOption:  v2.CapabilityDetailCredentialOption_CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD,
	}.Build(), nil, nil
}

// CreateAccount creates an end user or a technician from the account's
// email and profile (see accountRequest). A user with that email already
// existing is success with the AlreadyExists result, since NinjaOne's
// create calls are not idempotent and a retry must not make a second user.
// The credential options are ignored: whatever password the caller asks
// for, NinjaOne has no way to take one, and none is returned.
func (u *userSyncer) CreateAccount(ctx context.Context, info *v2.AccountInfo, _ *v2.LocalCredentialOptions) (connectorbuilder.CreateAccountResponse, []*v2.PlaintextData, annotations.Annotations, error) {
	if err := u.c.checkProvisioning(); err != nil {
		return nil, nil, nil, err
	}
	req, err := accountRequest(info)
	if err != nil {
		return nil, nil, nil, rpcError(codes.InvalidArgument, err)
	}
	st, err := u.c.fresh(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if existing, ok := st.userByEmail(req.email); ok {
		res, err := userResource(existing)
		if err != nil {
			return nil, nil, nil, err
		}
		return v2.CreateAccountResponse_AlreadyExistsResult_builder{Resource: res, IsCreateAccountResult: true}.Build(), nil, nil, nil
	}

	var created ninjaone.User
	switch req.userType {
	case ninjaone.Technician:
		created, err = u.c.client.CreateTechnician(ctx, ninjaone.CreateTechnicianRequest{
			FirstName: req.firstName, LastName: req.lastName, Email: req.email, Phone: req.phone,
		})
	default:
		created, err = u.c.client.CreateEndUser(ctx, ninjaone.CreateEndUserRequest{
			FirstName: req.firstName, LastName: req.lastName, Email: req.email, Phone: req.phone,
			OrganizationID: req.organizationID, FullPortalAccess: req.fullPortalAccess,
		}, req.sendInvitation)
	}
	if err != nil {
		return nil, nil, nil, explain(fmt.Errorf("creating %s %s: %w", describeType(req.userType), req.email, err))
	}
	created.UserType = req.userType
	res, err := userResource(created)
	if err != nil {
		return nil, nil, nil, err
	}
	return v2.CreateAccountResponse_SuccessResult_builder{Resource: res, IsCreateAccountResult: true}.Build(), nil, nil, nil
}

// Delete deletes a user through the endpoint of its type, unless it is
// protected. A user that does not exist is success, since the end state is
// the one asked for, with the ResourceDoesNotExist annotation.
func (u *userSyncer) Delete(ctx context.Context, id *v2.ResourceId, _ *v2.ResourceId) (annotations.Annotations, error) {
	if err := u.c.checkProvisioning(); err != nil {
		return nil, err
	}
	userID, err := parseID(id, userType)
	if err != nil {
		return nil, rpcError(codes.InvalidArgument, err)
	}
	st, err := u.c.fresh(ctx)
	if err != nil {
		return nil, err
	}
	user, ok := st.user(userID)
	if !ok {
		// Success, so that a retried delete (its first answer lost) is
		// not a failure; the annotation lets a caller that asked about
		// a user that never existed say so.
		return annotations.New(&v2.ResourceDoesNotExist{}), nil
	}
	if why := u.c.protect.reason(user); why != "" {
		return nil, refused(fmt.Errorf("refusing to delete user %d (%s): %s", user.ID, user.Email, why))
	}
	if user.UserType == ninjaone.Technician {
		err = u.c.client.DeleteTechnician(ctx, user.ID)
	} else {
		err = u.c.client.DeleteEndUser(ctx, user.ID)
	}
	if err != nil && !errors.Is(err, ninjaone.ErrNotFound) {
		return nil, explain(fmt.Errorf("deleting %s %d (%s): %w", describeType(user.UserType), user.ID, user.Email, err))
	}
	return nil, nil
}
