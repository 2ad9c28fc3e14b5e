#!/usr/bin/env bash
# Runs the browser tests against the app served by the project's test host, on a fresh state
# directory and a free port, when no BASE_URL is given. Expects the components built
# (`cargo build --target wasm32-wasip2 --release -p auth -p books -p generator -p reports -p ui`)
# and the host binary in SPIN_TEST_HOST (default: spin-test-host on PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ -x /usr/bin/chromium ] || { echo "chromium missing: apt-get install -y chromium" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)

if [ -z "${BASE_URL:-}" ]; then
  host="${SPIN_TEST_HOST:-spin-test-host}"
  state="$(mktemp -d)"
  log="$state/host.log"
  "$host" --manifest "$root/spin.toml" --listen 127.0.0.1:0 --state-dir "$state" >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; rm -rf "$state"' EXIT
  for _ in $(seq 1 100); do
    BASE_URL="$(grep -o 'serving http://[0-9.:]*' "$log" | head -1 | cut -d' ' -f2 || true)"
    [ -n "$BASE_URL" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.2
  done
  [ -n "$BASE_URL" ] || { echo "the test host did not start" >&2; cat "$log" >&2; exit 1; }
  export BASE_URL
fi
cd "$here"
node --test --test-concurrency=1 ui.test.mjs
