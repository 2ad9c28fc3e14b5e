#!/usr/bin/env bash
# What the request log costs under Spin: the app's cached book read at one concurrency, served
# by `spin up` as users run it (Spin writes each line a component prints to its log file and
# to its own stderr) and by `spin up --quiet` (the log file only: Spin 4.0.2 refuses the empty
# `--log-dir` its help offers for turning the file off), alternating, same data. The component
# writes its line either way; the difference is Spin's second copy of it.
# Needs: the components built, the Spin CLI (bench/lib.sh), wrk, curl, python3.
# Usage: bench/log_cost.sh [ROUNDS]   (CONCURRENCY=1 bench/log_cost.sh for another level)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CONCURRENCY=${CONCURRENCY:-16}
source bench/lib.sh
work=$(mktemp -d)
trap 'kill "${SPIN_PID:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

start_spin spin.toml "$work/state" "$work/spin.log"
seed_cached_book "$SPIN_URL"
token=$TOKEN book=$BOOK
kill "$SPIN_PID"; wait "$SPIN_PID" 2>/dev/null || true

measure() { # extra spin args... -> req/s
    SPIN_ARGS=("$@")
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$SPIN" up --from spin.toml --listen "127.0.0.1:$port" --state-dir "$work/state" "${SPIN_ARGS[@]}" >"$work/run.log" 2>&1 &
    SPIN_PID=$!
    for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    wrk -t2 -c"$CONCURRENCY" -d5s -H "authorization: Bearer $token" "http://127.0.0.1:$port/api/books/$book" |
        awk '/Requests\/sec/ {print $2}'
    kill "$SPIN_PID"; wait "$SPIN_PID" 2>/dev/null || true
}

echo "concurrency $CONCURRENCY; cached book read req/s: logs as users run Spin / spin up --quiet"
for round in $(seq 1 "$ROUNDS"); do
    with=$(measure)
    without=$(measure --quiet)
    python3 -c "print('round $round: $with / $without req/s (%.2f)' % ($with / $without))"
done
