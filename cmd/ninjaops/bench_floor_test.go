package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox"
	"github.com/ninjaops/ninjaops/internal/ninjaone/sandbox/sandboxtest"
	"github.com/ninjaops/ninjaops/internal/plan"
)

// BenchmarkReadFloor measures ninjaops' read and plan of tenants of
// 10,000 and 100,000 users (500 roles, three memberships a user, as
// BenchmarkPlan) against a floor: internal/ninjaone/bench/floor, a
// minimal Go program that makes the same requests and decodes them with
// encoding/json into small structs. Everything runs as whole processes:
//   - plan is the ninjaops binary as released, built here with go build;
//   - read is ninjaops' read alone (readMain: the same flags, connection
//     and Snapshot as plan, then a count of what was read), which only
//     the test binary has: it runs as ninjaops-read. The test binary
//     also initialises the packages of the tests, so its start costs a
//     little more than the release binary's, never less;
//   - the floor, built here with go build.
//
// They read from one sandbox in this process, so the server's work is the
// same for every side.
//
// The machine is shared, so the sides alternate pair by pair: each round
// runs a (read, floor) pair and a (plan, floor) pair, A B in one round and
// B A in the next, and each ratio is taken within its pair. It reports
// medians over the pairs: each side's wall time and CPU time (user +
// system, which the load of other processes inflates less), and
// read/floor and plan/floor of both; the log has them with their spread
// (min and max over the pairs) and the machine's load average.
//
// It also times the start of each program alone (ninjaops --version
// against the floor's -h), which a short-lived process pays in full.
//
// NINJAOPS_BENCH_PAIRS sets the rounds (default 7); NINJAOPS_BENCH_USERS
// the tenant sizes (comma separated, default 10000,100000). The targets,
// at 100,000 users: read within 1.15x of the floor, plan within 1.6x.
func BenchmarkReadFloor(b *testing.B) {
	pairs := envInt(b, "NINJAOPS_BENCH_PAIRS", 7)
	sizes := []int{10_000, 100_000}
	if v := os.Getenv("NINJAOPS_BENCH_USERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("NINJAOPS_BENCH_USERS: %q is not a number of users", f)
			}
			sizes = append(sizes, n)
		}
	}
	bin := b.TempDir()
	ninjaopsBin := filepath.Join(bin, "ninjaops")
	floorBin := filepath.Join(bin, "floor")
	goBuild(b, ninjaopsBin, ".")
	readBin, err := exec.LookPath("ninjaops-read") // the test binary (TestMain)
	if err != nil {
		b.Fatal(err)
	}
	goBuild(b, floorBin, "../../internal/ninjaone/bench/floor")

	// What a process pays before it does anything: ninjaops --version
	// (the runtime and the initialisation of the whole package graph,
	// baton-sdk's included) against the floor's -h, alternated likewise.
	b.Run("startup", func(b *testing.B) {
		start := &benchSide{cmd: []string{ninjaopsBin, "--version"}}
		floor := &benchSide{cmd: []string{floorBin, "-h"}}
		for b.Loop() {
			start.wall, start.cpu, floor.wall, floor.cpu = nil, nil, nil, nil
			for i := range 2 * pairs {
				first, second := start, floor
				if i%2 == 1 {
					first, second = floor, start
				}
				first.timed(b, os.Environ())
				second.timed(b, os.Environ())
			}
		}
		b.ReportMetric(median(start.wall), "ninjaops-ms")
		b.ReportMetric(median(start.cpu), "ninjaops-cpu-ms")
		b.ReportMetric(median(floor.wall), "floor-ms")
		b.ReportMetric(median(floor.cpu), "floor-cpu-ms")
		b.Logf("\nstartup, %d pairs; load average %s\n  %-18s %-26s %s\n  %-18s %-26s %s\n  %-18s %-26s %s\n",
			2*pairs, loadAverage(), "", "wall ms: median [min max]", "cpu ms (user+sys): median [min max]",
			"ninjaops --version", spread(start.wall, "%.1f"), spread(start.cpu, "%.1f"),
			"floor -h", spread(floor.wall, "%.1f"), spread(floor.cpu, "%.1f"))
	})

	for _, n := range sizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			srv, base := sandboxtest.New(b, sandbox.Options{Seed: sandbox.Generate(n, 500, 3*n, max(n/100, 1), 1)})
			path := filepath.Join(b.TempDir(), "ninjaops.yaml")
			if err := os.WriteFile(path, benchDesired(b, base), 0o644); err != nil {
				b.Fatal(err)
			}
			conn := []string{"--base-url", base}
			procEnv := append(os.Environ(), "NINJAONE_CLIENT_ID=sandbox", "NINJAONE_CLIENT_SECRET=sandbox")
			sides := map[string]*benchSide{
				"read":  {cmd: append([]string{readBin}, conn...)},
				"plan":  {cmd: append([]string{ninjaopsBin, "plan", "-f", path}, conn...)},
				"floor": {cmd: []string{floorBin, "-organizations", base}},
			}
			want := map[string]string{
				"read":  fmt.Sprintf("%d technicians, %d end users, 500 roles", n/5, n-n/5),
				"floor": fmt.Sprintf("%d technicians, %d end users, 500 roles", n/5, n-n/5),
				"plan":  fmt.Sprintf("Plan: 0 to create, %d to update", n/100),
			}

			// One untimed run of each, to warm the caches and to check that
			// all three read the whole tenant with the same requests.
			var requests map[string]int64
			for _, name := range []string{"floor", "read", "plan"} {
				srv.ResetStats()
				out := sides[name].run(b, procEnv)
				if !strings.Contains(out, want[name]) {
					b.Fatalf("%s printed %q, want it to say %q", name, snippetOf(out), want[name])
				}
				got := srv.Stats().Requests
				if requests == nil {
					requests = got
				} else if !maps.Equal(got, requests) {
					b.Fatalf("%s made the requests %v, the floor %v: the floor must make the same ones", name, got, requests)
				}
			}

			load0 := loadAverage()
			// Per pair: read/floor and plan/floor, of wall and of CPU time.
			var ratios map[string][]float64
			for b.Loop() {
				ratios = map[string][]float64{}
				for _, s := range sides {
					s.wall, s.cpu = nil, nil
				}
				floor := sides["floor"]
				for i := range pairs {
					for _, name := range []string{"read", "plan"} {
						s := sides[name]
						first, second := s, floor
						if i%2 == 1 {
							first, second = floor, s
						}
						first.timed(b, procEnv)
						second.timed(b, procEnv)
						ratios[name] = append(ratios[name], s.wall[i]/floor.wall[len(floor.wall)-1])
						ratios[name+"-cpu"] = append(ratios[name+"-cpu"], s.cpu[i]/floor.cpu[len(floor.cpu)-1])
					}
				}
			}
			load1 := loadAverage()

			for _, name := range []string{"floor", "read", "plan"} {
				s := sides[name]
				b.ReportMetric(median(s.wall), name+"-ms")
				b.ReportMetric(median(s.cpu), name+"-cpu-ms")
			}
			for _, name := range []string{"read", "plan"} {
				b.ReportMetric(median(ratios[name]), name+"/floor")
				b.ReportMetric(median(ratios[name+"-cpu"]), name+"/floor-cpu")
			}
			var t strings.Builder
			fmt.Fprintf(&t, "%d users, %d pairs of each, %d CPUs; load average %s before, %s after\n", n, pairs, runtime.NumCPU(), load0, load1)
			fmt.Fprintf(&t, "  %-10s %-26s %s\n", "", "wall ms: median [min max]", "cpu ms (user+sys): median [min max]")
			for _, name := range []string{"floor", "read", "plan"} {
				s := sides[name]
				fmt.Fprintf(&t, "  %-10s %-26s %s\n", name, spread(s.wall, "%.0f"), spread(s.cpu, "%.0f"))
			}
			fmt.Fprintf(&t, "  %-10s %-26s %s  (target 1.15)\n", "read/floor", spread(ratios["read"], "%.3f"), spread(ratios["read-cpu"], "%.3f"))
			fmt.Fprintf(&t, "  %-10s %-26s %s  (target 1.6)\n", "plan/floor", spread(ratios["plan"], "%.3f"), spread(ratios["plan-cpu"], "%.3f"))
			b.Log("\n" + t.String())
		})
	}
}

