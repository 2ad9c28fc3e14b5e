#!/usr/bin/env bash
# Builds the benchmark component, serves it with the test host on a free loopback port, asks
# it for one round of measurements (n iterations of each timed loop), prints the JSON, stops.
#   bench/auth/wasm/run.sh [n]         (default n=500)
# Needs the test host built (tools/spin-test-host/README.md); SPIN_TEST_HOST overrides its path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
n="${1:-500}"
source "$root/bench/lib.sh"
(cd "$here" && CARGO_TARGET_DIR="$root/target/auth-bench-wasm" cargo build --target wasm32-wasip2 --release --quiet)
state="$(mktemp -d)"
log="$state/host.log"
trap 'kill "${HOST_PID:-}" 2>/dev/null || true; rm -rf "$state"' EXIT
start_host "$here/spin.toml" "$state" "$log"
curl -sf --max-time 120 "$HOST_URL/?n=$n"
echo
