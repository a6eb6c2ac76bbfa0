package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// route is one call of the API. path is the spec's path template, which
// is also the key of the request counts.
type route struct {
	method string
	path   string
	segs   []string
	scope  string // "monitoring" for reads, "management" for writes
	write  bool
	h      func(r *http.Request, arg string) reply
}

func (s *Server) buildRoutes() []*route {
	read := func(path string, h func(*http.Request, string) reply) *route {
		return &route{method: http.MethodGet, path: path, scope: "monitoring", h: h}
	}
	write := func(method, path string, h func(*http.Request, string) reply) *route {
		return &route{method: method, path: path, scope: "management", write: true, h: h}
	}
	routes := []*route{
		read("/v2/users", s.listUsers),
		read("/v2/user/technicians", s.listTyped(ninjaone.Technician)),
		read("/v2/user/end-users", s.listTyped(ninjaone.EndUser)),
		read("/v2/user/technician/{id}", s.getUser(ninjaone.Technician)),
		read("/v2/user/end-user/{id}", s.getUser(ninjaone.EndUser)),
		read("/v2/user/roles", s.listRoles),
		read("/v2/roles", s.listDeviceRoles),
		read("/v2/organizations", s.listOrganizations),
		write(http.MethodPost, "/v2/user/end-users", s.createEndUser),
		write(http.MethodPatch, "/v2/user/end-user/{id}", s.patchEndUser),
		write(http.MethodDelete, "/v2/user/end-user/{id}", s.deleteUser(ninjaone.EndUser)),
		write(http.MethodPost, "/v2/user/technicians", s.createTechnician),
		write(http.MethodPatch, "/v2/user/technician/{id}", s.patchTechnician),
		write(http.MethodDelete, "/v2/user/technician/{id}", s.deleteUser(ninjaone.Technician)),
		write(http.MethodPatch, "/v2/user/role/{roleId}/add-members", s.changeMembers(true)),
		write(http.MethodPatch, "/v2/user/role/{roleId}/remove-members", s.changeMembers(false)),
	}
	for _, rt := range routes {
		rt.segs = strings.Split(rt.path, "/")
	}
	return routes
}

