#!/usr/bin/env bash
# The README's `make run`, twice in a row with Ctrl-C between, as a new user
# lives it: what the first run created is live in the second, not retired.
#   make_run_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1; build=$2
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"
data=$work/data
json=(-H 'Content-Type: application/json')

# `make run` in a process group of its own (a terminal's foreground job);
# sets $base and $group.
make_run() {
  setsid make -s -C "$source_dir" run BUILD="$build" PORT=0 \
    ARGS="--data-dir $data --admin-token t" >"$work/run.out" 2>"$work/run.err" &
  group=$!; pids+=("$group")
  await_listening "$work/run.out" "$group" && return 0
  echo "make run did not start the server" >&2; cat "$work/run.err" >&2; return 1
}

# Ctrl-C: SIGINT to the whole foreground group, then every process of it is gone.
ctrl_c() {
  kill -INT -- -"$group"
  wait "$group" || true
  for _ in $(seq 200); do
    kill -0 -- -"$group" 2>/dev/null || return 0
    sleep 0.05 # waiting for another process to exit
  done
  echo "the server outlived Ctrl-C" >&2; return 1
}

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

make_run
check "create a fridge" test "$(status "${json[@]}" -d '{"name":"kitchen","drinks":12}' "$base/fridges")" = 201
check "open an account" test "$(status "${json[@]}" -d '{"id":"alice"}' "$base/accounts")" = 201
check "deposit" test "$(status "${json[@]}" -d '{"amount":5}' "$base/accounts/alice/deposit")" = 200
ctrl_c

make_run
check "the fridge is live after a restart" \
  test "$(curl -s "${json[@]}" -d '{"drinksRequested":1}' "$base/fridges/kitchen/drink")" = \
  '{"drinksTakenOrAdded":1,"drinksLeftInFridge":11}'
check "the bank is live after a restart" \
  test "$(curl -s "${json[@]}" -d '{"amount":5}' "$base/accounts/alice/deposit")" = \
  '{"id":"alice","balance":10}'
check "a new fridge after a restart" test "$(status "${json[@]}" -d '{"name":"b"}' "$base/fridges")" = 201
ctrl_c

make_run
check "still live after a second restart" \
  test "$(curl -s "$base/fridges/kitchen")" = '{"name":"kitchen","drinksLeftInFridge":11,"stopped":false}'
ctrl_c

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
