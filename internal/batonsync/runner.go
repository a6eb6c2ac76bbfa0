package batonsync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	gosync "sync"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/connectorbuilder"
	"github.com/conductorone/baton-sdk/pkg/connectorclient"
	"github.com/conductorone/baton-sdk/pkg/connectorstore"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/conductorone/baton-sdk/pkg/dotc1z/c1zstore"
	"github.com/conductorone/baton-sdk/pkg/provisioner"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
	"github.com/conductorone/baton-sdk/pkg/types"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// The runner drives the connector the way ConductorOne's runtime does, but
// inside this process: the connector is served over an in-memory gRPC
// listener and the SDK's own syncer and one-shot provisioner talk to it as
// a client. (The SDK's connectorrunner would re-execute the binary as a
// child and may exit the process when done, so it is not used.)

// Engine is a c1z storage engine.
type Engine = c1zstore.Engine

const (
	// SQLite is the default: the format the public `baton` CLI reads.
	SQLite = c1zstore.EngineSQLite
	// Pebble is the SDK's newer engine, which `baton` cannot read yet.
	Pebble = c1zstore.EnginePebble
)

// ParseEngine reads an engine name as the --storage-engine flag takes it.
func ParseEngine(s string) (Engine, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "sqlite":
		return SQLite, nil
	case "pebble":
		return Pebble, nil
	}
	return "", fmt.Errorf("storage engine %q: want sqlite or pebble", s)
}

// Options configures a Server.
type Options struct {
	// TmpDir is where the SDK unpacks c1z files while it works. Empty
	// means a fresh directory under os.TempDir, removed on Close.
	TmpDir string
	// Logger receives the SDK's logs; nil keeps them quiet.
	Logger *zap.Logger
}

// Server is a connector served in process, with an SDK client to it.
type Server struct {
	client  types.ConnectorClient
	srv     *grpc.Server
	conn    *grpc.ClientConn
	lis     *bufconn.Listener
	closer  func(context.Context) error
	logger  *zap.Logger
	tmpDir  string
	ownsTmp bool
	served  chan struct{}

	closeOnce gosync.Once
	closeErr  error

	// connector is the builder when it is ours, which Sync tells what
	// the sync writes.
	connector *Connector
}

// gRPC limits: the default 4 MB would be the first thing to break on a
// big page; pages are bounded by maxPageSize, so 64 MB is ample.
const maxMsg = 64 << 20

// Start serves builder on an in-memory listener with every connector
// service registered and dials it.
func Start(ctx context.Context, builder connectorbuilder.ConnectorBuilderV2, opts Options) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	ctx = ctxzap.ToContext(ctx, logger)
	cs, err := connectorbuilder.NewConnector(ctx, builder)
	if err != nil {
		return nil, fmt.Errorf("baton connector: %w", err)
	}

	s := &Server{logger: logger, tmpDir: opts.TmpDir, served: make(chan struct{})}
	s.connector, _ = builder.(*Connector)
	if s.tmpDir == "" {
		if s.tmpDir, err = os.MkdirTemp("", "ninjaops-baton-"); err != nil {
			return nil, err
		}
		s.ownsTmp = true
	}
	if c, ok := cs.(interface{ Close(context.Context) error }); ok {
		s.closer = c.Close
	}

	s.lis = bufconn.Listen(1 << 20)
	s.srv = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMsg), grpc.MaxSendMsgSize(maxMsg),
		// The server side of the SDK logs through ctxzap as well.
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctxzap.ToContext(ctx, logger), req)
		}),
	)
	register(s.srv, cs)
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(s.lis)
	}()

	s.conn, err = grpc.NewClient("passthrough:///ninjaops-connector",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.lis.DialContext(ctx) }),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)),
		grpc.WithChainUnaryInterceptor(recordReplies),
	)
	if err != nil {
		s.srv.Stop()
		s.cleanTmp()
		return nil, fmt.Errorf("baton connector: dialing the in-process server: %w", err)
	}
	s.client = connectorclient.NewConnectorClient(ctx, s.conn)
	return s, nil
}

