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
