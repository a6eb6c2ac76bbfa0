package batonsync

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/types/resource"
	"google.golang.org/grpc/codes"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// state is a Snapshot indexed for the syncers: users and roles sorted by
// id, and each role's member ids sorted, so every list can be served in
// pages by a binary search instead of a request.
type state struct {
	users    []ninjaone.User // technicians and end users, by id
	userByID map[int32]int   // index into users
	roles    []ninjaone.Role // by id
	roleByID map[int32]int   // index into roles
	// members holds, per role index, the ids of the role's members that are
	// known users, sorted. A member the user lists do not know would be a
	// grant to a principal the file does not hold, so it is left out.
	members [][]int32
	// admins holds the ids of the System Administrators, sorted. Only
	// technicians can be one: the end-user list has no such field.
	admins []int32
	// unknown holds the indexes of the roles NinjaOne listed without their
	// members (Role.MembersUnknown): who holds them is unknown, so they
	// must never be served as roles without grants.
	unknown []int
}

func newState(snap *ninjaone.Snapshot) *state {
	st := &state{
		users:    make([]ninjaone.User, 0, len(snap.Technicians)+len(snap.EndUsers)),
		userByID: make(map[int32]int, len(snap.Technicians)+len(snap.EndUsers)),
		roleByID: make(map[int32]int, len(snap.Roles)),
	}
	// The user type comes from the list a user was read from: it decides
	// which endpoint deletes it, so it must not depend on a field the API
	// may leave out.
	for _, u := range snap.Technicians {
		u.UserType = ninjaone.Technician
		st.users = append(st.users, u)
	}
	for _, u := range snap.EndUsers {
		u.UserType = ninjaone.EndUser
		st.users = append(st.users, u)
	}
	slices.SortStableFunc(st.users, func(a, b ninjaone.User) int { return cmpInt32(a.ID, b.ID) })
	for i, u := range st.users {
		st.userByID[u.ID] = i
		if u.Administrator && u.UserType == ninjaone.Technician {
			st.admins = append(st.admins, u.ID)
		}
	}

	st.roles = slices.Clone(snap.Roles)
	slices.SortStableFunc(st.roles, func(a, b ninjaone.Role) int { return cmpInt32(a.ID, b.ID) })
	st.members = make([][]int32, len(st.roles))
	for i, r := range st.roles {
		st.roleByID[r.ID] = i
		if r.MembersUnknown {
			st.unknown = append(st.unknown, i)
		}
		ids := make([]int32, 0, len(r.Members))
		for _, m := range r.Members {
			if _, ok := st.userByID[m.ID]; ok {
				ids = append(ids, m.ID)
			}
		}
		slices.Sort(ids)
		st.members[i] = slices.Compact(ids)
	}
	return st
}

// unknownMembership refuses to sync from st when roles were listed without
// their members: a sync would upload them as roles nobody holds, a view that
// looks complete and is not.
func (st *state) unknownMembership() error {
	if len(st.unknown) == 0 {
		return nil
	}
	const shown = 10
	names := make([]string, 0, min(len(st.unknown), shown+1))
	for _, i := range st.unknown[:min(len(st.unknown), shown)] {
		names = append(names, fmt.Sprintf("role %d %q", st.roles[i].ID, st.roles[i].Name))
	}
	if n := len(st.unknown) - shown; n > 0 {
		names = append(names, fmt.Sprintf("and %d more", n))
	}
	what, its, them := fmt.Sprintf("%d roles", len(st.unknown)), "their", "them"
	if len(st.unknown) == 1 {
		what, its, them = "1 role", "its", "it"
	}
	return rpcError(codes.FailedPrecondition, fmt.Errorf("NinjaOne listed %s without %s members (%s): who holds %s is unknown, and a sync would show %s with no grants; refusing to sync a partial view. Run again; if it persists, report it, or sync with --skip-entitlements-and-grants, which writes the users and roles without any grants.",
		what, its, strings.Join(names, ", "), them, them))
}

// unknownRole is the error for serving the grants of role index i, whose
// membership is unknown.
func (st *state) unknownRole(i int) error {
	r := st.roles[i]
	return rpcError(codes.FailedPrecondition, fmt.Errorf("role %d %q was listed without its members: its grants are unknown, not none; sync again", r.ID, r.Name))
}

func (st *state) user(id int32) (ninjaone.User, bool) {
	i, ok := st.userByID[id]
	if !ok {
		return ninjaone.User{}, false
	}
	return st.users[i], true
}

func (st *state) role(id int32) (ninjaone.Role, []int32, bool) {
	i, ok := st.roleByID[id]
	if !ok {
		return ninjaone.Role{}, nil, false
	}
	return st.roles[i], st.members[i], true
}

// userByEmail finds a user by email, in any spelling, as plan matches.
func (st *state) userByEmail(email string) (ninjaone.User, bool) {
	key := emailaddr.Key(email)
	for _, u := range st.users {
		if emailaddr.Key(u.Email) == key {
			return u, true
		}
	}
	return ninjaone.User{}, false
}

func isMember(members []int32, userID int32) bool {
	_, ok := slices.BinarySearch(members, userID)
	return ok
}

func cmpInt32(a, b int32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Page sizes. The SDK asks for none, so the default applies; a request for
// more than maxPageSize gets maxPageSize. A page of 1,000 users is about
// half a megabyte of protobuf, well under gRPC's message limit.
const (
	defaultPageSize = 1000
	maxPageSize     = 10000
)

func pageSize(requested, configured int) int {
	n := configured
	if n <= 0 {
		n = defaultPageSize
	}
	if requested > 0 {
		n = requested
	}
	return min(n, maxPageSize)
}

// page serves one page of items sorted by id. The token is the id of the
// last item of the previous page (keyset paging, as NinjaOne pages its own
// organizations): unlike an offset, it stays right if a resumed sync reads
// a newer Snapshot in which users were added or removed.
func page[T any](items []T, id func(T) int32, token string, size int) ([]T, string, error) {
	start := 0
	if token != "" {
		after, err := strconv.ParseInt(token, 10, 32)
		if err != nil {
			return nil, "", fmt.Errorf("page token %q: want the id of the last item served: %v", token, err)
		}
		start, _ = slices.BinarySearchFunc(items, int32(after), func(it T, t int32) int { return cmpInt32(id(it), t) })
		if start < len(items) && id(items[start]) == int32(after) {
			start++
		}
	}
	end := min(start+size, len(items))
	out := items[start:end]
	if end == len(items) {
		return out, "", nil
	}
	return out, strconv.FormatInt(int64(id(items[end-1])), 10), nil
}

// listPage serves one page of items as resources, for a syncer's List.
func listPage[T any](items []T, id func(T) int32, opts resource.SyncOpAttrs, configured int, toResource func(T) (*v2.Resource, error)) ([]*v2.Resource, *resource.SyncOpResults, error) {
	part, next, err := page(items, id, opts.PageToken.Token, pageSize(opts.PageToken.Size, configured))
	if err != nil {
		return nil, nil, rpcError(codes.InvalidArgument, err)
	}
	out := make([]*v2.Resource, 0, len(part))
	for _, it := range part {
		res, err := toResource(it)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, res)
	}
	return out, &resource.SyncOpResults{NextPageToken: next}, nil
}
