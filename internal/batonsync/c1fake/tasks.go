package c1fake

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"google.golang.org/protobuf/types/known/structpb"
)

// The tasks ConductorOne hands out, built as it builds them.

// ID makes a task id of the form ConductorOne's are (27 letters and
// digits, a KSUID) that still reads as name in a log: name's letters and
// digits, padded with zeros. It panics on a name with more than 27.
func ID(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() > idLen {
		panic(fmt.Sprintf("c1fake.ID(%q): more than %d letters and digits", name, idLen))
	}
	return b.String() + strings.Repeat("0", idLen-b.Len())
}

const idLen = 27

var idPattern = regexp.MustCompile(`^[a-zA-Z0-9]{27}$`)

// SyncTask is a full sync; engine "" leaves the choice to the connector.
func SyncTask(id, engine string) *v1.Task {
	return v1.Task_builder{Id: id, SyncFull: v1.Task_SyncFullTask_builder{StorageEngine: engine}.Build()}.Build()
}

// GrantTask grants ent to principal, both as a sync uploaded them.
func GrantTask(id string, ent *v2.Entitlement, principal *v2.Resource) *v1.Task {
	return v1.Task_builder{Id: id, Grant: v1.Task_GrantTask_builder{Entitlement: ent, Principal: principal}.Build()}.Build()
}

// RevokeTask revokes g, as a sync uploaded it.
func RevokeTask(id string, g *v2.Grant) *v1.Task {
	return v1.Task_builder{Id: id, Revoke: v1.Task_RevokeTask_builder{Grant: g}.Build()}.Build()
}

// CreateAccountTask creates an account for login with profile.
func CreateAccountTask(id, login string, profile map[string]any) (*v1.Task, error) {
	p, err := structpb.NewStruct(profile)
	if err != nil {
		return nil, err
	}
	info := v2.AccountInfo_builder{Login: login, Profile: p}.Build()
	return v1.Task_builder{Id: id, CreateAccount: v1.Task_CreateAccountTask_builder{AccountInfo: info, ResourceTypeId: "user"}.Build()}.Build(), nil
}

// DeleteTask deletes the resource typ:id.
func DeleteTask(id, typ, resource string) *v1.Task {
	rid := v2.ResourceId_builder{ResourceType: typ, Resource: resource}.Build()
	return v1.Task_builder{Id: id, DeleteResource: v1.Task_DeleteResourceTask_builder{ResourceId: rid}.Build()}.Build()
}

// C1Z is what an uploaded c1z holds: every resource, entitlement and
// grant of its sync, and the engine it was written with.
type C1Z struct {
	Engine       string
	Resources    []*v2.Resource
	Entitlements []*v2.Entitlement
	Grants       []*v2.Grant
}

// Entitlement returns the entitlement with id, or nil.
func (c *C1Z) Entitlement(id string) *v2.Entitlement {
	for _, e := range c.Entitlements {
		if e.GetId() == id {
			return e
		}
	}
	return nil
}

// Grant returns the grant with id, or nil.
func (c *C1Z) Grant(id string) *v2.Grant {
	for _, g := range c.Grants {
		if g.GetId() == id {
			return g
		}
	}
	return nil
}

// Resource returns the resource typ:id, or nil.
func (c *C1Z) Resource(typ, id string) *v2.Resource {
	for _, r := range c.Resources {
		if r.GetId().GetResourceType() == typ && r.GetId().GetResource() == id {
			return r
		}
	}
	return nil
}

// ReadC1Z reads the c1z at path (either engine) to the end of every list;
// tmpDir is where the SDK may unpack it.
func ReadC1Z(ctx context.Context, path, tmpDir string) (*C1Z, error) {
	store, err := dotc1z.NewStore(ctx, path, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(tmpDir))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer store.Close(ctx)
	out := &C1Z{Engine: store.Metadata().Engine}
	for tok := ""; ; {
		resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("%s: resources: %w", path, err)
		}
		out.Resources = append(out.Resources, resp.GetList()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	for tok := ""; ; {
		resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("%s: entitlements: %w", path, err)
		}
		out.Entitlements = append(out.Entitlements, resp.GetList()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	for tok := ""; ; {
		resp, err := store.ListGrants(ctx, v2.GrantsServiceListGrantsRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("%s: grants: %w", path, err)
		}
		out.Grants = append(out.Grants, resp.GetList()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	return out, nil
}
