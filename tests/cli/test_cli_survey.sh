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
run 0 "$SEGKIT" survey crosstab q1 --by segment --dataset resp --weighted --mean --format json
equals "$(json '" ".join("%.8f %.8f" % (c["mean"], c["se"]) for c in j["columns"]) + " %.8f %.8f" % (j["mean"], j["se"])')" \
  "$("$PY" -c "
import sys
m, s, a = (x.split() for x in sys.argv[1:4])
print(' '.join('%.8f %.8f' % (float(u), float(v)) for u, v in zip(m, s)), '%.8f %.8f' % (float(a[0]), float(a[1])))" "$(ref w_mean)" "$(ref w_mean_se)" "$(ref w_mean_all)")" "weighted scale means and standard errors as R's svyby / svymean"
run 0 "$SEGKIT" survey crosstab q1 --by segment --dataset resp --mean --format json
equals "$(json '" ".join("%.8f %.8f" % (c["mean"], c["se"]) for c in j["columns"])')" \
  "$("$PY" -c "
import sys
m, s = (x.split() for x in sys.argv[1:3])
print(' '.join('%.8f %.8f' % (float(u), float(v)) for u, v in zip(m, s)))" "$(ref u_mean)" "$(ref u_mean_se)")" "unweighted means and standard errors as R"
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

# ---- import: CSV responses + a codebook; bad values listed with their lines ----
F=$SEGKIT_TEST_DATA/survey_file
run 0 "$SEGKIT" survey import "$F/responses.csv" --codebook "$F/codebook.csv" --as panel --id id --bad-values "$WORK/bad.csv"
contains "$ERR" "responses.csv:4: respondent R3, q1: \"7\" is outside the scale 1..5" "a bad value is reported with file, line, respondent and question"
contains "$ERR" "7 values did not fit their question" "bad values are counted"
# by hand from responses.csv and codebook.csv (the fixture's own comments list them)
equals "$(tail -n +2 "$WORK/bad.csv" | cut -d, -f2-6 | tr '\n' ' ')" \
  "4,R3,q1,7,out_of_range 4,R3,region,3,unknown_code 4,R3,age,17,out_of_range 5,R4,q2_3,2,not_binary 6,R5,q1,abc,not_a_number 6,R5,age,x,not_a_number 8,R7,q1,2.5,not_integer " "every bad value in --bad-values, none dropped"
run 0 "$SEGKIT" describe panel --format json
equals "$(json '" ".join(c["name"] for c in j["columns"])')" "id q1 q1_missing q2_1 q2_2 q2_3 region region_missing age age_missing comment wave" "missing reasons kept beside their questions"
run 0 "$SEGKIT" survey crosstab q1 --by region --dataset panel --format json
equals "$(json '" ".join(r["label"] for r in j["rows"]) + " | " + " ".join(c["label"] for c in j["columns"])')" \
  "Very dissatisfied 3 Very satisfied | North South" "the codebook labels the answers; missing codes are not answers"

# ---- import: an SPSS file keeps its values (readstat's own dump is the reference) ----
run 0 "$SEGKIT" survey import "$F/panel.sav" --as spss --id id
run 0 "$SEGKIT" describe spss --format json
equals "$(json '[c["type"] for c in j["columns"] if c["name"] == "id"][0]')" "int64" "an SPSS id of whole numbers becomes an integer key"
run 0 "$SEGKIT" segment add any-q1 'q1 >= 1' --dataset spss --key id --format json
equals "$(json 'j["count"]')" "$("$PY" - "$F/panel_sav_values.csv" "$F/panel_sav_meta.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
meta = json.load(open(sys.argv[2]))
# the missing values of q1 as extract_metadata reports them
q1 = [v for v in meta["variables"] if v["name"] == "q1"][0]
miss = set()
for m in q1.get("missing", {}).get("values", []):
    miss.add(float(m))
print(sum(1 for r in rows if r["q1"] != "" and float(r["q1"]) not in miss))
PY
)" "q1 answers (missing values left out) as readstat reports them"

