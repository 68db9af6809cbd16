#!/usr/bin/env bash
# segkit survey weight / crosstab / size end to end, against R: the expected values are
# tests/data/survey/rake_R.csv and survey_R.txt, written by make_reference.R with R's
# survey package (rake, trimWeights, svychisq, svyciprop) and chisq.test / prop.test on
# the fixed survey respondents.csv (1,500 respondents; PROVENANCE.md there).
source "$(dirname "$0")/lib.sh"
D=$SEGKIT_TEST_DATA/survey
run 0 "$SEGKIT" import "$D/respondents.csv" --as resp --key id --quiet

# ---- raking: the weights R's rake() gives, to 1e-6 ----
cmp_weights() { # cmp_weights FILE COLUMN -> max relative difference OK or the worst
  "$PY" - "$1" "$D/rake_R.csv" "$2" <<'PY'
import sys
import pandas as pd
a = pd.read_csv(sys.argv[1]).set_index("id")
b = pd.read_csv(sys.argv[2]).set_index("id")
d = ((a.weight - b[sys.argv[3]]).abs() / b[sys.argv[3]]).max()
print("ok" if len(a) == 1500 and d < 1e-6 else f"max relative difference {d}, {len(a)} rows")
PY
}
run 0 "$SEGKIT" survey weight resp --margins "$D/margins.csv" --format csv
printf '%s\n' "$OUT" > "$WORK/w.csv"
equals "$(cmp_weights "$WORK/w.csv" w_rake)" "ok" "raked weights as R's rake() from weight 1"
run 0 "$SEGKIT" survey weight resp --margins "$D/margins.csv" --base-weight base_w --population 2000000 --format csv
printf '%s\n' "$OUT" > "$WORK/wb.csv"
equals "$(cmp_weights "$WORK/wb.csv" w_base)" "ok" "raked from base weights to a population of 2,000,000 as R"
run 0 "$SEGKIT" survey weight resp --margins "$D/margins.csv" --trim 0.4,2.5 --format csv
printf '%s\n' "$OUT" > "$WORK/wt.csv"
equals "$(cmp_weights "$WORK/wt.csv" w_trim)" "ok" "trimmed to 0.4..2.5 x mean and raked again, as R's trimWeights loop"
run 0 "$SEGKIT" survey weight resp --margins "$D/margins.csv" --format json
ref() { awk -v k="$1" '$1 == k {$1 = ""; print substr($0, 2)}' "$D/survey_R.txt"; }
equals "$(json '"%.6f %.3f %s" % (j["weights"]["deff"], j["weights"]["n_eff"], j["converged"])')" \
  "$(printf '%.6f %.3f True' "$(ref deff_rake)" "$(ref neff_rake)")" "design effect and effective sample size as R"
run 0 "$SEGKIT" survey weight resp --margins "$D/margins.csv"
contains "$OUT" "stored as column 'weight'" "the weights are stored with the dataset"
contains "$OUT" "design effect 1.303" "the table reports the design effect"

# ---- a numeric age rakes to banded margins ("18-24", "55+") ----
"$PY" - "$D/respondents.csv" "$WORK/numeric_age.csv" <<'PY'
import sys
import pandas as pd
d = pd.read_csv(sys.argv[1])
d["age"] = d["age"].map({"18-24": 21, "25-34": 30, "35-44": 44, "45-54": 45, "55+": 80})
d.to_csv(sys.argv[2], index=False)
PY
run 0 "$SEGKIT" import "$WORK/numeric_age.csv" --as resp_years --key id --quiet
run 0 "$SEGKIT" survey weight resp_years --margins "$D/margins.csv" --format csv
printf '%s\n' "$OUT" > "$WORK/wy.csv"
equals "$(cmp_weights "$WORK/wy.csv" w_rake)" "ok" "ages in years rake to the age-band margins"

# ---- crosstab, unweighted: chisq.test(correct = FALSE), counts ----
run 0 "$SEGKIT" survey crosstab brand --by segment --dataset resp --format json
printf '%s' "$OUT" > "$WORK/x.json"
equals "$(json '" ".join("%d" % c["count"] for r in j["rows"] for c in r["cells"])')" "$(ref u_counts)" "crosstab counts as R's table()"
equals "$(json '"%.6f %d %.6e" % (j["chi2"], j["df"], j["p"])')" \
  "$(printf '%.6f %d %.6e' "$(ref u_chi2)" "$(ref u_df)" "$(ref u_p)")" "chi-square, df and p as R's chisq.test"
