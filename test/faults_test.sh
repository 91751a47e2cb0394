#!/usr/bin/env bash
# Proof that the checks bite: against a fault build (-DFRIDGEBANK_FAULTS=ON)
# a short nemesis run must fail with each deliberate bug switched on
# (FRIDGEBANK_FAULT=NAME), and pass with none.
#   faults_test.sh FAULT_BUILD_SERVER LOAD [SECONDS]
set -euo pipefail
server=$1; load=$2; seconds=${3:-8}
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"

# run NAME FAULT SCENARIO FAULTS: the nemesis run's exit code in $code.
run() {
  local name=$1 fault=$2 scenario=$3 nemesis=$4
  code=0
  # Commits 5 ms late: the windows the faults open are wide enough to be hit.
  "$load" --scenario "$scenario" --nemesis "$nemesis" --nemesis-every 1s --seed 3 --quiet \
    --spawn "env FRIDGEBANK_FAULT=$fault $server --data-dir $work/$name --admin-token t --commit-delay 5" \
    --duration "${seconds}s" >"$work/$name.out" 2>"$work/$name.err" || code=$?
  grep -E "FAIL|verdict" "$work/$name.out" | head -4 | sed "s/^/  $name: /" || true
}

run clean-drink none drink kill,term
check "no fault: drink passes (exit $code)" test "$code" = 0
run clean-bank none bank kill,term
check "no fault: bank passes (exit $code)" test "$code" = 0

run ack ack-before-commit bank kill
check "ack-before-commit is caught (exit $code)" test "$code" = 1
run stale stale-look drink kill
check "stale-look is caught (exit $code)" test "$code" = 1
run keys lose-keys-on-restart bank kill
check "lose-keys-on-restart is caught (exit $code)" test "$code" = 1
run split split-transfer bank kill
check "split-transfer is caught (exit $code)" test "$code" = 1

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
