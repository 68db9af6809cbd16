#!/usr/bin/env bash
# segkit family: every customer's RFM scores and segment, and engagement state, against the
# pandas reference (tests/data/family/family_reference.py -> expected_rfm.csv,
# expected_engagement.csv, as of 2026-03-31 on the committed 300-customer fixture); the
# stored table used by a segment rule through a link.
source "$(dirname "$0")/lib.sh"
F=$SEGKIT_TEST_DATA/family
run 0 "$SEGKIT" family rfm "$F/transactions.csv" --as-of 2026-03-31 --rows --format csv
printf '%s\n' "$OUT" > "$WORK/rfm.csv"
run 0 "$SEGKIT" family engagement "$F/events.csv" --as-of 2026-03-31 --rows --format csv
printf '%s\n' "$OUT" > "$WORK/eng.csv"
if "$PY" - "$WORK" "$F" <<'PY'
import sys, pandas as pd
w, f = sys.argv[1], sys.argv[2]
got = pd.read_csv(f"{w}/rfm.csv").set_index("customer_id")
want = pd.read_csv(f"{f}/expected_rfm.csv").set_index("customer_id")
bad = 0
if set(got.index) != set(want.index):
    print("customers differ"); bad += 1
for c in ("recency_days", "frequency", "r", "f", "m", "segment"):
    d = (got[c] != want.loc[got.index, c]).sum()
    if d: print(c, d, "differences"); bad += 1
m = (got.monetary * 100).round().astype("int64") != want.loc[got.index, "monetary_cents"]
if m.sum(): print("monetary", m.sum(), "differences"); bad += 1
ge = pd.read_csv(f"{w}/eng.csv").set_index("customer_id")
we = pd.read_csv(f"{f}/expected_engagement.csv").set_index("customer_id")
for c in ("days_since_last", "events_in_window", "state"):
    d = (ge[c] != we.loc[ge.index, c]).sum() if set(ge.index) == set(we.index) else -1
    if d: print("engagement", c, d); bad += 1
print(len(got), "RFM rows,", len(ge), "engagement rows compared")
sys.exit(1 if bad else 0)
PY
then pass "RFM and engagement per customer match pandas"; else fail "family rows differ from pandas"; fi

# stored, linked, used by a rule: the Champions segment has as many members as the count
run 0 "$SEGKIT" import "$F/transactions.csv" --as transactions --quiet
run 0 "$SEGKIT" family rfm --dataset transactions --as-of 2026-03-31 --as rfm --format json
champions=$(json '[l["customers"] for l in j["labels"] if l["label"] == "Champions"][0]')
equals "$(json 'j["dataset"]')" "rfm" "stored as a dataset"
"$PY" -c "
import pandas as pd, sys
pd.DataFrame({'customer_id': sorted(pd.read_csv(sys.argv[1]).customer_id.unique())}).to_csv(sys.argv[2], index=False)" "$F/transactions.csv" "$WORK/customers.csv"
run 0 "$SEGKIT" import "$WORK/customers.csv" --as customers --quiet
run 0 "$SEGKIT" link rfm.customer_id customers.customer_id
run 0 "$SEGKIT" segment add champions 'exists(rfm where segment == "Champions")' --dataset customers --format json
equals "$(json 'j["count"]')" "$champions" "a rule over the stored RFM table finds the Champions"
run 2 "$SEGKIT" family rfm "$F/transactions.csv"
contains "$ERR" "--as-of YYYY-MM-DD is required" "as-of required"
run 2 "$SEGKIT" family clv "$F/transactions.csv" --as-of 2026-03-31
contains "$ERR" "unknown family 'clv'" "unknown family named"

