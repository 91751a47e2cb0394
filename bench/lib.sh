# Shared by the bench scripts: start a server pinned to CPU 1, drive a route
# (drink unless the caller sets $route) with wrk pinned to CPU 0, as
# ../shared/bench/compare.sh does. Needs $server set by the caller.
# Env: DURATION (default 8s), CONNS (default 64), WARMUP (default 2s).
DURATION=${DURATION:-8s}; CONNS=${CONNS:-64}; WARMUP=${WARMUP:-2s}

work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/drink.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"drinksRequested":1}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat >"$work/deposit.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"amount":1}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat >"$work/transfer.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"from":"bench-a","to":"bench-b","amount":1}'
wrk.headers["Content-Type"] = "application/json"
LUA

# start_server NAME FLAGS...: sets $url and $pid (and, with --publish, $published).
start_server() {
  local name=$1; shift
  start_command "$name" "$server" --port 0 "$@"
}

# start_command NAME CMD...: any server that prints `listening on URL`, pinned
# to CPU 1; sets what start_server sets.
start_command() {
  local name=$1; shift
  local log=$work/$name.log
  taskset -c 1 "$@" >"$log" 2>&1 &
  pid=$!; pids+=("$pid")
  url=""; published=""
  for _ in $(seq 200); do
    url=$(sed -n 's#^listening on \(http://[^ ]*\).*#\1#p' "$log" | head -1)
    published=$(sed -n 's#^actors published on .*:\([0-9]*\)$#\1#p' "$log")
    if [ -n "$url" ] && { [[ " $* " != *" --publish "* ]] || [ -n "$published" ]; }; then
      return 0
    fi
    sleep 0.05 # waiting for another process to start
  done
  echo "$0: $name did not start:" >&2; cat "$log" >&2; exit 1
}

stop_server() { kill -TERM "$1"; wait "$1" || true; }

create_bench_fridge() {
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"name":"bench","drinks":1000000000}' "$url/fridges"
}

# bench-a with 10^15 to transfer from, bench-b to receive.
create_bench_accounts() {
  local id
  for id in bench-a bench-b; do
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"id\":\"$id\"}" "$url/accounts"
  done
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"amount":1000000000000000}' \
    "$url/accounts/bench-a/deposit"
}

need_wrk() { command -v wrk >/dev/null || { echo "$0: needs wrk (apt-get install wrk)" >&2; exit 2; }; }

# The route wrk drives, as compare.sh measures it: drink (POST
# /fridges/bench/drink, one drink) or echo (GET /echo?greeting=hello); and
# the bank's: deposit (POST /accounts/bench-a/deposit, 1) or transfer (POST
# /transfers, 1 from bench-a to bench-b), after create_bench_accounts.
route=drink

# wrk_route DURATION [WRK-FLAGS...]: wrk on $url's $route for DURATION.
wrk_route() {
  need_wrk
  local duration=$1; shift
  case $route in
    drink) set -- "$@" -s "$work/drink.lua" "$url/fridges/bench/drink" ;;
    echo) set -- "$@" "$url/echo?greeting=hello" ;;
    deposit) set -- "$@" -s "$work/deposit.lua" "$url/accounts/bench-a/deposit" ;;
    transfer) set -- "$@" -s "$work/transfer.lua" "$url/transfers" ;;
    *) echo "$0: unknown route $route (drink, echo, deposit or transfer)" >&2; exit 2 ;;
  esac
  taskset -c 0 wrk -t1 -c"$CONNS" -d"$duration" "$@"
}

warm_up() { wrk_route "$WARMUP" >/dev/null; }

# measure: sets $rps, $p99 and $non2xx.
measure() {
  wrk_route "$DURATION" --latency >"$work/wrk.out"
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$work/wrk.out"); non2xx=${non2xx:-0}
}
