// Package plan owns the desired-state model and its loader, the diff from
// (Desired, ninjaone.Snapshot) to a Plan, the Plan's types, its renderers
// and its file format. It does no I/O: callers hand it bytes and a
// Snapshot and get data back.
package plan

// FormatVersion is the version of the plan JSON and plan file format.
const FormatVersion = "1"

// Action is what a change does.
type Action string

const (
	Create Action = "create" // a user
	Update Action = "update" // a user's fields
	Delete Action = "delete" // a user
	Add    Action = "add"    // a role membership
	Remove Action = "remove" // a role membership
)

// Kind is what a change is made to.
type Kind string

const (
	UserKind       Kind = "user"
	MembershipKind Kind = "membership"
)

// Drift is how the live tenant differs from the desired state, as the plan
// JSON's "drift" says it.
type Drift string

const (
	NoDrift Drift = "none"
	// DriftChanges: the plan has changes to make.
	DriftChanges Drift = "changes"
	// DriftUnmanaged: live users in scope that the file does not list
	// (unmanaged_users: report), and no changes.
	DriftUnmanaged Drift = "unmanaged_users"
	// DriftBoth: changes and unmanaged users.
	DriftBoth Drift = "both"
)

// Plan is the set of changes that brings the live tenant to the desired
// state. It is plain data: rendering and executing it live elsewhere.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// Drift summarizes Changes and Unmanaged: what plan
	// --detailed-exitcode exits 2 for.
	Drift    Drift    `json:"drift"`
	Summary  Summary  `json:"summary"`
	Changes  []Change `json:"changes"`
	Warnings []string `json:"warnings"`
	// Unmanaged lists the emails of live users in scope that the file does
	// not list, when settings.unmanaged_users is report.
	Unmanaged []string `json:"unmanaged"`
}

// HasDrift reports whether the tenant differs from the desired state: the
// plan has changes, or users in scope that the file does not list.
func (p *Plan) HasDrift() bool { return len(p.Changes) > 0 || len(p.Unmanaged) > 0 }

// driftOf is the Drift of p's changes and unmanaged users.
func driftOf(p *Plan) Drift {
	switch changes, unmanaged := len(p.Changes) > 0, len(p.Unmanaged) > 0; {
	case changes && unmanaged:
		return DriftBoth
	case changes:
		return DriftChanges
	case unmanaged:
		return DriftUnmanaged
	}
	return NoDrift
}

// Summary counts the changes by action.
type Summary struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
	Add    int `json:"add"`
	Remove int `json:"remove"`
}

// Change is one change to one user or one membership.
type Change struct {
	// Address names the object: user["alice@example.com"] or
	// role["Helpdesk"].member["alice@example.com"].
	Address string `json:"address"`
	Kind    Kind   `json:"kind"`
	Action  Action `json:"action"`
	// Before is nil for create and add; After is nil for delete and remove.
	Before *Values `json:"before"`
	After  *Values `json:"after"`
	// Reason says why, in words a reviewer understands.
	Reason string `json:"reason"`
}

// Values is the state of a user or of a membership on one side of a change.
// User changes fill the user fields, membership changes the membership
// fields; both carry the email.
type Values struct {
	Email string `json:"email"`

	// A user. ID is zero for a user that does not exist yet.
	ID               int32    `json:"id,omitempty"`
	Type             UserType `json:"type,omitempty"`
	FirstName        string   `json:"first_name,omitempty"`
	LastName         string   `json:"last_name,omitempty"`
	Phone            string   `json:"phone,omitempty"`
	OrganizationID   int32    `json:"organization_id,omitempty"`
	Organization     string   `json:"organization,omitempty"`
	FullPortalAccess *bool    `json:"full_portal_access,omitempty"`
	SendInvitation   bool     `json:"send_invitation,omitempty"`

	// A membership. UserID is zero when the user is created by the same plan.
	Role     string   `json:"role,omitempty"`
	RoleID   int32    `json:"role_id,omitempty"`
	RoleType UserType `json:"role_type,omitempty"`
	UserID   int32    `json:"user_id,omitempty"`
}
