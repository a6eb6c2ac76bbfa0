package ninjaone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// elsewhere is a server that must never be reached: it records whatever
// arrives (a re-posted secret, a forwarded token).
func elsewhere(t *testing.T, tls bool) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"stolen","token_type":"Bearer","expires_in":3600}`)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, &hits
}

// Redirects are never followed, neither on the token call (which would
// re-post the client secret) nor on API calls (which would send the bearer
// token), and the error names where they pointed.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(fmt.Sprintf("token call %d to another port", status), func(t *testing.T) {
			other, hits := elsewhere(t, false)
			s := newStub(t, okUsers)
			s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/ws/oauth/token?client_secret=x", status)
			}
			err := s.client(nil).Validate(context.Background())
			if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "redirect to "+other.URL+"/ws/oauth/token,") || strings.Contains(err.Error(), "client_secret") {
				t.Errorf("err = %v, want ErrRedirect naming %s without its query", err, other.URL)
			}
			if hits.Load() != 0 || len(s.requests()) != 0 {
				t.Errorf("%d requests reached the other server, %d the API", hits.Load(), len(s.requests()))
			}
		})
		t.Run(fmt.Sprintf("API call %d", status), func(t *testing.T) {
			other, hits := elsewhere(t, false)
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, status)
			})
			err := list(context.Background(), s.client(nil), "/v2/user/technicians", nil, new([]User))
			if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "GET /v2/user/technicians: "+strconv.Itoa(status)) || !strings.Contains(err.Error(), other.URL+"/v2/user/technicians") {
				t.Errorf("err = %v, want ErrRedirect naming the call and where it pointed", err)
			}
			if hits.Load() != 0 || len(s.requests()) != 1 {
				t.Errorf("%d requests reached the other server, %d the API (want 0 and 1: not retried)", hits.Load(), len(s.requests()))
			}
		})
	}
	t.Run("from https down to http", func(t *testing.T) {
		plain, hits := elsewhere(t, false)
		var apiHits atomic.Int32
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == tokenPath {
				http.Redirect(w, r, plain.URL+tokenPath, http.StatusTemporaryRedirect)
				return
			}
			apiHits.Add(1)
		}))
		t.Cleanup(srv.Close)
		c, err := New(Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: stubSecret, HTTPClient: srv.Client(),
			Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate(context.Background())
		if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), plain.URL) || strings.Contains(err.Error(), stubSecret) {
			t.Errorf("err = %v", err)
		}
		if hits.Load() != 0 || apiHits.Load() != 0 {
			t.Errorf("the secret went over plain http (%d) or the API was called (%d)", hits.Load(), apiHits.Load())
		}
	})
	t.Run("a write", func(t *testing.T) {
		other, hits := elsewhere(t, false)
		s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusPermanentRedirect)
		})
		_, err := s.client(nil).CreateEndUser(context.Background(), CreateEndUserRequest{Email: "a@example.com", OrganizationID: 1}, false)
		if !errors.Is(err, ErrRedirect) || hits.Load() != 0 || len(s.requests()) != 1 {
			t.Errorf("err = %v, %d requests elsewhere, %d to the API", err, hits.Load(), len(s.requests()))
		}
	})
}

// The client sends nothing to another origin than the base URL's, whatever
// builds the request.
func TestRequestsGoOnlyToTheBaseURL(t *testing.T) {
	base, _ := url.Parse("https://eu.ninjarmm.com")
	var sent atomic.Int32
	hc := guardedClient(&http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("[]"))}, nil
	})}, base)
	for _, u := range []string{"http://eu.ninjarmm.com/v2/users", "https://evil.example/v2/users", "https://eu.ninjarmm.com:8443/v2/users"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer tok")
		if _, err := hc.Do(req); err == nil || !strings.Contains(err.Error(), "sends credentials only to the base URL's https://eu.ninjarmm.com") {
			t.Errorf("%s: err = %v", u, err)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "https://eu.ninjarmm.com/v2/users", nil)
	if _, err := hc.Do(req); err != nil || sent.Load() != 1 {
		t.Errorf("the base URL itself: %v, %d sent", err, sent.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// scopedStub is a stub whose token answer grants scope ("" leaves the
// scope key out).
func scopedStub(t *testing.T, scope any, api http.HandlerFunc) *stub {
	s := newStub(t, api)
	s.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}
		if scope != nil {
			body["scope"] = scope
		}
		writeJSON(w, 200, body)
	}
	return s
}

// The token answer's scope, when it has one, is compared with what was
// asked: a write the token cannot make is refused before it is sent, and
// RequireScope says so before any work starts.
func TestScopes(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		scope   any
		asked   string
		refused bool
		want    string
	}{
		{"granted as asked", "monitoring management", "", false, ""},
		{"no scope in the answer", nil, "", false, ""},
		{"an empty scope in the answer", "", "", false, ""},
		{"comma separated", "monitoring,management", "", false, ""},
		{"as a JSON array", []string{"monitoring", "management"}, "", false, ""},
		{"management not granted", "monitoring", "", true, `changing users and role memberships needs the management scope, and NinjaOne's token lacks it (asked for "monitoring management", granted "monitoring"): in NinjaOne, under Administration > Apps > API > Client app IDs, edit this client app and allow the management scope`},
		{"management not asked", "monitoring", "monitoring", true, `changing users and role memberships needs the management scope, which --scope "monitoring" does not ask for: add it (the default is "monitoring management")`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scopedStub(t, tt.scope, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"id": 5}) })
			c, err := New(Config{BaseURL: s.srv.URL, ClientID: "id", ClientSecret: stubSecret, Scope: tt.asked})
			if err != nil {
				t.Fatal(err)
			}
			rerr := c.RequireScope(ctx, ScopeManagement)
			_, werr := c.CreateTechnician(ctx, CreateTechnicianRequest{Email: "a@example.com"})
			if !tt.refused {
				if rerr != nil || werr != nil || len(s.requests()) != 1 {
					t.Errorf("RequireScope: %v, write: %v, %d requests; want both fine", rerr, werr, len(s.requests()))
				}
				return
			}
			for _, err := range []error{rerr, werr} {
				if !errors.Is(err, ErrMissingScope) || !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v\nwant ErrMissingScope saying %s", err, tt.want)
				}
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("%d requests sent with a token that cannot make them", n)
			}
		})
	}
	t.Run("a plan needs only monitoring", func(t *testing.T) {
		s := scopedStub(t, "monitoring", consistent.serve)
		var logged strings.Builder
		c := s.client(nil)
		c.log = newTestLogger(&logged)
		if _, err := c.Snapshot(ctx, SnapshotOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logged.String(), `msg="NinjaOne granted fewer scopes than asked" asked="monitoring management" granted=monitoring missing=management`) {
			t.Errorf("log %q does not warn of the missing scope", logged.String())
		}
	})
	t.Run("a read without monitoring", func(t *testing.T) {
		s := scopedStub(t, "management", consistent.serve)
		_, err := s.client(nil).Snapshot(ctx, SnapshotOptions{})
		if !errors.Is(err, ErrMissingScope) || !strings.Contains(err.Error(), "reading users and roles needs the monitoring scope") || len(s.requests()) != 0 {
			t.Errorf("err = %v after %d requests", err, len(s.requests()))
		}
	})
}