// readMain is ninjaops with one more command, bench-read, run as
// `ninjaops-read FLAGS`: it connects as plan does (the same flags and
// environment), reads the tenant as plan does (the organizations too, as
// plan does for a file that names organizations by name, as an export
// does), and prints what it read. It is the read half of plan as a
// process of its own, started the way ninjaops starts, so that its time
// holds what a real run pays around the read. It lives in the test binary
// only: the released ninjaops has no such command.
func readMain() int {
	register(func(e *env) *cli.Command {
		return &cli.Command{
			Name:   "bench-read",
			Hidden: true,
			Flags:  connectionFlags(),
			Action: func(c *cli.Context) error {
				client, closeFn, err := connect(c, e)
				if err != nil {
					return err
				}
				defer closeFn()
				live, err := client.Snapshot(c.Context, ninjaone.SnapshotOptions{Organizations: true})
				if err != nil {
					return fmt.Errorf("reading NinjaOne: %w", err)
				}
				members := 0
				for _, r := range live.Roles {
					members += len(r.Members)
				}
				_, err = fmt.Fprintf(e.stdout, "%d technicians, %d end users, %d roles with %d members, %d organizations\n",
					len(live.Technicians), len(live.EndUsers), len(live.Roles), members, len(live.Organizations))
				return err
			},
		}
	})
	os.Args = append([]string{"ninjaops", "bench-read"}, os.Args[1:]...)
	return ninjaopsMain()
}