// register registers every service a types.ConnectorServer implements.
func register(s *grpc.Server, cs types.ConnectorServer) {
	v2.RegisterConnectorServiceServer(s, cs)
	v2.RegisterResourceTypesServiceServer(s, cs)
	v2.RegisterResourcesServiceServer(s, cs)
	v2.RegisterResourceGetterServiceServer(s, cs)
	v2.RegisterEntitlementsServiceServer(s, cs)
	v2.RegisterGrantsServiceServer(s, cs)
	v2.RegisterAssetServiceServer(s, cs)
	v2.RegisterEventServiceServer(s, cs)
	v2.RegisterTicketsServiceServer(s, cs)
	v2.RegisterActionServiceServer(s, cs)
	v2.RegisterGrantManagerServiceServer(s, cs)
	v2.RegisterResourceManagerServiceServer(s, cs)
	v2.RegisterResourceDeleterServiceServer(s, cs)
	v2.RegisterAccountManagerServiceServer(s, cs)
	v2.RegisterCredentialManagerServiceServer(s, cs)
}

// Client is the SDK client to the in-process connector.
func (s *Server) Client() types.ConnectorClient { return s.client }

// Close stops the server and removes the temporary directory it made. It
// may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.conn.Close()
		s.srv.Stop()
		<-s.served
		if s.closer != nil {
			err = errors.Join(err, s.closer(context.Background()))
		}
		s.cleanTmp()
		s.closeErr = err
	})
	return s.closeErr
}

func (s *Server) cleanTmp() {
	if s.ownsTmp {
		_ = os.RemoveAll(s.tmpDir)
	}
}

func (s *Server) ctx(ctx context.Context) context.Context { return ctxzap.ToContext(ctx, s.logger) }

// SyncOptions says where and how to write a sync.
type SyncOptions struct {
	File   string // the c1z to write; an unfinished sync in it is resumed
	Engine Engine // for a new file; "" is SQLite
	// Progress, when set, is called after every page the syncer stores.
	Progress func(*sdksync.Progress)
	// SkipEntitlementsAndGrants syncs the resources only.
	SkipEntitlementsAndGrants bool
	// ResourceTypes limits the sync to these resource types; empty is all.
	ResourceTypes []string
	// Resources, when set, makes a partial sync of just these resources
	// (see ParseResourceRef).
	Resources []*v2.ResourceId
}

// writesRoleGrants reports whether a sync with these options may write the
// grants of roles: not when it skips grants, leaves out the role type, or
// targets no role.
func (o SyncOptions) writesRoleGrants() bool {
	switch {
	case o.SkipEntitlementsAndGrants:
		return false
	case len(o.ResourceTypes) > 0 && !slices.Contains(o.ResourceTypes, roleType):
		return false
	case len(o.Resources) > 0 && !slices.ContainsFunc(o.Resources, func(id *v2.ResourceId) bool { return id.GetResourceType() == roleType }):
		return false
	}
	return true
}

// Summary is what a sync wrote, read back from the file's own statistics.
type Summary struct {
	File            string
	Engine          Engine
	SyncType        string // full, partial or resources_only
	Resources       int64
	ResourcesByType map[string]int64
	Entitlements    int64
	Grants          int64
	FileBytes       int64
	Duration        time.Duration
}

