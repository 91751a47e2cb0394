#!/usr/bin/env bash
# What durability costs: the drink route with a journal (every reply after
# fsync) against --in-memory, in one run, on the same machine.
#
#   bench/durability.sh [SERVER]     (default build/bin/fridgebank-server)
#
# The server is pinned to CPU 1 and wrk to CPU 0 (as ../shared/bench/compare.sh
# does). Per mode: create fridge `bench` with 1e9 drinks, warm up, then
# `wrk -t1 -c$CONNS -d$DURATION` POST /fridges/bench/drink {"drinksRequested":1}.
# For the durable run the journal's figures come from /metrics before and
# after the measured interval: commits per second and mean batch size.
# Env: DURATION (default 8s), CONNS (default 64), WARMUP (default 2s),
# DATA_DIR (default a fresh temporary directory: put it on the disk you mean
# to measure; tmpfs makes fsync free).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
DURATION=${DURATION:-8s}; CONNS=${CONNS:-64}; WARMUP=${WARMUP:-2s}
command -v wrk >/dev/null || { echo "durability.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$server" ] || { echo "durability.sh: no server at $server (make build)" >&2; exit 2; }

work=$(mktemp -d)
data_dir=${DATA_DIR:-$work/data}
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/drink.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"drinksRequested":1}'
wrk.headers["Content-Type"] = "application/json"
LUA

start() {  # mode flags...
  taskset -c 1 "$server" --port 0 "$@" >"$work/log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 200); do
    url=$(sed -n 's#^listening on \(http://[^ ]*\).*#\1#p' "$work/log" | head -1)
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || { echo "durability.sh: server did not start:" >&2; cat "$work/log" >&2; exit 1; }
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"name":"bench","drinks":1000000000}' "$url/fridges"
}

stop() { kill -TERM "$pid"; wait "$pid" || true; }

metric() { curl -sf "$url/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

warm_up() {
  taskset -c 0 wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$work/drink.lua" "$url/fridges/bench/drink" >/dev/null
}

measure() {
  taskset -c 0 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$work/drink.lua" \
    "$url/fridges/bench/drink" >"$work/wrk.out"
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$work/wrk.out"); non2xx=${non2xx:-0}
}

echo "== --in-memory: wrk -t1 -c$CONNS -d$DURATION (after $WARMUP warm-up)" >&2
start --in-memory
warm_up
measure
stop
memory_rps=$rps; memory_p99=$p99; memory_errors=$non2xx

echo "== --data-dir $data_dir: the same" >&2
mkdir -p "$data_dir"
start --data-dir "$data_dir"
warm_up
commits0=$(metric fridgebank_journal_commit_seconds_count)
entries0=$(metric fridgebank_journal_entries_total)
seconds0=$(metric fridgebank_journal_commit_seconds_sum)
measure
commits1=$(metric fridgebank_journal_commit_seconds_count)
entries1=$(metric fridgebank_journal_entries_total)
seconds1=$(metric fridgebank_journal_commit_seconds_sum)
stop

awk -v mr="$memory_rps" -v mp="$memory_p99" -v me="$memory_errors" \
    -v dr="$rps" -v dp="$p99" -v de="$non2xx" \
    -v c="$((commits1 - commits0))" -v e="$((entries1 - entries0))" \
    -v s0="$seconds0" -v s1="$seconds1" -v d="${DURATION%s}" -v conns="$CONNS" 'BEGIN {
  printf "| mode | req/s | p99 | non-2xx |\n| --- | ---: | ---: | ---: |\n"
  printf "| --in-memory | %.0f | %s | %d |\n", mr, mp, me
  printf "| durable (journal, fsync) | %.0f | %s | %d |\n", dr, dp, de
  printf "\ndurable / in-memory: %.2f at %d connections\n", dr / mr, conns
  printf "journal: %d commits in %ss = %.0f commits/s, mean batch %.1f writes, mean commit %.2f ms\n",
         c, d, c / d, (c ? e / c : 0), (c ? (s1 - s0) * 1000 / c : 0)
}'
