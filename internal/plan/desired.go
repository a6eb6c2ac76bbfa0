package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// The desired-state model: what ninjaops.yaml declares. The same Go types
// drive the strict loader and the JSON Schema (`ninjaops schema`), so the
// two cannot drift apart: field names come from the yaml tags.

// Desired is a loaded, validated ninjaops.yaml.
type Desired struct {
	// The version of the file format. Always 1.
	Version int `yaml:"version" json:"version" jsonschema:"enum=1"`
	// File-wide rules: which live users the file governs and how carefully.
	Settings Settings `yaml:"settings,omitempty" json:"settings,omitempty"`
	// Roles the file governs as a whole. Optional: a role needs an entry
	// here only to be exclusive.
	Roles []RoleSpec `yaml:"roles,omitempty" json:"roles,omitempty"`
	// The users the file declares, each identified by its email.
	Users []UserSpec `yaml:"users,omitempty" json:"users,omitempty"`

	// Path is the file name used in messages; Source is the file's bytes,
	// kept so a saved plan can record exactly what it was computed from.
	Path   string `yaml:"-" json:"-"`
	Source []byte `yaml:"-" json:"-"`
	// Warnings are what Load found suspicious but not wrong (an email
	// whose letters mix scripts), each at its place in the file. plan
	// shows them with the plan's own warnings.
	Warnings []Diagnostic `yaml:"-" json:"-"`
}

// Settings are the file-wide rules.
type Settings struct {
	// What happens to live users in scope that the file does not list:
	// ignore them, report them (the default), or delete them.
	UnmanagedUsers UnmanagedMode `yaml:"unmanaged_users,omitempty" json:"unmanaged_users,omitempty"`
	// Which live users the file governs. Users outside the scope are never
	// reported or deleted as unmanaged.
	Scope Scope `yaml:"scope,omitempty" json:"scope,omitempty"`
	// Users that are never changed or deleted: case-insensitive glob
	// patterns matched against emails (* any run of characters, ? one
	// character, [a-z] a class), e.g. "root@example.com" or "*@vendor.example".
	Protected []string `yaml:"protected,omitempty" json:"protected,omitempty" jsonschema:"minLength=1"`
	// How a user's roles list is read: authoritative (the default; the list
	// is the user's complete set of roles) or additive (listed roles are
	// added, others are left alone).
	Membership MembershipMode `yaml:"membership,omitempty" json:"membership,omitempty"`
	// apply refuses a plan that deletes more users than this (default 5;
	// the --max-deletions flag overrides it).
	MaxDeletions *int `yaml:"max_deletions,omitempty" json:"max_deletions,omitempty" jsonschema:"minimum=0,default=5"`
	// apply refuses a plan whose membership removals exceed this
	// percentage of the current memberships of the roles concerned
	// (default 25; the --max-removal-percent flag overrides it).
	MaxRemovalPercent *float64 `yaml:"max_removal_percent,omitempty" json:"max_removal_percent,omitempty" jsonschema:"minimum=0,maximum=100,default=25"`

	// At holds the places of settings keys ("protected[1]", ...), so the
	// diff can name where a setting that only live data proves wrong
	// stands in the file.
	At Positions `yaml:"-" json:"-"`
}

// Scope selects the live users this file governs. An empty list means no
// restriction on that axis.
type Scope struct {
	// The user types governed: technician, end_user, or both (the default).
	UserTypes []UserType `yaml:"user_types,omitempty" json:"user_types,omitempty" jsonschema:"uniqueItems=true"`
	// Only users whose email is in one of these domains, e.g. example.com
	// (compared case-insensitively).
	EmailDomains []string `yaml:"email_domains,omitempty" json:"email_domains,omitempty" jsonschema:"uniqueItems=true"`
	// Only end users of these organizations (by name). Technicians belong to
	// no organization and are not restricted by this list.
	Organizations []string `yaml:"organizations,omitempty" json:"organizations,omitempty" jsonschema:"uniqueItems=true,minLength=1"`

	// At holds the places of scope keys ("organizations[0]", ...), so
	// the diff can name an organization that live data proves unknown.
	At Positions `yaml:"-" json:"-"`
}

