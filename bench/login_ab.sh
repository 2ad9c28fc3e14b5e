#!/usr/bin/env bash
# A/B of the sign-in path: OLD_DIR vs NEW_DIR (each a checkout with its components built), a
# fresh state directory for every cell, one account signed in by wrk at concurrency 16 for 8 s,
# the two builds alternating for ROUNDS rounds. Prints req/s, p99 and non-2xx answers per cell.
#   bench/login_ab.sh /path/to/old-checkout /path/to/new-checkout [ROUNDS]
# Needs wrk, curl and the Spin CLI on PATH. Each build needs its own migrations (fresh state).
set -u
OLD_DIR=${1:?old checkout}; NEW_DIR=${2:?new checkout}; ROUNDS=${3:-3}
mkdir -p /tmp/loginab
cat > /tmp/loginab/login.lua <<'LUA'
wrk.method = "POST"
wrk.body = "grant_type=password&username=ab%40example.com&password=correct+horse+battery"
wrk.headers["content-type"] = "application/x-www-form-urlencoded"
LUA
run() {
  local dir=$1 name=$2 port=$3
  local state=$(mktemp -d /tmp/loginab/state.XXXX)
  (cd "$dir" && spin up --listen 127.0.0.1:$port --state-dir "$state" > "$state/spin.log" 2>&1) &
  local pid=$!
  for i in $(seq 1 100); do curl -fs -o /dev/null http://127.0.0.1:$port/api/health && break; sleep 0.2; done
  curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"email":"ab@example.com","password":"correct horse battery"}' http://127.0.0.1:$port/api/auth/register
  curl -s -o /dev/null -X POST -H 'content-type: application/x-www-form-urlencoded' -d 'grant_type=password&username=ab%40example.com&password=correct+horse+battery' http://127.0.0.1:$port/api/auth/token
  local out=$(wrk -t2 -c16 -d8s --latency -s /tmp/loginab/login.lua http://127.0.0.1:$port/api/auth/token)
  local rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local p99=$(echo "$out" | awk '/ 99%/ {print $2}')
  local non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  echo "$name rps=$rps p99=$p99 non2xx=${non2xx:-0}"
  kill $pid; wait $pid 2>/dev/null; pkill -f "spin up --listen 127.0.0.1:$port" 2>/dev/null; rm -rf "$state"
}
for round in $(seq 1 "$ROUNDS"); do
  run "$OLD_DIR" old 3201
  run "$NEW_DIR" new 3202
done
