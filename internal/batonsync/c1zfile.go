package batonsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	reader_v2 "github.com/conductorone/baton-sdk/pb/c1/reader/v2"
	"github.com/conductorone/baton-sdk/pkg/bid"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FileError says a c1z cannot be read: it does not exist, is empty, or is
// not a c1z file at all.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// ErrEmptyFile is a c1z of no bytes, such as an interrupted copy leaves.
var ErrEmptyFile = errors.New("the file is empty")

// NotInFileError says an id that grant or revoke looks up is not in the
// c1z: a typo, or something newer than the file's last sync.
type NotInFileError struct {
	File string
	ID   string // "user:34", "role:12:member", "role:12:member:user:34"
}

func (e *NotInFileError) Error() string { return fmt.Sprintf("%s is not in %s", e.ID, e.File) }

// lookUp checks that file holds the entitlements, resources and grants
// given, the way the SDK's provisioner is about to look them up, so that a
// missing id or a bad file gets a message in ninjaops' words (and before
// any request to NinjaOne) instead of the store's ("sql: no rows in result
// set", "pebble engine: no current sync").
func (s *Server) lookUp(ctx context.Context, file string, entitlements []string, resources []*v2.ResourceId, grants []string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return &FileError{File: file, Err: err}
	}
	if fi.Size() == 0 {
		return &FileError{File: file, Err: ErrEmptyFile}
	}
	store, err := dotc1z.NewStore(s.ctx(ctx), file, dotc1z.WithReadOnly(true), dotc1z.WithTmpDir(s.tmpDir))
	if err != nil {
		return &FileError{File: file, Err: fmt.Errorf("not a readable c1z file: %w", err)}
	}
	defer store.Close(ctx)
	check := func(id string, err error) error {
		switch {
		case err == nil:
			return nil
		case status.Code(err) == codes.NotFound:
			return &NotInFileError{File: file, ID: id}
		}
		return &FileError{File: file, Err: fmt.Errorf("looking up %s: %w", id, err)}
	}
	for _, id := range entitlements {
		_, err := store.GetEntitlement(ctx, reader_v2.EntitlementsReaderServiceGetEntitlementRequest_builder{EntitlementId: id}.Build())
		if err := check(id, err); err != nil {
			return err
		}
	}
	for _, rid := range resources {
		_, err := store.GetResource(ctx, reader_v2.ResourcesReaderServiceGetResourceRequest_builder{ResourceId: rid}.Build())
		if err := check(rid.GetResourceType()+":"+rid.GetResource(), err); err != nil {
			return err
		}
	}
	for _, id := range grants {
		_, err := store.GetGrant(ctx, reader_v2.GrantsReaderServiceGetGrantRequest_builder{GrantId: id}.Build())
		if err := check(id, err); err != nil {
			return err
		}
	}
	return nil
}

// FileEngine is the storage engine of an existing c1z, from its header;
// "" when the file does not exist or is empty (a sync then makes it anew).
func FileEngine(path string) (Engine, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	format, err := dotc1z.ReadHeaderFormat(f)
	switch {
	case errors.Is(err, io.EOF):
		return "", nil
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, dotc1z.ErrInvalidFile):
		return "", &FileError{File: path, Err: errors.New("not a c1z file (its header is neither SQLite's nor Pebble's)")}
	case err != nil:
		return "", err
	}
	switch format {
	case dotc1z.C1ZFormatV1:
		return SQLite, nil
	case dotc1z.C1ZFormatV3:
		return Pebble, nil
	}
	return "", &FileError{File: path, Err: fmt.Errorf("unknown c1z format %s", format)}
}

// resourceTypeIDs are the connector's resource types.
func resourceTypeIDs() []string { return []string{userType, roleType, systemRoleType} }

func knownResourceType(t string) bool { return slices.Contains(resourceTypeIDs(), t) }

// ParseResourceRef reads a resource as --sync-resources takes it: a Baton
// id ("bid:r:user/34", the SDK's own format) or the short "user:34".
func ParseResourceRef(s string) (*v2.ResourceId, error) {
	s = strings.TrimSpace(s)
	var id *v2.ResourceId
	if strings.HasPrefix(s, bid.BidPrefix+":") {
		r, err := bid.ParseResourceBid(s)
		if err != nil {
			return nil, fmt.Errorf("resource %q: %v", s, err)
		}
		id = r.GetId()
	} else {
		typ, rid, err := splitResourceID(s)
		if err != nil {
			return nil, err
		}
		id = v2.ResourceId_builder{ResourceType: typ, Resource: rid}.Build()
	}
	if !knownResourceType(id.GetResourceType()) {
		return nil, fmt.Errorf("resource %q: unknown resource type %q (want one of %s)", s, id.GetResourceType(), strings.Join(resourceTypeIDs(), ", "))
	}
	return id, nil
}
