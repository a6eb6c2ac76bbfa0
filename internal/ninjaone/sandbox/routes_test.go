package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

const testSeed = `
organizations:
  - {id: 1, name: Acme}
  - {id: 2, name: Customer Inc, description: our customer}
roles:
  - {id: 5, name: Helpdesk, type: TECHNICIAN, description: first line, members: [1, 2]}
  - {id: 6, name: Portal Users, type: END_USER, members: [10, 11]}
users:
  - {id: 1, firstName: Sys, lastName: Admin, email: admin@example.com, userType: TECHNICIAN, administrator: true, invitationStatus: REGISTERED}
  - {id: 2, firstName: Alice, lastName: Smith, email: alice@example.com, phone: "+1 555 0100", userType: TECHNICIAN, invitationStatus: REGISTERED}
  - {id: 3, firstName: Sam, lastName: Scim, email: sam@example.com, userType: TECHNICIAN, scimUser: true, invitationStatus: REGISTERED}
  - {id: 10, firstName: Bob, lastName: Jones, email: bob@customer.example, userType: END_USER, organizationId: 2, fullPortalAccess: true, invitationStatus: REGISTERED}
  - {id: 11, firstName: Eve, lastName: End, email: eve@customer.example, userType: END_USER, organizationId: 2, invitationStatus: PENDING}
`

func seed(t testing.TB) *sandbox.Tenant {
	t.Helper()
	tn, err := sandbox.ParseTenant("testSeed", []byte(testSeed))
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// getToken asks for a token with the given scope ("" asks for all).
func getToken(t testing.TB, base, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox"}, "client_secret": {"sandbox"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	resp, err := http.PostForm(base+"/ws/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr sandbox.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

type exchange struct {
	status int
	header http.Header
	body   []byte
}

func call(t testing.TB, base, method, path, auth, ctype, body string) exchange {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return exchange{resp.StatusCode, resp.Header, data}
}

// code returns an error body's resultCode or error.
func code(body []byte) string {
	var m map[string]any
	json.Unmarshal(body, &m)
	if c, ok := m["resultCode"].(string); ok {
		return c
	}
	c, _ := m["error"].(string)
	return c
}

// canon parses JSON and drops incidentId, so bodies compare with cmp.
func canon(t testing.TB, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "incidentId")
	}
	return v
}

func memberIDs(tn *sandbox.Tenant, roleID int32) []int32 {
	for _, r := range tn.Roles {
		if r.ID == roleID {
			return r.Members
		}
	}
	return nil
}

func findUser(tn *sandbox.Tenant, id int32) *sandbox.User {
	for i := range tn.Users {
		if tn.Users[i].ID == id {
			return &tn.Users[i]
		}
	}
	return nil
}

