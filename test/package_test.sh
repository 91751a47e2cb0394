#!/usr/bin/env bash
# `make deb`'s package, as an operator gets it: built by CPack from this
# build, unpacked (dpkg-deb -x), its server run from where it landed with
# the shipped configuration, its man pages and its systemd unit checked.
set -euo pipefail
build=$1
# shellcheck source=check_lib.sh
source "$(dirname "$0")/check_lib.sh"
release=$(sed -n 's/^project(fridgebank VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")
arch=$(dpkg --print-architecture)

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; exit 1; }
deb=$work/pkg/fridgebank_${release}_${arch}.deb
check "fridgebank_${release}_${arch}.deb is built" test -f "$deb"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libcaf-core libcaf-io libboost-json libboost-program-options libsqlite3 libssl libstdc++6; do
  check "Depends names $lib (dpkg-shlibdeps)" grep -q "$lib" <<<"$depends"
done
check "Version is $release" test "$(dpkg-deb -f "$deb" Version)" = "$release"
check "the configuration file is a conffile" \
  grep -qx /etc/fridgebank/fridgebank.conf <(dpkg-deb -I "$deb" conffiles)

for script in postinst prerm postrm; do
  check "the package has its $script" grep -q "$script" <(dpkg-deb -I "$deb")
done
# A plain install (embedding: `cmake --install --prefix DIR`) writes
# nothing outside DIR: /etc/fridgebank is the package's alone.
cmake --install "$build" --prefix "$work/prefix" >/dev/null
outside=$(grep -v "^$work/prefix/" "$build/install_manifest.txt" || true)
check "cmake --install --prefix writes only under it (outside: $outside)" test -z "$outside"

root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/fridgebank-server usr/bin/fridgebank-load usr/bin/fridgebank-check \
         usr/lib/systemd/system/fridgebank.service etc/fridgebank/fridgebank.conf \
         usr/share/doc/fridgebank/CHANGELOG.md; do
  check "the package holds /$f" test -f "$root/$f"
done
for program in fridgebank-server fridgebank-load fridgebank-check; do
  check "$program --version" test "$("$root/usr/bin/$program" --version)" = "$program $release"
  page=$root/usr/share/man/man1/$program.1.gz
  check "man page of $program names the release" grep -q "\"$program $release\"" <(zcat "$page")
done
# The man page is --help: every option the server reads is in it.
for option in $("$root/usr/bin/fridgebank-server" --help | grep -o -- '--[a-z-]*' | sort -u); do
  check "man fridgebank-server documents $option" grep -q -- "${option//-/\\\\-}" <(zcat "$root/usr/share/man/man1/fridgebank-server.1.gz")
done

# The unpacked server with the shipped settings (the data directory moved
# out of /var/lib), used, stopped, started again: what it acknowledged is there.
run() {
  "$root/usr/bin/fridgebank-server" --config "$root/etc/fridgebank/fridgebank.conf" \
    --data-dir "$work/data" --port 0 >"$work/out" 2>>"$work/stderr" &
  pid=$!; pids+=("$pid")
  await_listening "$work/out" "$pid"
}
run
json=(-H 'Content-Type: application/json')
check "the packaged server creates a fridge" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "${json[@]}" -d '{"name":"deb","drinks":4}' "$base/fridges")" = 201
check "the packaged server serves a drink" \
  test "$(curl -s "${json[@]}" -d '{"drinksRequested":1}' "$base/fridges/deb/drink")" = '{"drinksTakenOrAdded":1,"drinksLeftInFridge":3}'
kill -TERM "$pid"; code=0; wait "$pid" || code=$?
check "SIGTERM (the unit's KillSignal) stops it cleanly (exit $code)" test "$code" = 0
run
check "after a restart the drink is still taken" \
  grep -q '"drinksLeftInFridge":3' <(curl -s "$base/fridges/deb")
kill -TERM "$pid"; wait "$pid" || true

# The unit: systemd-analyze verify with the binary and the man page where
# the package put them (this machine runs no systemd to start it).
unit=$root/usr/lib/systemd/system/fridgebank.service
for key in DynamicUser=yes StateDirectory=fridgebank NoNewPrivileges=yes ProtectSystem=strict \
           PrivateTmp=yes KillSignal=SIGTERM 'ExecStart=/usr/bin/fridgebank-server --config /etc/fridgebank/fridgebank.conf'; do
  check "the unit sets $key" grep -qx "$key" "$unit"
done
check "the unit has no ExecReload" test -z "$(grep '^ExecReload' "$unit" || true)"
stop_sec=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
check "TimeoutStopSec ($stop_sec s) covers the 10 s drain" test "$stop_sec" -gt 10
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$work/unit"
  sed "s#/usr/bin/#$root/usr/bin/#" "$unit" >"$work/unit/fridgebank.service"
  verify=$(MANPATH=$root/usr/share/man systemd-analyze verify "$work/unit/fridgebank.service" 2>&1) || true
  check "systemd-analyze verify: no complaint (got: $verify)" test -z "$verify"
  # `security --offline` came with systemd 250 (Debian 12 has 252).
  if [ "$(systemd-analyze --version | awk 'NR == 1 { print $2 }')" -ge 250 ]; then
    exposure=$(MANPATH=$root/usr/share/man systemd-analyze security --offline=true \
      "$work/unit/fridgebank.service" 2>/dev/null | sed -n 's/.*Overall exposure level for fridgebank.service: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze security: exposure $exposure"
    check "hardened: exposure $exposure <= 2.0" awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }'
  fi
else
  echo "systemd-analyze not found: the unit is not verified"
fi

echo "package: $passed passed, $failures failed"
[ "$failures" = 0 ]
