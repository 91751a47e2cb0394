#!/usr/bin/env bash
# What durability costs: the drink route with a journal (every reply after
# fsync) against --in-memory, in one run, on the same machine.
#
#   bench/durability.sh [SERVER]     (default build/bin/fridgebank-server)
#
# Per mode: create fridge `bench` with 1e9 drinks, warm up, then
# `wrk -t1 -c$CONNS -d$DURATION` POST /fridges/bench/drink {"drinksRequested":1}
# (server on CPU 1, wrk on CPU 0; see bench/lib.sh). For the durable run the
# journal's figures come from /metrics before and after the measured
# interval: commits per second and mean batch size.
# Env: DURATION, CONNS, WARMUP (bench/lib.sh), and DATA_DIR (default a fresh
# temporary directory: put it on the disk you mean to measure; tmpfs makes
# fsync free).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
[ -x "$server" ] || { echo "durability.sh: no server at $server (make build)" >&2; exit 2; }
source "$root/bench/lib.sh"
data_dir=${DATA_DIR:-$work/data}

metric() { curl -sf "$url/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

echo "== --in-memory: wrk -t1 -c$CONNS -d$DURATION (after $WARMUP warm-up)" >&2
start_server memory --in-memory
create_bench_fridge
warm_up
measure
stop_server "$pid"
memory_rps=$rps; memory_p99=$p99; memory_errors=$non2xx

echo "== --data-dir $data_dir: the same" >&2
mkdir -p "$data_dir"
start_server durable --data-dir "$data_dir"
create_bench_fridge
warm_up
commits0=$(metric fridgebank_journal_commit_seconds_count)
entries0=$(metric fridgebank_journal_entries_total)
seconds0=$(metric fridgebank_journal_commit_seconds_sum)
syncs0=$(metric fridgebank_journal_sync_seconds_count)
sync_seconds0=$(metric fridgebank_journal_sync_seconds_sum)
measure
commits1=$(metric fridgebank_journal_commit_seconds_count)
entries1=$(metric fridgebank_journal_entries_total)
seconds1=$(metric fridgebank_journal_commit_seconds_sum)
syncs1=$(metric fridgebank_journal_sync_seconds_count)
sync_seconds1=$(metric fridgebank_journal_sync_seconds_sum)
stop_server "$pid"

awk -v mr="$memory_rps" -v mp="$memory_p99" -v me="$memory_errors" \
    -v dr="$rps" -v dp="$p99" -v de="$non2xx" \
    -v c="$((commits1 - commits0))" -v e="$((entries1 - entries0))" \
    -v s0="$seconds0" -v s1="$seconds1" -v n="$((syncs1 - syncs0))" \
    -v f0="$sync_seconds0" -v f1="$sync_seconds1" -v d="${DURATION%s}" -v conns="$CONNS" 'BEGIN {
  printf "| mode | req/s | p99 | non-2xx |\n| --- | ---: | ---: | ---: |\n"
  printf "| --in-memory | %.0f | %s | %d |\n", mr, mp, me
  printf "| durable (journal, fsync) | %.0f | %s | %d |\n", dr, dp, de
  printf "\ndurable / in-memory: %.2f at %d connections\n", dr / mr, conns
  printf "journal: %d commits in %ss = %.0f commits/s, mean batch %.1f writes, mean commit %.2f ms\n",
         c, d, c / d, (c ? e / c : 0), (c ? (s1 - s0) * 1000 / c : 0)
  printf "fsync: %.0f syncs/s, mean %.2f ms (up to two at once)\n", n / d, (n ? (f1 - f0) * 1000 / n : 0)
}'
