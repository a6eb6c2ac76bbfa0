package plan

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// genFile writes a desired-state file of n users the way an export of a
// large tenant looks: mostly end users of 200 organizations, some
// technicians, zero to three roles each out of 500, some absent users.
func genFile(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 180)
	b.WriteString("# Generated for tests: ninjaops export of a large tenant.\nversion: 1\nsettings:\n" +
		"  unmanaged_users: report\n  protected: [\"root@example.com\", \"*@vendor.example\"]\n" +
		"roles:\n  - name: Helpdesk\n    type: technician\n    exclusive: true\nusers:\n")
	for i := range n {
		switch {
		case i%50 == 49:
			fmt.Fprintf(&b, "  - email: gone%07d@example.com\n    state: absent\n", i)
		case i%10 == 0:
			fmt.Fprintf(&b, "  - email: tech%07d@example.com\n    type: technician\n    first_name: Tech\n    last_name: \"Number %d\"\n    roles: [Helpdesk, Tier %d]\n",
				i, i, i%3)
		default:
			fmt.Fprintf(&b, "  - email: user%07d@customer%d.example\n    type: end_user\n    first_name: First%d\n    last_name: Last%d\n    organization: Organization %d\n",
				i, i%200, i, i, i%200)
			switch i % 4 {
			case 0:
				b.WriteString("    roles: []\n")
			case 1:
				fmt.Fprintf(&b, "    roles: [Portal Users]\n")
			case 2:
				fmt.Fprintf(&b, "    roles: [Portal Users, Role %d]\n", i%500)
			case 3:
				fmt.Fprintf(&b, "    full_portal_access: true\n    roles:\n      - Role %d\n      - Role %d\n      - Role %d\n", i%500, (i+1)%500, (i+2)%500)
			}
		}
	}
	return b.Bytes()
}

// peakHeap runs f and returns by how much the heap's live and not yet
// swept objects grew above what they were before, at most, sampling every
// millisecond.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

const mib = 1 << 20

// TestLoad50MB loads a generated 50 MB file, more than twice the size of a
// 100,000-user export. Load must either load it in memory bounded by a
// small multiple of its size, or refuse it with a clear error. (Loading
// the whole yaml.Node tree at once would take about 25 times the size.)
func TestLoad50MB(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50 MB")
	}
	if raceEnabled {
		t.Skip("the race detector makes this take minutes; it runs without -race")
	}
	n := 0
	data := genFile(0)
	for len(data) < 50*mib {
		n += 50_000
		data = genFile(n)
	}
	var d *Desired
	var err error
	peak := peakHeap(func() { d, err = Load("big.yaml", data) })
	size := uint64(len(data))
	t.Logf("%d users, %.1f MiB: peak heap growth %.0f MiB (%.1fx the file)", n, float64(size)/mib, float64(peak)/mib, float64(peak)/float64(size))
	if err != nil {
		if !strings.Contains(err.Error(), "the limit is") {
			t.Fatalf("refused without a clear reason: %.500v", err)
		}
		return
	}
	if len(d.Users) != n {
		t.Fatalf("loaded %d users, want %d", len(d.Users), n)
	}
	if limit := 9 * size; peak > limit {
		t.Errorf("peak heap growth %d MiB is over %d MiB (9x the file)", peak/mib, limit/mib)
	}
	runtime.KeepAlive(d)
}

// BenchmarkLoad loads files of 1,000, 10,000 and 100,000 users and reports
// time, allocations, throughput and the peak heap growth of one load.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		data := genFile(n)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			var d *Desired
			peak := peakHeap(func() { d, _ = Load("bench.yaml", data) })
			runtime.KeepAlive(d)
			d = nil
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := Load("bench.yaml", data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
			b.ReportMetric(float64(len(data))/mib, "file-MiB")
		})
	}
}

// BenchmarkLoadWhole is BenchmarkLoad with the whole document parsed by
// yaml.v3 at once, the loader's fallback, for comparison.
func BenchmarkLoadWhole(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		data := genFile(n)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			var d *Desired
			peak := peakHeap(func() { d, _ = load("bench.yaml", data, loadOptions{whole: true}) })
			runtime.KeepAlive(d)
			d = nil
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := load("bench.yaml", data, loadOptions{whole: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
		})
	}
}

// TestLoadManyTinyBadItems loads a hostile file of two million empty
// users: it is refused with the diagnostics capped, and the users after
// the cap are not kept, so memory stays bounded by the file's size.
func TestLoadManyTinyBadItems(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("loads 10 MB")
	}
	data := []byte("version: 1\nusers:\n" + strings.Repeat("- {}\n", 2_000_000))
	var err error
	peak := peakHeap(func() { _, err = Load("tiny.yaml", data) })
	t.Logf("%.1f MiB: peak heap growth %.0f MiB", float64(len(data))/mib, float64(peak)/mib)
	checkDiagnosticsOf(t, "tiny.yaml", err)
	if !strings.HasSuffix(err.Error(), "more not shown (fix the ones above and run again)") {
		t.Errorf("the diagnostics are not capped: %.300s", err.Error()[len(err.Error())-300:])
	}
	// Keeping every item would take some 100x the file.
	if limit := uint64(25 * len(data)); peak > limit {
		t.Errorf("peak heap growth %d MiB is over %d MiB (25x the file)", peak/mib, limit/mib)
	}
}
