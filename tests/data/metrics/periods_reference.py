#!/usr/bin/python3
"""Independent reference for `segkit metrics` on a subscription history: rates per segment
and period, and LTV per segment (tests/cli/test_cli_metrics_billing.sh).

Reads subscriptions.csv (the file mrr_reference.py reads) and writes, with the definitions
of docs/metrics.md ("Rates over a period", "Cohorts and LTV") and nothing of segkit's code:
  expected_periods.csv  config, group, period, the period's counts and money in cents
  expected_ltv_groups.csv  config, group, the LTV inputs and both LTVs (margin 0.75, H 60)
  expected_segment_cohorts.csv  cohorts by plan (the plan at a customer's first paid month
      end in the range): per k months after each customer's own start, the customers
      observed, active, their MRR and their MRR at their start
for two configurations over 2023-07..2026-06:
  quarters  segments (plan, billing_interval), calendar quarters
  stages    segments by tenure stage, the whole range as one period
Month-end MRR is evaluated by brute force (every row at every month end, exact decimals),
a customer's segment at a month end from its row with the most MRR there (ties: the later
paid start, then the earlier row), as mrr_reference.py does for plans.

Run: /usr/bin/python3 tests/data/metrics/periods_reference.py   (from the repository root)
"""
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mrr_reference import add_month, month_end, read_rows  # noqa: E402

FIRST, LAST = (2023, 7), (2026, 6)
MARGIN = 0.75
HORIZON = 60


def load_rows():
    rows, _ = read_rows()
    for r in rows:
        r["seg"] = (r["plan"], r["interval"])
        r["plan"] = (r["plan"],)
    return rows


def stage(days):
    return "onboarding" if days < 30 else "growth" if days < 180 else "mature"


def months_between(a, b):
    out = []
    ym = a
    while ym <= b:
        out.append(ym)
        ym = add_month(ym, 1)
    return out


def customer_snapshots(rs, months, use_stage, seg_key="seg"):
    """{ym: (mrr, segment)} at every month end."""
    counted = [r for r in rs if r["cents"] > 0 and month_end(r["paid"].year, r["paid"].month) < r["end"]]
    first_paid = min((r["paid"] for r in counted), default=None)
    snaps = {}
    for ym in months:
        day = month_end(*ym)
        total, best = 0, None
        for r in counted:
            if r["paid"] <= day < r["end"]:
                total += r["cents"]
                key = (r["cents"], r["paid"], -r["i"])
                if best is None or key > best[0]:
                    best = (key, r[seg_key])
        seg = None
        if best is not None:
            seg = (stage((day - first_paid).days),) if use_stage else best[1]
        snaps[ym] = (total, seg)
    return snaps


