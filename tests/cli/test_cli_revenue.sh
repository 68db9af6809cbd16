#!/usr/bin/env bash
# segkit revenue end to end: on freshly generated transactions (segkit generate), every
# period's charges, refunds, counts, net and paying customers, in total and per group,
# match tests/data/metrics/revenue_reference.py (pandas + exact decimals) to the cent, by
# month and by quarter; the same data with refunds as negative amounts and no kind column
# gives the same numbers; a row with a null customer is skipped and counted; bad kinds,
# negative charges, missing rates and bad options fail with the documented exit codes; the
# output does not depend on --threads.
source "$(dirname "$0")/lib.sh"
REF=$SEGKIT_SOURCE_DIR/tests/data/metrics/revenue_reference.py
RATES=USD=1,EUR=1.085,GBP=1.27

run 0 "$SEGKIT" generate --customers 2000 --respondents 10 --events-per-month 0 --out "$WORK/g" --quiet
TX=$WORK/g/transactions.csv

# compare JSON_FILE REFERENCE_CSV BY: every reference row against the CLI's JSON; groups the
# reference does not have (no row in the range) must be all zero.
compare() {
  "$PY" - "$1" "$2" "$3" <<'PY'
import csv, json, sys
got = json.load(open(sys.argv[1]))
by = [c for c in sys.argv[3].split(",") if c]
series = {"ALL": got["periods"]}
for g in got.get("groups", []):
    assert list(g["key"].keys()) == by, g["key"]
    series[json.dumps(g["key"], sort_keys=True)] = g["periods"]
bad = n = 0
seen = set()
skipped = None
for row in csv.reader(open(sys.argv[2])):
    if row[0] == "group":
        continue
    if row[0] == "skipped":
        skipped = int(row[1]); continue
    label, period = row[0], row[1]
    want = dict(zip(["charges", "charge_count", "refunds", "refund_count", "net", "paying_customers"], map(int, row[2:])))
    seen.add(label)
    if label not in series:
        print("missing group", label); bad += 1; continue
    per = {p["period"]: p for p in series[label]}
    if period not in per:
        print("missing period", label, period); bad += 1; continue
    p = per[period]
    for k in ("charges", "refunds", "net"):
        if round(p[k] * 100) != want[k]:
            print(label, period, k, "segkit", p[k], "reference cents", want[k]); bad += 1
    for k in ("charge_count", "refund_count", "paying_customers"):
        if p[k] != want[k]:
            print(label, period, k, "segkit", p[k], "reference", want[k]); bad += 1
    if round(p["net"] * 100) != round(p["charges"] * 100) - round(p["refunds"] * 100):
        print(label, period, "net != charges - refunds"); bad += 1
    n += 1
for label, periods in series.items():
    if label not in seen and any(p["charge_count"] or p["refund_count"] for p in periods):
        print("group", label, "has rows but is not in the reference"); bad += 1
# the groups add up to the totals, period by period
if by:
    for i, t in enumerate(got["periods"]):
        for k in ("charges", "refunds", "net"):
            s = sum(round(g["periods"][i][k] * 100) for g in got["groups"])
            if s != round(t[k] * 100):
                print("groups do not add up", t["period"], k); bad += 1
if skipped != got["skipped"]:
    print("skipped: segkit", got["skipped"], "reference", skipped); bad += 1
print(n, "group-periods compared,", bad, "differences")
sys.exit(1 if bad or n == 0 else 0)
PY
}

# 1. months, split by currency
run 0 "$SEGKIT" revenue "$TX" --rates "$RATES" --from 2023-07 --to 2026-06 --by currency --format json
printf '%s' "$OUT" > "$WORK/m.json"
"$PY" "$REF" "$TX" --rates "$RATES" --from 2023-07 --to 2026-06 --by currency > "$WORK/m.csv"
if compare "$WORK/m.json" "$WORK/m.csv" currency; then pass "monthly revenue by currency matches the reference"; else fail "monthly revenue differs from the reference"; fi
equals "$(json 'len(j["periods"])')" "36" "36 months"
equals "$(json 'j["periods"][0]["period"]')" "2023-07" "months are labelled YYYY-MM"

# 1b. the same log in time order (customers interleaved: the library sorts them)
"$PY" -c 'import pandas as pd, sys; pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False).sort_values("timestamp", kind="stable").to_csv(sys.argv[2], index=False)' "$TX" "$WORK/by_time.csv"
run 0 "$SEGKIT" revenue "$WORK/by_time.csv" --rates "$RATES" --from 2023-07 --to 2026-06 --by currency --format json
printf '%s' "$OUT" > "$WORK/t.json"
if compare "$WORK/t.json" "$WORK/m.csv" currency; then pass "rows in time order give the reference's numbers"; else fail "rows in time order differ from the reference"; fi

