#!/usr/bin/env bash
# Crash safety of imports: SIGKILL `segkit import` at random points, many times. After
# every kill the workspace must open cleanly (SQLite integrity check, segkit datasets) and
# hold whole batches only: the dataset's row count is always a multiple of the file's rows.
source "$(dirname "$0")/lib.sh"
KILLS=${SEGKIT_CRASH_KILLS:-40}

run 0 "$SEGKIT" generate --customers 20000 --respondents 10 --events-per-month 0 --out "$WORK/data" --quiet
TX="$WORK/data/transactions.csv"
ROWS=$(( $(wc -l < "$TX") - 1 ))
[ "$ROWS" -gt 100000 ] || fail "expected a sizeable file, got $ROWS rows"

# One complete import first: how long it takes sets the range of kill times.
start=$(date +%s%N)
run 0 "$SEGKIT" import "$TX" --as tx --quiet
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "a complete import of $ROWS rows takes ${full_ms} ms"

expected_batches=1
for i in $(seq 1 "$KILLS"); do
  delay_ms=$(( RANDOM % (full_ms + full_ms / 4 + 1) ))
  "$SEGKIT" import "$TX" --as tx --quiet >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  integrity=$(sqlite3 "$SEGKIT_WORKSPACE" 'pragma integrity_check' 2>&1)
  [ "$integrity" == "ok" ] || fail "kill $i after ${delay_ms} ms: integrity_check says $integrity"
  run 0 "$SEGKIT" datasets --format json || continue
  rows=$(json '[d["rows"] for d in j if d["name"]=="tx"][0]')
  if [ $(( rows % ROWS )) -ne 0 ]; then
    fail "kill $i after ${delay_ms} ms: dataset has $rows rows, not a multiple of $ROWS"
  fi
  expected_batches=$(( rows / ROWS ))
done
echo "after $KILLS kills the dataset holds $expected_batches whole batches"
# The data itself is intact: every stored batch loads, and describe sees whole batches.
run 0 "$SEGKIT" describe tx --format json
equals "$(json 'j["rows"]')" "$(( expected_batches * ROWS ))" "dataset loads with whole batches"
finish
