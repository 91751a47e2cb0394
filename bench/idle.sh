#!/usr/bin/env bash
# What an idle server costs: CPU while nobody calls, and memory per fridge.
# Starts an in-memory server, measures its CPU time over IDLE seconds,
# creates FRIDGES fridges (one kept-alive curl), which rest without an
# actor, and divides the growth of its resident memory by FRIDGES; then
# wakes each with a drink of 0 (spawning its actor) and does the same.
# (A fridge nobody asks for rests again after one to two minutes:
# fridgebank-fridge-memory shows that heap coming back.)
#
#   bench/idle.sh [SERVER]      Env: FRIDGES (default 20000), IDLE (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server=${1:-$root/build/bin/fridgebank-server}
FRIDGES=${FRIDGES:-20000}; IDLE=${IDLE:-10}
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

"$server" --port 0 --in-memory >"$work/server.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
  url=$(sed -n 's#^listening on \(http://.*\)$#\1#p' "$work/server.out")
  [ -n "$url" ] && break
  sleep 0.05 # waiting for the server to start listening
done
[ -n "$url" ] || { echo "$0: the server did not start" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # utime + stime, in clock ticks
rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)

before=$(ticks)
sleep "$IDLE" # the measurement itself: CPU time spent while nobody calls
idle_ticks=$(( $(ticks) - before ))
printf "idle CPU: %s ticks of 1/%s s in %s s = %s %% of a core\n" "$idle_ticks" "$hz" "$IDLE" \
  "$(awk -v t="$idle_ticks" -v hz="$hz" -v s="$IDLE" 'BEGIN{printf "%.3f", 100*t/hz/s}')"

# POSTs to every fridge idle-1 .. idle-FRIDGES over one kept-alive curl:
# post_each PATH_AFTER_NAME BODY, where %d in either is the fridge's number.
post_each() {
  local i path body
  for i in $(seq "$FRIDGES"); do
    [ "$i" -gt 1 ] && echo next
    printf -v path "$1" "$i"
    printf -v body "$2" "$i"
    printf 'url = "%s/fridges%s"\ndata = "%s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\n' \
      "$url" "$path" "${body//\"/\\\"}"
  done >"$work/curl.cfg"
  curl -s -K "$work/curl.cfg"
}

rss0=$(rss_kib)
echo "creating $FRIDGES fridges..." >&2
post_each "" '{"name":"idle-%d","drinks":12}'
count=$(curl -s "$url/metrics" | awk '/^fridgebank_fridge_actors /{print $2}')
rss1=$(rss_kib)
echo "fridges live: ${count:-?}; resident memory $rss0 KiB -> $rss1 KiB"
echo "memory per idle (resting) fridge: $(( (rss1 - rss0) * 1024 / FRIDGES )) bytes (resident growth / fridges: its directory entry)"

echo "waking them with a drink of 0..." >&2
post_each "/idle-%d/drink" '{"drinksRequested":0}'
rss2=$(rss_kib)
echo "resident memory $rss1 KiB -> $rss2 KiB once each has its actor"
echo "memory per awake fridge: $(( (rss2 - rss0) * 1024 / FRIDGES )) bytes (entry and actor; it rests again after 1-2 minutes unasked)"
