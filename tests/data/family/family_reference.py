"""Independent reference for the family tests (tests/unit/test_family_reference.c), in
pandas, sharing no code with segkit.

Reads the committed fixtures (segkit generate --customers 300 --seed 5 --respondents 0:
transactions.csv, events.csv) and writes
  expected_rfm.csv         RFM as of 2026-03-31 (docs/segments.md), with the scores from
                           the NTILE(5) definition written out directly: for each customer
                           p = rank(method="min") - 1 among the scored customers, and the
                           tile of position p under NTILE's tile sizes (the first n % 5
                           tiles one row larger) -- not from cut-points, as segkit does;
  expected_engagement.csv  engagement as of 2026-03-31 with the default thresholds
                           (window 30 days, active <= 7 days and >= 2 events, dormant > 30);
  expected_lifecycle.csv   lifecycle stage at the end of 2026-03 from subscriptions.csv
                           (rates EUR=1.08, GBP=1.27), with month-end MRR computed here from
                           docs/metrics.md with exact fractions, and mrr_quartile, the
                           NTILE(4) tier of the month-end MRR of the customers paying then.
Cents are exact: the amounts have two decimals and are read as Decimal.

  /usr/bin/python3 tests/data/family/family_reference.py
"""
import datetime as dt
import os
from decimal import Decimal
from fractions import Fraction

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
AS_OF = (dt.date(2026, 3, 31) - dt.date(1970, 1, 1)).days

