#!/usr/bin/env bash
# segkit insights on a subscription history (tests/data/metrics/subscriptions.csv): every
# value of plan and billing_interval against the rest on churn per customer-month, on LTV
# (ARPU / churn) and on NRR over 2025-07..2026-06. The data behind each comparison comes from the metrics
# reference's brute-force month-end snapshots (tests/data/insight/history_reference.py), the
# statistics from R run live (history_reference.R: survey's svyratio, svytotal and
# svycontrast, prop.test, the Wald test, p.adjust BH); counts must be equal and every number
# agree to 1e-9. 23 customers change plan and 12 billing interval inside the window, so the
# LTV comparisons carry a covariance between segment and rest.
source "$(dirname "$0")/lib.sh"
M=$SEGKIT_SOURCE_DIR/tests/data/metrics
I=$SEGKIT_SOURCE_DIR/tests/data/insight
COMMON=(--on-error skip --rates USD=1,EUR=1.085,GBP=1.27 --from 2025-07 --to 2026-06 --min-n 10)

run 0 "$SEGKIT" insights "$M/subscriptions.csv" --by plan,billing_interval "${COMMON[@]}" --format json
printf '%s' "$OUT" > "$WORK/ins.json"
"$PY" "$I/history_reference.py" 2025-07 2026-06 "$WORK"
Rscript "$I/history_reference.R" "$WORK" 10 "$WORK/expected.csv"
equals "$("$PY" - "$WORK/ins.json" "$WORK/expected.csv" <<'PY'
import json, math, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
r = pd.read_csv(sys.argv[2])
want = {(w.measure, w.column, str(w.segment)): w for w in r.itertuples()}
bad = []
def close(a, b, what, key):
    if b != b:  # NA in R
        if a is not None:
            bad.append((key, what, a, b))
    elif a is None or abs(a - b) > 1e-9 * max(abs(b), 1e-300) + 1e-12:
        bad.append((key, what, a, b))
for f in j["findings"]:
    key = (f["measure"], f["column"], f["segment"])
    w = want.pop(key)
    if f["customers"] != w.customers or f["rest_customers"] != w.rest_customers:
        bad.append((key, "customers", f["customers"], w.customers))
    if f["too_small"] != bool(w.small):
        bad.append((key, "too_small", f["too_small"], w.small))
    for name in ("value", "rest_value", "ci_low", "ci_high", "p", "p_adjusted"):
        close(f[name], getattr(w, name), name, key)
    if f["measure"] == "nrr":
        close(f["se"], w.se, "se", key)
        close(f["rest_se"], w.rest_se, "rest_se", key)
    if f["measure"] == "ltv":
        close(f["log_se"], w.se, "log_se", key)
        close(f["rest_log_se"], w.rest_se, "rest_log_se", key)
        close(f["log_cov"], w.cov, "log_cov", key)
        close(f["rest_ci_low"], w.rest_value * math.exp(-1.959963984540054 * w.rest_se),
              "rest_ci_low", key)
    want_finding = not (w.p_adjusted != w.p_adjusted) and w.p_adjusted < 0.05
    if f["finding"] != want_finding:
        bad.append((key, "finding", f["finding"], want_finding))
for b in bad:
    print(b, file=sys.stderr)
covs = sum(1 for f in j["findings"] if f["measure"] == "ltv" and f["log_cov"] != 0)
print(len(bad), len(want), j["tests"], len(r), covs)
PY
)" "0 0 15 15 5" "churn per customer-month, LTV and NRR of every segment against the rest as R computes them (svyratio, svycontrast, prop.test, Wald, BH)"

run 0 "$SEGKIT" insights "$M/subscriptions.csv" --by plan,billing_interval "${COMMON[@]}"
contains "$OUT" "customers with plan = starter churn 2.7x as often: 3.48% (2.18-5.50%) vs 1.28%" \
  "the one finding in plain words, with its intervals"
contains "$OUT" "customers with plan = starter are worth 65.9x less: LTV 3,024 (1,427-6,411) vs 199,424 (111,125-357,886) at gross margin 100%" \
  "an LTV finding in plain words, money in whole units with its interval"
contains "$OUT" "the other 11 comparisons differ by no more than chance allows" \
  "what did not pass is said, not shown as a finding"
not_contains "$OUT" "billing_interval = year" "a two-valued column is compared once"
contains "$OUT" "each finding's numbers: segkit metrics $M/subscriptions.csv --by COL --from 2025-07 --to 2026-06" \
  "the query behind the findings is named"
# ...and that query gives the finding's own numbers: starter's 3.48% a month and its NRR
query=$("$PY" -c 'import json,sys; print([f["query"] for f in json.load(open(sys.argv[1]))["findings"] if f["segment"] == "starter"][0])' "$WORK/ins.json")
read -r -a qargs <<<"$query"
run 0 "$SEGKIT" "${qargs[@]:1}"
if grep -Eq '^starter +2025-07\.\.2026-06 .* 3\.48 .* 3024 +1427 - 6411 ' <<<"$OUT"; then pass "the traced query reproduces the segment's churn and LTV"; else fail "traced query: $query"; fi
# the gross margin scales the money, not the test; the traced query carries it
run 0 "$SEGKIT" insights "$M/subscriptions.csv" --by plan "${COMMON[@]}" --margin 0.8 --format json
equals "$("$PY" -c '
import json, sys
f = [f for f in json.load(sys.stdin)["findings"] if f["measure"] == "ltv" and f["segment"] == "starter"][0]
print(round(f["value"], 2), f["gross_margin"], "--margin 0.8" in f["query"])' <<<"$OUT")" \
  "$("$PY" -c 'print(round(3024.40107843137 * 0.8, 2), 0.8, True)')" "LTV at a gross margin of 80%"
run 2 "$SEGKIT" insights "$M/subscriptions.csv" --by plan "${COMMON[@]}" --margin 1.5
contains "$ERR" "--margin must be a number from 0 to 1, not '1.5'" "a margin outside 0..1 refused"
run 2 "$SEGKIT" insights "$SEGKIT_SHARED_DATA/survival/lung.csv" --churned status=2 --by sex --margin 0.5
contains "$ERR" "--margin applies to a subscription history" "the margin refused on a snapshot"

# a segment too small to test is named, not tested
run 0 "$SEGKIT" insights "$M/subscriptions.csv" --by plan "${COMMON[@]/10/50}"
contains "$OUT" "too small to trust (fewer than 50 customers on a side): plan = enterprise (n = 37)" \
  "small segments listed with their size"

run 2 "$SEGKIT" insights "$M/subscriptions.csv" "${COMMON[@]}"
contains "$ERR" "--by COL[,COL]" "the segmentations must be named"
run 2 "$SEGKIT" insights "$SEGKIT_SHARED_DATA/survival/lung.csv" --churned status=2 --by sex --from 2025-01
contains "$ERR" "--from applies to a subscription history" "history options refused on a snapshot"
finish
