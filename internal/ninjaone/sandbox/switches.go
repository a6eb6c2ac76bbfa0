package sandbox

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// This file holds the switches for what real tenants may do that the
// default sandbox does not: each is an Options field, a `sandbox serve`
// flag and a README entry, and each is off in the zero Options.

// Truncation leaves users out of their list while the roles still name
// them as members: a list that came back silently incomplete. No public
// evidence shows NinjaOne doing it; nothing shows it cannot, and a client
// that plans from such a read creates the missing users again.
type Truncation struct {
	// Technicians and EndUsers are the fractions (0 to 1) of
	// /v2/user/technicians and /v2/user/end-users left out; any fraction
	// above 0 leaves out at least one user.
	Technicians, EndUsers float64
	// Spread leaves out users spread evenly over the list; otherwise the
	// list stops short, as a list cut at a row limit would (its last
	// users, in id order, are missing).
	Spread bool
	// Users says how GET /v2/users reflects it: TruncateUsersComplete
	// (the default) lists every user, so its count disagrees with the two
	// lists; TruncateUsersSame leaves out the same users, so the counts
	// agree and only the role members give the truncation away.
	Users string
}

// Values of Truncation.Users.
const (
	TruncateUsersComplete = "complete"
	TruncateUsersSame     = "same"
)

func (t Truncation) on() bool { return t.Technicians > 0 || t.EndUsers > 0 }

// Redirect answers requests with a redirect to another place, the request's
// path and query appended to Location, as a misconfigured proxy or a
// hostile server would. The API has no reason to redirect: a client must
// not follow it (the token call would re-post the client secret).
type Redirect struct {
	// Status is 301, 302, 303, 307 or 308; default 307.
	Status int
	// Location is an absolute http or https URL, e.g.
	// http://127.0.0.1:9999; the request's path and query are appended.
	Location string
	// Token redirects the token call, API every /v2 call; at least one.
	Token, API bool
}

// Drip writes every list answer Bytes bytes at a time, waiting Interval
// between writes, as a slow or hostile server does: a client must bound
// the time it spends reading a body, not only waiting for headers.
type Drip struct {
	Bytes    int
	Interval time.Duration
}

// The auth error a client-credentials token gets where a call needs a
// user's authorisation: seen on device script and ticket writes, with this
// body (a public PowerShell client's issue of 2026: the auth shape, 403).
const (
	userContextError = "user_context_required"
	userContextDesc  = "Access key does not have user context which is required for this request"
	userContextCode  = 5
)

// checkSwitches validates the switches of opts (New's defaults applied).
func checkSwitches(opts *Options) error {
	if opts.OrgPageCap < 0 {
		return fmt.Errorf("sandbox: organization page cap %d is negative", opts.OrgPageCap)
	}
	tr := &opts.Truncate
	for _, f := range []float64{tr.Technicians, tr.EndUsers} {
		if math.IsNaN(f) || f < 0 || f > 1 {
			return fmt.Errorf("sandbox: truncated fraction %v must be between 0 and 1", f)
		}
	}
	switch tr.Users {
	case "":
		tr.Users = TruncateUsersComplete
	case TruncateUsersComplete, TruncateUsersSame:
	default:
		return fmt.Errorf("sandbox: truncation of /v2/users %q must be %s or %s", tr.Users, TruncateUsersComplete, TruncateUsersSame)
	}
	switch opts.RolesWithoutMembers {
	case "", MembersMissing, MembersNull:
	default:
		return fmt.Errorf("sandbox: roles without members %q must be %s or %s", opts.RolesWithoutMembers, MembersMissing, MembersNull)
	}
	opts.RolesWithoutMembersIDs = slices.Clone(opts.RolesWithoutMembersIDs)
	opts.UserContextRequired = slices.Clone(opts.UserContextRequired)
	for _, p := range opts.UserContextRequired {
		if !strings.HasPrefix(p, "/v2/") && p != "/" {
			return fmt.Errorf("sandbox: user context prefix %q must start with /v2/ (or be / for every write)", p)
		}
	}
	if r := opts.Redirect; r != nil {
		c := *r
		if c.Status == 0 {
			c.Status = http.StatusTemporaryRedirect
		}
		switch c.Status {
		case 301, 302, 303, 307, 308:
		default:
			return fmt.Errorf("sandbox: redirect status %d must be 301, 302, 303, 307 or 308", c.Status)
		}
		u, err := url.Parse(c.Location)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("sandbox: redirect location %q must be an absolute http or https URL without query", c.Location)
		}
		c.Location = strings.TrimRight(c.Location, "/")
		if !c.Token && !c.API {
			return fmt.Errorf("sandbox: a redirect needs the token call, the API calls or both")
		}
		opts.Redirect = &c
	}
	if d := opts.Drip; d != nil {
		if d.Bytes < 1 || d.Interval < 0 {
			return fmt.Errorf("sandbox: a drip needs at least 1 byte a write and an interval of 0 or more (got %d bytes, %v)", d.Bytes, d.Interval)
		}
		c := *d
		opts.Drip = &c
	}
	return nil
}

