package ninjaone

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// organizationsPageSize is the page size of the organizations read. Pages
// are read one after another (the API pages by last id), so a tenant with
// up to this many organizations is read in one request.
const organizationsPageSize = 1000

// Snapshot reads the whole live state in a fixed number of requests,
// whatever the tenant's size: the technicians, the end users and the user
// roles with their members (one list call each, concurrently), plus the
// organizations when opts asks for them. Nothing is read per user or per
// role.
func (c *Client) Snapshot(ctx context.Context, opts SnapshotOptions) (*Snapshot, error) {
	// Fetch the token first so the concurrent reads share it instead of
	// racing to the token endpoint.
	if _, err := c.tokens.token(ctx); err != nil {
		return nil, err
	}
	s := &Snapshot{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return list(gctx, c, "/v2/user/technicians", nil, &s.Technicians) })
	g.Go(func() error { return list(gctx, c, "/v2/user/end-users", nil, &s.EndUsers) })
	g.Go(func() error { return list(gctx, c, "/v2/user/roles", nil, &s.Roles) })
	if opts.Organizations {
		g.Go(func() (err error) {
			s.Organizations, err = c.organizations(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	typeFromList(s.Technicians, Technician)
	typeFromList(s.EndUsers, EndUser)
	for i := range s.Roles {
		// encoding/json leaves a slice nil for a missing key or null, and
		// makes [] an empty, non-nil one.
		s.Roles[i].MembersUnknown = s.Roles[i].Members == nil
	}
	if s.Technicians == nil {
		s.Technicians = []User{}
	}
	if s.EndUsers == nil {
		s.EndUsers = []User{}
	}
	if s.Roles == nil {
		s.Roles = []Role{}
	}
	return s, nil
}

// typeFromList sets each user's type from the list it was read from. The
// spec's objects are not supersets of one another: an EndUser has no
// userType and no administrator key, so a user's type is known only from
// its list, and a key the spec does not put on the object is not believed.
func typeFromList(users []User, t UserType) {
	for i := range users {
		users[i].UserType = t
		if t == EndUser {
			users[i].Administrator = false
		}
	}
}

// list GETs a JSON array into out.
func list[T any](ctx context.Context, c *Client, path string, q url.Values, out *[]T) error {
	return c.do(ctx, &call{method: http.MethodGet, path: path, template: path, query: q, out: listOf[T]{out}})
}

// Organizations reads every organization, page by page (one request for
// up to 1,000). Snapshot does this too when asked; a caller that learns
// only later that it needs them calls this instead of reading again.
func (c *Client) Organizations(ctx context.Context) ([]Organization, error) {
	return c.organizations(ctx)
}

// organizations reads every organization, page by page.
func (c *Client) organizations(ctx context.Context) ([]Organization, error) {
	var all []Organization
	after := int32(0)
	for page := 0; ; page++ {
		q := url.Values{"pageSize": {strconv.Itoa(organizationsPageSize)}}
		if page > 0 {
			q.Set("after", strconv.Itoa(int(after)))
		}
		var batch []Organization
		if err := list(ctx, c, "/v2/organizations", q, &batch); err != nil {
			return nil, err
		}
		for _, o := range batch {
			if page > 0 && o.ID <= after {
				// A server that ignores `after` would page forever.
				return nil, fmt.Errorf("GET /v2/organizations: page after id %d returned id %d again; the server does not page as documented", after, o.ID)
			}
		}
		all = append(all, batch...)
		if len(batch) < organizationsPageSize {
			break
		}
		after = batch[len(batch)-1].ID
	}
	if all == nil {
		all = []Organization{}
	}
	return all, nil
}

// Validate checks the connection settings with a token and one cheap read,
// so that a wrong client id, secret, scope or region is reported before any
// work starts.
func (c *Client) Validate(ctx context.Context) error {
	if _, err := c.tokens.token(ctx); err != nil {
		return err
	}
	var orgs []Organization
	return list(ctx, c, "/v2/organizations", url.Values{"pageSize": {"1"}}, &orgs)
}
