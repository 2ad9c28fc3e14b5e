# Shared by the shell benchmarks; source it, don't run it.
#
# Every benchmark runs on real Spin: SPIN_BIN when set, else `spin` on PATH (README, Testing,
# says how to install it). There is no other host.
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPIN="${SPIN_BIN:-$(command -v spin || true)}"

# start_spin MANIFEST STATE_DIR LOG: `spin up` of MANIFEST on a free loopback port with its state
# in STATE_DIR and its output in LOG; waits (up to 120 s) until it answers HTTP. Sets SPIN_PID
# and SPIN_URL; on failure prints the log and returns 1. The caller stops it (kill $SPIN_PID).
start_spin() {
    [ -n "$SPIN" ] && [ -x "$SPIN" ] || { echo "no Spin CLI: set SPIN_BIN or put spin on PATH" >&2; return 1; }
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$2"
    "$SPIN" up --from "$1" --listen "127.0.0.1:$port" --state-dir "$2" >"$3" 2>&1 &
    SPIN_PID=$!
    SPIN_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 1200); do
        # Any HTTP answer means it serves (a floor's manifest has no /api/health).
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$SPIN_URL/" || true)" != "000" ] && return 0
        kill -0 "$SPIN_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "spin up did not start serving $1:" >&2
    cat "$3" >&2
    return 1
}
