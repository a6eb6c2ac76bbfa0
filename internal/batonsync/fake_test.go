package batonsync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// fakeClient is an in-memory NinjaOne behind the Client interface. It
// counts calls, so tests can say how many reads a sync made.
type fakeClient struct {
	mu     sync.Mutex
	snap   ninjaone.Snapshot
	nextID int32
	calls  map[string]int
	// fail makes the named method return the error.
	fail map[string]error
	// invitations records sendInvitation per created end user id.
	invitations map[int32]bool
}

func newFake(snap ninjaone.Snapshot) *fakeClient {
	f := &fakeClient{snap: snap, nextID: 1000, calls: map[string]int{}, fail: map[string]error{}, invitations: map[int32]bool{}}
	for _, u := range append(slices.Clone(snap.Technicians), snap.EndUsers...) {
		f.nextID = max(f.nextID, u.ID+1)
	}
	return f
}

func (f *fakeClient) enter(name string) error {
	f.mu.Lock()
	f.calls[name]++
	return f.fail[name]
}

func (f *fakeClient) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeClient) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

func cloneSnapshot(s ninjaone.Snapshot) *ninjaone.Snapshot {
	out := &ninjaone.Snapshot{
		Technicians: slices.Clone(s.Technicians),
		EndUsers:    slices.Clone(s.EndUsers),
	}
	for _, r := range s.Roles {
		r.Members = slices.Clone(r.Members)
		out.Roles = append(out.Roles, r)
	}
	return out
}

func (f *fakeClient) Snapshot(ctx context.Context, _ ninjaone.SnapshotOptions) (*ninjaone.Snapshot, error) {
	err := f.enter("Snapshot")
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return cloneSnapshot(f.snap), nil
}

func (f *fakeClient) Validate(ctx context.Context) error {
	err := f.enter("Validate")
	f.mu.Unlock()
	return err
}

func (f *fakeClient) RequireScope(ctx context.Context, scope string) error {
	err := f.enter("RequireScope " + scope)
	f.mu.Unlock()
	return err
}

func (f *fakeClient) findUser(email string) bool {
	for _, u := range append(slices.Clone(f.snap.Technicians), f.snap.EndUsers...) {
		if strings.EqualFold(u.Email, email) {
			return true
		}
	}
	return false
}

func (f *fakeClient) CreateEndUser(ctx context.Context, req ninjaone.CreateEndUserRequest, sendInvitation bool) (ninjaone.User, error) {
	err := f.enter("CreateEndUser")
	defer f.mu.Unlock()
	if err != nil {
		return ninjaone.User{}, err
	}
	if f.findUser(req.Email) {
		return ninjaone.User{}, fmt.Errorf("fake: duplicate email %s", req.Email)
	}
	u := ninjaone.User{ID: f.nextID, FirstName: req.FirstName, LastName: req.LastName, Email: req.Email, Phone: req.Phone,
		OrganizationID: req.OrganizationID, FullPortalAccess: req.FullPortalAccess, UserType: ninjaone.EndUser, Enabled: true}
	f.nextID++
	f.snap.EndUsers = append(f.snap.EndUsers, u)
	f.invitations[u.ID] = sendInvitation
	return u, nil
}

func (f *fakeClient) CreateTechnician(ctx context.Context, req ninjaone.CreateTechnicianRequest) (ninjaone.User, error) {
	err := f.enter("CreateTechnician")
	defer f.mu.Unlock()
	if err != nil {
		return ninjaone.User{}, err
	}
	if f.findUser(req.Email) {
		return ninjaone.User{}, fmt.Errorf("fake: duplicate email %s", req.Email)
	}
	u := ninjaone.User{ID: f.nextID, FirstName: req.FirstName, LastName: req.LastName, Email: req.Email, Phone: req.Phone,
		UserType: ninjaone.Technician, Enabled: true}
	f.nextID++
	f.snap.Technicians = append(f.snap.Technicians, u)
	return u, nil
}

func (f *fakeClient) deleteFrom(list *[]ninjaone.User, id int32) error {
	i := slices.IndexFunc(*list, func(u ninjaone.User) bool { return u.ID == id })
	if i < 0 {
		return &ninjaone.APIError{Method: "DELETE", Path: "/v2/user/x", StatusCode: 404, ResultCode: "NOT_FOUND"}
	}
	*list = slices.Delete(*list, i, i+1)
	for ri := range f.snap.Roles {
		r := &f.snap.Roles[ri]
		r.Members = slices.DeleteFunc(r.Members, func(m ninjaone.RoleMember) bool { return m.ID == id })
	}
	return nil
}