// The spec shape of the test seed: every key of each object, no other.
const (
	allUsers = `[
 {"id":1,"uid":"5a4d0b0e-0000-4000-8000-000000000001","firstName":"Sys","lastName":"Admin","email":"admin@example.com","phone":null,"enabled":true,"administrator":true,"permitAllClients":true,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":true,"userType":"TECHNICIAN","invitationStatus":"REGISTERED","organizationId":null,"deviceIds":[],"assignedDeviceIds":[],"roles":null,"tags":null,"fields":null},
 {"id":2,"uid":"5a4d0b0e-0000-4000-8000-000000000002","firstName":"Alice","lastName":"Smith","email":"alice@example.com","phone":"+1 555 0100","enabled":true,"administrator":false,"permitAllClients":false,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":true,"userType":"TECHNICIAN","invitationStatus":"REGISTERED","organizationId":null,"deviceIds":[],"assignedDeviceIds":[],"roles":null,"tags":null,"fields":null},
 {"id":3,"uid":"5a4d0b0e-0000-4000-8000-000000000003","firstName":"Sam","lastName":"Scim","email":"sam@example.com","phone":null,"enabled":true,"administrator":false,"permitAllClients":false,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":true,"userType":"TECHNICIAN","invitationStatus":"REGISTERED","organizationId":null,"deviceIds":[],"assignedDeviceIds":[],"roles":null,"tags":null,"fields":null},
 {"id":10,"uid":"5a4d0b0e-0000-4000-8000-000000000010","firstName":"Bob","lastName":"Jones","email":"bob@customer.example","phone":null,"enabled":true,"administrator":false,"permitAllClients":false,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":true,"userType":"END_USER","invitationStatus":"REGISTERED","organizationId":2,"deviceIds":[],"assignedDeviceIds":[],"roles":null,"tags":null,"fields":null},
 {"id":11,"uid":"5a4d0b0e-0000-4000-8000-000000000011","firstName":"Eve","lastName":"End","email":"eve@customer.example","phone":null,"enabled":true,"administrator":false,"permitAllClients":false,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":false,"userType":"END_USER","invitationStatus":"PENDING","organizationId":2,"deviceIds":[],"assignedDeviceIds":[],"roles":null,"tags":null,"fields":null}
]`
	endUsersWithRoles = `[
 {"id":10,"uid":"5a4d0b0e-0000-4000-8000-000000000010","firstName":"Bob","lastName":"Jones","email":"bob@customer.example","phone":null,"enabled":true,"administrator":false,"permitAllClients":false,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":true,"userType":"END_USER","invitationStatus":"REGISTERED","organizationId":2,"deviceIds":[],"assignedDeviceIds":[],"roles":["Portal Users"],"tags":null,"fields":null},
 {"id":11,"uid":"5a4d0b0e-0000-4000-8000-000000000011","firstName":"Eve","lastName":"End","email":"eve@customer.example","phone":null,"enabled":true,"administrator":false,"permitAllClients":false,"notifyAllClients":false,"mustChangePw":false,"mfaConfigured":false,"userType":"END_USER","invitationStatus":"PENDING","organizationId":2,"deviceIds":[],"assignedDeviceIds":[],"roles":["Portal Users"],"tags":null,"fields":null}
]`
	alice       = `{"id":2,"uid":"5a4d0b0e-0000-4000-8000-000000000002","enabled":true,"firstName":"Alice","lastName":"Smith","email":"alice@example.com","phone":"+1 555 0100","mustChangePw":false,"mfaConfigured":true,"scimUser":false,"authType":"NATIVE","userType":"TECHNICIAN","invitationStatus":"REGISTERED","notifyAllClients":false,"administrator":false,"assignedDeviceIds":[],"roles":null}`
	technicians = `[
 {"id":1,"uid":"5a4d0b0e-0000-4000-8000-000000000001","enabled":true,"firstName":"Sys","lastName":"Admin","email":"admin@example.com","phone":null,"mustChangePw":false,"mfaConfigured":true,"scimUser":false,"authType":"NATIVE","userType":"TECHNICIAN","invitationStatus":"REGISTERED","notifyAllClients":false,"administrator":true,"assignedDeviceIds":[],"roles":null},
 ` + alice + `,
 {"id":3,"uid":"5a4d0b0e-0000-4000-8000-000000000003","enabled":true,"firstName":"Sam","lastName":"Scim","email":"sam@example.com","phone":null,"mustChangePw":false,"mfaConfigured":true,"scimUser":true,"authType":"SSO","userType":"TECHNICIAN","invitationStatus":"REGISTERED","notifyAllClients":false,"administrator":false,"assignedDeviceIds":[],"roles":null}
]`
	eve      = `{"id":11,"uid":"5a4d0b0e-0000-4000-8000-000000000011","enabled":true,"firstName":"Eve","lastName":"End","email":"eve@customer.example","phone":null,"organizationId":2,"fullPortalAccess":false,"mustChangePw":false,"mfaConfigured":false,"scimUser":false,"authType":"NATIVE","invitationStatus":"PENDING","assignedDeviceIds":[],"accessibleDeviceIds":[],"roles":null}`
	endUsers = `[
 {"id":10,"uid":"5a4d0b0e-0000-4000-8000-000000000010","enabled":true,"firstName":"Bob","lastName":"Jones","email":"bob@customer.example","phone":null,"organizationId":2,"fullPortalAccess":true,"mustChangePw":false,"mfaConfigured":true,"scimUser":false,"authType":"NATIVE","invitationStatus":"REGISTERED","assignedDeviceIds":[],"accessibleDeviceIds":[],"roles":null},
 ` + eve + `
]`
	allRoles = `[
 {"id":5,"name":"Helpdesk","type":"TECHNICIAN","description":"first line","members":[
   {"id":1,"email":"admin@example.com","name":"Sys Admin","source":"MANUAL"},
   {"id":2,"email":"alice@example.com","name":"Alice Smith","source":"MANUAL"}]},
 {"id":6,"name":"Portal Users","type":"END_USER","description":"","members":[
   {"id":10,"email":"bob@customer.example","name":"Bob Jones","source":"MANUAL"},
   {"id":11,"email":"eve@customer.example","name":"Eve End","source":"MANUAL"}]}
]`
	acme        = `{"name":"Acme","description":"","userData":null,"nodeApprovalMode":"AUTOMATIC","id":1}`
	customerInc = `{"name":"Customer Inc","description":"our customer","userData":null,"nodeApprovalMode":"AUTOMATIC","id":2}`
	deviceRoles = `[{"id":1,"name":"Windows Server","description":"Default Windows server role","nodeClass":"WINDOWS_SERVER","custom":false,"chassisType":"UNKNOWN","created":1577836800,"nodeRoleParentId":null,"icon":null},
		{"id":2,"name":"Windows Desktop","description":"Default Windows workstation role","nodeClass":"WINDOWS_WORKSTATION","custom":false,"chassisType":"DESKTOP","created":1577836800,"nodeRoleParentId":null,"icon":null}]`
)