# ---- the generated survey: its questionnaire JSON, planted segments recovered ----
run 0 "$SEGKIT" generate --customers 20 --respondents 2000 --out "$WORK/gen"
run 0 "$SEGKIT" survey import "$WORK/gen/survey.csv" --codebook "$WORK/gen/survey_codebook.json" --as prospects --id respondent_id --format json
equals "$(json '(j["respondents"], j["questions"], j["bad_values"])')" "(2000, 27, 0)" "the questionnaire JSON codebook reads the generated survey"
equals "$(json 'j["missing_answers"]')" "$("$PY" - "$WORK/gen/survey.csv" "$WORK/gen/survey_codebook.json" <<'PY'
import json, sys
import pandas as pd
d = pd.read_csv(sys.argv[1])
n = 0
for q in json.load(open(sys.argv[2]))["questions"]:
    for code in q.get("missing", {}):
        n += int((d[q.get("column", q["name"])] == int(code)).sum())
print(n)
PY
)" "every missing code of the codebook became no answer (pandas count)"
ATT=$(seq -f "att_%02g" 1 15 | paste -sd,)
run 0 "$SEGKIT" cluster fit --dataset prospects --features "$ATT" --k 5 --key respondent_id --missing mean --labels --format json
printf '%s' "$OUT" > "$WORK/seg.json"
ari=$("$PY" - "$WORK/seg.json" "$WORK/gen/survey.csv" "$WORK/gen/survey_truth.csv" <<'PY'
import json, sys
import pandas as pd
from sklearn.metrics import adjusted_rand_score
j = json.load(open(sys.argv[1]))
ids = pd.read_csv(sys.argv[2])["respondent_id"]
truth = pd.read_csv(sys.argv[3]).set_index("respondent_id").loc[ids, "segment"]
print("%.3f" % adjusted_rand_score(truth, j["labels"]))
PY
)
if "$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.9 else 1)" "$ari"; then
  pass "k-means on the attitude battery recovers the planted segments (ARI $ari >= 0.9)"; else fail "planted segments: ARI $ari"; fi
run 0 "$SEGKIT" survey crosstab purchase_intent --by region --dataset prospects --format json
printf '%s' "$OUT" > "$WORK/pi.json"
equals "$("$PY" - "$WORK/pi.json" "$WORK/gen/survey.csv" <<'PY'
import json, sys
import pandas as pd
from scipy.stats import chi2_contingency
j = json.load(open(sys.argv[1]))
d = pd.read_csv(sys.argv[2])
t = pd.crosstab(d.purchase_intent, d.region)
chi2, p, df, _ = chi2_contingency(t, correction=False)
ok = abs(j["chi2"] - chi2) < 1e-9 * chi2 and j["df"] == df and abs(j["p"] - p) < 1e-9
print("ok" if ok and j["rows"][0]["label"] == "Very unlikely" else f"{j['chi2']} {chi2} {j['p']} {p}")
PY
)" "ok" "crosstab of the generated survey: chi-square as scipy, answers labelled"

