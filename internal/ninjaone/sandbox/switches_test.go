package sandbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

func ids(t *testing.T, body []byte) []int32 {
	t.Helper()
	var objs []struct{ ID int32 }
	if err := json.Unmarshal(body, &objs); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	out := make([]int32, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

func TestOrgPageCap(t *testing.T) {
	tn := sandbox.Generate(10, 2, 10, 5, 1) // organizations 1 to 5
	_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: tn, OrgPageCap: 2})
	tok := "Bearer " + getToken(t, base, "")
	for _, tc := range []struct {
		query string
		want  []int32
	}{
		{"pageSize=1000", []int32{1, 2}},
		{"pageSize=1000&after=2", []int32{3, 4}},
		{"pageSize=1000&after=4", []int32{5}},
		{"pageSize=1000&after=5", []int32{}},
		{"pageSize=1", []int32{1}},
		{"", []int32{1, 2}},
	} {
		got := call(t, base, "GET", "/v2/organizations?"+tc.query, tok, "", "")
		if d := cmp.Diff(tc.want, ids(t, got.body)); d != "" || got.status != 200 {
			t.Errorf("?%s: %d (-want +got):\n%s", tc.query, got.status, d)
		}
	}
	if _, err := sandbox.New(sandbox.Options{OrgPageCap: -1}); err == nil {
		t.Error("a negative cap was accepted")
	}
}

// members returns the member ids of every role listed in body.
func roleMembers(t *testing.T, body []byte) []int32 {
	t.Helper()
	var roles []struct{ Members []struct{ ID int32 } }
	if err := json.Unmarshal(body, &roles); err != nil {
		t.Fatal(err)
	}
	var out []int32
	for _, r := range roles {
		for _, m := range r.Members {
			out = append(out, m.ID)
		}
	}
	return out
}

