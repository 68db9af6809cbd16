#!/usr/bin/python3
"""Independent reference for `segkit insights` on a subscription history
(tests/cli/test_cli_insights_history.sh), part 1 of 2: the data each comparison is made on.

Reads tests/data/metrics/subscriptions.csv through the metrics reference's own brute-force
month-end snapshots (mrr_reference.read_rows, periods_reference.customer_snapshots: exact
decimal MRR of every row at every month end, a customer's plan and billing interval from
its row with the most MRR there) and, for the window FROM..TO and each value of plan and of
billing_interval against the customers with another value, writes:
  churn.csv  column, value, side (segment/rest), customers (active at the end of FROM - 1,
             plus those who start or come back in the window), trials (customer-months at
             risk: MRR > 0 at the end of the month before), events (MRR 0 at the month's end)
  nrr.csv    column, value, side, x (MRR at the end of FROM - 1), y (MRR at the end of TO):
             one row per customer active at the end of FROM - 1, in its segment then
  ltv.csv    cust, column, value, a, b, c, d: for every customer with MRR at the start or
             the end of a month of the window, its months in each value of the column (a
             month counts in the value the customer has at its start, or at its end when it
             starts the month without MRR): a = MRR at the months' ends (cents), b = months
             ending active, c = churns (active at the start, not at the end), d = months
             starting active; LTV = (A / B) / (C / D) of the summed columns
The statistics (svyratio, svytotal and svycontrast, prop.test, the Wald test and p.adjust)
are R's, in history_reference.R. Definitions: docs/metrics.md and docs/insights.md.

Run: python3 tests/data/insight/history_reference.py FROM TO OUTDIR   (months YYYY-MM)
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "metrics"))
from mrr_reference import add_month, read_rows  # noqa: E402
from periods_reference import customer_snapshots, months_between  # noqa: E402

COLUMNS = ("plan", "billing_interval")


def main():
    first = tuple(int(x) for x in sys.argv[1].split("-"))
    last = tuple(int(x) for x in sys.argv[2].split("-"))
    out = sys.argv[3]
    rows, _ = read_rows()
    for r in rows:
        r["seg"] = (r["plan"], r["interval"])
    by_cust = {}
    for r in rows:
        by_cust.setdefault(r["cust"], []).append(r)
    earliest = min(r["paid"] for r in rows)
    months = months_between(add_month((earliest.year, earliest.month), -1), last)
    window = months_between(first, last)
    trials = {}   # (column index, value) -> [customers, trials, events]
    pairs = []    # (column index, value, x, y)
    parts = []    # (customer, column index, value, a, b, c, d)
    for cust, rs in sorted(by_cust.items()):
        s = customer_snapshots(rs, months, False)
        m_start, g_start = s[add_month(first, -1)]
        if m_start > 0:
            for k in range(len(COLUMNS)):
                trials.setdefault((k, g_start[k]), [0, 0, 0])[0] += 1
                pairs.append((k, g_start[k], m_start, s[last][0]))
        mine = {}  # (column index, value) -> [a, b, c, d]
        for ym in window:
            m0, g0 = s[add_month(ym, -1)]
            m1, g1 = s[ym]
            if m0 > 0 or m1 > 0:
                g = g0 if m0 > 0 else g1
                for k in range(len(COLUMNS)):
                    p = mine.setdefault((k, g[k]), [0, 0, 0, 0])
                    p[0] += m1
                    p[1] += m1 > 0
                    p[2] += m0 > 0 and m1 == 0
                    p[3] += m0 > 0
            for k in range(len(COLUMNS)):
                if m0 > 0:
                    t = trials.setdefault((k, g0[k]), [0, 0, 0])
                    t[1] += 1
                    t[2] += m1 == 0
                elif m1 > 0:  # a start or a come-back: one more customer seen
                    trials.setdefault((k, g1[k]), [0, 0, 0])[0] += 1
        for (k, v), p in sorted(mine.items()):
            parts.append((cust, COLUMNS[k], v, *p))
    with open(os.path.join(out, "churn.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["column", "value", "side", "customers", "trials", "events"])
        for (k, v) in sorted(trials):
            rest = [0, 0, 0]
            for (k2, v2), t in trials.items():
                if k2 == k and v2 != v:
                    rest = [a + b for a, b in zip(rest, t)]
            w.writerow([COLUMNS[k], v, "segment"] + trials[(k, v)])
            w.writerow([COLUMNS[k], v, "rest"] + rest)
    with open(os.path.join(out, "ltv.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cust", "column", "value", "a", "b", "c", "d"])
        w.writerows(parts)
    with open(os.path.join(out, "nrr.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["column", "value", "side", "x", "y"])
        values = sorted({(k, v) for k, v, _, _ in pairs})
        for (k, v) in values:
            for k2, v2, x, y in pairs:
                if k2 == k:
                    w.writerow([COLUMNS[k], v, "segment" if v2 == v else "rest", x, y])


if __name__ == "__main__":
    main()