def quarters():
    out = []
    ym = FIRST
    while ym <= LAST:
        q_end = (ym[0], ((ym[1] - 1) // 3) * 3 + 3)
        b = min(q_end, LAST)
        out.append((ym, b))
        ym = add_month(b, 1)
    return out


def run(config, use_stage, periods, rows, out_p, out_l):
    by_cust = {}
    for r in rows:
        by_cust.setdefault(r["cust"], []).append(r)
    earliest = min(r["paid"] for r in rows)
    all_months = months_between(add_month((earliest.year, earliest.month), -1), LAST)
    window = months_between(FIRST, LAST)
    zero_p = dict(customers_start=0, start_cents=0, retained=0, retained_cents=0,
                  capped_cents=0, customer_months=0, churn_events=0, active_months=0,
                  mrr_sum_cents=0, end_cents=0, customers_end=0)
    per = {}      # (group, period index) -> sums
    monthly = {}  # (group, ym) -> [customers_start, customers_end, end_cents, n_churned]
    surv = {}     # group -> {k: [at_risk, churned]}
    pairs = {}    # (group, period index) -> [(MRR at start, MRR at end)] of its customers
    for c, rs in by_cust.items():
        s = customer_snapshots(rs, all_months, use_stage)
        for ym in window:
            m0, g0 = s[add_month(ym, -1)]
            m1, g1 = s[ym]
            if m0 == 0 and m1 == 0:
                continue
            g = g0 if m0 > 0 else g1
            for key in ("ALL", g):
                t = monthly.setdefault((key, ym), [0, 0, 0, 0])
                t[0] += m0 > 0
                t[1] += m1 > 0
                t[2] += m1
                t[3] += m0 > 0 and m1 == 0
        for pi, (a, b) in enumerate(periods):
            ms, gs = s[add_month(a, -1)]
            me, _ = s[b]
            if ms == 0:
                continue
            for key in ("ALL", gs):
                t = per.setdefault((key, pi), dict(zero_p))
                pairs.setdefault((key, pi), []).append((ms, me))
                t["customers_start"] += 1
                t["start_cents"] += ms
                if me > 0:
                    t["retained"] += 1
                    t["retained_cents"] += me
                    t["capped_cents"] += min(ms, me)
        if s[add_month(FIRST, -1)][0] == 0:
            start = next((i for i, ym in enumerate(window) if s[ym][0] > 0), None)
            if start is not None:
                g = s[window[start]][1]
                for key in ("ALL", g):
                    sv = surv.setdefault(key, {})
                    sv.setdefault(0, [0, 0])[0] += 1
                    for k in range(1, len(window) - start):
                        churned = s[window[start + k]][0] == 0
                        cell = sv.setdefault(k, [0, 0])
                        cell[0] += 1
                        cell[1] += churned
                        if churned:
                            break
    groups = sorted({k[0] for k in monthly} | {k[0] for k in per}, key=str)
    for g in groups:
        gname = "ALL" if g == "ALL" else " / ".join(g)
        for pi, (a, b) in enumerate(periods):
            t = dict(per.get((g, pi), zero_p))
            for ym in months_between(a, b):
                m = monthly.get((g, ym), [0, 0, 0, 0])
                t["customer_months"] += m[0]
                t["churn_events"] += m[3]
                t["active_months"] += m[1]
                t["mrr_sum_cents"] += m[2]
            last = monthly.get((g, b), [0, 0, 0, 0])
            t["customers_end"] = last[1]
            t["end_cents"] = last[2]
            # ratio estimator's standard error (delta method) of NRR and GRR, from the
            # residuals of the customers themselves
            xy = pairs.get((g, pi), [])
            for name, fy in (("nrr_se", lambda x, y: y), ("grr_se", lambda x, y: min(x, y))):
                n = len(xy)
                sx = sum(x for x, _ in xy)
                if n < 2 or sx == 0:
                    t[name] = float("nan")
                    continue
                ratio = sum(fy(x, y) for x, y in xy) / sx
                ss = sum((fy(x, y) - ratio * x) ** 2 for x, y in xy)
                t[name] = (ss / (n * (n - 1) * (sx / n) ** 2)) ** 0.5
            out_p.append(dict(config=config, group=gname,
                              period="%04d-%02d" % a, **t))
        # LTV over the whole window
        ms = [monthly.get((g, ym), [0, 0, 0, 0]) for ym in window]
        mrr_sum = sum(m[2] for m in ms)
        active = sum(m[1] for m in ms)
        churned = sum(m[3] for m in ms)
        at_start = sum(m[0] for m in ms)
        arpu = mrr_sum / active if active else float("nan")
        churn = churned / at_start if at_start else float("nan")
        if churn != churn or arpu != arpu:
            simple = float("nan")
        elif churn == 0:
            simple = float("inf") if arpu * MARGIN > 0 else 0.0
        else:
            simple = arpu * MARGIN / churn
        sv = surv.get(g, {})
        curve = [1.0]
        n = 1 + max((k for k, v in sv.items() if k > 0 and v[0] > 0), default=0)
        for k in range(1, n):
            at, ch = sv.get(k, [0, 0])
            curve.append(curve[-1] * (1 - ch / at if at else 1.0))
        if sv.get(0, [0, 0])[0] == 0:
            total = float("nan")
            n = 0
        else:
            total = sum(curve[:min(HORIZON, n)])
            st = curve[n - 1]
            for _ in range(n, HORIZON):
                st *= 1 - churn
                total += st
        out_l.append(dict(config=config, group=gname, mrr_sum_cents=mrr_sum,
                          customer_months=active, churned=churned,
                          customer_months_start=at_start, n_observed=n,
                          ltv_simple_cents=simple, survival_sum=total,
                          ltv_survival_cents=total * arpu * MARGIN))


def segment_cohorts(rows):
    by_cust = {}
    for r in rows:
        by_cust.setdefault(r["cust"], []).append(r)
    window = months_between(add_month(FIRST, -1), LAST)
    cells = {}
    for rs in by_cust.values():
        s = customer_snapshots(rs, window, False, "plan")
        if s[window[0]][0] > 0:
            continue
        start = next((i for i in range(1, len(window)) if s[window[i]][0] > 0), None)
        if start is None:
            continue
        plan = s[window[start]][1][0]
        m0 = s[window[start]][0]
        for k in range(0, len(window) - start):
            c = cells.setdefault((plan, k), [0, 0, 0, 0])
            m = s[window[start + k]][0]
            c[0] += 1
            c[1] += m > 0
            c[2] += m
            c[3] += m0
    return [dict(plan=p, k=k, observed=v[0], active=v[1], mrr_cents=v[2], base_cents=v[3])
            for (p, k), v in sorted(cells.items())]


def main():
    rows = load_rows()
    pd.DataFrame(segment_cohorts(rows)).to_csv(
        os.path.join(HERE, "expected_segment_cohorts.csv"), index=False)
    out_p, out_l = [], []
    run("quarters", False, quarters(), rows, out_p, out_l)
    run("stages", True, [(FIRST, LAST)], rows, out_p, out_l)
    pd.DataFrame(out_p).to_csv(os.path.join(HERE, "expected_periods.csv"), index=False,
                               float_format="%.12g")
    pd.DataFrame(out_l).to_csv(os.path.join(HERE, "expected_ltv_groups.csv"), index=False,
                               float_format="%.10g")
    print(len(out_p), "period rows,", len(out_l), "LTV rows")


if __name__ == "__main__":
    main()
