#!/usr/bin/env bash
# segkit metrics on a subscription history: per (plan, billing interval) and quarter, and
# per tenure stage over the whole range, every count, money sum, rate and both LTVs match
# the independent Python reference (tests/data/metrics/periods_reference.py ->
# expected_periods.csv, expected_ltv_groups.csv); the Wilson intervals match scipy's; the
# table flags small segments on their own row.
source "$(dirname "$0")/lib.sh"
M=$SEGKIT_SOURCE_DIR/tests/data/metrics
COMMON=(--on-error skip --rates USD=1,EUR=1.085,GBP=1.27 --from 2023-07 --to 2026-06 --margin 0.75 --horizon 60 --format json)

run 0 "$SEGKIT" metrics "$M/subscriptions.csv" --by plan,billing_interval --period quarter "${COMMON[@]}"
printf '%s' "$OUT" > "$WORK/quarters.json"
run 0 "$SEGKIT" metrics "$M/subscriptions.csv" --by tenure_stage "${COMMON[@]}"
printf '%s' "$OUT" > "$WORK/stages.json"

if "$PY" - "$WORK" "$M/expected_periods.csv" "$M/expected_ltv_groups.csv" <<'PY'
import csv, json, math, sys
from scipy.stats import binomtest
work, periods_csv, ltv_csv = sys.argv[1:4]
got = {}
for config in ("quarters", "stages"):
    j = json.load(open(f"{work}/{config}.json"))
    series = {"ALL": j["overall"]}
    for g in j["groups"]:
        series[" / ".join(g["key"].values())] = g
    got[config] = series
