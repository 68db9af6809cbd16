#!/usr/bin/python3
"""Independent check of segkit's generated sample data (segkit_sample_generate).

Usage: /usr/bin/python3 check_planted.py DIR [--window-start YYYY-MM-DD] [--window-end YYYY-MM-DD]

Reads every file in DIR with pandas / json (not with segkit), checks that it parses with the
documented columns and types, then measures the planted effects documented in
include/segkit/sample.h and docs/sample-data.md from the files alone:

  * invoice_automation adopters (customers with any feature_used/invoice_automation event)
    churn about 4x less: the Mantel-Haenszel rate ratio of paid churn per customer-month,
    stratified by plan x billing interval x company size, lies in [0.20, 0.31] (planted 0.25);
  * annual billing churns less than monthly (MH ratio by plan x size x adopter in [0.35, 0.65],
    planted 0.5), and churn falls from starter to enterprise;
  * about 20 transactions per customer, 1-3% of charges refunded, refunds point at an
    earlier charge of the same customer;
  * logins thin out in the 30 days before a cancellation;
  * the survey's planted segments are recovered by k-means (adjusted Rand index >= 0.9),
    segments differ in company size, and the codebook describes every column.

Prints what it measured; exits 0 when every check passes, 1 otherwise.
Requires Debian's python3-pandas, python3-numpy, python3-scipy and python3-sklearn.
"""
import argparse
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

DAYS_PER_MONTH = 365.25 / 12
FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)


def read_csv(path, columns, **kw):
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], **kw)
    check(list(df.columns) == columns, f"{os.path.basename(path)}: columns {list(df.columns)}")
    return df


def parse_dates(df, col, fmt):
    out = pd.to_datetime(df[col], format=fmt, errors="coerce")
    bad = out.isna() & df[col].notna()
    check(not bad.any(), f"{col}: every value is a valid {fmt} ({int(bad.sum())} bad)")
    return out