func (f *fakeClient) DeleteEndUser(ctx context.Context, id int32) error {
	err := f.enter("DeleteEndUser")
	defer f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.deleteFrom(&f.snap.EndUsers, id)
}

func (f *fakeClient) DeleteTechnician(ctx context.Context, id int32) error {
	err := f.enter("DeleteTechnician")
	defer f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.deleteFrom(&f.snap.Technicians, id)
}

func (f *fakeClient) role(id int32) *ninjaone.Role {
	for i := range f.snap.Roles {
		if f.snap.Roles[i].ID == id {
			return &f.snap.Roles[i]
		}
	}
	return nil
}

func (f *fakeClient) AddRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error {
	err := f.enter("AddRoleMembers")
	defer f.mu.Unlock()
	if err != nil {
		return err
	}
	r := f.role(roleID)
	if r == nil {
		return &ninjaone.APIError{Method: "PATCH", Path: "/v2/user/role/x/add-members", StatusCode: 404, ResultCode: "Role or members not found"}
	}
	for _, id := range userIDs {
		if !slices.ContainsFunc(r.Members, func(m ninjaone.RoleMember) bool { return m.ID == id }) {
			r.Members = append(r.Members, ninjaone.RoleMember{ID: id})
		}
	}
	return nil
}

func (f *fakeClient) RemoveRoleMembers(ctx context.Context, roleID int32, userIDs []int32) error {
	err := f.enter("RemoveRoleMembers")
	defer f.mu.Unlock()
	if err != nil {
		return err
	}
	r := f.role(roleID)
	if r == nil {
		return &ninjaone.APIError{Method: "PATCH", Path: "/v2/user/role/x/remove-members", StatusCode: 404, ResultCode: "Role or members not found"}
	}
	r.Members = slices.DeleteFunc(r.Members, func(m ninjaone.RoleMember) bool { return slices.Contains(userIDs, m.ID) })
	return nil
}

// smallTenant is a tenant with one of everything that matters: a System
// Administrator, a protected vendor account, a disabled user, pending and
// expired invitations, technicians and end users, a role of each type, an
// empty role, and a technician and an end-user role of the same name.
func smallTenant() ninjaone.Snapshot {
	return ninjaone.Snapshot{
		Technicians: []ninjaone.User{
			{ID: 1, FirstName: "Root", LastName: "Admin", Email: "root@example.com", Enabled: true, Administrator: true},
			{ID: 2, FirstName: "Alice", LastName: "Tech", Email: "alice@example.com", Enabled: true},
			{ID: 3, FirstName: "Vic", LastName: "Vendor", Email: "vic@vendor.example", Enabled: true},
			{ID: 4, FirstName: "Dora", LastName: "Disabled", Email: "dora@example.com", Enabled: false, InvitationStatus: "EXPIRED"},
		},
		EndUsers: []ninjaone.User{
			{ID: 10, FirstName: "Eve", LastName: "End", Email: "eve@example.com", Enabled: true, OrganizationID: 7, InvitationStatus: "PENDING"},
			{ID: 12, FirstName: "Hal", LastName: "Helpdesk", Email: "hal@customer.example", Enabled: true, OrganizationID: 7, InvitationStatus: "REGISTERED"},
			{ID: 11, FirstName: "Frank", LastName: "End", Email: "frank@example.com", Enabled: true, OrganizationID: 8},
		},
		Roles: []ninjaone.Role{
			{ID: 100, Name: "Helpdesk", Type: ninjaone.Technician, Description: "first line", Members: []ninjaone.RoleMember{{ID: 2}, {ID: 3}, {ID: 1}}},
			{ID: 101, Name: "Portal", Type: ninjaone.EndUser, Members: []ninjaone.RoleMember{{ID: 10}}},
			{ID: 102, Name: "Empty", Type: ninjaone.Technician},
			// An end-user role that shares a technician role's name.
			{ID: 103, Name: "Helpdesk", Type: ninjaone.EndUser, Members: []ninjaone.RoleMember{{ID: 12}}},
		},
	}
}
