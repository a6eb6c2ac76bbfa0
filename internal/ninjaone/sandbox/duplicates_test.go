package sandbox_test

import (
	"strings"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// Whether NinjaOne refuses a second user with an email a live user has is
// undocumented, so the sandbox does either: accept (the default) or
// refuse with a 400 app error, comparing emails case-insensitively and
// across user types.
func TestDuplicateEmails(t *testing.T) {
	const (
		tech = `{"firstName":"Al","lastName":"Ice","email":"ALICE@example.com"}`
		end  = `{"firstName":"Al","lastName":"Ice","email":"alice@Example.com","organizationId":2}`
		newU = `{"firstName":"Ne","lastName":"W","email":"new@example.com"}`
	)
	count := func(srv *sandbox.Server, email string) int {
		n := 0
		for _, u := range srv.Tenant().Users {
			if strings.EqualFold(u.Email, email) {
				n++
			}
		}
		return n
	}

	for _, mode := range []string{"", sandbox.DuplicatesAccept} {
		srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), DuplicateEmails: mode})
		tok := "Bearer " + getToken(t, base, "")
		if got := call(t, base, "POST", "/v2/user/technicians", tok, "application/json", tech); got.status != 200 {
			t.Errorf("mode %q: %d %s, want the duplicate created", mode, got.status, got.body)
		}
		if n := count(srv, "alice@example.com"); n != 2 {
			t.Errorf("mode %q: %d users with alice's email, want 2", mode, n)
		}
	}

	srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), DuplicateEmails: sandbox.DuplicatesRefuse})
	tok := "Bearer " + getToken(t, base, "")
	for _, tt := range []struct{ path, body string }{
		{"/v2/user/technicians", tech},
		{"/v2/user/end-users", end}, // alice is a technician: still taken
	} {
		got := call(t, base, "POST", tt.path, tok, "application/json", tt.body)
		if got.status != 400 || code(got.body) != "USER_ALREADY_EXISTS" || !strings.Contains(string(got.body), "already exists") {
			t.Errorf("POST %s: %d %s, want 400 USER_ALREADY_EXISTS", tt.path, got.status, got.body)
		}
	}
	if n := count(srv, "alice@example.com"); n != 1 {
		t.Errorf("%d users with alice's email after refusals, want 1", n)
	}
	if got := call(t, base, "POST", "/v2/user/technicians", tok, "application/json", newU); got.status != 200 {
		t.Errorf("a new email: %d %s", got.status, got.body)
	}
	if got := call(t, base, "POST", "/v2/user/technicians", tok, "application/json", newU); got.status != 400 {
		t.Errorf("the same new email again: %d %s, want 400", got.status, got.body)
	}

	if _, err := sandbox.New(sandbox.Options{DuplicateEmails: "sometimes"}); err == nil || !strings.Contains(err.Error(), `duplicate emails "sometimes": want accept or refuse`) {
		t.Errorf("unknown mode: %v", err)
	}
}
