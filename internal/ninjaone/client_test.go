package ninjaone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stub is a hostile-or-friendly NinjaOne stand-in: a token endpoint that
// counts fetches and a /v2 handler chosen by the test.
type stub struct {
	t      testing.TB
	srv    *httptest.Server
	tokens atomic.Int32
	// tokenHandler overrides the token endpoint when set.
	tokenHandler http.HandlerFunc
	api          http.HandlerFunc

	mu   sync.Mutex
	log  []string // "METHOD PATH" of each /v2 request
	auth []string // Authorization header of each /v2 request
}

const stubSecret = "s3cr3t-do-not-print"

func newStub(t testing.TB, api http.HandlerFunc) *stub {
	t.Helper()
	s := &stub{t: t, api: api}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			if s.tokenHandler != nil {
				s.tokenHandler(w, r)
				return
			}
			if err := r.ParseForm(); err != nil || r.PostForm.Get("client_secret") != stubSecret || r.PostForm.Get("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":"invalid_client"}`)
				return
			}
			n := s.tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600,"scope":%q}`, n, r.PostForm.Get("scope"))
			return
		}
		s.mu.Lock()
		s.log = append(s.log, r.Method+" "+r.URL.Path)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		s.api(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// client returns a Client for the stub whose waits are recorded, not slept.
func (s *stub) client(waits *[]time.Duration) *Client {
	s.t.Helper()
	c, err := New(Config{BaseURL: s.srv.URL, ClientID: "id", ClientSecret: stubSecret,
		Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	if err != nil {
		s.t.Fatal(err)
	}
	var mu sync.Mutex
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if waits != nil {
			mu.Lock()
			*waits = append(*waits, d)
			mu.Unlock()
		}
		return ctx.Err()
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-nj-request-id", "req-42")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// reset closes the connection without answering.
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// sequence answers the n-th request to any path with steps[n], the last
// step repeating.
func sequence(steps ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			i = len(steps) - 1
		}
		steps[i](w, r)
	}
}

var aliceJSON = []User{{ID: 7, Email: "alice@example.com", FirstName: "Alice", UserType: Technician}}

func okUsers(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, aliceJSON) }

// htmlPage answers with a throttling page, as NinjaOne is said to.
func htmlPage(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><body>Too many requests, slow down</body></html>")
	}
}

