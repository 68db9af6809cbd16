#!/usr/bin/python3
"""Independent reference for `segkit revenue` (docs/metrics.md, "Revenue from transactions").

Reads a transactions CSV with pandas, every field as text, and computes per period (and per
group) charges, refunds, their counts, net and paying customers in exact decimals: each
row's cents are round_half_even(|amount| x 100 x rate) computed with decimal.Decimal from
the amount's and the rate's text, so no binary floating point is involved. Months come from
the first seven characters of the date or timestamp (ISO 8601, UTC).

Usage: revenue_reference.py FILE --rates USD=1,EUR=1.085 --from YYYY-MM --to YYYY-MM
       [--period 1|3|12] [--by COL[,COL]] [--customer-col ..] [--date-col ..]
       [--amount-col ..] [--currency-col ..|none] [--kind-col ..|none]
Writes CSV to stdout: group,period,charges_cents,charge_count,refunds_cents,refund_count,
net_cents,paying_customers, where group is "ALL" or the JSON of {COL: VALUE} with sorted
keys, as the test compares it; then one line "skipped,N".
"""
import argparse
import json
import sys
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

CHARGE = {"charge", "payment", "sale", "invoice"}
REFUND = {"refund", "credit", "chargeback"}


def month_index(text):
    return int(text[0:4]) * 12 + int(text[5:7]) - 1


def period_label(first_month, p):
    y, m = divmod(first_month, 12)
    if p == 3:
        return "%04d-Q%d" % (y, m // 3 + 1)
    if p == 12:
        return "%04d" % y
    return "%04d-%02d" % (y, m + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rates", required=True)
    ap.add_argument("--from", dest="from_", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--period", type=int, default=1)
    ap.add_argument("--by", default="")
    ap.add_argument("--customer-col", default="customer_id")
    ap.add_argument("--date-col", default="timestamp")
    ap.add_argument("--amount-col", default="amount")
    ap.add_argument("--currency-col", default="currency")
    ap.add_argument("--kind-col", default="kind")
    a = ap.parse_args()
    rates = {}
    for item in a.rates.split(","):
        cur, rate = item.split("=")
        rates[cur.upper()] = Decimal(rate)
    p = a.period
    lo = month_index(a.from_ + "-01") // p * p
    hi = month_index(a.to + "-01") // p * p + p - 1
    by = [c for c in a.by.split(",") if c]

    df = pd.read_csv(a.file, dtype=str, keep_default_na=False)
    required = [a.customer_col, a.date_col, a.amount_col]
    if a.currency_col != "none":
        required.append(a.currency_col)
    if a.kind_col != "none":
        required.append(a.kind_col)
    usable = (df[required] != "").all(axis=1)
    skipped = int((~usable).sum())
    df = df[usable].copy()

    def cents_and_refund(row):
        amount = Decimal(row[a.amount_col])
        rate = rates[row[a.currency_col].upper()] if a.currency_col != "none" else Decimal(1)
        cents = int((abs(amount) * 100 * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        if a.kind_col == "none":
            refund = amount < 0
        else:
            kind = row[a.kind_col].lower()
            if kind not in CHARGE and kind not in REFUND:
                raise SystemExit("unknown kind %r" % kind)
            if kind in CHARGE and amount < 0:
                raise SystemExit("negative charge")
            refund = kind in REFUND
        return cents, refund

    conv = df.apply(cents_and_refund, axis=1, result_type="expand")
    df["cents"] = conv[0].astype("int64")
    df["refund"] = conv[1].astype(bool)
    df["month"] = df[a.date_col].map(month_index)
    df = df[(df["month"] >= lo) & (df["month"] <= hi)].copy()
    df["period"] = (df["month"] - lo) // p
    df["charge_cents"] = df["cents"].where(~df["refund"], 0)
    df["refund_cents"] = df["cents"].where(df["refund"], 0)
    df["is_charge"] = (~df["refund"]).astype("int64")
    df["is_refund"] = df["refund"].astype("int64")
    df["payer"] = df[a.customer_col].where(~df["refund"] & (df["cents"] > 0))

    n_periods = (hi - lo + 1) // p
    out = ["group,period,charges_cents,charge_count,refunds_cents,refund_count,net_cents,"
           "paying_customers"]

    def emit(label, sub):
        agg = sub.groupby("period").agg(
            charges=("charge_cents", "sum"), n_charges=("is_charge", "sum"),
            refunds=("refund_cents", "sum"), n_refunds=("is_refund", "sum"),
            paying=("payer", "nunique"))
        for i in range(n_periods):
            per = period_label(lo + i * p, p)
            if i in agg.index:
                r = agg.loc[i]
                vals = [int(r.charges), int(r.n_charges), int(r.refunds), int(r.n_refunds),
                        int(r.charges) - int(r.refunds), int(r.paying)]
            else:
                vals = [0, 0, 0, 0, 0, 0]
            out.append(",".join(['"%s"' % label.replace('"', '""'), per] + [str(v) for v in vals]))

    emit("ALL", df)
    if by:
        for key, sub in df.groupby(by if len(by) > 1 else by[0], sort=True):
            if not isinstance(key, tuple):
                key = (key,)
            label = json.dumps({c: (v if v != "" else "(null)") for c, v in zip(by, key)},
                               sort_keys=True)
            emit(label, sub)
    out.append("skipped,%d" % skipped)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
