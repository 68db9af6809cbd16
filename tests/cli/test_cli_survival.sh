#!/usr/bin/env bash
# segkit survival end to end on R's lung data: every curve point of the JSON output against
# the values R's survival package computed (shared/data/survival/km_lung_by_sex_R.csv,
# logrank_R.txt), through the CLI's own reading of lung.csv.
source "$(dirname "$0")/lib.sh"
LUNG=$SEGKIT_SHARED_DATA/survival/lung.csv

run 0 "$SEGKIT" survival "$LUNG" --time time --event status=2 --by sex --format json
printf '%s' "$OUT" > "$WORK/km.json"
if "$PY" - "$WORK/km.json" "$SEGKIT_SHARED_DATA/survival/km_lung_by_sex_R.csv" <<'PY'
import csv, json, math, sys
got = json.load(open(sys.argv[1]))
ref = list(csv.DictReader(open(sys.argv[2])))
bad = 0
points = {g["key"]["sex"]: g["curve"] for g in got["groups"]}
for sex in ("1", "2"):
    rows = [r for r in ref if r.get("strata", r.get("sex", "")).endswith(sex)]
    curve = points[sex]
    if len(rows) != len(curve):
        print("sex", sex, "points", len(curve), "R", len(rows)); bad += 1; continue
    for r, p in zip(rows, curve):
        for a, b in (("time", "time"), ("n.risk", "at_risk"), ("n.event", "events"),
                     ("surv", "survival"), ("std.err", "std_err"), ("lower", "lower"), ("upper", "upper")):
            x, y = r[a], p[b]
            if x in ("NA", "") and y is None:
                continue
            if y is None or not math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-12):
                print("sex", sex, "time", r["time"], a, "R", x, "segkit", y); bad += 1
lr = got["logrank"]
if not math.isclose(lr["chi2"], 10.3267419549, rel_tol=1e-6) or lr["df"] != 1:
    print("logrank", lr); bad += 1
med = {g["key"]["sex"]: g["median"] for g in got["groups"]}
if med != {"1": 270.0, "2": 426.0}:
    print("medians", med); bad += 1
sys.exit(1 if bad else 0)
PY
then pass "curves, log-rank and medians match R"; else fail "survival JSON differs from R"; fi

# The same through a workspace dataset, and the table for people.
run 0 "$SEGKIT" import "$LUNG" --as lung --quiet
run 0 "$SEGKIT" survival --dataset lung --time time --event status=2 --by sex
contains "$OUT" "log-rank test: chi-square 10.3267, df 1" "table shows the log-rank test"
contains "$OUT" "270.0" "table shows the median"
# ph.ecog has one NA: counted, not silently dropped.
run 0 "$SEGKIT" survival --dataset lung --time time --event status=2 --by ph.ecog --format json
equals "$(json 'j["skipped_null_group"]')" "1" "row without a group is counted"
equals "$(json '[g["too_small"] for g in j["groups"]]')" "[False, False, False, True]" "ecog 3 (1 patient) is too small"
# Two columns: a curve per (sex, ph.ecog) combination and the log-rank test between the
# seven, against R's survfit / survdiff(~ sex + ph.ecog) (tests/data/survival/make_reference.R).
run 0 "$SEGKIT" survival --dataset lung --time time --event status=2 --by sex,ph.ecog --format json
printf '%s' "$OUT" > "$WORK/km2.json"
if "$PY" - "$WORK/km2.json" "$SEGKIT_TEST_DATA/survival/km_lung_sex_ecog_R.csv" "$SEGKIT_TEST_DATA/survival/logrank_lung_sex_ecog_R.txt" <<'PY'
import csv, json, math, sys
got = json.load(open(sys.argv[1]))
ref = list(csv.DictReader(open(sys.argv[2])))
lines = dict(l.split(" ", 1) for l in open(sys.argv[3]).read().splitlines())
bad = 0
curves = {"sex=%s;ph.ecog=%s" % (g["key"]["sex"], g["key"]["ph.ecog"]): g for g in got["groups"]}
if list(curves) != lines["groups"].replace(",", ";").split():
    print("groups", list(curves), "R", lines["groups"]); bad += 1
