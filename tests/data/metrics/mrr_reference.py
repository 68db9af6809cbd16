#!/usr/bin/python3
"""Independent reference for segkit's MRR movements (tests/unit/test_metrics_reference.c).

Reads subscriptions.csv (segkit generate --customers 300 --seed 3 --dirty
--events-per-month 0 --respondents 0) and writes expected_movements.csv: for every month
of 2023-07..2026-06, the movements of all customers ("ALL") and per plan, computed with
the definitions of docs/metrics.md ("MRR and movements") and nothing of segkit's code:
exact decimal arithmetic (Python's decimal module), month-end snapshots evaluated by
brute force over every row for every month end since the earliest start.

Run: /usr/bin/python3 tests/data/metrics/mrr_reference.py   (from the repository root)
"""
import calendar
import datetime as dt
import os
from decimal import Decimal, ROUND_HALF_EVEN

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
RATES = {"USD": Decimal("1"), "EUR": Decimal("1.085"), "GBP": Decimal("1.27")}
# month factor of one interval: (num, den); Stripe / ChartMogul conventions
FACTOR = {"day": (365, 12), "week": (52, 12), "month": (1, 1), "year": (1, 12)}
FIRST, LAST = (2023, 7), (2026, 6)


def month_end(y, m):
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def add_month(ym, k):
    i = ym[0] * 12 + ym[1] - 1 + k
    return (i // 12, i % 12 + 1)


def read_rows():
    """The usable rows of subscriptions.csv as dicts (i: row number, cust, plan, interval,
    paid: first paid day, end: first day without service, cents: exact half-even monthly
    cents) and the number of rows skipped because they end before they start."""
    d = pd.read_csv(os.path.join(HERE, "subscriptions.csv"), dtype=str, keep_default_na=False)
    rows = []
    skipped = 0
    for i, r in enumerate(d.itertuples(index=False)):
        start = dt.date.fromisoformat(r.started_at)
        end = dt.date.fromisoformat(r.ended_at) if r.ended_at else dt.date.max
        if end < start:
            skipped += 1
            continue
        trial = dt.date.fromisoformat(r.trial_end) if r.trial_end else None
        paid = max(start, trial) if trial else start
        num, den = FACTOR[r.billing_interval]
        cents = (Decimal(r.unit_price) * int(r.seats) * (100 - Decimal(r.discount_percent))
                 * RATES[r.currency] * num / (den * int(r.interval_count)))
        cents = int(cents.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        rows.append(dict(i=i, cust=int(r.customer_id), plan=r.plan,
                         interval=r.billing_interval, paid=paid, end=end, cents=cents))
    return rows, skipped


def main():
    rows, skipped = read_rows()

    earliest = min(r["paid"] for r in rows)
    months = []
    ym = (earliest.year, earliest.month)
    ym = add_month(ym, -1)
    while ym <= LAST:
        months.append(ym)
        ym = add_month(ym, 1)

    by_cust = {}
    for r in rows:
        by_cust.setdefault(r["cust"], []).append(r)

    # snapshot[c][ym] = (mrr, group)
    def snapshot(rs, ym):
        day = month_end(*ym)
        total, best = 0, None
        for r in rs:
            if r["cents"] > 0 and r["paid"] <= day < r["end"]:
                total += r["cents"]
                key = (r["cents"], r["paid"], -r["i"])
                if best is None or key > best[0]:
                    best = (key, r["plan"])
        return total, (best[1] if best else None)

    out = []
    groups = sorted({r["plan"] for r in rows})
    zero = dict(start=0, new=0, reactivation=0, expansion=0, contraction=0, churned=0, end=0,
                customers_start=0, customers_end=0, n_new=0, n_reactivation=0, n_expansion=0,
                n_contraction=0, n_churned=0)
    table = {}
    ym = FIRST
    while ym <= LAST:
        for g in ["ALL"] + groups:
            table[(g, ym)] = dict(zero)
        ym = add_month(ym, 1)

    for c, rs in by_cust.items():
        snaps = {ym: snapshot(rs, ym) for ym in months}
        ym = FIRST
        while ym <= LAST:
            prev = add_month(ym, -1)
            m0, g0 = snaps[prev]
            m1, g1 = snaps[ym]
            if m0 or m1:
                had = any(snaps[x][0] > 0 for x in months if x < ym)
                group = g0 if m0 > 0 else g1
                for g in ("ALL", group):
                    t = table[(g, ym)]
                    t["start"] += m0
                    t["end"] += m1
                    t["customers_start"] += m0 > 0
                    t["customers_end"] += m1 > 0
                    if m0 == 0 and m1 > 0:
                        k = "reactivation" if had else "new"
                        t[k] += m1
                        t["n_" + k] += 1
                    elif m0 > 0 and m1 == 0:
                        t["churned"] += m0
                        t["n_churned"] += 1
                    elif m1 > m0:
                        t["expansion"] += m1 - m0
                        t["n_expansion"] += 1
                    elif m1 < m0:
                        t["contraction"] += m0 - m1
                        t["n_contraction"] += 1
            ym = add_month(ym, 1)

    for (g, ym), t in table.items():
        assert (t["start"] + t["new"] + t["reactivation"] + t["expansion"] - t["contraction"]
                - t["churned"] == t["end"])
        out.append(dict(group=g, month="%04d-%02d" % ym, **t))
    df = pd.DataFrame(out)
    df.to_csv(os.path.join(HERE, "expected_movements.csv"), index=False)
    print("rows used", len(rows), "skipped", skipped, "customers", len(by_cust))


if __name__ == "__main__":
    main()
