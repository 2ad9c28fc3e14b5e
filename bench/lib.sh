# Shared by the shell benchmarks; source it, don't run it.
#
# The test host's binary: SPIN_TEST_HOST when set, else where the project builds it
# (FOLIO_HOST_TARGET_DIR, as scripts/test.sh and bench/run.py use it, or the host's own target
# directory).
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST_BIN="${SPIN_TEST_HOST:-${FOLIO_HOST_TARGET_DIR:-$BENCH_ROOT/tools/spin-test-host/target}/release/spin-test-host}"

# start_host MANIFEST STATE_DIR LOG: serves MANIFEST on a free loopback port with its state in
# STATE_DIR and its output in LOG, and waits (up to 60 s) until it serves. Sets HOST_PID and
# HOST_URL; on failure prints the log and returns 1. The caller stops the host.
start_host() {
    [ -x "$HOST_BIN" ] || { echo "no test host at $HOST_BIN (tools/spin-test-host/README.md)" >&2; return 1; }
    "$HOST_BIN" --manifest "$1" --listen 127.0.0.1:0 --state-dir "$2" >"$3" 2>&1 &
    HOST_PID=$!
    HOST_URL=""
    for _ in $(seq 1 600); do
        HOST_URL=$(grep -o 'serving http://[0-9.:]*' "$3" | head -1 | cut -d' ' -f2 || true)
        [ -n "$HOST_URL" ] && return 0
        kill -0 "$HOST_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the test host did not start serving $1:" >&2
    cat "$3" >&2
    return 1
}