# ---- segment: the battery's factors as R's prcomp + varimax, segments recovered ----
run 0 "$SEGKIT" survey segment --dataset prospects --items 'att_*' --k 5 --save needs --format json
printf '%s' "$OUT" > "$WORK/segment.json"
cat > "$WORK/factors.R" <<'RS'
d <- read.csv(commandArgs(TRUE)[1])
x <- d[, sprintf("att_%02d", 1:15)]
x[x == 98] <- NA                                            # the codebook's "don't know"
for (j in names(x)) x[[j]][is.na(x[[j]])] <- mean(x[[j]], na.rm = TRUE)  # segkit's --missing mean
pc <- prcomp(x, scale. = TRUE)
k <- sum(pc$sdev^2 > 1)
L <- pc$rotation[, 1:k] %*% diag(pc$sdev[1:k])
for (j in 1:k) if (L[which.max(abs(L[, j])), j] < 0) L[, j] <- -L[, j]
v <- unclass(varimax(L)$loadings)
cat(sprintf("%.10f", pc$sdev^2), "\n")
cat(sprintf("%.10f", t(v)), "\n")
RS
Rscript "$WORK/factors.R" "$WORK/gen/survey.csv" > "$WORK/factors_R.txt"
equals "$("$PY" - "$WORK/segment.json" "$WORK/factors_R.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["factors"]
eig, rot = [[float(v) for v in line.split()] for line in open(sys.argv[2])]
k = j["factors"]
got = [v for i in range(15) for v in j["loadings"]["att_%02d" % (i + 1)]]
bad = sum(abs(a - b) > 1e-8 for a, b in zip(j["eigenvalues"], eig))
bad += sum(abs(a - b) > 1e-6 for a, b in zip(got, rot)) + (len(got) != len(rot))
print(bad, k)
PY
)" "0 3" "eigenvalues and varimax loadings of the battery as R's prcomp and varimax (3 factors kept)"
run 0 "$SEGKIT" survey profile --by cluster --dataset prospects --segments needs --top 1 --format json
printf '%s' "$OUT" > "$WORK/needs_profile.json"
equals "$("$PY" - "$WORK/needs_profile.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(len(j["segments"]), all(s["distinctive"] for s in j["segments"]))
PY
)" "5 True" "the saved segmentation feeds survey profile (--segments needs --by cluster)"
run 0 "$SEGKIT" survey segment --dataset prospects --items 'att_*' --k 5 --method lca --format json
printf '%s' "$OUT" > "$WORK/lca.json"
equals "$("$PY" - "$WORK/lca.json" "$WORK/gen/survey_truth.csv" <<'PY'
import json, sys
import pandas as pd
got = sorted(json.load(open(sys.argv[1]))["segments"]["shares"])
want = sorted(pd.read_csv(sys.argv[2]).segment_name.value_counts(normalize=True))
print(all(abs(g - w) < 0.02 for g, w in zip(got, want)) and len(got) == 5)
PY
)" "True" "latent classes on the items' answers find segments of the planted sizes (within 2 points)"
run 2 "$SEGKIT" survey segment --dataset prospects --items 'att_*' --k 5 --method lca --on factors
contains "$ERR" "latent classes take the items' answers as categories" "lca on factors is refused"
run 0 "$SEGKIT" survey segment --dataset prospects --items 'att_*' --k 5 --names "S1,S2,S3,S4,S5" --save named --quiet
run 0 "$SEGKIT" survey profile --by segment --dataset prospects --segments named --top 1 --format json
equals "$(json '" ".join(s["segment"] for s in j["segments"])')" "S1 S2 S3 S4 S5" "segment names are kept with the segmentation and label its profile"
# a saved segmentation as the first argument brings its dataset, id and names
run 0 "$SEGKIT" survey profile named --top 1 --format json
equals "$(json '" ".join(s["segment"] for s in j["segments"])')" "S1 S2 S3 S4 S5" "survey profile MODEL"
run 0 "$SEGKIT" survey size named --population 1000 --format json
equals "$(json '(len(j["segments"]), round(sum(s["share"] for s in j["segments"]), 12))')" "(5, 1.0)" "survey size MODEL"
run 0 "$SEGKIT" survey typing named --max-questions 3 --format json
equals "$(json 'len(j["questions"])')" "3" "survey typing MODEL --max-questions N"
run 2 "$SEGKIT" survey segment --dataset prospects --items 'att_*' --k 5 --names "A,B"
contains "$ERR" "one name per segment (5)" "a name per segment"

# ---- profile: each planted segment against the rest, against R (prop.test, p.adjust BH) ----
run 0 "$SEGKIT" import "$WORK/gen/survey_truth.csv" --as truth --key respondent_id --quiet
run 0 "$SEGKIT" survey profile --by segment_name --dataset prospects --segments truth --questions region,company_size,annual_revenue --format json
printf '%s' "$OUT" > "$WORK/profile.json"
cat > "$WORK/profile.R" <<'RS'
args <- commandArgs(TRUE)
d <- merge(read.csv(args[1]), read.csv(args[2]), by = "respondent_id")
d$annual_revenue[d$annual_revenue %in% c(98, 99)] <- NA   # the codebook's missing codes
out <- NULL
for (q in c("region", "company_size", "annual_revenue")) {
  x <- d[!is.na(d[[q]]), ]
  for (lv in sort(unique(x[[q]]))) for (s in sort(unique(x$segment_name))) {
    ins <- x$segment_name == s
    k <- c(sum(x[[q]][ins] == lv), sum(x[[q]][!ins] == lv))
    n <- c(sum(ins), sum(!ins))
    p <- suppressWarnings(prop.test(k, n, correct = FALSE)$p.value)
    idx <- (k[1] / n[1]) / (sum(k) / sum(n)) * 100
    out <- rbind(out, data.frame(q = q, level = lv, segment = s, p = p, index = idx))
  }
}
out$p_adj <- p.adjust(out$p, method = "BH")
write.csv(out, args[3], row.names = FALSE)
RS
Rscript "$WORK/profile.R" "$WORK/gen/survey.csv" "$WORK/gen/survey_truth.csv" "$WORK/profile_R.csv"
equals "$("$PY" - "$WORK/profile.json" "$WORK/profile_R.csv" "$WORK/gen/survey_codebook.json" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
r = pd.read_csv(sys.argv[2])
labels = {q["name"]: q.get("values", {}) for q in json.load(open(sys.argv[3]))["questions"]}
r["answer"] = [labels[q][str(l)] for q, l in zip(r.q, r.level)]
want = {(x.segment, x.q, x.answer): x for x in r.itertuples()}
bad = 0
for c in j["cells"]:
    w = want.pop((c["segment"], c["question"], c["answer"]))
    bad += abs(c["p"] - w.p) > 1e-9 * max(w.p, 1e-300) + 1e-15
    bad += abs(c["p_adjusted"] - w.p_adj) > 1e-9 * max(w.p_adj, 1e-300) + 1e-15
    bad += abs(c["index"] - w.index) > 1e-9 * w.index