# letters: a cell has column b's letter iff its share is higher and the Bonferroni-corrected
# prop.test p (R's u_prop_p: rows in order, then column pairs 12 13 14 23 24 34) is < 0.05
equals "$("$PY" - "$WORK/x.json" "$(ref u_prop_p)" <<'PY'
import itertools, json, sys
j = json.load(open(sys.argv[1]))
p = [float(v) for v in sys.argv[2].split()]
pairs = list(itertools.combinations(range(4), 2))
bad = 0
for r, row in enumerate(j["rows"]):
    want = [set() for _ in range(4)]
    for k, (a, b) in enumerate(pairs):
        if min(1, p[r * 6 + k] * 6) < 0.05:
            hi, lo = (a, b) if row["cells"][a]["col_pct"] > row["cells"][b]["col_pct"] else (b, a)
            want[hi].add("ABCD"[lo])
    bad += sum(set(c["higher_than"]) != w for c, w in zip(row["cells"], want))
print(bad)
PY
)" "0" "column letters from Bonferroni-corrected prop.test p-values"

# ---- weighted: Rao-Scott (svychisq) with the raked weights, shares (svyciprop) ----
run 0 "$SEGKIT" survey weight resp --margins "$D/margins.csv" --quiet
run 0 "$SEGKIT" survey crosstab brand --by segment --dataset resp --weighted --format json
equals "$(json '"%.6e %.6f %s" % (j["p"], j["chi2"], j["test"])')" \
  "$(printf '%.6e %.6f rao-scott' "$(ref w_p)" "$(ref w_chi2_pearson)")" "weighted chi-square as R's svychisq (Rao-Scott)"
equals "$(json '" ".join("%.6f" % c["count"] for r in j["rows"] for c in r["cells"])')" \
  "$("$PY" -c "import sys; print(' '.join('%.6f' % float(v) for v in sys.argv[1].split()))" "$(ref w_counts)")" "weighted counts as R's svytable"
run 0 "$SEGKIT" survey size --by segment --dataset resp --weighted --population 1000 --format json
equals "$(json '" ".join("%.6f %.6f %.6f" % (s["share"], s["lower"], s["upper"]) for s in j["segments"])')" \
  "$("$PY" -c "
import sys
v = [float(x) for x in sys.argv[1].split()]
print(' '.join('%.6f %.6f %.6f' % (v[i], v[i + 2], v[i + 3]) for i in range(0, 16, 4)))" "$(ref w_share)")" "segment shares and logit intervals as R's svyciprop"
equals "$(json '"%.3f" % j["segments"][0]["projected"]')" "$(printf '%.3f' "$("$PY" -c "import sys; print(1000 * float(sys.argv[1].split()[0]))" "$(ref w_share)")")" "projected = share x population"
run 0 "$SEGKIT" survey crosstab brand --by segment --dataset resp --weighted
contains "$OUT" "Rao-Scott" "the table names the weighted test"
contains "$OUT" "Achievers (A)" "columns carry letters"

# ---- errors name what is wrong ----
printf 'variable,category,share\nage,18-24,0.5\nage,25-34,0.5\n' > "$WORK/bad_margins.csv"
run 3 "$SEGKIT" survey weight resp --margins "$WORK/bad_margins.csv"
contains "$ERR" "respondent id 1 (row 1) answered 'age' = '55+', which the margins do not list (expected one of: 18-24, 25-34)" "an answer missing from the margins is named with the respondent"
printf 'variable,category,share\nincome,low,1\n' > "$WORK/no_col.csv"
run 2 "$SEGKIT" survey weight resp --margins "$WORK/no_col.csv"
contains "$ERR" "'income', which is not a column" "a margin variable that is not a column"
run 2 "$SEGKIT" survey crosstab brand --by nope --dataset resp
contains "$ERR" "no column 'nope'" "an unknown --by column"
run 2 "$SEGKIT" survey crosstab brand --by segment --dataset resp --adjust sidak
contains "$ERR" "--adjust must be" "an unknown correction"
finish
