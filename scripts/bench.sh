#!/usr/bin/env bash
# The benchmarks of issues 2, 3, 4 and 9, in one run, with their figures:
#   - read: the client's Snapshot of tenants of 1,000, 10,000 and 100,000
#     users with 500 roles from the sandbox on loopback (requests per read,
#     wall time, allocations, the sandbox's heap);
#   - plan: the real plan command on the same tenants (plan/read against
#     the bare read measured in the same iteration, peak RSS of plan run
#     as its own process);
#   - apply: 1,000 creates and 2,000 memberships over 50 roles at 20 ms
#     latency (request count, wall time against the ideal);
#   - floor: ninjaops' read and plan of 10,000 and 100,000 users as whole
#     processes, alternated pair by pair with a minimal encoding/json
#     program that makes the same requests (internal/ninjaone/bench/floor):
#     medians, read/floor and plan/floor with their spread, the load, and
#     the start of each program alone (ninjaops --version against the floor).
# Not under -race. The machine is shared: compare ratios from one run.
#
#   scripts/bench.sh                # everything, one iteration each
#   BENCHTIME=3x scripts/bench.sh   # more iterations
#   NINJAOPS_BENCH_PAIRS=11 scripts/bench.sh   # more pairs against the floor
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${BENCHTIME:-1x}"

echo "== read (internal/ninjaone BenchmarkSnapshot)"
go test -run '^$' -bench 'BenchmarkSnapshot' -benchmem -benchtime "$benchtime" ./internal/ninjaone | grep -E '^Benchmark'

echo
echo "== plan and apply (cmd/ninjaops BenchmarkPlan, BenchmarkApply)"
go test -run '^$' -bench 'BenchmarkPlan|BenchmarkApply' -benchtime "$benchtime" -timeout 30m ./cmd/ninjaops | grep -E '^Benchmark'

echo
echo "== read and plan against the floor, as processes (cmd/ninjaops BenchmarkReadFloor)"
echo "load: $(uptime)"
go test -run '^$' -bench 'BenchmarkReadFloor' -benchtime 1x -timeout 60m ./cmd/ninjaops | grep -vE '^(goos|goarch|pkg|cpu|PASS|ok)'