// benchSide is one of the programs compared, and its figures.
type benchSide struct {
	cmd       []string
	wall, cpu []float64 // ms, one per timed run
	lastCPU   time.Duration
}

// run runs the side once and returns its standard output.
func (s *benchSide) run(b *testing.B, env []string) string {
	b.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(s.cmd[0], s.cmd[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errb
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(s.cmd, " "), err, errb.String())
	}
	s.lastCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return out.String()
}

// timed runs the side once and records its wall and CPU time.
func (s *benchSide) timed(b *testing.B, env []string) {
	b.Helper()
	t0 := time.Now()
	s.run(b, env)
	s.wall = append(s.wall, float64(time.Since(t0).Microseconds())/1000)
	s.cpu = append(s.cpu, float64(s.lastCPU.Microseconds())/1000)
}

// benchDesired is the export of the tenant at base with 1% of the last
// names changed: a file that manages every user and leaves the plan work
// to do and text to print.
func benchDesired(b testing.TB, base string) []byte {
	b.Helper()
	c, err := ninjaone.New(ninjaone.Config{BaseURL: base, ClientID: "sandbox", ClientSecret: "sandbox"})
	if err != nil {
		b.Fatal(err)
	}
	live, err := c.Snapshot(context.Background(), ninjaone.SnapshotOptions{Organizations: true})
	if err != nil {
		b.Fatal(err)
	}
	desired, err := plan.Export(live, plan.ExportOptions{Source: "benchmark"})
	if err != nil {
		b.Fatal(err)
	}
	k := 0
	return regexp.MustCompile(`(?m)^(    last_name: \S+)$`).ReplaceAllFunc(desired, func(m []byte) []byte {
		k++
		if k%100 == 0 {
			// m shares the source's array: never append to it in place.
			return append(bytes.Clone(m), "-Changed"...)
		}
		return m
	})
}

// goBuild builds the package pkg (relative to this directory) into out.
func goBuild(b *testing.B, out string, args ...string) {
	b.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goCmd, append([]string{"build", "-o", out}, args...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s: %q is not a positive number", name, v)
	}
	return n
}

// loadAverage is the machine's 1, 5 and 15 minute load averages.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread renders the median of xs with their minimum and maximum.
func spread(xs []float64, format string) string {
	if len(xs) == 0 {
		return "-"
	}
	return fmt.Sprintf(format+" ["+format+" "+format+"]", median(xs), slices.Min(xs), slices.Max(xs))
}

func snippetOf(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
