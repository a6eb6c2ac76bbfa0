package sandbox

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// This file is the sandbox's side of the wire: how each API object is
// written. It is its own description of the spec's objects, written key by
// key, and deliberately shares nothing with the client's types: the client
// decodes leniently, so encoding through its structs (omitempty and all)
// would make the sandbox answer the way the client reads rather than the
// way NinjaOne writes.

// Shape is how the sandbox writes the API's objects. Every shape describes
// the same tenant with the same values; they differ in which keys are
// present.
type Shape string

const (
	// ShapeSpec, the default, writes exactly the keys of the spec's object
	// for each route, every one of them: false, null, "" and [] are sent,
	// never left out, as recorded payloads do. GET /v2/users also carries
	// the legacy "tags": null and "fields": null a recorded 2025 answer
	// has. An EndUser has no userType and no administrator.
	ShapeSpec Shape = "spec"
	// ShapeAllKeys gives every user object the union of the keys of User,
	// EndUser and Technician (with true values: an end user's userType is
	// END_USER, a technician's organizationId null), as the sandbox used
	// to: a client must not be thrown by keys its list does not promise.
	ShapeAllKeys Shape = "all-keys"
	// ShapeLegacy is ShapeSpec plus keys the spec does not know on every
	// object: the legacy tags and fields (null) and unknown ones of every
	// JSON type, nested objects and arrays of objects included.
	ShapeLegacy Shape = "legacy"
	// ShapeSparse is ShapeSpec with false, null, "" and [] left out, as a
	// serializer set to skip defaults would write it. A role's members
	// stay, even when empty: a role without a members key is what
	// Options.RolesWithoutMembers models.
	ShapeSparse Shape = "sparse"
)

// Shapes lists every shape, the default first.
var Shapes = []Shape{ShapeSpec, ShapeAllKeys, ShapeLegacy, ShapeSparse}

// object is one of the spec's three user objects.
type object int

const (
	objUser       object = iota // User, from GET /v2/users
	objEndUser                  // EndUser, from /v2/user/end-users and /v2/user/end-user/{id}
	objTechnician               // Technician, from /v2/user/technicians and /v2/user/technician/{id}
)

// ukey is one key of a user object.
type ukey uint8

const (
	kID ukey = iota
	kUID
	kFirstName
	kLastName
	kEmail
	kPhone
	kEnabled
	kAdministrator
	kPermitAllClients
	kNotifyAllClients
	kMustChangePw
	kMFAConfigured
	kUserType
	kInvitationStatus
	kOrganizationID
	kDeviceIDs
	kAssignedDeviceIDs
	kRoles
	kFullPortalAccess
	kScimUser
	kAuthType
	kAccessibleDeviceIDs
	numUkeys
)

var ukeyNames = [numUkeys]string{
	kID: "id", kUID: "uid", kFirstName: "firstName", kLastName: "lastName", kEmail: "email", kPhone: "phone",
	kEnabled: "enabled", kAdministrator: "administrator", kPermitAllClients: "permitAllClients",
	kNotifyAllClients: "notifyAllClients", kMustChangePw: "mustChangePw", kMFAConfigured: "mfaConfigured",
	kUserType: "userType", kInvitationStatus: "invitationStatus", kOrganizationID: "organizationId",
	kDeviceIDs: "deviceIds", kAssignedDeviceIDs: "assignedDeviceIds", kRoles: "roles",
	kFullPortalAccess: "fullPortalAccess", kScimUser: "scimUser", kAuthType: "authType",
	kAccessibleDeviceIDs: "accessibleDeviceIds",
}

