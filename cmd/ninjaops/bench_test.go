package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
)

// The end-to-end benchmarks of the commands. scripts/bench.sh runs them
// and prints the figures the issues ask for.

// BenchmarkPlan plans tenants of 1,000, 10,000 and 100,000 users with 500
// roles (three memberships a user) served by the sandbox on loopback. The
// desired file manages every user (it is the tenant's export) with 1% of
// the last names changed, so the plan has work to do and text to print.
// Each iteration measures, one after the other:
//   - read: a new client's Snapshot, i.e. merely downloading and decoding
//     the list responses (the baseline of issue 3);
//   - plan: the real `ninjaops plan` command in this process (read the
//     file, read NinjaOne, load, diff, render);
//   - the bare read and plan, each as a process of its own (the test
//     binary runs as ninjaops-snapshot and ninjaops), for wall time and
//     peak resident memory (getrusage maxrss).
//
// It reports plan/read in process and as processes (target: at most 2),
// and the requests of one read.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			srv, base := sandboxtest.New(b, sandbox.Options{Seed: sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1)})
			ctx := context.Background()
			newClient := func() *ninjaone.Client {
				c, err := ninjaone.New(ninjaone.Config{BaseURL: base, ClientID: "sandbox", ClientSecret: "sandbox"})
				if err != nil {
					b.Fatal(err)
				}
				return c
			}
			desired := benchDesired(b, base)
			path := filepath.Join(b.TempDir(), "ninjaops.yaml")
			if err := os.WriteFile(path, desired, 0o644); err != nil {
				b.Fatal(err)
			}
			args := []string{"plan", "-f", path, "--base-url", base, "--client-id", "sandbox", "--client-secret", "sandbox"}

			var read, inproc, proc, readProc time.Duration
			var rss, readRSS float64
			var requests int64
			for b.Loop() {
				srv.ResetStats()
				t0 := time.Now()
				if _, err := newClient().Snapshot(ctx, ninjaone.SnapshotOptions{}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				requests = srv.Stats().Total

				var out, errb bytes.Buffer
				e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
				if code := run(ctx, e, append([]string{"ninjaops"}, args...)); code != exitOK {
					b.Fatalf("plan exited %d: %s", code, errb.String())
				}
				t2 := time.Now()
				if want := fmt.Sprintf("Plan: 0 to create, %d to update", n/100); !strings.Contains(out.String(), want) {
					b.Fatalf("plan does not say %q", want)
				}

				cmd := exec.Command("ninjaops-snapshot", base)
				cmd.Stderr = os.Stderr
				t3 := time.Now()
				readRSS = max(readRSS, childPeakMB(b, cmd))
				readProc += time.Since(t3)

				cmd = exec.Command("ninjaops", args...)
				cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
				t4 := time.Now()
				rss = max(rss, childPeakMB(b, cmd))
				proc += time.Since(t4)
				read, inproc = read+t1.Sub(t0), inproc+t2.Sub(t1)
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(float64(requests), "requests/read")
			b.ReportMetric(ms(read), "read-ms")
			b.ReportMetric(ms(inproc), "plan-ms")
			b.ReportMetric(float64(inproc)/float64(read), "plan/read")
			b.ReportMetric(ms(proc), "plan-process-ms")
			b.ReportMetric(ms(readProc), "read-process-ms")
			b.ReportMetric(float64(proc)/float64(readProc), "plan/read-process")
			b.ReportMetric(rss, "plan-peak-RSS-MB")
			b.ReportMetric(readRSS, "read-peak-RSS-MB")
		})
	}
}

// peakRSSEnv names a file in which a command run by the test binary
// writes its own peak resident memory (VmHWM, in kB) when it exits. The
// rusage of a child cannot be used: exec records the parent's peak in it,
// and the parent holds the whole sandbox.
const peakRSSEnv = "NINJAOPS_TEST_PEAK_RSS_FILE"

func exitRecordingPeak(code int) {
	if f := os.Getenv(peakRSSEnv); f != "" {
		if data, err := os.ReadFile("/proc/self/status"); err == nil {
			for line := range strings.Lines(string(data)) {
				if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					os.WriteFile(f, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB"))), 0o644)
				}
			}
		}
	}
	os.Exit(code)
}

