#!/usr/bin/python3
"""Independent reference for the report's views (tests/cli/test_cli_report.sh).

    views_reference.py DATA_DIR VIEWS_DIR

DATA_DIR holds the CSV files of `segkit generate` (subscriptions.csv, transactions.csv);
VIEWS_DIR the JSON segkit printed for them (`segkit report --view NAME`): overview.json,
mrr_movements.json, cohorts.json, survival.json, rfm.json. Every number checked is
recomputed here from the CSV files with the definitions of docs/metrics.md and
docs/segments.md and nothing of segkit's code: exact decimals (half-even cents per row),
month-end MRR by brute force over every row for every month end, Wilson intervals from
scipy, Kaplan-Meier curves from R's survival::survfit (Rscript), RFM quintile scores by
the NTILE rule written out. Prints what differs; exits 1 when anything does.
"""
import calendar
import csv
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
from decimal import Decimal, ROUND_HALF_EVEN

import pandas as pd
from scipy.stats import binomtest

DATA, VIEWS = sys.argv[1], sys.argv[2]
RATES = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
FACTOR = {"day": (365, 12), "week": (52, 12), "month": (1, 1), "year": (1, 12)}
bad = 0
checked = 0


def check(what, got, want, rel=1e-9, absolute=1e-9):
    global bad, checked
    checked += 1
    if want is None or (isinstance(want, float) and math.isnan(want)):
        ok = got is None
    elif got is None:
        ok = False
    else:
        ok = math.isclose(got, want, rel_tol=rel, abs_tol=absolute)
    if not ok:
        bad += 1
        if bad <= 40:
            print(f"MISMATCH {what}: segkit {got}, reference {want}")


def view(name):
    return json.load(open(os.path.join(VIEWS, name + ".json")))


def midx(d):
    return d.year * 12 + d.month - 1


def month_end(i):
    y, m = divmod(i, 12)
    return dt.date(y, m + 1, calendar.monthrange(y, m + 1)[1])


def month_text(i):
    y, m = divmod(i, 12)
    return f"{y:04d}-{m + 1:02d}"


# ---- month-end MRR of every customer -------------------------------------------------------

subs = pd.read_csv(os.path.join(DATA, "subscriptions.csv"), dtype=str, keep_default_na=False)
rows = []
latest = dt.date.min
earliest = dt.date.max
for r in subs.itertuples(index=False):
    start = dt.date.fromisoformat(r.started_at)
    end = dt.date.fromisoformat(r.ended_at) if r.ended_at else None
    latest = max(latest, start, end or start)
    earliest = min(earliest, start)
    if end is not None and end < start:
        continue
    trial = dt.date.fromisoformat(r.trial_end) if r.trial_end else None
    paid = max(start, trial) if trial else start
    num, den = FACTOR[r.billing_interval.lower()]
    disc = Decimal(r.discount_percent) if r.discount_percent else Decimal(0)
    exact = (Decimal(r.unit_price) * Decimal(r.seats or "1") * (100 - disc) * RATES[r.currency]
             * num / den / Decimal(r.interval_count or "1"))
    cents = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    rows.append((int(r.customer_id), r.plan, paid, end or dt.date.max, cents))

FIRST = midx(earliest)          # the views run cohorts and survival from the earliest start
LAST = midx(latest)             # ... to the month of the latest start or end
months = list(range(FIRST - 1, LAST + 1))
customers = sorted({c for c, *_ in rows})
mrr = {c: [0] * len(months) for c in customers}
best = {}  # (customer, month index) -> (cents, paid, -row) of the row deciding its segment
for k, m in enumerate(months):
    day = month_end(m)
    for ri, (c, plan, paid, end, cents) in enumerate(rows):
        if paid <= day < end:
            mrr[c][k] += cents
            key = (cents, paid, -ri)
            if (c, k) not in best or key > best[(c, k)][0]:
                best[(c, k)] = (key, plan)


def at(c, m):
    return mrr[c][m - (FIRST - 1)]


# ---- overview: the last 12 months ------------------------------------------------------------