// Sync runs a full sync into opts.File and always closes the syncer, which
// finalizes the file.
func (s *Server) Sync(ctx context.Context, opts SyncOptions) (sum Summary, err error) {
	ctx = s.ctx(ctx)
	start := time.Now()
	engine := opts.Engine
	if engine == "" {
		engine = SQLite
	}
	for _, typ := range opts.ResourceTypes {
		if !knownResourceType(typ) {
			return Summary{}, fmt.Errorf("resource type %q: want one of %s", typ, strings.Join(resourceTypeIDs(), ", "))
		}
	}
	staged, install, done, err := s.stageC1Z(opts.File)
	if err != nil {
		return Summary{}, err
	}
	defer done()
	syncOpts := []sdksync.SyncOpt{
		sdksync.WithC1ZPath(staged),
		sdksync.WithTmpDir(s.tmpDir),
		sdksync.WithStorageEngine(engine),
	}
	if opts.Progress != nil {
		syncOpts = append(syncOpts, sdksync.WithProgressHandler(opts.Progress))
	}
	if len(opts.ResourceTypes) > 0 {
		syncOpts = append(syncOpts, sdksync.WithSyncResourceTypes(opts.ResourceTypes))
	}
	if len(opts.Resources) > 0 {
		targets := make([]*v2.Resource, 0, len(opts.Resources))
		for _, id := range opts.Resources {
			targets = append(targets, v2.Resource_builder{Id: id}.Build())
		}
		syncOpts = append(syncOpts, sdksync.WithTargetedSyncResources(targets))
	}
	// After the targets: the SDK keeps a partial sync partial.
	syncOpts = append(syncOpts, sdksync.WithSkipEntitlementsAndGrants(opts.SkipEntitlementsAndGrants))
	if s.connector != nil {
		s.connector.syncing(opts.writesRoleGrants())
		defer s.connector.syncing(true)
	}
	syncer, err := sdksync.NewSyncer(ctx, s.client, syncOpts...)
	if err != nil {
		return Summary{}, fmt.Errorf("starting the sync to %s: %w", opts.File, err)
	}
	err = syncer.Sync(ctx)
	// Close even after a failed sync: it writes the file, which is what
	// lets the next run resume instead of starting over.
	cerr := syncer.Close(ctx)
	if cerr != nil && err == nil {
		err = fmt.Errorf("finishing %s: %w", opts.File, cerr)
	}
	if cerr == nil {
		if ierr := install(); ierr != nil {
			err = errors.Join(err, fmt.Errorf("writing %s: %w", opts.File, ierr))
		}
	}
	if err != nil {
		return Summary{}, err
	}
	sum, err = s.summarize(ctx, opts.File)
	sum.Duration = time.Since(start)
	return sum, err
}

func (s *Server) summarize(ctx context.Context, file string) (Summary, error) {
	sum := Summary{File: file}
	fi, err := os.Stat(file)
	if err != nil {
		return sum, err
	}
	sum.FileBytes = fi.Size()
	store, err := dotc1z.NewStore(ctx, file, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(s.tmpDir))
	if err != nil {
		return sum, fmt.Errorf("reading back %s: %w", file, err)
	}
	defer store.Close(ctx)
	sum.Engine = Engine(store.Metadata().Engine)
	// The sync just finished is the latest of any type: full, partial
	// (--sync-resources) or resources only.
	run, err := store.SyncMeta().LatestFinishedSyncOfAnyType(ctx)
	if err != nil {
		return sum, fmt.Errorf("reading back %s: %w", file, err)
	}
	if run != nil {
		sum.SyncType = string(run.Type)
	}
	st, err := store.SyncMeta().StatsV2(ctx, connectorstore.SyncTypeAny, "")
	if err != nil {
		return sum, fmt.Errorf("reading back %s: %w", file, err)
	}
	sum.Resources = st.GetResources()
	sum.ResourcesByType = st.GetResourcesByResourceType()
	sum.Entitlements = st.GetEntitlements()
	sum.Grants = st.GetGrants()
	return sum, nil
}

// Outcome is the result of one provisioning call.
type Outcome struct {
	// Changed is false when NinjaOne already was as asked (already a
	// member, already removed, the account already existed).
	Changed bool
	// Resource is the account's resource id ("user:56") for CreateAccount.
	Resource string
	// Absent says Delete found no such user: nothing was deleted.
	Absent bool
}

// Grant adds principal ("user:34") to entitlement ("role:12:member"),
// looking both up in file, the c1z of an earlier sync.
// Both must be in file: an id that is not is a *NotInFileError, a file
// that cannot be read a *FileError, each before NinjaOne is asked anything.
func (s *Server) Grant(ctx context.Context, file, entitlementID, principal string) (Outcome, error) {
	typ, id, err := splitResourceID(principal)
	if err != nil {
		return Outcome{}, err
	}
	if strings.HasPrefix(entitlementID, systemRoleType+":") {
		return Outcome{}, errAdminsReadOnly
	}
	if err := s.lookUp(ctx, file, []string{entitlementID}, []*v2.ResourceId{v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build()}, nil); err != nil {
		return Outcome{}, err
	}
	return s.provision(ctx, provisioner.NewGranter(s.client, file, entitlementID, id, typ))
}

// Revoke removes the grant grantID ("role:12:member:user:34"), looked up in
// file as Grant looks its ids up.
func (s *Server) Revoke(ctx context.Context, file, grantID string) (Outcome, error) {
	if strings.HasPrefix(grantID, systemRoleType+":") {
		return Outcome{}, errAdminsReadOnly
	}
	if err := s.lookUp(ctx, file, nil, nil, []string{grantID}); err != nil {
		return Outcome{}, err
	}
	return s.provision(ctx, provisioner.NewRevoker(s.client, file, grantID))
}

