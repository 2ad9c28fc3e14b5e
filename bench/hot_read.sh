#!/usr/bin/env bash
# The hot path of issue 10, measured two ways, alternating with the baseline:
#   requests/s of `wrk -c$CONCURRENCY` (4 s) and Spin's CPU time per request
#   (`perf stat -e task-clock` on the Spin processes while wrk runs, else their CPU ticks in
#   /proc/<pid>/stat; see `measure_spin` in bench/lib.sh),
# for the do-nothing baseline, for the baseline plus one key-value round trip (bench/baseline-kv:
# the least any authenticated request does), for the services floor (bench/baseline-read: that
# round trip over the app's own session and cached copy, plus what Spin charges for the other
# services a cached read must use: the request's headers, the two token variables, a log line),
# and for an authenticated GET /api/books/{id} of a book read before (a read-cache hit). CPU per
# request is steadier than req/s on a shared machine, and it is what the ratio comes down to
# once the cores are busy.
#
# Needs: the components and both floors built (cargo build --target wasm32-wasip2 --release
# -p auth -p books -p generator -p reports -p ui -p baseline -p baseline-kv -p baseline-read), the
# Spin CLI (bench/lib.sh), wrk, curl, python3; perf if available (without it, /proc's CPU ticks).
# Usage: bench/hot_read.sh [ROUNDS]   (CONCURRENCY=16 bench/hot_read.sh for another level)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CONCURRENCY=${CONCURRENCY:-1}
source bench/lib.sh
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

start_named bench/baseline/spin.toml baseline
start_named bench/baseline-kv/spin.toml floor_kv
start_named spin.toml app

seed_cached_book "$URL_app"
token=$TOKEN book=$BOOK
# The services floor reads the app's own keys, so it runs over the app's state directory.
start_named bench/baseline-read/spin.toml floor_read
# The session, the data version and the cached copy exist once seed_cached_book has read the book.
keys=$(cached_read_keys "$work/app" "$token" "$book")


echo "concurrency $CONCURRENCY; per round: req/s and Spin's CPU µs per request; ratios of req/s to the baseline, the cached read's also to the services floor"
for round in $(seq 1 "$ROUNDS"); do
    read -r base_rps base_cpu < <(measure_spin "$PID_baseline" "$URL_baseline/")
    read -r kv_rps kv_cpu < <(measure_spin "$PID_floor_kv" "$URL_floor_kv/")
    read -r svc_rps svc_cpu < <(measure_spin "$PID_floor_read" "$URL_floor_read/?$keys" "authorization: Bearer $token")
    read -r read_rps read_cpu < <(measure_spin "$PID_app" "$URL_app/api/books/$book" "authorization: Bearer $token")
    python3 -c "print('round $round: baseline $base_rps req/s, $base_cpu µs; one key-value read $kv_rps req/s, $kv_cpu µs (%.2f); services floor $svc_rps req/s, $svc_cpu µs (%.2f); cached read $read_rps req/s, $read_cpu µs (%.2f; %.2f of the one-read floor, %.2f of the services floor)' % ($kv_rps / $base_rps, $svc_rps / $base_rps, $read_rps / $base_rps, $read_rps / $kv_rps, $read_rps / $svc_rps))"
done
