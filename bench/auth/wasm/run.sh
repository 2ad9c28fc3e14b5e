#!/usr/bin/env bash
# Builds the benchmark component, serves it with `spin up` on a free loopback port, asks it for
# one round of measurements (n iterations of each timed loop), prints the JSON, stops.
#   bench/auth/wasm/run.sh [n]         (default n=500)
# Needs the Spin CLI (SPIN_BIN or PATH; bench/lib.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
n="${1:-500}"
source "$root/bench/lib.sh"
(cd "$here" && CARGO_TARGET_DIR="$root/target/auth-bench-wasm" cargo build --target wasm32-wasip2 --release --quiet)
state="$(mktemp -d)"
trap 'kill "${SPIN_PID:-}" 2>/dev/null || true; rm -rf "$state"' EXIT
start_spin "$here/spin.toml" "$state/state" "$state/spin.log"
curl -sf --max-time 120 "$SPIN_URL/?n=$n"
echo
