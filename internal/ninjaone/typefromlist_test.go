package ninjaone

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A user's type comes from the list it was read from: the spec's EndUser
// has no userType and no administrator key, and a key the spec does not put
// on an object is not believed even when a server sends it. A role without
// a members key, or with null, has unknown membership, not an empty one.
func TestSnapshotTakesOnlyWhatTheListsImply(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v2/user/technicians":
			// No userType on a technician either: the list still says it.
			io.WriteString(w, `[{"id":1,"uid":"u1","enabled":true,"firstName":"Tia","lastName":"T","email":"tia@example.com","phone":"","administrator":true,"organizationId":null},`+
				`{"id":4,"firstName":"Ned","email":"ned@example.com","organizationId":3,"fullPortalAccess":true,"notifyAllClients":true}]`)
		case "/v2/user/end-users":
			io.WriteString(w, `[{"id":2,"uid":"u2","enabled":true,"firstName":"Eve","lastName":"E","email":"eve@example.com","phone":null,"organizationId":3,"fullPortalAccess":false},`+
				`{"id":3,"enabled":false,"firstName":"Mal","lastName":"M","email":"mal@example.com","organizationId":3,"userType":"TECHNICIAN","administrator":true,"notifyAllClients":true,"permitAllClients":true}]`)
		case "/v2/users":
			io.WriteString(w, `[{"id":1},{"id":2},{"id":3},{"id":4}]`)
		case "/v2/user/roles":
			io.WriteString(w, `[{"id":10,"name":"A","type":"TECHNICIAN","members":[]},{"id":11,"name":"B","type":"TECHNICIAN","members":null},{"id":12,"name":"C","type":"END_USER"}]`)
		default:
			w.WriteHeader(404)
		}
	})
	snap, err := s.client(nil).Snapshot(context.Background(), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Snapshot{
		Technicians: []User{
			{ID: 1, UID: "u1", Enabled: true, FirstName: "Tia", LastName: "T", Email: "tia@example.com", Administrator: true, UserType: Technician},
			{ID: 4, FirstName: "Ned", Email: "ned@example.com", NotifyAllClients: true, UserType: Technician},
		},
		EndUsers: []User{
			{ID: 2, UID: "u2", Enabled: true, FirstName: "Eve", LastName: "E", Email: "eve@example.com", OrganizationID: 3, UserType: EndUser},
			{ID: 3, FirstName: "Mal", LastName: "M", Email: "mal@example.com", OrganizationID: 3, UserType: EndUser},
		},
		Roles: []Role{
			{ID: 10, Name: "A", Type: Technician, Members: []RoleMember{}},
			{ID: 11, Name: "B", Type: Technician, MembersUnknown: true},
			{ID: 12, Name: "C", Type: EndUser, MembersUnknown: true},
		},
	}
	if d := cmp.Diff(want, snap); d != "" {
		t.Errorf("snapshot (-want +got):\n%s", d)
	}
}
