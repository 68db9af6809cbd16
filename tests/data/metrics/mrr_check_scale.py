#!/usr/bin/python3
"""Check segkit's monthly MRR movements at scale, vectorised with numpy (independent of
segkit's code): exact integer cents by rational arithmetic and half-even rounding, then
per month end a bincount of the running rows per customer, classified with the definitions
of docs/metrics.md. Compares with the CSV that bench/micro/mrr_main.c prints with --print.

  /tmp/mrr_main DIR/subscriptions.csv 1 --print | grep -A99 '^month,' > /tmp/c.csv
  /usr/bin/python3 tests/data/metrics/mrr_check_scale.py DIR/subscriptions.csv /tmp/c.csv

Rates as in the bench: USD 1, EUR 1.085, GBP 1.27. Only month and year intervals with
interval_count 1 (what the generator writes) are supported here.
"""
import sys

import numpy as np
import pandas as pd

RATE = {"USD": (1, 1), "EUR": (1085, 1000), "GBP": (127, 100)}


def main(subs_path, c_path):
    d = pd.read_csv(subs_path, dtype={"unit_price": str},
                    parse_dates=["started_at", "trial_end", "ended_at"])
    assert (d.interval_count == 1).all() and d.billing_interval.isin(["month", "year"]).all()
    d = d[~(d.ended_at < d.started_at)]
    # exact cents: price_cents * seats * (100 - disc) * rate_num / (100 * rate_den * f_den)
    price_cents = d.unit_price.str.replace(".", "", regex=False).astype(np.int64)
    assert (d.unit_price.str.split(".").str[1].str.len() == 2).all()
    rnum = d.currency.map(lambda c: RATE[c][0]).to_numpy(np.int64)
    rden = d.currency.map(lambda c: RATE[c][1]).to_numpy(np.int64)
    fden = np.where(d.billing_interval == "year", 12, 1).astype(np.int64)
    num = price_cents.to_numpy() * d.seats.to_numpy(np.int64) * (100 - d.discount_percent.to_numpy(np.int64)) * rnum
    den = 100 * rden * fden
    q, r = np.divmod(num, den)
    up = (2 * r > den) | ((2 * r == den) & (q % 2 == 1))
    cents = q + up
    paid = np.maximum(d.started_at.values, d.trial_end.fillna(d.started_at).values).astype("datetime64[D]")
    end = d.ended_at.fillna(pd.Timestamp("2200-01-01")).values.astype("datetime64[D]")
    cust_codes, cust = np.unique(d.customer_id.to_numpy(), return_inverse=True)
    n = len(cust_codes)

    first = (paid.astype("datetime64[M]")).astype(np.int64)
    last = end.astype("datetime64[M]").astype(np.int64) - 1
    ok = (cents > 0) & (first <= last)
    first_paid = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_paid, cust[ok], first[ok])

    months = pd.period_range("2023-06", "2026-06", freq="M")
    def snapshot(p):
        day = np.datetime64(p.end_time.date(), "D")
        act = ok & (paid <= day) & (day < end)
        return np.bincount(cust[act], weights=cents[act], minlength=n).astype(np.int64)

    c = pd.read_csv(c_path)
    prev = snapshot(months[0])
    bad = 0
    for i, p in enumerate(months[1:]):
        cur = snapshot(p)
        m_index = (p.year - 1970) * 12 + p.month - 1
        had = first_paid < m_index
        up_ = (prev == 0) & (cur > 0)
        row = dict(month=str(p), start=prev.sum(), end=cur.sum(), customers_end=(cur > 0).sum(),
                   new=cur[up_ & ~had].sum(), reactivation=cur[up_ & had].sum(),
                   expansion=(cur - prev)[(cur > prev) & (prev > 0)].sum(),
                   contraction=(prev - cur)[(cur < prev) & (cur > 0)].sum(),
                   churned=prev[(prev > 0) & (cur == 0)].sum())
        got = c.iloc[i].to_dict()
        for k, v in row.items():
            if str(got[k]) != str(v):
                print("MISMATCH", p, k, "segkit", got[k], "numpy", v)
                bad += 1
        prev = cur
    print("customers", n, "months", len(months) - 1, "mismatches", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