// specKeys are the keys of each object, in the spec's order
// (components.schemas.User, EndUser and Technician of openapi.yaml; a test
// compares them with the spec).
var specKeys = [3][]ukey{
	objUser: {kID, kUID, kFirstName, kLastName, kEmail, kPhone, kEnabled, kAdministrator, kPermitAllClients,
		kNotifyAllClients, kMustChangePw, kMFAConfigured, kUserType, kInvitationStatus, kOrganizationID,
		kDeviceIDs, kAssignedDeviceIDs, kRoles},
	objEndUser: {kID, kUID, kEnabled, kFirstName, kLastName, kEmail, kPhone, kOrganizationID, kFullPortalAccess,
		kMustChangePw, kMFAConfigured, kScimUser, kAuthType, kInvitationStatus, kAssignedDeviceIDs,
		kAccessibleDeviceIDs, kRoles},
	objTechnician: {kID, kUID, kEnabled, kFirstName, kLastName, kEmail, kPhone, kMustChangePw, kMFAConfigured,
		kScimUser, kAuthType, kUserType, kInvitationStatus, kNotifyAllClients, kAdministrator,
		kAssignedDeviceIDs, kRoles},
}

// allKeys is each object's own keys followed by the other objects' ones.
var allKeys = func() [3][]ukey {
	var out [3][]ukey
	for o, keys := range specKeys {
		has := map[ukey]bool{}
		for _, k := range keys {
			has[k] = true
		}
		out[o] = append([]ukey(nil), keys...)
		for k := range numUkeys {
			if !has[k] {
				out[o] = append(out[o], k)
			}
		}
	}
	return out
}()

const (
	// legacyTags is what a recorded 2025 answer of GET /v2/users still
	// carries, and what ShapeLegacy adds to every object.
	legacyTags = `"tags":null,"fields":null`
	// unknownKeys are keys no spec or recorded payload has, of every JSON
	// type, nested objects and arrays of objects included: what a newer
	// NinjaOne may add. A client must ignore them.
	unknownKeys = `"lastLoginTime":1767225600.5,"externalIds":[{"source":"LEGACY","id":"x-1","attributes":{"synced":false,"history":[]}}],` +
		`"preferences":{"locale":"en_US","notifications":{"email":true,"sms":null}},"flags":["beta"],"legacyId":"0"`
)

// checkShape reports an unknown shape.
func checkShape(s Shape) error {
	for _, k := range Shapes {
		if s == k {
			return nil
		}
	}
	return fmt.Errorf("sandbox: unknown shape %q (shapes: spec, all-keys, legacy, sparse)", s)
}

// objWriter writes JSON objects key by key into buf, in one shape.
type objWriter struct {
	buf    *bytes.Buffer
	sparse bool // leave out false, null, "" and []
	n      int  // keys written in the current object
}

func (w *objWriter) open() {
	w.buf.WriteByte('{')
	w.n = 0
}

func (w *objWriter) close() { w.buf.WriteByte('}') }

func (w *objWriter) key(k string) {
	if w.n > 0 {
		w.buf.WriteByte(',')
	}
	w.n++
	w.buf.WriteByte('"')
	w.buf.WriteString(k)
	w.buf.WriteString(`":`)
}

// raw writes keys already encoded ("k":v,...).
func (w *objWriter) raw(kv string) {
	if w.n > 0 {
		w.buf.WriteByte(',')
	}
	w.n++
	w.buf.WriteString(kv)
}

func (w *objWriter) int(k string, v int64) {
	w.key(k)
	w.buf.Write(strconv.AppendInt(w.buf.AvailableBuffer(), v, 10))
}

func (w *objWriter) str(k, v string) {
	if v == "" && w.sparse {
		return
	}
	w.key(k)
	w.buf.Write(appendJSONString(w.buf.AvailableBuffer(), v))
}

// strOrNull writes "" as null: a value that was never set.
func (w *objWriter) strOrNull(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

// intOrNull writes 0 as null.
func (w *objWriter) intOrNull(k string, v int32) {
	if v == 0 {
		w.null(k)
		return
	}
	w.int(k, int64(v))
}

func (w *objWriter) boolean(k string, v bool) {
	switch {
	case v:
		w.key(k)
		w.buf.WriteString("true")
	case !w.sparse:
		w.key(k)
		w.buf.WriteString("false")
	}
}

func (w *objWriter) null(k string) {
	if !w.sparse {
		w.key(k)
		w.buf.WriteString("null")
	}
}

func (w *objWriter) emptyList(k string) {
	if !w.sparse {
		w.key(k)
		w.buf.WriteString("[]")
	}
}

func (w *objWriter) strs(k string, v []string) {
	if len(v) == 0 && w.sparse {
		return
	}
	w.key(k)
	w.buf.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.Write(appendJSONString(w.buf.AvailableBuffer(), s))
	}
	w.buf.WriteByte(']')
}

