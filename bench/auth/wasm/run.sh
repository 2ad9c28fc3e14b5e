#!/usr/bin/env bash
# Builds the benchmark component, serves it with the test host on a free loopback port, asks
# it for one round of measurements (n iterations of each timed loop), prints the JSON, stops.
#   bench/auth/wasm/run.sh [n]         (default n=500)
# Needs the test host built (tools/spin-test-host/README.md); HOST_BIN overrides its path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
n="${1:-500}"
host_bin="${HOST_BIN:-${CARGO_TARGET_DIR:-/work/cache/host-target}/release/spin-test-host}"
(cd "$here" && CARGO_TARGET_DIR="$root/target/auth-bench-wasm" cargo build --target wasm32-wasip2 --release --quiet)
state="$(mktemp -d)"
log="$state/host.log"
"$host_bin" --manifest "$here/spin.toml" --listen 127.0.0.1:0 --state-dir "$state" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$state"' EXIT
for _ in $(seq 1 100); do
  url="$(sed -n 's/^serving \(http:[^ ]*\).*/\1/p' "$log")"
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "${url:-}" ] || { cat "$log" >&2; exit 1; }
curl -sf --max-time 120 "$url/?n=$n"
echo
