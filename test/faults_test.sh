#!/usr/bin/env bash
# Proof that the checks bite: against a fault build (-DFRIDGEBANK_FAULTS=ON)
# short nemesis runs must catch each deliberate bug switched on
# (FRIDGEBANK_FAULT=NAME) and pass with none. The nemesis is random: a
# fault must be caught within six runs of different seeds (one is enough).
#   faults_test.sh FAULT_BUILD_SERVER LOAD [SECONDS]
set -euo pipefail
server=$1; load=$2; seconds=${3:-8}
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"

# run NAME FAULT SCENARIO FAULTS [SEED]: the nemesis run's exit code in $code.
run() {
  local name=$1 fault=$2 scenario=$3 nemesis=$4 seed=${5:-3}
  code=0
  rm -rf "${work:?}/$name"
  # Commits 20 ms late and a fault every half second: the windows the faults
  # open are wide, and hit often.
  "$load" --scenario "$scenario" --nemesis "$nemesis" --nemesis-every 500ms --seed "$seed" --quiet \
    --spawn "env FRIDGEBANK_FAULT=$fault $server --data-dir $work/$name --admin-token t --commit-delay 20" \
    --duration "${seconds}s" >"$work/$name.out" 2>"$work/$name.err" || code=$?
  grep -E "FAIL|verdict" "$work/$name.out" | head -4 | sed "s/^/  $name: /" || true
}

run clean-drink none drink kill,term
check "no fault: drink passes (exit $code)" test "$code" = 0
run clean-bank none bank kill,term
check "no fault: bank passes (exit $code)" test "$code" = 0

# caught FAULT SCENARIO: runs until the nemesis fails it (exit 1), 6 seeds at most.
caught() {
  local fault=$1 scenario=$2 seed
  for seed in 3 4 5 6 7 8; do
    run "$fault-$seed" "$fault" "$scenario" kill "$seed"
    [ "$code" = 1 ] && { echo "  $fault: caught with seed $seed"; return 0; }
  done
  return 1
}
check "ack-before-commit is caught" caught ack-before-commit bank
check "stale-look is caught" caught stale-look drink
check "lose-keys-on-restart is caught" caught lose-keys-on-restart bank
check "split-transfer is caught" caught split-transfer bank

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