// A 403 user_context_required gets its own message and is not retried:
// no client-credentials token can ever make that call.
func TestUserContextRequired(t *testing.T) {
	for _, body := range []string{
		`{"error":"user_context_required","error_description":"This operation requires a user context"}`,
		`{"resultCode":"USER_CONTEXT_REQUIRED","errorMessage":"User context required"}`,
	} {
		s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			io.WriteString(w, body)
		})
		err := s.client(nil).AddRoleMembers(context.Background(), 1, []int32{2})
		if !errors.Is(err, ErrUserContextRequired) || !strings.Contains(err.Error(), "only with a token authorised by a signed-in user") || strings.Contains(err.Error(), "management scope") {
			t.Errorf("%s: err = %v", body, err)
		}
		if n := len(s.requests()); n != 1 {
			t.Errorf("%s: sent %d times, want once", body, n)
		}
	}
}

// A write answered with an HTML page, whatever its status, may have been
// carried out behind the page: it is re-read before being sent again,
// never re-sent blindly.
func TestHTMLAnswerToAWriteIsOfUnknownOutcome(t *testing.T) {
	page := htmlPage
	for _, status := range []int{200, 201, 403, 429, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := &fakeTenant{nextID: 100, fail: page(status), applied: true}
			s := newStub(t, f.handler)
			u, err := s.client(nil).CreateEndUser(context.Background(), CreateEndUserRequest{FirstName: "Bob", Email: "bob@customer.example", OrganizationID: 1}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.users) != 1 || f.writes != 1 || u.ID != f.users[0].ID {
				t.Errorf("%d users after %d POSTs (client returned %+v); want one user from one POST", len(f.users), f.writes, u)
			}
		})
	}
	t.Run("not carried out", func(t *testing.T) {
		f := &fakeTenant{nextID: 100, fail: page(200), applied: false}
		s := newStub(t, f.handler)
		if _, err := s.client(nil).CreateEndUser(context.Background(), CreateEndUserRequest{Email: "bob@customer.example", OrganizationID: 1}, false); err != nil {
			t.Fatal(err)
		}
		if len(f.users) != 1 || f.writes != 2 {
			t.Errorf("%d users after %d POSTs; want the POST sent again after the re-read", len(f.users), f.writes)
		}
	})
}

