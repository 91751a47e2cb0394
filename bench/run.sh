#!/usr/bin/env bash
# `make bench`: fridgebank side by side with its peers (in one compare.sh
# run, and in turns with each peer), the cost of
# durability, of remote actors and of event streams, fridgebank-load's scenarios, the idle
# server, context switches per request (with perf) and instructions per
# request (with valgrind). Results go to
# bench/results/ (JSON, Markdown tables and PNG plots).
#
# Quiet machine please: the figures are only worth what the machine lets
# them be. Env is passed through to compare.sh and durability.sh
# (DURATION, CONNS, WARMUP).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/results
mkdir -p "$out"
compare=$root/../shared/bench/compare.sh
server=$root/build/bin/fridgebank-server

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v valgrind >/dev/null || need+=(valgrind)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

{
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
  echo "date: $(date -u +%FT%TZ)  commit: $(git -C "$root" rev-parse --short HEAD)"
} | tee "$out/machine.txt"

if [ -x "$compare" ]; then
  echo "== peers: $compare --ours $server" >&2
  "$compare" --ours "$server" --json "$out/compare.json" | tee "$out/compare.txt"
  python3 - "$out/compare.json" "$out/compare.dat" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
servers = list(dict.fromkeys(r["server"] for r in rows))
by = {(r["server"], r["route"]): r["rps"] for r in rows}
with open(sys.argv[2], "w") as f:
    for s in servers:
        f.write(f'{s} {by.get((s, "echo"), 0):.0f} {by.get((s, "drink"), 0):.0f}\n')
PY
  gnuplot <<GP
set terminal pngcairo size 900,500 font ",11"
set output "$out/compare.png"
set title "Throughput per server (wrk -t1 -c${CONNS:-64}, server on CPU 1, wrk on CPU 0)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "requests per second"
set yrange [0:*]
set grid ytics
set key top right noenhanced
set xrange [-0.6:*]
plot "$out/compare.dat" using 2:xtic(1) title "GET /echo", '' using 3 title "POST /fridges/{name}/drink"
GP
  echo "plot: $out/compare.png" >&2
else
  echo "run.sh: $compare not found; peers skipped" >&2
fi

if [ -d "$root/../shared/peers" ]; then
  # The same targets measured in turns (see paired.sh): one ratio per round.
  for pair in "drink beast-bare" "echo beast-bare" "drink go" "drink express"; do
    read -r route peer <<<"$pair"
    echo "== in turns: ROUTE=$route bench/paired.sh $peer" >&2
    ROUTE=$route OUT="$out/paired-$peer-$route" "$root/bench/paired.sh" "$peer" |
      tee "$out/paired-$peer-$route.txt"
  done
  "$root/bench/paired_plot.sh" "$out/paired.png" "$out"/paired-{beast-bare-drink,beast-bare-echo,go-drink,express-drink}.json
fi

echo "== durability: bench/durability.sh" >&2
"$root/bench/durability.sh" "$server" | tee "$out/durability.md"

echo "== the bank's routes against drink: bench/bank_routes.sh" >&2
"$root/bench/bank_routes.sh" "$server" | tee "$out/bank_routes.md"

echo "== distribution: bench/remote.sh" >&2
"$root/bench/remote.sh" "$server" | tee "$out/remote.md"

echo "== sharded: bench/shards.sh" >&2
"$root/bench/shards.sh" "$server" | tee "$out/shards.md"

echo "== event streams: bench/events.sh" >&2
"$root/bench/events.sh" "$server" | tee "$out/events.md"

echo "== scenarios: bench/load.sh" >&2
"$root/bench/load.sh" "$server" | tee "$out/load.md"

echo "== idle server: bench/idle.sh" >&2
"$root/bench/idle.sh" "$server" | tee "$out/idle.md"

if command -v perf >/dev/null; then
  echo "== hand-offs per request: bench/switches.sh" >&2
  "$root/bench/switches.sh" "$server" | tee "$out/switches.md"
else
  echo "run.sh: perf not found (apt-get install linux-perf); bench/switches.sh skipped" >&2
fi

if command -v valgrind >/dev/null; then
  echo "== instructions per request: bench/instructions.sh" >&2
  "$root/bench/instructions.sh" "$server" | tee "$out/instructions.md"
fi

echo "== issue 20's targets, each a median of several ratios: bench/headline.sh" >&2
"$root/bench/headline.sh" "$server"
