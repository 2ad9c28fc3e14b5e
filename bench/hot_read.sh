#!/usr/bin/env bash
# The hot path of issue 10, measured two ways, alternating with the baseline:
#   requests/s of `wrk -c$CONCURRENCY` (4 s) and Spin's CPU time per request
#   (`perf stat -e task-clock` on the Spin processes while wrk runs, else their CPU ticks in
#   /proc/<pid>/stat; see `measure`),
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
# The services floor reads the app's own keys, so it runs over the app's state directory.
start bench/baseline-read/spin.toml floor_read
# The session, the data version and the cached copy exist once seed_cached_book has read the book.
keys=$(cached_read_keys "$work/app" "$token" "$book")


cpu_ticks() { # comma-separated pids -> their user + system CPU, in clock ticks
    # Fields 14 and 15 of /proc/<pid>/stat, counted after the ")" that ends the command name.
    local sum=0 pid fields
    for pid in ${1//,/ }; do
        read -r -a fields < <(sed 's/.*) //' "/proc/$pid/stat") || continue
        sum=$((sum + fields[11] + fields[12]))
    done
    echo "$sum"
}

PERF=$(command -v perf || true)
TICKS_PER_S=$(getconf CLK_TCK)

measure() { # pid url [header] -> "req/s cpu_us" (cpu_us "nan" when nothing could count it)
    local tree ticks_before ticks_after perf_pid="" n ms=""
    tree=$(spin_tree "$1")
    rm -f "$work/perf"
    ticks_before=$(cpu_ticks "$tree")
    if [ -n "$PERF" ]; then
        "$PERF" stat -e task-clock -x, -p "$tree" -o "$work/perf" -- sleep 4.3 >/dev/null 2>&1 &
        perf_pid=$!
    fi
    sleep 0.2
    n=$(wrk -t1 -c"$CONCURRENCY" -d4s ${3:+-H "$3"} "$2" | awk '/ requests in / {print $1}')
    if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; else sleep 0.1; fi
    ticks_after=$(cpu_ticks "$tree")
    [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "wrk completed no request against $2" >&2; exit 1; }
    # perf's CSV line is "msec,unit,task-clock,...": trust it only when it is a positive number.
    [ -f "$work/perf" ] && ms=$(awk -F, '$3 == "task-clock" && $1 ~ /^[0-9.]+$/ && $1 > 0 {print $1}' "$work/perf")
    if [ -z "$ms" ]; then
        # Said once per run (measure runs in a subshell, so a file remembers it).
        if [ ! -e "$work/fallback-noted" ]; then
            echo "perf stat counted nothing here (${PERF:-no perf}; $(head -c 300 "$work/perf" 2>/dev/null | tr '\n' ' ')); CPU from /proc/<pid>/stat ticks (1/$TICKS_PER_S s) instead" >&2
            touch "$work/fallback-noted"
        fi
        ms=$(python3 -c "print(($ticks_after - $ticks_before) * 1000 / $TICKS_PER_S)")
    fi
    python3 -c "ms = $ms; print('%.0f %s' % ($n / 4, '%.0f' % (ms * 1000 / $n) if ms > 0 else 'nan'))"
}

echo "concurrency $CONCURRENCY; per round: req/s and Spin's CPU µs per request; ratios of req/s to the baseline, the cached read's also to the services floor"
for round in $(seq 1 "$ROUNDS"); do
    read -r base_rps base_cpu < <(measure "$PID_baseline" "$URL_baseline/")
    read -r kv_rps kv_cpu < <(measure "$PID_floor_kv" "$URL_floor_kv/")
    read -r svc_rps svc_cpu < <(measure "$PID_floor_read" "$URL_floor_read/?$keys" "authorization: Bearer $token")
    read -r read_rps read_cpu < <(measure "$PID_app" "$URL_app/api/books/$book" "authorization: Bearer $token")
    python3 -c "print('round $round: baseline $base_rps req/s, $base_cpu µs; one key-value read $kv_rps req/s, $kv_cpu µs (%.2f); services floor $svc_rps req/s, $svc_cpu µs (%.2f); cached read $read_rps req/s, $read_cpu µs (%.2f; %.2f of the one-read floor, %.2f of the services floor)' % ($kv_rps / $base_rps, $svc_rps / $base_rps, $read_rps / $base_rps, $read_rps / $kv_rps, $read_rps / $svc_rps))"
done