// A DELETE answered 404 is "already gone" only when a re-read confirms it.
func TestDeleteAnswered404IsConfirmed(t *testing.T) {
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]string{"resultCode": "NOT_FOUND", "errorMessage": "Not found"})
	}
	for _, tt := range []struct {
		name     string
		list     http.HandlerFunc
		notFound bool
		want     string
	}{
		{"gone", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []User{{ID: 4}}) }, true, "404 Not Found"},
		{"still listed", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []User{{ID: 3}}) }, false, "yet NinjaOne still lists the user: it was not deleted"},
		{"the re-read fails", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "null") }, false, "re-reading to confirm the user is gone failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					tt.list(w, r)
					return
				}
				notFound(w, r)
			})
			err := s.client(nil).DeleteTechnician(context.Background(), 3)
			if errors.Is(err, ErrNotFound) != tt.notFound || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want ErrNotFound %v, saying %q", err, tt.notFound, tt.want)
			}
			if want := []string{"DELETE /v2/user/technician/3", "GET /v2/user/technicians"}; fmt.Sprint(s.requests()) != fmt.Sprint(want) {
				t.Errorf("requests %v, want %v", s.requests(), want)
			}
		})
	}
}

// drip writes a list a byte at a time, slowly, until the client goes.
func drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	for _, b := range []byte(`[{"id":1,"email":"` + strings.Repeat("a", 1000)) {
		if _, err := w.Write([]byte{b}); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// A body dripped a byte at a time ends with the call's budget, which
// bounds reading the body, not only waiting for the headers.
func TestDrippedBodyEndsWithTheBudget(t *testing.T) {
	t.Run("API call", func(t *testing.T) {
		s := newStub(t, drip)
		c := s.client(nil)
		c.retry.MaxElapsed = 300 * time.Millisecond
		err := list(context.Background(), c, "/v2/user/technicians", nil, new([]User))
		if err == nil || !strings.Contains(err.Error(), "GET /v2/user/technicians: no complete answer within the retry budget of 300ms") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("token call", func(t *testing.T) {
		s := newStub(t, okUsers)
		s.tokenHandler = drip
		c := s.client(nil)
		c.retry.MaxElapsed = 300 * time.Millisecond
		err := c.Validate(context.Background())
		if err == nil || !strings.Contains(err.Error(), "POST /ws/oauth/token: no complete answer within the retry budget of 300ms") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a write is of unknown outcome", func(t *testing.T) {
		s := newStub(t, drip)
		c := s.client(nil)
		c.retry.MaxElapsed = 300 * time.Millisecond
		_, err := c.CreateTechnician(context.Background(), CreateTechnicianRequest{Email: "a@example.com"})
		if err == nil || !strings.Contains(err.Error(), "may or may not have been made") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("the caller's own deadline is its own", func(t *testing.T) {
		s := newStub(t, drip)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := list(ctx, s.client(nil), "/v2/user/technicians", nil, new([]User))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the caller's deadline", err)
		}
	})
}

// An answer over the limits is refused at once with what was exceeded,
// not truncated and not retried.
func TestOversizedAnswersAreRefused(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[`+strings.Repeat(`{"id":1},`, 1000)+`{"id":2}]`)
	})
	c := s.client(nil)
	c.lim.body = 4 << 10
	err := list(context.Background(), c, "/v2/user/technicians", nil, new([]User))
	if err == nil || !strings.Contains(err.Error(), "GET /v2/user/technicians: answer too large: the body is larger than 4 KiB, the most ninjaops reads in one answer") {
		t.Errorf("err = %v", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
}

// Organizations are paged until a page brings nothing new, whatever page
// size the server honours; a server that never ends is an error.
func TestOrganizationsPaging(t *testing.T) {
	orgs := func(from, to int) []Organization {
		out := []Organization{}
		for i := from; i <= to; i++ {
			out = append(out, Organization{ID: int32(i), Name: fmt.Sprint("Org ", i)})
		}
		return out
	}
	// server pages 50 organizations with page size cap, after exclusive
	// (or inclusive).
	server := func(cap int, inclusive bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			after, _ := strconv.Atoi(r.URL.Query().Get("after"))
			size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
			from := after + 1
			if inclusive && after > 0 {
				from = after
			}
			to := min(50, from+min(size, cap)-1)
			writeJSON(w, 200, orgs(from, to))
		}
	}
	for _, tt := range []struct {
		name  string
		h     http.HandlerFunc
		calls int
	}{
		{"page cap 1", server(1, false), 51},
		{"page cap 7", server(7, false), 9},
		{"page cap 1000", server(1000, false), 2},
		{"after includes the id it names", server(7, true), 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, tt.h)
			got, err := s.client(nil).Organizations(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 50 || got[0].ID != 1 || got[49].ID != 50 {
				t.Errorf("read %d organizations, want 1 to 50", len(got))
			}
			if n := len(s.requests()); n != tt.calls {
				t.Errorf("%d calls, want %d", n, tt.calls)
			}
		})
	}
	for _, tt := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"after ignored", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, orgs(1, 10)) },
			"the page after id 10 lists id 1 again; the server does not page as documented"},
		{"never ends", func(w http.ResponseWriter, r *http.Request) {
			after, _ := strconv.Atoi(r.URL.Query().Get("after"))
			writeJSON(w, 200, orgs(after+1, after+1))
		}, "still paging after 20 pages (20 organizations): the server does not end its paging with an empty page as documented"},
		{"an id of 0", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []Organization{{ID: 0, Name: "Zero"}}) },
			`GET /v2/organizations lists organization "Zero" with id 0, not a positive 32-bit integer`},
		{"a page answered null", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("after") == "" {
				writeJSON(w, 200, orgs(1, 3))
				return
			}
			io.WriteString(w, "null")
		}, "GET /v2/organizations answered null instead of a list"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func(n int) { maxOrganizationPages = n }(maxOrganizationPages)
			maxOrganizationPages = 20
			s := newStub(t, tt.h)
			_, err := s.client(nil).Organizations(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// BenchmarkHostileAnswers reads, through the client and over loopback,
// answers meant to cost: 128 MB of whitespace (linear: compare its MB/s
// with an ordinary list's), and a list that never ends (stopped at the
// object limit: peak-heap-MB is the most the heap held meanwhile).
//
//	go test -run '^$' -bench HostileAnswers -benchtime 1x ./internal/ninjaone
func BenchmarkHostileAnswers(b *testing.B) {
	serve := func(b *testing.B, body func(w io.Writer)) *Client {
		s := newStub(b, func(w http.ResponseWriter, r *http.Request) { body(w) })
		c := s.client(nil)
		c.retry.MaxAttempts = 1
		return c
	}
	b.Run("whitespace=128MB", func(b *testing.B) {
		chunk := []byte(strings.Repeat(" \n\t\r", 1<<18)) // 1 MiB
		c := serve(b, func(w io.Writer) {
			io.WriteString(w, "[")
			for range 128 {
				w.Write(chunk)
			}
			io.WriteString(w, "]")
		})
		b.SetBytes(128 << 20)
		for b.Loop() {
			if err := list(context.Background(), c, "/v2/user/technicians", nil, new([]User)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("endless-list", func(b *testing.B) {
		elem := []byte(strings.Repeat(`{"id":1},`, 1<<14))
		c := serve(b, func(w io.Writer) {
			io.WriteString(w, "[")
			for {
				if _, err := w.Write(elem); err != nil {
					return
				}
			}
		})
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		for b.Loop() {
			err := list(context.Background(), c, "/v2/user/technicians", nil, new([]User))
			if !errors.Is(err, errTooLarge) && !strings.Contains(fmt.Sprint(err), "objects") {
				b.Fatalf("err = %v", err)
			}
		}
		close(stop)
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	})
}