func TestReadRetriesTransientAnswers(t *testing.T) {
	html := htmlPage
	tests := []struct {
		name  string
		first http.HandlerFunc
	}{
		{"429", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 429, map[string]string{"resultCode": "TOO_MANY"})
		}},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, map[string]string{"resultCode": "FAILURE"})
		}},
		{"502", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) }},
		{"503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }},
		{"504", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(504) }},
		{"html page with 200", html(200)},
		{"html page with 403", html(403)},
		{"connection reset", func(w http.ResponseWriter, r *http.Request) { reset(w) }},
		{"truncated JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[{"id":7,"email":"alice@exa`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, sequence(tt.first, okUsers))
			var got []User
			if err := list(context.Background(), s.client(nil), "/v2/user/technicians", nil, &got); err != nil {
				t.Fatalf("list: %v", err)
			}
			if diff := cmp.Diff(aliceJSON, got); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			if n := len(s.requests()); n != 2 {
				t.Errorf("sent %d requests, want 2", n)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	for _, header := range []string{"3", time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)} {
		s := newStub(t, sequence(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", header)
			writeJSON(w, 429, map[string]string{"resultCode": "TOO_MANY_REQUESTS"})
		}, okUsers))
		var waits []time.Duration
		var got []User
		if err := list(context.Background(), s.client(&waits), "/v2/user/technicians", nil, &got); err != nil {
			t.Fatal(err)
		}
		if len(waits) != 1 || waits[0] < 1900*time.Millisecond || waits[0] > 3200*time.Millisecond {
			t.Errorf("Retry-After %q: waited %v, want about 3s", header, waits)
		}
	}
}

func TestRetriesAreBounded(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 503, map[string]string{"resultCode": "UNAVAILABLE", "errorMessage": "down for maintenance"})
	})
	var waits []time.Duration
	err := list(context.Background(), s.client(&waits), "/v2/user/technicians", nil, new([]User))
	if err == nil {
		t.Fatal("want an error")
	}
	if n := len(s.requests()); n != 5 {
		t.Errorf("sent %d requests, want MaxAttempts=5", n)
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < waits[i-1]/2 {
			t.Errorf("backoff did not grow: %v", waits)
		}
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Attempts != 5 || !strings.Contains(err.Error(), "down for maintenance") {
		t.Errorf("error = %v, want an APIError after 5 attempts naming the message", err)
	}
}

func TestRetryBudgetAndContext(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	})
	err := list(context.Background(), s.client(nil), "/v2/user/technicians", nil, new([]User))
	if err == nil || !strings.Contains(err.Error(), "retry budget") || !errors.Is(err, ErrThrottled) {
		t.Errorf("an hour's Retry-After: err = %v, want the retry budget named and ErrThrottled", err)
	}

	s = newStub(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	c := s.client(nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return ctx.Err() }
	if err := list(ctx, c, "/v2/user/technicians", nil, new([]User)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while backing off: err = %v", err)
	}
}

func TestTokenIsReusedAndRefreshedOnce(t *testing.T) {
	var expired atomic.Bool
	s := newStub(t, nil)
	s.api = func(w http.ResponseWriter, r *http.Request) {
		if expired.Load() && r.Header.Get("Authorization") == "Bearer tok-1" {
			writeJSON(w, 401, map[string]string{"error": "not_authenticated", "error_description": "token expired"})
			return
		}
		okUsers(w, r)
	}
	c := s.client(nil)
	ctx := context.Background()
	for range 3 {
		if err := list(ctx, c, "/v2/user/technicians", nil, new([]User)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.tokens.Load(); n != 1 {
		t.Fatalf("3 calls fetched %d tokens, want 1", n)
	}
	expired.Store(true)
	if err := list(ctx, c, "/v2/user/technicians", nil, new([]User)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := s.tokens.Load(); n != 2 {
		t.Errorf("a 401 led to %d token fetches in all, want 2", n)
	}
	s.mu.Lock()
	want := []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}
	if diff := cmp.Diff(want, s.auth); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
	s.mu.Unlock()

	// A token refused twice is an error, not a loop.
	s.api = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, map[string]string{"error": "not_authenticated"})
	}
	err := list(ctx, c, "/v2/user/technicians", nil, new([]User))
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("err = %v, want ErrUnauthorized", err)
	}
	if n := s.tokens.Load(); n != 3 {
		t.Errorf("token fetches = %d, want 3 (one more, not more)", n)
	}
}

func TestConcurrentCallsShareOneToken(t *testing.T) {
	s := newStub(t, okUsers)
	c := s.client(nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := list(context.Background(), c, "/v2/user/technicians", nil, new([]User)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := s.tokens.Load(); n != 1 {
		t.Errorf("20 concurrent calls fetched %d tokens, want 1", n)
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    []string
		notWant []string
	}{
		{"unknown client id (wrong region)", 404, `{"resultCode":"Client app not exist","errorMessage":"Client app not exist"}`,
			[]string{"404", "Client app not exist", "--region"}, nil},
		{"scope not granted", 400, `{"error":"invalid_scope","error_description":"scope not granted"}`,
			[]string{"invalid_scope", "scope"}, nil},
		{"bad secret echoed back", 401, `{"error":"invalid_client","error_description":"bad secret ` + stubSecret + `"}`,
			[]string{"--client-secret"}, []string{stubSecret}},
		{"html", 403, `<html>` + stubSecret + `</html>`, []string{"403"}, []string{stubSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, okUsers)
			s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}
			err := s.client(nil).Validate(context.Background())
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q leaks %q", err, w)
				}
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("%d API calls made without a token", n)
			}
		})
	}
}

func TestErrorShapes(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		is     []error
		isNot  []error
		want   []string
	}{
		{"route-level 404", 404, `{"resultCode":"FAILURE","errorMessage":"HTTP 404 Not Found"}`,
			[]error{ErrRouteNotSupported}, []error{ErrNotFound}, []string{"does not serve /v2/user/technicians"}},
		{"missing object", 404, `{"resultCode":"USER_NOT_FOUND","errorMessage":"User not found","incidentId":"inc-9"}`,
			[]error{ErrNotFound}, []error{ErrRouteNotSupported}, []string{"User not found", "USER_NOT_FOUND", "incident inc-9", "request id req-42"}},
		{"auth shape", 400, `{"error":"invalid_header","error_description":"Malformed header","error_code":1}`,
			nil, []error{ErrNotFound}, []string{"Malformed header", "invalid_header"}},
		{"billing shape", 402, `{"errorCode":"BILLING","message":"Payment required"}`,
			nil, nil, []string{"Payment required"}},
		{"token echoed back", 400, `{"resultCode":"BAD","errorMessage":"bad token tok-1"}`,
			nil, nil, []string{"bad token [REDACTED]"}},
		{"forbidden", 403, `{"resultCode":"FORBIDDEN","errorMessage":"Forbidden"}`,
			[]error{ErrForbidden}, nil, []string{"monitoring scope"}},
		// The auth errors observed on us2 say what is wrong.
		{"missing_header", 400, `{"error":"missing_header","error_description":"Missing Authorization header","error_code":2}`, nil, nil,
			[]string{"400 Bad Request: Missing Authorization header (missing_header, error_code 2) [request id req-42]; NinjaOne received the call without its Authorization header: something between ninjaops and NinjaOne (a proxy or gateway) removed it"}},
		{"invalid_header", 400, `{"error":"invalid_header","error_description":"Malformed Authorization header","error_code":1}`, nil, nil,
			[]string{"400 Bad Request: Malformed Authorization header (invalid_header, error_code 1) [request id req-42]; NinjaOne could not read the call's Authorization header: something between ninjaops and NinjaOne (a proxy or gateway) changed it"}},
		{"not_authenticated after a fresh token", 401, `{"error":"not_authenticated","error_description":"Invalid credentials","error_code":10}`,
			[]error{ErrUnauthorized}, nil,
			[]string{"401 Unauthorized: Invalid credentials (not_authenticated, error_code 10) [request id req-42]; NinjaOne refused the token even after a new one was fetched: check that the client app belongs to 127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("x-nj-request-id", "req-42")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			err := list(context.Background(), s.client(nil), "/v2/user/technicians", nil, new([]User))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, e := range tt.is {
				if !errors.Is(err, e) {
					t.Errorf("errors.Is(%v, %v) = false", err, e)
				}
			}
			for _, e := range tt.isNot {
				if errors.Is(err, e) {
					t.Errorf("errors.Is(%v, %v) = true", err, e)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			// Once, and a 401 once more with a fresh token.
			if n, want := len(s.requests()), 1+btoi(tt.status == http.StatusUnauthorized); n != want {
				t.Errorf("a %d was sent %d times, want %d", tt.status, n, want)
			}
		})
	}
}

// fakeTenant is a tiny stateful tenant for the write tests: it can be told
// to fail a write after or before carrying it out.
type fakeTenant struct {
	mu      sync.Mutex
	users   []User
	members map[int32]map[int32]bool
	nextID  int32
	// fail, when set, answers the next write instead of the normal answer;
	// applied says whether the write is carried out first.
	fail    http.HandlerFunc
	applied bool
	writes  int
	// membersUnknown answers the roles without their members (null).
	membersUnknown bool
}

func (f *fakeTenant) handler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodGet {
		f.writes++
		fail := f.fail
		if fail != nil {
			f.fail = nil
			if f.applied {
				f.apply(r)
			}
			fail(w, r)
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v2/user/end-users":
		writeJSON(w, 200, append([]User{}, f.users...))
	case r.Method == http.MethodGet && r.URL.Path == "/v2/user/roles":
		roles := []Role{}
		for id, ms := range f.members {
			role := Role{ID: id, Name: "R", Type: EndUser, Members: []RoleMember{}}
			for m := range ms {
				role.Members = append(role.Members, RoleMember{ID: m})
			}
			if f.membersUnknown {
				role.Members = nil
			}
			roles = append(roles, role)
		}
		writeJSON(w, 200, roles)
	default:
		status, v := f.apply(r)
		if status == 204 {
			w.WriteHeader(204)
			return
		}
		writeJSON(w, status, v)
	}
}

func (f *fakeTenant) apply(r *http.Request) (int, any) {
	switch {
	case r.Method == http.MethodPost:
		var req CreateEndUserRequest
		json.NewDecoder(r.Body).Decode(&req)
		f.nextID++
		u := User{ID: f.nextID, Email: req.Email, FirstName: req.FirstName, UserType: EndUser}
		f.users = append(f.users, u)
		return 200, u
	case r.Method == http.MethodDelete:
		for i, u := range f.users {
			if fmt.Sprintf("/v2/user/end-user/%d", u.ID) == r.URL.Path {
				f.users = append(f.users[:i], f.users[i+1:]...)
				return 204, nil
			}
		}
		return 404, map[string]string{"resultCode": "USER_NOT_FOUND", "errorMessage": "User not found"}
	case strings.HasSuffix(r.URL.Path, "/add-members") || strings.HasSuffix(r.URL.Path, "/remove-members"):
		var ids []int32
		json.NewDecoder(r.Body).Decode(&ids)
		role := f.members[1]
		for _, id := range ids {
			if strings.HasSuffix(r.URL.Path, "/add-members") {
				if role[id] {
					// The strictest reading of the undocumented case.
					return 400, map[string]string{"resultCode": "ALREADY_MEMBER"}
				}
				role[id] = true
			} else {
				delete(role, id)
			}
		}
		return 200, Role{ID: 1}
	}
	return 404, map[string]string{"resultCode": "FAILURE", "errorMessage": "HTTP 404 Not Found"}
}

func TestAmbiguousWritesAreNeverRepeated(t *testing.T) {
	e500 := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, map[string]string{"resultCode": "FAILURE"})
	}
	rst := func(w http.ResponseWriter, r *http.Request) { reset(w) }
	e429 := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }
	// A gateway in front of NinjaOne answers a timed-out request with its
	// own HTML page; the request may still have been carried out behind it.
	gatewayPage := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			io.WriteString(w, "<html><body><h1>Gateway Time-out</h1></body></html>")
		}
	}
	tests := []struct {
		name    string
		fail    http.HandlerFunc
		applied bool
		// wantWrites counts the writes that reached the tenant.
		wantWrites int
	}{
		{"reset after creating", rst, true, 1},
		{"reset before creating", rst, false, 2},
		{"500 after creating", e500, true, 1},
		{"429 (never applied)", e429, false, 2},
		{"HTML 504 from a gateway after creating", gatewayPage(504), true, 1},
		{"HTML 502 from a gateway after creating", gatewayPage(502), true, 1},
		{"HTML 500 after creating", gatewayPage(500), true, 1},
	}
	for _, tt := range tests {
		t.Run("create/"+tt.name, func(t *testing.T) {
			f := &fakeTenant{nextID: 100, fail: tt.fail, applied: tt.applied}
			s := newStub(t, f.handler)
			u, err := s.client(nil).CreateEndUser(context.Background(), CreateEndUserRequest{FirstName: "Bob", LastName: "J", Email: "Bob@Customer.example", OrganizationID: 1}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.users) != 1 || u.ID != f.users[0].ID || u.UserType != EndUser {
				t.Errorf("tenant has %v, client returned %+v; want exactly one user, the one returned", f.users, u)
			}
			if f.writes != tt.wantWrites {
				t.Errorf("%d POSTs reached the tenant, want %d", f.writes, tt.wantWrites)
			}
		})
		t.Run("add-members/"+tt.name, func(t *testing.T) {
			f := &fakeTenant{members: map[int32]map[int32]bool{1: {5: true}}, fail: tt.fail, applied: tt.applied}
			s := newStub(t, f.handler)
			if err := s.client(nil).AddRoleMembers(context.Background(), 1, []int32{7, 6, 7}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[int32]bool{5: true, 6: true, 7: true}, f.members[1]); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			if f.writes != tt.wantWrites {
				t.Errorf("%d PATCHes reached the tenant, want %d", f.writes, tt.wantWrites)
			}
		})
	}
	t.Run("remove-members/reset, then the role listed without its members", func(t *testing.T) {
		// The re-read cannot tell whether the removal was made: it is an
		// error, never "done" because the role looks empty.
		f := &fakeTenant{members: map[int32]map[int32]bool{1: {5: true, 6: true}}, fail: rst, membersUnknown: true}
		s := newStub(t, f.handler)
		err := s.client(nil).RemoveRoleMembers(context.Background(), 1, []int32{5})
		if err == nil || !strings.Contains(err.Error(), "listed without its members") {
			t.Errorf("RemoveRoleMembers = %v, want an error saying the role was listed without its members", err)
		}
		if f.writes != 1 || !f.members[1][5] {
			t.Errorf("%d PATCHes, members %v; want the one interrupted PATCH and member 5 still there", f.writes, f.members[1])
		}
	})
	t.Run("delete/reset after deleting", func(t *testing.T) {
		f := &fakeTenant{users: []User{{ID: 3, Email: "x@example.com"}}, fail: rst, applied: true}
		s := newStub(t, f.handler)
		if err := s.client(nil).DeleteEndUser(context.Background(), 3); err != nil {
			t.Fatalf("delete whose first attempt did the work: %v", err)
		}
	})
	t.Run("delete/already gone", func(t *testing.T) {
		f := &fakeTenant{}
		s := newStub(t, f.handler)
		if err := s.client(nil).DeleteEndUser(context.Background(), 3); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("create/gives up naming the uncertainty", func(t *testing.T) {
		s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				w.WriteHeader(503)
				return
			}
			reset(w)
		})
		_, err := s.client(nil).CreateEndUser(context.Background(), CreateEndUserRequest{Email: "a@b.example"}, false)
		if err == nil || !strings.Contains(err.Error(), "outcome") {
			t.Errorf("err = %v, want it to say the outcome is unknown", err)
		}
	})
}

func TestSnapshotRequestsAreFixed(t *testing.T) {
	var orgCalls atomic.Int32
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/user/technicians":
			writeJSON(w, 200, aliceJSON)
		case "/v2/user/end-users":
			writeJSON(w, 200, []User{{ID: 8, Email: "bob@example.com"}})
		case "/v2/users":
			writeJSON(w, 200, []User{aliceJSON[0], {ID: 8, Email: "bob@example.com"}})
		case "/v2/user/roles":
			writeJSON(w, 200, []Role{{ID: 1, Name: "Helpdesk", Type: Technician, Members: []RoleMember{{ID: 7}}}})
		case "/v2/organizations":
			// A full page, a short one, and the empty page that ends them.
			orgCalls.Add(1)
			after := r.URL.Query().Get("after")
			page := []Organization{}
			switch after {
			case "":
				for i := range organizationsPageSize {
					page = append(page, Organization{ID: int32(i + 1), Name: fmt.Sprint("Org ", i+1)})
				}
			case fmt.Sprint(organizationsPageSize):
				page = []Organization{{ID: organizationsPageSize + 5, Name: "Last"}}
			}
			writeJSON(w, 200, page)
		}
	})
	c := s.client(nil)
	snap, err := c.Snapshot(context.Background(), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.requests()); n != 4 || s.tokens.Load() != 1 {
		t.Errorf("snapshot made %d API calls and %d token calls, want 4 and 1", n, s.tokens.Load())
	}
	if len(snap.Technicians) != 1 || len(snap.EndUsers) != 1 || len(snap.Roles) != 1 || snap.Organizations != nil {
		t.Errorf("snapshot = %+v", snap)
	}
	snap, err = c.Snapshot(context.Background(), SnapshotOptions{Organizations: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Organizations) != organizationsPageSize+1 || orgCalls.Load() != 3 {
		t.Errorf("read %d organizations in %d calls, want %d in 3", len(snap.Organizations), orgCalls.Load(), organizationsPageSize+1)
	}
}

func TestOrganizationsPagingThatIgnoresAfterIsAnError(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		page := make([]Organization, organizationsPageSize)
		for i := range page {
			page[i] = Organization{ID: int32(i + 1)}
		}
		writeJSON(w, 200, page)
	})
	_, err := s.client(nil).organizations(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not page") {
		t.Errorf("err = %v", err)
	}
}

func TestResolveBaseURL(t *testing.T) {
	tests := []struct {
		base, region string
		want         string
		wantErr      string
	}{
		{"", "eu", "https://eu.ninjarmm.com", ""},
		{"", "EU", "https://eu.ninjarmm.com", ""},
		{"https://eu.ninjarmm.com/", "eu", "https://eu.ninjarmm.com", ""},
		{"https://ninja.example.com/", "", "https://ninja.example.com", ""},
		{"http://127.0.0.1:8765", "", "http://127.0.0.1:8765", ""},
		{"http://localhost:8765", "", "http://localhost:8765", ""},
		{"http://[::1]:8765", "", "http://[::1]:8765", ""},
		{"", "", "", ""},
		{"", "mars", "", "unknown region"},
		{"https://app.ninjarmm.com", "eu", "", "different hosts"},
		{"http://app.ninjarmm.com", "", "", "plain http"},
		{"ftp://x", "", "", "want https"},
		{"app.ninjarmm.com", "", "", "want https"},
		{"https://u:p@app.ninjarmm.com", "", "", "credentials in the URL"},
		// Credentials in a URL refused for another reason stay out of the
		// error too.
		{"htps://u:p@app.ninjarmm.com", "", "", "want https"},
		{"u:p@app.ninjarmm.com", "", "", "want https"},
		{"https://u:p@/x", "", "", "want https"},
		{"https://u:p@app.ninjarmm.com/%zz", "", "", "invalid URL escape"},
		{"http://u:p@app.ninjarmm.com/?x=1", "", "", "credentials in the URL"},
		{"https://u:p@app.ninjarmm.com", "eu", "", "different hosts"},
		{"https://app.ninjarmm.com/?x=1", "", "", "query"},
	}
	for _, tt := range tests {
		got, err := ResolveBaseURL(tt.base, tt.region)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ResolveBaseURL(%q, %q) err = %v, want %q", tt.base, tt.region, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "u:p@") {
				t.Errorf("error leaks the URL's password: %v", err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ResolveBaseURL(%q, %q) = %q, %v; want %q", tt.base, tt.region, got, err, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestUnreachableTokenEndpointIsAnErrorNotAPanic(t *testing.T) {
	c, err := New(Config{BaseURL: "http://127.0.0.1:1", ClientID: "id", ClientSecret: stubSecret,
		Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/ws/oauth/token") || !strings.Contains(err.Error(), "2 attempts") {
		t.Errorf("err = %v, want the token call named, after 2 attempts", err)
	}
}

// A list answered with null, with nothing or with 204 is a read that
// cannot be trusted, not an empty list: an empty list would plan every
// existing user to be created again.
func TestListsRefuseNullEmptyAnd204(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"null", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "null") }, "answered null instead of a list"},
		{"null with space", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, " \n null \n") }, "answered null instead of a list"},
		{"empty body", func(w http.ResponseWriter, r *http.Request) {}, "answered an empty body instead of a list"},
		{"whitespace only", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strings.Repeat(" \r\n\t", 10000)) }, "answered an empty body instead of a list"},
		{"204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, "answered 204 No Content instead of a list"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, tt.h)
			got := []User{{ID: 1}}
			err := list(context.Background(), s.client(nil), "/v2/user/technicians", nil, &got)
			if !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), "GET /v2/user/technicians "+tt.want) {
				t.Errorf("err = %v, want ErrInconsistent saying %q", err, tt.want)
			}
			if n := len(s.requests()); n != 1 {
				t.Errorf("sent %d requests, want 1: the answer is refused, not retried by the call", n)
			}
		})
	}
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":1}`) })
	err := list(context.Background(), s.client(nil), "/v2/user/technicians", nil, new([]User))
	if err == nil || !strings.Contains(err.Error(), "want a JSON array") {
		t.Errorf("object: err = %v", err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