for name, g in curves.items():
    rows = [r for r in ref if r["strata"] == name]
    if len(rows) != len(g["curve"]):
        print(name, "points", len(g["curve"]), "R", len(rows)); bad += 1; continue
    for r, p in zip(rows, g["curve"]):
        for a, b in (("time", "time"), ("n.risk", "at_risk"), ("n.event", "events"),
                     ("surv", "survival"), ("std.err", "std_err"), ("lower", "lower"), ("upper", "upper")):
            x, y = r[a], p[b]
            if x in ("NA", "") and y is None:
                continue
            if y is None or not math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-12):
                print(name, "time", r["time"], a, "R", x, "segkit", y); bad += 1
meds = [g["median"] for g in curves.values()]
if [float(m) for m in lines["median"].split()] != meds:
    print("medians", meds, lines["median"]); bad += 1
lr = got["logrank"]
if not math.isclose(lr["chi2"], float(lines["chisq"]), rel_tol=1e-6) or lr["df"] != int(lines["df"]) \
   or not math.isclose(lr["p"], float(lines["p"]), rel_tol=1e-6):
    print("logrank", lr, lines); bad += 1
sys.exit(1 if bad else 0)
PY
then pass "two-column curves, medians and log-rank match R"; else fail "two-column survival differs from R"; fi
equals "$(json 'j["skipped_null_group"]')" "1" "the row without ph.ecog is counted"
# Sex at equal ph.ecog: stratified log-rank and the stratified Cox hazard ratio of sex 2
# against sex 1, against R (tests/data/survival/cox_lung_sex_R.txt).
run 0 "$SEGKIT" survival --dataset lung --time time --event status=2 --by sex --strata ph.ecog --format json
R_COX=$SEGKIT_TEST_DATA/survival/cox_lung_sex_R.txt
ref() { awk -v k="$1" -v i="$2" '$1 == k { print $(i + 1) }' "$R_COX"; }
close() { "$PY" -c "import sys, math; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if math.isclose(a, b, rel_tol=1e-6) else 1)" "$1" "$2"; }
if close "$(json 'j["logrank"]["chi2"]')" "$(ref strat_chisq 1)"; then pass "stratified log-rank matches R"; else fail "stratified log-rank $(json 'j["logrank"]')"; fi
if close "$(json 'j["cox"]["beta"]')" "$(ref cox_strata_beta 1)" && close "$(json 'j["cox"]["se"]')" "$(ref cox_strata_se 1)" \
   && close "$(json 'j["cox"]["ci_low"]')" "$(ref cox_strata_ci 1)" && close "$(json 'j["cox"]["ci_high"]')" "$(ref cox_strata_ci 2)"; then
  pass "stratified Cox hazard ratio and interval match R"; else fail "stratified Cox $(json 'j["cox"]')"; fi
equals "$(json 'j["strata"]')" "['ph.ecog']" "strata named in the JSON"
equals "$(json '[g["n"] for g in j["groups"]]')" "[137, 90]" "curves per sex over the rows with a ph.ecog"
run 0 "$SEGKIT" survival --dataset lung --time time --event status=2 --by sex --format json
# R's documented coxph(Surv(time, status) ~ sex, lung): coef -0.5310, se 0.1672.
if "$PY" -c "import sys; sys.exit(0 if abs($(json 'j["cox"]["beta"]') + 0.5310) < 5e-5 and abs($(json 'j["cox"]["se"]') - 0.1672) < 5e-5 else 1)"; then pass "unstratified Cox of sex on all 228 rows matches R's coxph"; else fail "unstratified Cox $(json 'j["cox"]')"; fi
run 2 "$SEGKIT" survival --dataset lung --time time --event status=2 --by sex --strata nosuch
contains "$ERR" "no column named 'nosuch'" "unknown stratum column named"
run 2 "$SEGKIT" survival --dataset lung --time time --event status
contains "$ERR" "--event needs COL=VALUE" "bad --event"
run 3 "$SEGKIT" survival --dataset lung --time nosuch --event status=2
contains "$ERR" "nosuch" "unknown column named"
finish
