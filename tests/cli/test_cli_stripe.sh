#!/usr/bin/env bash
# segkit import-stripe end to end: the hand-written Stripe fixtures (tests/data/billing)
# are imported into a workspace, and `segkit mrr --dataset stripe_subscriptions` gives the
# month-end MRR worked out by hand below; the dashboard CSV exports likewise; bad input
# gives the documented exit codes and messages.
source "$(dirname "$0")/lib.sh"
B=$SEGKIT_SOURCE_DIR/tests/data/billing

run 0 "$SEGKIT" import-stripe "$B/customers.json" "$B/subscriptions.json" "$B/charges.jsonl" \
  "$B/refunds.json" "$B/invoice.json" --format json
equals "$(json 'j["tables"]["customers"]["rows"]')" "3" "3 customers (one malformed, one duplicate)"
equals "$(json 'j["tables"]["subscriptions"]["rows"]')" "9" "9 subscription rows (8 items, one split at a repeating discount's end)"
equals "$(json 'j["tables"]["transactions"]["rows"]')" "6" "6 transactions"
equals "$(json 'j["objects"]["charge"]')" "5" "5 charge objects read"
equals "$(json 'j["charges_not_paid"]')" "1" "the failed charge is counted"
equals "$(json 'j["tables"]["subscriptions"]["quarantined"]')" "1" "the malformed subscription is quarantined"
equals "$(json 'len(j["skipped"])')" "9" "9 skipped objects listed"
contains "$OUT" "items.data[0].price.unit_amount is a string, expected an integer" "the reason names the path"

# Month-end MRR in USD, rates USD=1 EUR=1.08 JPY=0.0067 (see tests/unit/test_billing.c
# for every row):
#   sub_monthly  29.00                      from Jan 15           29.00
#   sub_annual   1200 EUR / 12 x 1.08       from Feb 1           108.00
#   sub_seats    15.00 x 5 x 0.80           from Jan 1           60.00
#   sub_trial    49.00, trial to Apr 15     from Apr             49.00
#   sub_cape     10.00 x 2, ends Jun 1      Jan..May             20.00
#   sub_amount_off 100.00 - 25 %            from Mar 1           75.00
#   sub_jpy      5000 JPY x 0.0067          from Feb 1           33.50
#   sub_repeat   20.00 at 50 % to Apr 1     Jan..Mar 10.00, then 20.00
# Jan 29+60+20+10 = 119.00; Feb +108+33.50 = 260.50; Mar +75 = 335.50;
# Apr +49 +10 (sub_repeat's discount ends) = 394.50; May 394.50; Jun -20 = 374.50.
run 0 "$SEGKIT" mrr --dataset stripe_subscriptions --rates USD=1,EUR=1.08,JPY=0.0067 \
  --from 2024-01 --to 2024-07 --format json
equals "$(json '[round(m["end"]*100) for m in j["months"]]')" \
  "[11900, 26050, 33550, 39450, 39450, 37450, 37450]" "month-end MRR matches the hand computation"
equals "$(json '[round(m["expansion"]*100) for m in j["months"]]')" "[0, 0, 0, 1000, 0, 0, 0]" \
  "the repeating discount ending is April's expansion"
equals "$(json '[round(m["churned"]*100) for m in j["months"]]')" "[0, 0, 0, 0, 0, 2000, 0]" \
  "cancel_at_period_end churns in June"
equals "$(json '[m["customers_end"] for m in j["months"]]')" "[4, 6, 7, 8, 8, 7, 7]" "active customers"

run 0 "$SEGKIT" quarantine stripe_subscriptions --format json
contains "$OUT" "sub_bad" "the raw malformed subscription is in the quarantine"

# Importing again replaces (default mode), it does not add.
run 0 "$SEGKIT" import-stripe "$B/subscriptions.json" --format json
equals "$(json 'j["tables"]["subscriptions"]["dataset_rows"]')" "9" "replace keeps 9 rows"
run 0 "$SEGKIT" import-stripe "$B/subscriptions.json" --mode append --format json
equals "$(json 'j["tables"]["subscriptions"]["dataset_rows"]')" "18" "append adds 9 rows"
equals "$(json 'j["tables"]["customers"]["stored"]')" "False" "customers are not touched by a subscriptions file"
run 0 "$SEGKIT" datasets --format json
equals "$(json '[d["rows"] for d in j if d["name"] == "stripe_customers"]')" "[3]" "the customers dataset still has its 3 rows"


