#!/usr/bin/env bash
# The server's background work, asserted by behaviour rather than timing: the views are
# warmed from the start (GET /api/v1/health says views_warm, the log says so, with no view
# request) and the stored segments evaluated once, the views list answers, the warm-up stops cleanly on SIGTERM (also when it is
# stopped mid-way: the process exits 0, and under ASan without a leak report), and counts
# over the linked transactions stay right (pandas: tests/data/server/warm_expected.py) while
# the server keeps the transactions' index by customer: repeated, then across re-imports
# that replace the transactions over HTTP and from the CLI, which must drop the kept index.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
SRC=${SEGKIT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
G=$WORK/g
run 0 "$SEGKIT" generate --customers 800 --respondents 10 --events-per-month 1 --out "$G" --quiet
for f in customers subscriptions transactions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" segment add refunded 'count(transactions where kind == "refund") >= 1' \
  --dataset customers
# The rates kept in the workspace, as a server's operator would: the warmed views have data.
run 0 "$SEGKIT" report --save-settings --rates USD=1,EUR=1.08,GBP=1.27 --out "$WORK/r.html" --quiet
run 0 "$SEGKIT" key create --role write --quiet
WKEY=$(printf '%s\n' "$OUT" | tail -n 1)
"$PY" "$SRC/tests/data/server/warm_expected.py" "$G" "$WORK" >"$WORK/expected.json"
E() { "$PY" -c "import json; j=json.load(open('$WORK/expected.json')); print($1)"; }

# stop_serve WHAT: SIGTERM, then the process must exit 0 (a leak or a race under the
# sanitizers would make it fail) and say it stopped.
stop_serve() {
  kill -TERM "$SPID"
  set +e
  wait "$SPID"
  local rc=$?
  set -e
  SPID=""
  equals "$rc" "0" "$1: the server exits 0"
  contains "$(cat "$WORK/serve.err")" "stopped on SIGTERM" "$1: it says it stopped"
  not_contains "$(cat "$WORK/serve.err")" "Sanitizer" "$1: no sanitizer report"
}

# ---- stopped during its warm-up: joins it and exits cleanly ----
start_serve --threads 2
api GET /api/v1/health ""
expect 200 "health at once"
equals "$(json 'j["status"]')" "ok" "health answers while the views warm up"
stop_serve "stopped right after the start"

# ---- warmed from the start, with no view request ----
start_serve --threads 2
api GET /api/v1/health ""
expect 200 "health"
contains "True False" "$(json 'j["views_warm"]')" "health has views_warm (a boolean)"
warm=False
for _ in $(seq 1 600); do # a bounded wait for the background work, not a timing
  api GET /api/v1/health ""
  warm=$(json 'j["views_warm"]')
  [ "$warm" = True ] && break
  sleep 0.1
done
equals "$warm" "True" "views_warm becomes true without any view request"
contains "$(cat "$WORK/serve.err")" "views warmed in" "the log says the views were warmed"
for _ in $(seq 1 600); do
  grep -q "segments evaluated in" "$WORK/serve.err" && break
  sleep 0.1
done
contains "$(cat "$WORK/serve.err")" "segments evaluated in" \
  "then the stored segments were evaluated once (their tables and indexes kept)"
contains "$(cat "$WORK/serve.err")" "(1 of 1;" "the one stored segment evaluated"
api GET /api/v1/health ""
equals "$(json 'j["segments_warm"]')" "True" "health says segments_warm once they were evaluated"
api GET /api/v1/views "$WKEY"
expect 200 "views list"
equals "$(json 'len(j["views"])')" "10" "the list names the ten views"
equals "$(json '[v["available"] for v in j["views"] if v["name"] == "survival"][0]')" "True" \
  "survival has its data"
api GET /api/v1/views/survival "$WKEY"
expect 200 "a warmed view"
equals "$(json 'j["view"], j["available"]')" "('survival', True)" "the survival view"

# A view asked with other rates (a dashboard user's): the server warms every view with them.
api GET "/api/v1/views/overview?rates=USD=1,EUR=1.1,GBP=1.3" "$WKEY"
expect 200 "a view with the request's rates"
equals "$(json 'j["available"]')" "True" "the overview with the request's rates"
for _ in $(seq 1 600); do
  grep -q "with the options of a request" "$WORK/serve.err" && break
  sleep 0.1
done
contains "$(cat "$WORK/serve.err")" "with the options of a request" \
  "the views are warmed with the request's rates too"

# ---- counts over the linked facts, with the index kept between requests ----
want=$(E 'j["orig"]["refunded"]')
for i in 1 2 3; do
  api GET /api/v1/segments/refunded/count "$WKEY"
  expect 200 "count $i"
  equals "$(json 'j["count"]')" "$want" "refunded count, request $i (pandas)"
done
rule='{"dataset": "customers", "rule": "count(transactions) >= 3"}'
api POST /api/v1/rules/check "$WKEY" "$rule"
expect 200 "rule check over the facts"
equals "$(json 'j["count"]')" "$(E 'j["orig"]["three"]')" "count(transactions) >= 3 (pandas)"

# ---- the facts replaced over HTTP: the kept index must go with the old table ----
meta=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $WKEY" \
  -H 'Content-Type: text/csv' --data-binary "@$WORK/tx_even.csv" \
  "$BASE/api/v1/datasets/transactions/import?mode=replace")
equals "$meta" "201" "transactions replaced over HTTP"
api GET /api/v1/segments/refunded/count "$WKEY"
expect 200 "count after the HTTP re-import"
equals "$(json 'j["count"]')" "$(E 'j["even"]["refunded"]')" "refunded after the re-import (pandas)"
api POST /api/v1/rules/check "$WKEY" "$rule"
equals "$(json 'j["count"]')" "$(E 'j["even"]["three"]')" ">= 3 transactions after it (pandas)"

# ---- and from the CLI, another process, while the server runs ----
run 0 "$SEGKIT" import "$WORK/tx_more.csv" --as transactions --mode replace --quiet
for i in 1 2; do
  api GET /api/v1/segments/refunded/count "$WKEY"
  equals "$(json 'j["count"]')" "$(E 'j["more"]["refunded"]')" "refunded after the CLI re-import, request $i (pandas)"
done
api POST /api/v1/rules/check "$WKEY" "$rule"
equals "$(json 'j["count"]')" "$(E 'j["more"]["three"]')" ">= 3 transactions after it (pandas)"
api GET /api/v1/views "$WKEY"
expect 200 "views list after the changes"

stop_serve "stopped after the requests"
finish
