package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// A file that names organizations by name has them read as soon as it is
// loaded, alongside the user lists, not after them: on a real tenant that
// is two round trips fewer. Here the technicians are not answered until
// the organizations have been asked for (or, when they are never asked
// for meanwhile, after a while, and the test fails); the plan is the same.
func TestPlanReadsOrganizationsAlongsideLists(t *testing.T) {
	srv, base := sandboxtest.New(t, sandbox.Options{Seed: sandbox.Generate(40, 5, 60, 4, 1)})
	path := filepath.Join(t.TempDir(), "ninjaops.yaml")
	desired := benchDesired(t, base)
	if !strings.Contains(string(desired), "organization: ") {
		t.Fatalf("the export names no organization:\n%s", desired)
	}
	if err := os.WriteFile(path, desired, 0o644); err != nil {
		t.Fatal(err)
	}

	asked := make(chan struct{})
	var once atomic.Bool
	var orgsFirst atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/organizations":
			if once.CompareAndSwap(false, true) {
				close(asked)
			}
		case "/v2/user/technicians":
			select {
			case <-asked:
				orgsFirst.Store(true)
			case <-time.After(10 * time.Second):
			}
		}
		srv.ServeHTTP(w, r)
	}))
	defer front.Close()

	srv.ResetStats()
	var out strings.Builder
	var errb lockedBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, []string{"ninjaops", "plan", "-f", path, "--base-url", front.URL, "--client-id", "sandbox", "--client-secret", "sandbox"})
	if code != exitOK {
		t.Fatalf("plan exited %d: %s", code, errb.String())
	}
	if !orgsFirst.Load() {
		t.Error("the technicians were answered before the organizations were asked for: the organizations are read after the lists, not alongside them")
	}
	if !strings.Contains(out.String(), "No changes.") {
		t.Errorf("plan of the export: %s", out.String())
	}
	if got := srv.Stats().Requests["GET /v2/organizations"]; got != 2 {
		t.Errorf("%d requests for the organizations, want 2 (a page, then the empty one)", got)
	}
}