print(bad, len(want), j["tests"])
PY
)" "0 0 $((5 * (7 + 5 + 5)))" "profile p-values, BH-adjusted p-values and indices as R's prop.test and p.adjust"
run 0 "$SEGKIT" survey profile --by segment_name --dataset prospects --segments truth --top 3
contains "$OUT" "Tech integrators" "segments are named"
contains "$OUT" "Strongly agree" "answers carry their labels"

# ---- target: segments ranked on size, value and fit (pandas), and the profile's words ----
run 0 "$SEGKIT" survey target --by segment_name --dataset prospects --segments truth --value-col monthly_budget --fit-col purchase_intent --format json
printf '%s' "$OUT" > "$WORK/target.json"
equals "$("$PY" - "$WORK/target.json" "$WORK/gen/survey.csv" "$WORK/gen/survey_truth.csv" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
d = pd.read_csv(sys.argv[2]).merge(pd.read_csv(sys.argv[3]), on="respondent_id")
d.loc[d.monthly_budget == 9998, "monthly_budget"] = None      # the codebook's "don't know"
g = d.groupby("segment_name")
share = g.size() / len(d)
value = g.monthly_budget.mean()
fit = g.purchase_intent.mean()
rank = lambda s: s.rank(ascending=False, method="min")
overall = (rank(share) + rank(value) + rank(fit)) / 3
want = sorted(overall.index, key=lambda s: (overall[s], -share[s]))
got = [r["segment"] for r in j["ranking"]]
bad = sum(abs(r["share"] - share[r["segment"]]) > 1e-12 or abs(r["value"] - value[r["segment"]]) > 1e-9
          or abs(r["fit"] - fit[r["segment"]]) > 1e-9 or abs(r["overall_rank"] - overall[r["segment"]]) > 1e-9 for r in j["ranking"])
ok_trace = all(t["index"] >= 120 and t["p_adjusted"] < 0.05 for t in j["trace"]) and len(j["trace"]) > 0
print(bad, got == want, j["chosen"] == want[0], ok_trace)
PY
)" "0 True True True" "target: size, value, fit and their mean rank as pandas; the profile's clauses are significant over-representations"
contains "$(json 'j["profile"]')" "Manual invoicing takes too much of our team's time." "the ideal-customer profile speaks the codebook's words"
equals "$("$PY" - "$WORK/target.json" "$WORK/gen/survey.csv" "$WORK/gen/survey_truth.csv" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
d = pd.read_csv(sys.argv[2]).merge(pd.read_csv(sys.argv[3]), on="respondent_id")
d.loc[d.monthly_budget == 9998, "monthly_budget"] = None
d.loc[d.age == 99, "age"] = None
bad = 0
for r in j["ranges"]:
    x = d[d.segment_name == j["chosen"]][r["question"]].dropna()
    rest = d[d.segment_name != j["chosen"]][r["question"]].dropna()
    bad += r["q25"] != x.quantile(0.25, interpolation="lower") or r["q75"] != x.quantile(0.75, interpolation="lower")
    bad += abs(r["segment_mean"] - x.mean()) > 1e-9 or abs(r["rest_mean"] - rest.mean()) > 1e-9
print(bad, [r["question"] for r in j["ranges"]])
PY
)" "0 ['monthly_budget']" "numeric clauses: the segment's middle half and the means as pandas"

