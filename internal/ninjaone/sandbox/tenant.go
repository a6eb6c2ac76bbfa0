package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// Tenant is the seed and state format: a whole NinjaOne tenant in the API's
// own field names. The sandbox is built from one, persists one, and
// GET /_sandbox/state returns one. Lists are ordered by id.
type Tenant struct {
	Organizations []Organization `json:"organizations" yaml:"organizations"`
	Roles         []Role         `json:"roles" yaml:"roles"`
	Users         []User         `json:"users" yaml:"users"`
}

// Organization is an organization, which end users belong to.
type Organization struct {
	ID          int32  `json:"id" yaml:"id"`
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}

// Role is a user role. Type says which kind of user it takes; Members are
// user ids.
type Role struct {
	ID          int32             `json:"id" yaml:"id"`
	Name        string            `json:"name" yaml:"name"`
	Type        ninjaone.UserType `json:"type" yaml:"type"`
	Description string            `json:"description,omitempty" yaml:"description,omitempty"`
	Members     []int32           `json:"members" yaml:"members"`
}

// User is a technician or an end user. OrganizationID and FullPortalAccess
// belong to end users, Administrator to technicians.
type User struct {
	ID               int32             `json:"id" yaml:"id"`
	FirstName        string            `json:"firstName" yaml:"firstName"`
	LastName         string            `json:"lastName" yaml:"lastName"`
	Email            string            `json:"email" yaml:"email"`
	Phone            string            `json:"phone,omitempty" yaml:"phone,omitempty"`
	UserType         ninjaone.UserType `json:"userType" yaml:"userType"`
	OrganizationID   int32             `json:"organizationId,omitempty" yaml:"organizationId,omitempty"`
	Administrator    bool              `json:"administrator,omitempty" yaml:"administrator,omitempty"`
	Enabled          bool              `json:"enabled" yaml:"enabled"`
	FullPortalAccess bool              `json:"fullPortalAccess,omitempty" yaml:"fullPortalAccess,omitempty"`
	InvitationStatus string            `json:"invitationStatus,omitempty" yaml:"invitationStatus,omitempty"`
	ScimUser         bool              `json:"scimUser,omitempty" yaml:"scimUser,omitempty"`
}

// Clone returns a deep copy of t.
func (t *Tenant) Clone() *Tenant {
	c := &Tenant{
		Organizations: slices.Clone(t.Organizations),
		Roles:         slices.Clone(t.Roles),
		Users:         slices.Clone(t.Users),
	}
	for i := range c.Roles {
		c.Roles[i].Members = slices.Clone(c.Roles[i].Members)
	}
	return c
}

// The raw* types are what a seed file may say: ids and enabled may be left
// out, which the plain types cannot tell from zero.
type rawTenant struct {
	// Seed is a state file's record of the seed it was built from; a seed
	// that says one (a state file copied as a seed) is not told apart.
	Seed          *SeedInfo         `json:"seed" yaml:"seed"`
	Organizations []rawOrganization `json:"organizations" yaml:"organizations"`
	Roles         []rawRole         `json:"roles" yaml:"roles"`
	Users         []rawUser         `json:"users" yaml:"users"`
}

type rawOrganization struct {
	ID          int32  `json:"id" yaml:"id"`
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description" yaml:"description"`
}

type rawRole struct {
	ID          int32             `json:"id" yaml:"id"`
	Name        string            `json:"name" yaml:"name"`
	Type        ninjaone.UserType `json:"type" yaml:"type"`
	Description string            `json:"description" yaml:"description"`
	Members     []int32           `json:"members" yaml:"members"`
}

type rawUser struct {
	ID               int32             `json:"id" yaml:"id"`
	FirstName        string            `json:"firstName" yaml:"firstName"`
	LastName         string            `json:"lastName" yaml:"lastName"`
	Email            string            `json:"email" yaml:"email"`
	Phone            string            `json:"phone" yaml:"phone"`
	UserType         ninjaone.UserType `json:"userType" yaml:"userType"`
	OrganizationID   int32             `json:"organizationId" yaml:"organizationId"`
	Administrator    bool              `json:"administrator" yaml:"administrator"`
	Enabled          *bool             `json:"enabled" yaml:"enabled"`
	FullPortalAccess bool              `json:"fullPortalAccess" yaml:"fullPortalAccess"`
	InvitationStatus string            `json:"invitationStatus" yaml:"invitationStatus"`
	ScimUser         bool              `json:"scimUser" yaml:"scimUser"`
}

