#!/usr/bin/env bash
# Installs this build into a scratch prefix, builds examples/embed and
# examples/remote-client against the installed package
# (find_package(fridgebank)), and runs them; the remote client against the
# installed server's published actors, and the installed load tool against
# that server.
#   embed_test.sh BUILD_DIR SOURCE_DIR [EXTRA_CXX_FLAGS]
set -euo pipefail
build=$1; source=$2; flags=${3:-}
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/examples/embed" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/build" -j "$(nproc)" >/dev/null
"$work/build/fridge_and_bank"
"$work/build/party"

cmake -S "$source/examples/remote-client" -B "$work/remote" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/remote" -j "$(nproc)" >/dev/null
"$work/prefix/bin/fridgebank-server" --port 0 --in-memory --publish 0 --admin-token t \
  >"$work/server.out" 2>/dev/null &
server_pid=$!
for _ in $(seq 200); do
  published=$(sed -n 's/^actors published on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.out")
  [ -n "$published" ] && break
  sleep 0.05 # waiting for another process to publish
done
[ -n "$published" ] || { echo "the installed server did not publish" >&2; exit 1; }
"$work/remote/remote_client" 127.0.0.1 "$published" garage
# Again: the fridge exists now and has 1 drink left, which stays.
"$work/remote/remote_client" 127.0.0.1 "$published" garage
# The installed load tool against the installed server.
url=$(sed -n 's#^listening on \(http://.*\)$#\1#p' "$work/server.out")
"$work/prefix/bin/fridgebank-load" --url "$url" --scenario polite-atomic --connections 3 \
  --requests 300 --quiet | tail -1
# A node whose actors were reached from another node still stops cleanly.
kill -TERM "$server_pid"
for _ in $(seq 200); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05 # waiting for another process to exit
done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "the server did not stop within 10 s of SIGTERM" >&2
  exit 1
fi
code=0
wait "$server_pid" || code=$?
server_pid=""
[ "$code" = 0 ] || { echo "the server exited with $code" >&2; exit 1; }
