package contract_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

func TestSpecLoads(t *testing.T) {
	doc, _, err := contract.Spec()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/v2/users", "/v2/user/role/{roleId}/add-members", "/v2/organizations"} {
		if doc.Paths.Value(p) == nil {
			t.Errorf("spec lacks %s", p)
		}
	}
}

// TestOverlay: the keys the overlay relaxes, and only those, accept null.
func TestOverlay(t *testing.T) {
	doc, _, err := contract.Spec()
	if err != nil {
		t.Fatal(err)
	}
	relaxed := 0
	for name, ref := range doc.Components.Schemas {
		for key, p := range ref.Value.Properties {
			want := slices.Contains(contract.Nullable[name], key)
			if p.Value.Nullable != want && (name == "User" || name == "EndUser" || name == "Technician" || name == "UserRole" || name == "RoleMember" || name == "Organization" || name == "NodeRole") {
				t.Errorf("%s.%s: nullable %v, want %v", name, key, p.Value.Nullable, want)
			}
			if want {
				relaxed++
			}
		}
	}
	n := 0
	for _, keys := range contract.Nullable {
		n += len(keys)
	}
	if relaxed != n {
		t.Errorf("%d keys relaxed, the overlay names %d: it names keys the spec lacks", relaxed, n)
	}
}

