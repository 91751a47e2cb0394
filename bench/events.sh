#!/usr/bin/env bash
# What `GET /events` streams cost the drink route: one --in-memory server,
# the drink route measured with no stream open, then with each N of
# STREAMS open (default "1 10 100 1000", read and discarded by
# bench/event_streams.py), all in one run. Every drink is a change event, so
# N streams means N copies of every event to write; a stream that falls
# 1 MiB behind is dropped (counted).
#
#   bench/events.sh [SERVER]     (default build/bin/fridgebank-server)
#
# The server on CPU 1; wrk and the stream reader share CPU 0. Env:
# STREAMS (default 1000), DURATION, CONNS, WARMUP.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
[ -x "$server" ] || { echo "events.sh: no server at $server (make build)" >&2; exit 2; }
STREAMS=${STREAMS:-1 10 100 1000}
most=$(tr ' ' '\n' <<<"$STREAMS" | sort -n | tail -1)
ulimit -n $((most * 2 + 1024))
source "$root/bench/lib.sh"
need_wrk

start_server events --in-memory --max-event-streams $((most + 10))
create_bench_fridge
echo "== drink, no event stream open (wrk -t1 -c$CONNS -d$DURATION)" >&2
warm_up
measure
rows=("0|$rps|$p99|$non2xx|-")

for n in $STREAMS; do
  echo "== drink, $n event streams open and read" >&2
  mkfifo "$work/control-$n"
  taskset -c 0 python3 "$root/bench/event_streams.py" 127.0.0.1 "${url##*:}" "$n" \
    <"$work/control-$n" >"$work/readers-$n.out" &
  readers=$!
  exec 3>"$work/control-$n" # the readers stop when this closes
  for _ in $(seq 600); do
    grep -q "streams open" "$work/readers-$n.out" && break
    sleep 0.1 # waiting for another process to connect its streams
  done
  echo "   $(head -1 "$work/readers-$n.out")" >&2
  warm_up
  measure
  exec 3>&-
  wait "$readers"
  summary=$(tail -1 "$work/readers-$n.out")
  echo "   $summary" >&2
  rows+=("$n|$rps|$p99|$non2xx|$summary")
done
stop_server "$pid"

printf '| streams open | drink req/s | p99 | non-2xx | streams |\n| ---: | ---: | ---: | ---: | --- |\n'
for r in "${rows[@]}"; do
  IFS='|' read -r n r99 p e s <<<"$r"
  printf '| %s | %.0f | %s | %s | %s |\n' "$n" "$r99" "$p" "$e" "$s"
done
