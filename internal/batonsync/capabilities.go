package batonsync

import (
	"context"
	"errors"
	"fmt"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Capabilities is what the connector can do, as the SDK itself computes it
// from the syncers (sync, targeted sync, provisioning, account creation,
// deletion, per resource type) and reports it in the connector's metadata:
// what the `capabilities` command of every baton connector prints. It
// needs no connection: nothing here asks NinjaOne.
func Capabilities(ctx context.Context) (*v2.ConnectorCapabilities, error) {
	c, err := New(offline{}, Config{})
	if err != nil {
		return nil, err
	}
	cs, err := connectorbuilder.NewConnector(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("baton connector: %w", err)
	}
	if cl, ok := cs.(interface{ Close(context.Context) error }); ok {
		defer cl.Close(ctx)
	}
	md, err := cs.GetMetadata(ctx, &v2.ConnectorServiceGetMetadataRequest{})
	if err != nil {
		return nil, err
	}
	return md.GetMetadata().GetCapabilities(), nil
}

// offline is the Client of a connector that is only asked what it can do.
type offline struct{}

var errOffline = errors.New("batonsync: no NinjaOne connection (capabilities only)")

func (offline) Snapshot(context.Context, ninjaone.SnapshotOptions) (*ninjaone.Snapshot, error) {
	return nil, errOffline
}
func (offline) CreateEndUser(context.Context, ninjaone.CreateEndUserRequest, bool) (ninjaone.User, error) {
	return ninjaone.User{}, errOffline
}
func (offline) CreateTechnician(context.Context, ninjaone.CreateTechnicianRequest) (ninjaone.User, error) {
	return ninjaone.User{}, errOffline
}
func (offline) DeleteEndUser(context.Context, int32) error           { return errOffline }
func (offline) DeleteTechnician(context.Context, int32) error        { return errOffline }
func (offline) AddRoleMembers(context.Context, int32, []int32) error { return errOffline }
func (offline) RemoveRoleMembers(context.Context, int32, []int32) error {
	return errOffline
}
func (offline) Validate(context.Context) error             { return errOffline }
func (offline) RequireScope(context.Context, string) error { return errOffline }