// match finds the route for method and path, with the value of its one
// path parameter. pathKnown reports a path some route has under another
// method (a 405 rather than a 404).
func (s *Server) match(method, path string) (rt *route, arg string, pathKnown bool) {
	segs := strings.Split(path, "/")
	for _, cand := range s.routes {
		if len(cand.segs) != len(segs) {
			continue
		}
		var a string
		ok := true
		for i, t := range cand.segs {
			if strings.HasPrefix(t, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				a = segs[i]
			} else if t != segs[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if cand.method == method {
			return cand, a, true
		}
		pathKnown = true
	}
	return nil, "", pathKnown
}

// parseID reads a path id. NinjaOne's JAX-RS routes do not match a path
// whose id is not an integer, hence the route-level 404. Only the
// canonical decimal form is an id: "+102" and "0102" are not user 102 (a
// lenient parser would let a client that mangles ids act on the wrong
// user).
func parseID(arg string) (int32, *reply) {
	n, err := strconv.ParseInt(arg, 10, 32)
	if err != nil || strconv.FormatInt(n, 10) != arg {
		rep := appError(http.StatusNotFound, "FAILURE", "HTTP 404 Not Found")
		return 0, &rep
	}
	return int32(n), nil
}

func badRequest(code, format string, args ...any) reply {
	return appError(http.StatusBadRequest, code, fmt.Sprintf(format, args...))
}

func userNotFound(id int32) reply {
	return appError(http.StatusNotFound, "USER_NOT_FOUND", fmt.Sprintf("User %d not found", id))
}

func wrongType(id int32, is ninjaone.UserType) reply {
	return badRequest("INVALID_USER_TYPE", "User %d is %s", id, article(is))
}

func article(t ninjaone.UserType) string {
	if t == ninjaone.Technician {
		return "a technician"
	}
	return "an end user"
}

func boolParam(r *http.Request, name string) (bool, *reply) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	rep := badRequest("INVALID_PARAMETER", "Query parameter %s must be true or false, not %q", name, v)
	return false, &rep
}

func typeParam(r *http.Request, name string) (ninjaone.UserType, *reply) {
	v := ninjaone.UserType(r.URL.Query().Get(name))
	if v == "" || v.Valid() {
		return v, nil
	}
	rep := badRequest("INVALID_PARAMETER", "Query parameter %s must be TECHNICIAN or END_USER, not %q", name, v)
	return "", &rep
}

// --- reads

func (s *Server) listUsers(r *http.Request, _ string) reply {
	typ, bad := typeParam(r, "userType")
	if bad != nil {
		return *bad
	}
	withRoles, bad := boolParam(r, "includeRoles")
	if bad != nil {
		return *bad
	}
	return s.streamList(func(l *list) {
		sparse := s.opts.Shape == ShapeSparse
		tech, end := s.hiders()
		same := s.opts.Truncate.Users == TruncateUsersSame
		s.st.eachUser(func(u *user) {
			if hidden := s.hiderFor(u, tech, end).next(); hidden && same {
				return
			}
			if typ != "" && u.UserType != typ {
				return
			}
			var roles []string
			if withRoles {
				roles = s.st.roleNames(u)
			}
			s.wire.user(l.obj(sparse), &u.User, objUser, roles, withRoles)
			l.done()
		})
	})
}

func (s *Server) listTyped(typ ninjaone.UserType) func(*http.Request, string) reply {
	return func(r *http.Request, _ string) reply {
		return s.streamList(func(l *list) {
			sparse := s.opts.Shape == ShapeSparse
			tech, end := s.hiders()
			s.st.eachUser(func(u *user) {
				if u.UserType == typ && !s.hiderFor(u, tech, end).next() {
					s.wire.typed(l.obj(sparse), &u.User)
					l.done()
				}
			})
		})
	}
}

func (s *Server) getUser(typ ninjaone.UserType) func(*http.Request, string) reply {
	return func(r *http.Request, arg string) reply {
		id, bad := parseID(arg)
		if bad != nil {
			return *bad
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		u := s.st.users[id]
		switch {
		case u == nil:
			return userNotFound(id)
		case u.UserType != typ:
			return wrongType(id, u.UserType)
		}
		return s.userReply(&u.User)
	}
}

// userReply answers 200 with u as the object of its type.
func (s *Server) userReply(u *User) reply {
	return s.objReply(http.StatusOK, func(w *objWriter) { s.wire.typed(w, u) })
}

// roleReply answers 200 with a role and its members; the caller holds the
// lock.
func (s *Server) roleReply(ro *role) reply {
	return s.objReply(http.StatusOK, func(w *objWriter) { s.wire.role(w, s.st, ro) })
}

func (s *Server) listRoles(r *http.Request, _ string) reply {
	typ, bad := typeParam(r, "roleType")
	if bad != nil {
		return *bad
	}
	return s.streamList(func(l *list) {
		sparse := s.opts.Shape == ShapeSparse
		s.st.eachRole(func(ro *role) {
			if typ == "" || ro.Type == typ {
				s.wire.role(l.obj(sparse), s.st, ro)
				l.done()
			}
		})
	})
}

func (s *Server) listDeviceRoles(*http.Request, string) reply {
	return s.streamList(func(l *list) {
		for i := range deviceRoles {
			s.wire.nodeRole(l.obj(s.opts.Shape == ShapeSparse), &deviceRoles[i])
		}
	})
}

func (s *Server) listOrganizations(r *http.Request, _ string) reply {
	q := r.URL.Query()
	pageSize, after := -1, int64(0)
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return badRequest("INVALID_PARAMETER", "Query parameter pageSize must be a positive integer, not %q", v)
		}
		pageSize = int(n)
	}
	pageSize = s.orgPageSize(pageSize)
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return badRequest("INVALID_PARAMETER", "Query parameter after must be an organization id, not %q", v)
		}
		after = n
	}
	return s.streamList(func(l *list) {
		sparse := s.opts.Shape == ShapeSparse
		for _, id := range s.st.orgOrder {
			if int64(id) <= after {
				continue
			}
			if pageSize >= 0 && l.n >= pageSize {
				break
			}
			s.wire.organization(l.obj(sparse), s.st.orgs[id])
			l.done()
		}
	})
}

