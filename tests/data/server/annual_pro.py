#!/usr/bin/env python3
"""Members of 'plan == "pro" and billing_interval == "year" and tenure_days > 180' on a day,
from the generated CSV files with pandas: the expected count of a segment over the derived
subscription fields (docs/rules.md), evaluated over HTTP by tests/cli/test_cli_serve.sh (and, with another tenure threshold, by
test_cli_serve_segments_edit.sh).
The subscription state on day D follows the engine's definition independently: rows paying
on D (paid start <= D < end), the row with the most MRR gives plan and interval, tenure from
the first paid day. Usage: annual_pro.py GENERATED_DIR YYYY-MM-DD RATES (USD=1,EUR=1.08) [MIN_TENURE_DAYS, 180]."""
import sys

import pandas as pd

g, day, spec = sys.argv[1], pd.Timestamp(sys.argv[2]), sys.argv[3]
min_tenure = int(sys.argv[4]) if len(sys.argv) > 4 else 180
rate = {k: float(v) for k, v in (item.split("=") for item in spec.split(","))}
s = pd.read_csv(f"{g}/subscriptions.csv", parse_dates=["started_at", "trial_end", "ended_at"])
for col in ("started_at", "trial_end", "ended_at"):
    if s[col].dt.tz is not None:
        s[col] = s[col].dt.tz_localize(None)
s = s[~(s.ended_at < s.started_at)].copy()
s["paid"] = s.trial_end.where(s.trial_end > s.started_at, s.started_at).fillna(s.started_at)
fac = s.billing_interval.map({"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12})
s["mrr"] = (s.unit_price * s.seats * (100 - s.discount_percent.fillna(0)) * s.currency.map(rate)
            * fac / s.interval_count)
s = s[(s.mrr > 0) & ((s.ended_at.isna()) | (s.paid < s.ended_at))]
first = s[s.paid <= day].groupby("customer_id").paid.min()
run = s[(s.paid <= day) & (s.ended_at.isna() | (s.ended_at > day))].copy()
run["row"] = range(len(run))
run = run.sort_values(["customer_id", "mrr", "paid", "row"], ascending=[True, False, False, True])
best = run.groupby("customer_id").head(1).set_index("customer_id")
tenure = (day - first).dt.days
ok = best[(best.plan == "pro") & (best.billing_interval == "year")].index
print(len({i for i in ok if tenure.get(i, -1) > min_tenure}))
