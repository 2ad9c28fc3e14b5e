#!/usr/bin/env bash
# The project's one test command (README, Testing): formatting, lints, native tests, the Wasm
# build with its import and size check, then every HTTP-level stage (the black-box suite, the
# browser tests, schemathesis) against the compiled components under real `spin up`.
# Exits non-zero on the first failure. Needs the Spin CLI: SPIN_BIN, else `spin` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Checked first, so a machine without Spin fails in a second rather than after the builds.
# There is no fallback host: the app is tested on the platform it runs on.
SPIN_BIN="${SPIN_BIN:-$(command -v spin || true)}"
if [ -z "$SPIN_BIN" ] || [ ! -x "$SPIN_BIN" ]; then
  echo "no Spin CLI: set SPIN_BIN or put spin on PATH (README, Testing: ../shared/spin/install," >&2
  echo "or https://spinframework.dev/install). The HTTP-level tests run on real spin up only." >&2
  exit 1
fi
export SPIN_BIN

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets -- -D warnings
# The Spin adapter and the components compile only for Wasm: lint them there too.
components=(auth books generator reports ui)
cargo clippy --target wasm32-wasip2 --release -p folio-spin $(printf -- '-p %s ' "${components[@]}") -- -D warnings

step "deploy manifests, runtime configs and the OpenAPI document"
python3 -m pytest -q -p no:cacheprovider tests/deploy tests/openapi

step "native tests"
# The black-box suite needs the release components built below; run here, it would fail on a
# fresh machine, or test a previous run's builds on a warm one.
cargo test --workspace --exclude folio-blackbox

step "wasm build (release)"
cargo build --target wasm32-wasip2 --release $(printf -- '-p %s ' "${components[@]}")
wasm=()
for c in "${components[@]}"; do wasm+=("target/wasm32-wasip2/release/$c.wasm"); done

step "wasm imports, exports and sizes"
cargo run --quiet -p wasm-check -- "${wasm[@]}"

step "black-box suite over HTTP"
if [ -n "${FOLIO_BASE_URL:-}" ]; then
  echo "served by: the app at $FOLIO_BASE_URL"
else
  echo "served by: spin up ($("$SPIN_BIN" --version))"
fi
cargo test -p folio-blackbox -- --test-threads 4

step "browser tests: the UI in Debian's chromium on spin up (screenshots in tests/browser/artifacts/)"
BASE_URL="${FOLIO_BASE_URL:-}" tests/browser/run-on-spin.sh

step "schemathesis on spin up: generated requests from the OpenAPI document, no 5xx, only documented statuses"
python3 tests/schemathesis/run.py ${FOLIO_BASE_URL:+--base-url "$FOLIO_BASE_URL"}

step "scale-out on real Spin: two replicas on shared stores, the OCI artifact through a registry"
python3 -m pytest -q -p no:cacheprovider tests/scaleout
