#!/usr/bin/env bash
# Context switches and system calls per request on the drink route, counted
# by `perf stat` on the server while wrk drives it, under each --scheduling
# policy. A drink crosses from the I/O thread to an actor thread and back;
# on one core, how often those hand-offs cost a switch is the figure here.
#
#   bench/switches.sh [SERVER]     Env: DURATION (8s), CONNS (64), WARMUP (2s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
# shellcheck source=lib.sh
source "$root/bench/lib.sh"
command -v perf >/dev/null || { echo "$0: needs perf (apt-get install linux-perf)" >&2; exit 2; }

echo "| scheduling | req/s | context switches / request | system calls / request |"
echo "| --- | ---: | ---: | ---: |"
for policy in other batch; do
  start_server "$policy" --in-memory --scheduling "$policy"
  create_bench_fridge
  warm_up
  perf stat -x, -e context-switches,raw_syscalls:sys_enter -p "$pid" -o "$work/perf.$policy" &
  perf_pid=$!
  measure
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  requests=$(awk '/requests in/{print $1}' "$work/wrk.out")
  switches=$(awk -F, '$3=="context-switches"{print $1}' "$work/perf.$policy")
  syscalls=$(awk -F, '$3=="raw_syscalls:sys_enter"{print $1}' "$work/perf.$policy")
  awk -v p="$policy" -v r="$rps" -v n="$requests" -v s="$switches" -v c="$syscalls" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.2f |\n", p, r, s / n, c / n }'
  stop_server "$pid"
done
