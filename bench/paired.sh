#!/usr/bin/env bash
# fridgebank and one peer measured in turns, so both see the same machine.
#
#   bench/paired.sh [PEER]      PEER: beast-bare (default), go, nginx, express
#
# compare.sh measures its servers one after another, about 20 s each, ours
# last; on this shared VM the machine's speed drifts over such spans, so a
# ratio from one compare.sh run mixes the two servers with the drift. Here
# both servers run the whole time, pinned to CPU 1 (the one not under load
# is idle), and wrk (CPU 0) loads them in turns of SLICE seconds, the order
# swapped every round (ours-peer, peer-ours, ...), so a steady drift cancels
# out of each round's ratio. Prints one line per round as it goes, then the
# median, lowest and highest ratio; writes JSON and a plot to OUT (default
# bench/results/paired-PEER-ROUTE.{json,png}).
#
# Env: ROUTE (drink or echo; default drink), ROUNDS (8), SLICE (4s),
#      CONNS (64), WARMUP (2s), SERVER (default build/bin/fridgebank-server),
#      OUT (path without extension).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${1:-beast-bare}
server=${SERVER:-$root/build/bin/fridgebank-server}
ROUTE=${ROUTE:-drink}; ROUNDS=${ROUNDS:-8}; SLICE=${SLICE:-4s}
out=${OUT:-$root/bench/results/paired-$peer-$ROUTE}
peers=$(cd "$root/../shared/peers" 2>/dev/null && pwd) || { echo "$0: ../shared/peers not found" >&2; exit 2; }
# shellcheck source=lib.sh
source "$root/bench/lib.sh"
need_wrk
command -v gnuplot >/dev/null || { echo "$0: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 2; }
mkdir -p "$(dirname "$out")"

# The peers as compare.sh builds and starts them.
case $peer in
  beast-bare) "$peers/beast-bare/build.sh" >&2; peer_cmd=("$peers/beast-bare/build/server" --port 0 --threads 1) ;;
  go) "$peers/go/build.sh" >&2; peer_cmd=(env GOMAXPROCS=1 "$peers/go/build/server" --port 0) ;;
  nginx) peer_cmd=("$peers/nginx/run.sh" --port 0) ;;
  express)
    [ -d "$peers/express/node_modules" ] || (cd "$peers/express" && npm ci --no-audit --no-fund >/dev/null)
    peer_cmd=(node "$peers/express/server.js" --port 0) ;;
  *) echo "$0: unknown peer $peer" >&2; exit 2 ;;
esac

route=$ROUTE

start_server ours --in-memory
ours_url=$url
start_command "$peer" "${peer_cmd[@]}"
peer_url=$url
for url in "$ours_url" "$peer_url"; do
  create_bench_fridge
  warm_up
done

rps_of() { # URL: req/s of one slice
  url=$1 wrk_route "$SLICE" | awk '/Requests\/sec/{print $2}'
}

echo "$0: $ROUNDS rounds of $SLICE per server on $ROUTE, ours against $peer" >&2
rows=$work/rows
: >"$rows"
printf '%-6s %12s %12s %8s\n' round ours "$peer" ratio
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then
    ours=$(rps_of "$ours_url"); theirs=$(rps_of "$peer_url")
  else
    theirs=$(rps_of "$peer_url"); ours=$(rps_of "$ours_url")
  fi
  echo "$round $ours $theirs" >>"$rows"
  awk -v r="$round" -v a="$ours" -v b="$theirs" 'BEGIN { printf "%-6s %12.0f %12.0f %8.2f\n", r, a, b, a / b }'
done

python3 - "$rows" "$peer" "$ROUTE" "$out.json" <<'PY'
import json, statistics, sys
rows, peer, route, out = sys.argv[1:5]
rounds = [dict(zip(("round", "ours", "peer"), map(float, line.split()))) for line in open(rows)]
ratios = [r["ours"] / r["peer"] for r in rounds]
summary = {"peer": peer, "route": route, "rounds": rounds,
           "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}
json.dump(summary, open(out, "w"), indent=1)
print(f"ratio ours/{peer} on {route}: median {summary['ratio_median']:.2f}, "
      f"lowest {summary['ratio_min']:.2f}, highest {summary['ratio_max']:.2f}")
PY

gnuplot <<GP
set terminal pngcairo size 900,500
set output "$out.png"
set title "$ROUTE: fridgebank and $peer in turns ($SLICE each, wrk -t1 -c$CONNS)"
set xlabel "round"; set ylabel "req/s"; set y2label "ours / $peer"
set key bottom right noenhanced; set grid ytics
set xtics 1; set yrange [0:*]; set y2range [0:2]; set y2tics
plot "$rows" using 1:2 with linespoints lw 2 title "fridgebank", \
     "$rows" using 1:3 with linespoints lw 2 title "$peer", \
     "$rows" using 1:(\$2/\$3) axes x1y2 with linespoints dt 2 title "ratio (right axis)"
GP
echo "json: $out.json  plot: $out.png" >&2
