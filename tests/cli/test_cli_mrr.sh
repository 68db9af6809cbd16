#!/usr/bin/env bash
# segkit mrr end to end: through the CLI's own CSV reading, every month of the committed
# 300-customer history matches the exact-decimal Python reference
# (tests/data/metrics/mrr_reference.py -> expected_movements.csv), totals and per plan;
# and on freshly generated data the movements reconcile to the cent every month.
source "$(dirname "$0")/lib.sh"
M=$SEGKIT_SOURCE_DIR/tests/data/metrics

run 0 "$SEGKIT" mrr "$M/subscriptions.csv" --on-error skip --rates USD=1,EUR=1.085,GBP=1.27 \
  --from 2023-07 --to 2026-06 --by plan --format json
printf '%s' "$OUT" > "$WORK/mrr.json"
if "$PY" - "$WORK/mrr.json" "$M/expected_movements.csv" <<'PY'
import csv, json, sys
got = json.load(open(sys.argv[1]))
series = {"ALL": got["months"]}
for g in got["groups"]:
    series[g["key"]["plan"]] = g["months"]
bad = 0
n = 0
for r in csv.DictReader(open(sys.argv[2])):
    months = {m["month"]: m for m in series[r["group"]]}
    m = months[r["month"]]
    for k in ("start", "new", "reactivation", "expansion", "contraction", "churned", "end"):
        if round(m[k] * 100) != int(r[k]):
            print(r["group"], r["month"], k, "segkit", m[k], "reference cents", r[k]); bad += 1
    for k, j in (("customers_start", "customers_start"), ("customers_end", "customers_end"),
                 ("n_new", "new_customers"), ("n_churned", "churned_customers")):
        if m[j] != int(r[k]):
            print(r["group"], r["month"], k, "segkit", m[j], "reference", r[k]); bad += 1
    n += 1
print(n, "group-months compared,", bad, "differences")
sys.exit(1 if bad or n == 0 else 0)
PY
then pass "movements match the independent reference"; else fail "movements differ from the reference"; fi
equals "$(json 'j["rows_skipped"]')" "2" "the 2 rows that end before they start are skipped and counted"

run 0 "$SEGKIT" generate --customers 2000 --respondents 10 --events-per-month 0 --out "$WORK/g" --quiet
run 0 "$SEGKIT" import "$WORK/g/subscriptions.csv" --as subs --quiet
run 0 "$SEGKIT" mrr --dataset subs --rates USD=1,EUR=1.08,GBP=1.27 --from 2023-07 --format json
equals "$(json 'len(j["months"])')" "36" "--from 2023-07 to the last date: 36 months"
equals "$(json 'all(round((m["start"]+m["new"]+m["reactivation"]+m["expansion"]-m["contraction"]-m["churned"]-m["end"])*100)==0 for m in j["months"])')" "True" "every month reconciles"
equals "$(json 'all(round((a["end"]-b["start"])*100)==0 for a,b in zip(j["months"], j["months"][1:]))')" "True" "each month starts where the last ended"
# Other column names, mapped by a file (--mapping) or by flags: the same movements.
"$PY" - "$WORK/g/subscriptions.csv" "$WORK/renamed.csv" <<'PY'
import sys, pandas as pd
d = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
d.rename(columns={"customer_id": "account", "unit_price": "amount", "seats": "licenses",
                  "billing_interval": "cadence", "started_at": "began", "ended_at": "stopped",
                  "discount_percent": "coupon"}).to_csv(sys.argv[2], index=False)
PY
cat > "$WORK/mapping.json" <<'JSON'
{"customer": "account", "price": "amount", "quantity": "licenses", "interval": "cadence",
 "start": "began", "end": "stopped", "discount": "coupon"}
JSON
run 0 "$SEGKIT" mrr --dataset subs --rates USD=1,EUR=1.08,GBP=1.27 --from 2023-07 --to 2026-06 --format json
base=$(json 'j["months"]')
base_end=$(json 'j["months"][-1]["customers_end"]')
base_mrr=$(json 'j["months"][-1]["end"]')
run 0 "$SEGKIT" mrr "$WORK/renamed.csv" --mapping "$WORK/mapping.json" --rates USD=1,EUR=1.08,GBP=1.27 --from 2023-07 --to 2026-06 --format json
equals "$(json 'j["months"]')" "$base" "a mapping file gives the same movements"
run 0 "$SEGKIT" mrr "$WORK/renamed.csv" --mapping "$WORK/mapping.json" --customer-col account --discount-col none \
  --rates USD=1,EUR=1.08,GBP=1.27 --from 2023-07 --to 2026-06 --format json
equals "$(json 'j["months"][-1]["customers_end"]')" "$base_end" "flags override the file: same customers"
equals "$(json "j['months'][-1]['end'] > $base_mrr")" "True" "flags override the file: without discounts the MRR is higher"
echo '{"customer": "account", "plan_price": "amount"}' > "$WORK/bad_mapping.json"
run 2 "$SEGKIT" mrr "$WORK/renamed.csv" --mapping "$WORK/bad_mapping.json"
contains "$ERR" "unknown role 'plan_price'" "an unknown role is named"
echo '{"customer": ' > "$WORK/broken.json"
run 2 "$SEGKIT" mrr "$WORK/renamed.csv" --mapping "$WORK/broken.json"
contains "$ERR" "broken.json:2:0: unexpected token" "malformed mapping named with its line"
run 3 "$SEGKIT" mrr --dataset subs --from 2024-01 --to 2024-06
contains "$ERR" "EUR" "a currency without a rate is named"
run 2 "$SEGKIT" mrr --dataset subs --to 2024-13
contains "$ERR" "--to must be a month" "bad month"
finish
