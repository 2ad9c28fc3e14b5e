#!/usr/bin/env bash
# A crowd of sign-ins of made-up addresses against one build: CONNS connections (default 48) of
# wrk posting password grants for random unknown addresses for 8 s, while the peak RSS of the
# `spin` processes is sampled every 0.3 s and `GET /` (the UI, which touches no store) is timed
# by curl. Prints the peak RSS, sign-ins per second, wrk's p99 and the UI's median and slowest
# answer. DIR is a checkout with its components built (a fresh state directory per run).
#   CONNS=150 bench/signin_flood.sh DIR [PORT]
# Needs wrk, curl, ps and the Spin CLI on PATH.
set -u
dir=${1:?checkout with built components}; port=${2:-3470}; conns=${CONNS:-48}
work=$(mktemp -d /tmp/signin-flood.XXXX)
cat > "$work/unknown.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/x-www-form-urlencoded"
request = function()
  local u = "nobody" .. math.random(1, 1000000000) .. "%40example.com"
  return wrk.format(nil, nil, nil, "grant_type=password&username=" .. u .. "&password=correct+horse+battery")
end
LUA
(cd "$dir" && exec spin up --listen 127.0.0.1:"$port" --state-dir "$work/state" > "$work/spin.log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/api/health" && break; sleep 0.2; done
(wrk -t2 -c"$conns" -d8s -s "$work/unknown.lua" --latency "http://127.0.0.1:$port/api/auth/token" > "$work/wrk.txt" 2>&1) &
wrk_pid=$!
peak=0
latencies=()
while kill -0 $wrk_pid 2>/dev/null; do
  rss=$(ps -o rss= --ppid $pid -p $pid 2>/dev/null | awk '{s+=$1} END {print s+0}')
  [ "$rss" -gt "$peak" ] && peak=$rss
  latencies+=("$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/")")
  sleep 0.3
done
ui=$(printf '%s\n' "${latencies[@]}" | sort -n | awk '{a[NR]=$1} END {print "median", a[int(NR/2)+1], "s, max", a[NR], "s"}')
echo "$(basename "$dir"), $conns in flight: peak RSS $((peak / 1024)) MiB;" \
  "$(grep -E 'Requests/sec' "$work/wrk.txt" | tr -s ' ');" \
  "p99 $(grep ' 99%' "$work/wrk.txt" | awk '{print $2}'); GET / $ui"
