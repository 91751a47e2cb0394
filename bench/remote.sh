#!/usr/bin/env bash
# What distribution costs: the drink route served by a front end whose
# actors live in another process (--actors-at, CAF's middleman on loopback),
# with plain BASP and with BASP over TLS, against one process, all
# --in-memory, in one run.
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
plain_rps=$rps; plain_p99=$p99; plain_errors=$non2xx

echo "== the same over TLS (--tls-cert/--tls-key/--tls-ca on both)" >&2
certs=$(mktemp -d)
"$root/scripts/make-dev-certs" "$certs" node front >/dev/null
tls() { echo --tls-cert "$certs/$1.pem" --tls-key "$certs/$1-key.pem" --tls-ca "$certs/ca.pem"; }
# shellcheck disable=SC2046 # the flags are words
start_server node --in-memory --publish 0 $(tls node)
node_pid=$pid
# shellcheck disable=SC2046
start_server front --actors-at "127.0.0.1:$published" $(tls front)
create_bench_fridge
warm_up
measure
stop_server "$pid"
stop_server "$node_pid"
rm -rf "$certs"

awk -v lr="$local_rps" -v lp="$local_p99" -v le="$local_errors" \
    -v pr="$plain_rps" -v pp="$plain_p99" -v pe="$plain_errors" \
    -v rr="$rps" -v rp="$p99" -v re="$non2xx" -v conns="$CONNS" 'BEGIN {
  printf "| set-up | req/s | p99 | non-2xx |\n| --- | ---: | ---: | ---: |\n"
  printf "| one process | %.0f | %s | %d |\n", lr, lp, le
  printf "| front end + actor node, plain BASP | %.0f | %s | %d |\n", pr, pp, pe
  printf "| front end + actor node, BASP over TLS | %.0f | %s | %d |\n", rr, rp, re
  printf "\nplain / one process: %.2f, TLS / plain: %.2f at %d connections\n", pr / lr, rr / pr, conns
}'