// childPeakMB runs cmd with peakRSSEnv set and returns its peak RSS in MB.
func childPeakMB(b *testing.B, cmd *exec.Cmd) float64 {
	f := filepath.Join(b.TempDir(), "peak")
	cmd.Env = append(os.Environ(), peakRSSEnv+"="+f)
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v", cmd.Path, err)
	}
	data, err := os.ReadFile(f)
	if err != nil {
		b.Fatal(err)
	}
	kb, err := strconv.ParseFloat(string(data), 64)
	if err != nil {
		b.Fatal(err)
	}
	return kb / 1024
}

// snapshotMain is a process that merely downloads and decodes the tenant
// (ninjaops-snapshot BASEURL): BenchmarkPlan's baseline for plan run as
// its own process.
func snapshotMain() int {
	c, err := ninjaone.New(ninjaone.Config{BaseURL: os.Args[1], ClientID: "sandbox", ClientSecret: "sandbox"})
	if err == nil {
		_, err = c.Snapshot(context.Background(), ninjaone.SnapshotOptions{Organizations: true})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// BenchmarkApply creates 1,000 users and adds 2,000 memberships across 50
// roles through the real `ninjaops apply` command, against the sandbox
// answering each request after 20 ms. It reports the requests made (the
// minimum is 1 token + 4 reads + 1,000 creates + 50 add-members calls),
// the write requests, the wall time, and the ideal wall time: write
// requests x latency / parallelism, plus the read.
func BenchmarkApply(b *testing.B) {
	const (
		users       = 1000
		roles       = 50
		latency     = 20 * time.Millisecond
		parallelism = 4
	)
	seed := &sandbox.Tenant{}
	for r := range roles {
		seed.Roles = append(seed.Roles, sandbox.Role{ID: int32(r + 1), Name: fmt.Sprintf("Role %02d", r+1), Type: ninjaone.Technician})
	}
	var y strings.Builder
	y.WriteString("version: 1\nusers:\n")
	for i := range users {
		fmt.Fprintf(&y, "  - email: tech%04d@example.com\n    type: technician\n    first_name: Tech\n    last_name: Number%04d\n    roles: [Role %02d, Role %02d]\n",
			i, i, i%roles+1, (i+roles/2)%roles+1)
	}
	path := filepath.Join(b.TempDir(), "ninjaops.yaml")
	if err := os.WriteFile(path, []byte(y.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		srv, base := sandboxtest.New(b, sandbox.Options{Seed: seed, Latency: latency})
		var out, errb bytes.Buffer
		locks := b.TempDir()
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == envLockDir {
				return locks
			}
			return ""
		}}
		args := []string{"ninjaops", "apply", "-f", path, "--auto-approve", "--parallelism", fmt.Sprint(parallelism),
			"--base-url", base, "--client-id", "sandbox", "--client-secret", "sandbox"}
		b.StartTimer()
		start := time.Now()
		if code := run(context.Background(), e, args); code != exitOK {
			b.Fatalf("apply exited %d:\n%s", code, errb.String())
		}
		wall := time.Since(start)
		b.StopTimer()
		st := srv.Stats().Requests
		total := int64(0)
		for _, v := range st {
			total += v
		}
		writes := st["POST /v2/user/technicians"] + st["PATCH /v2/user/role/{roleId}/add-members"]
		// Three reads of the tenant: the plan's, and the users again just
		// before and just after the create phase.
		reads := total - writes - 1
		if writes != users+roles || st["GET /v2/user/technicians"] != 3 || reads%3 != 0 {
			b.Fatalf("requests %v: want %d writes, a token and three reads of the tenant", st, users+roles)
		}
		ideal := time.Duration(writes)*latency/parallelism + 4*latency // four round trips: token, then each read's lists at once
		b.ReportMetric(float64(total), "requests")
		b.ReportMetric(float64(writes), "write-requests")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "wall/ideal")
		srv.Close()
		b.StartTimer()
	}
}
