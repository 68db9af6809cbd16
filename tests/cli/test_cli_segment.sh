#!/usr/bin/env bash
# segkit link (and, with the rule language, segkit segment): links checked against the
# datasets' columns, listed, replaced, and audited.
source "$(dirname "$0")/lib.sh"
run 0 "$SEGKIT" generate --customers 300 --respondents 10 --events-per-month 2 --out "$WORK/g" --quiet
for f in customers transactions events subscriptions; do
  run 0 "$SEGKIT" import "$WORK/g/$f.csv" --as "$f" --on-error skip --quiet
done
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
contains "$OUT" "linked transactions.customer_id to customers.customer_id, time column timestamp" "link declared"
run 0 "$SEGKIT" link events.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" link --format json
equals "$(json '[(l["fact"], l["key"], l["time"]) for l in j]')" "[('events', 'customer_id', 'timestamp'), ('transactions', 'customer_id', 'timestamp')]" "links listed"
run 3 "$SEGKIT" link transactions.custid customers.customer_id
contains "$ERR" "dataset 'transactions' has no column 'custid'" "a missing column is named"
run 3 "$SEGKIT" link transactions.customer_id clients.customer_id
contains "$ERR" "clients" "a missing dataset is named"
run 2 "$SEGKIT" link transactions customers.customer_id
contains "$ERR" "expected DATASET.COLUMN twice" "malformed reference"
run 0 "$SEGKIT" audit --format json
equals "$(json 'sum(1 for e in j if e["action"] == "link")')" "2" "links audited"
finish