// RoleSpec declares a role the file governs as a whole. Roles are made in
// the NinjaOne console; the file refers to them by name and type.
type RoleSpec struct {
	// The role's name as NinjaOne shows it.
	Name string `yaml:"name" json:"name" jsonschema:"minLength=1"`
	// The role's type: technician roles take technicians, end_user roles
	// take end users.
	Type UserType `yaml:"type" json:"type"`
	// When true, live members of the role that no user in the file lists it
	// for are removed from it.
	Exclusive bool `yaml:"exclusive,omitempty" json:"exclusive,omitempty"`

	At Positions `yaml:"-" json:"-"`
}

// UserSpec declares one user.
//
// Roles == nil means the user's roles are not managed; a non-nil empty
// slice means the user has no roles.
type UserSpec struct {
	// The user's identity, compared case-insensitively and with a domain's
	// Unicode and punycode spellings alike; cannot be changed later.
	// Required.
	Email string `yaml:"email" json:"email" jsonschema:"maxLength=254"`
	// technician or end_user. Required unless state is absent; cannot be
	// changed later.
	Type UserType `yaml:"type,omitempty" json:"type,omitempty"`
	// present (the default) or absent: delete the user if it exists. An
	// absent user takes only email and state.
	State UserState `yaml:"state,omitempty" json:"state,omitempty"`
	// Required unless state is absent; 1 to 150 characters.
	FirstName string `yaml:"first_name,omitempty" json:"first_name,omitempty" jsonschema:"minLength=1,maxLength=150"`
	// Required unless state is absent; 1 to 150 characters.
	LastName string `yaml:"last_name,omitempty" json:"last_name,omitempty" jsonschema:"minLength=1,maxLength=150"`
	// Set only when the user is created: NinjaOne cannot change a phone
	// number later.
	Phone string `yaml:"phone,omitempty" json:"phone,omitempty"`
	// End users only: the organization's name. An end user needs this or
	// organization_id, not both.
	Organization string `yaml:"organization,omitempty" json:"organization,omitempty" jsonschema:"minLength=1"`
	// End users only: the organization's id. An end user needs this or
	// organization, not both.
	OrganizationID int32 `yaml:"organization_id,omitempty" json:"organization_id,omitempty" jsonschema:"minimum=1,maximum=2147483647"`
	// End users only: whether the user sees every device of its
	// organization in the end-user portal. Omitted: not managed.
	FullPortalAccess *bool `yaml:"full_portal_access,omitempty" json:"full_portal_access,omitempty"`
	// End users only: email an invitation when the user is created.
	SendInvitation bool `yaml:"send_invitation,omitempty" json:"send_invitation,omitempty"`
	// Names of the user's roles, of the user's own type. Omitted: roles are
	// not managed; []: the user has no roles.
	Roles []string `yaml:"roles,omitempty" json:"roles,omitempty" jsonschema:"uniqueItems=true,minLength=1"`

	At Positions `yaml:"-" json:"-"`
}

// UserType is a user's type as the file spells it.
type UserType string

const (
	TechnicianUser UserType = "technician"
	EndUserUser    UserType = "end_user"
)

// API converts a file user type to NinjaOne's spelling.
func (t UserType) API() ninjaone.UserType {
	switch t {
	case TechnicianUser:
		return ninjaone.Technician
	case EndUserUser:
		return ninjaone.EndUser
	}
	return ""
}

// FromAPI converts NinjaOne's user type to the file's spelling.
func FromAPI(t ninjaone.UserType) UserType {
	switch t {
	case ninjaone.Technician:
		return TechnicianUser
	case ninjaone.EndUser:
		return EndUserUser
	}
	return UserType(t)
}

// UserState says whether a user should exist.
type UserState string

const (
	Present UserState = "present"
	Absent  UserState = "absent"
)

// UnmanagedMode is what happens to live users in scope that the file does
// not list.
type UnmanagedMode string

const (
	UnmanagedIgnore UnmanagedMode = "ignore"
	UnmanagedReport UnmanagedMode = "report"
	UnmanagedDelete UnmanagedMode = "delete"
)

// MembershipMode says how a user's roles list is read.
type MembershipMode string

const (
	// Authoritative: the list is the user's complete set of roles.
	Authoritative MembershipMode = "authoritative"
	// Additive: the listed roles are added, others are left alone.
	Additive MembershipMode = "additive"
)

// enum is a string type with a fixed set of spellings. The loader checks
// values against them and the schema lists them, so both read the same
// list, in the order messages show it.
type enum interface{ values() []string }

func (UserType) values() []string  { return []string{string(TechnicianUser), string(EndUserUser)} }
func (UserState) values() []string { return []string{string(Present), string(Absent)} }
func (UnmanagedMode) values() []string {
	return []string{string(UnmanagedIgnore), string(UnmanagedReport), string(UnmanagedDelete)}
}
func (MembershipMode) values() []string { return []string{string(Authoritative), string(Additive)} }