// LoadTenant reads a seed or state file (YAML or JSON). A desired-state
// file given by mistake is one line of error, which names the tenant
// beside it when there is one (the examples keep theirs as sandbox.yaml).
func LoadTenant(path string) (*Tenant, error) {
	t, _, err := LoadSeed(path)
	return t, err
}

// ParseTenant parses a seed or state document, YAML or JSON, named name in
// errors. Ids left out are assigned after the largest id given. The result
// is validated: every error names name:line and the object concerned. A
// file that is plainly another of ninjaops' files (a desired-state file, a
// saved plan) is a *NotTenantError of one line rather than an error for
// each of its keys.
func ParseTenant(name string, data []byte) (*Tenant, error) {
	t, _, err := parseTenant(name, data)
	return t, err
}

// parseTenant is ParseTenant, with the seed a state file records.
func parseTenant(name string, data []byte) (*Tenant, *SeedInfo, error) {
	t, seed, err := decodeTenant(name, data)
	if err != nil {
		if what := otherFormat(data); what != "" {
			return nil, nil, &NotTenantError{Name: name, What: what}
		}
	}
	return t, seed, err
}

func decodeTenant(name string, data []byte) (*Tenant, *SeedInfo, error) {
	var raw rawTenant
	isJSON := len(bytes.TrimLeft(data, " \t\r\n")) > 0 && bytes.TrimLeft(data, " \t\r\n")[0] == '{'
	if isJSON {
		// encoding/json rather than yaml: a state file of 100,000 users
		// parses in a fraction of the time.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, jsonError(name, data, err)
		}
		if _, err := dec.Token(); err == nil {
			return nil, nil, fmt.Errorf("%s:%d: unexpected data after the tenant object", name, lineOf(data, dec.InputOffset()))
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// An empty document is an empty tenant.
		if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, yamlError(name, err)
		}
	}
	t, problems := build(&raw)
	if len(problems) > 0 {
		// Reported in the order of the file, at most ten.
		pos := positions(data)
		type placed struct {
			line, col int
			msg       string
		}
		all := make([]placed, len(problems))
		for i, p := range problems {
			l, c := pos.at(p.path)
			all[i] = placed{l, c, p.msg}
		}
		slices.SortStableFunc(all, func(a, b placed) int {
			return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
		})
		errs := make([]error, 0, len(all))
		for i, p := range all {
			if i == 10 {
				errs = append(errs, fmt.Errorf("%s: ... and %d more problems", name, len(all)-i))
				break
			}
			if p.line > 0 {
				errs = append(errs, fmt.Errorf("%s:%d:%d: %s", name, p.line, p.col, p.msg))
			} else {
				errs = append(errs, fmt.Errorf("%s: %s", name, p.msg))
			}
		}
		return nil, nil, errors.Join(errs...)
	}
	return t, raw.Seed, nil
}

// problem is one validation failure, placed by its path in the document
// (e.g. ["users", 3, "userType"]).
type problem struct {
	path []any
	msg  string
}