// errAdminsReadOnly refuses a grant or revoke of System Administrator
// access, which the connector lists but has no way to change.
var errAdminsReadOnly = refused(errors.New("System Administrators are read-only: NinjaOne's API can neither make nor unmake a System Administrator; change it in NinjaOne's console"))

// CreateAccount creates a user with email and profile (see the connector's
// CreateAccount for the profile's keys).
func (s *Server) CreateAccount(ctx context.Context, file, email string, profile map[string]any) (Outcome, error) {
	p, err := structpb.NewStruct(profile)
	if err != nil {
		return Outcome{}, fmt.Errorf("profile: %w", err)
	}
	return s.provision(ctx, provisioner.NewCreateAccountManager(s.client, file, "", email, p, userType))
}

// Delete deletes resource ("user:34").
func (s *Server) Delete(ctx context.Context, file, resourceID string) (Outcome, error) {
	typ, id, err := splitResourceID(resourceID)
	if err != nil {
		return Outcome{}, err
	}
	return s.provision(ctx, provisioner.NewResourceDeleter(s.client, file, id, typ))
}

func (s *Server) provision(ctx context.Context, p *provisioner.Provisioner) (Outcome, error) {
	rec := &replies{}
	ctx = context.WithValue(s.ctx(ctx), repliesKey{}, rec)
	err := p.Run(ctx)
	if cerr := p.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return Outcome{}, err
	}
	return rec.outcome(), nil
}

func splitResourceID(s string) (typ, id string, err error) {
	typ, id, ok := strings.Cut(s, ":")
	if !ok || typ == "" || id == "" || strings.Contains(id, ":") {
		return "", "", fmt.Errorf("resource %q: want TYPE:ID, e.g. user:34", s)
	}
	return typ, id, nil
}

// The SDK's provisioner drops the connector's replies; a client
// interceptor keeps them for the caller that asked, through its context, so
// that "already a member" can be told from "added".
type repliesKey struct{}

type replies struct {
	mu   gosync.Mutex
	msgs []proto.Message
}

func recordReplies(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if rec, ok := ctx.Value(repliesKey{}).(*replies); ok && err == nil {
		if m, ok := reply.(proto.Message); ok {
			rec.mu.Lock()
			rec.msgs = append(rec.msgs, m)
			rec.mu.Unlock()
		}
	}
	return err
}

func (r *replies) outcome() Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := Outcome{Changed: true}
	for _, m := range r.msgs {
		switch m := m.(type) {
		case *v2.GrantManagerServiceGrantResponse:
			annos := annotations.Annotations(m.GetAnnotations())
			out.Changed = !annos.Contains(&v2.GrantAlreadyExists{})
		case *v2.GrantManagerServiceRevokeResponse:
			annos := annotations.Annotations(m.GetAnnotations())
			out.Changed = !annos.Contains(&v2.GrantAlreadyRevoked{})
		case *v2.DeleteResourceResponse:
			annos := annotations.Annotations(m.GetAnnotations())
			if annos.Contains(&v2.ResourceDoesNotExist{}) {
				out.Changed, out.Absent = false, true
			}
		case *v2.DeleteResourceV2Response:
			annos := annotations.Annotations(m.GetAnnotations())
			if annos.Contains(&v2.ResourceDoesNotExist{}) {
				out.Changed, out.Absent = false, true
			}
		case *v2.CreateAccountResponse:
			var res *v2.Resource
			switch {
			case m.HasSuccess():
				res = m.GetSuccess().GetResource()
			case m.HasAlreadyExists():
				res = m.GetAlreadyExists().GetResource()
				out.Changed = false
			}
			if res != nil {
				out.Resource = res.GetId().GetResourceType() + ":" + res.GetId().GetResource()
			}
		}
	}
	return out
}

// Message is err's message for a person: the connector's own words. The
// SDK wraps an error at every hop ("revoke failed: rpc error: code =
// FailedPrecondition desc = ..."); what follows the last "desc = " is what
// the connector said.
func Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
	}
	const desc = " desc = "
	if i := strings.LastIndex(msg, desc); i >= 0 && strings.Contains(msg[:i], "rpc error: code = ") {
		msg = msg[i+len(desc):]
	}
	return msg
}
