package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

var sizes = []int{1_000, 10_000, 100_000}

// heapMB is the live heap after a collection, in MB.
func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// BenchmarkSandboxRead serves what a client's Snapshot reads (technicians,
// end users, roles with members) over loopback, for tenants of 1,000 to
// 100,000 users with 500 roles and three memberships per user. It reports
// the sandbox's own heap and the bytes served per read.
func BenchmarkSandboxRead(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			before := heapMB()
			tenant := sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1)
			srv, base := sandboxtest.New(b, sandbox.Options{Seed: tenant})
			tenant = nil
			heap := heapMB() - before
			tok := "Bearer " + getToken(b, base, "")
			client := &http.Client{}
			var bytes int64
			b.ResetTimer()
			for b.Loop() {
				bytes = 0
				for _, p := range []string{"/v2/user/technicians", "/v2/user/end-users", "/v2/user/roles"} {
					req, _ := http.NewRequest("GET", base+p, nil)
					req.Header.Set("Authorization", tok)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					m, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("%s: %d", p, resp.StatusCode)
					}
					bytes += m
				}
			}
			b.ReportMetric(heap, "sandbox-heap-MB")
			b.ReportMetric(float64(bytes)/(1<<20), "MB/read")
			b.ReportMetric(3, "requests/read")
			_ = srv
		})
	}
}

// BenchmarkSandboxUsersWithRoles serves GET /v2/users?includeRoles=true.
func BenchmarkSandboxUsersWithRoles(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			_, base := sandboxtest.New(b, sandbox.Options{Seed: sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1)})
			tok := "Bearer " + getToken(b, base, "")
			for b.Loop() {
				req, _ := http.NewRequest("GET", base+"/v2/users?includeRoles=true", nil)
				req.Header.Set("Authorization", tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// BenchmarkSandboxWrite applies writes to a journaled 100,000-user tenant,
// as an apply of thousands of changes does: each op is a create, a patch,
// a membership change and a delete, all persisted before answering.
func BenchmarkSandboxWrite(b *testing.B) {
	const n = 100_000
	srv, err := sandbox.New(sandbox.Options{Seed: sandbox.Generate(n, 1000, 3*n, 100, 1), StatePath: filepath.Join(b.TempDir(), "state.json")})
	if err != nil {
		b.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	tok := "Bearer " + getToken(b, base, "")
	do := func(method, path, body string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	i := 0
	for b.Loop() {
		id := 30_000 + i // an end user
		i++
		do("PATCH", fmt.Sprintf("/v2/user/end-user/%d", id), `{"firstName":"Renamed"}`)
		do("PATCH", "/v2/user/role/900/add-members", fmt.Sprintf("[%d]", id))
		do("DELETE", fmt.Sprintf("/v2/user/end-user/%d", id+50_000), "")
		do("POST", "/v2/user/end-users", `{"firstName":"New","lastName":"User","email":"new@customer1.example","organizationId":1}`)
	}
	b.StopTimer()
	start := time.Now()
	if err := srv.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "close-compact-ms")
	b.ReportMetric(4, "writes/op")
}

// BenchmarkGenerate builds a 100,000-user tenant with 1,000 roles and
// 300,000 memberships.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		sandbox.Generate(100_000, 1000, 300_000, 100, 1)
	}
}

// BenchmarkLoad starts a sandbox from a 100,000-user state file (parse,
// validate, index, compact).
func BenchmarkLoad(b *testing.B) {
	state := filepath.Join(b.TempDir(), "state.json")
	srv, err := sandbox.New(sandbox.Options{Seed: sandbox.Generate(100_000, 1000, 300_000, 100, 1), StatePath: state})
	if err != nil {
		b.Fatal(err)
	}
	srv.Close()
	for b.Loop() {
		srv, err := sandbox.New(sandbox.Options{StatePath: state})
		if err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}
