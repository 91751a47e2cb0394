#!/usr/bin/env bash
# Several compare.sh runs side by side: each server's req/s on one route, one
# point per run, so the run-to-run spread of this machine shows next to the
# differences between servers.
#
#   bench/runs_plot.sh ROUTE OUT.png RUN1.json RUN2.json ...
#
# The JSON files are compare.sh's (--json FILE); runs are numbered in the
# order given, from FIRST (env, default 1). Prints the table it plots, and each server's median.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
route=$1; out=$2; shift 2
command -v gnuplot >/dev/null || { echo "$0: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 2; }
data=$(mktemp); trap 'rm -f "$data"' EXIT
python3 - "${FIRST:-1}" "$route" "$@" >"$data" <<'PY'
import json, statistics, sys
first, route, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
runs = [{r["server"]: r["rps"] for r in json.load(open(f)) if r["route"] == route} for f in files]
servers = [s for s in runs[0]]
print("run " + " ".join(servers))
for i, run in enumerate(runs, first):
    print(i, " ".join(f"{run.get(s, float('nan')):.0f}" for s in servers))
print("# median " + " ".join(f"{statistics.median(r[s] for r in runs if s in r):.0f}" for s in servers))
PY
cat "$data"
columns=$(head -1 "$data" | wc -w)
gnuplot <<GP
set terminal pngcairo size 900,500
set output "$out"
set title "$route: req/s per server in each compare.sh run"
set xlabel "run"; set ylabel "req/s"
set key outside right; set grid ytics
set xtics 1; set yrange [0:*]
plot for [c=2:$columns] "$data" using 1:c with linespoints lw 2 title columnhead(c)
GP
echo "plot: $out"
