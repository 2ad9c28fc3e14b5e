#!/usr/bin/env bash
# The project's one test command (README, Testing): formatting, lints, native tests, the Wasm
# build with its import and size check, the test host's own tests, and the black-box suite
# over HTTP against the compiled components. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }
host_dir=tools/spin-test-host
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step "format"
cargo fmt --all --check
(cd "$host_dir" && cargo fmt --all --check)

step "lint"
cargo clippy --workspace --all-targets -- -D warnings

step "deploy manifests, runtime configs and the OpenAPI document"
python3 -m pytest -q -p no:cacheprovider tests/deploy tests/openapi

step "native tests"
# The black-box suite needs the release components and the test host built below; run here, it
# would fail on a fresh machine, or test a previous run's builds on a warm one.
cargo test --workspace --exclude folio-blackbox

step "wasm build (release)"
components=(auth books generator reports ui)
cargo build --target wasm32-wasip2 --release $(printf -- '-p %s ' "${components[@]}")
wasm=()
for c in "${components[@]}"; do wasm+=("target/wasm32-wasip2/release/$c.wasm"); done

step "wasm imports, exports and sizes"
cargo run --quiet -p wasm-check -- "${wasm[@]}"

step "test host: build and its own tests"
export CARGO_TARGET_DIR_HOST="${FOLIO_HOST_TARGET_DIR:-$PWD/$host_dir/target}"
(cd "$host_dir" && CARGO_TARGET_DIR="$CARGO_TARGET_DIR_HOST" cargo clippy --all-targets -- -D warnings)
(cd "$host_dir" && CARGO_TARGET_DIR="$CARGO_TARGET_DIR_HOST" cargo test --release)
(cd "$host_dir" && CARGO_TARGET_DIR="$CARGO_TARGET_DIR_HOST" cargo build --release)
export FOLIO_TEST_HOST="$CARGO_TARGET_DIR_HOST/release/spin-test-host"

step "black-box suite over HTTP"
if [ -n "${FOLIO_BASE_URL:-}" ]; then
  echo "served by: the app at $FOLIO_BASE_URL"
elif [ -n "${SPIN_BIN:-}" ] || command -v spin >/dev/null; then
  echo "served by: spin up ($(${SPIN_BIN:-spin} --version 2>/dev/null || echo spin))"
else
  echo "served by: the project's Spin-compatible test host ($FOLIO_TEST_HOST); no spin binary here"
fi
cargo test -p folio-blackbox -- --test-threads 4

step "browser tests: the UI in Debian's chromium (screenshots in tests/browser/artifacts/)"
SPIN_TEST_HOST="$FOLIO_TEST_HOST" tests/browser/run-with-test-host.sh

step "schemathesis: generated requests from the OpenAPI document, no 5xx, only documented statuses"
python3 tests/schemathesis/run.py
