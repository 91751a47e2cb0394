#!/usr/bin/env bash
# The ratio of each round of several paired.sh runs, one panel per run, with
# the issue's target for that peer and route drawn across it.
#
#   bench/paired_plot.sh OUT.png PAIRED1.json PAIRED2.json ...
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,5p' "$0" >&2; exit 2; }
out=$1; shift
command -v gnuplot >/dev/null || { echo "$0: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# One data file and one gnuplot panel per run.
python3 - "$work" "$@" >"$work/panels.gp" <<'PY'
import json, sys
work, files = sys.argv[1], sys.argv[2:]
targets = {("beast-bare", "drink"): 0.8, ("beast-bare", "echo"): 0.9,
           ("go", "drink"): 1.2, ("express", "drink"): 10.0}
for i, f in enumerate(files):
    run = json.load(open(f))
    peer, route = run["peer"], run["route"]
    data = f"{work}/{i}.dat"
    with open(data, "w") as d:
        for r in run["rounds"]:
            d.write(f'{r["round"]:.0f} {r["ours"] / r["peer"]:.3f}\n')
    target = targets.get((peer, route))
    top = max(r["ours"] / r["peer"] for r in run["rounds"]) * 1.15
    print(f'set title "{route}: fridgebank / {peer} (median {run["ratio_median"]:.2f})" noenhanced')
    print(f"set yrange [0:{top:.2f}]")
    if target is None:
        print(f'plot "{data}" using 1:2 with linespoints lw 2 notitle')
    else:
        print(f'plot "{data}" using 1:2 with linespoints lw 2 title "ratio", '
              f'{target} with lines dt 2 lw 2 title "target {target:g}"')
PY
columns=$(( $# < 2 ? $# : 2 )); rows=$(( ($# + 1) / 2 ))
gnuplot <<GP
set terminal pngcairo size $((550 * columns)),$((330 * rows))
set output "$out"
set multiplot layout $rows,$columns
set xlabel "round"; set ylabel "ratio"
set key bottom right; set grid ytics; set xtics 1
load "$work/panels.gp"
unset multiplot
GP
echo "plot: $out"