// build checks raw, assigns missing ids and returns the tenant sorted by id.
func build(raw *rawTenant) (*Tenant, []problem) {
	var probs []problem
	add := func(msg string, path ...any) { probs = append(probs, problem{path, msg}) }

	t := &Tenant{
		Organizations: make([]Organization, len(raw.Organizations)),
		Roles:         make([]Role, len(raw.Roles)),
		Users:         make([]User, len(raw.Users)),
	}

	// Organizations.
	orgs := make(map[int32]bool, len(raw.Organizations))
	var maxOrg int32
	for i, o := range raw.Organizations {
		if o.ID < 0 {
			add(fmt.Sprintf("organization %q: id %d must be positive", o.Name, o.ID), "organizations", i, "id")
		} else if o.ID > 0 && orgs[o.ID] {
			add(fmt.Sprintf("organization %q: duplicate id %d", o.Name, o.ID), "organizations", i, "id")
		}
		if o.ID > 0 {
			orgs[o.ID] = true
			maxOrg = max(maxOrg, o.ID)
		}
		if strings.TrimSpace(o.Name) == "" {
			add("organization without a name", "organizations", i)
		}
		t.Organizations[i] = Organization(o)
	}
	for i := range t.Organizations {
		if t.Organizations[i].ID == 0 {
			maxOrg++
			t.Organizations[i].ID = maxOrg
			orgs[maxOrg] = true
		}
	}

	// Users.
	userType := make(map[int32]ninjaone.UserType, len(raw.Users))
	var maxUser int32
	for i, u := range raw.Users {
		who := userLabel(u.ID, u.Email, u.FirstName, u.LastName)
		if u.ID < 0 {
			add(fmt.Sprintf("%s: id must be positive", who), "users", i, "id")
		} else if _, dup := userType[u.ID]; u.ID > 0 && dup {
			add(fmt.Sprintf("%s: duplicate id %d", who, u.ID), "users", i, "id")
		}
		switch u.UserType {
		case ninjaone.Technician:
			if u.OrganizationID != 0 {
				add(fmt.Sprintf("%s: a technician has no organizationId (only end users belong to an organization)", who), "users", i, "organizationId")
			}
			if u.FullPortalAccess {
				add(fmt.Sprintf("%s: fullPortalAccess is for end users only", who), "users", i, "fullPortalAccess")
			}
		case ninjaone.EndUser:
			if u.Administrator {
				add(fmt.Sprintf("%s: administrator is for technicians only", who), "users", i, "administrator")
			}
			if u.OrganizationID == 0 {
				add(fmt.Sprintf("%s: an end user needs an organizationId", who), "users", i)
			} else if !orgs[u.OrganizationID] {
				add(fmt.Sprintf("%s: unknown organizationId %d", who, u.OrganizationID), "users", i, "organizationId")
			}
		case "":
			add(fmt.Sprintf("%s: userType is missing (TECHNICIAN or END_USER)", who), "users", i)
		default:
			add(fmt.Sprintf("%s: userType %q must be TECHNICIAN or END_USER", who, u.UserType), "users", i, "userType")
		}
		switch u.InvitationStatus {
		case "", "REGISTERED", "PENDING", "EXPIRED":
		default:
			add(fmt.Sprintf("%s: invitationStatus %q must be REGISTERED, PENDING or EXPIRED", who, u.InvitationStatus), "users", i, "invitationStatus")
		}
		if u.ID > 0 {
			userType[u.ID] = u.UserType
			maxUser = max(maxUser, u.ID)
		}
		enabled := true
		if u.Enabled != nil {
			enabled = *u.Enabled
		}
		t.Users[i] = User{
			ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Phone: u.Phone,
			UserType: u.UserType, OrganizationID: u.OrganizationID, Administrator: u.Administrator,
			Enabled: enabled, FullPortalAccess: u.FullPortalAccess, InvitationStatus: u.InvitationStatus,
			ScimUser: u.ScimUser,
		}
	}
	for i := range t.Users {
		if t.Users[i].ID == 0 {
			maxUser++
			t.Users[i].ID = maxUser
			userType[maxUser] = t.Users[i].UserType
		}
	}

	// Roles.
	roles := make(map[int32]bool, len(raw.Roles))
	var maxRole int32
	for i, r := range raw.Roles {
		who := fmt.Sprintf("role %q", r.Name)
		if r.ID < 0 {
			add(fmt.Sprintf("%s: id %d must be positive", who, r.ID), "roles", i, "id")
		} else if r.ID > 0 && roles[r.ID] {
			add(fmt.Sprintf("%s: duplicate id %d", who, r.ID), "roles", i, "id")
		}
		if r.ID > 0 {
			roles[r.ID] = true
			maxRole = max(maxRole, r.ID)
		}
		if strings.TrimSpace(r.Name) == "" {
			add("role without a name", "roles", i)
		}
		if !r.Type.Valid() {
			if r.Type == "" {
				add(fmt.Sprintf("%s: type is missing (TECHNICIAN or END_USER)", who), "roles", i)
			} else {
				add(fmt.Sprintf("%s: type %q must be TECHNICIAN or END_USER", who, r.Type), "roles", i, "type")
			}
		}
		seen := make(map[int32]bool, len(r.Members))
		members := make([]int32, 0, len(r.Members))
		for j, m := range r.Members {
			ut, ok := userType[m]
			switch {
			case !ok:
				add(fmt.Sprintf("%s: member %d is not a user id", who, m), "roles", i, "members", j)
			case seen[m]:
				add(fmt.Sprintf("%s: member %d is listed twice", who, m), "roles", i, "members", j)
			case r.Type.Valid() && ut.Valid() && ut != r.Type:
				add(fmt.Sprintf("%s: member %d is %s but the role is for %s", who, m, article(ut), typeWord(r.Type)+"s"), "roles", i, "members", j)
			default:
				members = append(members, m)
			}
			seen[m] = true
		}
		slices.Sort(members)
		t.Roles[i] = Role{ID: r.ID, Name: r.Name, Type: r.Type, Description: r.Description, Members: members}
	}
	for i := range t.Roles {
		if t.Roles[i].ID == 0 {
			maxRole++
			t.Roles[i].ID = maxRole
		}
	}

	slices.SortFunc(t.Organizations, func(a, b Organization) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(t.Users, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(t.Roles, func(a, b Role) int { return cmp.Compare(a.ID, b.ID) })
	return t, probs
}

func typeWord(t ninjaone.UserType) string {
	if t == ninjaone.Technician {
		return "technician"
	}
	return "end user"
}

func userLabel(id int32, email, first, last string) string {
	var b strings.Builder
	b.WriteString("user")
	if id > 0 {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(int(id)))
	}
	switch {
	case email != "":
		fmt.Fprintf(&b, " (%s)", email)
	case first != "" || last != "":
		fmt.Fprintf(&b, " (%s)", strings.TrimSpace(first+" "+last))
	}
	return b.String()
}

// posIndex finds the line and column of a path in a YAML or JSON document.
// It is built only when a document has problems: parsing a node tree is too
// slow for the happy path of a large state file.
type posIndex struct{ root *yaml.Node }

func positions(data []byte) posIndex {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return posIndex{}
	}
	return posIndex{&n}
}