ov = view("overview")
to = LAST
fr = to - 11
check("overview to", 1 if ov["to"] == month_text(to) else 0, 1)
k = ov["kpis"]
start_set = [c for c in customers if at(c, fr - 1) > 0]
end_cents = sum(at(c, to) for c in customers)
churned = sum(1 for m in range(fr, to + 1) for c in customers if at(c, m - 1) > 0 and at(c, m) == 0)
at_risk = sum(1 for m in range(fr, to + 1) for c in customers if at(c, m - 1) > 0)
check("overview customers", k["customers"], sum(1 for c in customers if at(c, to) > 0))
check("overview customers_start", k["customers_start"], len(start_set))
check("overview mrr", k["mrr"], end_cents / 100)
check("overview arr", k["arr"], 12 * end_cents / 100)
check("overview monthly_churn", k["monthly_churn"], churned / at_risk)
ci = binomtest(churned, at_risk).proportion_ci(confidence_level=0.95, method="wilson")
check("overview churn ci low", k["monthly_churn_ci"][0], ci.low)
check("overview churn ci high", k["monthly_churn_ci"][1], ci.high)
start_cents = sum(at(c, fr - 1) for c in start_set)
check("overview nrr", k["nrr"], sum(at(c, to) for c in start_set) / start_cents)
check("overview grr", k["grr"], sum(min(at(c, fr - 1), at(c, to)) for c in start_set) / start_cents)
for s in ov["series"]:
    m = FIRST + [month_text(i) for i in range(FIRST, LAST + 1)].index(s["month"])
    check(f"overview series {s['month']} mrr", s["mrr"], sum(at(c, m) for c in customers) / 100)
    check(f"overview series {s['month']} customers", s["customers"],
          sum(1 for c in customers if at(c, m) > 0))

# ---- movements --------------------------------------------------------------------------------

mv = view("mrr_movements")
check("movements reconcile", 1 if mv["reconciles"] else 0, 1)
for s in mv["months"]:
    m = FIRST + [month_text(i) for i in range(FIRST, LAST + 1)].index(s["month"])
    sums = dict(new=0, reactivation=0, expansion=0, contraction=0, churned=0)
    for c in customers:
        m0, m1 = at(c, m - 1), at(c, m)
        if m0 == 0 and m1 > 0:
            before = any(at(c, x) > 0 for x in range(FIRST - 1, m - 1))
            sums["reactivation" if before else "new"] += m1
        elif m1 > m0 > 0:
            sums["expansion"] += m1 - m0
        elif 0 < m1 < m0:
            sums["contraction"] += m0 - m1
        elif m0 > 0 and m1 == 0:
            sums["churned"] += m0
    for key, cents in sums.items():
        check(f"movements {s['month']} {key}", s[key], cents / 100)
    check(f"movements {s['month']} start", s["start"], sum(at(c, m - 1) for c in customers) / 100)
    check(f"movements {s['month']} end", s["end"], sum(at(c, m) for c in customers) / 100)

# ---- cohorts: logo retention by signup month ----------------------------------------------------

co = view("cohorts")
first_paid = {}
for c in customers:
    for m in range(FIRST, LAST + 1):
        if at(c, m) > 0:
            first_paid[c] = m
            break
check("cohorts total", co["cohorts_total"], len(set(first_paid.values())))
for row in co["cohorts"]:
    m = FIRST + [month_text(i) for i in range(FIRST, LAST + 1)].index(row["cohort"])
    members = [c for c, f in first_paid.items() if f == m]
    check(f"cohort {row['cohort']} size", row["size"], len(members))
    for kk, cell in enumerate(row["retention"]):
        active = sum(1 for c in members if at(c, m + kk) > 0)
        check(f"cohort {row['cohort']} m{kk}", cell, active / len(members))

# ---- survival: lifetimes by the plan at the start, against R's survfit ---------------------------

sv = view("survival")
life = []
n_months = LAST - (FIRST - 1)
for c in customers:
    ks = [i for i in range(len(months)) if mrr[c][i] > 0]
    if not ks:
        continue
    first, last = ks[0], ks[-1]
    dead = last < n_months
    tenure = last - first + 1 if dead else n_months - first + 1
    life.append((c, tenure, int(dead), best[(c, first)][1]))
