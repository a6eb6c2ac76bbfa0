package contract

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Nullable is the overlay applied to the spec as it is loaded. NinjaOne's
// document marks nothing nullable, yet real answers send every key and a
// value that is not there as null ("organizationId": null on a
// technician in a recorded /v2/users answer; see API-NOTES.md, Objects).
// Validated as written, every real payload would break the contract, so
// the keys below, and only these, also accept null: values an object may
// lack (a phone never given, an invitation never sent, an organization a
// technician does not have, roles not asked for, descriptions, device
// lists, the members of a role listed without them, a device role's parent
// and icon). Ids, names, emails of
// users, booleans, userType and authType stay non-null: null there is a
// violation.
//
// It is applied to the loaded document in code, not kept as a second copy
// of the spec, so that the 18,000-line spec stays NinjaOne's own;
// TestOverlay fails if a key named here is not in the spec.
var Nullable = map[string][]string{
	"User":         {"phone", "invitationStatus", "organizationId", "deviceIds", "assignedDeviceIds", "roles"},
	"EndUser":      {"phone", "invitationStatus", "assignedDeviceIds", "accessibleDeviceIds", "roles"},
	"Technician":   {"phone", "invitationStatus", "assignedDeviceIds", "roles"},
	"UserRole":     {"description", "members"},
	"RoleMember":   {"email", "name", "source"},
	"Organization": {"description", "userData", "nodeApprovalMode"},
	"NodeRole":     {"description", "nodeRoleParentId", "icon"},
}

// applyOverlay marks the Nullable keys nullable in doc.
func applyOverlay(doc *openapi3.T) error {
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(Nullable)) {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			missing = append(missing, name)
			continue
		}
		for _, key := range Nullable[name] {
			p := ref.Value.Properties[key]
			if p == nil || p.Value == nil {
				missing = append(missing, name+"."+key)
				continue
			}
			p.Value.Nullable = true
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("contract: the nullable overlay names what the spec lacks: %s", strings.Join(missing, ", "))
	}
	return nil
}

// apiPrefix is the second base path NinjaOne serves the API under:
// /api/v2/... answers as /v2/... does (API-NOTES.md). The spec knows only
// /v2, so requests under /api/v2 are validated as their /v2 twins.
const apiPrefix = "/api"

// specPath maps a request path to the spec's.
func specPath(p string) string {
	if rest, ok := strings.CutPrefix(p, apiPrefix); ok && (rest == "/v2" || strings.HasPrefix(rest, "/v2/")) {
		return rest
	}
	return p
}
