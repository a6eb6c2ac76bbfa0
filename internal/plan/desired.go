package plan

import (
	"fmt"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// The desired-state model: what ninjaops.yaml declares. The same Go types
// drive the strict loader and the JSON Schema (`ninjaops schema`), so the
// two cannot drift apart: field names come from the yaml tags.

// Desired is a loaded, validated ninjaops.yaml.
type Desired struct {
	Version  int        `yaml:"version" json:"version" jsonschema:"enum=1"`
	Settings Settings   `yaml:"settings,omitempty" json:"settings,omitempty"`
	Roles    []RoleSpec `yaml:"roles,omitempty" json:"roles,omitempty"`
	Users    []UserSpec `yaml:"users,omitempty" json:"users,omitempty"`

	// Path is the file name used in messages; Source is the file's bytes,
	// kept so a saved plan can record exactly what it was computed from.
	Path   string `yaml:"-" json:"-"`
	Source []byte `yaml:"-" json:"-"`
}

// Settings are the file-wide rules.
type Settings struct {
	UnmanagedUsers    UnmanagedMode  `yaml:"unmanaged_users,omitempty" json:"unmanaged_users,omitempty"`
	Scope             Scope          `yaml:"scope,omitempty" json:"scope,omitempty"`
	Protected         []string       `yaml:"protected,omitempty" json:"protected,omitempty"`
	Membership        MembershipMode `yaml:"membership,omitempty" json:"membership,omitempty"`
	MaxDeletions      *int           `yaml:"max_deletions,omitempty" json:"max_deletions,omitempty" jsonschema:"minimum=0,default=5"`
	MaxRemovalPercent *float64       `yaml:"max_removal_percent,omitempty" json:"max_removal_percent,omitempty" jsonschema:"minimum=0,maximum=100,default=25"`

	// At holds the places of settings keys ("protected[1]", ...), so the
	// diff can name where a setting that only live data proves wrong
	// stands in the file.
	At Positions `yaml:"-" json:"-"`
}

// Scope selects the live users this file governs. An empty list means no
// restriction on that axis.
type Scope struct {
	UserTypes     []UserType `yaml:"user_types,omitempty" json:"user_types,omitempty"`
	EmailDomains  []string   `yaml:"email_domains,omitempty" json:"email_domains,omitempty"`
	Organizations []string   `yaml:"organizations,omitempty" json:"organizations,omitempty"`

	// At holds the places of scope keys ("organizations[0]", ...).
	At Positions `yaml:"-" json:"-"`
}

// RoleSpec declares a role the file governs as a whole.
type RoleSpec struct {
	Name      string   `yaml:"name" json:"name"`
	Type      UserType `yaml:"type" json:"type"`
	Exclusive bool     `yaml:"exclusive,omitempty" json:"exclusive,omitempty"`

	At Positions `yaml:"-" json:"-"`
}

// UserSpec declares one user. Roles == nil means the user's roles are not
// managed; a non-nil empty slice means the user has no roles.
type UserSpec struct {
	Email            string    `yaml:"email" json:"email"`
	Type             UserType  `yaml:"type,omitempty" json:"type,omitempty"`
	State            UserState `yaml:"state,omitempty" json:"state,omitempty"`
	FirstName        string    `yaml:"first_name,omitempty" json:"first_name,omitempty" jsonschema:"minLength=1,maxLength=150"`
	LastName         string    `yaml:"last_name,omitempty" json:"last_name,omitempty" jsonschema:"minLength=1,maxLength=150"`
	Phone            string    `yaml:"phone,omitempty" json:"phone,omitempty"`
	Organization     string    `yaml:"organization,omitempty" json:"organization,omitempty"`
	OrganizationID   int32     `yaml:"organization_id,omitempty" json:"organization_id,omitempty" jsonschema:"minimum=1"`
	FullPortalAccess *bool     `yaml:"full_portal_access,omitempty" json:"full_portal_access,omitempty"`
	SendInvitation   bool      `yaml:"send_invitation,omitempty" json:"send_invitation,omitempty"`
	Roles            []string  `yaml:"roles,omitempty" json:"roles,omitempty"`

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

// Positions maps a key of an entry ("" for the entry itself, "email",
// "roles[1]", ...) to where its value stands in the file. The loader fills
// it so later stages (the diff) can name the place of an error.
type Positions map[string]Pos

// Where formats the place of key in entry positions at as FILE:LINE:COL,
// falling back to the entry itself and then to the file name alone.
func (d *Desired) Where(at Positions, key string) string {
	p, ok := at[key]
	if !ok {
		p, ok = at[""]
	}
	if !ok || p.Line == 0 {
		return d.Path
	}
	return fmt.Sprintf("%s:%d:%d", d.Path, p.Line, p.Col)
}