func TestTruncate(t *testing.T) {
	// 8 technicians (ids 1-8) and 32 end users (9-40), every user in at
	// least one role.
	tn := sandbox.Generate(40, 4, 120, 2, 1)
	between := func(lo, hi int32) []int32 {
		var out []int32
		for id := lo; id <= hi; id++ {
			out = append(out, id)
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		tr         sandbox.Truncation
		hidden     []int32
		usersCount int
	}{
		{"end users, the list stops short", sandbox.Truncation{EndUsers: 0.5}, between(25, 40), 40},
		{"end users, spread", sandbox.Truncation{EndUsers: 0.25, Spread: true}, []int32{12, 16, 20, 24, 28, 32, 36, 40}, 40},
		{"technicians, at least one", sandbox.Truncation{Technicians: 0.01}, []int32{8}, 40},
		{"both, /v2/users the same", sandbox.Truncation{Technicians: 0.5, EndUsers: 0.5, Users: sandbox.TruncateUsersSame}, append(between(5, 8), between(25, 40)...), 20},
		{"everyone", sandbox.Truncation{Technicians: 1, EndUsers: 1}, between(1, 40), 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: tn, Truncate: tc.tr})
			if d := cmp.Diff(tc.hidden, srv.HiddenUsers()); d != "" {
				t.Fatalf("hidden users (-want +got):\n%s", d)
			}
			tok := "Bearer " + getToken(t, base, "")
			listed := append(ids(t, call(t, base, "GET", "/v2/user/technicians", tok, "", "").body),
				ids(t, call(t, base, "GET", "/v2/user/end-users", tok, "", "").body)...)
			var want []int32
			for _, id := range between(1, 40) {
				if !slices.Contains(tc.hidden, id) {
					want = append(want, id)
				}
			}
			if d := cmp.Diff(want, listed); d != "" && len(want)+len(listed) > 0 {
				t.Errorf("listed (-want +got):\n%s", d)
			}
			users := ids(t, call(t, base, "GET", "/v2/users", tok, "", "").body)
			if len(users) != tc.usersCount {
				t.Errorf("/v2/users lists %d users, want %d", len(users), tc.usersCount)
			}
			if n := len(ids(t, call(t, base, "GET", "/v2/users?userType=END_USER", tok, "", "").body)); tc.tr.Users == sandbox.TruncateUsersSame && n != 16 {
				t.Errorf("/v2/users?userType=END_USER lists %d, want 16", n)
			}
			// The roles still name the users left out, which still exist.
			members := roleMembers(t, call(t, base, "GET", "/v2/user/roles", tok, "", "").body)
			named := 0
			for _, id := range tc.hidden {
				if slices.Contains(members, id) {
					named++
				}
			}
			if named == 0 {
				t.Error("no role names a user left out")
			}
			if got := call(t, base, "GET", fmt.Sprintf("/v2/user/end-user/%d", 40), tok, "", ""); got.status != 200 {
				t.Errorf("GET of a user left out: %d", got.status)
			}
		})
	}
	for _, bad := range []sandbox.Truncation{{EndUsers: 1.5}, {Technicians: -0.1}, {EndUsers: 0.5, Users: "half"}} {
		if _, err := sandbox.New(sandbox.Options{Truncate: bad}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestRolesWithoutMembers(t *testing.T) {
	for _, tc := range []struct {
		mode string
		ids  []int32
		want map[float64]string // role id: members as JSON, "" for no key
	}{
		{sandbox.MembersMissing, nil, map[float64]string{5: "", 6: ""}},
		{sandbox.MembersNull, nil, map[float64]string{5: "null", 6: "null"}},
		{sandbox.MembersNull, []int32{6}, map[float64]string{5: "list", 6: "null"}},
		{sandbox.MembersMissing, []int32{5}, map[float64]string{5: "", 6: "list"}},
	} {
		for _, shape := range []sandbox.Shape{sandbox.ShapeSpec, sandbox.ShapeSparse} {
			t.Run(fmt.Sprintf("%s %v %s", tc.mode, tc.ids, shape), func(t *testing.T) {
				_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), Shape: shape, RolesWithoutMembers: tc.mode, RolesWithoutMembersIDs: tc.ids})
				tok := "Bearer " + getToken(t, base, "")
				var roles []map[string]json.RawMessage
				if x := call(t, base, "GET", "/v2/user/roles", tok, "", ""); x.status != 200 || json.Unmarshal(x.body, &roles) != nil {
					t.Fatalf("roles: %d %s", x.status, x.body)
				}
				var one map[string]json.RawMessage
				if x := call(t, base, "PATCH", "/v2/user/role/5/add-members", tok, "application/json", "[3]"); x.status != 200 || json.Unmarshal(x.body, &one) != nil {
					t.Fatalf("add-members: %d %s", x.status, x.body)
				}
				seen := map[float64]bool{}
				for _, r := range append(roles, one) {
					var id float64
					if err := json.Unmarshal(r["id"], &id); err != nil {
						t.Fatalf("a role without an id: %v", r)
					}
					seen[id] = true
					m, ok := r["members"]
					got := string(m)
					switch {
					case !ok:
						got = ""
					case strings.HasPrefix(got, "["):
						got = "list"
					}
					if got != tc.want[id] {
						t.Errorf("role %v: members %q, want %q", id, got, tc.want[id])
					}
				}
				for id := range tc.want {
					if !seen[id] {
						t.Errorf("role %v was not answered", id)
					}
				}
			})
		}
	}
	if _, err := sandbox.New(sandbox.Options{RolesWithoutMembers: "empty"}); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

// token asks for scope and returns the answer's body as a map.
func tokenAnswer(t *testing.T, base, scope string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(base+"/ws/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox"}, "client_secret": {"sandbox"}, "scope": {scope}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestPartialScopes(t *testing.T) {
	_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), Scopes: []string{"monitoring"}, PartialScopes: true})
	status, tr := tokenAnswer(t, base, "monitoring management")
	if status != 200 || tr["scope"] != "monitoring" {
		t.Fatalf("token: %d %v, want the granted scope only", status, tr)
	}
	tok := "Bearer " + tr["access_token"].(string)
	if got := call(t, base, "GET", "/v2/user/technicians", tok, "", ""); got.status != 200 {
		t.Errorf("read: %d", got.status)
	}
	if got := call(t, base, "DELETE", "/v2/user/end-user/10", tok, "", ""); got.status != 403 || code(got.body) != "insufficient_scope" {
		t.Errorf("write: %d %s, want 403 insufficient_scope", got.status, got.body)
	}
	if status, tr := tokenAnswer(t, base, "management"); status != 200 || tr["scope"] != "" {
		t.Errorf("nothing granted: %d %v", status, tr)
	}
	// Without the switch, the same call is refused.
	_, strict, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), Scopes: []string{"monitoring"}})
	if status, tr := tokenAnswer(t, strict, "monitoring management"); status != 400 || tr["error"] != "invalid_scope" {
		t.Errorf("strict: %d %v", status, tr)
	}
}