with tempfile.TemporaryDirectory() as tmp:
    lf = os.path.join(tmp, "life.csv")
    with open(lf, "w") as f:
        f.write("customer,time,event,plan\n")
        for c, t, e, p in life:
            f.write(f"{c},{t},{e},{p}\n")
    script = f"""
suppressMessages(library(survival))
d <- read.csv("{lf}")
fit <- survfit(Surv(time, event) ~ plan, data = d)
s <- summary(fit, censored = TRUE)
out <- data.frame(plan = sub("plan=", "", as.character(s$strata)), time = s$time,
                  n_risk = s$n.risk, n_event = s$n.event, surv = s$surv, lower = s$lower,
                  upper = s$upper)
write.csv(out, "{tmp}/points.csv", row.names = FALSE)
med <- summary(fit)$table[, "median"]
write.csv(data.frame(plan = sub("plan=", "", names(med)), median = med),
          "{tmp}/median.csv", row.names = FALSE)
"""
    subprocess.run(["Rscript", "-e", script], check=True)
    pts = list(csv.DictReader(open(os.path.join(tmp, "points.csv"))))
    meds = {r["plan"]: r["median"] for r in csv.DictReader(open(os.path.join(tmp, "median.csv")))}
groups = {g["name"]: g for g in sv["groups"]}
check("survival groups", len(groups), len(meds))
for plan, g in groups.items():
    want = [p for p in pts if p["plan"] == plan]
    check(f"survival {plan} points", len(g["curve"]), len(want))
    for got, w in zip(g["curve"], want):
        t = float(w["time"])
        check(f"survival {plan} t={t} time", got["time"], t)
        check(f"survival {plan} t={t} at_risk", got["at_risk"], float(w["n_risk"]))
        check(f"survival {plan} t={t} events", got["events"], float(w["n_event"]))
        check(f"survival {plan} t={t} surv", got["survival"], float(w["surv"]), rel=1e-8)
        lo = float(w["lower"]) if w["lower"] not in ("", "NA") else None
        hi = float(w["upper"]) if w["upper"] not in ("", "NA") else None
        check(f"survival {plan} t={t} lower", got["lower"], lo, rel=1e-8)
        check(f"survival {plan} t={t} upper", got["upper"], hi, rel=1e-8)
    med = meds[plan]
    check(f"survival {plan} median", g["median"], float(med) if med not in ("", "NA") else None)

# ---- RFM: recency x frequency cell counts -----------------------------------------------------------

rf = view("rfm")
tx = pd.read_csv(os.path.join(DATA, "transactions.csv"), dtype=str, keep_default_na=False)
day = tx["timestamp"].str.slice(0, 10).map(dt.date.fromisoformat)
as_of = day.max()
last_charge, freq = {}, {}
for c, d, amount, cur, kind in zip(tx["customer_id"], day, tx["amount"], tx["currency"], tx["kind"]):
    cents = int((abs(Decimal(amount)) * 100 * RATES[cur]).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if kind.lower() in ("charge", "payment", "sale", "invoice") and cents > 0 and d <= as_of:
        c = int(c)
        last_charge[c] = max(last_charge.get(c, d), d)
        freq[c] = freq.get(c, 0) + 1


def scores(values):
    """Quintile scores by the NTILE rule: edges at the last position of tiles 1..4."""
    s = sorted(values.values())
    n = len(s)
    base, rem = divmod(n, 5)
    edges, cum = [], 0
    for t in range(1, 5):
        cum += base + (1 if t <= rem else 0)
        edges.append(s[cum - 1])
    return {c: 1 + sum(1 for e in edges if e < v) for c, v in values.items()}


r_score = scores({c: d.toordinal() for c, d in last_charge.items()})
f_score = scores(freq)
cells = {}
for c in last_charge:
    cells[(r_score[c], f_score[c])] = cells.get((r_score[c], f_score[c]), 0) + 1
check("rfm customers", rf["customers"], len(last_charge))
for cell in rf["cells"]:
    check(f"rfm cell r={cell['r']} f={cell['f']}", cell["count"], cells.get((cell["r"], cell["f"]), 0))

print(f"{checked} numbers checked, {bad} differ")
sys.exit(1 if bad else 0)