// TestRoutes drives every route of the sandbox, happy and error paths,
// through the contract validator: every response must match the spec, and
// only the requests a case marks as off-contract may break it.
func TestRoutes(t *testing.T) {
	const (
		full  = "full"       // a token with every scope
		mon   = "monitoring" // read only
		mgmt  = "management" // write only
		none  = "none"       // no Authorization header
		bogus = "bogus"      // a well-formed bearer token the server never issued
		exp   = "expired"
	)
	type tc struct {
		name         string
		opts         func(*sandbox.Options)
		method, path string
		auth         string // one of the constants above, or a literal header
		ctype, body  string
		status       int
		code         string // resultCode or error of an error body
		want         string // the whole body as JSON, incidentId aside
		offContract  bool   // the request deliberately breaks the spec
		check        func(t *testing.T, before, after *sandbox.Tenant, body []byte)
	}
	unchanged := func(t *testing.T, before, after *sandbox.Tenant, _ []byte) {
		if d := cmp.Diff(before, after); d != "" {
			t.Errorf("state changed (-before +after):\n%s", d)
		}
	}
	const js = "application/json"
	cases := []tc{
		// Reads.
		{name: "users", method: "GET", path: "/v2/users", status: 200, want: allUsers},
		{name: "users by type with roles", method: "GET", path: "/v2/users?userType=END_USER&includeRoles=true", status: 200, want: endUsersWithRoles},
		{name: "users bad type", method: "GET", path: "/v2/users?userType=BOSS", status: 400, code: "INVALID_PARAMETER", offContract: true},
		{name: "users bad includeRoles", method: "GET", path: "/v2/users?includeRoles=maybe", status: 400, code: "INVALID_PARAMETER", offContract: true},
		{name: "technicians", method: "GET", path: "/v2/user/technicians", status: 200, want: technicians},
		{name: "end users", method: "GET", path: "/v2/user/end-users", status: 200, want: endUsers},
		{name: "technician", method: "GET", path: "/v2/user/technician/2", status: 200, want: alice},
		{name: "technician is an end user", method: "GET", path: "/v2/user/technician/10", status: 400, code: "INVALID_USER_TYPE"},
		{name: "technician unknown", method: "GET", path: "/v2/user/technician/99", status: 404, code: "USER_NOT_FOUND"},
		{name: "technician id not a number", method: "GET", path: "/v2/user/technician/abc", status: 404, code: "FAILURE", offContract: true},
		// Only the canonical form is an id: +2 and 02 are not user 2.
		{name: "technician id with a sign", method: "GET", path: "/v2/user/technician/+2", status: 404, want: `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`},
		{name: "technician id with a leading zero", method: "GET", path: "/v2/user/technician/02", status: 404, want: `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`},
		{name: "technician id zero", method: "GET", path: "/v2/user/technician/0", status: 404, code: "USER_NOT_FOUND"},
		{name: "technician id negative", method: "GET", path: "/v2/user/technician/-2", status: 404, code: "USER_NOT_FOUND"},
		{name: "technician id negative zero", method: "GET", path: "/v2/user/technician/-0", status: 404, code: "FAILURE"},
		{name: "technician id beyond int32", method: "GET", path: "/v2/user/technician/2147483648", status: 404, code: "FAILURE", offContract: true},
		{name: "delete end user id with a leading zero", method: "DELETE", path: "/v2/user/end-user/010", status: 404, code: "FAILURE", check: unchanged},
		{name: "add members to a role id with a sign", method: "PATCH", path: "/v2/user/role/+5/add-members", ctype: js, body: `[3]`, status: 404, code: "FAILURE", check: unchanged},
		{name: "end user", method: "GET", path: "/v2/user/end-user/11", status: 200, want: eve},
		{name: "end user is a technician", method: "GET", path: "/v2/user/end-user/2", status: 400, code: "INVALID_USER_TYPE"},
		{name: "end user unknown", method: "GET", path: "/v2/user/end-user/99", status: 404, code: "USER_NOT_FOUND"},
		{name: "user roles", method: "GET", path: "/v2/user/roles", status: 200, want: allRoles},
		{name: "user roles by type", method: "GET", path: "/v2/user/roles?roleType=END_USER", status: 200, check: func(t *testing.T, _, _ *sandbox.Tenant, body []byte) {
			var roles []struct{ Name string }
			json.Unmarshal(body, &roles)
			if len(roles) != 1 || roles[0].Name != "Portal Users" {
				t.Errorf("got %s", body)
			}
		}},
		{name: "user roles bad type", method: "GET", path: "/v2/user/roles?roleType=DEVICE", status: 400, code: "INVALID_PARAMETER", offContract: true},
		{name: "device roles", method: "GET", path: "/v2/roles", status: 200, want: deviceRoles},
		{name: "organizations", method: "GET", path: "/v2/organizations", status: 200, want: "[" + acme + "," + customerInc + "]"},
		{name: "organizations first page", method: "GET", path: "/v2/organizations?pageSize=1", status: 200, want: "[" + acme + "]"},
		{name: "organizations next page", method: "GET", path: "/v2/organizations?pageSize=1&after=1", status: 200, want: "[" + customerInc + "]"},
		{name: "organizations past the end", method: "GET", path: "/v2/organizations?pageSize=1&after=2", status: 200, want: `[]`},
		{name: "organizations bad page size", method: "GET", path: "/v2/organizations?pageSize=0", status: 400, code: "INVALID_PARAMETER"},
		{name: "route in the spec the sandbox lacks", method: "GET", path: "/v2/devices", status: 404, want: `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`},
		{name: "route nowhere", method: "GET", path: "/v2/no/such/route", status: 404, code: "FAILURE", offContract: true},
		{name: "wrong method", method: "DELETE", path: "/v2/users", status: 405, code: "FAILURE", offContract: true},
		{name: "unsupported on this instance", opts: func(o *sandbox.Options) { o.UnsupportedPrefixes = []string{"/v2/user/"} },
			method: "GET", path: "/v2/user/technicians", status: 404, want: `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`},

		// The API under /api/v2 as under /v2.
		{name: "api prefix list", method: "GET", path: "/api/v2/user/technicians", status: 200, want: technicians},
		{name: "api prefix one", method: "GET", path: "/api/v2/user/end-user/11", status: 200, want: eve},
		{name: "api prefix write", method: "PATCH", path: "/api/v2/user/role/5/remove-members", ctype: js, body: `[2]`, status: 200,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if d := cmp.Diff([]int32{1}, memberIDs(after, 5)); d != "" {
					t.Errorf("members (-want +got):\n%s", d)
				}
			}},
		{name: "api prefix unknown route", method: "GET", path: "/api/v2/no/such/route", status: 404, code: "FAILURE", offContract: true},
		{name: "api prefix without v2", method: "GET", path: "/api/users", status: 404, code: "FAILURE", offContract: true},
		{name: "api prefix unsupported on this instance", opts: func(o *sandbox.Options) { o.UnsupportedPrefixes = []string{"/v2/user/"} },
			method: "GET", path: "/api/v2/user/technicians", status: 404, want: `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`},

		// Authentication and scopes, with the codes NinjaOne answers.
		{name: "no authorization", method: "GET", path: "/v2/users", auth: none, status: 400, offContract: true,
			want: `{"error":"missing_header","error_description":"Request is missing a required header: Authorization","error_code":2}`},
		{name: "malformed authorization", method: "GET", path: "/v2/users", auth: "Token abc", status: 400, offContract: true,
			want: `{"error":"invalid_header","error_description":"A syntactically incorrect Authorization header was found: expected \"Bearer <token>\"","error_code":1}`},
		{name: "unknown token", method: "GET", path: "/v2/users", auth: bogus, status: 401, want: `{"error":"not_authenticated","error_description":"Invalid credentials","error_code":10}`},
		{name: "expired token", method: "GET", path: "/v2/users", auth: exp, status: 401, want: `{"error":"not_authenticated","error_description":"Invalid credentials","error_code":10}`},
		{name: "write without management", method: "DELETE", path: "/v2/user/end-user/10", auth: mon, status: 403, code: "insufficient_scope", check: unchanged},
		{name: "read without monitoring", method: "GET", path: "/v2/user/roles", auth: mgmt, status: 403, code: "insufficient_scope"},

		// End users.
		{name: "create end user invited", method: "POST", path: "/v2/user/end-users?sendInvitation=true", ctype: js,
			body:   `{"firstName":"Dan","lastName":"New","email":"Dan@Customer.example","phone":"123","organizationId":2,"fullPortalAccess":true}`,
			status: 200, want: `{"id":12,"uid":"5a4d0b0e-0000-4000-8000-000000000012","enabled":true,"firstName":"Dan","lastName":"New","email":"Dan@Customer.example","phone":"123","organizationId":2,"fullPortalAccess":true,"mustChangePw":false,"mfaConfigured":false,"scimUser":false,"authType":"NATIVE","invitationStatus":"PENDING","assignedDeviceIds":[],"accessibleDeviceIds":[],"roles":null}`,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				want := sandbox.User{ID: 12, FirstName: "Dan", LastName: "New", Email: "Dan@Customer.example", Phone: "123", UserType: "END_USER", OrganizationID: 2, Enabled: true, FullPortalAccess: true, InvitationStatus: "PENDING"}
				if d := cmp.Diff(&want, findUser(after, 12)); d != "" {
					t.Errorf("stored user (-want +got):\n%s", d)
				}
			}},
		{name: "create end user not invited", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"Dan","lastName":"New","email":"dan@customer.example","organizationId":1}`, status: 200,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if u := findUser(after, 12); u == nil || u.InvitationStatus != "" || u.OrganizationID != 1 {
					t.Errorf("stored %+v", u)
				}
			}},
		{name: "create end user with a duplicate email", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"Bob","lastName":"Again","email":"bob@customer.example","organizationId":2}`, status: 200,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if len(after.Users) != 6 {
					t.Errorf("%d users, want 6", len(after.Users))
				}
			}},
		{name: "create end user empty first name", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"","lastName":"X","email":"x@y","organizationId":2}`, status: 400, code: "VALIDATION_FAILED", offContract: true, check: unchanged},
		{name: "create end user long last name", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"X","lastName":"` + strings.Repeat("é", 151) + `","email":"x@y","organizationId":2}`, status: 400, code: "VALIDATION_FAILED", offContract: true, check: unchanged},
		{name: "create end user without email", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"X","lastName":"Y","organizationId":2}`, status: 400, code: "VALIDATION_FAILED", check: unchanged},
		{name: "create end user unknown organization", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"X","lastName":"Y","email":"x@y","organizationId":99}`, status: 400, code: "ORGANIZATION_NOT_FOUND", check: unchanged},
		{name: "create end user unknown keys ignored", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":"X","lastName":"Y","email":"x@y","organizationId":2,"roles":["Portal Users"],"userType":"TECHNICIAN","extra":{"nested":[1]}}`, status: 200,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				want := sandbox.User{ID: 12, FirstName: "X", LastName: "Y", Email: "x@y", UserType: "END_USER", OrganizationID: 2, Enabled: true}
				if d := cmp.Diff(&want, findUser(after, 12)); d != "" {
					t.Errorf("stored user (-want +got):\n%s", d)
				}
				if d := cmp.Diff([]int32{10, 11}, memberIDs(after, 6)); d != "" {
					t.Errorf("roles in the body changed members (-want +got):\n%s", d)
				}
			}},
		{name: "create end user name of the wrong type", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":5,"lastName":"Y","email":"x@y","organizationId":2}`, status: 400, code: "INVALID_REQUEST_BODY", offContract: true, check: unchanged},
		{name: "create end user malformed", method: "POST", path: "/v2/user/end-users", ctype: js,
			body: `{"firstName":`, status: 400, code: "INVALID_REQUEST_BODY", offContract: true, check: unchanged},
		{name: "create end user not JSON", method: "POST", path: "/v2/user/end-users", ctype: "text/plain",
			body: `firstName=X`, status: 415, code: "UNSUPPORTED_MEDIA_TYPE", offContract: true, check: unchanged},
		{name: "patch end user", method: "PATCH", path: "/v2/user/end-user/10", ctype: js,
			body: `{"firstName":"Robert","organizationId":1,"fullPortalAccess":false}`, status: 200,
			want: `{"id":10,"uid":"5a4d0b0e-0000-4000-8000-000000000010","enabled":true,"firstName":"Robert","lastName":"Jones","email":"bob@customer.example","phone":null,"organizationId":1,"fullPortalAccess":false,"mustChangePw":false,"mfaConfigured":true,"scimUser":false,"authType":"NATIVE","invitationStatus":"REGISTERED","assignedDeviceIds":[],"accessibleDeviceIds":[],"roles":null}`,
			check: func(t *testing.T, before, after *sandbox.Tenant, _ []byte) {
				want := *findUser(before, 10)
				want.FirstName, want.OrganizationID, want.FullPortalAccess = "Robert", 1, false
				if d := cmp.Diff(&want, findUser(after, 10)); d != "" {
					t.Errorf("stored user (-want +got):\n%s", d)
				}
			}},
		{name: "patch end user email ignored", method: "PATCH", path: "/v2/user/end-user/10", ctype: js,
			body: `{"email":"new@customer.example","phone":"1","userType":"TECHNICIAN","lastName":"Jonas"}`, status: 200,
			check: func(t *testing.T, before, after *sandbox.Tenant, body []byte) {
				want := *findUser(before, 10)
				want.LastName = "Jonas"
				if d := cmp.Diff(&want, findUser(after, 10)); d != "" {
					t.Errorf("stored user (-want +got):\n%s", d)
				}
				if !strings.Contains(string(body), `"email":"bob@customer.example"`) {
					t.Errorf("the answer does not show the unchanged email: %s", body)
				}
			}},
		{name: "patch end user trailing data", method: "PATCH", path: "/v2/user/end-user/10", ctype: js,
			body: `{"lastName":"Jonas"} {}`, status: 400, code: "INVALID_REQUEST_BODY", check: unchanged},
		{name: "patch end user unknown organization", method: "PATCH", path: "/v2/user/end-user/10", ctype: js,
			body: `{"organizationId":99}`, status: 400, code: "ORGANIZATION_NOT_FOUND", check: unchanged},
		{name: "patch end user is a technician", method: "PATCH", path: "/v2/user/end-user/2", ctype: js,
			body: `{"firstName":"X"}`, status: 400, code: "INVALID_USER_TYPE", check: unchanged},
		{name: "patch end user unknown", method: "PATCH", path: "/v2/user/end-user/99", ctype: js,
			body: `{"firstName":"X"}`, status: 404, code: "USER_NOT_FOUND", check: unchanged},
		{name: "delete end user", method: "DELETE", path: "/v2/user/end-user/10", status: 204,
			check: func(t *testing.T, _, after *sandbox.Tenant, body []byte) {
				if findUser(after, 10) != nil {
					t.Error("user 10 is still there")
				}
				if d := cmp.Diff([]int32{11}, memberIDs(after, 6)); d != "" {
					t.Errorf("Portal Users members (-want +got):\n%s", d)
				}
				if len(body) != 0 {
					t.Errorf("204 with a body: %s", body)
				}
			}},
		{name: "delete end user is a technician", method: "DELETE", path: "/v2/user/end-user/2", status: 400, code: "INVALID_USER_TYPE", check: unchanged},
		{name: "delete end user unknown", method: "DELETE", path: "/v2/user/end-user/99", status: 404, code: "USER_NOT_FOUND", check: unchanged},

		// Technicians.
		{name: "create technician", method: "POST", path: "/v2/user/technicians", ctype: js,
			body:   `{"firstName":"Tom","lastName":"Tech","email":"tom@example.com"}`,
			status: 200, want: `{"id":12,"uid":"5a4d0b0e-0000-4000-8000-000000000012","enabled":true,"firstName":"Tom","lastName":"Tech","email":"tom@example.com","phone":null,"mustChangePw":false,"mfaConfigured":false,"scimUser":false,"authType":"NATIVE","userType":"TECHNICIAN","invitationStatus":"PENDING","notifyAllClients":false,"administrator":false,"assignedDeviceIds":[],"roles":null}`},
		{name: "create technician not an administrator", opts: func(o *sandbox.Options) { o.NotAdministrator = true },
			method: "POST", path: "/v2/user/technicians", ctype: js, body: `{"firstName":"Tom","lastName":"Tech","email":"tom@example.com"}`,
			status: 403, want: `{"resultCode":"FORBIDDEN","errorMessage":"Must be a System Administrator"}`, check: unchanged},
		{name: "create technician bad email", method: "POST", path: "/v2/user/technicians", ctype: js,
			body: `{"firstName":"Tom","lastName":"Tech","email":"tom"}`, status: 400, code: "VALIDATION_FAILED", check: unchanged},
		{name: "patch technician", method: "PATCH", path: "/v2/user/technician/2", ctype: js, body: `{"lastName":"Smythe"}`, status: 200,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if u := findUser(after, 2); u.LastName != "Smythe" || u.FirstName != "Alice" {
					t.Errorf("stored %+v", u)
				}
			}},
		{name: "patch technician organization ignored", method: "PATCH", path: "/v2/user/technician/2", ctype: js, body: `{"organizationId":1}`, status: 200, want: alice, check: unchanged},
		{name: "patch technician is an end user", method: "PATCH", path: "/v2/user/technician/10", ctype: js, body: `{"lastName":"X"}`, status: 400, code: "INVALID_USER_TYPE", check: unchanged},
		{name: "delete technician", method: "DELETE", path: "/v2/user/technician/2", status: 204,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if d := cmp.Diff([]int32{1}, memberIDs(after, 5)); d != "" || findUser(after, 2) != nil {
					t.Errorf("Helpdesk members (-want +got):\n%s", d)
				}
			}},
		{name: "delete technician unknown", method: "DELETE", path: "/v2/user/technician/99", status: 404, code: "USER_NOT_FOUND", check: unchanged},

		// Role membership.
		{name: "add members", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `[3]`, status: 200,
			want: `{"id":5,"name":"Helpdesk","type":"TECHNICIAN","description":"first line","members":[
				{"id":1,"email":"admin@example.com","name":"Sys Admin","source":"MANUAL"},
				{"id":2,"email":"alice@example.com","name":"Alice Smith","source":"MANUAL"},
				{"id":3,"email":"sam@example.com","name":"Sam Scim","source":"SCIM"}]}`,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if d := cmp.Diff([]int32{1, 2, 3}, memberIDs(after, 5)); d != "" {
					t.Errorf("members (-want +got):\n%s", d)
				}
			}},
		{name: "add a member again", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `[2]`, status: 200, check: unchanged},
		{name: "add nobody", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `[]`, status: 200, check: unchanged},
		{name: "add an unknown member", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `[3, 99]`, status: 404,
			want: `{"resultCode":"ROLE_OR_MEMBERS_NOT_FOUND","errorMessage":"Role or members not found"}`, check: unchanged},
		{name: "add to an unknown role", method: "PATCH", path: "/v2/user/role/77/add-members", ctype: js, body: `[3]`, status: 404, code: "ROLE_OR_MEMBERS_NOT_FOUND", check: unchanged},
		{name: "add an end user to a technician role", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `[3, 10]`, status: 400, code: "INVALID_USER_TYPE", check: unchanged},
		{name: "add duplicate ids", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `[3, 3]`, status: 400, code: "INVALID_REQUEST_BODY", offContract: true, check: unchanged},
		{name: "add members as an object", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, body: `{"ids":[3]}`, status: 400, code: "INVALID_REQUEST_BODY", offContract: true, check: unchanged},
		{name: "add members without a body", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: js, status: 400, code: "INVALID_REQUEST_BODY", check: unchanged},
		{name: "remove members", method: "PATCH", path: "/v2/user/role/5/remove-members", ctype: js, body: `[2, 3]`, status: 200,
			want: `{"id":5,"name":"Helpdesk","type":"TECHNICIAN","description":"first line","members":[{"id":1,"email":"admin@example.com","name":"Sys Admin","source":"MANUAL"}]}`,
			check: func(t *testing.T, _, after *sandbox.Tenant, _ []byte) {
				if d := cmp.Diff([]int32{1}, memberIDs(after, 5)); d != "" {
					t.Errorf("members (-want +got):\n%s", d)
				}
			}},
		{name: "remove an unknown member", method: "PATCH", path: "/v2/user/role/6/remove-members", ctype: js, body: `[10, 99]`, status: 404, code: "ROLE_OR_MEMBERS_NOT_FOUND", check: unchanged},
		{name: "remove a technician from an end-user role", method: "PATCH", path: "/v2/user/role/6/remove-members", ctype: js, body: `[2]`, status: 400, code: "INVALID_USER_TYPE", check: unchanged},
	}
	covered, ran := map[string]bool{}, 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := sandbox.Options{Seed: seed(t)}
			if c.opts != nil {
				c.opts(&opts)
			}
			srv, base, v := sandboxtest.NewChecked(t, opts)
			auth := c.auth
			switch auth {
			case "", full:
				auth = "Bearer " + getToken(t, base, "")
			case mon, mgmt:
				auth = "Bearer " + getToken(t, base, auth)
			case exp:
				auth = "Bearer " + getToken(t, base, "")
				srv.ExpireTokens()
			case bogus:
				auth = "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			case none:
				auth = ""
			}
			before := srv.Tenant()
			got := call(t, base, c.method, c.path, auth, c.ctype, c.body)
			if got.status != c.status {
				t.Errorf("status %d, want %d: %s", got.status, c.status, got.body)
			}
			if got.header.Get(sandbox.RequestIDHeader) == "" {
				t.Error("no x-nj-request-id header")
			}
			if c.code != "" {
				if cd := code(got.body); cd != c.code {
					t.Errorf("error code %q, want %q: %s", cd, c.code, got.body)
				}
			}
			if strings.Contains(string(got.body), `"resultCode"`) && !strings.Contains(string(got.body), `"incidentId"`) {
				t.Errorf("app error without an incidentId: %s", got.body)
			}
			ran++
			for k := range srv.Stats().Requests {
				covered[k] = true
			}
			if c.want != "" {
				if d := cmp.Diff(canon(t, []byte(c.want)), canon(t, got.body)); d != "" {
					t.Errorf("body (-want +got):\n%s", d)
				}
			}
			if c.check != nil {
				c.check(t, before, srv.Tenant(), got.body)
			}
			// The contract: responses never break it; requests only when
			// the case means them to.
			var reqBad bool
			for _, x := range v.Violations() {
				if x.Status == 0 {
					reqBad = true
				}
			}
			if reqBad != c.offContract {
				t.Errorf("request breaks the contract: %v, want %v (%v)", reqBad, c.offContract, v.Violations())
			}
			if checked, _ := v.Checked(); checked != 1 {
				t.Errorf("the validator checked %d exchanges, want 1", checked)
			}
			if c.offContract {
				// Only request violations were expected; anything about
				// the response still fails the test.
				var resp []contract.Violation
				for _, x := range v.Violations() {
					if x.Status != 0 {
						resp = append(resp, x)
					}
				}
				if len(resp) > 0 {
					t.Errorf("response violations: %v", resp)
				}
				t.Logf("expected request violations: %v", v.Violations())
				v.Reset()
			}
		})
	}

	// No route may go untested: every spec path template the sandbox
	// answers must have been driven above.
	want := []string{
		"DELETE /v2/user/end-user/{id}", "DELETE /v2/user/technician/{id}",
		"GET /v2/organizations", "GET /v2/roles", "GET /v2/user/end-user/{id}", "GET /v2/user/end-users",
		"GET /v2/user/roles", "GET /v2/user/technician/{id}", "GET /v2/user/technicians", "GET /v2/users",
		"PATCH /v2/user/end-user/{id}", "PATCH /v2/user/role/{roleId}/add-members", "PATCH /v2/user/role/{roleId}/remove-members",
		"PATCH /v2/user/technician/{id}", "POST /v2/user/end-users", "POST /v2/user/technicians", "POST /ws/oauth/token",
	}
	var missing []string
	for _, k := range want {
		if !covered[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 && ran == len(cases) { // not when -run picked some
		t.Errorf("routes no case drives: %v", missing)
	}
}