// Defaults for the apply guards.
const (
	DefaultMaxDeletions      = 5
	DefaultMaxRemovalPercent = 25.0
)

// Pos is a place in the desired-state file, 1-based.
type Pos struct {
	Line int
	Col  int
}

// Positions records where an entry of the file and its keys' values stand:
// "" for the entry itself, "email" or "roles" for a key's value, "roles[1]"
// for an item of a list. The loader fills it so later stages (the diff) can
// name the place of an error. A 100,000-user file holds about a million of
// them, so they are a compact list (16 bytes each), not a map.
type Positions struct{ list []keyPos }

type keyPos struct {
	key       uint16 // index in posKeys.names
	item      int32  // index in the key's list, or -1 for the value itself
	line, col int32
}

// posKeys interns the key names that Positions refer to.
var posKeys = struct {
	sync.Mutex
	names []string
	index map[string]uint16
}{names: []string{""}, index: map[string]uint16{"": 0}}

func posKey(name string) uint16 {
	posKeys.Lock()
	defer posKeys.Unlock()
	if id, ok := posKeys.index[name]; ok {
		return id
	}
	id := uint16(len(posKeys.names))
	posKeys.names = append(posKeys.names, name)
	posKeys.index[name] = id
	return id
}

func posKeyName(id uint16) string {
	posKeys.Lock()
	defer posKeys.Unlock()
	return posKeys.names[id]
}

// parseKey splits "roles[1]" into "roles" and 1, and "roles" into "roles"
// and -1.
func parseKey(key string) (string, int) {
	if name, rest, ok := strings.Cut(key, "["); ok && strings.HasSuffix(rest, "]") {
		if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil && i >= 0 {
			return name, i
		}
	}
	return key, -1
}

// MakePositions builds Positions from a map of keys as Lookup takes them.
func MakePositions(m map[string]Pos) Positions {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var p Positions
	for _, k := range keys {
		name, item := parseKey(k)
		p.add(posKey(name), item, m[k])
	}
	return p
}

func (p *Positions) add(key uint16, item int, at Pos) {
	p.list = append(p.list, keyPos{key: key, item: int32(item), line: int32(at.Line), col: int32(at.Col)})
}

// emailPosKey is the id of "email", looked up for every user while loading.
var emailPosKey = posKey("email")

// Lookup returns where key ("", "email", "roles[1]", ...) stands.
func (p Positions) Lookup(key string) (Pos, bool) {
	name, item := parseKey(key)
	posKeys.Lock()
	id, ok := posKeys.index[name]
	posKeys.Unlock()
	if !ok {
		return Pos{}, false
	}
	return p.lookupID(id, item)
}

func (p Positions) lookupID(id uint16, item int) (Pos, bool) {
	for _, kp := range p.list {
		if kp.key == id && int(kp.item) == item {
			return Pos{Line: int(kp.line), Col: int(kp.col)}, true
		}
	}
	return Pos{}, false
}

// Get is Lookup without the flag: the zero Pos when key is not there.
func (p Positions) Get(key string) Pos {
	at, _ := p.Lookup(key)
	return at
}

// Equal reports whether p and q hold the same positions, in any order
// (go-cmp uses it).
func (p Positions) Equal(q Positions) bool {
	if len(p.list) != len(q.list) {
		return false
	}
	pm, qm := p.Map(), q.Map()
	for k, v := range pm {
		if w, ok := qm[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Map lists every position by key, for tests and debugging.
func (p Positions) Map() map[string]Pos {
	m := make(map[string]Pos, len(p.list))
	for _, kp := range p.list {
		k := posKeyName(kp.key)
		if kp.item >= 0 {
			k += "[" + strconv.Itoa(int(kp.item)) + "]"
		}
		m[k] = Pos{Line: int(kp.line), Col: int(kp.col)}
	}
	return m
}

// Where formats the place of key in entry positions at as FILE:LINE:COL,
// falling back to the entry itself and then to the file name alone.
func (d *Desired) Where(at Positions, key string) string {
	p, ok := at.Lookup(key)
	if !ok {
		p, ok = at.Lookup("")
	}
	if !ok || p.Line == 0 {
		return d.Path
	}
	return fmt.Sprintf("%s:%d:%d", d.Path, p.Line, p.Col)
}