bad = n = 0
def close(a, b):
    if b is not None and math.isinf(b):
        return a is None  # JSON has no infinity: null
    if a is None or b is None or math.isnan(b):
        return (a is None) == (b is None or math.isnan(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
def ratio(a, b):
    return a / b if b else None
for r in csv.DictReader(open(periods_csv)):
    series = got[r["config"]]
    if r["group"] not in series:
        print("missing group", r["config"], r["group"]); bad += 1; continue
    p = next((p for p in series[r["group"]]["periods"] if p["first_month"] == r["period"]), None)
    if p is None:
        print("missing period", r); bad += 1; continue
    se = {k: float(r.pop(k)) if r[k] else float("nan") for k in ("nrr_se", "grr_se")}
    e = {k: int(v) for k, v in r.items() if k not in ("config", "group", "period")}
    checks = [
        ("customers_start", p["customers_start"], e["customers_start"]),
        ("customers_end", p["customers_end"], e["customers_end"]),
        ("retained", p["retained"], e["retained"]),
        ("lost", p["lost"], e["customers_start"] - e["retained"]),
        ("customer_months", p["customer_months"], e["customer_months"]),
        ("churn_events", p["churn_events"], e["churn_events"]),
        ("mrr_start", round(p["mrr_start"] * 100), e["start_cents"]),
        ("mrr_end", round(p["mrr_end"] * 100), e["end_cents"]),
    ]
    for name, a, b in checks:
        if a != b:
            print(r["config"], r["group"], r["period"], name, "segkit", a, "reference", b); bad += 1
    rates = [
        ("nrr", p["nrr"], ratio(e["retained_cents"], e["start_cents"])),
        ("grr", p["grr"], ratio(e["capped_cents"], e["start_cents"])),
        ("logo_churn", p["logo_churn"], ratio(e["customers_start"] - e["retained"], e["customers_start"])),
        ("monthly_churn", p["monthly_churn"], ratio(e["churn_events"], e["customer_months"])),
        ("arpu", p["arpu"], ratio(e["mrr_sum_cents"], 100 * e["active_months"])),
    ]
    z = 1.959963984540054
    for name, val, s_ in (("nrr", ratio(e["retained_cents"], e["start_cents"]), se["nrr_se"]),
                          ("grr", ratio(e["capped_cents"], e["start_cents"]), se["grr_se"])):
        if val is None or math.isnan(s_):
            rates += [(name + "_ci_low", p[name + "_ci_low"], None)]
            continue
        hi = val + z * s_
        rates += [(name + "_ci_low", p[name + "_ci_low"], max(0.0, val - z * s_)),
                  (name + "_ci_high", p[name + "_ci_high"], min(1.0, hi) if name == "grr" else hi)]
    if e["customer_months"] > 0:
        ci = binomtest(e["churn_events"], e["customer_months"]).proportion_ci(0.95, method="wilson")
        rates += [("monthly_churn_ci_low", p["monthly_churn_ci_low"], ci.low),
                  ("monthly_churn_ci_high", p["monthly_churn_ci_high"], ci.high)]
    if e["customers_start"] > 0:
        ci = binomtest(e["customers_start"] - e["retained"], e["customers_start"]).proportion_ci(0.95, method="wilson")
        rates += [("logo_churn_ci_low", p["logo_churn_ci_low"], ci.low),
                  ("logo_churn_ci_high", p["logo_churn_ci_high"], ci.high)]
    for name, a, b in rates:
        if not close(a, float("nan") if b is None else b):
            print(r["config"], r["group"], r["period"], name, "segkit", a, "reference", b); bad += 1
    if p["too_small"] != (e["customers_start"] < 30):
        print(r["config"], r["group"], r["period"], "too_small", p["too_small"]); bad += 1
    n += 1
m = 0
for r in csv.DictReader(open(ltv_csv)):
    l = got[r["config"]][r["group"]]["ltv"]
    for name, scale in (("ltv_simple", 100), ("ltv_survival", 100)):
        want = float(r[name + "_cents"]) if r[name + "_cents"] else float("nan")
        a = l[name] * scale if l[name] is not None else None
        if not close(a, want):
            print(r["config"], r["group"], name, "segkit", a, "reference", want); bad += 1
    if l["survival_months_observed"] != int(r["n_observed"]):
        print(r["config"], r["group"], "n_observed", l["survival_months_observed"], r["n_observed"]); bad += 1
    m += 1
print(n, "group-periods and", m, "LTVs compared,", bad, "differences")
sys.exit(1 if bad or n < 100 or m < 13 else 0)
PY
then pass "periods and LTVs per segment match the independent reference"; else fail "segment metrics differ from the reference"; fi

# Cohorts by segment: every cell of the plan cohorts against the reference
# (expected_segment_cohorts.csv: observed, active, MRR and start MRR per plan and k).
run 0 "$SEGKIT" cohorts "$M/subscriptions.csv" --on-error skip --rates USD=1,EUR=1.085,GBP=1.27 \
  --from 2023-07 --to 2026-06 --by plan --format json
printf '%s' "$OUT" > "$WORK/seg_cohorts.json"
if "$PY" - "$WORK/seg_cohorts.json" "$M/expected_segment_cohorts.csv" <<'PY'
import csv, json, math, sys
j = json.load(open(sys.argv[1]))
got = {c["key"]["plan"]: c for c in j["cohorts"]}
bad = n = 0
for r in csv.DictReader(open(sys.argv[2])):
    c = got[r["plan"]]
    k = int(r["k"])
    obs, act = int(r["observed"]), int(r["active"])
    mrr, base = int(r["mrr_cents"]), int(r["base_cents"])
    if k >= len(c["observed"]) or c["observed"][k] != obs or c["active"][k] != act:
        print(r, "segkit", c["observed"][k:k+1], c["active"][k:k+1]); bad += 1; continue
    if not math.isclose(c["logo_retention"][k], act / obs, rel_tol=1e-12) or \
       not math.isclose(c["revenue_retention"][k], mrr / base, rel_tol=1e-12):
        print(r, "segkit", c["logo_retention"][k], c["revenue_retention"][k]); bad += 1
    n += 1
if sum(len(c["observed"]) for c in got.values()) != n:
    print("cell counts differ"); bad += 1
print(n, "segment-cohort cells compared,", bad, "differences")
sys.exit(1 if bad or n == 0 else 0)
PY
then pass "cohorts by plan match the reference cell by cell"; else fail "segment cohorts differ"; fi

# Customer attributes from another table (--customers): segments by country. Customers at
# the start of the range per country, counted here with pandas from the raw files (a row
# pays at the end of 2025-06 when paid start <= 2025-06-30 < end and its price is > 0); the
# customers left out of the customers file form the segment "(null)".
run 0 "$SEGKIT" generate --customers 1500 --respondents 10 --events-per-month 0 --out "$WORK/g" --quiet
"$PY" - "$WORK/g/customers.csv" "$WORK/cust_part.csv" <<'PY'
import sys, pandas as pd
c = pd.read_csv(sys.argv[1])
c[c.customer_id % 10 != 0].to_csv(sys.argv[2], index=False)   # every tenth customer missing
PY
run 0 "$SEGKIT" metrics "$WORK/g/subscriptions.csv" --customers "$WORK/cust_part.csv" --by country \
  --rates USD=1,EUR=1.08,GBP=1.27 --from 2025-07 --to 2026-06 --format json
printf '%s' "$OUT" > "$WORK/country.json"
if "$PY" - "$WORK/g/subscriptions.csv" "$WORK/cust_part.csv" "$WORK/country.json" <<'PY'
import json, sys, pandas as pd
s = pd.read_csv(sys.argv[1], parse_dates=["started_at", "trial_end", "ended_at"])
c = pd.read_csv(sys.argv[2])
j = json.load(open(sys.argv[3]))
day = pd.Timestamp("2025-06-30")
paid = s.trial_end.where(s.trial_end > s.started_at, s.started_at).fillna(s.started_at)
live = s[(paid <= day) & (s.ended_at.isna() | (s.ended_at > day)) & (s.unit_price * s.seats > 0)
         & ~(s.ended_at < s.started_at)]
active = pd.Series(live.customer_id.unique(), name="customer_id").to_frame()
active = active.merge(c[["customer_id", "country"]], how="left").fillna({"country": "(null)"})
want = active.groupby("country").size().to_dict()
got = {g["key"]["country"]: g["periods"][0]["customers_start"] for g in j["groups"]}
got = {k: v for k, v in got.items() if v > 0}
if got != want:
    print("segkit", sorted(got.items())); print("pandas", sorted(want.items())); sys.exit(1)
print(len(want), "countries agree, (null):", want.get("(null)"))
PY
then pass "segments from a customers table match pandas, missing customers as (null)"; else fail "segments by a customer attribute differ"; fi
run 3 "$SEGKIT" metrics "$WORK/g/subscriptions.csv" --customers "$WORK/g/subscriptions.csv" --by plan_x \
  --customers-key customer_id --rates USD=1,EUR=1.08,GBP=1.27
contains "$ERR" "plan_x" "a --by column in neither table is named"

# The table: one row per segment and quarter, small segments flagged on their row.
run 0 "$SEGKIT" metrics "$M/subscriptions.csv" --on-error skip --rates USD=1,EUR=1.085,GBP=1.27 \
  --from 2026-01 --to 2026-06 --by plan,billing_interval --period quarter
contains "$(grep '^starter *year *2026-Q1' <<<"$OUT")" "too small to conclude (n < 30)" "a small segment is flagged next to its numbers"
contains "$OUT" "95%_interval" "intervals in the table"
run 0 "$SEGKIT" metrics "$M/subscriptions.csv" --on-error skip --rates USD=1,EUR=1.085,GBP=1.27 \
  --from 2026-02 --to 2026-04 --period quarter --format csv
equals "$(grep -c 'partial period' <<<"$OUT")" "2" "clipped quarters are marked partial"
run 2 "$SEGKIT" metrics "$M/subscriptions.csv" --period fortnight
contains "$ERR" "--period must be month, quarter, year or range" "bad period"
run 2 "$SEGKIT" metrics "$M/subscriptions.csv" --margin 1.5
contains "$ERR" "--margin must be a number from 0 to 1" "bad margin"
run 2 "$SEGKIT" metrics "$M/subscriptions.csv" --by plan,regoin
contains "$ERR" "no column named 'regoin'" "unknown --by column named"
finish
