# Helpers of the HTTP API tests (test_cli_serve*.sh), sourced after lib.sh.

# A server started by start_serve is stopped when the test ends, whatever way it ends
# (this replaces lib.sh's EXIT trap, and removes $WORK as it did).
SPID=""
cleanup() {
  if [ -n "$SPID" ]; then kill -TERM "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_serve ARGS...: `segkit serve --port 0 ARGS` in the background; sets SPID, PORT, BASE
# once /api/v1/health answers (a failed start ends the test).
start_serve() {
  "$SEGKIT" serve --port 0 "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SPID=$!
  PORT=""
  for _ in $(seq 1 100); do
    PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$WORK/serve.out" 2>/dev/null || true)
    if [ -n "$PORT" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/health"; then break; fi
    sleep 0.1
  done
  [ -n "$PORT" ] || { fail "the server did not start: $(cat "$WORK/serve.err")"; finish; }
  BASE="http://127.0.0.1:$PORT"
}

# api METHOD PATH KEY [BODY]: one HTTP request; sets CODE, CTYPE and OUT (the body); the
# response headers are in $WORK/headers. IF_MATCH=TAG api ... sends If-Match: TAG.
api() {
  local method=$1 path=$2 key=$3
  shift 3
  local args=(-s -D "$WORK/headers" -o "$WORK/body" -w '%{http_code} %{content_type}' -X "$method")
  if [ -n "$key" ]; then args+=(-H "Authorization: Bearer $key"); fi
  if [ -n "${IF_MATCH:-}" ]; then args+=(-H "If-Match: $IF_MATCH"); fi
  if [ $# -gt 0 ]; then args+=(-H 'Content-Type: application/json' --data-binary "$1"); fi
  local meta
  meta=$(curl "${args[@]}" "$BASE$path")
  CODE=${meta%% *}
  CTYPE=${meta#* }
  OUT=$(cat "$WORK/body")
}

# expect STATUS WHAT: the status, a JSON content type, and a body that parses.
expect() {
  equals "$CODE" "$1" "$2: HTTP $1"
  equals "$CTYPE" "application/json" "$2: Content-Type"
  if ! printf '%s' "$OUT" | "$PY" -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
    fail "$2: body is not JSON: ${OUT:0:300}"
  fi
}

# expect_error STATUS CODE NEEDLE WHAT
expect_error() {
  expect "$1" "$4"
  equals "$(json 'j["error"]["code"]')" "$2" "$4: error code"
  contains "$(json 'j["error"]["message"]')" "$3" "$4: message"
}