# ---- sizing: TAM, SAM, SOM with svyciprop's intervals (R, live) ----
"$PY" - "$WORK/gen/survey.csv" "$WORK/gen/survey_truth.csv" "$WORK/sized.csv" <<'PY'
import sys
import pandas as pd
d = pd.read_csv(sys.argv[1])[["respondent_id", "region", "company_size"]]
d.merge(pd.read_csv(sys.argv[2]), on="respondent_id").to_csv(sys.argv[3], index=False)
PY
run 0 "$SEGKIT" import "$WORK/sized.csv" --as sized --key respondent_id --quiet
run 0 "$SEGKIT" survey size --by segment_name --dataset sized --population 250000 --serviceable 'region in (1, 2, 3) and company_size >= 2' --reachable 0.2 --value 1200 --format json
printf '%s' "$OUT" > "$WORK/size.json"
cat > "$WORK/size.R" <<'RS'
suppressMessages(library(survey))
d <- read.csv(commandArgs(TRUE)[1])
d$serv <- d$region %in% c(1, 2, 3) & d$company_size >= 2
des <- svydesign(ids = ~1, weights = rep(1, nrow(d)), data = d)
for (s in sort(unique(d$segment_name))) {
  d$ind <- as.numeric(d$segment_name == s)
  d$sam <- as.numeric(d$segment_name == s & d$serv)
  des <- svydesign(ids = ~1, weights = rep(1, nrow(d)), data = d)
  a <- svyciprop(~ind, des, method = "logit")
  b <- svyciprop(~sam, des, method = "logit")
  ca <- attr(a, "ci"); cb <- attr(b, "ci")
  cat(sprintf("%s|%.10f %.10f %.10f|%.10f %.10f %.10f\n", s, coef(a), ca[1], ca[2], coef(b), cb[1], cb[2]))
}
RS
Rscript "$WORK/size.R" "$WORK/sized.csv" > "$WORK/size_R.txt"
equals "$("$PY" - "$WORK/size.json" "$WORK/size_R.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ref = {}
for line in open(sys.argv[2]):
    name, tam, sam = line.strip().split("|")
    ref[name] = ([float(v) for v in tam.split()], [float(v) for v in sam.split()])
bad = 0
for s in j["segments"]:
    (p, lo, hi), (q, qlo, qhi) = ref[s["segment"]]
    N = 250000
    # R's svyciprop takes the share from an iterative glm fit (good to ~1e-8)
    bad += abs(s["share"] - p) > 1e-8 or abs(s["lower"] - lo) > 1e-7 or abs(s["upper"] - hi) > 1e-7
    bad += abs(s["tam"]["count"] - p * N) > 1e-2 or abs(s["tam"]["lower"] - lo * N) > 1e-2
    bad += abs(s["sam"]["count"] - q * N) > 1e-2 or abs(s["sam"]["lower"] - qlo * N) > 1e-2 or abs(s["sam"]["upper"] - qhi * N) > 1e-2
    bad += abs(s["som"]["count"] - q * N * 0.2) > 1e-2 or abs(s["som"]["value"] - q * N * 0.2 * 1200) > 10
print(bad, len(j["segments"]))
PY
)" "0 5" "TAM, SAM and SOM with their intervals as R's svyciprop (segment and serviceable as one share)"
run 2 "$SEGKIT" survey size --by segment_name --dataset sized --population 1000 --serviceable 'regoin == 1'
contains "$ERR" "unknown field 'regoin'" "a bad serviceable rule is explained"
run 2 "$SEGKIT" survey size --by segment_name --dataset sized --reachable 0.2
contains "$ERR" "--reachable applies to the serviceable market" "SOM needs SAM"

# ---- typing: golden questions as scikit-learn's LDA chooses them (typing_reference.py) ----
run 0 "$SEGKIT" import "$D/typing_survey.csv" --as typing_data --key id --quiet
run 0 "$SEGKIT" survey typing --by segment --dataset typing_data --max-questions 4 --save golden --format json
tref() { awk -v k="$1" '$1 == k {$1 = ""; print substr($0, 2)}' "$D/typing_reference.txt"; }
equals "$(json '" ".join(str(int(q["question"][1:]) - 1) for q in j["questions"])')" "$(tref chosen)" "golden questions and their order as scikit-learn"
equals "$(json '" ".join("%.12f" % q["cv_accuracy"] for q in j["questions"])')" "$(tref cv_path)" "the cross-validated accuracy path"
equals "$(json '"%.12f " % j["holdout_accuracy"] + " ".join(str(v) for r in j["confusion"] for v in r)')" "$(tref holdout_accuracy) $(tref confusion)" "held-out accuracy and confusion matrix"
run 0 "$SEGKIT" survey type golden --dataset typing_data --format csv
equals "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f2 | tr '\n' ' ' | sed 's/ $//')" "$(tref final_pred)" "survey type: every respondent typed as scikit-learn's final model"
run 0 "$SEGKIT" survey type golden --dataset typing_data --as typed --quiet
run 0 "$SEGKIT" metrics --dataset typed --churned segment=0 --by segment --format json
equals "$(json 'sum(g["customers"] for g in j["groups"])')" "600" "the typed rows are a dataset other verbs read"

