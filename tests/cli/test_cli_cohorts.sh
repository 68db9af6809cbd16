#!/usr/bin/env bash
# segkit cohorts end to end: every cohort cell, survival point and both LTVs of the
# committed 300-customer history against the exact-decimal pandas reference
# (tests/data/metrics/cohorts_reference.py -> expected_*.csv, range 2019-07..2026-06,
# gross margin 0.75).
source "$(dirname "$0")/lib.sh"
M=$SEGKIT_SOURCE_DIR/tests/data/metrics

run 0 "$SEGKIT" cohorts "$M/subscriptions.csv" --on-error skip --quiet --rates USD=1,EUR=1.085,GBP=1.27 \
  --to 2026-06 --margin 0.75 --format json
printf '%s' "$OUT" > "$WORK/c.json"
if "$PY" - "$WORK/c.json" "$M" <<'PY'
import csv, json, math, sys
j = json.load(open(sys.argv[1]))
d = sys.argv[2]
bad = 0
cells = 0
by = {c["cohort"]: c for c in j["cohorts"]}
ref_cohorts = set()
for r in csv.DictReader(open(d + "/expected_cohorts.csv")):
    if r["range"] != "2019-07":
        continue
    ref_cohorts.add(r["cohort"])
    c = by.get(r["cohort"])
    k = int(r["k"])
    if c is None or k >= len(c["active"]):
        print("missing", r["cohort"], k); bad += 1; continue
    if c["size"] != int(r["size"]) or c["active"][k] != int(r["active"]) \
       or not math.isclose(c["logo_retention"][k], float(r["logo"]), rel_tol=1e-12) \
       or not math.isclose(c["revenue_retention"][k], float(r["revenue"]), rel_tol=1e-12):
        print("cell", r["cohort"], k, c["size"], c["active"][k], "ref", r["size"], r["active"]); bad += 1
    cells += 1
if set(by) != ref_cohorts:
    print("cohorts differ", sorted(set(by) ^ ref_cohorts)); bad += 1
surv = [r for r in csv.DictReader(open(d + "/expected_survival.csv")) if r["range"] == "2019-07"]
if len(surv) != len(j["survival"]):
    print("survival points", len(j["survival"]), len(surv)); bad += 1
for r, p in zip(surv, j["survival"]):
    if p["at_risk"] != int(r["at_risk"]) or p["churned"] != int(r["churned"]) or not math.isclose(p["survival"], float(r["survival"]), rel_tol=1e-12):
        print("survival", r, p); bad += 1
ltv = [r for r in csv.DictReader(open(d + "/expected_ltv.csv")) if r["range"] == "2019-07"][0]
if not math.isclose(j["ltv"]["ltv_simple"] * 100, float(ltv["ltv_simple"]), rel_tol=1e-9) or \
   not math.isclose(j["ltv"]["ltv_survival"] * 100, float(ltv["ltv_survival"]), rel_tol=1e-9):
    print("ltv", j["ltv"], ltv); bad += 1
print(cells, "cells compared,", bad, "differences")
sys.exit(1 if bad or cells == 0 else 0)
PY
then pass "cohorts, survival and LTV match the reference"; else fail "cohorts differ from the reference"; fi
run 0 "$SEGKIT" cohorts "$M/subscriptions.csv" --on-error skip --quiet --rates USD=1,EUR=1.085,GBP=1.27 --metric revenue --months 3
contains "$OUT" "revenue retention by signup cohort" "revenue table"
contains "$OUT" "LTV (gross margin 1.00)" "LTV line"
run 2 "$SEGKIT" cohorts "$M/subscriptions.csv" --metric money
contains "$ERR" "--metric must be logo or revenue" "bad --metric"
finish
