package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

func TestToken(t *testing.T) {
	const secret = "s3cr:t/+ &x"
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {secret}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	for _, tc := range []struct {
		name   string
		opts   sandbox.Options
		method string
		body   url.Values
		basic  bool // credentials in HTTP Basic instead of the form
		ctype  string
		status int
		want   string // the body, or for a token its scope and expiry
	}{
		{name: "form credentials", body: form(), status: 200, want: `scope=monitoring management control expires_in=3600`},
		{name: "basic credentials", body: form("client_id", "", "client_secret", "", "scope", "management"), basic: true, status: 200, want: `scope=management expires_in=3600`},
		{name: "scopes as asked", body: form("scope", "management monitoring"), status: 200, want: `scope=management monitoring expires_in=3600`},
		{name: "token lifetime", opts: sandbox.Options{TokenTTL: 90 * time.Second}, body: form(), status: 200, want: `scope=monitoring management control expires_in=90`},
		{name: "unknown client", body: form("client_id", "other"), status: 404, want: `{"resultCode":"Client app not exist","errorMessage":"Client app not exist"}`},
		{name: "bad secret", body: form("client_secret", "guess"), status: 401, want: `{"error":"invalid_client","error_description":"Bad client credentials"}`},
		{name: "no client id", body: form("client_id", ""), status: 400, want: `{"error":"invalid_request","error_description":"client_id is missing"}`},
		{name: "unknown scope", body: form("scope", "monitoring admin"), status: 400,
			want: `{"error":"invalid_scope","error_description":"Scope \"admin\" is not granted to this client app (granted: monitoring management control)"}`},
		{name: "scope not granted", opts: sandbox.Options{Scopes: []string{"monitoring"}}, body: form("scope", "monitoring management"), status: 400,
			want: `{"error":"invalid_scope","error_description":"Scope \"management\" is not granted to this client app (granted: monitoring)"}`},
		{name: "other grant", body: form("grant_type", "password"), status: 400,
			want: `{"error":"unsupported_grant_type","error_description":"Grant type \"password\" is not supported: use client_credentials"}`},
		{name: "not a form", body: form(), ctype: "application/json", status: 400,
			want: `{"error":"invalid_request","error_description":"The token request must be application/x-www-form-urlencoded"}`},
		{name: "GET", method: "GET", status: 405, want: `{"error":"invalid_request","error_description":"The token endpoint takes POST"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tc.opts.ClientID, tc.opts.ClientSecret = "app", secret
			tc.opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv, base := sandboxtest.New(t, tc.opts)
			method := tc.method
			if method == "" {
				method = "POST"
			}
			req, _ := http.NewRequest(method, base+"/ws/oauth/token", strings.NewReader(tc.body.Encode()))
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ctype)
			if tc.basic {
				// As golang.org/x/oauth2 does: form-encoded, then Basic.
				req.SetBasicAuth(url.QueryEscape("app"), url.QueryEscape(secret))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body.Bytes())
			}
			if tc.status == 200 {
				var tr sandbox.TokenResponse
				if err := json.Unmarshal(body.Bytes(), &tr); err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprintf("scope=%s expires_in=%d", tr.Scope, tr.ExpiresIn); got != tc.want || tr.TokenType != "Bearer" || len(tr.AccessToken) < 32 {
					t.Errorf("got %s (%s), want %s", got, body.Bytes(), tc.want)
				}
				// The token works for what it was granted.
				got := call(t, base, "GET", "/v2/organizations", "Bearer "+tr.AccessToken, "", "")
				wantStatus := 200
				if !strings.Contains(tr.Scope, "monitoring") {
					wantStatus = 403
				}
				if got.status != wantStatus {
					t.Errorf("GET with the token: %d, want %d", got.status, wantStatus)
				}
				if strings.Contains(logs.String(), tr.AccessToken) {
					t.Error("the token appears in the logs")
				}
			} else if d := cmp.Diff(canon(t, []byte(tc.want)), canon(t, body.Bytes())); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
			if strings.Contains(body.String()+logs.String(), secret) {
				t.Error("the secret appears in an answer or the logs")
			}
			if n := srv.Stats().Requests["POST /ws/oauth/token"]; method == "POST" && n != 1 {
				t.Errorf("token calls counted %d times", n)
			}
		})
	}
}

// TestOAuth2Library checks the token endpoint against the library the
// client is built on, including its expiry.
func TestOAuth2Library(t *testing.T) {
	srv, base := sandboxtest.New(t, sandbox.Options{Seed: seed(t), TokenTTL: time.Millisecond})
	cfg := clientcredentials.Config{ClientID: "sandbox", ClientSecret: "sandbox", TokenURL: base + "/ws/oauth/token", Scopes: []string{"monitoring", "management"}}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Expiry.IsZero() {
		t.Error("token without an expiry")
	}
	// A token past its lifetime is refused.
	time.Sleep(20 * time.Millisecond)
	if got := call(t, base, "GET", "/v2/users", "Bearer "+tok.AccessToken, "", ""); got.status != 401 || code(got.body) != "not_authenticated" {
		t.Errorf("expired token: %d %s", got.status, got.body)
	}
	if n := srv.Stats().Requests["POST /ws/oauth/token"]; n != 1 {
		t.Errorf("%d token calls, want 1", n)
	}
	// The library's own client fetches a token and reads with it. The
	// token lives 5s here: a 1ms one could expire on its way over a busy
	// machine, which made this test flaky.
	srv, base = sandboxtest.New(t, sandbox.Options{Seed: seed(t), TokenTTL: 5 * time.Second})
	cfg.TokenURL = base + "/ws/oauth/token"
	if _, err := cfg.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err := cfg.Client(context.Background()).Get(base + "/v2/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET through oauth2: %d", resp.StatusCode)
	}
	if n := srv.Stats().Requests["POST /ws/oauth/token"]; n != 2 {
		t.Errorf("%d token calls, want 2", n)
	}
}

func TestStatsAndState(t *testing.T) {
	srv, base := sandboxtest.New(t, sandbox.Options{Seed: seed(t)})
	tok := "Bearer " + getToken(t, base, "")
	call(t, base, "GET", "/v2/users", tok, "", "")
	call(t, base, "PATCH", "/v2/user/role/5/add-members", tok, "application/json", `[3]`)
	call(t, base, "PATCH", "/v2/user/role/6/add-members", tok, "application/json", `[11]`)
	call(t, base, "GET", "/v2/nope", tok, "", "")
	call(t, base, "GET", "/elsewhere", tok, "", "") // not an API path: not counted

	got := call(t, base, "GET", "/_sandbox/stats", "", "", "")
	want := `{"total":5,"requests":{"GET /v2/nope":1,"GET /v2/users":1,"PATCH /v2/user/role/{roleId}/add-members":2,"POST /ws/oauth/token":1}}`
	if got.status != 200 || string(got.body) != want {
		t.Errorf("stats: %d %s\nwant %s", got.status, got.body, want)
	}
	if got := call(t, base, "POST", "/_sandbox/stats/reset", "", "", ""); got.status != 204 {
		t.Errorf("reset: %d", got.status)
	}
	if got := call(t, base, "GET", "/_sandbox/stats", "", "", ""); string(got.body) != `{"total":0,"requests":{}}` {
		t.Errorf("after reset: %s", got.body)
	}

	got = call(t, base, "GET", "/_sandbox/state", "", "", "")
	state, err := sandbox.ParseTenant("state", got.body)
	if err != nil {
		t.Fatalf("%v\n%s", err, got.body)
	}
	want2 := seed(t)
	want2.Roles[0].Members = []int32{1, 2, 3}
	if d := cmp.Diff(want2, state); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
	if d := cmp.Diff(srv.Tenant(), state); d != "" {
		t.Errorf("Tenant() and /_sandbox/state differ:\n%s", d)
	}
	// The control endpoints were not counted.
	if n := srv.Stats().Total; n != 0 {
		t.Errorf("control endpoints counted: %d", n)
	}
	if got := call(t, base, "GET", "/_sandbox/nothing", "", "", ""); got.status != 404 {
		t.Errorf("unknown control endpoint: %d", got.status)
	}
}

// faultRun sends n requests and returns the fault header (or the status)
// of each, one per line.
func faultRun(t *testing.T, opts sandbox.Options, n int, method, path, body string) (string, *sandbox.Server) {
	t.Helper()
	srv, base := sandboxtest.New(t, opts)
	tok := "Bearer " + getToken(t, base, "")
	// A fresh connection per request: net/http retries an idempotent
	// request once on a reused connection that was reset.
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	var out strings.Builder
	for range n {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := tr.RoundTrip(req)
		if err != nil {
			fmt.Fprintln(&out, "error")
			continue
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(&out, "%d %s %s %s\n", resp.StatusCode, resp.Header.Get(sandbox.FaultHeader), resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	return out.String(), srv
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		lines []string // the answers the kind may give
	}{
		{"429", []string{"429 429 0 application/json", "429 429 1 application/json"}},
		{"500", []string{"500 500  application/json"}},
		{"503", []string{"503 503  text/plain; charset=utf-8"}},
		{"html", []string{"200 html  text/html; charset=utf-8", "429 html  text/html; charset=utf-8"}},
		{"reset", []string{"error"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			out, srv := faultRun(t, sandbox.Options{Seed: seed(t), FaultRate: 1, FaultKinds: []string{tc.kind}, RandomSeed: 3}, 20, "GET", "/v2/users", "")
			seen := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				seen[l] = true
			}
			for _, l := range tc.lines {
				if !seen[l] {
					t.Errorf("never answered %q", l)
				}
				delete(seen, l)
			}
			if len(seen) > 0 {
				t.Errorf("unexpected answers: %v", seen)
			}
			// Faults count, the token call never fails.
			if s := srv.Stats(); s.Requests["GET /v2/users"] != 20 || s.Requests["POST /ws/oauth/token"] != 1 {
				t.Errorf("stats %v", s)
			}
		})
	}
}

func TestFaultsReproducible(t *testing.T) {
	opts := func(seed int64) sandbox.Options {
		return sandbox.Options{FaultRate: 0.5, RandomSeed: seed}
	}
	a, _ := faultRun(t, opts(42), 60, "GET", "/v2/organizations", "")
	b, _ := faultRun(t, opts(42), 60, "GET", "/v2/organizations", "")
	c, _ := faultRun(t, opts(43), 60, "GET", "/v2/organizations", "")
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n---\n%s", a, b)
	}
	if a == c {
		t.Error("another seed gave the same faults")
	}
	if !strings.Contains(a, "200  ") || !strings.Contains(a, "429") {
		t.Errorf("rate 0.5 should give both answers and faults:\n%s", a)
	}
}

// TestFaultsOnWrites: 429, 503 and HTML never apply a write; 500 and a
// reset sometimes do, which is what makes them ambiguous.
func TestFaultsOnWrites(t *testing.T) {
	const create = `{"firstName":"F","lastName":"L","email":"f@customer.example","organizationId":1}`
	users := func(srv *sandbox.Server) int { return len(srv.Tenant().Users) }

	out, srv := faultRun(t, sandbox.Options{Seed: seed(t), FaultRate: 1, FaultKinds: []string{"429", "503", "html"}, RandomSeed: 1}, 30, "POST", "/v2/user/end-users", create)
	if n := users(srv) - 5; n != 0 {
		t.Errorf("%d users created behind 429/503/html faults:\n%s", n, out)
	}

	out, srv = faultRun(t, sandbox.Options{Seed: seed(t), FaultRate: 1, FaultKinds: []string{"500"}, RandomSeed: 1}, 30, "POST", "/v2/user/end-users", create)
	applied := strings.Count(out, "500+applied")
	if n := users(srv) - 5; n != applied || applied == 0 || applied == 30 {
		t.Errorf("500: %d users created, %d answers said applied (want some, not all):\n%s", n, applied, out)
	}

	out, srv = faultRun(t, sandbox.Options{Seed: seed(t), FaultRate: 1, FaultKinds: []string{"reset"}, RandomSeed: 1}, 30, "POST", "/v2/user/end-users", create)
	if n := users(srv) - 5; n == 0 || n == 30 || strings.Count(out, "error") != 30 {
		t.Errorf("reset: %d users created behind 30 resets (want some, not all):\n%s", n, out)
	}

	// Reads are never "applied": a 500 on a GET is just a 500.
	out, _ = faultRun(t, sandbox.Options{Seed: seed(t), FaultRate: 1, FaultKinds: []string{"500"}}, 10, "GET", "/v2/users", "")
	if strings.Contains(out, "applied") {
		t.Errorf("a read said applied:\n%s", out)
	}
}

// TestFaultsThroughValidator: injected faults are skipped by the contract
// validator, everything else is still checked.
func TestFaultsThroughValidator(t *testing.T) {
	srv, err := sandbox.New(sandbox.Options{Seed: seed(t), FaultRate: 0.5, RandomSeed: 9})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h, v := contract.Handler(t, srv)
	ts := httptest.NewServer(h)
	defer ts.Close()
	tok := "Bearer " + getToken(t, ts.URL, "")
	tr := &http.Transport{DisableKeepAlives: true} // no retry after a reset
	for range 40 {
		req, _ := http.NewRequest("GET", ts.URL+"/v2/user/roles", nil)
		req.Header.Set("Authorization", tok)
		if resp, err := tr.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}
	ts.Close()
	// Close does not wait for handlers whose connection was hijacked (the
	// reset faults): wait for the validator to have seen all 40.
	checked, skipped := v.Checked()
	for deadline := time.Now().Add(30 * time.Second); checked+skipped < 40 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		checked, skipped = v.Checked()
	}
	if checked == 0 || skipped == 0 || checked+skipped != 40 {
		t.Errorf("checked %d, skipped %d of 40", checked, skipped)
	}
}

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		opts sandbox.Options
		want string
	}{
		{sandbox.Options{FaultRate: 1.5}, "sandbox: fault rate 1.5 must be between 0 and 1"},
		{sandbox.Options{FaultRate: -0.1}, "sandbox: fault rate -0.1 must be between 0 and 1"},
		{sandbox.Options{FaultKinds: []string{"429", "timeout"}}, `sandbox: unknown fault kind "timeout" (kinds: 429, 500, 503, html, reset)`},
		{sandbox.Options{Latency: -time.Second}, "sandbox: latency -1s is negative"},
		{sandbox.Options{Seed: &sandbox.Tenant{Roles: []sandbox.Role{{Name: "R", Type: "TECHNICIAN", Members: []int32{7}}}}}, `sandbox: seed: role "R": member 7 is not a user id`},
	} {
		_, err := sandbox.New(tc.opts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("New(%+v): %v, want %s", tc.opts, err, tc.want)
		}
	}
}

func TestLatency(t *testing.T) {
	_, base := sandboxtest.New(t, sandbox.Options{Latency: 30 * time.Millisecond})
	start := time.Now()
	call(t, base, "GET", "/_sandbox/stats", "", "", "") // control: no latency
	tok := getToken(t, base, "")
	call(t, base, "GET", "/v2/roles", "Bearer "+tok, "", "")
	// Two slept calls: a lower bound only, never an upper one.
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("two calls took %v with 30ms latency each", d)
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "sub", "sandbox.json")
	opts := sandbox.Options{Seed: seed(t), StatePath: state}

	// A sandbox that is never closed, as after a SIGKILL: its answered
	// writes are in the journal.
	a, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a)
	tok := "Bearer " + getToken(t, ts.URL, "")
	writes := [][3]string{
		{"POST", "/v2/user/end-users?sendInvitation=true", `{"firstName":"Dan","lastName":"New","email":"dan@customer.example","organizationId":2}`},
		{"PATCH", "/v2/user/role/6/add-members", `[12]`},
		{"PATCH", "/v2/user/technician/2", `{"lastName":"Smythe"}`},
		{"DELETE", "/v2/user/end-user/10", ``},
		{"PATCH", "/v2/user/role/5/remove-members", `[1]`},
	}
	for _, w := range writes {
		if got := call(t, ts.URL, w[0], w[1], tok, "application/json", w[2]); got.status >= 300 {
			t.Fatalf("%s %s: %d %s", w[0], w[1], got.status, got.body)
		}
	}
	ts.Close()
	final := a.Tenant()
	journal, err := os.ReadFile(sandbox.JournalPath(state))
	if err != nil || bytes.Count(journal, []byte("\n")) != len(writes) {
		t.Fatalf("journal: %v\n%s", err, journal)
	}
	// While a is alive, no other sandbox may use its state.
	if _, err := sandbox.New(opts); err == nil || !strings.Contains(err.Error(), "is in use by another sandbox") {
		t.Errorf("second sandbox on a live state: %v", err)
	}
	a.Crash()

	// Started again on the same state, with the seed ignored.
	opts.Seed = &sandbox.Tenant{}
	b, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(final, b.Tenant()); d != "" {
		t.Errorf("after a kill (-want +got):\n%s", d)
	}
	// Loading compacted the journal into the state file.
	if j, _ := os.ReadFile(sandbox.JournalPath(state)); len(j) != 0 {
		t.Errorf("journal not compacted: %s", j)
	}
	onDisk, err := sandbox.LoadTenant(state)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(final, onDisk); d != "" {
		t.Errorf("state file (-want +got):\n%s", d)
	}

	// A crash between writing the state file and emptying the journal
	// replays the journal over a state that already has it: same tenant.
	if err := os.WriteFile(sandbox.JournalPath(state), journal, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // b's journal is empty; it writes the same state
		t.Fatal(err)
	}
	if err := os.WriteFile(sandbox.JournalPath(state), journal, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(final, c.Tenant()); d != "" {
		t.Errorf("journal replayed twice (-want +got):\n%s", d)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close no write is accepted.
	ts = httptest.NewServer(c)
	defer ts.Close()
	tok = "Bearer " + getToken(t, ts.URL, "")
	if got := call(t, ts.URL, "DELETE", "/v2/user/end-user/11", tok, "", ""); got.status != 503 {
		t.Errorf("write after Close: %d %s", got.status, got.body)
	}
}

func TestJournalDamage(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "s.json")
	a, err := sandbox.New(sandbox.Options{Seed: seed(t), StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Opening and closing without a change leaves the state file alone
	// (a rewrite would drop the extra blank line).
	data, _ := os.ReadFile(state)
	data = append(data, '\n')
	os.WriteFile(state, data, 0o600)
	a, err = sandbox.New(sandbox.Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if after, _ := os.ReadFile(state); !bytes.Equal(after, data) {
		t.Error("the state file was rewritten without a change")
	}

	good := `{"op":"delete","id":10}` + "\n"
	// A torn last line (a write cut short by a crash, never answered) is
	// ignored.
	os.WriteFile(sandbox.JournalPath(state), []byte(good+`{"op":"delete","i`), 0o600)
	b, err := sandbox.New(sandbox.Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	if u := findUser(b.Tenant(), 10); u != nil {
		t.Error("the good line was not replayed")
	}
	b.Close()
	// A damaged line in the middle is an error naming it.
	os.WriteFile(sandbox.JournalPath(state), []byte(good+"garbage\n"+good), 0o600)
	_, err = sandbox.New(sandbox.Options{StatePath: state})
	want := "sandbox: " + sandbox.JournalPath(state) + ":2: invalid character 'g' looking for beginning of value (move the journal away to start from the state file alone)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// A damaged state file is an error naming it.
	os.WriteFile(state, []byte("{\"users\": [}"), 0o600)
	_, err = sandbox.New(sandbox.Options{StatePath: state})
	if err == nil || !strings.HasPrefix(err.Error(), "sandbox: state: "+state+":1:") {
		t.Errorf("got %v", err)
	}
}

// TestConcurrent hammers one sandbox with reads and writes at once; run
// with -race it checks the locking.
func TestConcurrent(t *testing.T) {
	srv, base := sandboxtest.New(t, sandbox.Options{Seed: sandbox.Generate(300, 10, 600, 3, 1), StatePath: filepath.Join(t.TempDir(), "s.json")})
	tok := "Bearer " + getToken(t, base, "")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				switch (w + i) % 4 {
				case 0:
					call(t, base, "GET", "/v2/user/roles", tok, "", "")
				case 1:
					call(t, base, "POST", "/v2/user/end-users", tok, "application/json", `{"firstName":"C","lastName":"C","email":"c@c","organizationId":1}`)
				case 2:
					call(t, base, "PATCH", "/v2/user/role/6/add-members", tok, "application/json", fmt.Sprintf("[%d]", 61+w*25+i))
				case 3:
					call(t, base, "DELETE", "/v2/user/end-user/"+fmt.Sprint(100+w*25+i), tok, "", "")
				}
			}
		}()
	}
	wg.Wait()
	if n := srv.Stats().Total; n != 201 {
		t.Errorf("%d requests counted, want 201", n)
	}
}