# ---- bridge: our customers typed into the market's segments (sklearn's predictions and
# pandas shares are the reference) ----
run 0 "$SEGKIT" survey typing --by segment --dataset typing_data --max-questions 4 --save golden --quiet
"$PY" - "$D/typing_survey.csv" "$WORK/customers_answers.csv" <<'PY'
import sys
import pandas as pd
d = pd.read_csv(sys.argv[1])
d[(d.id <= 300) & (d.segment <= 1)].drop(columns=["segment"]).rename(columns={"id": "customer_id"}).to_csv(sys.argv[2], index=False)
PY
run 0 "$SEGKIT" import "$WORK/customers_answers.csv" --as our_customers --key customer_id --quiet
run 0 "$SEGKIT" survey bridge golden --customers our_customers --population 50000 --format json
printf '%s' "$OUT" > "$WORK/bridge.json"
equals "$("$PY" - "$WORK/bridge.json" "$D/typing_survey.csv" "$(tref final_pred)" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
d = pd.read_csv(sys.argv[2])
d["pred"] = [int(v) for v in sys.argv[3].split()]
cust = d[(d.id <= 300) & (d.segment <= 1)]
share = d.segment.value_counts(normalize=True).sort_index()
counts = cust.pred.value_counts().reindex(range(4), fill_value=0)
bad = 0
for s, row in enumerate(j["segments"]):
    bad += row["customers"] != counts[s]
    bad += abs(row["market_share"] - share[s]) > 1e-12
    bad += abs(row["market_size"] - share[s] * 50000) > 1e-6
    bad += abs(row["penetration"] - counts[s] / (share[s] * 50000)) > 1e-12
    bad += abs(row["index"] - 100 * (counts[s] / len(cust)) / share[s]) > 1e-9
    bad += not (row["penetration_lower"] <= row["penetration"] <= row["penetration_upper"])
print(bad, j["typed"], len(cust))
PY
)" "0 $(awk -F, 'NR > 1 && $1 <= 300 && $NF <= 1' "$D/typing_survey.csv" | wc -l | tr -d ' ') $(awk -F, 'NR > 1 && $1 <= 300 && $NF <= 1' "$D/typing_survey.csv" | wc -l | tr -d ' ')" "bridge: customers per segment, market share and size, penetration and index"
run 0 "$SEGKIT" survey bridge golden --customers our_customers --population 50000
contains "$OUT" "penetration" "the bridge table"

# ---- the bridge on generated data: our customers' planted mix (docs/sample-data.md) ----
run 0 "$SEGKIT" generate --customers 3000 --respondents 0 --out "$WORK/gen3000"   # ~900 answer
run 0 "$SEGKIT" import "$WORK/gen3000/customer_survey.csv" --as customer_answers --key customer_id --quiet
run 0 "$SEGKIT" survey typing --by segment_name --dataset prospects --segments truth --questions "$ATT" --max-questions 6 --save market_golden --quiet
run 0 "$SEGKIT" survey bridge market_golden --customers customer_answers --population 120000 --format json
equals "$(json '" ".join("%s=%s" % (s["segment"].split()[0], "hi" if s["index"] > 120 else "lo" if s["index"] < 80 else "mid") for s in j["segments"])')" \
  "Budget=lo Compliance-first=mid Hands-on=lo Tech=hi Time-pressed=hi" "bridge on generated customers: the planted over- and under-representation"