func TestTokenWithoutScope(t *testing.T) {
	_, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), TokenWithoutScope: true})
	status, tr := tokenAnswer(t, base, "monitoring")
	if _, has := tr["scope"]; status != 200 || has {
		t.Fatalf("token: %d %v, want no scope key", status, tr)
	}
	tok := "Bearer " + tr["access_token"].(string)
	if got := call(t, base, "GET", "/v2/user/technicians", tok, "", ""); got.status != 200 {
		t.Errorf("read: %d", got.status)
	}
	if got := call(t, base, "DELETE", "/v2/user/end-user/10", tok, "", ""); got.status != 403 {
		t.Errorf("write with only monitoring: %d", got.status)
	}
}

func TestUserContextRequired(t *testing.T) {
	const want = `{"error":"user_context_required","error_description":"Access key does not have user context which is required for this request","error_code":5}`
	for _, tc := range []struct {
		prefixes []string
		path     string
		method   string
		body     string
		refused  bool
	}{
		{[]string{"/v2/user/role/"}, "/v2/user/role/5/add-members", "PATCH", "[3]", true},
		{[]string{"/v2/user/role/"}, "/v2/user/end-user/10", "PATCH", `{"lastName":"X"}`, false},
		{[]string{"/"}, "/v2/user/technicians", "POST", `{"firstName":"T","lastName":"T","email":"t@example.com"}`, true},
		{[]string{"/"}, "/api/v2/user/end-user/10", "DELETE", "", true},
		{[]string{"/"}, "/v2/user/technicians", "GET", "", false},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			srv, base, _ := sandboxtest.NewChecked(t, sandbox.Options{Seed: seed(t), UserContextRequired: tc.prefixes})
			before := srv.Tenant()
			ctype := ""
			if tc.body != "" {
				ctype = "application/json"
			}
			got := call(t, base, tc.method, tc.path, "Bearer "+getToken(t, base, ""), ctype, tc.body)
			if tc.refused {
				if got.status != 403 || !cmp.Equal(canon(t, []byte(want)), canon(t, got.body)) {
					t.Errorf("%d %s, want 403 %s", got.status, got.body, want)
				}
				if d := cmp.Diff(before, srv.Tenant()); d != "" {
					t.Errorf("a refused write changed the state:\n%s", d)
				}
			} else if got.status >= 300 {
				t.Errorf("%d %s", got.status, got.body)
			}
		})
	}
	if _, err := sandbox.New(sandbox.Options{UserContextRequired: []string{"user/"}}); err == nil {
		t.Error("a prefix outside /v2 was accepted")
	}
}

