#!/usr/bin/env bash
# Jepsen in a box: 20 s of the drink and of the bank scenario while the
# nemesis kills, stops and pauses the real server, each run ending with the
# linearizability check and the reconciliation; then fridgebank-check's
# command line on the histories, as written and with one reply changed (it
# must be caught).
#   nemesis_test.sh SERVER LOAD CHECK [SECONDS]
set -euo pipefail
server=$1; load=$2; checker=$3; seconds=${4:-20}
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"

for scenario in drink bank; do
  code=0
  "$load" --scenario "$scenario" --nemesis kill,term,pause --nemesis-every 2s --seed 7 \
    --spawn "$server --data-dir $work/$scenario --admin-token t" --duration "${seconds}s" \
    --quiet --history "$work/$scenario.jsonl" >"$work/$scenario.out" 2>"$work/$scenario.err" || code=$?
  cat "$work/$scenario.out"
  check "$scenario under the nemesis passes (exit $code)" test "$code" = 0
  check "$scenario: the nemesis did fault the server" grep -q "restart@" "$work/$scenario.out"
done

code=0; "$checker" "$work/bank.jsonl" >/dev/null || code=$?
check "fridgebank-check: the bank history is linearizable (exit $code)" test "$code" = 0
# One fridge of the final reads (nothing runs beside them) shown with one
# drink more: a reply no order can explain. (The drink history: per fridge
# its search is quick; a violation in the one-object bank takes far longer.)
python3 - "$work/drink.jsonl" "$work/bad.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i, line in reversed(list(enumerate(lines))):
    op = json.loads(line)
    out = op["Output"]
    if op["Input"]["method"] == "GET" and out and out["status"] == 200 and "drinksLeftInFridge" in (out["body"] or {}):
        out["body"]["drinksLeftInFridge"] += 1
        lines[i] = json.dumps(op)
        break
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
code=0; "$checker" "$work/bad.jsonl" --html "$work/bad.html" >"$work/bad.txt" || code=$?
check "fridgebank-check: a changed reply is caught (exit $code)" test "$code" = 1
check "fridgebank-check: the violation is drawn" grep -q 'class="core"' "$work/bad.html"
code=0; echo "not json" >"$work/junk.jsonl"; "$checker" "$work/junk.jsonl" 2>/dev/null || code=$?
check "fridgebank-check: unreadable input is exit 2 (got $code)" test "$code" = 2

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
