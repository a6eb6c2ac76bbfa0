#!/usr/bin/env bash
# Benchmark of `ninjaops baton serve`: the service-mode full sync of
# generated tenants of 10,000 users (30,000 memberships) and 100,000 users
# (300,000 memberships), 500 roles each, with each c1z engine. ConductorOne
# is the fake of the test suite and NinjaOne the sandbox, both on loopback;
# serve runs as its own process. Prints, per engine and size, the seconds
# from the task being handed out to its FinishTask (read NinjaOne, write the
# c1z, upload it), the NinjaOne requests of the sync, the c1z uploaded, and
# the serve process's peak RSS.
#
#   scripts/bench-baton-serve.sh               # both engines, both sizes, one sync each
#   ENGINES=pebble SIZES=100000 BENCHTIME=3x scripts/bench-baton-serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."

benchtime="${BENCHTIME:-1x}"
out="$(mktemp)"
trap 'rm -f "$out" "$out.test"' EXIT

# Without -race: the figures are the binary's, not the race detector's.
go test -c -o "$out.test" ./cmd/ninjaops

for engine in ${ENGINES:-sqlite pebble}; do
  for users in ${SIZES:-10000 100000}; do
    echo "service-mode sync of $users users into a $engine c1z..." >&2
    (cd cmd/ninjaops && "$out.test" -test.run '^$' -test.bench "BenchmarkBatonServe/engine=${engine}/users=${users}\$" \
      -test.benchtime "$benchtime" -test.timeout 60m) | tee -a "$out" >&2
  done
done

awk '
/^BenchmarkBatonServe\/engine=/ {
  split($1, parts, /[=\/]/); e = parts[3]; u = parts[5]; sub(/-[0-9]+$/, "", u)
  for (i = 3; i < NF; i += 2) v[e, u, $(i+1)] = $i
  rows[++n] = e SUBSEP u
}
function mb(x) { return sprintf("%.1f MB", x / 1e6) }
END {
  printf "\n%-8s %8s %10s %9s %12s %12s\n", "engine", "users", "sync", "requests", "c1z", "peak RSS"
  for (k = 1; k <= n; k++) {
    split(rows[k], r, SUBSEP); e = r[1]; u = r[2]
    printf "%-8s %8d %9.1fs %9d %12s %12s\n", e, u, v[e, u, "sync-s"], v[e, u, "requests/sync"], mb(v[e, u, "c1z-bytes"]), mb(v[e, u, "vmhwm-bytes"])
  }
}' "$out"