// --- writes

// maxBody bounds a request body: 100,000 member ids fit with room.
const maxBody = 16 << 20

// decodeBody reads a JSON body. Keys the call does not take are ignored,
// as NinjaOne appears to do (a PATCH that sends email changes nothing);
// malformed JSON, a value of the wrong type and trailing data are errors.
func decodeBody(r *http.Request, v any) *reply {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		rep := appError(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", fmt.Sprintf("Content-Type must be application/json, not %q", r.Header.Get("Content-Type")))
		return &rep
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		rep := badRequest("INVALID_REQUEST_BODY", "Reading the request body: %v", err)
		return &rep
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if errors.Is(err, io.EOF) {
			msg = "the request body is empty"
		}
		rep := badRequest("INVALID_REQUEST_BODY", "Invalid request body: %s", msg)
		return &rep
	}
	if dec.More() {
		rep := badRequest("INVALID_REQUEST_BODY", "Invalid request body: data after the JSON value")
		return &rep
	}
	return nil
}

// checkName enforces the spec's 1 to 150 characters on a name field.
func checkName(field string, v *string, required bool) *reply {
	if v == nil {
		if required {
			rep := badRequest("VALIDATION_FAILED", "%s is required", field)
			return &rep
		}
		return nil
	}
	if n := utf8.RuneCountInString(*v); n < 1 || n > 150 {
		rep := badRequest("VALIDATION_FAILED", "%s should be between 1 and 150 characters (got %d)", field, n)
		return &rep
	}
	return nil
}

