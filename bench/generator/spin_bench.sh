#!/usr/bin/env bash
# 100,000 books inserted by one request to the real generator component under real `spin up`,
# with Spin's own SQLite files, a fresh state directory per round.
#
# Needs: the components built (`cargo build --target wasm32-wasip2 --release -p auth -p books
# -p generator -p reports -p ui`), the Spin CLI (SPIN_BIN or PATH; bench/lib.sh), curl and
# python3; MANIFEST another manifest than spin.toml (to compare builds of the generator, say).
# Usage: bench/generator/spin_bench.sh [COUNT] [ROUNDS]; KEEP_STATE=1 keeps each round's files
# (Spin's log, with the run's `generator_run` phase line, is in STATE/logs/generator_stderr.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-100000}
ROUNDS=${2:-3}
source bench/lib.sh

for round in $(seq 1 "$ROUNDS"); do
    state=$(mktemp -d)
    start_spin "${MANIFEST:-spin.toml}" "$state/state" "$state/spin.log" || exit 1
    spin_pid=$SPIN_PID url=$SPIN_URL
    trap 'kill "$spin_pid" 2>/dev/null || true' EXIT

    # The first account is an admin (no admin_emails configured): it may generate.
    curl -sf -X POST "$url/api/auth/register" -H 'content-type: application/json' \
        -d '{"email": "bench@example.com", "password": "bench-password-1"}' >/dev/null
    token=$(curl -sf -X POST "$url/api/auth/token" \
        -H 'content-type: application/x-www-form-urlencoded' \
        --data 'grant_type=password&username=bench%40example.com&password=bench-password-1' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    # Migrations run on the first SQL request: keep them out of the measured one.
    curl -sf "$url/api/generator/runs" -H "authorization: Bearer $token" >/dev/null

    out=$(curl -s -o "$state/run.json" -w '%{http_code} %{time_total}' -X POST "$url/api/generator/runs" \
        -H "authorization: Bearer $token" -H 'content-type: application/json' \
        -d "{\"count\": $COUNT, \"seed\": 1}")
    echo "round $round: HTTP status and seconds: $out; run: $(cat "$state/run.json")"
    grep -h '"generator_run"' "$state/state/logs/"*stderr* 2>/dev/null | tail -1 || true

    kill "$spin_pid" 2>/dev/null || true
    wait "$spin_pid" 2>/dev/null || true
    trap - EXIT
    if [ -n "${KEEP_STATE:-}" ]; then echo "state kept in $state"; else rm -rf "$state"; fi
done