# ---- the bridge's economics: active and churned customers per segment against pandas ----
run 0 "$SEGKIT" import "$WORK/gen3000/subscriptions.csv" --as subs3000 --key subscription_id --quiet
run 0 "$SEGKIT" survey bridge market_golden --customers customer_answers --subscriptions subs3000 --rates USD=1,EUR=1.08,GBP=1.27 --format json
printf '%s' "$OUT" > "$WORK/bridge_econ.json"
run 0 "$SEGKIT" survey type market_golden --dataset customer_answers --format csv
printf '%s\n' "$OUT" > "$WORK/typed3000.csv"
equals "$("$PY" - "$WORK/bridge_econ.json" "$WORK/typed3000.csv" "$WORK/gen3000/subscriptions.csv" <<'PY'
import json, sys
import pandas as pd
j = json.load(open(sys.argv[1]))
typed = pd.read_csv(sys.argv[2]).dropna()
subs = pd.read_csv(sys.argv[3], parse_dates=["started_at", "trial_end", "ended_at"])
D = max(subs.started_at.max(), subs.ended_at.max())
# a row pays from its trial's end (or its start) until its end (docs/metrics.md)
subs["paid"] = subs.trial_end.fillna(subs.started_at).where(subs.trial_end.notna() & (subs.trial_end > subs.started_at), subs.started_at)
running = (subs.paid <= D) & (subs.ended_at.isna() | (subs.ended_at > D)) & (subs.unit_price > 0)
paid_before = (subs.paid <= D) & (subs.unit_price > 0) & (subs.ended_at.isna() | (subs.ended_at > subs.paid))
active = set(subs.customer_id[running])
ever = set(subs.customer_id[paid_before])
want = {}
for seg, g in typed.groupby("segment_name"):
    ids = set(g.customer_id)
    want[seg] = (len(ids & active), len((ids & ever) - active))
got = {s["segment"]: (s["active"], s["churned"]) for s in j["segments"]}
print("ok" if got == want else f"segkit {got} pandas {want}")
PY
)" "ok" "bridge: active and churned customers per segment as pandas reads the subscriptions"

# ---- target with our customers: the bridge's index and LTV join the ranking ----
run 0 "$SEGKIT" survey target --by segment_name --dataset prospects --segments truth --value-col monthly_budget --fit-col purchase_intent \
  --typing market_golden --customers customer_answers --subscriptions subs3000 --rates USD=1,EUR=1.08,GBP=1.27 --format json
printf '%s' "$OUT" > "$WORK/target2.json"
equals "$("$PY" - "$WORK/target2.json" "$WORK/bridge_econ.json" <<'PY'
import json, sys
import pandas as pd
t = json.load(open(sys.argv[1]))
b = {s["segment"]: s for s in json.load(open(sys.argv[2]))["segments"]}
r = pd.DataFrame(t["ranking"]).set_index("segment")
bad = sum(abs(r.customer_index[s] - b[s]["index"]) > 1e-9 or abs(r.ltv[s] - b[s]["ltv"]) > 1e-6 * b[s]["ltv"] for s in r.index)
rank = lambda c: r[c].rank(ascending=False, method="min")
overall = (rank("share") + rank("value") + rank("fit") + rank("customer_index") + rank("ltv")) / 5
bad += sum(abs(overall - r.overall_rank) > 1e-9)
print(bad, t["chosen"] == min(overall.index, key=lambda s: (overall[s], -r.share[s])))
PY
)" "0 True" "target: our customers' index and LTV as the bridge gives them, in a five-criterion Borda rank"

# ---- the generator's margins rake its survey; categories are the codebook's labels ----
run 0 "$SEGKIT" survey weight prospects --margins "$WORK/gen/survey_margins.csv" --format json
equals "$(json 'j["converged"] and all(abs(c["achieved"] - c["target"]) < 1e-8 for v in j["variables"] for c in v["categories"])')" "True" "raked to survey_margins.csv by value labels (North America, 1-10)"

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
run 2 "$SEGKIT" survey import "$F/responses.csv" --as nocb
contains "$ERR" "CSV responses need --codebook" "CSV responses without a codebook"
printf '{"questions": [{"name": "q1", "type": "likert"}]}' > "$WORK/cb.json"
run 3 "$SEGKIT" survey import "$F/responses.csv" --codebook "$WORK/cb.json" --as nocb
contains "$ERR" "questions[0].values" "a JSON codebook error names its path"
run 3 "$SEGKIT" survey import "$F/responses.csv" --codebook "$F/codebook.csv" --as strict --id id --on-error fail
contains "$ERR" "responses.csv:4" "--on-error fail stops at the first bad value"
finish
