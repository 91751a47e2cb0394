#!/usr/bin/env bash
# Runs each libFuzzer target of BUILD for SECONDS, from its seed corpus;
# libFuzzer prints its progress (executions, coverage) as it goes. Fails on
# the first crash, leak, timeout or broken property, whose input is left in
# BUILD/fuzz-artifacts/ for replay (and for adding to the seed corpus).
set -euo pipefail
build=$1 seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
status=0
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/../ubsan.supp"
for target in request json; do
  corpus=$build/corpus/$target artifacts=$build/fuzz-artifacts/$target/
  mkdir -p "$corpus" "$artifacts"
  echo "== fuzzing $target for ${seconds}s"
  log=$build/fuzz-$target.log
  if ! "$build/bin/fridgebank_fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "$here/corpus/$target" 2>&1 | tee "$log" | grep -E 'INITED|pulse|DONE|ERROR|==[0-9]+==|stat::'; then
    :
  fi
  if grep -qE 'ERROR: |==[0-9]+==ERROR|deadly signal|Timeout|fuzzer: ' "$log"; then
    echo "fuzz $target: FAILED, input in $artifacts"
    status=1
  else
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $target: passed, $runs executions in ${seconds}s ($(( runs / seconds ))/s)"
  fi
done
exit $status
