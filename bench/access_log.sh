#!/usr/bin/env bash
# What --access-log costs the drink route: two servers of the same binary,
# one without the log and one writing it to a file, both pinned to CPU 1
# (the one not under load is idle), loaded in turns by wrk on CPU 0, the
# order swapped every round so a steady drift of the machine cancels out.
# Prints each round's ratio (with log / without), then the median.
#
#   bench/access_log.sh [SERVER]   (default build/bin/fridgebank-server)
#
# Env: ROUNDS (default 6), SLICE (4s), CONNS (64), WARMUP (2s).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
ROUNDS=${ROUNDS:-6}; SLICE=${SLICE:-4s}
source "$root/bench/lib.sh"
need_wrk

start_server plain --in-memory
plain=$url; create_bench_fridge
start_server logged --in-memory --access-log "$work/access.log"
logged=$url; create_bench_fridge
for u in "$plain" "$logged"; do url=$u; warm_up; done

rate() { # URL: drink req/s for one slice
  url=$1
  wrk_route "$SLICE" >"$work/wrk.out"
  awk '/Requests\/sec/{print $2}' "$work/wrk.out"
}
ratios=()
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then a=$(rate "$plain"); b=$(rate "$logged")
  else b=$(rate "$logged"); a=$(rate "$plain"); fi
  r=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b/a}')
  ratios+=("$r")
  echo "round $round: without $a req/s, with the log $b req/s, ratio $r" >&2
done
lines=$(wc -l <"$work/access.log")
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END{print (NR%2)? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
echo "access log: median ratio $median over $ROUNDS rounds (${ratios[*]}); $lines lines written"
