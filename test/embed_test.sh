#!/usr/bin/env bash
# Installs this build into a scratch prefix, builds examples/embed against
# the installed package (find_package(fridgebank)), and runs the examples.
#   embed_test.sh BUILD_DIR SOURCE_DIR [EXTRA_CXX_FLAGS]
set -euo pipefail
build=$1; source=$2; flags=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/examples/embed" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$work/build" -j "$(nproc)" >/dev/null
"$work/build/fridge_and_bank"
"$work/build/party"
