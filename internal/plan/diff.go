package plan

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ninjaops/ninjaops/internal/emailaddr"
	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Reasons, in the words a reviewer reads next to each change.
const (
	reasonDeclared      = "declared in ninjaops.yaml"
	reasonAbsent        = "state: absent in ninjaops.yaml"
	reasonUnmanaged     = "not in ninjaops.yaml (unmanaged_users: delete)"
	reasonAuthoritative = "not in the user's roles in ninjaops.yaml (membership: authoritative)"
	reasonExclusive     = "role is exclusive and the user does not declare it in ninjaops.yaml"
)

// NeedsOrganizations reports whether diffing d needs the live
// organizations: only names have to be resolved, so a file that uses
// organization_id everywhere spares the tenant the paged read.
func NeedsOrganizations(d *Desired) bool {
	if len(d.Settings.Scope.Organizations) > 0 {
		return true
	}
	for i := range d.Users {
		if d.Users[i].Organization != "" && d.Users[i].State != Absent {
			return true
		}
	}
	return false
}

// Diff computes the changes that bring live to the state d declares. It is
// pure: the same inputs give the same plan, byte for byte once rendered.
// Problems that only the live data reveals (an unknown role, a type
// change, a listed user outside the scope) are returned all at once as
// Diagnostics, each naming its place in the file.
func Diff(d *Desired, live *ninjaone.Snapshot) (*Plan, error) {
	if live == nil {
		live = &ninjaone.Snapshot{}
	}
	x := newDiffer(d, live)
	x.settings()
	x.unknownMembership()
	x.listedUsers()
	// Deletions come before exclusive roles: a user who is deleted loses
	// its memberships with it, so no removal is planned for it.
	x.unmanagedUsers()
	x.exclusiveRoles()
	if len(x.diags) > 0 {
		slices.SortStableFunc(x.diags, func(a, b Diagnostic) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Msg, b.Msg))
		})
		return nil, x.diags
	}
	return x.finish(), nil
}

// liveRole is a live user role with the label its addresses use.
type liveRole struct {
	role  *ninjaone.Role
	typ   UserType
	label string
}

// membership identifies one (role, user) pair; user is the live user id.
type membership struct {
	role int // index in differ.roles
	user int32
}

type differ struct {
	d    *Desired
	live *ninjaone.Snapshot

	membership    MembershipMode
	unmanagedMode UnmanagedMode

	byEmail map[string][]*ninjaone.User
	byID    map[int32]*ninjaone.User

	roles       []liveRole
	rolesByName map[UserType]map[string][]int
	memberOf    map[int32][]int // live user id -> role indices

	orgByID   map[int32]*ninjaone.Organization
	orgByName map[string][]*ninjaone.Organization

	protected   []Glob
	scopeTypes  map[UserType]bool
	scopeDomain map[string]bool
	scopeOrgs   map[int32]bool

	// unknown holds the live roles listed without their members (see
	// unknownMembership).
	unknown map[int]bool

	listed   map[string]bool  // lower-cased emails the file lists
	declares map[string][]int // lower-cased email -> roles it declares; absent: roles not managed
	deleted  map[int32]bool   // live users this plan deletes

	// plainKeys maps the compatibility-folded keys of live users (a
	// fullwidth letter read as its plain letter) to them; built on first use.
	plainKeys map[string]*ninjaone.User

	changes   []Change
	removing  map[membership]bool
	skipped   map[string][]string // lower-cased email -> what protection skipped
	skipWhy   map[string]string
	scim      map[string][]string
	warnings  []string
	unmanaged []string
	diags     Diagnostics
}

