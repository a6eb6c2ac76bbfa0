package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/batonsync/c1fake"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// BenchmarkBatonServe measures the full sync of a generated tenant in
// service mode, with each c1z engine: `ninjaops baton serve` as a process
// of its own, the sandbox on loopback and the fake ConductorOne in this
// process. Per sync it reports the seconds from the task being handed out
// to its FinishTask (read NinjaOne, write the c1z, upload it), the
// requests NinjaOne saw, the size of the c1z uploaded, and the serve
// process's peak RSS. scripts/bench-baton-serve.sh prints the table.
//
//	go test -run '^$' -bench 'BatonServe/engine=pebble/users=10000$' -benchtime 1x ./cmd/ninjaops
func BenchmarkBatonServe(b *testing.B) {
	for _, engine := range []string{"sqlite", "pebble"} {
		for _, users := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("engine=%s/users=%d", engine, users), func(b *testing.B) {
				benchServe(b, engine, sandbox.Generate(users, 500, 3*users, 100, 1))
			})
		}
	}
}

func benchServe(b *testing.B, engine string, tenant *sandbox.Tenant) {
	srv, url := sandboxtest.New(b, sandbox.Options{ClientID: "bench", ClientSecret: "bench-secret", Seed: tenant})
	c1, err := c1fake.Start(c1fake.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer c1.Close()
	dir := b.TempDir()
	peakFile := filepath.Join(dir, "peak")
	cmd := exec.Command("ninjaops", "baton", "serve")
	cmd.Env = append(c1.Env(), "PATH="+os.Getenv("PATH"), "HOME="+dir, "TMPDIR="+dir, peakRSSEnv+"="+peakFile,
		"BATON_NINJA_ONE_BASE_URL="+url, "BATON_NINJA_ONE_CLIENT_ID=bench", "BATON_NINJA_ONE_CLIENT_SECRET=bench-secret",
		"BATON_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, err := c1.Await(ctx, "the Hello", func(st c1fake.State) bool { return len(st.Hellos) > 0 }); err != nil {
		b.Fatal(err)
	}

	var wall time.Duration
	var requests, size int64
	i := 0
	for b.Loop() {
		srv.ResetStats()
		id := c1fake.ID(fmt.Sprintf("bench%d", i))
		i++
		c1.Enqueue(c1fake.SyncTask(id, engine))
		st, err := c1.Await(ctx, "FinishTask of "+id, func(st c1fake.State) bool { return st.Finished[id] != nil })
		if err != nil {
			b.Fatal(err)
		}
		if st.Finished[id].GetSuccess() == nil {
			b.Fatalf("the sync failed: %s", st.Finished[id].GetStatus().GetMessage())
		}
		tt := st.Times[id]
		wall += tt.Finished.Sub(tt.Handed)
		requests = srv.Stats().Total
		ups := st.Uploads[id]
		size = ups[len(ups)-1].Size
		for _, u := range ups {
			os.Remove(u.Path)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("ninjaops baton serve: %v", err)
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "sync-s")
	b.ReportMetric(float64(requests), "requests/sync")
	b.ReportMetric(float64(size), "c1z-bytes")
	if data, err := os.ReadFile(peakFile); err == nil {
		if kb, err := strconv.ParseFloat(strings.TrimSpace(string(data)), 64); err == nil {
			b.ReportMetric(kb*1024, "vmhwm-bytes")
		}
	}
}
