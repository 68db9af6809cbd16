#!/usr/bin/env bash
# segkit metrics on a customer snapshot: counts per segment of R's lung data (deaths by sex:
# 112 of 138 and 53 of 90, as survdiff reports them in shared/data/survival/logrank_R.txt)
# and Wilson intervals recomputed here with scipy (an independent implementation).
source "$(dirname "$0")/lib.sh"
LUNG=$SEGKIT_SHARED_DATA/survival/lung.csv

run 0 "$SEGKIT" metrics "$LUNG" --churned status=2 --by sex --format json
printf '%s' "$OUT" > "$WORK/m.json"
if "$PY" - "$WORK/m.json" <<'PY'
import json, math, sys
from scipy.stats import binomtest
j = json.load(open(sys.argv[1]))
want = {"1": (138, 112), "2": (90, 53)}
bad = 0
for g in j["groups"]:
    n, k = want[g["key"]["sex"]]
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    got = (g["customers"], g["churned"], g["churn_rate"], g["ci_low"], g["ci_high"], g["too_small"])
    exp = (n, k, k / n, ci.low, ci.high, False)
    if got[:2] != exp[:2] or got[5] != exp[5] or any(not math.isclose(a, b, rel_tol=1e-9) for a, b in zip(got[2:5], exp[2:5])):
        print("sex", g["key"]["sex"], "segkit", got, "expected", exp); bad += 1
o = j["overall"]
if (o["customers"], o["churned"]) != (228, 165):
    print("overall", o); bad += 1
sys.exit(1 if bad or len(j["groups"]) != 2 else 0)
PY
then pass "counts and Wilson intervals match scipy"; else fail "metrics differ"; fi

# Two columns, a null group value kept as its own segment, small segments flagged.
run 0 "$SEGKIT" metrics "$LUNG" --churned status=2 --by sex,ph.ecog --format json
equals "$(json '[g["key"]["ph.ecog"] for g in j["groups"] if g["key"]["sex"]=="1"]')" "['0', '1', '2', '3', '(null)']" "every combination, nulls last"
equals "$(json 'sum(g["customers"] for g in j["groups"])')" "228" "no row lost"
equals "$(json '[g["too_small"] for g in j["groups"] if g["key"]["sex"]=="2"]')" "[True, False, True]" "segments under 30 flagged"
# With --min-n 100 the 90 women are too few: the table says so on their row.
run 0 "$SEGKIT" metrics "$LUNG" --churned status=2 --by sex --min-n 100
contains "$(grep '^2 ' <<<"$OUT")" "too small to conclude (n < 100)" "the flag is next to the number"
not_contains "$(grep '^1 ' <<<"$OUT")" "too small" "138 men are enough"
run 2 "$SEGKIT" metrics "$LUNG" --by sex
contains "$ERR" "give --churned COL=VALUE for a customer snapshot" "a snapshot without --churned is told what to add"
run 2 "$SEGKIT" metrics "$LUNG" --churned status=2 --by nosuch
contains "$ERR" "no column named 'nosuch'" "unknown column named"
run 2 "$SEGKIT" metrics "$LUNG" --churned status=2 --period quarter
contains "$ERR" "--period applies to a subscription history" "history options refused with a snapshot"
finish
