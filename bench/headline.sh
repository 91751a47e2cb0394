#!/usr/bin/env bash
# Issue 20's targets in one table: each ratio the median of at least three
# measured in this run, with the command that measured it. Writes
# bench/results/headline.md (and prints it); `make bench` runs it last.
#
#   bench/headline.sh [SERVER]     (default build/bin/fridgebank-server)
#
# Env: RUNS (3): how many times durability.sh and remote.sh run; ROUNDS (8)
# for the nginx turns (bench/paired.sh); the rest as in bench/lib.sh.
# Takes about 10 minutes. Quiet machine please.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
[ -x "$server" ] || { echo "headline.sh: no server at $server (make build)" >&2; exit 2; }
out=$root/bench/results
mkdir -p "$out"
for tool in wrk nginx gnuplot; do
  command -v "$tool" >/dev/null || "$root/scripts/install-deps" wrk nginx gnuplot-nox >&2
done
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { echo "== headline $1" >&2; }

ratios=$work/ratios # lines: NAME RATIO
: >"$ratios"
if [ -d "$root/../shared/peers" ]; then
  for route in drink echo; do
    step "($route against nginx, in turns): ROUTE=$route bench/paired.sh nginx"
    ROUTE=$route OUT="$out/paired-nginx-$route" "$root/bench/paired.sh" nginx \
      >"$out/paired-nginx-$route.txt"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for r in d["rounds"]: print(sys.argv[2], r["ours"] / r["peer"])' \
      "$out/paired-nginx-$route.json" "nginx-$route" >>"$ratios"
  done
fi
for run in $(seq "$RUNS"); do
  step "durability $run/$RUNS: bench/durability.sh"
  "$root/bench/durability.sh" "$server" 2>/dev/null |
    awk '/^durable \/ in-memory:/{print "durable", $4}' >>"$ratios"
  step "remote actors $run/$RUNS: bench/remote.sh"
  "$root/bench/remote.sh" "$server" 2>/dev/null |
    awk '/^plain \/ one process:/{sub(/,/, "", $5); print "remote", $5}' >>"$ratios"
done
step "the bank's routes: bench/bank_routes.sh"
"$root/bench/bank_routes.sh" "$server" 2>/dev/null >"$work/bank.md"
# Every round's ratio, in memory and durable: "(r1 r2 ...)" in the last column.
awk -F'|' '$3 ~ /deposit|transfer/ {
    gsub(/ /, "", $2); gsub(/ /, "", $3); s = $7; sub(/^[^(]*\(/, "", s); sub(/\).*/, "", s)
    n = split(s, r, " "); for (i = 1; i <= n; i++) print $3 "-" $2, r[i] }' "$work/bank.md" >>"$ratios"
step "memory per idle fridge: fridgebank-fridge-memory, bench/idle.sh"
memory_tool=$(dirname "$server")/fridgebank-fridge-memory
heap=$("$memory_tool" | awk '/resting/{print $(NF-5)}')
rss=$(FRIDGES=20000 "$root/bench/idle.sh" "$server" 2>/dev/null |
  awk '/per idle \(resting\) fridge/{print $(NF-8)}')

python3 - "$ratios" "$heap" "$rss" "$(git -C "$root" rev-parse --short HEAD)" >"$out/headline.md" <<'PY'
import statistics, sys
from collections import defaultdict
ratios_file, heap, rss, commit = sys.argv[1:5]
seen = defaultdict(list)
for line in open(ratios_file):
    name, value = line.split()
    seen[name].append(float(value))

def row(what, name, target, command, above=True):
    values = seen.get(name, [])
    if len(values) < 3:
        return f"| {what} | not measured ({len(values)} ratios) | {target} | — | `{command}` |"
    median = statistics.median(values)
    met = median >= target if above else median <= target
    spread = f"{min(values):.2f}–{max(values):.2f}, {len(values)} ratios"
    return (f"| {what} | **{median:.2f}×** ({spread}) | ≥ {target}× | "
            f"{'yes' if met else '**no**'} | `{command}` |")

print(f"Issue 20's targets at {commit}, medians of ratios measured in one run.\n")
print("| target | measured | goal | met | command |")
print("| --- | ---: | ---: | --- | --- |")
print(row("drink against nginx (fixed replies)", "nginx-drink", 0.95, "ROUTE=drink bench/paired.sh nginx"))
print(row("echo against nginx", "nginx-echo", 1.1, "ROUTE=echo bench/paired.sh nginx"))
print(row("durable drink against in-memory", "durable", 0.8, "bench/durability.sh (3 runs)"))
print(row("front end + actor node against one process", "remote", 0.8, "bench/remote.sh (3 runs)"))
print(row("deposit against drink, in memory", "deposit-in-memory", 0.95, "bench/bank_routes.sh"))
print(row("transfer against drink, in memory", "transfer-in-memory", 0.95, "bench/bank_routes.sh"))
print(row("deposit against drink, durable", "deposit-durable", 0.95, "bench/bank_routes.sh"))
print(row("transfer against drink, durable", "transfer-durable", 0.95, "bench/bank_routes.sh"))
met = rss and int(rss) <= 1024
print(f"| memory per idle fridge | **{rss} bytes** RSS, {heap} of heap | ≤ 1 024 bytes | "
      f"{'yes' if met else '**no**'} | `bench/idle.sh`, `fridgebank-fridge-memory` |")
print("\n(The bank's goal is the issue's \"not slower than drink\", read as within 5 %.)")
PY
cat "$out/headline.md"
