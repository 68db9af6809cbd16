#!/usr/bin/python3
"""Independent reference for segkit's cohort tables, pooled survival and LTV
(tests/unit/test_metrics_cohorts_reference.c).

Reads subscriptions.csv (the same file as mrr_reference.py) and, for two month ranges
(2019-07..2026-06, which starts before the first subscription, and 2023-07..2026-06, where
customers active at the end of 2023-06 are left out of the cohorts), writes with the
definitions of docs/metrics.md ("Cohorts and LTV") and nothing of segkit's code:
  expected_cohorts.csv   range, cohort month, k, size, active, MRR cents, logo, revenue
  expected_survival.csv  range, k, at_risk, churned, survival
  expected_ltv.csv       range, the LTV inputs and both LTVs (margin 0.75, H 60)
Month-end MRR per customer is computed the way mrr_reference.py does it (exact decimals,
brute-force snapshot of every row at every month end; its helpers are imported), retention
and survival with pandas group-bys over a long (customer, month) table.

Run: /usr/bin/python3 tests/data/metrics/cohorts_reference.py   (from the repository root)
"""
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mrr_reference import add_month, month_end, read_rows  # noqa: E402

RANGES = [((2019, 7), (2026, 6)), ((2023, 7), (2026, 6))]
MARGIN = 0.75
HORIZON = 60


def load_rows():
    rows, _ = read_rows()
    return [(r["cust"], r["paid"], r["end"], r["cents"]) for r in rows]


def series(rows, first, last):
    """Long table: customer, slot (0 = first - 1), month label, month-end MRR cents."""
    months = []
    ym = add_month(first, -1)
    while ym <= last:
        months.append(ym)
        ym = add_month(ym, 1)
    by_cust = {}
    for c, paid, end, cents in rows:
        by_cust.setdefault(c, []).append((paid, end, cents))
    out = []
    for c, rs in by_cust.items():
        for slot, ym in enumerate(months):
            day = month_end(*ym)
            mrr = sum(cents for paid, end, cents in rs if cents > 0 and paid <= day < end)
            out.append((c, slot, "%04d-%02d" % ym, mrr))
    return pd.DataFrame(out, columns=["customer", "slot", "month", "mrr"]), months


def one_range(rows, first, last):
    s, months = series(rows, first, last)
    n_months = len(months) - 1
    label = "%04d-%02d" % first
    s = s.sort_values(["customer", "slot"])
    active = s[s.mrr > 0]
    start = active.groupby("customer").slot.min()
    start = start[start >= 1]  # active at slot 0: started before the range, left out
    s = s[s.customer.isin(start.index)].copy()
    s["start"] = s.customer.map(start)
    s["k"] = s.slot - s.start
    cells = s[s.k >= 0]
    g = cells.groupby(["start", "k"]).agg(active=("mrr", lambda v: int((v > 0).sum())),
                                          mrr=("mrr", "sum")).reset_index()
    size = start.value_counts()
    g["size"] = g.start.map(size)
    base = g[g.k == 0].set_index("start").mrr
    g["logo"] = g.active / g["size"]
    g["revenue"] = g.mrr / g.start.map(base)
    g["cohort"] = g.start.map(lambda sl: "%04d-%02d" % months[sl])
    g["range"] = label
    cohorts = g[["range", "cohort", "k", "size", "active", "mrr", "logo", "revenue"]]

    # Survival: at risk at k >= 1 while active at every month end start .. start + k - 1;
    # the first month end with MRR 0 is the event.
    surv_rows = []
    at_risk = {}
    churned = {}
    for c, grp in cells.groupby("customer"):
        m = grp.sort_values("k").mrr.tolist()
        for k in range(1, len(m)):
            at_risk[k] = at_risk.get(k, 0) + 1
            if m[k] == 0:
                churned[k] = churned.get(k, 0) + 1
                break
    S = 1.0
    surv = [1.0]
    surv_rows.append((label, 0, 0, 0, 1.0))
    k = 1
    while at_risk.get(k, 0) > 0:
        S *= 1.0 - churned.get(k, 0) / at_risk[k]
        surv.append(S)
        surv_rows.append((label, k, at_risk[k], churned.get(k, 0), S))
        k += 1
    survival = pd.DataFrame(surv_rows, columns=["range", "k", "at_risk", "churned", "survival"])

    # LTV inputs over the months of the range (all customers, also those left out).
    all_s, _ = series(rows, first, last)
    wide = all_s.pivot(index="customer", columns="slot", values="mrr")
    mrr_sum = int(sum(wide[i].sum() for i in range(1, n_months + 1)))
    cust_months = int(sum((wide[i] > 0).sum() for i in range(1, n_months + 1)))
    cust_start = int(sum((wide[i - 1] > 0).sum() for i in range(1, n_months + 1)))
    n_churned = int(sum(((wide[i - 1] > 0) & (wide[i] == 0)).sum()
                        for i in range(1, n_months + 1)))
    arpu = mrr_sum / cust_months
    churn = n_churned / cust_start
    ltv_simple = arpu * MARGIN / churn
    ext = list(surv)
    while len(ext) < HORIZON:
        ext.append(ext[-1] * (1 - churn))
    ltv_surv = sum(ext[:HORIZON]) * arpu * MARGIN
    ltv = pd.DataFrame([dict(range=label, mrr_cents_sum=mrr_sum, customer_months=cust_months,
                             churned=n_churned, customer_months_start=cust_start,
                             n_observed=len(surv), left_out=int(
                                 (wide[0] > 0).sum()),
                             ltv_simple=repr(ltv_simple), ltv_survival=repr(ltv_surv))])
    return cohorts, survival, ltv


def main():
    rows = load_rows()
    parts = [one_range(rows, a, b) for a, b in RANGES]
    for i, name in enumerate(["expected_cohorts.csv", "expected_survival.csv",
                              "expected_ltv.csv"]):
        df = pd.concat([p[i] for p in parts])
        df.to_csv(os.path.join(HERE, name), index=False, float_format="%.17g")
    print("cohort cells", sum(len(p[0]) for p in parts))


if __name__ == "__main__":
    main()