// TestValidatorCatches: each case is an exchange that breaks the contract
// on one side (or none); the validator must say so, and nothing more.
func TestValidatorCatches(t *testing.T) {
	type answer struct {
		status int
		ctype  string
		body   string
		header map[string]string
	}
	const bearer = "Bearer t0k3n"
	for _, tc := range []struct {
		name             string
		method, path     string
		auth, ctype      string
		body             string
		answer           answer
		allowUnknown     bool
		wantReq, wantRes string // substrings of the violation; "" for none
	}{
		{name: "good list", method: "GET", path: "/v2/users", answer: answer{200, "application/json", `[{"id":1,"userType":"TECHNICIAN"}]`, nil}},
		{name: "list as an object", method: "GET", path: "/v2/users", answer: answer{200, "application/json", `{"users":[]}`, nil}, wantRes: "value must be an array"},
		{name: "wrong field type", method: "GET", path: "/v2/user/technician/1", answer: answer{200, "application/json", `{"id":"one"}`, nil}, wantRes: "value must be an integer"},
		{name: "bad enum in a response", method: "GET", path: "/v2/user/end-users", answer: answer{200, "application/json", `[{"id":1,"invitationStatus":"INVITED"}]`, nil}, wantRes: "value is not one of the allowed values"},
		{name: "undocumented status", method: "GET", path: "/v2/user/technicians", answer: answer{201, "application/json", `[]`, nil}, wantRes: "status is not supported"},
		{name: "HTML where JSON is due", method: "GET", path: "/v2/user/technicians", answer: answer{200, "text/html", `<html></html>`, nil}, wantRes: "Content-Type"},
		{name: "server error", method: "GET", path: "/v2/users", answer: answer{500, "application/json", `{"resultCode":"X"}`, nil}, wantRes: "not an injected fault"},
		{name: "injected fault", method: "GET", path: "/v2/users", answer: answer{503, "text/plain", `busy`, map[string]string{"X-Sandbox-Fault": "503"}}},
		{name: "app error", method: "GET", path: "/v2/user/technician/9", answer: answer{404, "application/json", `{"resultCode":"USER_NOT_FOUND","errorMessage":"no","incidentId":"x"}`, nil}},
		{name: "auth error", method: "GET", path: "/v2/users", answer: answer{401, "application/json", `{"error":"not_authenticated","error_description":"no","error_code":3}`, nil}},
		{name: "error as HTML", method: "GET", path: "/v2/user/technician/9", answer: answer{404, "text/html", `<h1>Not Found</h1>`, nil}, wantRes: "want application/json"},
		{name: "error of no known shape", method: "GET", path: "/v2/user/technician/9", answer: answer{404, "application/json", `{"message":"no"}`, nil}, wantRes: "none of NinjaOne's error shapes"},
		{name: "error code as a string", method: "GET", path: "/v2/users", answer: answer{400, "application/json", `{"error":"x","error_code":"3"}`, nil}, wantRes: "error_code a number"},
		{name: "members as JSON", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: "application/json", body: `[1,2]`,
			answer: answer{200, "application/json", `{"id":5,"name":"R","members":[{"id":1}]}`, nil}},
		{name: "members not an array", method: "PATCH", path: "/v2/user/role/5/remove-members", ctype: "application/json", body: `{"ids":[1]}`,
			answer: answer{400, "application/json", `{"resultCode":"X"}`, nil}, wantReq: "value must be an array"},
		{name: "members duplicated", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: "application/json", body: `[1,1]`,
			answer: answer{400, "application/json", `{"resultCode":"X"}`, nil}, wantReq: "duplicate items"},
		{name: "members not integers", method: "PATCH", path: "/v2/user/role/5/add-members", ctype: "application/json", body: `["1"]`,
			answer: answer{400, "application/json", `{"resultCode":"X"}`, nil}, wantReq: "value must be an integer"},
		{name: "members without a content type", method: "PATCH", path: "/v2/user/role/5/add-members", body: `[1]`,
			answer: answer{415, "application/json", `{"resultCode":"X"}`, nil}, wantReq: "request body has an error"},
		{name: "name too long", method: "POST", path: "/v2/user/technicians", ctype: "application/json", body: `{"firstName":"` + strings.Repeat("x", 151) + `"}`,
			answer: answer{400, "application/json", `{"resultCode":"X"}`, nil}, wantReq: "maximum string length is 150"},
		{name: "body on a GET", method: "GET", path: "/v2/users", ctype: "application/json", body: `{}`, answer: answer{200, "application/json", `[]`, nil}, wantReq: "body"},
		{name: "no token", method: "GET", path: "/v2/users", auth: "-", answer: answer{400, "application/json", `{"error":"missing_header"}`, nil}, wantReq: "Authorization: Bearer"},
		{name: "unknown route", method: "GET", path: "/v2/nowhere", answer: answer{404, "application/json", `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`, nil}, wantReq: "no such operation"},
		{name: "unknown route allowed", method: "GET", path: "/v2/nowhere", allowUnknown: true, answer: answer{404, "application/json", `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`, nil}},
		{name: "unknown route answered 200", method: "GET", path: "/v2/nowhere", allowUnknown: true, answer: answer{200, "application/json", `[]`, nil}, wantRes: "must answer 404 or 405"},
		{name: "bad query parameter", method: "GET", path: "/v2/organizations?pageSize=ten", answer: answer{400, "application/json", `{"resultCode":"X"}`, nil}, wantReq: "pageSize"},
		{name: "null where real traffic has it", method: "GET", path: "/v2/users", answer: answer{200, "application/json",
			`[{"id":1,"phone":null,"invitationStatus":null,"organizationId":null,"deviceIds":null,"roles":null,"tags":null,"fields":null}]`, nil}},
		{name: "null members", method: "GET", path: "/v2/user/roles", answer: answer{200, "application/json", `[{"id":1,"name":"R","description":null,"members":null}]`, nil}},
		{name: "null where it never is", method: "GET", path: "/v2/user/end-users", answer: answer{200, "application/json", `[{"id":1,"email":null}]`, nil}, wantRes: "not nullable"},
		{name: "null boolean", method: "GET", path: "/v2/user/technicians", answer: answer{200, "application/json", `[{"id":1,"administrator":null}]`, nil}, wantRes: "not nullable"},
		{name: "api prefix", method: "GET", path: "/api/v2/user/technicians", answer: answer{200, "application/json", `[{"id":1}]`, nil}},
		{name: "api prefix checked", method: "GET", path: "/api/v2/users", answer: answer{200, "application/json", `{"users":[]}`, nil}, wantRes: "value must be an array"},
		{name: "api prefix unknown route", method: "GET", path: "/api/v2/nowhere", answer: answer{404, "application/json", `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`, nil}, wantReq: "no such operation"},
		{name: "token call unchecked", method: "POST", path: "/ws/oauth/token", answer: answer{200, "text/plain", `anything`, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := contract.New()
			if err != nil {
				t.Fatal(err)
			}
			v.AllowUnknownRoutes = tc.allowUnknown
			h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// The wrapped handler still gets the whole body.
				b, _ := io.ReadAll(r.Body)
				if string(b) != tc.body {
					t.Errorf("handler got body %q, want %q", b, tc.body)
				}
				for k, val := range tc.answer.header {
					w.Header().Set(k, val)
				}
				w.Header().Set("Content-Type", tc.answer.ctype)
				w.WriteHeader(tc.answer.status)
				io.WriteString(w, tc.answer.body)
			}))
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req := httptest.NewRequest(tc.method, tc.path, body)
			switch tc.auth {
			case "":
				req.Header.Set("Authorization", bearer)
			case "-":
			default:
				req.Header.Set("Authorization", tc.auth)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.answer.status || rec.Body.String() != tc.answer.body {
				t.Errorf("the answer was changed: %d %s", rec.Code, rec.Body)
			}
			var reqs, resps []string
			for _, x := range v.Violations() {
				if x.Status == 0 {
					reqs = append(reqs, x.String())
				} else {
					resps = append(resps, x.String())
				}
			}
			check := func(side string, got []string, want string) {
				switch {
				case want == "" && len(got) > 0:
					t.Errorf("unexpected %s violations: %q", side, got)
				case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
					t.Errorf("%s violations %q, want one containing %q", side, got, want)
				}
			}
			check("request", reqs, tc.wantReq)
			check("response", resps, tc.wantRes)
		})
	}
}

