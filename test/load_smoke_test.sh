#!/usr/bin/env bash
# fridgebank-load against a real server: every scenario for a second, the
# race and its fix, the JSON report, history and plot, open loop, and the
# exit codes (0 passed, 1 failed, 2 no server or bad usage).
set -euo pipefail
server=$1
load=$2
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"
# json_field FILE KEY: the first number after "KEY": in a JSON report (the
# top-level "requests" comes before the per-second ones; config's is null).
json_field() { grep -o "\"$2\":[0-9][0-9.e+-]*" "$1" | head -1 | cut -d: -f2; }

release=$(sed -n 's/^project(fridgebank VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")
check "--version: the release of CMakeLists.txt ($release)" \
  test "$("$load" --version)" = "fridgebank-load $release"
check "fridgebank-check --version" \
  test "$("$(dirname "$load")/fridgebank-check" --version)" = "fridgebank-check $release"

"$server" --port 0 --in-memory --admin-token smoke >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
for _ in $(seq 400); do
  url=$(sed -n 's#^listening on \(http://.*\)$#\1#p' "$work/server.out")
  [ -n "$url" ] && break
  sleep 0.05 # waiting for the server to start listening
done
[ -n "$url" ] || { echo "server did not start" >&2; cat "$work/server.err" >&2; exit 1; }

run() { # scenario, extra flags...: runs one second, report in $work/SCENARIO.json
  local scenario=$1; shift
  "$load" --url "$url" --scenario "$scenario" --duration 1s --connections 6 --quiet \
    --json "$work/$scenario.json" "$@" >"$work/$scenario.txt" 2>&1
}

for scenario in echo drink bank polite-naive polite-atomic mixed; do
  code=0; run "$scenario" || code=$?
  check "$scenario: exit 0 (got $code; $(tail -3 "$work/$scenario.txt" | tr '\n' ' '))" test "$code" = 0
  check "$scenario: requests were made" test "$(json_field "$work/$scenario.json" requests)" -gt 0
done
check "bank: snapshots were checked" test "$(json_field "$work/bank.json" snapshots)" -gt 0
check "polite-naive: rounds completed" test "$(json_field "$work/polite-naive.json" rounds)" -gt 0
check "polite-naive: the race emptied some fridges" \
  test "$(json_field "$work/polite-naive.json" empty_rounds)" -gt 0
check "polite-atomic: rounds completed" test "$(json_field "$work/polite-atomic.json" rounds)" -gt 0
check "polite-atomic: no fridge emptied" \
  test "$(json_field "$work/polite-atomic.json" empty_rounds)" = 0

# History and plot, pipelined, several fridges.
code=0
run drink --pipeline 4 --fridges 3 --history "$work/history.jsonl" --plot "$work/plot.png" || code=$?
check "drink with history and plot: exit 0 (got $code)" test "$code" = 0
lines=$(wc -l <"$work/history.jsonl")
requests=$(json_field "$work/drink.json" requests)
# Every measured request plus the set-up (3 creates) and the final reads (3).
check "history: one line per operation ($lines lines, $requests requests)" \
  test "$lines" = $((requests + 6))
check "history: Porcupine fields" grep -q '"ClientId":0,"Input":{"method":"POST"' "$work/history.jsonl"
check "plot: a PNG" test "$(head -c 4 "$work/plot.png" | tail -c 3)" = PNG

# Open loop at 400 requests/s for a second sends about 400.
code=0; run echo --rate 400 || code=$?
check "open loop: exit 0" test "$code" = 0
sent=$(json_field "$work/echo.json" requests)
check "open loop: about 400 requests in a second (got $sent)" test "$sent" -ge 380 -a "$sent" -le 420

# Exit 1: the fridge is stopped under the drinkers, so drinks fail as `stopped`.
"$load" --url "$url" --scenario drink --duration 3s --connections 2 --run-id smoke-stop \
  --json "$work/stopped.json" >"$work/stopped.txt" 2>"$work/stopped.err" &
loader=$!
for _ in $(seq 200); do
  grep -q "req/s" "$work/stopped.err" && break
  sleep 0.05 # waiting for the first progress line: the run is under way
done
curl -sf -o /dev/null -X POST -H 'Authorization: Bearer smoke' "$url/fridges/smoke-stop-f0/stop"
code=0; wait "$loader" || code=$?
check "a failing run exits 1 (got $code)" test "$code" = 1
check "the report counts the refusals" grep -q '"410 stopped":' "$work/stopped.json"
check "its invariants still hold" grep -q 'ok .*lost no take' "$work/stopped.txt"

# Exit 2: bad usage, and no server.
code=0; "$load" --scenario nap --url "$url" 2>/dev/null || code=$?
check "unknown scenario: exit 2 (got $code)" test "$code" = 2
code=0; "$load" --scenario echo --url http://127.0.0.1:1 --duration 1s 2>/dev/null || code=$?
check "no server: exit 2 (got $code)" test "$code" = 2

echo "load smoke: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
