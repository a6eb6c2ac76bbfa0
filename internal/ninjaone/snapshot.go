package ninjaone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
)

// organizationsPageSize is the page size the organizations read asks
// for; the server may honour a smaller one. maxOrganizationPages bounds
// the paging, so a server that never ends it is an error, not a hang.
const organizationsPageSize = 1000

var maxOrganizationPages = 10_000

// Snapshot reads the whole live state in a fixed number of requests,
// whatever the tenant's size: the technicians, the end users, the user
// roles with their members and GET /v2/users (one list call each,
// concurrently), plus the organizations when opts asks for them. Nothing
// is read per user or per role.
//
// The result is checked before it is returned (see check): a read whose
// lists disagree is read again, up to snapshotReads times in all with a
// short pause between, and refused with an *InconsistentError (errors.Is
// ErrInconsistent) if it still disagrees.
// Every consumer (plan, apply, export, baton) therefore works only from a
// read that holds together.
func (c *Client) Snapshot(ctx context.Context, opts SnapshotOptions) (*Snapshot, error) {
	// Fetch the token first so the concurrent reads share it instead of
	// racing to the token endpoint; a token that cannot read is refused
	// here.
	if err := c.RequireScope(ctx, ScopeMonitoring); err != nil {
		return nil, err
	}
	s, err := c.snapshot(ctx, opts)
	for read := 1; read < snapshotReads && errors.Is(err, ErrInconsistent); read++ {
		// The lists are not read atomically: a user created or deleted
		// while they are read (by a person, or another apply) makes them
		// disagree for one read. A truncated list disagrees every time.
		c.log.Warn("NinjaOne's answers disagree; reading everything once more", "problem", err.Error())
		if werr := c.sleep(ctx, snapshotPause(read)); werr != nil {
			return nil, werr
		}
		s, err = c.snapshot(ctx, opts)
	}
	return s, err
}

// snapshotReads bounds the reads of one Snapshot whose lists disagree.
const snapshotReads = 3

// snapshotPause is the wait before read number read+1: half a second,
// then a second, each with up to as much again of jitter, so two applies
// that collided do not collide again in step.
func snapshotPause(read int) time.Duration {
	step := time.Duration(read) * 500 * time.Millisecond
	return step + time.Duration(rand.Int64N(int64(step)))
}

func (c *Client) snapshot(ctx context.Context, opts SnapshotOptions) (*Snapshot, error) {
	s := &Snapshot{}
	var all []int32
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return list(gctx, c, "/v2/user/technicians", nil, &s.Technicians) })
	g.Go(func() error { return list(gctx, c, "/v2/user/end-users", nil, &s.EndUsers) })
	g.Go(func() error { return c.roles(gctx, &s.Roles) })
	// One more list, of every user whatever its type, to count the two
	// typed lists against: a silently truncated list shows as a difference.
	g.Go(func() error { return c.get(gctx, "/v2/users", nil, userIDs{&all}) })
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
	if err := check(s, all); err != nil {
		return nil, err
	}
	return s, nil
}

// typeFromList sets each user's type from the list it was read from. The
// spec's objects are not supersets of one another: an EndUser has no
// userType and no administrator key, so a user's type is known only from
// its list, and a key the spec does not put on the object is not believed:
// an end user's administrator and notify/permit-all-clients flags, a
// technician's organization and portal access.
func typeFromList(users []User, t UserType) {
	for i := range users {
		u := &users[i]
		u.UserType = t
		if t == EndUser {
			u.Administrator, u.NotifyAllClients, u.PermitAllClients = false, false, false
		} else {
			u.OrganizationID, u.FullPortalAccess = 0, false
		}
	}
}

// list GETs a JSON array into out.
func list[T any](ctx context.Context, c *Client, path string, q url.Values, out *[]T) error {
	what := "user"
	if path == "/v2/organizations" {
		what = "organization"
	}
	return c.get(ctx, path, q, listOf[T]{p: out, what: what})
}

// get GETs path and decodes the answer with d.
func (c *Client) get(ctx context.Context, path string, q url.Values, d decoder) error {
	return c.do(ctx, &call{method: http.MethodGet, path: path, template: path, query: q, out: d})
}

// roles reads the user roles with their members. A role answered without
// a members key, or with null, has members unknown (the slice is nil; []
// makes an empty, non-nil one).
func (c *Client) roles(ctx context.Context, out *[]Role) error {
	if err := c.get(ctx, "/v2/user/roles", nil, roleList{out}); err != nil {
		return err
	}
	for i := range *out {
		(*out)[i].MembersUnknown = (*out)[i].Members == nil
	}
	return nil
}

// Organizations reads every organization, page by page (two requests for
// up to 1,000). Snapshot does this too when asked; a caller that learns
// only later that it needs them calls this instead of reading again. A
// token that cannot read is refused before any request, as in Snapshot.
func (c *Client) Organizations(ctx context.Context) ([]Organization, error) {
	if err := c.RequireScope(ctx, ScopeMonitoring); err != nil {
		return nil, err
	}
	return c.organizations(ctx)
}

// organizations reads every organization, page by page by last id, until
// a page brings nothing new: an empty page, or one that only repeats the
// id it was asked to start after. A short page is not the end: the server
// may honour a smaller page size than asked.
func (c *Client) organizations(ctx context.Context) ([]Organization, error) {
	var all []Organization
	seen := make(map[int32]bool)
	after := int32(0)
	for page := 0; ; page++ {
		if page == maxOrganizationPages {
			return nil, fmt.Errorf("GET /v2/organizations: still paging after %d pages (%d organizations): the server does not end its paging with an empty page as documented", page, len(all))
		}
		q := url.Values{"pageSize": {strconv.Itoa(organizationsPageSize)}}
		if page > 0 {
			q.Set("after", strconv.Itoa(int(after)))
		}
		var batch []Organization
		if err := list(ctx, c, "/v2/organizations", q, &batch); err != nil {
			return nil, err
		}
		fresh := 0
		for i, o := range batch {
			switch {
			case o.ID <= 0:
				return nil, inconsistent(finding{kind: badIDs, text: fmt.Sprintf("GET /v2/organizations lists organization %q with id %d, not a positive 32-bit integer", o.Name, o.ID)})
			case seen[o.ID] && i == 0 && o.ID == after:
				// A server whose `after` includes the id it names.
				continue
			case seen[o.ID]:
				// A server that ignores `after` would page forever.
				return nil, fmt.Errorf("GET /v2/organizations: the page after id %d lists id %d again; the server does not page as documented", after, o.ID)
			}
			seen[o.ID] = true
			all = append(all, o)
			after = max(after, o.ID)
			fresh++
		}
		if fresh == 0 {
			break
		}
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
	if err := c.RequireScope(ctx, ScopeMonitoring); err != nil {
		return err
	}
	var orgs []Organization
	return list(ctx, c, "/v2/organizations", url.Values{"pageSize": {"1"}}, &orgs)
}
