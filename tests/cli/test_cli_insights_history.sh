#!/usr/bin/env bash
# segkit insights on a subscription history (tests/data/metrics/subscriptions.csv): every
# value of plan and billing_interval against the rest on churn per customer-month and on
# NRR over 2025-07..2026-06. The data behind each comparison comes from the metrics
# reference's brute-force month-end snapshots (tests/data/insight/history_reference.py), the
# statistics from R run live (history_reference.R: survey's svyratio, prop.test, the Wald
# test, p.adjust BH); counts must be equal and every number agree to 1e-9.
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
    want_finding = not (w.p_adjusted != w.p_adjusted) and w.p_adjusted < 0.05
    if f["finding"] != want_finding:
        bad.append((key, "finding", f["finding"], want_finding))
for b in bad:
    print(b, file=sys.stderr)
print(len(bad), len(want), j["tests"], len(r))
PY
)" "0 0 10 10" "churn per customer-month and NRR of every segment against the rest as R computes them (svyratio, prop.test, Wald, BH)"

run 0 "$SEGKIT" insights "$M/subscriptions.csv" --by plan,billing_interval "${COMMON[@]}"
contains "$OUT" "customers with plan = starter churn 2.7x as often: 3.48% (2.18-5.50%) vs 1.28%" \
  "the one finding in plain words, with its intervals"
contains "$OUT" "the other 9 comparisons differ by no more than chance allows" \
  "what did not pass is said, not shown as a finding"
not_contains "$OUT" "billing_interval = year" "a two-valued column is compared once"
contains "$OUT" "each finding's numbers: segkit metrics $M/subscriptions.csv --by COL --from 2025-07 --to 2026-06" \
  "the query behind the findings is named"
# ...and that query gives the finding's own numbers: starter's 3.48% a month and its NRR
query=$("$PY" -c 'import json,sys; print([f["query"] for f in json.load(open(sys.argv[1]))["findings"] if f["segment"] == "starter"][0])' "$WORK/ins.json")
read -r -a qargs <<<"$query"
run 0 "$SEGKIT" "${qargs[@]:1}"
if grep -Eq '^starter +2025-07\.\.2026-06 .* 3\.48 ' <<<"$OUT"; then pass "the traced query reproduces the segment's churn"; else fail "traced query: $query"; fi

# a segment too small to test is named, not tested
run 0 "$SEGKIT" insights "$M/subscriptions.csv" --by plan "${COMMON[@]/10/50}"
contains "$OUT" "too small to trust (fewer than 50 customers on a side): plan = enterprise (n = 37)" \
  "small segments listed with their size"

run 2 "$SEGKIT" insights "$M/subscriptions.csv" "${COMMON[@]}"
contains "$ERR" "--by COL[,COL]" "the segmentations must be named"
run 2 "$SEGKIT" insights "$SEGKIT_SHARED_DATA/survival/lung.csv" --churned status=2 --by sex --from 2025-01
contains "$ERR" "--from applies to a subscription history" "history options refused on a snapshot"
finish
