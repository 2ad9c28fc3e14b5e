#!/usr/bin/env bash
# Two builds of the app, A and B, compared on the cached authenticated book read: each under its
# own `spin up` over one state directory (so both read the same session and cached copy),
# measured alternately, ROUNDS times, with `wrk -c$CONCURRENCY` for 4 s: req/s and Spin's CPU
# µs per request (`perf stat -e task-clock` over the `spin` process tree: bench/lib.sh's
# `measure_spin`, as bench/hot_read.sh uses it). A change to the app's own code is a few per cent of a cached read, and on a shared
# 2-core machine one round differs from the next by more than that, so a change is judged by
# the paired rounds (A first in odd rounds, B first in even ones): the mean of B's CPU per
# request over A's, and how many rounds B won.
#
# DIR_A and DIR_B each hold the five components' .wasm files (auth, books, generator, reports,
# ui), e.g. a copy of target/wasm32-wasip2/release before a change and another after it. Run the
# same directory as A and B to see the machine's own spread.
#
# Needs: the Spin CLI (bench/lib.sh), wrk, curl, python3, perf.
# Usage: bench/ab_read.sh DIR_A DIR_B [ROUNDS]   (CONCURRENCY=1 bench/ab_read.sh ... for another level)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
ROUNDS=${3:-8}
CONCURRENCY=${CONCURRENCY:-16}
source bench/lib.sh
command -v perf >/dev/null || { echo "ab_read.sh needs perf (Debian: linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

declare -A url pid dir
dir[A]=$1 dir[B]=$2
for variant in A B; do
    dir[$variant]=$(cd "${dir[$variant]}" && pwd) || { echo "no directory ${dir[$variant]}" >&2; exit 1; }
    for component in auth books generator reports ui; do
        [ -f "${dir[$variant]}/$component.wasm" ] || { echo "${dir[$variant]} has no $component.wasm" >&2; exit 1; }
    done
done
for variant in A B; do
    # The app's manifest, its components taken from this variant's directory.
    sed "s|target/wasm32-wasip2/release/|${dir[$variant]}/|" spin.toml >"$work/$variant.toml"
    start_spin "$work/$variant.toml" "$work/state" "$work/$variant.log" || exit 1
    pids+=("$SPIN_PID")
    url[$variant]=$SPIN_URL
    pid[$variant]=$SPIN_PID
    # A seeds the account, the book and its cached copy; B then reads the same.
    if [ "$variant" = A ]; then seed_cached_book "$SPIN_URL"; fi
done
for _ in $(seq 1 20); do curl -s -o /dev/null "${url[B]}/api/books/$BOOK" -H "authorization: Bearer $TOKEN"; done

measure() { # variant -> "req/s cpu_us"
    measure_spin "${pid[$1]}" "${url[$1]}/api/books/$BOOK" "authorization: Bearer $TOKEN"
}

echo "concurrency $CONCURRENCY; per round: req/s and Spin's CPU µs per cached read (A first in odd rounds, B in even)"
: >"$work/rounds"
for round in $(seq 1 "$ROUNDS"); do
    # Who goes first alternates: the second of a pair tends to run on a warmer machine.
    if [ $((round % 2)) -eq 1 ]; then
        read -r a_rps a_cpu < <(measure A)
        read -r b_rps b_cpu < <(measure B)
    else
        read -r b_rps b_cpu < <(measure B)
        read -r a_rps a_cpu < <(measure A)
    fi
    echo "round $round: A $a_rps req/s, $a_cpu µs; B $b_rps req/s, $b_cpu µs"
    echo "$a_rps $a_cpu $b_rps $b_cpu" >>"$work/rounds"
done
python3 - "$work/rounds" <<'EOF'
import statistics, sys
rounds = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
cpu = [b / a for _, a, _, b in rounds]
rps = [b / a for a, _, b, _ in rounds]
won = sum(1 for r in cpu if r < 1)
print("B / A, CPU per request: mean %.3f, median %.3f, range %.3f-%.3f; B used less CPU in %d of %d rounds"
      % (statistics.mean(cpu), statistics.median(cpu), min(cpu), max(cpu), won, len(cpu)))
print("B / A, req/s: mean %.3f, median %.3f" % (statistics.mean(rps), statistics.median(rps)))
EOF
