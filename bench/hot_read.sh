#!/usr/bin/env bash
# The hot path of issue 10, measured two ways, alternating with the baseline:
#   requests/s of `wrk -c$CONCURRENCY` (4 s) and Spin's CPU time per request
#   (`perf stat -e task-clock` on the `spin up` process while wrk runs),
# for the do-nothing baseline, for the baseline plus one key-value round trip (bench/baseline-kv:
# the least any authenticated request does), and for an authenticated GET /api/books/{id} of a
# book read before (a read-cache hit). CPU per request is steadier than req/s on a shared
# machine, and it is what the ratio comes down to once the cores are busy.
#
# Needs: the components and both floors built (cargo build --target wasm32-wasip2 --release
# -p auth -p books -p generator -p reports -p ui -p baseline -p baseline-kv), the Spin CLI
# (bench/lib.sh), wrk, perf, curl, python3.
# Usage: bench/hot_read.sh [ROUNDS]   (CONCURRENCY=16 bench/hot_read.sh for another level)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CONCURRENCY=${CONCURRENCY:-1}
source bench/lib.sh
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

start() { # manifest name -> sets URL_<name> and PID_<name>
    start_spin "$1" "$work/$2" "$work/$2.log" || exit 1
    pids+=("$SPIN_PID")
    printf -v "URL_$2" '%s' "$SPIN_URL"
    printf -v "PID_$2" '%s' "$SPIN_PID"
}
start bench/baseline/spin.toml baseline
start bench/baseline-kv/spin.toml floor_kv
start spin.toml app

seed_cached_book "$URL_app"
token=$TOKEN book=$BOOK

measure() { # pid url [header] -> "req/s cpu_us"
    perf stat -e task-clock -x, -p "$1" -o "$work/perf" -- sleep 4.3 >/dev/null 2>&1 &
    local perf_pid=$!
    sleep 0.2
    local n
    n=$(wrk -t1 -c"$CONCURRENCY" -d4s ${3:+-H "$3"} "$2" | awk '/ requests in / {print $1}')
    wait "$perf_pid"
    local ms
    ms=$(grep task-clock "$work/perf" | cut -d, -f1)
    python3 -c "print('%.0f %.0f' % ($n / 4, $ms * 1000 / $n))"
}

echo "concurrency $CONCURRENCY; per round: req/s and Spin's CPU µs per request; ratios of req/s to the baseline"
for round in $(seq 1 "$ROUNDS"); do
    read -r base_rps base_cpu < <(measure "$PID_baseline" "$URL_baseline/")
    read -r kv_rps kv_cpu < <(measure "$PID_floor_kv" "$URL_floor_kv/")
    read -r read_rps read_cpu < <(measure "$PID_app" "$URL_app/api/books/$book" "authorization: Bearer $token")
    python3 -c "print('round $round: baseline $base_rps req/s, $base_cpu µs; one key-value read $kv_rps req/s, $kv_cpu µs (%.2f); cached read $read_rps req/s, $read_cpu µs (%.2f; CPU %.2f)' % ($kv_rps / $base_rps, $read_rps / $base_rps, $base_cpu / $read_cpu))"
done