func TestRedirect(t *testing.T) {
	// Where the redirect points: it records what a client that follows
	// would send there.
	var mu sync.Mutex
	var seen []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+string(b)+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer target.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	srv, base := sandboxtest.New(t, sandbox.Options{Seed: seed(t), Redirect: &sandbox.Redirect{Location: target.URL + "/", Token: true}})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox"}, "client_secret": {"sandbox"}}
	resp, err := noFollow.PostForm(base+"/ws/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != target.URL+"/ws/oauth/token" || resp.Header.Get(sandbox.FaultHeader) != "redirect" {
		t.Errorf("token: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A client that follows a 307 posts the secret to the other host.
	resp, err = http.PostForm(base+"/ws/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	if len(seen) != 1 || !strings.Contains(seen[0], "client_secret=sandbox") {
		t.Errorf("the target saw %q", seen)
	}
	mu.Unlock()
	if n := srv.Stats().Requests["POST /ws/oauth/token"]; n != 2 {
		t.Errorf("token calls counted %d times, want 2", n)
	}

	_, api := sandboxtest.New(t, sandbox.Options{Seed: seed(t), Redirect: &sandbox.Redirect{Status: 302, Location: target.URL, API: true}})
	tok := getToken(t, api, "") // the token call is not redirected
	req, _ := http.NewRequest("GET", api+"/api/v2/users?includeRoles=true", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != target.URL+"/api/v2/users?includeRoles=true" {
		t.Errorf("API: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	for _, bad := range []sandbox.Redirect{{Location: target.URL}, {Location: "/elsewhere", API: true}, {Status: 200, Location: target.URL, API: true}} {
		if _, err := sandbox.New(sandbox.Options{Redirect: &bad}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// rawGet sends a GET on a connection of its own and returns the response
// with the sizes of the chunks its body came in.
func rawGet(t *testing.T, base, path, tok string) (body []byte, chunks []int) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", path, tok)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(resp.TransferEncoding) == 0 {
		t.Fatalf("%d %v", resp.StatusCode, resp.TransferEncoding)
	}
	// http.ReadResponse de-chunks; read the chunk framing ourselves.
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil {
			t.Fatalf("chunk size %q: %v", line, err)
		}
		if n == 0 {
			return body, chunks
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
		body = append(body, buf[:n]...)
		chunks = append(chunks, int(n))
	}
}

func TestDrip(t *testing.T) {
	_, plain := sandboxtest.New(t, sandbox.Options{Seed: seed(t)})
	want := call(t, plain, "GET", "/v2/user/roles", "Bearer "+getToken(t, plain, ""), "", "").body

	_, base := sandboxtest.New(t, sandbox.Options{Seed: seed(t), Drip: &sandbox.Drip{Bytes: 7, Interval: time.Millisecond}})
	tok := getToken(t, base, "")
	body, chunks := rawGet(t, base, "/v2/user/roles", tok)
	if string(body) != string(want) {
		t.Errorf("dripped body differs:\n%s\nwant\n%s", body, want)
	}
	if len(chunks) != (len(want)+6)/7 || slices.Max(chunks) > 7 {
		t.Errorf("%d bytes came in %d chunks of up to %d bytes, want %d of 7", len(body), len(chunks), slices.Max(chunks), (len(want)+6)/7)
	}
	// Single objects are not dripped.
	if got := call(t, base, "GET", "/v2/user/end-user/10", "Bearer "+tok, "", ""); got.header.Get("Content-Length") == "" {
		t.Error("a single object was dripped")
	}
}

// A drip that would take an hour holds no lock (a write goes through
// meanwhile) and ends when its client goes away.
func TestDripHoldsNoLock(t *testing.T) {
	srv, base := sandboxtest.New(t, sandbox.Options{Seed: seed(t), Drip: &sandbox.Drip{Bytes: 1, Interval: time.Hour}})
	tok := "Bearer " + getToken(t, base, "")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v2/user/end-users", nil)
	req.Header.Set("Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil || first[0] != '[' {
		t.Fatalf("first byte %q, %v", first, err)
	}
	if got := call(t, base, "PATCH", "/v2/user/end-user/10", tok, "application/json", `{"lastName":"Dripped"}`); got.status != 200 {
		t.Errorf("write during a drip: %d", got.status)
	}
	cancel()
	resp.Body.Close()
	if findUser(srv.Tenant(), 10).LastName != "Dripped" {
		t.Error("the write was lost")
	}
	// The sandbox's cleanup (Close) would wait on a drip still running.
}

// A sandbox on https redirecting to plain http: what a downgrade looks like.
func TestTLSRedirectDowngrade(t *testing.T) {
	_, base, hc := sandboxtest.NewTLS(t, sandbox.Options{Seed: seed(t), Redirect: &sandbox.Redirect{Location: "http://127.0.0.1:9", Token: true, API: true}})
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("base %s", base)
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.PostForm(base+"/ws/oauth/token", url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != "http://127.0.0.1:9/ws/oauth/token" {
		t.Errorf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