# Dashboard CSV exports: sub_d1 29.00 x 3 from Jan 10; sub_d2 290 EUR a year x 1.08 / 12 =
# 26.10 Feb..Mar (ended Apr 1); sub_d3 29.00 after its trial (Mar 15); sub_d4 29.00 x 2
# Jan..May (cancel at period end, Jun 5). Jan 87+58 = 145.00; Feb 171.10; Mar 200.10;
# Apr 174.00; May 174.00; Jun 116.00.
run 0 "$SEGKIT" import-stripe "$B/dashboard_subscriptions.csv" "$B/dashboard_customers.csv" \
  --prefix dash --format json
equals "$(json 'j["tables"]["subscriptions"]["rows"]')" "4" "4 dashboard subscriptions (one bad Quantity)"
equals "$(json 'j["tables"]["customers"]["rows"]')" "3" "3 dashboard customers (one bad date)"
run 0 "$SEGKIT" mrr --dataset dash_subscriptions --rates USD=1,EUR=1.08 --from 2024-01 \
  --to 2024-06 --format json
equals "$(json '[round(m["end"]*100) for m in j["months"]]')" \
  "[14500, 17110, 20010, 17400, 17400, 11600]" "dashboard MRR matches the hand computation"

# Independent reference: tests/data/billing/stripe_reference.py makes 2000 random Stripe
# subscriptions (intervals, counts, JPY and KWD, legacy plans, coupons of every duration,
# every end-of-service case) and, from docs/billing.md with exact decimals, the rows they
# should become. `segkit mrr` on the imported dataset and on those rows must agree on every
# number of every month.
mkdir -p "$WORK/ref"
"$PY" "$B/stripe_reference.py" "$WORK/ref" 2000 11 > /dev/null
run 0 "$SEGKIT" import-stripe "$WORK/ref/subscriptions.json" --prefix ref --quiet
R=USD=1,EUR=1.08,JPY=0.0067,KWD=3.25
run 0 "$SEGKIT" mrr --dataset ref_subscriptions --rates $R --from 2024-01 --to 2025-12 --format json
printf '%s' "$OUT" > "$WORK/imported.json"
run 0 "$SEGKIT" mrr "$WORK/ref/expected.csv" --rates $R --from 2024-01 --to 2025-12 --format json
printf '%s' "$OUT" > "$WORK/expected.json"
if "$PY" - "$WORK/imported.json" "$WORK/expected.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = [(x["month"], k, x[k], y[k]) for x, y in zip(a["months"], b["months"]) for k in x
       if x[k] != y[k] and x[k] == x[k]]
print(len(a["months"]), "months,", a["rows_used"], "rows,", len(bad), "differences", bad[:5])
sys.exit(1 if bad or len(a["months"]) != 24 or a["rows_used"] != b["rows_used"] else 0)
PY
then pass "MRR of the imported subscriptions equals the independent reference"; else fail "imported MRR differs from the reference"; fi

# Text output names the datasets and the skipped objects.
run 0 "$SEGKIT" import-stripe "$B/charges.jsonl" --prefix t2
contains "$OUT" "t2_transactions" "text summary names the datasets"
contains "$OUT" "charges.jsonl:6: malformed: line 6 is not JSON" "text summary locates the bad line"

# Errors: not JSON (exit 3, file:line:col), no file (usage), bad prefix, missing file.
printf '{"object": "list",\n "data": [ }' > "$WORK/broken.json"
run 3 "$SEGKIT" import-stripe "$WORK/broken.json"
contains "$ERR" "broken.json:2:" "a broken JSON file is an error at its line"
contains "$ERR" "nothing was imported" "and nothing is imported"
printf 'a,b\n1,2\n' > "$WORK/other.csv"
run 3 "$SEGKIT" import-stripe "$WORK/other.csv"
contains "$ERR" "not a Stripe dashboard export" "an unknown CSV is refused"
run 2 "$SEGKIT" import-stripe
run 2 "$SEGKIT" import-stripe "$B/customers.json" --prefix "bad name"
run 2 "$SEGKIT" import-stripe "$B/customers.json" --mode upsert
run 4 "$SEGKIT" import-stripe "$WORK/missing.json"
finish
