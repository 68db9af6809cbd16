#!/usr/bin/env bash
# segkit clv end to end on CDNOW, against the published figures (Fader, Hardie & Lee 2005
# via lifetimes' tests; /work/shared/data INDEX): BG/NBD and Pareto/NBD from the summary
# file and from the raw transaction log summarised by segkit (the same answer both ways),
# Gamma-Gamma on the repeat customers, sBG on Fader & Hardie's 2007 retention example;
# predictions against lifetimes' published values; predictions as a dataset a rule uses.
source "$(dirname "$0")/lib.sh"
C=$SEGKIT_SHARED_DATA/cdnow
sig3() { "$PY" -c "import sys; print(' '.join(f'{float(v):.3g}' for v in sys.argv[1:]))" "$@"; }

# ---- BG/NBD from the summary file ----
run 0 "$SEGKIT" clv fit --model bgnbd --summary "$C/cdnow_customers_summary.csv" --customer-col ID --format json
equals "$(json '" ".join("%.3g" % j["params"][k] for k in ("r", "alpha", "a", "b"))')" "0.243 4.41 0.793 2.43" "BG/NBD r, alpha, a, b as Fader, Hardie & Lee (2005)"
equals "$(json 'round(j["log_likelihood"], 1)')" "-9582.4" "BG/NBD log-likelihood -9582.4"
equals "$(json 'j["customers"]')" "2357.0" "on 2357 customers"

# ---- the same from the raw log (CDNOW_sample.txt: id, sample id, yyyymmdd, cds, dollars) ----
"$PY" - "$C/CDNOW_sample.txt" "$WORK/cdnow.csv" <<'PY'
import sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    out.write("customer_id,date,amount\n")
    for line in f:
        cid, _, d, _, amount = line.split()
        out.write(f"{int(cid)},{d[:4]}-{d[4:6]}-{d[6:]},{amount}\n")
PY
run 0 "$SEGKIT" import "$WORK/cdnow.csv" --as cdnow --quiet
run 0 "$SEGKIT" clv fit --model bgnbd --dataset cdnow --date-col date --calibration-end 1997-09-30 --time-unit week --save cdnow-bg --format json
equals "$(json '" ".join("%.3g" % j["params"][k] for k in ("r", "alpha", "a", "b"))')" "0.243 4.41 0.793 2.43" "BG/NBD from the transaction log, summarised by segkit"

# ---- the calibration/holdout check (FHL 2005 fig. 5): 39-week holdout to 1998-06-30 ----
# reference: tests/data/clv/holdout_reference.py (pandas summary, scipy expectation at
# lifetimes' published parameters; segkit fits its own, so expectations agree to ~1e-3)
run 0 "$SEGKIT" clv fit --model bgnbd --dataset cdnow --date-col date --calibration-end 1997-09-30 \
  --observation-end 1998-06-30 --time-unit week --format json
printf '%s' "$OUT" > "$WORK/holdout.json"
equals "$("$PY" - "$WORK/holdout.json" "$SEGKIT_TEST_DATA/clv/holdout_cdnow_reference.csv" <<'PY'
import csv, json, sys
got = json.load(open(sys.argv[1]))["holdout"]
ref = list(csv.DictReader(open(sys.argv[2])))
bad = []
for g, r in zip(got["groups"], ref[:-1]):
    if g["frequency"] != int(r["frequency"]) or g["customers"] != float(r["customers"]):
        bad.append(f"group {r['frequency']}: customers")
    if abs(g["actual"] - float(r["actual"])) > 1e-12:
        bad.append(f"group {r['frequency']}: actual {g['actual']} vs {r['actual']}")
    if abs(g["expected"] - float(r["expected"])) > 2e-3 * float(r["expected"]):
        bad.append(f"group {r['frequency']}: expected {g['expected']} vs {r['expected']}")
t = ref[-1]
if got["total"]["actual"] != float(t["actual"]) or abs(got["total"]["expected"] - float(t["expected"])) > 2e-3 * float(t["expected"]):
    bad.append("total")
print("ok" if not bad and len(got["groups"]) == 8 and got["groups"][7]["or_more"] else "; ".join(bad) or "shape")
PY
)" "ok" "holdout table per calibration frequency 0..7+ against pandas/scipy"
run 0 "$SEGKIT" clv fit --model bgnbd --dataset cdnow --date-col date --calibration-end 1997-09-30 \
  --observation-end 1998-06-30 --time-unit week --holdout-groups 3
contains "$OUT" "3+ " "the last group gathers the rest"
contains "$OUT" "all 2357 customers: 1882 purchases in the holdout" "holdout total from the data"