func checkEmail(v *string) *reply {
	if v == nil || strings.TrimSpace(*v) == "" {
		rep := badRequest("VALIDATION_FAILED", "email is required")
		return &rep
	}
	if !strings.Contains(*v, "@") {
		rep := badRequest("VALIDATION_FAILED", "email %q is not an email address", *v)
		return &rep
	}
	return nil
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// writable is called with s.mu held for writing.
func (s *Server) writable() *reply {
	if s.closed {
		rep := appError(http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "The sandbox is shutting down")
		return &rep
	}
	return nil
}

// commit persists one change and then applies it; the caller holds s.mu.
// The journal line is written before the answer, so a sandbox killed after
// answering has kept the change.
func (s *Server) commit(e entry) *reply {
	if s.jr != nil {
		if err := s.jr.append(e); err != nil {
			s.log.Error("sandbox: persisting a change failed", "err", err)
			rep := appError(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Persisting the change failed")
			return &rep
		}
	}
	s.st.apply(e)
	return nil
}

// newUserFields is what both POST bodies carry.
type newUserFields struct {
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
	Email     *string `json:"email"`
	Phone     *string `json:"phone"`
}

type createEndUserBody struct {
	newUserFields
	OrganizationID   *int32 `json:"organizationId"`
	FullPortalAccess *bool  `json:"fullPortalAccess"`
}

type createTechnicianBody struct {
	newUserFields
}

func (s *Server) createEndUser(r *http.Request, _ string) reply {
	invite, bad := boolParam(r, "sendInvitation")
	if bad != nil {
		return *bad
	}
	var b createEndUserBody
	return s.createUser(r, ninjaone.EndUser, &b, &b.newUserFields, func(u *User) *reply {
		if b.OrganizationID == nil {
			rep := badRequest("VALIDATION_FAILED", "organizationId is required")
			return &rep
		}
		if s.st.orgs[*b.OrganizationID] == nil {
			rep := badRequest("ORGANIZATION_NOT_FOUND", "Organization %d not found", *b.OrganizationID)
			return &rep
		}
		u.OrganizationID = *b.OrganizationID
		u.FullPortalAccess = deref(b.FullPortalAccess)
		if invite {
			u.InvitationStatus = "PENDING"
		}
		return nil
	})
}

func (s *Server) createTechnician(r *http.Request, _ string) reply {
	var b createTechnicianBody
	return s.createUser(r, ninjaone.Technician, &b, &b.newUserFields, func(u *User) *reply {
		// A new technician is invited to set a password.
		u.InvitationStatus = "PENDING"
		return nil
	})
}

// createUser is POST of a user of type typ: body is decoded, the names and
// email checked, then more checks and sets the rest of the type's fields
// (under the lock); the answer is the new user's view.
func (s *Server) createUser(r *http.Request, typ ninjaone.UserType, body any, f *newUserFields,
	more func(*User) *reply) reply {
	if bad := decodeBody(r, body); bad != nil {
		return *bad
	}
	for _, bad := range []*reply{checkName("firstName", f.FirstName, true), checkName("lastName", f.LastName, true), checkEmail(f.Email)} {
		if bad != nil {
			return *bad
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if bad := s.writable(); bad != nil {
		return *bad
	}
	if bad := s.duplicateEmail(*f.Email); bad != nil {
		return *bad
	}
	u := User{
		ID: s.st.nextUser, FirstName: *f.FirstName, LastName: *f.LastName, Email: *f.Email,
		Phone: deref(f.Phone), UserType: typ, Enabled: true,
	}
	if bad := more(&u); bad != nil {
		return *bad
	}
	if bad := s.commit(entry{Op: opPut, User: &u}); bad != nil {
		return *bad
	}
	return s.userReply(&u)
}

// duplicateEmail refuses a new user whose email a live user has, when
// Options.DuplicateEmails says so; the caller holds s.mu. It scans every
// user: only tests that ask for it pay.
func (s *Server) duplicateEmail(email string) *reply {
	if s.opts.DuplicateEmails != DuplicatesRefuse {
		return nil
	}
	var taken *user
	s.st.eachUser(func(u *user) {
		if taken == nil && strings.EqualFold(u.Email, email) {
			taken = u
		}
	})
	if taken == nil {
		return nil
	}
	rep := badRequest("USER_ALREADY_EXISTS", "A user with email %s already exists", email)
	return &rep
}

// patchNames is what both PATCH bodies may change.
type patchNames struct {
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
}

type patchEndUserBody struct {
	patchNames
	OrganizationID   *int32 `json:"organizationId"`
	FullPortalAccess *bool  `json:"fullPortalAccess"`
}

type patchTechnicianBody struct {
	patchNames
}

// lookup finds a user of the given type for a write; the caller holds s.mu.
func (s *Server) lookup(id int32, typ ninjaone.UserType) (*user, *reply) {
	u := s.st.users[id]
	if u == nil {
		rep := userNotFound(id)
		return nil, &rep
	}
	if u.UserType != typ {
		rep := wrongType(id, u.UserType)
		return nil, &rep
	}
	return u, nil
}

func (s *Server) patchEndUser(r *http.Request, arg string) reply {
	var b patchEndUserBody
	return s.patchUser(r, arg, ninjaone.EndUser, &b, &b.patchNames, func(u *User) *reply {
		if b.OrganizationID != nil {
			if s.st.orgs[*b.OrganizationID] == nil {
				rep := badRequest("ORGANIZATION_NOT_FOUND", "Organization %d not found", *b.OrganizationID)
				return &rep
			}
			u.OrganizationID = *b.OrganizationID
		}
		if b.FullPortalAccess != nil {
			u.FullPortalAccess = *b.FullPortalAccess
		}
		return nil
	})
}

func (s *Server) patchTechnician(r *http.Request, arg string) reply {
	var b patchTechnicianBody
	return s.patchUser(r, arg, ninjaone.Technician, &b, &b.patchNames, func(*User) *reply { return nil })
}

// patchUser is PATCH of a user of type typ: body is decoded (email, phone
// and type cannot be changed: those keys are ignored), the names checked and set, then more sets
// the rest of the type's fields; the answer is the user's view.
func (s *Server) patchUser(r *http.Request, arg string, typ ninjaone.UserType, body any, names *patchNames,
	more func(*User) *reply) reply {
	id, bad := parseID(arg)
	if bad != nil {
		return *bad
	}
	if bad := decodeBody(r, body); bad != nil {
		return *bad
	}
	for _, bad := range []*reply{checkName("firstName", names.FirstName, false), checkName("lastName", names.LastName, false)} {
		if bad != nil {
			return *bad
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if bad := s.writable(); bad != nil {
		return *bad
	}
	cur, bad := s.lookup(id, typ)
	if bad != nil {
		return *bad
	}
	u := cur.User
	if names.FirstName != nil {
		u.FirstName = *names.FirstName
	}
	if names.LastName != nil {
		u.LastName = *names.LastName
	}
	if bad := more(&u); bad != nil {
		return *bad
	}
	if bad := s.commit(entry{Op: opPut, User: &u}); bad != nil {
		return *bad
	}
	return s.userReply(&u)
}

func (s *Server) deleteUser(typ ninjaone.UserType) func(*http.Request, string) reply {
	return func(r *http.Request, arg string) reply {
		id, bad := parseID(arg)
		if bad != nil {
			return *bad
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if bad := s.writable(); bad != nil {
			return *bad
		}
		if _, bad := s.lookup(id, typ); bad != nil {
			return *bad
		}
		if bad := s.commit(entry{Op: opDelete, ID: id}); bad != nil {
			return *bad
		}
		return reply{status: http.StatusNoContent}
	}
}

// changeMembers adds or removes role members. The whole call fails when
// the role or any user is unknown (404) or a user is of the wrong type for
// the role (400); re-adding a member and removing a non-member are
// tolerated.
func (s *Server) changeMembers(add bool) func(*http.Request, string) reply {
	return func(r *http.Request, arg string) reply {
		roleID, bad := parseID(arg)
		if bad != nil {
			return *bad
		}
		var ids []int32
		if bad := decodeBody(r, &ids); bad != nil {
			return *bad
		}
		if ids == nil {
			return badRequest("INVALID_REQUEST_BODY", "Invalid request body: expected a JSON array of user ids")
		}
		seen := make(map[int32]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				return badRequest("INVALID_REQUEST_BODY", "User id %d is listed twice: ids must be unique", id)
			}
			seen[id] = true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if bad := s.writable(); bad != nil {
			return *bad
		}
		ro := s.st.roles[roleID]
		if ro == nil {
			return appError(http.StatusNotFound, "ROLE_OR_MEMBERS_NOT_FOUND", "Role or members not found")
		}
		for _, id := range ids {
			if s.st.users[id] == nil {
				return appError(http.StatusNotFound, "ROLE_OR_MEMBERS_NOT_FOUND", "Role or members not found")
			}
		}
		for _, id := range ids {
			if u := s.st.users[id]; u.UserType != ro.Type {
				return badRequest("INVALID_USER_TYPE", "User %d is %s and cannot be a member of %s role %q", id, article(u.UserType), typeWord(ro.Type), ro.Name)
			}
		}
		op := opAdd
		if !add {
			op = opRemove
		}
		if len(ids) > 0 {
			if bad := s.commit(entry{Op: op, ID: roleID, IDs: ids}); bad != nil {
				return *bad
			}
		}
		return s.roleReply(ro)
	}
}
