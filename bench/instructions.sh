#!/usr/bin/env bash
# Instructions the server executes per request, counted by callgrind. Unlike
# time, the count barely moves on a noisy machine, so it is the figure to
# compare before and after a change.
#
#   bench/instructions.sh [SERVER] [LOAD]     (defaults: build/bin/...)
#   SERVER_ARGS="--threads 1" bench/instructions.sh ../shared/peers/beast-bare/build/server
#
# The server runs in memory under callgrind (all its threads together); after
# a warm-up the counters are zeroed, fridgebank-load sends REQUESTS requests
# (default 20000) over 16 connections, and the counters are dumped.
# Env: REQUESTS, CONNS, SERVER_ARGS (default --in-memory; a peer takes its own).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
load=${2:-$root/build/bin/fridgebank-load}
REQUESTS=${REQUESTS:-20000}; CONNS=${CONNS:-16}; SERVER_ARGS=${SERVER_ARGS:---in-memory}
command -v valgrind >/dev/null || { echo "$0: needs valgrind (apt-get install valgrind)" >&2; exit 2; }

work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
valgrind --tool=callgrind --compress-strings=no --callgrind-out-file="$work/cg.out" \
  "$server" --port 0 $SERVER_ARGS >"$work/server.out" 2>"$work/valgrind.err" & # split on purpose
pid=$!
for _ in $(seq 600); do
  url=$(sed -n 's#^listening on \(http://[^ ]*\).*#\1#p' "$work/server.out" | head -1)
  [ -n "$url" ] && break
  sleep 0.1 # waiting for the server to start under valgrind
done
[ -n "$url" ] || { echo "$0: the server did not start" >&2; cat "$work/valgrind.err" >&2; exit 1; }

echo "| route | requests | instructions | per request |"
echo "| --- | ---: | ---: | ---: |"
for scenario in echo drink; do
  "$load" --url "$url" --scenario "$scenario" --requests 2000 --connections "$CONNS" --quiet >/dev/null
  callgrind_control --zero "$pid" >/dev/null 2>&1
  "$load" --url "$url" --scenario "$scenario" --requests "$REQUESTS" --connections "$CONNS" \
    --quiet --run-id "ir-$scenario" >"$work/$scenario.txt"
  rm -f "$work"/cg.out.*
  callgrind_control --dump="$scenario" "$pid" >/dev/null 2>&1
  dump=$(ls "$work"/cg.out.* | head -1)
  ir=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$dump")
  # The drink scenario also creates its fridge and reads it at the end.
  n=$REQUESTS; [ "$scenario" = drink ] && n=$((REQUESTS + 2))
  printf '| %s | %d | %d | %d |\n' "$scenario" "$n" "$ir" $((ir / n))
  cp "$dump" "$root/bench/results/callgrind.$scenario.out" 2>/dev/null || true
done