# ---- Pareto/NBD ----
run 0 "$SEGKIT" clv fit --model paretonbd --summary "$C/cdnow_customers_summary.csv" --customer-col ID --format json
equals "$(json '" ".join("%.3g" % j["params"][k] for k in ("r", "alpha", "s", "beta"))')" "0.553 10.6 0.606 11.7" "Pareto/NBD r, alpha, s, beta as published"

# ---- Gamma-Gamma on the repeat customers ----
run 0 "$SEGKIT" clv fit --model gammagamma --summary "$C/cdnow_customers_summary_with_transactions.csv" --customer-col ID \
  --frequency-col x --recency-col t_x --monetary-col zbar --save cdnow-gg --format json
equals "$(json 'all(abs(j["params"][k] - v) < 0.015 for k, v in (("p", 6.25), ("q", 3.74), ("gamma", 15.44)))')" "True" "Gamma-Gamma p, q, gamma within lifetimes' test tolerance of 6.25, 3.74, 15.44 (decimal=2)"

# ---- sBG: Fader & Hardie (2007), regular and high-end customers ----
run 0 "$SEGKIT" clv fit --model sbg --survivors 1000,631,468,382,326,289,262,241 --format json
equals "$(json '" ".join("%.3g" % j["params"][k] for k in ("alpha", "beta"))')" "0.704 1.18" "sBG regular: alpha 0.704, beta 1.182"
run 0 "$SEGKIT" clv fit --model sbg --survivors 1000,869,743,653,593,551,517,491 --format json
equals "$(json '" ".join("%.3g" % j["params"][k] for k in ("alpha", "beta"))')" "0.668 3.81" "sBG high end: alpha 0.668, beta 3.806"

# ---- sBG from a subscription history, per segment: the same two cohorts as monthly
# subscriptions (1000 customers per plan starting 2024-01-01; churners end after their
# t-th month, survivors are still paying at the end of August, their 8th month) must give
# the published fits through the MRR engine's lifetimes ----
"$PY" - "$WORK/fh_subs.csv" <<'PY'
import sys
reg = [1000, 631, 468, 382, 326, 289, 262, 241]
hi = [1000, 869, 743, 653, 593, 551, 517, 491]
rows, cid = [], 0
for plan, alive in (("regular", reg), ("highend", hi)):
    for t in range(1, 8):
        for _ in range(alive[t - 1] - alive[t]):
            cid += 1
            rows.append((cid, plan, f"2024-{1 + t:02d}-01"))
    for _ in range(alive[7]):
        cid += 1
        rows.append((cid, plan, ""))
with open(sys.argv[1], "w") as f:
    f.write("subscription_id,customer_id,plan,billing_interval,unit_price,started_at,ended_at\n")
    for i, (c, p, end) in enumerate(rows):
        f.write(f"{i + 1},{c},{p},month,10,2024-01-01,{end}\n")
PY
NOCOLS="--quantity-col none --interval-count-col none --trial-end-col none --discount-col none --currency-col none"
run 0 "$SEGKIT" clv fit --model sbg "$WORK/fh_subs.csv" --to 2024-08 --by plan $NOCOLS --format json
equals "$(json '" ".join("%s %.3g %.3g %d %d" % (g["key"]["plan"], g["params"]["alpha"], g["params"]["beta"], g["customers"], g["churned"]) for g in j["groups"])')" \
  "highend 0.668 3.81 1000 509 regular 0.704 1.18 1000 759" "sBG per plan from a subscription history: Fader & Hardie (2007) regular and high end"
equals "$(json '"%.4f %.4f" % (j["groups"][1]["retention"]["1"], j["groups"][1]["expected_lifetime_10y"])')" \
  "$("$PY" -c "
from scipy.special import betaln
import math
a, b = 0.7040773193, 1.1820430738   # sbg_reference.py's regular fit
S = lambda t: math.exp(betaln(a, b + t) - betaln(a, b))
print('%.4f %.4f' % (S(1), sum(S(t) for t in range(120))))")" "projected retention and 10-year lifetime from the fit (scipy at the reference parameters)"
run 0 "$SEGKIT" clv fit --model sbg "$WORK/fh_subs.csv" --to 2024-08 --by plan $NOCOLS
contains "$OUT" "polarisation" "the table states the spread of churn rates"
run 2 "$SEGKIT" clv fit --model sbg "$WORK/fh_subs.csv" --to 2024-08 $NOCOLS --save nope
contains "$ERR" "--save keeps one model" "a history fit is not saved as one model"

