# Helpers for CLI end-to-end tests. Sourced by tests/cli/test_*.sh, which CTest runs with
# SEGKIT (the binary), SEGKIT_TEST_DATA, SEGKIT_SHARED_DATA and SEGKIT_SOURCE_DIR set.
set -euo pipefail

: "${SEGKIT:?SEGKIT must point at the segkit binary}"
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segkit-cli-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export SEGKIT_WORKSPACE="$WORK/ws.db"
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

# run EXPECTED_EXIT CMD...: runs CMD, captures stdout/stderr in $OUT/$ERR, checks the exit code.
run() {
  local expected=$1
  shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  if [ "$rc" -ne "$expected" ]; then
    fail "'$*' exited $rc, expected $expected; stderr: $ERR; stdout: ${OUT:0:2000}"
    return 1
  fi
  return 0
}

contains() { # contains HAYSTACK NEEDLE WHAT
  if [[ "$1" == *"$2"* ]]; then pass "$3"; else fail "$3: expected to find '$2' in: ${1:0:3000}"; fi
}

not_contains() {
  if [[ "$1" != *"$2"* ]]; then pass "$3"; else fail "$3: did not expect '$2' in: ${1:0:3000}"; fi
}

equals() { # equals ACTUAL EXPECTED WHAT
  if [ "$1" == "$2" ]; then pass "$3"; else fail "$3: got '$1', expected '$2'"; fi
}

# json EXPR: evaluate a Python expression over the JSON in $OUT (bound to `j`).
json() {
  printf '%s' "$OUT" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print(($1))"
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