// membersOf says how role roleID's members are written.
func (s *Server) membersOf(roleID int32) string {
	mode := s.opts.RolesWithoutMembers
	if mode == "" || (s.opts.RolesWithoutMembersIDs != nil && !slices.Contains(s.opts.RolesWithoutMembersIDs, roleID)) {
		return ""
	}
	return mode
}

// hider decides, user by user in id order, which users of one type a
// truncated list leaves out.
type hider struct {
	n, k, i int
	spread  bool
}

// hiders returns the hiders of technicians and end users for one list
// answer; the caller holds the lock. Without truncation both hide nobody.
func (s *Server) hiders() (tech, end *hider) {
	tr := s.opts.Truncate
	tech, end = &hider{spread: tr.Spread}, &hider{spread: tr.Spread}
	if !tr.on() {
		return tech, end
	}
	s.st.eachUser(func(u *user) {
		if u.UserType == ninjaone.Technician {
			tech.n++
		} else {
			end.n++
		}
	})
	tech.k = hiddenCount(tech.n, tr.Technicians)
	end.k = hiddenCount(end.n, tr.EndUsers)
	return tech, end
}

func hiddenCount(n int, f float64) int {
	return min(n, int(math.Ceil(f*float64(n))))
}

// next reports whether the next user of the list is left out.
func (h *hider) next() bool {
	i := h.i
	h.i++
	switch {
	case h.k == 0:
		return false
	case h.spread:
		return (i+1)*h.k/h.n > i*h.k/h.n
	default:
		return i >= h.n-h.k
	}
}

func (s *Server) hiderFor(u *user, tech, end *hider) *hider {
	if u.UserType == ninjaone.Technician {
		return tech
	}
	return end
}

// HiddenUsers returns the ids, ascending, of the users that
// Options.Truncate leaves out of their lists now.
func (s *Server) HiddenUsers() []int32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []int32
	tech, end := s.hiders()
	s.st.eachUser(func(u *user) {
		if s.hiderFor(u, tech, end).next() {
			ids = append(ids, u.ID)
		}
	})
	return ids
}

// orgPageSize is the page size the organizations list honours.
func (s *Server) orgPageSize(asked int) int {
	if c := s.opts.OrgPageCap; c > 0 && (asked < 0 || asked > c) {
		return c
	}
	return asked
}

// userContextRequired reports whether a write to the route needs a user's
// authorisation.
func (s *Server) userContextRequired(rt *route) bool {
	if !rt.write {
		return false
	}
	for _, p := range s.opts.UserContextRequired {
		if strings.HasPrefix(rt.path, p) {
			return true
		}
	}
	return false
}

func userContextRequired() reply {
	return authError(http.StatusForbidden, userContextError, userContextDesc, userContextCode)
}

// redirect answers with the configured redirect when it applies to this
// request (token: the token call); it reports whether it did.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, token bool) bool {
	rd := s.opts.Redirect
	if rd == nil || (token && !rd.Token) || (!token && !rd.API) {
		return false
	}
	w.Header().Set(FaultHeader, "redirect")
	w.Header().Set("Location", rd.Location+r.URL.RequestURI())
	w.WriteHeader(rd.Status)
	return true
}

// dripped makes a streamed list answer drip: it is encoded whole first (a
// drip must not hold the state lock for its whole length), then written a
// few bytes at a time until done or the client goes away.
func (s *Server) dripped(ctx context.Context, stream func(io.Writer) error) func(io.Writer) error {
	d := s.opts.Drip
	return func(w io.Writer) error {
		buf := getBuf()
		defer putBuf(buf)
		if err := stream(buf); err != nil {
			return err
		}
		data := buf.Bytes()
		rw, _ := w.(http.ResponseWriter)
		if rw != nil {
			// The drip's own length, plus the usual allowance.
			writes := (len(data) + d.Bytes - 1) / d.Bytes
			http.NewResponseController(rw).SetWriteDeadline(time.Now().Add(streamTimeout + time.Duration(writes)*d.Interval))
		}
		t := time.NewTimer(0)
		defer t.Stop()
		<-t.C
		for len(data) > 0 {
			n := min(d.Bytes, len(data))
			if _, err := w.Write(data[:n]); err != nil {
				return err
			}
			data = data[n:]
			if rw != nil {
				http.NewResponseController(rw).Flush()
			}
			if len(data) == 0 || d.Interval == 0 {
				continue
			}
			t.Reset(d.Interval)
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
}