// uid writes the user's uid without building a string: deterministic, so
// state files and snapshots stay diffable; decimal digits are valid hex.
func (w *objWriter) uid(id int32) {
	w.key("uid")
	b := append(w.buf.AvailableBuffer(), `"5a4d0b0e-0000-4000-8000-000000000000"`...)
	n := int64(id)
	for i := len(b) - 2; n > 0 && b[i] != '-'; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	w.buf.Write(b)
}

// wire writes the API's objects in the server's shape.
type wire struct {
	shape Shape
	keys  [3][]ukey
	// membersOf says how a role's members are written: "" listed,
	// MembersMissing or MembersNull.
	membersOf func(roleID int32) string
}

func newWire(shape Shape, membersOf func(int32) string) *wire {
	w := &wire{shape: shape, keys: specKeys, membersOf: membersOf}
	if shape == ShapeAllKeys {
		w.keys = allKeys
	}
	return w
}

func (wr *wire) writer(buf *bytes.Buffer) objWriter {
	return objWriter{buf: buf, sparse: wr.shape == ShapeSparse}
}

// extras writes what the shape adds to every object beyond the spec's keys.
func (wr *wire) extras(w *objWriter) {
	if wr.shape == ShapeLegacy {
		w.raw(legacyTags)
		w.raw(unknownKeys)
	}
}

// user writes u as obj. roles are its role names, written when withRoles
// (GET /v2/users?includeRoles=true); otherwise roles is null.
func (wr *wire) user(w *objWriter, u *User, obj object, roles []string, withRoles bool) {
	w.open()
	for _, k := range wr.keys[obj] {
		name := ukeyNames[k]
		switch k {
		case kID:
			w.int(name, int64(u.ID))
		case kUID:
			w.uid(u.ID)
		case kFirstName:
			w.str(name, u.FirstName)
		case kLastName:
			w.str(name, u.LastName)
		case kEmail:
			w.str(name, u.Email)
		case kPhone:
			w.strOrNull(name, u.Phone)
		case kEnabled:
			w.boolean(name, u.Enabled)
		case kAdministrator:
			w.boolean(name, u.Administrator && u.UserType == ninjaone.Technician)
		case kPermitAllClients:
			w.boolean(name, u.Administrator && u.UserType == ninjaone.Technician)
		case kNotifyAllClients, kMustChangePw:
			w.boolean(name, false)
		case kMFAConfigured:
			w.boolean(name, u.Enabled && u.InvitationStatus != "PENDING")
		case kUserType:
			w.str(name, string(u.UserType))
		case kInvitationStatus:
			w.strOrNull(name, u.InvitationStatus)
		case kOrganizationID:
			w.intOrNull(name, u.OrganizationID)
		case kDeviceIDs, kAssignedDeviceIDs, kAccessibleDeviceIDs:
			w.emptyList(name)
		case kRoles:
			if withRoles {
				w.strs(name, roles)
			} else {
				w.null(name)
			}
		case kFullPortalAccess:
			w.boolean(name, u.FullPortalAccess && u.UserType == ninjaone.EndUser)
		case kScimUser:
			w.boolean(name, u.ScimUser)
		case kAuthType:
			w.str(name, authType(u))
		}
	}
	if obj == objUser && wr.shape != ShapeSparse && wr.shape != ShapeLegacy {
		w.raw(legacyTags)
	}
	wr.extras(w)
	w.close()
}

func authType(u *User) string {
	if u.ScimUser {
		return "SSO"
	}
	return "NATIVE"
}

