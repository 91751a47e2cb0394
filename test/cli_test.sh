#!/usr/bin/env bash
# The server's command line, and curl as a real client.
set -euo pipefail
server=$1
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"

# Starts the server with the given flags; sets $port and $pid.
start() {
  local out=$work/out.$RANDOM
  out_file=$out
  "$server" --port 0 "$@" >"$out" 2>>"$work/stderr" &
  pid=$!; pids+=("$pid")
  await_listening "$out" "$pid" && return 0
  echo "server did not start" >&2; return 1
}

# One line on stderr and exit code 2 for each kind of bad start.
bad_start() { # description, flags...
  local what=$1; shift
  local code=0
  timeout 20 "$server" "$@" >/dev/null 2>"$work/err" || code=$?
  check "$what: exit 2 (got $code)" test "$code" = 2
  check "$what: one line on stderr" test "$(wc -l <"$work/err")" = 1
}
bad_start "unknown flag" --frobnicate
bad_start "missing value" --port
bad_start "bad port" --port 70000
bad_start "bad threads" --in-memory --io-threads 0
bad_start "unresolvable --host" --in-memory --host no-such-host.invalid
bad_start "unresolvable --publish-host" --in-memory --publish 0 --publish-host no-such-host.invalid
touch "$work/file"
bad_start "data dir is a file" --port 0 --data-dir "$work/file"
bad_start "data dir cannot be created" --port 0 --data-dir "$work/file/sub"
start --in-memory
busy=$port
bad_start "port in use" --in-memory --port "$busy"
# With a data directory the journal and the actors already run: they must stop too.
bad_start "port in use, durable" --data-dir "$work/busy-data" --port "$busy"
bad_start "--publish with --actors-at" --in-memory --publish 0 --actors-at 127.0.0.1:9
bad_start "bad --actors-at" --actors-at 127.0.0.1
bad_start "a node twice in --actors-at" --actors-at 127.0.0.1:9,127.0.0.1:9
bad_start "an empty item in --actors-at" --actors-at 127.0.0.1:9,
bad_start "bad --scheduling" --in-memory --scheduling fifo
bad_start "bad --max-fridges" --in-memory --max-fridges 0
bad_start "bad --max-accounts" --in-memory --max-accounts many

# Every thread of the server runs under the policy --scheduling names.
policies() { # the distinct policies of $pid's threads, one line
  for task in /proc/"$pid"/task/*; do chrt -p "${task##*/}"; done |
    sed -n 's/.*scheduling policy: //p' | sort -u | tr '\n' ' '
}
start --in-memory
check "default: every thread SCHED_BATCH (got $(policies))" test "$(policies)" = "SCHED_BATCH "
kill "$pid"; wait "$pid" || true
start --in-memory --scheduling other
check "--scheduling other: SCHED_OTHER (got $(policies))" test "$(policies)" = "SCHED_OTHER "
kill "$pid"; wait "$pid" || true
check "--help exits 0" "$server" --help >/dev/null
release=$(sed -n 's/^project(fridgebank VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")
check "--version: the release of CMakeLists.txt ($release)" \
  test "$("$server" --version)" = "fridgebank-server $release"

# Settings come from flags, then FRIDGEBANK_*, then --config FILE, then the
# defaults: each source here limits fridges to another count, seen by the
# create that is refused.
fridges_allowed() { # flags... ; prints how many creates succeed (of 5)
  start "$@"
  local n=0
  for i in 1 2 3 4 5; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      -d "{\"name\":\"f$i\",\"drinks\":1}" "$base/fridges")
    [ "$code" = 201 ] && n=$((n + 1))
  done
  kill "$pid"; wait "$pid" || true
  echo "$n"
}
printf '# a comment\nin-memory = true\nmax-fridges = 1\n' >"$work/one.conf"
check "--config: the file's max-fridges" test "$(fridges_allowed --config "$work/one.conf")" = 1
check "FRIDGEBANK_MAX_FRIDGES beats the file" \
  test "$(FRIDGEBANK_MAX_FRIDGES=2 fridges_allowed --config "$work/one.conf")" = 2
check "a flag beats FRIDGEBANK_* and the file" \
  test "$(FRIDGEBANK_MAX_FRIDGES=2 fridges_allowed --config "$work/one.conf" --max-fridges 3)" = 3
check "FRIDGEBANK_CONFIG names the file" \
  test "$(FRIDGEBANK_CONFIG="$work/one.conf" fridges_allowed)" = 1
