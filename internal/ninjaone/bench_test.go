package ninjaone_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

func liveHeapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// BenchmarkSnapshot reads whole tenants of 1,000, 10,000 and 100,000 users
// with 500 roles (three memberships per user) from the sandbox on loopback
// through the real client. It reports the requests one read takes (the
// same at every size), the sandbox's own heap, and the client's
// allocations (-benchmem); ns/op is the wall time of one read.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			before := liveHeapMB()
			srv, base := sandboxtest.New(b, sandbox.Options{Seed: sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1)})
			sandboxHeap := liveHeapMB() - before
			c, err := ninjaone.New(ninjaone.Config{BaseURL: base, ClientID: "sandbox", ClientSecret: "sandbox"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			// Fetch the token outside the measurement: it is reused.
			if err := c.Validate(ctx); err != nil {
				b.Fatal(err)
			}
			srv.ResetStats()
			b.ReportAllocs()
			b.ResetTimer()
			var snap *ninjaone.Snapshot
			for b.Loop() {
				if snap, err = c.Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got := len(snap.Technicians) + len(snap.EndUsers); got != n {
				b.Fatalf("read %d users, want %d", got, n)
			}
			b.ReportMetric(float64(srv.Stats().Total)/float64(b.N), "requests/read")
			b.ReportMetric(sandboxHeap, "sandbox-heap-MB")
		})
	}
}