// typed writes u as the object of its own type (Technician or EndUser).
func (wr *wire) typed(w *objWriter, u *User) {
	obj := objEndUser
	if u.UserType == ninjaone.Technician {
		obj = objTechnician
	}
	wr.user(w, u, obj, nil, false)
}

// Role members, for Options.RolesWithoutMembers.
const (
	MembersMissing = "missing" // the members key is left out
	MembersNull    = "null"    // "members": null
)

// role writes a UserRole with its members (RoleMember objects), which
// st resolves; the caller holds the lock.
func (wr *wire) role(w *objWriter, st *store, r *role) {
	w.open()
	w.int("id", int64(r.ID))
	w.str("name", r.Name)
	w.str("type", string(r.Type))
	w.str("description", r.Description)
	switch wr.membersOf(r.ID) {
	case MembersMissing:
	case MembersNull:
		// Asked for explicitly, so written even in the sparse shape.
		w.key("members")
		w.buf.WriteString("null")
	default:
		// Look every member up first, then write them: the lookups miss
		// the cache, and done back to back the processor overlaps them
		// (writing between them halves the speed of a large role).
		mp := memberPool.Get().(*[]memberRef)
		ms := (*mp)[:0]
		for _, id := range r.Members {
			if u := st.users[id]; u != nil {
				ms = append(ms, memberRef{id: id, email: u.Email, name: u.name, scim: u.ScimUser})
			}
		}
		w.key("members")
		w.buf.WriteByte('[')
		outer := w.n
		for i := range ms {
			m := &ms[i]
			if i > 0 {
				w.buf.WriteByte(',')
			}
			src := "MANUAL"
			if m.scim {
				src = "SCIM"
			}
			w.open()
			w.int("id", int64(m.id))
			w.str("email", m.email)
			w.str("name", m.name)
			w.str("source", src)
			wr.extras(w)
			w.close()
		}
		w.n = outer
		w.buf.WriteByte(']')
		clear(ms)
		*mp = ms[:0]
		memberPool.Put(mp)
	}
	wr.extras(w)
	w.close()
}

type memberRef struct {
	id          int32
	scim        bool
	email, name string
}

var memberPool = sync.Pool{New: func() any { return new([]memberRef) }}

// organization writes an Organization as the list of them (brief mode)
// does. The sandbox does not model custom attributes or device approval:
// userData is null and nodeApprovalMode always AUTOMATIC.
func (wr *wire) organization(w *objWriter, o *Organization) {
	w.open()
	w.str("name", o.Name)
	w.str("description", o.Description)
	w.null("userData")
	w.str("nodeApprovalMode", "AUTOMATIC")
	w.int("id", int64(o.ID))
	wr.extras(w)
	w.close()
}

// deviceRole is the spec's NodeRole: GET /v2/roles lists device roles,
// which are not user roles. The sandbox has two fixed ones, so a client
// that reads the wrong list sees names it does not know.
type deviceRole struct {
	ID          int32
	Name        string
	Description string
	NodeClass   string
	ChassisType string
}

var deviceRoles = []deviceRole{
	{ID: 1, Name: "Windows Server", Description: "Default Windows server role", NodeClass: "WINDOWS_SERVER", ChassisType: "UNKNOWN"},
	{ID: 2, Name: "Windows Desktop", Description: "Default Windows workstation role", NodeClass: "WINDOWS_WORKSTATION", ChassisType: "DESKTOP"},
}

func (wr *wire) nodeRole(w *objWriter, d *deviceRole) {
	w.open()
	w.int("id", int64(d.ID))
	w.str("name", d.Name)
	w.str("description", d.Description)
	w.str("nodeClass", d.NodeClass)
	w.boolean("custom", false)
	w.str("chassisType", d.ChassisType)
	w.int("created", 1577836800) // 2020-01-01, seconds as the API's dates are
	w.null("nodeRoleParentId")   // a default role has no parent
	w.null("icon")
	wr.extras(w)
	w.close()
}
