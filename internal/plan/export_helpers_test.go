package plan

import (
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// tenantSnapshot is the Snapshot the client reads from a sandbox serving
// tn, built without HTTP: technicians and end users by id, roles with
// their members' ids and emails, and the organizations.
func tenantSnapshot(tn *sandbox.Tenant) *ninjaone.Snapshot {
	s := &ninjaone.Snapshot{Organizations: []ninjaone.Organization{}}
	email := make(map[int32]string, len(tn.Users))
	for _, u := range tn.Users {
		email[u.ID] = u.Email
		lu := ninjaone.User{
			ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Phone: u.Phone,
			Enabled: u.Enabled, Administrator: u.Administrator, UserType: u.UserType,
			InvitationStatus: u.InvitationStatus, OrganizationID: u.OrganizationID,
			FullPortalAccess: u.FullPortalAccess, ScimUser: u.ScimUser,
		}
		if u.UserType == ninjaone.Technician {
			s.Technicians = append(s.Technicians, lu)
		} else {
			s.EndUsers = append(s.EndUsers, lu)
		}
	}
	for _, r := range tn.Roles {
		lr := ninjaone.Role{ID: r.ID, Name: r.Name, Type: r.Type, Description: r.Description, Members: []ninjaone.RoleMember{}}
		for _, m := range r.Members {
			lr.Members = append(lr.Members, ninjaone.RoleMember{ID: m, Email: email[m]})
		}
		s.Roles = append(s.Roles, lr)
	}
	for _, o := range tn.Organizations {
		s.Organizations = append(s.Organizations, ninjaone.Organization{ID: o.ID, Name: o.Name, Description: o.Description})
	}
	return s
}

// loadExport reads an export back with the loader.
func loadExport(t testing.TB, data []byte) *Desired {
	t.Helper()
	d, err := Load("ninjaops.yaml", data)
	if err != nil {
		t.Fatalf("loading the export: %v\n%s", err, data)
	}
	return d
}
