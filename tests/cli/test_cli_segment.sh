#!/usr/bin/env bash
# segkit link and segkit segment end to end on generated data: every member list is
# checked against pandas computing the same rule from the raw CSV files (an independent
# implementation): attributes, an aggregate over a linked table with a time window, the
# derived subscription fields (plan, interval, tenure on a day), in_segment(), snapshots
# and diffs, overlaps; and the errors people see.
source "$(dirname "$0")/lib.sh"
G=$WORK/g
run 0 "$SEGKIT" generate --customers 1500 --respondents 10 --events-per-month 2 --out "$G" --quiet
for f in customers transactions events subscriptions; do
  run 0 "$SEGKIT" import "$G/$f.csv" --as "$f" --quiet
done

# ---- links ----
run 0 "$SEGKIT" link transactions.customer_id customers.customer_id --time timestamp
contains "$OUT" "linked transactions.customer_id to customers.customer_id, time column timestamp" "link declared"
run 0 "$SEGKIT" link events.customer_id customers.customer_id --time timestamp
run 0 "$SEGKIT" link --format json
equals "$(json '[(l["fact"], l["key"], l["time"]) for l in j]')" "[('events', 'customer_id', 'timestamp'), ('transactions', 'customer_id', 'timestamp')]" "links listed"
run 3 "$SEGKIT" link transactions.custid customers.customer_id
contains "$ERR" "dataset 'transactions' has no column 'custid'" "a missing column is named"
run 2 "$SEGKIT" link transactions customers.customer_id
contains "$ERR" "expected DATASET.COLUMN twice" "malformed reference"

# ---- segments against pandas ----
ASOF=2026-06-30
RATES=USD=1,EUR=1.08,GBP=1.27
run 0 "$SEGKIT" segment add de-mid 'country == "DE" and company_size in ("51-200", "201-1000")' --dataset customers --as-of $ASOF
run 0 "$SEGKIT" segment add refunded 'count(transactions where kind == "refund" and timestamp > now() - 90d) >= 1' --dataset customers --as-of $ASOF
run 0 "$SEGKIT" segment add annual-pro 'plan == "pro" and billing_interval == "year" and tenure_days > 180' \
  --dataset customers --subscriptions subscriptions --rates $RATES --as-of $ASOF
run 0 "$SEGKIT" segment add both 'in_segment("annual-pro") and not in_segment("refunded")' --dataset customers --as-of $ASOF
for s in de-mid refunded annual-pro both; do
  run 0 "$SEGKIT" segment members $s --as-of $ASOF --format csv
  printf '%s\n' "$OUT" | tail -n +2 | sort -n > "$WORK/$s.ids"