def mh_rate_ratio(df, exposed, strata):
    """Mantel-Haenszel rate ratio (Rothman & Greenland, Modern Epidemiology, eq. 15-20):
    sum_i a_i T0_i / T_i over sum_i b_i T1_i / T_i, a/b events and T1/T0 person-time of the
    exposed / unexposed in stratum i."""
    g = df.groupby(strata + [exposed])[["event", "months"]].sum().unstack(exposed, fill_value=0)
    a, b = g[("event", True)], g[("event", False)]
    t1, t0 = g[("months", True)], g[("months", False)]
    t = t1 + t0
    keep = t > 0
    num = (a * t0 / t)[keep].sum()
    den = (b * t1 / t)[keep].sum()
    return num / den if den > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--window-start", default="2023-07-01")
    ap.add_argument("--window-end", default="2026-06-30")
    args = ap.parse_args()
    d = args.dir
    ws = pd.Timestamp(args.window_start)
    we = pd.Timestamp(args.window_end)
    we_excl = we + pd.Timedelta(days=1)

    # ---- parse everything ------------------------------------------------------------------
    cust = read_csv(os.path.join(d, "customers.csv"),
                    ["customer_id", "company_name", "signup_date", "country", "city",
                     "company_size", "industry", "acquisition_channel"],
                    dtype={"company_size": str})
    subs = read_csv(os.path.join(d, "subscriptions.csv"),
                    ["subscription_id", "customer_id", "plan", "billing_interval",
                     "interval_count", "seats", "unit_price", "currency", "discount_percent",
                     "status", "start_reason", "started_at", "trial_end", "ended_at"])
    tx = read_csv(os.path.join(d, "transactions.csv"),
                  ["transaction_id", "customer_id", "subscription_id", "timestamp", "amount",
                   "currency", "kind", "refund_of"])
    ev = read_csv(os.path.join(d, "events.csv"),
                  ["event_id", "customer_id", "timestamp", "event", "feature"])
    n = len(cust)
    print(f"customers {n}, subscriptions {len(subs)}, transactions {len(tx)}, events {len(ev)}")

    cust["signup"] = parse_dates(cust, "signup_date", "%Y-%m-%d")
    for col in ["started_at", "trial_end", "ended_at"]:
        subs[col] = parse_dates(subs, col, "%Y-%m-%d")
    tx["ts"] = parse_dates(tx, "timestamp", "%Y-%m-%dT%H:%M:%SZ")
    ev["ts"] = parse_dates(ev, "timestamp", "%Y-%m-%dT%H:%M:%SZ")

    check(cust.customer_id.is_unique and subs.subscription_id.is_unique
          and tx.transaction_id.is_unique and ev.event_id.is_unique, "ids are unique")
    check(cust.company_name.str.contains("[^\x00-\x7f]").any(),
          "some company names are non-ASCII")
    check(set(subs.currency) >= {"USD", "EUR", "GBP"}, f"currencies {sorted(set(subs.currency))}")
    check(set(subs.billing_interval) == {"month", "year"}, "monthly and annual billing")
    check(set(tx.kind) <= {"charge", "refund"}, "kind is charge or refund")
    check((tx.amount > 0).all(), "amounts are positive")
    check(tx.ts.between(ws, we_excl, inclusive="left").all(), "transactions inside the window")
    check(ev.ts.between(ws, we_excl, inclusive="left").all(), "events inside the window")
    check(((subs.ended_at.isna()) | (subs.ended_at >= subs.started_at)).all(),
          "subscriptions end after they start")
    subs = subs.sort_values(["customer_id", "started_at", "subscription_id"])
    nxt = subs.groupby("customer_id").started_at.shift(-1)
    overlap = nxt.notna() & (subs.ended_at.isna() | (nxt < subs.ended_at))
    check(not overlap.any(), f"a customer's subscriptions never overlap ({int(overlap.sum())})")

    per_customer = len(tx) / max(n, 1)
    if n >= 1000:
        check(17 <= per_customer <= 23, f"transactions per customer {per_customer:.2f} (about 20)")
    charges = tx[tx.kind == "charge"]
    refunds = tx[tx.kind == "refund"]
    share = len(refunds) / max(len(charges), 1)
    if len(charges) >= 10000:
        check(0.01 <= share <= 0.03, f"refunded share of charges {share:.4f} (planted 0.02)")
    ref = refunds.merge(charges[["transaction_id", "customer_id", "ts"]], left_on="refund_of",
                        right_on="transaction_id", suffixes=("", "_charge"), how="left")
    check(ref.ts_charge.notna().all() and (ref.customer_id == ref.customer_id_charge).all()
          and (ref.ts > ref.ts_charge).all(),
          "every refund points at an earlier charge of the same customer")

    # ---- churn: paid exposure per subscription row ------------------------------------------
    paid_from = subs.trial_end.fillna(subs.started_at).where(
        subs.trial_end.fillna(subs.started_at) > subs.started_at, subs.started_at)
    paid_from = paid_from.where(paid_from > ws, ws)
    paid_to = subs.ended_at.fillna(we_excl).clip(upper=we_excl)
    subs["months"] = ((paid_to - paid_from).dt.days.clip(lower=0)) / DAYS_PER_MONTH
    # A paid churn: cancelled after the trial, not a trial that was never converted.
    subs["event"] = ((subs.status == "canceled")
                     & (subs.trial_end.isna() | (subs.ended_at > subs.trial_end))).astype(int)
    adopters = set(ev[(ev.event == "feature_used")
                      & (ev.feature == "invoice_automation")].customer_id)
    subs["adopter"] = subs.customer_id.isin(adopters)
    subs = subs.merge(cust[["customer_id", "company_size"]], on="customer_id")
    paid = subs[subs.months > 0]
    print(f"adopters {len(adopters)} of {n}; paid churn events {int(paid.event.sum())}, "
          f"customer-months {paid.months.sum():.0f}")

    def rate(df):
        return df.event.sum() / df.months.sum()

    if len(ev) == 0:
        print("no events: adoption cannot be measured, skipping the churn checks")
    elif n >= 5000:
        crude = rate(paid[paid.adopter]) / rate(paid[~paid.adopter])
        mh = mh_rate_ratio(paid, "adopter", ["plan", "billing_interval", "company_size"])
        print(f"monthly churn: adopters {rate(paid[paid.adopter]):.5f}, "
              f"non-adopters {rate(paid[~paid.adopter]):.5f}")
        check(0.20 <= mh <= 0.31, f"adopter churn rate ratio, MH by plan x interval x size: "
              f"{mh:.3f} (planted 0.25)")
        check(crude <= 0.40, f"adopter churn rate ratio, crude: {crude:.3f} (about 4x lower)")
        paid = paid.assign(annual=paid.billing_interval == "year")
        mh_annual = mh_rate_ratio(paid, "annual", ["plan", "company_size", "adopter"])
        crude_annual = rate(paid[paid.annual]) / rate(paid[~paid.annual])
        check(0.35 <= mh_annual <= 0.65 and crude_annual < 0.75,
              f"annual vs monthly churn rate ratio: MH {mh_annual:.3f} (planted 0.5), "
              f"crude {crude_annual:.3f}")
        by_plan = [rate(paid[paid.plan == p]) for p in ["starter", "pro", "business", "enterprise"]]
        check(all(a > b for a, b in zip(by_plan, by_plan[1:])),
              "churn falls from starter to enterprise: "
              + ", ".join(f"{r:.4f}" for r in by_plan))

        # ---- logins before a cancellation -------------------------------------------------
        churned = paid[paid.event == 1][["customer_id", "ended_at"]]
        churned = churned[churned.ended_at - ws > pd.Timedelta(days=200)]
        churned = churned.drop_duplicates("customer_id", keep="first")
        logins = ev[ev.event == "login"].merge(churned, on="customer_id")
        before = (logins.ended_at - logins.ts).dt.total_seconds() / 86400
        last30 = ((before > 0) & (before <= 30)).sum() / 30
        earlier = ((before > 90) & (before <= 180)).sum() / 90
        ratio = last30 / earlier if earlier > 0 else float("nan")
        check(ratio < 0.6, f"logins per day in the last 30 days before churn vs 90-180 days "
              f"before: {ratio:.3f}")

    # ---- survey -------------------------------------------------------------------------
    with open(os.path.join(d, "survey_codebook.json"), encoding="utf-8") as f:
        book = json.load(f)
    survey = pd.read_csv(os.path.join(d, "survey.csv"), keep_default_na=False, na_values=[""])
    truth = pd.read_csv(os.path.join(d, "survey_truth.csv"))
    check("segment" not in survey.columns, "survey.csv does not carry the planted segment")
    types = {"single_choice", "multiple_choice", "likert", "numeric", "open_text"}
    described = {"respondent_id"}
    for q in book["questions"]:
        check(q["type"] in types and q["text"], f"codebook question {q['name']} ({q['type']})")
        cols = [o["column"] for o in q["options"]] if q["type"] == "multiple_choice" else [q["column"]]
        described.update(cols)
        missing = {int(k) for k in q.get("missing", {})}
        for col in cols:
            x = survey[col]
            if q["type"] in ("single_choice", "likert"):
                valid = {int(k) for k in q["values"]} | missing
                check(set(x.unique()) <= valid, f"{col}: codes are labelled in the codebook")
            elif q["type"] == "multiple_choice":
                check(set(x.unique()) <= {0, 1}, f"{col}: 0/1")
            elif q["type"] == "numeric":
                ok = x.isin(missing) | x.between(q["min"], q["max"])
                check(ok.all(), f"{col}: in [{q['min']}, {q['max']}] or a missing code")
    check(described == set(survey.columns), "the codebook describes every survey column")
    types_seen = {q["type"] for q in book["questions"]}
    check(types_seen == types, f"question types {sorted(types_seen)}")

    items = [f"att_{i:02d}" for i in range(1, 16)]
    if len(survey) >= 500:
        x = survey[items].replace(98, np.nan)
        check(x.isna().to_numpy().sum() > 0, f"'don't know' (98) occurs in the attitude items "
              f"({int(x.isna().to_numpy().sum())} answers)")
        x = x.fillna(x.median())
        km = KMeans(n_clusters=5, n_init=10, random_state=0).fit(x.to_numpy())
        ari = adjusted_rand_score(truth.segment, km.labels_)
        check(ari >= 0.9, f"k-means (k=5) recovers the planted survey segments: ARI {ari:.3f}")
        table = pd.crosstab(truth.segment, survey.company_size)
        p = chi2_contingency(table)[1]
        check(p < 1e-6, f"company size depends on the segment (chi-square p = {p:.2g})")

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
