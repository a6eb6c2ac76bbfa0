// Package sandboxtest starts NinjaOne sandboxes for tests, the way
// net/http/httptest starts servers. Every switch of the sandbox (shapes,
// truncated lists, roles without members, partial scopes, redirects,
// drips, faults) is a field of the sandbox.Options these take.
package sandboxtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone/contract"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// New starts a sandbox on a free loopback port and closes it when the test
// ends. It returns the server and its base URL.
func New(t testing.TB, opts sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing the sandbox: %v", err)
		}
	})
	return srv, url
}

// NewChecked is New with every exchange the sandbox serves validated
// against the OpenAPI description: the test fails with any violation.
// The validator is returned so a test can relax it (AllowUnknownRoutes)
// or look at what it saw.
func NewChecked(t testing.TB, opts sandbox.Options) (*sandbox.Server, string, *contract.Validator) {
	t.Helper()
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h, v := contract.Handler(t, srv)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("closing the sandbox: %v", err)
		}
	})
	return srv, ts.URL, v
}

// NewTLS starts a sandbox on https (a loopback test certificate) and
// returns it, its https base URL and an HTTP client that trusts it: for
// tests of what a client does when an https server redirects it to plain
// http or another host.
func NewTLS(t testing.TB, opts sandbox.Options) (*sandbox.Server, string, *http.Client) {
	t.Helper()
	srv, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("closing the sandbox: %v", err)
		}
	})
	return srv, ts.URL, ts.Client()
}
