#!/usr/bin/env bash
# Benchmark of the adoption round trip on the plan benchmark's tenants
# (1,000, 10,000 and 100,000 users, 500 roles, three memberships a user):
# read the tenant from the sandbox on loopback, export it, then plan the
# export as `ninjaops plan` does (read, load, diff), which must find no
# changes. Prints each phase's time, the file's size and the peak RSS.
# Each size runs in its own process (without -race), so the peak is its
# own.
#
#   scripts/bench-export.sh
#   SIZES="1000 10000" BENCHTIME=3x scripts/bench-export.sh
set -euo pipefail
cd "$(dirname "$0")/.."

benchtime="${BENCHTIME:-1x}"
out="$(mktemp)"
trap 'rm -f "$out" "$out.test"' EXIT

go test -c -o "$out.test" ./internal/plan

for users in ${SIZES:-1000 10000 100000}; do
  echo "round trip of a tenant of $users users..." >&2
  "$out.test" -test.run '^$' -test.bench "BenchmarkExportRoundTrip/users=${users}\$" \
    -test.benchtime "$benchtime" -test.timeout 30m | tee -a "$out" >&2
done

awk '
/^BenchmarkExportRoundTrip\/users=/ {
  split($1, parts, /[=-]/); u = parts[2]
  for (i = 3; i < NF; i += 2) v[u, $(i+1)] = $i
  sizes[++n] = u
}
END {
  printf "\n%-8s %9s %9s %9s %9s %9s %9s %9s %10s\n", "users", "read", "export", "plan", "(load)", "(diff)", "total", "file", "peak RSS"
  for (k = 1; k <= n; k++) {
    u = sizes[k]
    total = v[u, "read-ms"] + v[u, "export-ms"] + v[u, "plan-ms"]
    printf "%-8s %7.0fms %7.0fms %7.0fms %7.0fms %7.0fms %7.0fms %7.1fMB %8.0fMB\n", u, v[u, "read-ms"], v[u, "export-ms"], \
      v[u, "plan-ms"], v[u, "load-ms"], v[u, "diff-ms"], total, v[u, "file-MB"], v[u, "peak-RSS-MB"]
  }
}' "$out"
