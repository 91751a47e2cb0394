#!/usr/bin/env bash
# The bank's routes against the drink route: POST /accounts/{id}/deposit and
# POST /transfers, in memory and durable. One server per mode; the three
# routes take turns in slices of $SLICE, the order rotated every round, so
# each round's ratio to drink compares slices seconds apart (this machine's
# speed drifts by a third within a minute). Prints every slice, then per
# mode and route the median req/s, p99 and ratio to drink over $ROUNDS.
# Server on CPU 1, wrk -t1 -c$CONNS on CPU 0 (bench/lib.sh).
#
#   bench/bank_routes.sh [SERVER]     (default build/bin/fridgebank-server)
#
# Env: ROUNDS (default 5), SLICE (default 3s), CONNS, WARMUP (bench/lib.sh);
# DATA_DIR for the durable server (default a fresh temporary directory: put
# it on the disk you mean to measure).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
[ -x "$server" ] || { echo "bank_routes.sh: no server at $server (make build)" >&2; exit 2; }
source "$root/bench/lib.sh"
ROUNDS=${ROUNDS:-5}; SLICE=${SLICE:-3s}
data_dir=${DATA_DIR:-$work/data}
routes=(drink deposit transfer)

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

: >"$work/slices"
for mode in in-memory durable; do
  if [ "$mode" = in-memory ]; then flags=(--in-memory); else
    rm -rf "$data_dir"; mkdir -p "$data_dir"; flags=(--data-dir "$data_dir"); fi
  start_server "$mode" "${flags[@]}"
  create_bench_fridge
  create_bench_accounts
  for r in "${routes[@]}"; do route=$r; warm_up; done
  for round in $(seq "$ROUNDS"); do
    for k in 0 1 2; do
      route=${routes[$(((round + k) % 3))]}
      wrk_route "$SLICE" --latency >"$work/wrk.out"
      rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.out")
      p99=$(awk '$1=="99%"{print $2}' "$work/wrk.out")
      non2xx=$(awk '/Non-2xx/{print $NF}' "$work/wrk.out")
      echo "$mode $round $route ${rps%.*} $p99 ${non2xx:-0}" | tee -a "$work/slices" >&2
    done
  done
  stop_server "$pid"
done

echo "| mode | route | median req/s | median p99 | non-2xx | median ratio to drink (per round) |"
echo "| --- | --- | ---: | ---: | ---: | --- |"
for mode in in-memory durable; do
  for r in "${routes[@]}"; do
    rps=$(awk -v m="$mode" -v r="$r" '$1==m && $3==r {print $4}' "$work/slices" | median)
    p99=$(awk -v m="$mode" -v r="$r" '$1==m && $3==r {v=$5; sub(/ms/,"",v); if ($5 ~ /us$/) v=v/1000; print v}' "$work/slices" | median)
    errors=$(awk -v m="$mode" -v r="$r" '$1==m && $3==r {s+=$6} END {print s+0}' "$work/slices")
    ratios=$(awk -v m="$mode" -v r="$r" '$1==m && $3=="drink" {d[$2]=$4} $1==m && $3==r {x[$2]=$4}
      END {for (k in x) printf "%.2f\n", x[k] / d[k]}' "$work/slices" | sort -n)
    echo "| $mode | $r | ${rps%.*} | ${p99} ms | $errors | $(median <<<"$ratios") ($(echo $ratios)) |"
  done
done