# ---- lifecycle and value tiers against pandas (expected_lifecycle.csv, expected_rfm.csv) ----
RATES=USD=1,EUR=1.08,GBP=1.27
run 0 "$SEGKIT" lifecycle "$F/subscriptions.csv" --to 2026-03 --rates $RATES --rows --format csv
printf '%s\n' "$OUT" > "$WORK/lifecycle.csv"
run 0 "$SEGKIT" tiers --value mrr "$F/subscriptions.csv" --to 2026-03 --rates $RATES --rows --format csv
printf '%s\n' "$OUT" > "$WORK/tiers_mrr.csv"
run 0 "$SEGKIT" tiers --value revenue --dataset transactions --as-of 2026-03-31 --rows --format csv
printf '%s\n' "$OUT" > "$WORK/tiers_rev.csv"
run 0 "$SEGKIT" tiers --value monetary --dataset rfm --cuts 100,1000,5000 --labels low,mid,high,top --rows --format csv
printf '%s\n' "$OUT" > "$WORK/tiers_cuts.csv"
if "$PY" - "$WORK" "$F" <<'PY'
import sys, pandas as pd
w, f = sys.argv[1:3]
want = pd.read_csv(f"{f}/expected_lifecycle.csv").set_index("customer_id")
got = pd.read_csv(f"{w}/lifecycle.csv").set_index("customer_id")
assert set(got.index) == set(want.index), "lifecycle customers"
assert (got.stage == want.stage.reindex(got.index)).all(), "stages"
assert (got.mrr_cents == want.mrr_cents.reindex(got.index)).all(), "month-end MRR"
paying = want.dropna(subset=["mrr_quartile"])
t = pd.read_csv(f"{w}/tiers_mrr.csv").set_index("customer_id")
assert set(t.index) == set(paying.index), "paying customers"
assert (t.tier == paying.mrr_quartile.reindex(t.index)).all(), "MRR quartiles"
# revenue quartiles: NTILE(4) of lifetime net revenue (expected_rfm's monetary, all history)
rfm = pd.read_csv(f"{f}/expected_rfm.csv").set_index("customer_id")
n = len(rfm)
q, rem = divmod(n, 4)
def tile(p):
    big = rem * (q + 1)
    return p // (q + 1) + 1 if p < big else rem + (p - big) // q + 1
want_rev = (rfm.monetary_cents.rank(method="min").astype(int) - 1).map(tile)
r = pd.read_csv(f"{w}/tiers_rev.csv").set_index("customer_id")
assert (r.tier == want_rev.reindex(r.index)).all() and len(r) == n, "revenue quartiles"
c = pd.read_csv(f"{w}/tiers_cuts.csv").set_index("customer_id")
cents = rfm.monetary_cents.reindex(c.index)
want_cut = 1 + (cents >= 10000).astype(int) + (cents >= 100000) + (cents >= 500000)
assert (c.tier == want_cut).all(), "given cut-points, a value on a cut in the upper tier"
assert (c.tier_label == c.tier.map({1: "low", 2: "mid", 3: "high", 4: "top"})).all(), "labels"
print(len(got), "lifecycle rows,", len(t), "MRR tiers,", len(r), "revenue tiers agree")
PY
then pass "lifecycle and tiers match pandas"; else fail "lifecycle or tiers differ from pandas"; fi
run 0 "$SEGKIT" lifecycle "$F/subscriptions.csv" --to 2026-03 --rates $RATES --as stages --format json
equals "$(json '(j["family"], j["customers"], j["dataset"], [l["label"] for l in j["labels"]])')" "('lifecycle', $(($(wc -l < "$F/expected_lifecycle.csv") - 1)), 'stages', ['onboarding', 'growth', 'mature', 'churned', 'reactivated'])" "lifecycle JSON and stored table"
run 0 "$SEGKIT" tiers --value mrr "$F/subscriptions.csv" --to 2026-03 --rates $RATES --format json
equals "$(json '(j["method"], len(j["cuts"]), sum(l["customers"] for l in j["labels"]))')" "('quantile', 3, 196)" "tiers JSON: method, cut-points, customers"
run 2 "$SEGKIT" tiers --value mrr "$F/subscriptions.csv" --tiers 3 --cuts 10,20
contains "$ERR" "not both" "quantiles or cuts"
run 2 "$SEGKIT" tiers --value monetary --dataset rfm --labels a,b
contains "$ERR" "--labels needs 4 names" "label count checked"
run 2 "$SEGKIT" tiers --value monetary --dataset rfm --cuts 10,x
contains "$ERR" "--cuts needs 1 to 99 numbers" "bad cut named"
run 2 "$SEGKIT" tiers --dataset rfm
contains "$ERR" "--value mrr|arpu|revenue|COLUMN" "value required"
run 3 "$SEGKIT" tiers --value nosuch --dataset rfm
contains "$ERR" "nosuch" "an unknown value column is named"
finish