// at returns the line and column of path, or of the deepest node of it
// found; 0, 0 when the document could not be indexed.
func (p posIndex) at(path []any) (int, int) {
	n := p.root
	if n == nil {
		return 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, step := range path {
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return n.Line, n.Column
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError rewrites yaml.v3's "line N: msg" errors as "name:N: msg".
func yamlError(name string, err error) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{err.Error()}
	}
	errs := make([]error, 0, len(lines))
	for _, l := range lines {
		l = strings.ReplaceAll(l, "sandbox.raw", "")
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			errs = append(errs, fmt.Errorf("%s:%s: %s", name, m[1], m[2]))
		} else {
			errs = append(errs, fmt.Errorf("%s: %s", name, strings.TrimPrefix(l, "yaml: ")))
		}
	}
	return errors.Join(errs...)
}

// jsonError places an encoding/json error at its line and column.
func jsonError(name string, data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "json: "), "sandbox.raw", "")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// encoding/json does not say where; the field's first use is a
		// good guess.
		if i := bytes.Index(data, []byte(field+":")); i >= 0 {
			off = int64(i)
		} else if i := bytes.Index(data, []byte(field)); i >= 0 {
			off = int64(i)
		}
	}
	if off < 0 {
		return fmt.Errorf("%s: %s", name, msg)
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
}

func lineOf(data []byte, off int64) int {
	l, _ := lineCol(data, off)
	return l
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}
