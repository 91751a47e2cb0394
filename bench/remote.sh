#!/usr/bin/env bash
# What distribution costs: the drink route served by a front end whose
# actors live in another process (--actors-at, CAF's middleman on loopback)
# against one process, both --in-memory, in one run.
#
#   bench/remote.sh [SERVER]     (default build/bin/fridgebank-server)
#
# Both processes of the remote set-up share CPU 1 (as the single process
# does); wrk runs on CPU 0. Env: DURATION, CONNS, WARMUP (bench/lib.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
[ -x "$server" ] || { echo "remote.sh: no server at $server (make build)" >&2; exit 2; }
source "$root/bench/lib.sh"

echo "== one process: wrk -t1 -c$CONNS -d$DURATION (after $WARMUP warm-up)" >&2
start_server local --in-memory
create_bench_fridge
warm_up
measure
stop_server "$pid"
local_rps=$rps; local_p99=$p99; local_errors=$non2xx

echo "== front end --actors-at an actor node: the same" >&2
start_server node --in-memory --publish 0
node_pid=$pid
start_server front --actors-at "127.0.0.1:$published"
create_bench_fridge
warm_up
measure
stop_server "$pid"
stop_server "$node_pid"

awk -v lr="$local_rps" -v lp="$local_p99" -v le="$local_errors" \
    -v rr="$rps" -v rp="$p99" -v re="$non2xx" -v conns="$CONNS" 'BEGIN {
  printf "| set-up | req/s | p99 | non-2xx |\n| --- | ---: | ---: | ---: |\n"
  printf "| one process | %.0f | %s | %d |\n", lr, lp, le
  printf "| front end + actor node | %.0f | %s | %d |\n", rr, rp, re
  printf "\nremote / one process: %.2f at %d connections\n", rr / lr, conns
}'