# docs/segments.md, the default rule table, evaluated in this order, first match wins.
RULES = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal", (2, 5), (3, 5), (3, 5)),
    ("New", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About to Sleep", (2, 3), (1, 2), (1, 2)),
    ("Cannot Lose Them", (1, 1), (4, 5), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Lost", (1, 1), (1, 1), (1, 1)),
    ("Hibernating", (1, 2), (1, 2), (1, 2)),
]


def utc_day(ts):
    t = pd.to_datetime(ts, utc=True)
    return (t.dt.floor("D") - pd.Timestamp("1970-01-01", tz="UTC")).dt.days


def ntile_of_position(p, n, k=5):
    q, rem = divmod(n, k)
    big = rem * (q + 1)
    if p < big:
        return p // (q + 1) + 1
    return rem + (p - big) // q + 1


def scores(values):
    n = len(values)
    ranks = values.rank(method="min").astype(int) - 1
    return ranks.map(lambda p: ntile_of_position(p, n))


def segment(r, f, m):
    for name, rr, ff, mm in RULES:
        if rr[0] <= r <= rr[1] and ff[0] <= f <= ff[1] and mm[0] <= m <= mm[1]:
            return name
    return "Others"


def rfm():
    tx = pd.read_csv(os.path.join(HERE, "transactions.csv"), dtype={"amount": str})
    tx["day"] = utc_day(tx["timestamp"])
    tx["cents"] = [int(Decimal(a) * 100) * (-1 if k == "refund" else 1)
                   for a, k in zip(tx["amount"], tx["kind"])]
    tx = tx[tx["day"] <= AS_OF]
    charges = tx[tx["cents"] > 0]
    g = charges.groupby("customer_id")
    out = pd.DataFrame({"last_day": g["day"].max(), "frequency": g.size()})
    out["monetary_cents"] = tx.groupby("customer_id")["cents"].sum().reindex(out.index)
    out["recency_days"] = AS_OF - out["last_day"]
    out["r"] = scores(out["last_day"])
    out["f"] = scores(out["frequency"])
    out["m"] = scores(out["monetary_cents"])
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    out["segment"] = [segment(r, f, m) for r, f, m in zip(out["r"], out["f"], out["m"])]
    out = out.reset_index().sort_values("customer_id")
    cols = ["customer_id", "recency_days", "frequency", "monetary_cents", "r", "f", "m", "rfm",
            "segment"]
    out[cols].to_csv(os.path.join(HERE, "expected_rfm.csv"), index=False)


def engagement():
    ev = pd.read_csv(os.path.join(HERE, "events.csv"))
    ev["day"] = utc_day(ev["timestamp"])
    ev = ev[ev["day"] <= AS_OF]
    g = ev.groupby("customer_id")
    out = pd.DataFrame({"last_day": g["day"].max()})
    out["days_since_last"] = AS_OF - out["last_day"]
    win = ev[ev["day"] >= AS_OF - 30 + 1].groupby("customer_id").size()
    out["events_in_window"] = win.reindex(out.index).fillna(0).astype(int)

    def state(row):
        if row.days_since_last <= 7 and row.events_in_window >= 2:
            return "active"
        if row.days_since_last > 30:
            return "dormant"
        return "at_risk"

    out["state"] = [state(r) for r in out.itertuples()]
    out = out.reset_index().sort_values("customer_id")
    out[["customer_id", "days_since_last", "events_in_window", "state"]].to_csv(
        os.path.join(HERE, "expected_engagement.csv"), index=False)


RATES = {"USD": Fraction(1), "EUR": Fraction("1.08"), "GBP": Fraction("1.27")}
FACTOR = {"month": Fraction(1), "year": Fraction(1, 12), "week": Fraction(52, 12),
          "day": Fraction(365, 12)}


def days_of(col):
    d = pd.to_datetime(col)
    return (d - pd.Timestamp("1970-01-01")).dt.days


def month_ends(first_day, last_month_end):
    """Last days of the months from first_day's month to last_month_end (days since 1970)."""
    out = []
    m = pd.Timestamp(dt.date(1970, 1, 1) + dt.timedelta(days=int(first_day))).to_period("M")
    while True:
        end = (m.to_timestamp(how="end").normalize() - pd.Timestamp("1970-01-01")).days
        if end > last_month_end:
            return out
        out.append(end)
        m += 1


def lifecycle():
    s = pd.read_csv(os.path.join(HERE, "subscriptions.csv"), dtype={"unit_price": str})
    s["start"] = days_of(s["started_at"])
    s["trial"] = days_of(s["trial_end"])
    s["end"] = days_of(s["ended_at"])
    s["paid"] = s[["start", "trial"]].max(axis=1)
    s["cents"] = [round(Fraction(r.unit_price) * r.seats * (100 - Fraction(str(r.discount_percent)))
                        * RATES[r.currency] * FACTOR[r.billing_interval] / r.interval_count)
                  for r in s.itertuples()]
    s = s[s["cents"] > 0]
    m_end = (dt.date(2026, 3, 31) - dt.date(1970, 1, 1)).days
    ends = month_ends(s["start"].min(), m_end)
    # month-end MRR per customer, and each row's "paid at some month end"
    mrr = {}
    first_paid = {}
    for e in ends:
        run = s[(s["paid"] <= e) & (s["end"].isna() | (s["end"] > e))]
        mrr[e] = run.groupby("customer_id")["cents"].sum()
        for c, p in run.groupby("customer_id")["paid"].min().items():
            first_paid[c] = min(first_paid.get(c, p), p)
    rows = []
    for c in sorted(first_paid):
        active = [mrr[e].get(c, 0) > 0 for e in ends]
        now = active[-1]
        if not now:
            stage = "churned"
        elif len(active) >= 3 and not active[-2] and any(active[:-2]):
            stage = "reactivated"
        else:
            tenure = m_end - first_paid[c]
            stage = "onboarding" if tenure < 30 else "growth" if tenure < 180 else "mature"
        rows.append((c, stage, int(mrr[m_end].get(c, 0))))
    out = pd.DataFrame(rows, columns=["customer_id", "stage", "mrr_cents"])
    paying = out[out["mrr_cents"] > 0].copy()
    ranks = paying["mrr_cents"].rank(method="min").astype(int) - 1
    paying["mrr_quartile"] = ranks.map(lambda p: ntile_of_position(p, len(paying), 4))
    out = out.merge(paying[["customer_id", "mrr_quartile"]], on="customer_id", how="left")
    out["mrr_quartile"] = out["mrr_quartile"].astype("Int64")
    out.to_csv(os.path.join(HERE, "expected_lifecycle.csv"), index=False)


if __name__ == "__main__":
    rfm()
    engagement()
    lifecycle()
