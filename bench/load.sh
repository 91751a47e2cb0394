#!/usr/bin/env bash
# fridgebank-load's scenarios against the server, pinned as compare.sh pins
# (server on CPU 1, load on CPU 0), in memory so the figures are the
# server's, not the disk's. Per scenario: a JSON report and a plot in
# bench/results/, and a row of the Markdown table printed on stdout. Each
# scenario gets a server of its own.
#
#   bench/load.sh [SERVER] [LOAD]
# Env: DURATION (default 8s), CONNS (default 64), RATE (open-loop drink, default 20000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
load=${2:-$root/build/bin/fridgebank-load}
DURATION=${DURATION:-8s}; CONNS=${CONNS:-64}; RATE=${RATE:-20000}
out=$root/bench/results
mkdir -p "$out"
# shellcheck source=lib.sh
source "$root/bench/lib.sh"

echo "| scenario | mode | req/s | p50 ms | p99 ms | p99.9 ms | errors | checks |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
row() { # name, flags...
  local name=$1; shift
  echo "== $name: fridgebank-load --connections $CONNS --duration $DURATION $*" >&2
  # A fresh server per scenario: the polite ones leave tens of thousands of
  # fridges behind, and GET /fridges (in mixed) costs time in proportion.
  start_server "$name" --in-memory
  taskset -c 0 "$load" --url "$url" --connections "$CONNS" --duration "$DURATION" \
    --json "$out/load-$name.json" --plot "$out/load-$name.png" "$@" >"$out/load-$name.txt" || true
  stop_server "$pid"
  python3 - "$out/load-$name.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency_ms"]
details = r["scenario_details"]
checks = "passed" if r["verdict"]["passed"] else "FAILED"
if "rounds" in details:
    checks += f' ({details["empty_rounds"]} of {details["rounds"]} rounds empty)'
mode = r["config"]["mode"] + (f' {r["config"]["rate"]:.0f}/s' if r["config"]["rate"] else "")
print(f'| {sys.argv[2]} | {mode} | {r["throughput"]:.0f} | {lat["p50"]:.2f} | {lat["p99"]:.2f} '
      f'| {lat["p999"]:.2f} | {r["errors"]} | {checks} |')
PY
}
for scenario in echo drink bank polite-naive polite-atomic mixed; do
  row "$scenario" --scenario "$scenario"
done
row "drink-open-loop" --scenario drink --rate "$RATE"
row "drink-pipelined" --scenario drink --connections 16 --pipeline 8
