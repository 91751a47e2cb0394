# Sourced by the shell suites: a scratch directory, processes killed at exit,
# and `check` to count what passed.
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
failures=0; passed=0
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what" >&2; failures=$((failures + 1)); fi
}
# Waits until FILE holds the server's "listening on" line, while PID lives;
# sets $base (http://HOST:PORT) and $port.
# Waits (up to 30 s) until file $1 has a line matching $2.
await_line() {
  for _ in $(seq 600); do
    grep -q "$2" "$1" && return 0
    sleep 0.05 # waiting for another process to write
  done
  return 1
}

await_listening() {
  local file=$1 pid=$2
  for _ in $(seq 600); do
    base=$(sed -n 's#^listening on \(http://.*\)$#\1#p' "$file")
    port=${base##*:}
    [ -n "$base" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05 # waiting for another process to start listening
  done
  return 1
}