printf 'in-memory = true\nmax-fridge = 1\n' >"$work/typo.conf"
bad_start "an unknown key in --config" --config "$work/typo.conf"
check "the unknown key is named" grep -q "unknown key 'max-fridge'" "$work/err"
printf 'port = 99999\n' >"$work/range.conf"
bad_start "a value out of range in --config" --config "$work/range.conf"
check "the file's bad value names the file and key" grep -q "range.conf: port: expects" "$work/err"
bad_start "a missing --config file" --config "$work/no-such.conf"
FRIDGEBANK_PORT=abc bad_start "a bad FRIDGEBANK_PORT" --in-memory
check "the bad variable is named" grep -q "^fridgebank-server: FRIDGEBANK_PORT: expects" "$work/err"
check "--help is not held up by a bad variable" env FRIDGEBANK_PORT=abc "$server" --help >/dev/null
printf 'in-memory = true\nadmin-token = ab#cd\n' >"$work/hash.conf"
bad_start "a # inside a value in --config" --config "$work/hash.conf"
check "the line is named" grep -q "hash.conf:2: admin-token" "$work/err"
printf 'in-memory =\n' >"$work/empty.conf"
bad_start "a key without a value in --config" --config "$work/empty.conf"
bad_start "--config naming a directory" --config "$work"
bad_start "a stray word" --in-memory frobnicate
check "the stray word is named" grep -q "unexpected argument 'frobnicate'" "$work/err"
bad_start "a port that would wrap around" --in-memory --port 4294975376
bad_start "a number with a space" --in-memory --workers " 4"
bad_start "a number in hexadecimal" --in-memory --workers 0x4
check "given twice, the last counts (as a script appending flags expects)" \
  test "$(fridges_allowed --in-memory --max-fridges 1 --max-fridges 2)" = 2
# The packaged configuration file is valid as shipped.
shipped="$(dirname "$0")/../packaging/fridgebank.conf"
check "packaging/fridgebank.conf sets the data directory" grep -q '^data-dir *= */var/lib/fridgebank' "$shipped"
start --config "$shipped" --data-dir "$work/shipped-data"
check "packaging/fridgebank.conf starts a server" test -n "$port"
kill "$pid"; wait "$pid" || true

# Host names work where addresses do: localhost is the loopback.
start --in-memory --host localhost --publish 0 --publish-host localhost
check "--host localhost announces it" grep -q '^listening on http://localhost:' "$out_file"
check "--host localhost serves curl" test "$(curl -s "http://127.0.0.1:$port/healthz")" = '{"status":"ok"}'
# The second line follows the first at once (one write each).
check "--publish-host localhost publishes" await_line "$out_file" '^actors published on localhost:'
kill "$pid"; wait "$pid" || true

# A data directory gets a private random admin token.
start --data-dir "$work/data"
check "token file exists" test -s "$work/data/admin-token"
check "token file is 0600" test "$(stat -c %a "$work/data/admin-token")" = 600
token=$(cat "$work/data/admin-token")
base=http://127.0.0.1:$port
json=(-H 'Content-Type: application/json')
check "curl echo" test "$(curl -s "$base/echo?greeting=hello")" = "hello to you too!"
check "curl create" test "$(curl -s -o /dev/null -w '%{http_code}' "${json[@]}" -d '{"name":"kitchen","drinks":3}' "$base/fridges")" = 201
check "curl drink" test "$(curl -s "${json[@]}" -d '{"drinksRequested":1,"leaveAtLeast":1}' "$base/fridges/kitchen/drink")" = '{"drinksTakenOrAdded":1,"drinksLeftInFridge":2}'
check "curl stop without token" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/fridges/kitchen/stop")" = 401
check "curl stop with token" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$base/fridges/kitchen/stop")" = 200
check "curl drink after stop" test "$(curl -s -o /dev/null -w '%{http_code}' "${json[@]}" -d '{"drinksRequested":1}' "$base/fridges/kitchen/drink")" = 410
check "curl HTTP/1.0" test "$(curl -s -0 "$base/healthz")" = '{"status":"ok"}'
t0=$(date +%s%N); kill -INT "$pid"; code=0; wait "$pid" || code=$?; echo "stop took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "SIGINT exits 0 (got $code)" test "$code" = 0

echo "cli: $passed passed, $failures failed"
[ "$failures" = 0 ]