done
if "$PY" - "$G" "$WORK" "$ASOF" <<'PY'
import sys, pandas as pd
g, work, asof = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3], tz="UTC")
c = pd.read_csv(f"{g}/customers.csv")
t = pd.read_csv(f"{g}/transactions.csv", parse_dates=["timestamp"])
s = pd.read_csv(f"{g}/subscriptions.csv", parse_dates=["started_at", "trial_end", "ended_at"])
want = {}
want["de-mid"] = set(c[(c.country == "DE") & c.company_size.isin(["51-200", "201-1000"])].customer_id)
r = t[(t.kind == "refund") & (t.timestamp > asof - pd.Timedelta(days=90))]
want["refunded"] = set(r.customer_id) & set(c.customer_id)
# state on the as-of day: rows paying on D, the biggest row's plan and interval, tenure from
# the first paid day (MRR normalised as the engine does: year / 12, seats, discount, rates)
day = asof.tz_localize(None).normalize()
rate = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
s = s[~(s.ended_at < s.started_at)].copy()
s["paid"] = s.trial_end.where(s.trial_end > s.started_at, s.started_at).fillna(s.started_at)
fac = s.billing_interval.map({"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12})
s["mrr"] = s.unit_price * s.seats * (100 - s.discount_percent.fillna(0)) * s.currency.map(rate) * fac / s.interval_count
s = s[(s.mrr > 0) & ((s.ended_at.isna()) | (s.paid < s.ended_at))]
first = s[s.paid <= day].groupby("customer_id").paid.min()
run = s[(s.paid <= day) & (s.ended_at.isna() | (s.ended_at > day))].copy()
run["row"] = range(len(run))
run = run.sort_values(["customer_id", "mrr", "paid", "row"], ascending=[True, False, False, True])
best = run.groupby("customer_id").head(1).set_index("customer_id")
tenure = (day - first).dt.days
ok = best[(best.plan == "pro") & (best.billing_interval == "year")].index
want["annual-pro"] = {i for i in ok if tenure.get(i, -1) > 180}
want["both"] = want["annual-pro"] - want["refunded"]
bad = 0
for name, ids in want.items():
    got = {int(x) for x in open(f"{work}/{name}.ids").read().split()}
    if got != ids:
        print(name, "segkit", len(got), "pandas", len(ids), "only segkit", sorted(got - ids)[:10], "only pandas", sorted(ids - got)[:10])
        bad += 1
    else:
        print(name, len(ids), "members agree")
sys.exit(1 if bad or not all(want.values()) else 0)
PY
then pass "members of four segments match pandas"; else fail "segment members differ from pandas"; fi

run 0 "$SEGKIT" segment count annual-pro --as-of $ASOF --format json
equals "$(json '(j["segment"], j["count"], j["of"])')" "('annual-pro', $(wc -l < "$WORK/annual-pro.ids"), 1500)" "count JSON: segment, count, of"
run 0 "$SEGKIT" segment overlap annual-pro refunded both --as-of $ASOF --format json
inter() { "$PY" -c "import sys; a, b = (set(open(f).read().split()) for f in sys.argv[1:3]); print(len(a & b))" "$1" "$2"; }
equals "$(json '[r["annual-pro"] for r in j]')" "[$(inter "$WORK/annual-pro.ids" "$WORK/annual-pro.ids"), $(inter "$WORK/annual-pro.ids" "$WORK/refunded.ids"), $(inter "$WORK/annual-pro.ids" "$WORK/both.ids")]" "overlap column of annual-pro"

# snapshots: members a year earlier, then the diff to now, against the two member lists
run 0 "$SEGKIT" segment snapshot annual-pro --as-of 2025-06-30 --format json
snap=$(json 'j["snapshot"]')
run 0 "$SEGKIT" segment members annual-pro --as-of 2025-06-30 --format csv
printf '%s\n' "$OUT" | tail -n +2 | sort > "$WORK/then.ids"
sort "$WORK/annual-pro.ids" > "$WORK/now.ids"
run 0 "$SEGKIT" segment diff annual-pro --since "$snap" --as-of $ASOF --format json
equals "$(json 'sorted(j["entered"])')" "$("$PY" -c "import sys; print(sorted(open(sys.argv[1]).read().split()))" <(comm -23 "$WORK/now.ids" "$WORK/then.ids"))" "diff: who entered"
equals "$(json 'sorted(j["left"])')" "$("$PY" -c "import sys; print(sorted(open(sys.argv[1]).read().split()))" <(comm -13 "$WORK/now.ids" "$WORK/then.ids"))" "diff: who left"
run 0 "$SEGKIT" segment snapshots annual-pro --format json
equals "$(json 'len(j)')" "1" "one snapshot listed"

# A stored segment as a split of the billing metrics: members and the rest, the customers
# active at the start of the range counted here with pandas (paid start <= 2025-06-30 < end).
run 0 "$SEGKIT" metrics --dataset subscriptions --rates $RATES --segment de-mid --from 2025-07 --to 2026-06 --format json
printf '%s' "$OUT" > "$WORK/seg_metrics.json"
if "$PY" - "$G" "$WORK" <<'PY'
import json, sys, pandas as pd
g, work = sys.argv[1], sys.argv[2]
s = pd.read_csv(f"{g}/subscriptions.csv", parse_dates=["started_at", "trial_end", "ended_at"])
day = pd.Timestamp("2025-06-30")
paid = s.trial_end.where(s.trial_end > s.started_at, s.started_at).fillna(s.started_at)
live = s[(paid <= day) & (s.ended_at.isna() | (s.ended_at > day)) & (s.unit_price * s.seats > 0)]
active = set(live.customer_id)
members = {int(x) for x in open(f"{work}/de-mid.ids").read().split()}
j = json.load(open(f"{work}/seg_metrics.json"))
got = {g["key"]["de-mid"]: g["periods"][0]["customers_start"] for g in j["groups"]}
want = {"member": len(active & members), "not member": len(active - members)}
print("segkit", got, "pandas", want)
sys.exit(0 if got == want else 1)
PY
then pass "metrics split by a stored segment match pandas"; else fail "metrics by segment differ"; fi
run 3 "$SEGKIT" metrics --dataset subscriptions --rates $RATES --segment nosuch
contains "$ERR" "no segment named 'nosuch'" "an unknown segment is named"

# SQL, list, errors
run 0 "$SEGKIT" segment sql de-mid
contains "$OUT" "c.\"country\" = 'DE'" "PostgreSQL for the rule"
run 0 "$SEGKIT" segment list --format json
equals "$(json '[s["segment"] for s in j]')" "['annual-pro', 'both', 'de-mid', 'refunded']" "segments listed"
run 2 "$SEGKIT" segment add typo 'contry == "DE"' --dataset customers
contains "$ERR" "rule:1:1: unknown field 'contry' (did you mean 'country'?)" "unknown field, with a suggestion"
contains "$ERR" "^^^^^^" "caret under the field"
run 2 "$SEGKIT" segment add de-mid 'true' --dataset customers
contains "$ERR" "a segment named 'de-mid' exists" "no silent overwrite"
run 0 "$SEGKIT" segment add de-mid 'country == "DE"' --dataset customers --replace
run 3 "$SEGKIT" segment rm refunded
contains "$ERR" "segment 'refunded' is used by in_segment() in: both" "rm refuses to break a segment that uses it"
run 0 "$SEGKIT" segment count both --as-of $ASOF
run 0 "$SEGKIT" segment rm refunded --force
contains "$ERR" "warning: segment 'refunded' is used by in_segment() in: both" "rm --force warns of what it breaks"
run 3 "$SEGKIT" segment count both
contains "$ERR" "no segment named 'refunded'" "a segment whose reference is gone says which"
run 0 "$SEGKIT" audit --format json
equals "$(json 'sorted({e["action"] for e in j} & {"link", "segment_add", "segment_replace", "segment_drop", "snapshot"})')" "['link', 'segment_add', 'segment_drop', 'segment_replace', 'snapshot']" "every change audited"
finish