# 2. quarters, split by two columns; the range widens to whole quarters
run 0 "$SEGKIT" revenue "$TX" --rates "$RATES" --from 2023-08 --to 2026-05 --period quarter --by currency,kind --format json
printf '%s' "$OUT" > "$WORK/q.json"
"$PY" "$REF" "$TX" --rates "$RATES" --from 2023-08 --to 2026-05 --period 3 --by currency,kind > "$WORK/q.csv"
if compare "$WORK/q.json" "$WORK/q.csv" currency,kind; then pass "quarterly revenue by currency and kind matches the reference"; else fail "quarterly revenue differs from the reference"; fi
equals "$(json '[p["period"] for p in j["periods"]][:2]')" "['2023-Q3', '2023-Q4']" "quarters are labelled YYYY-Qn, widened to whole quarters"

# 3. refunds as negative amounts, no kind column: the sign decides, same numbers
"$PY" - "$TX" "$WORK/signed.csv" <<'PY'
import csv, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w", newline="") as o:
    w = csv.writer(o, lineterminator="\n")
    for i, r in enumerate(csv.DictReader(f)):
        if i == 0:
            w.writerow(["cust", "day", "value", "cur"])
        amount = r["amount"] if r["kind"] == "charge" else "-" + r["amount"]
        w.writerow([r["customer_id"], r["timestamp"][:10], amount, r["currency"]])
PY
run 0 "$SEGKIT" revenue "$WORK/signed.csv" --customer-col cust --date-col day --amount-col value \
  --currency-col cur --kind-col none --rates "$RATES" --from 2023-07 --to 2026-06 --format json
printf '%s' "$OUT" > "$WORK/s.json"
equals "$("$PY" -c 'import json,sys; a=json.load(open(sys.argv[1]))["periods"]; b=json.load(open(sys.argv[2]))["periods"]; print(a == b)' "$WORK/s.json" "$WORK/m.json")" "True" \
  "negative amounts without a kind column give the same periods as charge/refund rows"
"$PY" "$REF" "$WORK/signed.csv" --customer-col cust --date-col day --amount-col value \
  --currency-col cur --kind-col none --rates "$RATES" --from 2023-07 --to 2026-06 > "$WORK/s.csv"
if compare "$WORK/s.json" "$WORK/s.csv" ""; then pass "the reference agrees in sign mode"; else fail "sign mode differs from the reference"; fi

# 4. the output does not depend on the thread count
run 0 "$SEGKIT" revenue "$TX" --rates "$RATES" --by currency --format json --threads 1
T1=$OUT
run 0 "$SEGKIT" revenue "$TX" --rates "$RATES" --by currency --format json --threads 3
equals "$OUT" "$T1" "--threads 1 and 3 give the same JSON"

# 5. hostile rows
printf 'customer_id,timestamp,amount,currency,kind\n1,2025-01-05T10:00:00Z,10.00,USD,charge\n,2025-01-06T10:00:00Z,99.00,USD,charge\n1,2025-02-01T10:00:00Z,4.00,USD,Refund\n' > "$WORK/h.csv"
run 0 "$SEGKIT" revenue "$WORK/h.csv" --rates USD=1 --format json
equals "$(json 'j["skipped"]')" "1" "a row without a customer is skipped and counted"
equals "$(json '[(p["charges"], p["refunds"], p["net"]) for p in j["periods"]]')" "[(10.0, 0.0, 10.0), (0.0, 4.0, -4.0)]" "the refund counts in February, when it was paid out"
run 0 "$SEGKIT" revenue "$WORK/h.csv" --rates USD=1
contains "$OUT" "1 transaction row skipped" "the table says a row was skipped"
contains "$OUT" "row 2 (customer_id is empty)" "and which one (data rows counted from 1)"
printf 'customer_id,timestamp,amount,currency,kind\n1,2025-01-05T10:00:00Z,10.00,USD,charge\n2,2025-01-06T10:00:00Z,5.00,USD,rebate\n' > "$WORK/k.csv"
run 3 "$SEGKIT" revenue "$WORK/k.csv" --rates USD=1
contains "$ERR" "row 2: kind 'rebate' is unknown" "an unknown kind names the row and the value"
printf 'customer_id,timestamp,amount,currency,kind\n1,2025-01-05T10:00:00Z,10.00,USD,charge\n2,2025-01-06T10:00:00Z,-5.00,USD,charge\n' > "$WORK/n.csv"
run 3 "$SEGKIT" revenue "$WORK/n.csv" --rates USD=1
contains "$ERR" "row 2: amount -5 is invalid" "a negative charge is an error by default"
run 0 "$SEGKIT" revenue "$WORK/n.csv" --rates USD=1 --negative-charges refund --format json
equals "$(json '(j["periods"][0]["charges"], j["periods"][0]["refunds"])')" "(10.0, 5.0)" "--negative-charges refund counts it as a refund"
run 3 "$SEGKIT" revenue "$TX" --rates USD=1,EUR=1.085
contains "$ERR" "GBP" "a currency without a rate is named"
run 2 "$SEGKIT" revenue "$TX" --rates "$RATES" --period week
contains "$ERR" "--period must be" "bad period"
run 2 "$SEGKIT" revenue "$TX" --rates "$RATES" --to 2024-13
contains "$ERR" "--to must be a month" "bad month"
run 3 "$SEGKIT" revenue "$TX" --rates "$RATES" --by segment
contains "$ERR" "segment" "an unknown --by column is named"
finish