// TestTransport validates a client's traffic to the sandbox, passing
// bodies through untouched both ways.
func TestTransport(t *testing.T) {
	seed, err := sandbox.ParseTenant("seed", []byte(`
roles: [{id: 5, name: Helpdesk, type: TECHNICIAN, members: [1]}]
users:
  - {id: 1, firstName: A, lastName: B, email: a@example.com, userType: TECHNICIAN}
  - {id: 2, firstName: C, lastName: D, email: c@example.com, userType: TECHNICIAN}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv, base := sandboxtest.New(t, sandbox.Options{Seed: seed})
	client, v := contract.Client(t, nil)
	resp, err := client.PostForm(base+"/ws/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox"}, "client_secret": {"sandbox"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decode(t, resp, &tok)

	req, _ := http.NewRequest("PATCH", base+"/v2/user/role/5/add-members", strings.NewReader(`[2]`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var role struct{ Members []struct{ ID int } }
	decode(t, resp, &role)
	if len(role.Members) != 2 {
		t.Errorf("role after add: %+v", role)
	}
	if got := srv.Tenant().Roles[0].Members; len(got) != 2 {
		t.Errorf("sandbox members %v", got)
	}
	if checked, _ := v.Checked(); checked != 1 {
		t.Errorf("checked %d exchanges, want 1 (the token call is not checked)", checked)
	}
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// TestTransportTruncated: a body cut short reaches the client as the same
// bytes and the same error, not as a violation.
func TestTransportTruncated(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, `[{"id":1`)
	}))
	defer ts.Close()
	v, err := contract.New()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: v.Transport(nil)}
	req, _ := http.NewRequest("GET", ts.URL+"/v2/users", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `[{"id":1` || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("client read %q, %v", b, err)
	}
	if vs := v.Violations(); len(vs) != 0 {
		t.Errorf("violations: %v", vs)
	}
}
