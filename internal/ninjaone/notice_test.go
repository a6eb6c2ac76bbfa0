package ninjaone

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// notices collects what OnNotice hears.
type notices struct {
	mu   sync.Mutex
	msgs []string
}

func (n *notices) add(x Notice) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, x.Message)
}

func (n *notices) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// noticed returns a client of cfg whose notices are collected and whose
// waits between attempts are not slept.
func noticed(t *testing.T, cfg Config) (*Client, *notices) {
	t.Helper()
	n := &notices{}
	cfg.ClientID, cfg.ClientSecret = "id", stubSecret
	cfg.OnNotice = n.add
	if cfg.Retry.MaxAttempts == 0 {
		cfg.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return c, n
}

// Errors that no retry can fix end the call at once, say what to check,
// and are not announced as retried.
func TestPermanentNetworkErrorsAreNotRetried(t *testing.T) {
	var sends atomic.Int32
	noHost := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sends.Add(1)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "eu.ninjarmm.con", IsNotFound: true}}
	})}
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sends.Add(1) }))
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sends.Add(1) }))
	defer plainSrv.Close()
	page404 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sends.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html><body><h1>404 Not Found</h1></body></html>")
	}))
	defer page404.Close()

	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"unknown host", Config{BaseURL: "https://eu.ninjarmm.con", HTTPClient: noHost},
			[]string{`POST /ws/oauth/token: NinjaOne at https://eu.ninjarmm.con cannot be reached: no such host "eu.ninjarmm.con"; check --base-url or --region`, "eu.ninjarmm.com"}},
		{"certificate refused", Config{BaseURL: tlsSrv.URL},
			[]string{"NinjaOne at " + tlsSrv.URL + " cannot be reached safely: its TLS certificate was refused", "x509"}},
		{"not TLS", Config{BaseURL: strings.Replace(plainSrv.URL, "http://", "https://", 1) + "/"},
			[]string{"does not answer in TLS", "check the base URL's scheme and port"}},
		{"token endpoint is a 404 page", Config{BaseURL: page404.URL},
			[]string{"POST /ws/oauth/token: 404 Not Found", "has no NinjaOne token endpoint (a web page answered instead): check --base-url or --region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A loopback https URL passes CheckBaseURL only with a real
			// host; the test servers are on 127.0.0.1.
			sends.Store(0)
			c, n := noticed(t, tt.cfg)
			err := c.Validate(context.Background())
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "attempts") {
				t.Errorf("error %q: retried", err)
			}
			if got := n.list(); len(got) != 0 {
				t.Errorf("notices %q; want none", got)
			}
			if s := sends.Load(); s > 1 {
				t.Errorf("%d requests reached the server; want at most 1", s)
			}
		})
	}
}

// The first retry of a call says why, once, whatever the number of retries.
func TestFirstRetryIsNoticed(t *testing.T) {
	refused, n := noticed(t, Config{BaseURL: "http://127.0.0.1:1"})
	err := refused.Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("connection refused: %v; want the error after 3 attempts", err)
	}
	if d := cmp.Diff([]string{"NinjaOne at http://127.0.0.1:1 is not answering (connection refused); retrying..."}, n.list()); d != "" {
		t.Errorf("connection refused: notices (-want +got):\n%s", d)
	}

	answer := func(status int, header string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if header != "" {
				w.Header().Set("Retry-After", header)
			}
			writeJSON(w, status, map[string]string{"resultCode": "BUSY"})
		}
	}
	html := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html>slow down</html>")
	}
	for _, tt := range []struct {
		name  string
		steps []http.HandlerFunc
		want  string
	}{
		{"503", []http.HandlerFunc{answer(503, ""), answer(503, ""), okUsers}, " answered 503 Service Unavailable; retrying..."},
		{"429", []http.HandlerFunc{answer(429, "2"), okUsers}, " is throttling requests (429 Too Many Requests); retrying in 2s..."},
		{"html", []http.HandlerFunc{html, okUsers}, " answered 200 with a page that is not the API's (throttling or maintenance); retrying..."},
		{"cut short", []http.HandlerFunc{func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `[{"id": 1`) }, okUsers},
			": the answer to GET /v2/user/technicians was cut short (unexpected EOF); retrying..."},
	} {
		s := newStub(t, sequence(tt.steps...))
		c, n := noticed(t, Config{BaseURL: s.srv.URL})
		var users []User
		if err := c.do(context.Background(), &call{method: http.MethodGet, path: "/v2/user/technicians", out: listOf[User]{p: &users, what: "user"}}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d := cmp.Diff([]string{"NinjaOne at " + s.srv.URL + tt.want}, n.list()); d != "" {
			t.Errorf("%s: notices (-want +got):\n%s", tt.name, d)
		}
	}
}

// A connection that is not made within slowConnect is noticed while the
// call still waits.
func TestSlowConnectIsNoticed(t *testing.T) {
	hang := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	})}
	heard := make(chan Notice, 1)
	c, err := New(Config{BaseURL: "https://eu.ninjarmm.com", ClientID: "id", ClientSecret: stubSecret, HTTPClient: hang,
		OnNotice: func(n Notice) { heard <- n }})
	if err != nil {
		t.Fatal(err)
	}
	c.slowConnect = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Validate(ctx) }()
	n := <-heard
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if want := "NinjaOne at https://eu.ninjarmm.com is not answering (no connection after 10ms); still trying..."; n.Message != want || n.Path != tokenPath {
		t.Errorf("notice %+v, want %q on %s", n, want, tokenPath)
	}
}

// OnTransfer hears each request start, each read of its answer, and its
// end; writes are marked.
func TestTransfersAreReported(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		okUsers(w, r)
	})
	var mu sync.Mutex
	type key struct{ method, path string }
	bytes := map[key]int64{}
	var events []string
	c, err := New(Config{BaseURL: s.srv.URL, ClientID: "id", ClientSecret: stubSecret, OnTransfer: func(tr Transfer) {
		mu.Lock()
		defer mu.Unlock()
		k := key{tr.Method, tr.Path}
		bytes[k] += tr.Read
		switch {
		case tr.Start:
			events = append(events, "start "+tr.Method+" "+tr.Path)
		case tr.Done:
			if tr.Bytes != bytes[k] {
				t.Errorf("%v: done with %d bytes, reads add up to %d", k, tr.Bytes, bytes[k])
			}
			w := ""
			if tr.Write {
				w = " (write)"
			}
			events = append(events, "done "+tr.Method+" "+tr.Path+w)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var users []User
	if err := c.do(context.Background(), &call{method: http.MethodGet, path: "/v2/user/technicians", out: listOf[User]{p: &users, what: "user"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTechnician(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"start POST /ws/oauth/token", "done POST /ws/oauth/token",
		"start GET /v2/user/technicians", "done GET /v2/user/technicians",
		"start DELETE /v2/user/technician/7", "done DELETE /v2/user/technician/7 (write)",
	}
	if d := cmp.Diff(want, events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if b := bytes[key{"GET", "/v2/user/technicians"}]; b == 0 {
		t.Error("no bytes reported for the list")
	}
}
