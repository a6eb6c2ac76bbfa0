package ninjaone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// BenchmarkSnapshotClient is BenchmarkSnapshot without the sandbox's own
// work: the sandbox's answers for a generated tenant are recorded once
// and served from memory, so ns/op and allocs/op are the client's (the
// transfer on loopback, decoding, the consistency checks).
func BenchmarkSnapshotClient(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			bodies := recordSandbox(b, sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1),
				"/v2/user/technicians", "/v2/user/end-users", "/v2/user/roles", "/v2/users")
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/ws/oauth/token" {
					io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600,"scope":"monitoring management"}`)
					return
				}
				w.Write(bodies[r.URL.Path])
			}))
			b.Cleanup(srv.Close)
			c, err := ninjaone.New(ninjaone.Config{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := c.Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
				b.Fatal(err)
			}
			size := 0
			for _, body := range bodies {
				size += len(body)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// recordSandbox returns the sandbox's answers to GET paths for tenant.
func recordSandbox(b *testing.B, tenant *sandbox.Tenant, paths ...string) map[string][]byte {
	b.Helper()
	_, base := sandboxtest.New(b, sandbox.Options{Seed: tenant})
	resp, err := http.PostForm(base+"/ws/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"sandbox"}, "client_secret": {"sandbox"}, "scope": {"monitoring management"}})
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	out := map[string][]byte{}
	for _, p := range paths {
		req, _ := http.NewRequest(http.MethodGet, base+p, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(string(body), "[") {
			b.Fatalf("%s: %d %v %.100s", p, resp.StatusCode, err, body)
		}
		out[p] = body
	}
	return out
}
