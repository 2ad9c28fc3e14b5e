# Shared by the shell benchmarks; source it, don't run it.
#
# Every benchmark runs on real Spin: SPIN_BIN when set, else `spin` on PATH (README, Testing,
# says how to install it). There is no other host.
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPIN="${SPIN_BIN:-$(command -v spin || true)}"

# start_spin MANIFEST STATE_DIR LOG: `spin up` of MANIFEST on a free loopback port with its state
# in STATE_DIR and its output in LOG; waits (up to 120 s) until it answers HTTP. Sets SPIN_PID
# and SPIN_URL; on failure prints the log and returns 1. The caller stops it (kill $SPIN_PID).
start_spin() {
    [ -n "$SPIN" ] && [ -x "$SPIN" ] || { echo "no Spin CLI: set SPIN_BIN or put spin on PATH" >&2; return 1; }
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$2"
    "$SPIN" up --from "$1" --listen "127.0.0.1:$port" --state-dir "$2" >"$3" 2>&1 &
    SPIN_PID=$!
    SPIN_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 1200); do
        # Any HTTP answer means it serves (a floor's manifest has no /api/health).
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$SPIN_URL/" || true)" != "000" ] && return 0
        kill -0 "$SPIN_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "spin up did not start serving $1:" >&2
    cat "$3" >&2
    return 1
}

# start_named MANIFEST NAME: start_spin of MANIFEST with its state and log under $work/NAME,
# recorded in the caller's `pids` array (for its EXIT trap) and as URL_<NAME> and PID_<NAME>;
# exits the script when Spin does not start.
start_named() {
    start_spin "$1" "$work/$2" "$work/$2.log" || exit 1
    pids+=("$SPIN_PID")
    printf -v "URL_$2" '%s' "$SPIN_URL"
    printf -v "PID_$2" '%s' "$SPIN_PID"
}

# seed_cached_book URL: registers and signs in bench@example.com on the app at URL, creates one
# book and reads it until a miss has stored its copy in the read cache (one miss in 8 does, by
# default). Sets TOKEN and BOOK.
seed_cached_book() {
    local json='import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'
    curl -sf -X POST "$1/api/auth/register" -H 'content-type: application/json' \
        -d '{"email": "bench@example.com", "password": "bench-password-1"}' >/dev/null
    TOKEN=$(curl -sf -X POST "$1/api/auth/token" -H 'content-type: application/x-www-form-urlencoded' \
        --data 'grant_type=password&username=bench%40example.com&password=bench-password-1' | python3 -c "$json" access_token)
    BOOK=$(curl -sf -X POST "$1/api/books" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -d '{"title":"T","author":"A","genre":"Fiction","isbn":"9780306406157","published_year":2001,"pages":100,"price_cents":999,"language":"en"}' |
        python3 -c "$json" id)
    for _ in $(seq 1 40); do curl -s -o /dev/null "$1/api/books/$BOOK" -H "authorization: Bearer $TOKEN"; done
}

# cached_read_keys STATE_DIR TOKEN BOOK: the query naming the keys a cached read of BOOK reads
# (bench/cached_read_keys.py), for the services floor (bench/baseline-read); after seed_cached_book.
cached_read_keys() {
    python3 "$BENCH_ROOT/bench/cached_read_keys.py" "$@"
}

# spin_tree PID: PID and its descendants, comma-separated, for `perf stat -p`. Spin 4's `spin up`
# runs each trigger as a child process (`spin trigger http`), which serves every request;
# `perf stat -p` on the `spin up` process alone counted nothing (`<not counted>`: that process
# only waits), so Spin's CPU is taken over the whole process tree.
spin_tree() {
    local all=$1 child
    for child in $(pgrep -P "$1"); do all+=",$(spin_tree "$child")"; done
    echo "$all"
}

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

# measure_spin PID URL [HEADER]: "req/s cpu_us" of `wrk -t1 -c$CONCURRENCY -d4s` against URL, with
# the CPU of the `spin` process tree of PID per request (`perf stat -e task-clock`, else the
# /proc/<pid>/stat ticks; cpu_us is "nan" when nothing could count it). The caller sets
# CONCURRENCY and `work`, a scratch directory.
measure_spin() {
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
        # Said once per run (measure_spin runs in a subshell, so a file remembers it).
        if [ ! -e "$work/fallback-noted" ]; then
            echo "perf stat counted nothing here (${PERF:-no perf}; $(head -c 300 "$work/perf" 2>/dev/null | tr '\n' ' ')); CPU from /proc/<pid>/stat ticks (1/$TICKS_PER_S s) instead" >&2
            touch "$work/fallback-noted"
        fi
        ms=$(python3 -c "print(($ticks_after - $ticks_before) * 1000 / $TICKS_PER_S)")
    fi
    python3 -c "ms = $ms; print('%.0f %s' % ($n / 4, '%.0f' % (ms * 1000 / $n) if ms > 0 else 'nan'))"
}
