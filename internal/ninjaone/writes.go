package ninjaone

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
)

// CreateEndUser creates an end user. POST is not idempotent: when an
// attempt fails in a way that leaves its outcome unknown (a reset
// connection, a 500, an unreadable answer), the end users are re-read and
// the user is only sent again if it is not there, so it is never created
// twice.
func (c *Client) CreateEndUser(ctx context.Context, req CreateEndUserRequest, sendInvitation bool) (User, error) {
	var u User
	k := &call{
		method:   http.MethodPost,
		path:     "/v2/user/end-users",
		template: "/v2/user/end-users",
		query:    url.Values{"sendInvitation": {strconv.FormatBool(sendInvitation)}},
		body:     req,
		out:      &u,
		resolve:  c.findCreated("/v2/user/end-users", req.Email, &u),
	}
	if err := c.do(ctx, k); err != nil {
		return User{}, err
	}
	// The answer is an EndUser, which has no userType: the route says it.
	u.UserType, u.Administrator = EndUser, false
	return u, nil
}

// CreateTechnician creates a technician, with the same care as
// CreateEndUser.
func (c *Client) CreateTechnician(ctx context.Context, req CreateTechnicianRequest) (User, error) {
	var u User
	k := &call{
		method:   http.MethodPost,
		path:     "/v2/user/technicians",
		template: "/v2/user/technicians",
		body:     req,
		out:      &u,
		resolve:  c.findCreated("/v2/user/technicians", req.Email, &u),
	}
	if err := c.do(ctx, k); err != nil {
		return User{}, err
	}
	u.UserType = Technician
	return u, nil
}

// findCreated re-reads a user list and looks for email. NinjaOne offers no
// lookup by email, so this is one list call, made only after an attempt
// whose outcome is unknown.
func (c *Client) findCreated(listPath, email string, out *User) func(context.Context) (bool, any, error) {
	return func(ctx context.Context) (bool, any, error) {
		var users []User
		if err := list(ctx, c, listPath, nil, &users); err != nil {
			return false, nil, err
		}
		var found *User
		key := emailaddr.Key(email)
		for i := range users {
			// The same address in any spelling: NinjaOne may store a
			// domain sent in Unicode as punycode, or the reverse.
			if emailaddr.Key(users[i].Email) == key && (found == nil || users[i].ID > found.ID) {
				found = &users[i]
			}
		}
		if found == nil {
			return false, nil, nil
		}
		*out = *found
		return true, nil, nil
	}
}

// UpdateEndUser changes the fields of p that are set.
func (c *Client) UpdateEndUser(ctx context.Context, id int32, p EndUserPatch) error {
	return c.do(ctx, &call{method: http.MethodPatch, path: fmt.Sprintf("/v2/user/end-user/%d", id),
		template: "/v2/user/end-user/{id}", body: p})
}

// UpdateTechnician changes the fields of p that are set.
func (c *Client) UpdateTechnician(ctx context.Context, id int32, p TechnicianPatch) error {
	return c.do(ctx, &call{method: http.MethodPatch, path: fmt.Sprintf("/v2/user/technician/%d", id),
		template: "/v2/user/technician/{id}", body: p})
}

// DeleteEndUser deletes an end user. NinjaOne's answer for a user that
// is already gone is undocumented, so a 404 is re-read: a user the end
// users no longer list is reported as ErrNotFound, unless an earlier,
// interrupted attempt of this same call did it, in which case this returns
// nil; a user still listed is an error that is not ErrNotFound.
func (c *Client) DeleteEndUser(ctx context.Context, id int32) error {
	return c.deleteUser(ctx, id, "/v2/user/end-user/", "/v2/user/end-users")
}

// DeleteTechnician deletes a technician, like DeleteEndUser.
func (c *Client) DeleteTechnician(ctx context.Context, id int32) error {
	return c.deleteUser(ctx, id, "/v2/user/technician/", "/v2/user/technicians")
}

func (c *Client) deleteUser(ctx context.Context, id int32, prefix, listPath string) error {
	gone := func(ctx context.Context) (bool, error) {
		var users []User
		if err := list(ctx, c, listPath, nil, &users); err != nil {
			return false, err
		}
		return !slices.ContainsFunc(users, func(u User) bool { return u.ID == id }), nil
	}
	return c.do(ctx, &call{method: http.MethodDelete, path: fmt.Sprintf("%s%d", prefix, id),
		template: prefix + "{id}", gone: gone,
		// An interrupted DELETE is re-sent only if the user is still there.
		resolve: func(ctx context.Context) (bool, any, error) {
			done, err := gone(ctx)
			return done, nil, err
		}})
}

// AddRoleMembers adds users to a role in one call. NinjaOne fails the whole
// call if one id is unknown.
func (c *Client) AddRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error {
	return c.members(ctx, roleID, userIDs, "add-members", true)
}

// RemoveRoleMembers removes users from a role in one call.
func (c *Client) RemoveRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error {
	return c.members(ctx, roleID, userIDs, "remove-members", false)
}

func (c *Client) members(ctx context.Context, roleID int32, userIDs []int32, op string, add bool) error {
	ids := uniqueIDs(userIDs)
	if len(ids) == 0 {
		return nil
	}
	k := &call{
		method:   http.MethodPatch,
		path:     fmt.Sprintf("/v2/user/role/%d/%s", roleID, op),
		template: "/v2/user/role/{roleId}/" + op,
		body:     ids,
	}
	// Whether NinjaOne accepts re-adding a member or removing a
	// non-member is undocumented, so after an interrupted attempt the role
	// is re-read and only what is still to do is sent.
	k.resolve = func(ctx context.Context) (bool, any, error) {
		var roles []Role
		if err := c.roles(ctx, &roles); err != nil {
			return false, nil, err
		}
		i := slices.IndexFunc(roles, func(r Role) bool { return r.ID == roleID })
		if i < 0 {
			return false, nil, &APIError{Method: k.method, Path: k.path, StatusCode: http.StatusNotFound,
				ErrorMessage: fmt.Sprintf("role %d no longer exists", roleID)}
		}
		if roles[i].MembersUnknown {
			// Nothing tells what the interrupted attempt did: an empty
			// role here would make a removal look done.
			return false, nil, fmt.Errorf("role %d was listed without its members, so whether the interrupted change was made cannot be told; run ninjaops plan again to see", roleID)
		}
		current := make(map[int32]bool, len(roles[i].Members))
		for _, m := range roles[i].Members {
			current[m.ID] = true
		}
		var rest []int32
		for _, id := range ids {
			if current[id] != add {
				rest = append(rest, id)
			}
		}
		if len(rest) == 0 {
			return true, nil, nil
		}
		return false, rest, nil
	}
	return c.do(ctx, k)
}

// uniqueIDs sorts and de-duplicates ids: the API wants unique items.
func uniqueIDs(ids []int32) []int32 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
