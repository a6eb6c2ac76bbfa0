package ninjaone

// The types in this file mirror the JSON objects of NinjaOne's public API v2
// (see testdata/openapi.yaml). They are decoded leniently: fields the API
// adds, or that older tenants still send (tags, fields), are ignored.

// UserType is NinjaOne's user type: TECHNICIAN or END_USER. Roles carry the
// same values in their `type` field.
type UserType string

const (
	Technician UserType = "TECHNICIAN"
	EndUser    UserType = "END_USER"
)

// Valid reports whether t is one of the two user types the API knows.
func (t UserType) Valid() bool { return t == Technician || t == EndUser }

// User is a technician or an end user, the union of the API's User,
// Technician and EndUser objects. Fields one type lacks stay zero.
type User struct {
	ID               int32    `json:"id"`
	UID              string   `json:"uid,omitempty"`
	FirstName        string   `json:"firstName,omitempty"`
	LastName         string   `json:"lastName,omitempty"`
	Email            string   `json:"email,omitempty"`
	Phone            string   `json:"phone,omitempty"`
	Enabled          bool     `json:"enabled"`
	Administrator    bool     `json:"administrator,omitempty"`
	UserType         UserType `json:"userType,omitempty"`
	InvitationStatus string   `json:"invitationStatus,omitempty"`
	OrganizationID   int32    `json:"organizationId,omitempty"`
	FullPortalAccess bool     `json:"fullPortalAccess,omitempty"`
	ScimUser         bool     `json:"scimUser,omitempty"`
	AuthType         string   `json:"authType,omitempty"`
	MustChangePw     bool     `json:"mustChangePw,omitempty"`
	MFAConfigured    bool     `json:"mfaConfigured,omitempty"`
	NotifyAllClients bool     `json:"notifyAllClients,omitempty"`
	PermitAllClients bool     `json:"permitAllClients,omitempty"`
}

// Role is a user role (the API's UserRole) with its members. Device roles,
// which `GET /v2/roles` returns, are a different thing and never appear here.
type Role struct {
	ID          int32        `json:"id"`
	Name        string       `json:"name"`
	Type        UserType     `json:"type,omitempty"`
	Description string       `json:"description,omitempty"`
	Members     []RoleMember `json:"members"`
	// MembersUnknown says the list answered this role without a members
	// key or with null: its membership is unknown, which is not the same
	// as empty. Every read of the roles sets it; Members is then nil.
	MembersUnknown bool `json:"-"`
}

// RoleMember is one member of a role as the API lists it.
type RoleMember struct {
	ID     int32  `json:"id"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Source string `json:"source,omitempty"`
}

// Organization is an organization in brief mode.
type Organization struct {
	ID          int32  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Snapshot is the whole live state ninjaops works from, read once: every
// technician, every end user, every user role with its members, and the
// organizations when they were asked for. It is plain data; consumers build
// their own indexes.
type Snapshot struct {
	Technicians []User
	EndUsers    []User
	Roles       []Role
	// Organizations is nil unless SnapshotOptions.Organizations was set.
	Organizations []Organization
}

// SnapshotOptions selects the optional parts of a Snapshot.
type SnapshotOptions struct {
	// Organizations also reads the organizations, which a desired-state
	// file needs only when it names an organization by name.
	Organizations bool
}

// CreateEndUserRequest is the body of POST /v2/user/end-users.
type CreateEndUserRequest struct {
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	Email            string `json:"email"`
	Phone            string `json:"phone,omitempty"`
	OrganizationID   int32  `json:"organizationId"`
	FullPortalAccess bool   `json:"fullPortalAccess"`
}

// CreateTechnicianRequest is the body of POST /v2/user/technicians.
type CreateTechnicianRequest struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	Phone     string `json:"phone,omitempty"`
}

// EndUserPatch is the body of PATCH /v2/user/end-user/{id}. Nil fields are
// left out, so only what changes is sent.
type EndUserPatch struct {
	FirstName        *string `json:"firstName,omitempty"`
	LastName         *string `json:"lastName,omitempty"`
	OrganizationID   *int32  `json:"organizationId,omitempty"`
	FullPortalAccess *bool   `json:"fullPortalAccess,omitempty"`
}

// TechnicianPatch is the body of PATCH /v2/user/technician/{id}.
type TechnicianPatch struct {
	FirstName *string `json:"firstName,omitempty"`
	LastName  *string `json:"lastName,omitempty"`
}
