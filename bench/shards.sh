#!/usr/bin/env bash
# Front end + N actor nodes: the drink route spread over 30 fridges, served
# by one process, by a front end over one node, and by a front end over
# three nodes (--actors-at A,B,C, the fridges sharded), all --in-memory,
# plain BASP, in one run.
#
#   bench/shards.sh [SERVER]     (default build/bin/fridgebank-server)
#
# Every server process shares CPU 1 and wrk runs on CPU 0: on this 2-core
# machine this measures what sharding costs, not what it gains (more nodes
# only help on more cores or machines). Env: DURATION, CONNS, WARMUP.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
[ -x "$server" ] || { echo "shards.sh: no server at $server (make build)" >&2; exit 2; }
source "$root/bench/lib.sh"
need_wrk

fridges=30
cat >"$work/spread.lua" <<LUA
local i = 0
request = function()
  i = (i + 1) % $fridges
  return wrk.format("POST", "/fridges/bench-" .. i .. "/drink",
                    {["Content-Type"] = "application/json"}, '{"drinksRequested":1}')
end
LUA

create_fridges() {
  for i in $(seq 0 $((fridges - 1))); do
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
      -d "{\"name\":\"bench-$i\",\"drinks\":1000000000}" "$url/fridges"
  done
}

# run_spread: warm up, then measure; sets $rps, $p99, $non2xx.
run_spread() {
  taskset -c 0 wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$work/spread.lua" "$url" >/dev/null
  taskset -c 0 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$work/spread.lua" "$url" \
    >"$work/wrk.out"
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$work/wrk.out"); non2xx=${non2xx:-0}
}

results=()
# front_end_over N: N nodes, a front end over them, measured, stopped.
front_end_over() {
  local n=$1 list="" nodes=()
  for i in $(seq 1 "$n"); do
    start_server "node$i" --in-memory --publish 0
    nodes+=("$pid"); list+="${list:+,}127.0.0.1:$published"
  done
  start_server "front$n" --actors-at "$list"
  create_fridges
  echo "== front end over $n node(s) ($list)" >&2
  run_spread
  stop_server "$pid"
  for p in "${nodes[@]}"; do stop_server "$p"; done
  results+=("front end + $n node(s)|$rps|$p99|$non2xx")
}

echo "== one process: wrk -t1 -c$CONNS -d$DURATION over $fridges fridges" >&2
start_server local --in-memory
create_fridges
run_spread
stop_server "$pid"
results+=("one process|$rps|$p99|$non2xx")
front_end_over 1
front_end_over 3

printf '| set-up | req/s | p99 | non-2xx |\n| --- | ---: | ---: | ---: |\n'
for r in "${results[@]}"; do
  IFS='|' read -r name r99 p n <<<"$r"
  printf '| %s | %.0f | %s | %s |\n' "$name" "$r99" "$p" "$n"
done
