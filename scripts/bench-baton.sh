#!/usr/bin/env bash
# Benchmark of `ninjaops baton sync`: syncs generated tenants of 10,000
# users (30,000 memberships) and 100,000 users (300,000 memberships), 500
# roles each, from the sandbox on loopback into a c1z (SQLite, the default,
# and Pebble), and prints the requests made, wall time, peak memory and c1z
# size of each, and how each grows from 10k to 100k. Each run is its own
# process so that the process's peak RSS (VmHWM) is that run's alone.
#
#   scripts/bench-baton.sh                 # both engines, both sizes, one sync each
#   ENGINES=sqlite BENCHTIME=3x scripts/bench-baton.sh
set -euo pipefail
cd "$(dirname "$0")/.."

benchtime="${BENCHTIME:-1x}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

go test -c -o "$out.test" ./internal/batonsync
trap 'rm -f "$out" "$out.test"' EXIT

for engine in ${ENGINES:-sqlite pebble}; do
  for users in 10000 100000; do
    echo "syncing a tenant of $users users into a $engine c1z..." >&2
    "$out.test" -test.run '^$' -test.bench "BenchmarkBatonSync/engine=${engine}/users=${users}\$" \
      -test.benchtime "$benchtime" -test.timeout 60m | tee -a "$out" >&2
  done
done

awk '
/^BenchmarkBatonSync\/engine=/ {
  # BenchmarkBatonSync/engine=sqlite/users=10000-2
  split($1, parts, /[=\/]/); e = parts[3]; u = parts[5]; sub(/-[0-9]+$/, "", u)
  for (i = 3; i < NF; i += 2) v[e, u, $(i+1)] = $i
  if (!(e in seen)) { seen[e] = 1; engines[++ne] = e }
  if (!((e, u) in have)) { have[e, u] = 1; sizes[e, ++ns[e]] = u }
}
function mb(x) { return sprintf("%.1f MB", x / 1e6) }
function ratio(e, a, b, k) { return v[e, a, k] > 0 ? v[e, b, k] / v[e, a, k] : 0 }
END {
  for (j = 1; j <= ne; j++) {
    e = engines[j]
    printf "\n%s c1z\n%-10s %10s %10s %14s %14s %12s\n", e, "users", "requests", "wall", "peak heap", "peak RSS", "c1z"
    for (k = 1; k <= ns[e]; k++) {
      u = sizes[e, k]
      printf "%-10s %10d %9.1fs %14s %14s %12s\n", u, v[e, u, "requests/op"], v[e, u, "ns/op"] / 1e9, \
        mb(v[e, u, "peak-heap-bytes"]), mb(v[e, u, "vmhwm-bytes"]), mb(v[e, u, "c1z-bytes"])
    }
    if (ns[e] == 2) {
      a = sizes[e, 1]; b = sizes[e, 2]
      printf "%-10s %9.2fx %9.2fx %13.2fx %13.2fx %11.2fx   (users and memberships: %.0fx)\n", "growth", \
        ratio(e, a, b, "requests/op"), ratio(e, a, b, "ns/op"), ratio(e, a, b, "peak-heap-bytes"), \
        ratio(e, a, b, "vmhwm-bytes"), ratio(e, a, b, "c1z-bytes"), b / a
    }
  }
}' "$out"