func newDiffer(d *Desired, live *ninjaone.Snapshot) *differ {
	x := &differ{
		d:             d,
		live:          live,
		membership:    cmp.Or(d.Settings.Membership, Authoritative),
		unmanagedMode: cmp.Or(d.Settings.UnmanagedUsers, UnmanagedReport),
		byEmail:       make(map[string][]*ninjaone.User, len(live.Technicians)+len(live.EndUsers)),
		byID:          make(map[int32]*ninjaone.User, len(live.Technicians)+len(live.EndUsers)),
		memberOf:      make(map[int32][]int, len(live.Technicians)+len(live.EndUsers)),
		listed:        make(map[string]bool, len(d.Users)),
		declares:      make(map[string][]int, len(d.Users)),
		deleted:       make(map[int32]bool),
		removing:      make(map[membership]bool),
		skipped:       make(map[string][]string),
		skipWhy:       make(map[string]string),
		scim:          make(map[string][]string),
	}
	for _, list := range [][]ninjaone.User{live.Technicians, live.EndUsers} {
		for i := range list {
			u := &list[i]
			k := emailaddr.Key(u.Email)
			x.byEmail[k] = append(x.byEmail[k], u)
			x.byID[u.ID] = u
		}
	}

	// A role's label is its name, unless two live roles share the name:
	// then the type and, within one type, the id keep addresses unique.
	types := make(map[string]map[UserType]int)
	for i := range live.Roles {
		r := &live.Roles[i]
		t := FromAPI(r.Type)
		if types[r.Name] == nil {
			types[r.Name] = make(map[UserType]int)
		}
		types[r.Name][t]++
	}
	x.rolesByName = make(map[UserType]map[string][]int)
	for i := range live.Roles {
		r := &live.Roles[i]
		t := FromAPI(r.Type)
		label := r.Name
		var qual []string
		if len(types[r.Name]) > 1 {
			qual = append(qual, string(t))
		}
		if types[r.Name][t] > 1 {
			qual = append(qual, fmt.Sprintf("id %d", r.ID))
		}
		if len(qual) > 0 {
			label += " (" + strings.Join(qual, ", ") + ")"
		}
		x.roles = append(x.roles, liveRole{role: r, typ: t, label: label})
		if x.rolesByName[t] == nil {
			x.rolesByName[t] = make(map[string][]int)
		}
		x.rolesByName[t][r.Name] = append(x.rolesByName[t][r.Name], i)
	}
	// Each user's roles in label order, not NinjaOne's listing order, so
	// that what a plan says about a user (the removals a protected user's
	// warning lists) does not depend on the order roles were read in.
	order := make([]int, len(x.roles))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(x.roles[a].label, x.roles[b].label) })
	for _, i := range order {
		for _, m := range live.Roles[i].Members {
			x.memberOf[m.ID] = append(x.memberOf[m.ID], i)
		}
	}

	if live.Organizations != nil {
		x.orgByID = make(map[int32]*ninjaone.Organization, len(live.Organizations))
		x.orgByName = make(map[string][]*ninjaone.Organization, len(live.Organizations))
		for i := range live.Organizations {
			o := &live.Organizations[i]
			x.orgByID[o.ID] = o
			x.orgByName[o.Name] = append(x.orgByName[o.Name], o)
		}
	}
	return x
}

