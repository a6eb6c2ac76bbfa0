package batonsync

import (
	"context"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Client is what the connector needs from NinjaOne. *ninjaone.Client
// satisfies it; tests use a fake. Retries, throttling and token refresh
// live behind it, so the connector never retries.
type Client interface {
	Snapshot(ctx context.Context, opts ninjaone.SnapshotOptions) (*ninjaone.Snapshot, error)
	CreateEndUser(ctx context.Context, req ninjaone.CreateEndUserRequest, sendInvitation bool) (ninjaone.User, error)
	CreateTechnician(ctx context.Context, req ninjaone.CreateTechnicianRequest) (ninjaone.User, error)
	DeleteEndUser(ctx context.Context, id int32) error
	DeleteTechnician(ctx context.Context, id int32) error
	AddRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error
	RemoveRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error
	Validate(ctx context.Context) error
	// RequireScope fails when the token cannot carry scope; provisioning
	// asks it for ninjaone.ScopeManagement before its first write.
	RequireScope(ctx context.Context, scope string) error
}

var _ Client = (*ninjaone.Client)(nil)
