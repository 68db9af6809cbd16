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
finish
