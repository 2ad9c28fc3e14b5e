#!/usr/bin/env bash
# Runs the browser tests against BASE_URL, or, when none is given, against the app under real
# `spin up` (SPIN_BIN, else `spin` on PATH) on a free loopback port with a fresh state directory.
# Expects the components built
# (`cargo build --target wasm32-wasip2 --release -p auth -p books -p generator -p reports -p ui`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ -x /usr/bin/chromium ] || { echo "chromium missing: apt-get install -y chromium" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)

if [ -z "${BASE_URL:-}" ]; then
  spin="${SPIN_BIN:-$(command -v spin || true)}"
  [ -n "$spin" ] || { echo "no Spin CLI: set SPIN_BIN or put spin on PATH (README, Testing)" >&2; exit 1; }
  state="$(mktemp -d)"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$spin" up --from "$root/spin.toml" --listen "127.0.0.1:$port" --state-dir "$state" >"$state/spin.log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$state"' EXIT
  BASE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do
    curl -fs -o /dev/null "$BASE_URL/api/health" && break
    kill -0 "$pid" 2>/dev/null || { cat "$state/spin.log" >&2; exit 1; }
    sleep 0.2
  done
  curl -fs -o /dev/null "$BASE_URL/api/health" || { echo "spin up did not answer" >&2; cat "$state/spin.log" >&2; exit 1; }
  echo "browser tests: $BASE_URL served by $("$spin" --version)"
  export BASE_URL
fi
cd "$here"
node --test --test-concurrency=1 ui.test.mjs
