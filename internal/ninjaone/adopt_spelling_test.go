package ninjaone

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// A creation whose outcome is unknown is looked up before it is sent
// again, and the user found is the same address in any spelling: a
// tenant that stores a Unicode domain as punycode (or the reverse) must
// not get the user twice.
func TestCreateAdoptsTheUserInAnotherSpelling(t *testing.T) {
	for _, tc := range []struct{ sent, stored string }{
		{"Ana@Bücher.example", "ana@xn--bcher-kva.example"},
		{"ana@xn--bcher-kva.example", "Ana@bücher.example"},
	} {
		t.Run(tc.sent, func(t *testing.T) {
			var mu sync.Mutex
			var users []User
			posts := 0
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.Method == http.MethodPost && r.URL.Path == "/v2/user/end-users":
					posts++
					var req CreateEndUserRequest
					json.NewDecoder(r.Body).Decode(&req)
					users = append(users, User{ID: int32(100 + posts), Email: tc.stored, FirstName: req.FirstName, UserType: EndUser})
					reset(w) // done, but the answer is lost
				case r.Method == http.MethodGet && r.URL.Path == "/v2/user/end-users":
					writeJSON(w, 200, users)
				default:
					w.WriteHeader(http.StatusNotFound)
				}
			})
			u, err := s.client(nil).CreateEndUser(context.Background(), CreateEndUserRequest{FirstName: "Ana", LastName: "B", Email: tc.sent, OrganizationID: 1}, false)
			if err != nil {
				t.Fatal(err)
			}
			if posts != 1 || len(users) != 1 || u.ID != 101 || !strings.EqualFold(u.Email, tc.stored) {
				t.Errorf("%d POSTs, tenant %v, adopted %+v; want one user, adopted", posts, users, u)
			}
		})
	}
}
