package batonsync

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
)

// BenchmarkBatonSync syncs a generated tenant from the sandbox on loopback
// into a c1z, with each storage engine, and reports, per sync: the requests made (from the
// sandbox's stats), the c1z's size, the peak heap in use during the sync
// above what was in use before it (the sandbox's tenant and the test's
// own state are in that baseline; the sandbox's encoding of its answers is
// not), and the process's peak RSS (VmHWM, meaningful when one size runs
// per process, as scripts/bench-baton.sh does). Wall time is ns/op.
//
//	go test -run '^$' -bench 'BatonSync/engine=sqlite/users=10000$' -benchtime 1x ./internal/batonsync
func BenchmarkBatonSync(b *testing.B) {
	for _, engine := range []Engine{SQLite, Pebble} {
		for _, size := range []struct{ users, roles, memberships, orgs int }{
			{10000, 500, 30000, 100},
			{100000, 500, 300000, 100},
		} {
			b.Run(fmt.Sprintf("engine=%s/users=%d", engine, size.users), func(b *testing.B) {
				benchSync(b, engine, sandbox.Generate(size.users, size.roles, size.memberships, size.orgs, 1))
			})
		}
	}
}

func benchSync(b *testing.B, engine Engine, tenant *sandbox.Tenant) {
	env := startSandbox(b, tenant, false)
	dir := b.TempDir()
	var requests, fileBytes, peak, grants int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env.resetStats(b)
		// A fresh client per sync, so the token is part of the cost as it
		// is for a one-shot run.
		s := sandboxServer(b, newClient(b, env.url, sbID, sbSecret, ""), Config{ValidateWithSnapshot: true})
		file := filepath.Join(dir, fmt.Sprintf("sync-%d.c1z", i))
		runtime.GC()
		sampler := startHeapSampler()
		b.StartTimer()

		sum, err := s.Sync(context.Background(), SyncOptions{File: file, Engine: engine})

		b.StopTimer()
		peak = max(peak, sampler.stop())
		if err != nil {
			b.Fatal(err)
		}
		requests = env.stats(b).Total
		fileBytes, grants = sum.FileBytes, sum.Grants
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		os.Remove(file)
		b.StartTimer()
	}
	b.ReportMetric(float64(requests), "requests/op")
	b.ReportMetric(float64(fileBytes), "c1z-bytes")
	b.ReportMetric(float64(peak), "peak-heap-bytes")
	b.ReportMetric(float64(grants), "grants")
	if hwm := vmHWM(); hwm > 0 {
		b.ReportMetric(float64(hwm), "vmhwm-bytes")
	}
}

// heapSampler tracks the peak of heap memory in use above the level at its
// start, sampled every few milliseconds through runtime/metrics (which,
// unlike ReadMemStats, does not stop the world).
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	base int64
	peak int64
}

var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

func heapInUse(s []metrics.Sample) int64 {
	metrics.Read(s)
	var n int64
	for _, m := range s {
		n += int64(m.Value.Uint64())
	}
	return n
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	h.base = heapInUse(samples)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			h.peak = max(h.peak, heapInUse(samples))
			select {
			case <-h.done:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// stop returns the peak heap in use above the starting level.
func (h *heapSampler) stop() int64 {
	close(h.done)
	h.wg.Wait()
	return max(h.peak-h.base, 0)
}

// vmHWM is the process's peak resident set size, from /proc (Linux only).
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