// errorf records a problem at the place of key in the entry at.
func (x *differ) errorf(at Positions, key string, format string, args ...any) {
	// The same place Desired.Where names: the key, else the entry.
	p, ok := at.Lookup(key)
	if !ok {
		p = at.Get("")
	}
	x.diags = append(x.diags, Diagnostic{Path: x.d.Path, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

func (x *differ) warnf(format string, args ...any) {
	x.warnings = append(x.warnings, fmt.Sprintf(format, args...))
}

// settings resolves the scope, the protected globs and the top-level roles.
func (x *differ) settings() {
	s := &x.d.Settings
	if len(s.Scope.UserTypes) > 0 {
		x.scopeTypes = make(map[UserType]bool)
		for _, t := range s.Scope.UserTypes {
			x.scopeTypes[t] = true
		}
	}
	if len(s.Scope.EmailDomains) > 0 {
		x.scopeDomain = make(map[string]bool)
		for _, dom := range s.Scope.EmailDomains {
			x.scopeDomain[emailaddr.Domain(strings.TrimPrefix(dom, "@"))] = true
		}
	}
	if len(s.Scope.Organizations) > 0 {
		x.scopeOrgs = make(map[int32]bool)
		for i, name := range s.Scope.Organizations {
			if o, msg := x.orgNamed(name); msg != "" {
				x.errorf(s.Scope.At, fmt.Sprintf("organizations[%d]", i), "settings.scope.organizations: %s", msg)
			} else {
				x.scopeOrgs[o.ID] = true
			}
		}
	}
	for i, p := range s.Protected {
		g, err := CompileGlob(p)
		if err != nil {
			x.errorf(s.At, fmt.Sprintf("protected[%d]", i), "settings.protected: bad pattern %q: %v; use * and ? wildcards and [] classes", p, err)
			continue
		}
		x.protected = append(x.protected, g)
	}
	for i := range x.d.Roles {
		r := &x.d.Roles[i]
		if _, ok := x.roleIndex(r.Name, r.Type); !ok {
			x.roleError(r.Name, r.Type, r.At, "name", fmt.Sprintf("in roles[%d]", i))
		}
	}
}

// unknownMembership notes the live roles whose membership NinjaOne did not
// list (no members key, or null): nothing is known of who holds them, so
// no membership change is planned for them, neither an addition nor a
// removal, and an exclusive one is not enforced. A file that manages
// memberships is told which roles these are.
func (x *differ) unknownMembership() {
	manages := slices.ContainsFunc(x.d.Roles, func(r RoleSpec) bool { return r.Exclusive }) ||
		slices.ContainsFunc(x.d.Users, func(u UserSpec) bool { return u.Roles != nil })
	for i, r := range x.roles {
		if !r.role.MembersUnknown {
			continue
		}
		if x.unknown == nil {
			x.unknown = make(map[int]bool)
		}
		x.unknown[i] = true
		if manages {
			x.warnf("role[%q]: NinjaOne listed it without its members, so who holds it is unknown; ninjaops plans no membership changes for it until NinjaOne lists them", r.label)
		}
	}
}

// roleIndex finds the one live role of type t named name.
func (x *differ) roleIndex(name string, t UserType) (int, bool) {
	if idx := x.rolesByName[t][name]; len(idx) == 1 {
		return idx[0], true
	}
	return 0, false
}

// roleError records why name does not resolve to one live role of type t,
// naming the roles that exist for t.
func (x *differ) roleError(name string, t UserType, at Positions, key, what string) {
	idx := x.rolesByName[t][name]
	if len(idx) > 1 {
		ids := make([]string, len(idx))
		for i, j := range idx {
			ids[i] = strconv.Itoa(int(x.roles[j].role.ID))
		}
		x.errorf(at, key, "role %q %s is ambiguous: %s roles with ids %s share the name; rename one of them in NinjaOne", name, what, t, strings.Join(ids, ", "))
		return
	}
	var other []string
	for ot, names := range x.rolesByName {
		if ot != t && len(names[name]) > 0 {
			other = append(other, string(ot))
		}
	}
	sort.Strings(other)
	existing := x.roleNames(t)
	if len(other) > 0 {
		x.errorf(at, key, "role %q %s is %s role, not %s role (%s)", name, what, WithArticle(strings.Join(other, "/")), WithArticle(string(t)), existing)
	} else {
		names := make([]string, 0, len(x.rolesByName[t]))
		for n := range x.rolesByName[t] {
			names = append(names, n)
		}
		x.errorf(at, key, "unknown role %q %s (%s)%s", name, what, existing, didYouMean(name, names))
	}
}

// roleNames lists the live role names of type t for an error message.
func (x *differ) roleNames(t UserType) string {
	names := make([]string, 0, len(x.rolesByName[t]))
	for n := range x.rolesByName[t] {
		names = append(names, n)
	}
	if len(names) == 0 {
		return fmt.Sprintf("no %s roles exist in NinjaOne", t)
	}
	return fmt.Sprintf("%s roles: %s", t, quoteList(names))
}

// quoteList sorts and quotes names, keeping messages short on big tenants.
func quoteList(names []string) string {
	const max = 20
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, ", and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}

// orgNamed resolves an organization by its exact name; msg explains a failure.
func (x *differ) orgNamed(name string) (*ninjaone.Organization, string) {
	if x.orgByName == nil {
		return nil, fmt.Sprintf("organization %q cannot be resolved: the organizations were not read from NinjaOne", name)
	}
	switch os := x.orgByName[name]; len(os) {
	case 1:
		return os[0], ""
	case 0:
		names := make([]string, 0, len(x.orgByName))
		for n := range x.orgByName {
			names = append(names, n)
		}
		return nil, fmt.Sprintf("unknown organization %q (%s)%s", name, x.orgNames(), didYouMean(name, names))
	default:
		ids := make([]string, len(os))
		for i, o := range os {
			ids[i] = strconv.Itoa(int(o.ID))
		}
		sort.Strings(ids)
		return nil, fmt.Sprintf("organization name %q is ambiguous: organizations %s share it; use organization_id instead", name, strings.Join(ids, ", "))
	}
}

func (x *differ) orgNames() string {
	if len(x.orgByName) == 0 {
		return "no organizations exist in NinjaOne"
	}
	names := make([]string, 0, len(x.orgByName))
	for n := range x.orgByName {
		names = append(names, n)
	}
	return "organizations: " + quoteList(names)
}

// orgName is the name of organization id when the organizations were read.
func (x *differ) orgName(id int32) string {
	if o := x.orgByID[id]; o != nil {
		return o.Name
	}
	return ""
}

// didYouMean suggests the candidate closest to a misspelt name, if any
// is close enough to be a typo; sorting first keeps the choice stable.
func didYouMean(name string, candidates []string) string {
	sort.Strings(candidates)
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

func domainOf(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return emailaddr.Domain(email[i+1:])
	}
	return ""
}

// outOfScope says why a user of type t, email and organization org (end
// users; 0 when unknown) is outside settings.scope, or "" when inside.
func (x *differ) outOfScope(t UserType, email string, org int32) string {
	if x.scopeTypes != nil && t != "" && !x.scopeTypes[t] {
		return fmt.Sprintf("type %s is not in user_types", t)
	}
	if x.scopeDomain != nil && !x.scopeDomain[domainOf(email)] {
		return fmt.Sprintf("domain %q is not in email_domains", domainOf(email))
	}
	if x.scopeOrgs != nil && t == EndUserUser && !x.scopeOrgs[org] {
		if n := x.orgName(org); n != "" {
			return fmt.Sprintf("organization %q is not in organizations", n)
		}
		return fmt.Sprintf("organization %d is not in organizations", org)
	}
	return ""
}

// protection says why the user may not be changed, or "" if it may.
func (x *differ) protection(email string, u *ninjaone.User) string {
	for _, g := range x.protected {
		if g.Match(email) {
			return fmt.Sprintf("protected by settings.protected %q", g)
		}
	}
	if u != nil && u.Administrator {
		return "a System Administrator"
	}
	return ""
}

// propose adds c unless its user is protected, in which case it becomes a
// warning; what describes the change for that warning.
func (x *differ) propose(c Change, email string, u *ninjaone.User, what string) bool {
	k := emailaddr.Key(email)
	if why := x.protection(email, u); why != "" {
		x.skipped[k] = append(x.skipped[k], what)
		x.skipWhy[k] = why
		return false
	}
	if u != nil && u.ScimUser {
		x.scim[k] = append(x.scim[k], what)
	}
	x.changes = append(x.changes, c)
	return true
}

func userAddress(email string) string { return "user[" + strconv.Quote(emailaddr.Key(email)) + "]" }

func (x *differ) memberAddress(role int, email string) string {
	return "role[" + strconv.Quote(x.roles[role].label) + "].member[" + strconv.Quote(emailaddr.Key(email)) + "]"
}

// liveValues are the values of a live user.
func (x *differ) liveValues(u *ninjaone.User) *Values {
	v := &Values{
		Email:     u.Email,
		ID:        u.ID,
		Type:      FromAPI(u.UserType),
		FirstName: u.FirstName,
		LastName:  u.LastName,
		Phone:     u.Phone,
	}
	if v.Type == EndUserUser {
		v.OrganizationID = u.OrganizationID
		v.Organization = x.orgName(u.OrganizationID)
		fpa := u.FullPortalAccess
		v.FullPortalAccess = &fpa
	}
	return v
}

func (x *differ) membershipValues(role int, email string, userID int32) *Values {
	r := x.roles[role]
	return &Values{Email: email, Role: r.role.Name, RoleID: r.role.ID, RoleType: r.typ, UserID: userID}
}

// listedUsers plans the users the file lists and their own roles.
func (x *differ) listedUsers() {
	for i := range x.d.Users {
		x.listedUser(&x.d.Users[i])
	}
}

func (x *differ) listedUser(u *UserSpec) {
	k := emailaddr.Key(u.Email)
	if x.listed[k] {
		// The loader refuses this; a Desired built another way must not
		// give two changes one address.
		x.errorf(u.At, "email", "user %q is listed twice; keep one entry", u.Email)
		return
	}
	x.listed[k] = true
	matches := x.byEmail[k]
	if len(matches) > 1 {
		x.errorf(u.At, "email", "user %q matches %s in NinjaOne that share this email; ninjaops cannot tell which one the file means: delete or rename one of them in NinjaOne", u.Email, describeUsers(matches))
		return
	}
	var lu *ninjaone.User
	if len(matches) == 1 {
		lu = matches[0]
	}

	if u.State == Absent {
		// Without a live user only the email's domain can be checked.
		var t UserType
		var org int32
		if lu != nil {
			t, org = FromAPI(lu.UserType), lu.OrganizationID
		}
		if why := x.outOfScope(t, u.Email, org); why != "" {
			x.errorf(u.At, "email", "user %q is outside settings.scope (%s); widen the scope or remove the entry", u.Email, why)
			return
		}
		if lu == nil {
			return
		}
		if x.propose(Change{Address: userAddress(k), Kind: UserKind, Action: Delete, Before: x.liveValues(lu), Reason: reasonAbsent}, k, lu, "delete") {
			x.deleted[lu.ID] = true
		}
		return
	}

	want := &Values{Email: u.Email, Type: u.Type, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone}
	if u.Type == "" {
		x.errorf(u.At, "", "user %q has no type; set type: technician or type: end_user", u.Email)
		return
	}
	if u.Type == EndUserUser {
		var ok bool
		want.OrganizationID, want.Organization, ok = x.userOrg(u)
		if !ok {
			return
		}
	}
	if why := x.outOfScope(u.Type, u.Email, want.OrganizationID); why != "" {
		x.errorf(u.At, "email", "user %q is outside settings.scope (%s); widen the scope or remove the entry", u.Email, why)
		return
	}

	var roles []int
	if u.Roles != nil {
		roles = make([]int, 0, len(u.Roles))
		ok := true
		for i, name := range u.Roles {
			r, found := x.roleIndex(name, u.Type)
			if !found {
				x.roleError(name, u.Type, u.At, fmt.Sprintf("roles[%d]", i), fmt.Sprintf("of user %q", u.Email))
				ok = false
				continue
			}
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		if !ok {
			return
		}
		x.declares[k] = roles
	}

	if lu == nil {
		if twin := x.lookalikeOf(k); twin != nil {
			x.warnf("user[%q] is to be created, but it is a look-alike of %s id %d (%q) in NinjaOne: if the file means that user, write its email as NinjaOne has it", k, FromAPI(twin.UserType), twin.ID, twin.Email)
		}
		if u.Type == EndUserUser {
			fpa := u.FullPortalAccess != nil && *u.FullPortalAccess
			want.FullPortalAccess = &fpa
			want.SendInvitation = u.SendInvitation
		}
		if !x.propose(Change{Address: userAddress(k), Kind: UserKind, Action: Create, After: want, Reason: reasonDeclared}, k, nil, "create") {
			return
		}
		for _, r := range roles {
			if x.unknown[r] {
				continue
			}
			x.changes = append(x.changes, Change{
				Address: x.memberAddress(r, k), Kind: MembershipKind, Action: Add,
				After: x.membershipValues(r, u.Email, 0), Reason: reasonDeclared,
			})
		}
		return
	}

	if lt := FromAPI(lu.UserType); lt != u.Type {
		x.errorf(u.At, "type", "user %q is %s in NinjaOne (id %d) but type %s in the file; NinjaOne cannot change a user's type and ninjaops never replaces a user silently: fix the type, or set state: absent, apply, and declare the user again", u.Email, WithArticle(string(lt)), lu.ID, u.Type)
		return
	}
	if u.Phone != "" && u.Phone != lu.Phone {
		x.warnf("user[%q]: phone is %q in NinjaOne but %q in the file; the API sets a phone only at creation, so change it in the NinjaOne console", k, lu.Phone, u.Phone)
	}
	x.update(u, lu, want)

	if u.Roles == nil {
		return
	}
	// Users hold a handful of roles: scanning slices beats building maps.
	have := x.memberOf[lu.ID]
	for _, r := range roles {
		if !slices.Contains(have, r) && !x.unknown[r] {
			x.propose(Change{
				Address: x.memberAddress(r, k), Kind: MembershipKind, Action: Add,
				After: x.membershipValues(r, lu.Email, lu.ID), Reason: reasonDeclared,
			}, k, lu, fmt.Sprintf("add to role %q", x.roles[r].label))
		}
	}
	if x.membership == Authoritative {
		for _, r := range have {
			if !slices.Contains(roles, r) {
				x.remove(r, lu, reasonAuthoritative)
			}
		}
	}
}

// lookalikeOf finds the live user whose email the new email k imitates:
// equal once compatibility characters (fullwidth letters, ligatures) are
// read as the plain ones they stand for. Only non-ASCII emails can.
func (x *differ) lookalikeOf(k string) *ninjaone.User {
	if isASCII(k) {
		return nil
	}
	if x.plainKeys == nil {
		x.plainKeys = make(map[string]*ninjaone.User)
		for key, us := range x.byEmail {
			for _, u := range us {
				for _, p := range []string{key, plainKey(key)} {
					// The lowest id, so the warning is the same each run.
					if have := x.plainKeys[p]; have == nil || u.ID < have.ID {
						x.plainKeys[p] = u
					}
				}
			}
		}
	}
	return x.plainKeys[plainKey(k)]
}

// userOrg resolves an end user's organization by name or id.
func (x *differ) userOrg(u *UserSpec) (int32, string, bool) {
	if u.Organization != "" {
		o, msg := x.orgNamed(u.Organization)
		if msg != "" {
			x.errorf(u.At, "organization", "user %q: %s", u.Email, msg)
			return 0, "", false
		}
		return o.ID, o.Name, true
	}
	if u.OrganizationID == 0 {
		x.errorf(u.At, "", "end user %q has no organization; set organization or organization_id", u.Email)
		return 0, "", false
	}
	if x.orgByID != nil && x.orgByID[u.OrganizationID] == nil {
		x.errorf(u.At, "organization_id", "user %q: organization_id %d not found (%s)", u.Email, u.OrganizationID, x.orgNames())
		return 0, "", false
	}
	return u.OrganizationID, x.orgName(u.OrganizationID), true
}

// update plans an update of the fields that differ. Both sides carry the
// user's identity and only the changed fields, so a change elsewhere on
// the user does not make a saved plan stale.
func (x *differ) update(u *UserSpec, lu *ninjaone.User, want *Values) {
	// Most listed users match: compare before building anything.
	differs := (u.FirstName != "" && u.FirstName != lu.FirstName) || (u.LastName != "" && u.LastName != lu.LastName) ||
		(u.Type == EndUserUser && (want.OrganizationID != lu.OrganizationID || (u.FullPortalAccess != nil && *u.FullPortalAccess != lu.FullPortalAccess)))
	if !differs {
		return
	}
	before := &Values{Email: lu.Email, ID: lu.ID, Type: FromAPI(lu.UserType)}
	after := &Values{Email: lu.Email, ID: lu.ID, Type: before.Type}
	var fields []string
	if u.FirstName != "" && u.FirstName != lu.FirstName {
		before.FirstName, after.FirstName = lu.FirstName, u.FirstName
		fields = append(fields, "first_name")
	}
	if u.LastName != "" && u.LastName != lu.LastName {
		before.LastName, after.LastName = lu.LastName, u.LastName
		fields = append(fields, "last_name")
	}
	if u.Type == EndUserUser {
		if want.OrganizationID != lu.OrganizationID {
			before.OrganizationID, before.Organization = lu.OrganizationID, x.orgName(lu.OrganizationID)
			after.OrganizationID, after.Organization = want.OrganizationID, want.Organization
			fields = append(fields, "organization")
		}
		if u.FullPortalAccess != nil && *u.FullPortalAccess != lu.FullPortalAccess {
			b, a := lu.FullPortalAccess, *u.FullPortalAccess
			before.FullPortalAccess, after.FullPortalAccess = &b, &a
			fields = append(fields, "full_portal_access")
		}
	}
	if len(fields) == 0 {
		return
	}
	verb := " differs"
	if len(fields) > 1 {
		verb = " differ"
	}
	k := emailaddr.Key(lu.Email)
	x.propose(Change{
		Address: userAddress(k), Kind: UserKind, Action: Update,
		Before: before, After: after, Reason: strings.Join(fields, ", ") + verb,
	}, k, lu, "update "+strings.Join(fields, ", "))
}

// remove plans the removal of live user lu from role r, once.
func (x *differ) remove(r int, lu *ninjaone.User, reason string) {
	m := membership{role: r, user: lu.ID}
	if x.removing[m] || x.deleted[lu.ID] {
		return
	}
	x.removing[m] = true
	k := emailaddr.Key(lu.Email)
	x.propose(Change{
		Address: x.memberAddress(r, k), Kind: MembershipKind, Action: Remove,
		Before: x.membershipValues(r, lu.Email, lu.ID), Reason: reason,
	}, k, lu, fmt.Sprintf("remove from role %q", x.roles[r].label))
}

// exclusiveRoles removes from each exclusive role the live members in
// scope that the file does not declare in it. Members outside the scope
// are another file's (an MSP's per-customer files share roles): they stay,
// with a warning.
func (x *differ) exclusiveRoles() {
	for i := range x.d.Roles {
		spec := &x.d.Roles[i]
		if !spec.Exclusive {
			continue
		}
		idx := x.rolesByName[spec.Type][spec.Name]
		if len(idx) != 1 {
			continue // already reported by settings
		}
		r := idx[0]
		if x.unknown[r] {
			continue // its members are not known: none can be removed
		}
		var outside []string
		for _, m := range x.roles[r].role.Members {
			lu := x.byID[m.ID]
			if lu == nil {
				x.warnf("role[%q] lists member id %d (%q) that is not among the live users; ninjaops leaves that membership alone", x.roles[r].label, m.ID, m.Email)
				continue
			}
			k := emailaddr.Key(lu.Email)
			if k == "" || len(x.byEmail[k]) > 1 {
				continue // warned about by unmanagedUsers, or an error if listed
			}
			if x.outOfScope(FromAPI(lu.UserType), lu.Email, lu.OrganizationID) != "" {
				outside = append(outside, k)
				continue
			}
			if slices.Contains(x.declares[k], r) {
				continue
			}
			x.remove(r, lu, reasonExclusive)
		}
		if len(outside) > 0 {
			x.warnf("role[%q] is exclusive, but %s outside settings.scope and %s left in it: %s",
				x.roles[r].label, Count(len(outside), "of its members is", "of its members are"), wasWere(len(outside)), quoteList(outside))
		}
	}
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// unmanagedUsers handles live users in scope that the file does not list.
func (x *differ) unmanagedUsers() {
	all := make([]*ninjaone.User, 0, len(x.byID))
	for _, list := range [][]ninjaone.User{x.live.Technicians, x.live.EndUsers} {
		for i := range list {
			all = append(all, &list[i])
		}
	}
	seen := make(map[string]bool)
	for _, u := range all {
		k := emailaddr.Key(u.Email)
		if k == "" {
			// Users are addressed by email: one without is left alone.
			x.warnf("%s user id %d has no email; ninjaops leaves it alone", FromAPI(u.UserType), u.ID)
			continue
		}
		if x.listed[k] {
			continue
		}
		dup := x.byEmail[k]
		if len(dup) > 1 {
			if !seen[k] {
				seen[k] = true
				x.warnf("%s in NinjaOne share the email %q; ninjaops changes neither until one is deleted or renamed", describeUsers(dup), k)
			}
		}
		if x.outOfScope(FromAPI(u.UserType), u.Email, u.OrganizationID) != "" {
			continue
		}
		switch x.unmanagedMode {
		case UnmanagedReport:
			if !seen[k+"\x00report"] {
				seen[k+"\x00report"] = true
				x.unmanaged = append(x.unmanaged, k)
				if found := liveLookalike(u.Email); found != "" {
					x.warnf("user[%q] is not in the file, and its email %s, so it may pass for another account; check who created it", k, found)
				}
			}
		case UnmanagedDelete:
			if len(dup) > 1 {
				continue
			}
			if x.propose(Change{Address: userAddress(k), Kind: UserKind, Action: Delete, Before: x.liveValues(u), Reason: reasonUnmanaged}, k, u, "delete (unmanaged_users: delete)") {
				x.deleted[u.ID] = true
			}
		}
	}
}

func describeUsers(us []*ninjaone.User) string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = fmt.Sprintf("%s id %d (%q)", FromAPI(u.UserType), u.ID, u.Email)
	}
	sort.Strings(ids)
	return strings.Join(ids, " and ")
}

// finish sorts the changes and warnings and counts the summary.
func (x *differ) finish() *Plan {
	p := &Plan{FormatVersion: FormatVersion, Changes: x.changes, Warnings: x.warnings, Unmanaged: x.unmanaged}
	for _, w := range x.d.Warnings {
		p.Warnings = append(p.Warnings, w.String())
	}
	for k, what := range x.skipped {
		p.Warnings = append(p.Warnings, fmt.Sprintf("user[%q] is %s and is never changed; skipped: %s", k, x.skipWhy[k], strings.Join(what, ", ")))
	}
	for k, what := range x.scim {
		p.Warnings = append(p.Warnings, fmt.Sprintf("user[%q] is provisioned by SCIM (scimUser: true); the identity provider may revert: %s", k, strings.Join(what, ", ")))
	}
	SortChanges(p.Changes)
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			p.Summary.Create++
		case Update:
			p.Summary.Update++
		case Delete:
			p.Summary.Delete++
		case Add:
			p.Summary.Add++
		case Remove:
			p.Summary.Remove++
		}
	}
	maxDel := DefaultMaxDeletions
	if x.d.Settings.MaxDeletions != nil {
		maxDel = *x.d.Settings.MaxDeletions
	}
	maxPct := DefaultMaxRemovalPercent
	if x.d.Settings.MaxRemovalPercent != nil {
		maxPct = *x.d.Settings.MaxRemovalPercent
	}
	for _, v := range CheckGuards(p, x.guardBase(), maxDel, maxPct) {
		p.Warnings = append(p.Warnings, v.Message)
	}
	sort.Strings(p.Unmanaged)
	sort.Strings(p.Warnings)
	p.Warnings = slices.Compact(p.Warnings)
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	if p.Warnings == nil {
		p.Warnings = []string{}
	}
	if p.Unmanaged == nil {
		p.Unmanaged = []string{}
	}
	p.Drift = driftOf(p)
	return p
}

var actionOrder = map[Action]int{Create: 0, Update: 1, Delete: 2, Add: 3, Remove: 4}

// SortChanges puts changes in plan order: user changes (create, update,
// delete, each by address), then membership changes (add, remove, each by
// role, then member email).
func SortChanges(cs []Change) {
	slices.SortStableFunc(cs, func(a, b Change) int {
		if c := cmp.Compare(actionOrder[a.Action], actionOrder[b.Action]); c != 0 {
			return c
		}
		if a.Kind == MembershipKind && b.Kind == MembershipKind {
			av, bv := a.membership(), b.membership()
			if c := cmp.Compare(roleOf(a.Address), roleOf(b.Address)); c != 0 {
				return c
			}
			if c := cmp.Compare(emailaddr.Key(av.Email), emailaddr.Key(bv.Email)); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Address, b.Address)
	})
}

// membership returns the side of a membership change that is set.
func (c *Change) membership() *Values {
	if c.After != nil {
		return c.After
	}
	if c.Before != nil {
		return c.Before
	}
	return &Values{}
}

// roleOf extracts the role label from a membership address, so sorting
// follows the label a reader sees, not the quoting around it.
func roleOf(address string) string {
	rest, ok := strings.CutPrefix(address, "role[")
	if !ok {
		return address
	}
	i := strings.Index(rest, "].member[")
	if i < 0 {
		return address
	}
	if s, err := strconv.Unquote(rest[:i]); err == nil {
		return s
	}
	return rest[:i]
}
