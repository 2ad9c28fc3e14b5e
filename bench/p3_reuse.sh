#!/usr/bin/env bash
# What Spin 4.0.2's reuse of WASIp3 instances would save (docs/benchmarks.md, "WASIp3 instance
# reuse"): the WASIp2 floors the app is measured against (bench/baseline, bench/baseline-kv: a
# fresh instance per request) alternating with the same work as a WASIp3 component
# (bench/p3-floor: up to 128 requests per instance), req/s of `wrk -c$CONCURRENCY` (4 s) and
# Spin's CPU µs per request (measure_spin in bench/lib.sh).
#
# Needs: cargo build --target wasm32-wasip2 --release -p baseline -p baseline-kv, and
#        cargo build --manifest-path bench/p3-floor/Cargo.toml --target wasm32-wasip2 --release
# Usage: bench/p3_reuse.sh [ROUNDS]   (CONCURRENCY=1 bench/p3_reuse.sh for another level)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CONCURRENCY=${CONCURRENCY:-16}
source bench/lib.sh
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

start_named bench/baseline/spin.toml p2
start_named bench/baseline-kv/spin.toml p2kv
start_named bench/p3-floor/spin.toml p3

# One instance answering several requests in turn is what makes the comparison mean anything.
first=$(curl -fsS "$URL_p3/") second=$(curl -fsS "$URL_p3/")
echo "p3-floor: \"${first%$'\n'}\", then \"${second%$'\n'}\""

echo "concurrency $CONCURRENCY; per round: req/s and Spin's CPU µs per request"
for round in $(seq 1 "$ROUNDS"); do
    read -r p2_rps p2_cpu < <(measure_spin "$PID_p2" "$URL_p2/")
    read -r p3_rps p3_cpu < <(measure_spin "$PID_p3" "$URL_p3/")
    read -r p2kv_rps p2kv_cpu < <(measure_spin "$PID_p2kv" "$URL_p2kv/")
    read -r p3kv_rps p3kv_cpu < <(measure_spin "$PID_p3" "$URL_p3/kv")
    read -r kept_rps kept_cpu < <(measure_spin "$PID_p3" "$URL_p3/kv-kept")
    read -r batch_rps batch_cpu < <(measure_spin "$PID_p3" "$URL_p3/kv-batch")
    echo "round $round: do-nothing p2 $p2_rps req/s, $p2_cpu µs; p3 $p3_rps req/s, $p3_cpu µs | three key-value reads in one batch p2 $p2kv_rps req/s, $p2kv_cpu µs; p3 $batch_rps req/s, $batch_cpu µs | one by one, p3: $p3kv_rps req/s, $p3kv_cpu µs; the store kept open $kept_rps req/s, $kept_cpu µs"
done
