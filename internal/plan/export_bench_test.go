package plan

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// BenchmarkExportRoundTrip is the adoption path on the tenants the plan
// benchmarks use (n users, 500 roles, 3n memberships): read the tenant
// from a sandbox on loopback through the real client, export it, then
// plan the export as `ninjaops plan` does (read again, load, diff), which
// must find no changes. It reports each phase in milliseconds, the size
// of the file and the process's peak RSS. scripts/bench-export.sh prints them.
func BenchmarkExportRoundTrip(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			_, url := sandboxtest.New(b, sandbox.Options{Seed: sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1)})
			client, err := ninjaone.New(ninjaone.Config{BaseURL: url, ClientID: "sandbox", ClientSecret: "sandbox"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var read, export, reread, load, diff time.Duration
			var size int
			runtime.GC()
			for b.Loop() {
				t0 := time.Now()
				live, err := client.Snapshot(ctx, ninjaone.SnapshotOptions{Organizations: true})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				data, err := Export(live, ExportOptions{Source: "sandbox"})
				if err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				live, err = client.Snapshot(ctx, ninjaone.SnapshotOptions{Organizations: true})
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				d, err := Load("ninjaops.yaml", data)
				if err != nil {
					b.Fatal(err)
				}
				t4 := time.Now()
				p, err := Diff(d, live)
				if err != nil {
					b.Fatal(err)
				}
				t5 := time.Now()
				if len(p.Changes) != 0 {
					b.Fatalf("%d changes after the round trip, want none", len(p.Changes))
				}
				read, export, reread, load, diff = read+t1.Sub(t0), export+t2.Sub(t1), reread+t3.Sub(t2), load+t4.Sub(t3), diff+t5.Sub(t4)
				size = len(data)
			}
			ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
			b.ReportMetric(ms(read), "read-ms")
			b.ReportMetric(ms(export), "export-ms")
			b.ReportMetric(ms(reread+load+diff), "plan-ms")
			b.ReportMetric(ms(load), "load-ms")
			b.ReportMetric(ms(diff), "diff-ms")
			b.ReportMetric(float64(size)/1e6, "file-MB")
			b.ReportMetric(peakRSS()/1e6, "peak-RSS-MB")
		})
	}
}

// peakRSS is the process's peak resident memory (VmHWM) in bytes, 0 where
// /proc is not there. The sandbox serving the tenant is in the same
// process, so it counts too; scripts/bench-export.sh runs each size in a
// process of its own so the figure is that size's alone.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return float64(kb * 1024)
		}
	}
	return 0
}
