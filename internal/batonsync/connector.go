package batonsync

import (
	"context"
	"errors"
	"sync"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Config configures a Connector.
type Config struct {
	// Protected holds case-insensitive email globs ("root@example.com",
	// "*@vendor.example"). Matching users, and System Administrators
	// always, are never removed from a role or deleted.
	Protected []string
	// Provisioning enables Grant, Revoke, CreateAccount and Delete. Off,
	// they refuse, as the upstream connector does without
	// BATON_PROVISIONING.
	Provisioning bool
	// ValidateWithSnapshot makes Validate read the Snapshot the sync is
	// about to need instead of making its own cheap read, and keeps it for
	// that sync. The SDK's syncer always validates first; with this set, a
	// one-shot sync makes exactly the Snapshot's requests and no more.
	ValidateWithSnapshot bool
	// PageSize is how many items one page holds when the SDK does not ask
	// for a size (it does not); 0 means 1,000.
	PageSize int
}

// Connector is a connectorbuilder.ConnectorBuilderV2 over a Client.
type Connector struct {
	client  Client
	cfg     Config
	protect protection

	// The snapshot of the current sync. Validate may read it before the
	// sync has an id (the SDK validates before it starts the sync); the
	// first syncer call then adopts it.
	mu      sync.Mutex
	cur     *state
	curSync string
	claimed bool
	// noRoleGrants: the sync under way writes no role grants (Server.Sync
	// says so), so a role of unknown membership cannot make it partial.
	noRoleGrants bool
}

var _ connectorbuilder.ConnectorBuilderV2 = (*Connector)(nil)

// New returns a connector reading and writing through client.
func New(client Client, cfg Config) (*Connector, error) {
	if client == nil {
		return nil, errors.New("batonsync: nil client")
	}
	p, err := newProtection(cfg.Protected)
	if err != nil {
		return nil, err
	}
	return &Connector{client: client, cfg: cfg, protect: p}, nil
}

// Metadata describes the connector and the profile CreateAccount reads.
func (c *Connector) Metadata(ctx context.Context) (*v2.ConnectorMetadata, error) {
	return v2.ConnectorMetadata_builder{
		DisplayName:           "NinjaOne (ninjaops)",
		Description:           "NinjaOne technicians, end users and user roles, with role membership as grants",
		AccountCreationSchema: accountCreationSchema(),
	}.Build(), nil
}

// Validate checks that NinjaOne answers with these credentials: a token and
// one cheap read (or, for a one-shot sync, the Snapshot itself). The error
// says whether the credentials, the scope or the region is wrong.
func (c *Connector) Validate(ctx context.Context) (annotations.Annotations, error) {
	if c.cfg.ValidateWithSnapshot {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cur == nil {
			st, err := c.read(ctx)
			if err != nil {
				return nil, err
			}
			c.cur, c.curSync, c.claimed = st, "", false
		}
		return nil, c.checkForSync(c.cur)
	}
	if err := c.client.Validate(ctx); err != nil {
		return nil, explain(err)
	}
	return nil, nil
}

// ResourceSyncers returns the user and role syncers, both views over the
// same per-sync snapshot.
func (c *Connector) ResourceSyncers(ctx context.Context) []connectorbuilder.ResourceSyncerV2 {
	return []connectorbuilder.ResourceSyncerV2{&userSyncer{c: c}, &roleSyncer{c: c}, &adminSyncer{c: c}}
}

// forSync returns the snapshot of sync syncID, reading it on first use.
// Every syncer of one sync shares it, so a sync reads NinjaOne once.
func (c *Connector) forSync(ctx context.Context, syncID string) (*state, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && (!c.claimed || c.curSync == syncID) {
		if err := c.checkForSync(c.cur); err != nil {
			return nil, err
		}
		c.curSync, c.claimed = syncID, true
		return c.cur, nil
	}
	st, err := c.read(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.checkForSync(st); err != nil {
		return nil, err
	}
	c.cur, c.curSync, c.claimed = st, syncID, true
	return st, nil
}

// forGet is the snapshot a targeted sync's Get serves from: the one
// Validate read for the sync about to run, else a fresh read. Get carries
// no sync id, so it never claims a snapshot for a sync.
func (c *Connector) forGet(ctx context.Context) (*state, error) {
	c.mu.Lock()
	st, noRoleGrants := c.cur, c.noRoleGrants
	if c.claimed {
		st = nil
	}
	c.mu.Unlock()
	if st == nil {
		var err error
		if st, err = c.read(ctx); err != nil {
			return nil, err
		}
	}
	if !noRoleGrants {
		if err := st.unknownMembership(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// checkForSync refuses a read to sync from whose roles were listed without
// their members, unless the sync writes no role grants; c.mu is held.
func (c *Connector) checkForSync(st *state) error {
	if c.noRoleGrants {
		return nil
	}
	return st.unknownMembership()
}

// syncing tells the connector whether the sync about to run writes role
// grants (Server.Sync knows; a sync the connector was not told of, as in
// service mode, is taken to write them).
func (c *Connector) syncing(roleGrants bool) {
	c.mu.Lock()
	c.noRoleGrants = !roleGrants
	c.mu.Unlock()
}

// fresh reads NinjaOne now. Provisioning decides from live data, never from
// a sync's snapshot or the c1z, which may be hours old. Only provisioning
// calls it, before its first write, so it is also where a token that
// cannot write (no management scope) is refused.
func (c *Connector) fresh(ctx context.Context) (*state, error) {
	if err := c.client.RequireScope(ctx, ninjaone.ScopeManagement); err != nil {
		return nil, explain(err)
	}
	return c.read(ctx)
}

func (c *Connector) read(ctx context.Context) (*state, error) {
	snap, err := c.client.Snapshot(ctx, ninjaone.SnapshotOptions{})
	if err != nil {
		return nil, explain(err)
	}
	return newState(snap), nil
}

func (c *Connector) checkProvisioning() error {
	if !c.cfg.Provisioning {
		return refused(errors.New("provisioning is disabled: enable it with --provisioning or BATON_PROVISIONING=true"))
	}
	return nil
}

// refused is a refusal by one of the connector's guards: provisioning
// disabled, or a protected user. It has the code FailedPrecondition, which
// ConductorOne does not retry, and an ErrorInfo detail that says it is
// ours: the SDK's own stores use FailedPrecondition too (an empty c1z is
// "no current sync"), and those are failures, not refusals.
func refused(err error) error {
	st, derr := status.New(codes.FailedPrecondition, err.Error()).WithDetails(&errdetails.ErrorInfo{Reason: refusalReason, Domain: refusalDomain})
	if derr != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	return st.Err()
}

const (
	refusalReason = "REFUSED_BY_GUARD"
	refusalDomain = "ninjaops"
)

// IsRefusal reports whether err, possibly wrapped by the SDK and carried
// over gRPC, is a refusal by the connector's guards.
func IsRefusal(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.FailedPrecondition {
		return false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == refusalReason && info.GetDomain() == refusalDomain {
			return true
		}
	}
	return false
}

// rpcError is an error with a gRPC code and a message meant for a person.
// The SDK retries Unavailable and DeadlineExceeded with long waits, and the
// client retries already, so those two codes are never used here.
func rpcError(code codes.Code, err error) error {
	return status.Error(code, err.Error())
}