# ---- predictions: lifetimes' published value for its customer 1 (master id 4: x 2, t_x 30.43, T 38.86) ----
run 0 "$SEGKIT" clv predict cdnow-bg --horizon 39 --spend cdnow-gg --as cdnow-pred --format json
printf '%s' "$OUT" > "$WORK/pred.json"
equals "$("$PY" -c "
import json, sys
rows = {r['customer_id']: r for r in json.load(open(sys.argv[1]))}
print(round(rows[4]['expected_purchases'], 3), len(rows), all(0 <= r['p_alive'] <= 1 for r in rows.values()))" "$WORK/pred.json")" "1.226 2357 True" "expected purchases in 39 weeks for customer 4 (lifetimes' customer 1: x 2, t_x 30.43, T 38.86): 1.226"

# ---- predictions are customer fields for rules ----
run 0 "$SEGKIT" segment add likely-gone 'p_alive < 0.3' --dataset cdnow-pred --key customer_id --format json
want=$("$PY" -c "import json,sys; print(sum(1 for r in json.load(open(sys.argv[1])) if r['p_alive'] < 0.3))" "$WORK/pred.json")
equals "$(json 'j["count"]')" "$want" "a rule over p_alive"

# ---- predictions in metrics --by: p_alive bands against what the holdout showed ----
# (observed: customers without a purchase in the 39-week holdout, per band, counted by
# pandas from the pandas summary and segkit's per-customer p_alive written with --out)
run 0 "$SEGKIT" clv fit --model bgnbd --dataset cdnow --date-col date --calibration-end 1997-09-30 \
  --observation-end 1998-06-30 --time-unit week --save cdnow-hold
run 0 "$SEGKIT" clv predict cdnow-hold --horizon 39 --as cdnow-hold-pred --out "$WORK/hold_pred.csv" --format csv
run 0 "$SEGKIT" metrics --dataset cdnow-hold-pred --churned frequency_holdout=0 --by p_alive_band --format json
printf '%s' "$OUT" > "$WORK/bands.json"
equals "$("$PY" - "$WORK/bands.json" "$WORK/hold_pred.csv" "$WORK/cdnow.csv" <<'PY'
import json, sys
import pandas as pd
got = {g["key"]["p_alive_band"]: (g["customers"], g["churned"]) for g in json.load(open(sys.argv[1]))["groups"]}
pred = pd.read_csv(sys.argv[2]).set_index("customer_id")
tx = pd.read_csv(sys.argv[3], parse_dates=["date"])
hold = tx[(tx.date > "1997-09-30") & (tx.date <= "1998-06-30")]
days = hold.groupby("customer_id")["date"].nunique().rename("frequency_holdout")
df = pred.join(days).fillna({"frequency_holdout": 0})
band = pd.cut(df.p_alive, [0, 0.3, 0.7, 1.0000001], right=False, labels=["[0,0.3)", "[0.3,0.7)", "[0.7,1]"])
want = {str(b): (len(g), int((g.frequency_holdout == 0).sum())) for b, g in df.groupby(band, observed=True)}
print("ok" if got == want and len(df) == 2357 else f"segkit {got} pandas {want}")
PY
)" "ok" "metrics --by p_alive_band: customers and no-purchase counts per band as pandas"
run 0 "$SEGKIT" clv predict cdnow-hold --horizon 39 --bands 0.5 --as cdnow-hold-pred2 --quiet
run 0 "$SEGKIT" metrics --dataset cdnow-hold-pred2 --churned frequency_holdout=0 --by p_alive_band --format json
equals "$(json '" ".join(sorted(g["key"]["p_alive_band"] for g in j["groups"]))')" "[0,0.5) [0.5,1]" "--bands sets the cuts"
run 2 "$SEGKIT" clv predict cdnow-hold --bands 0.7,0.3
contains "$ERR" "--bands needs increasing cuts" "bands must increase"

# ---- errors ----
run 2 "$SEGKIT" clv fit --model nbd --summary "$C/cdnow_customers_summary.csv"
contains "$ERR" "--model must be" "unknown model"
run 2 "$SEGKIT" clv fit --model sbg --survivors 1000,1200
contains "$ERR" "non-increasing" "survivors must not grow"
run 2 "$SEGKIT" clv fit --model bgnbd --summary "$C/cdnow_customers_summary.csv" --frequency-col nope
contains "$ERR" "no column 'nope'" "a missing summary column is named"
run 2 "$SEGKIT" clv predict cdnow-gg
contains "$ERR" "give this gammagamma model as --spend" "predict needs a purchase model"
finish
