#!/usr/bin/python3
"""Independent reference for the Stripe subscription mapping (docs/billing.md).

    /usr/bin/python3 stripe_reference.py OUTDIR N_SUBSCRIPTIONS SEED

Writes OUTDIR/subscriptions.json (random Stripe subscription objects in the API's shape:
list object; monthly, weekly, daily and yearly prices with interval counts; USD, EUR, JPY
(zero-decimal) and KWD (three-decimal); unit_amount or unit_amount_decimal; legacy plans;
trials; cancel_at_period_end, cancel_at, ended_at, canceled without ended_at, incomplete;
percent_off and amount_off coupons, once / repeating / forever, on the subscription and
on items; one or two items) and OUTDIR/expected.csv: the subscription rows the rules of
docs/billing.md give, computed here from the documentation with exact decimals, written in
the columns `segkit mrr` reads. The CLI test compares `segkit mrr` on the imported dataset
with `segkit mrr` on expected.csv month by month: the engine is the same, so any difference
is a difference of mapping.
"""
import csv
import json
import random
import sys
from datetime import datetime, timezone
from decimal import Decimal

out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
T0 = 1704067200  # 2024-01-01
DAY = 86400
DIV = {"usd": 100, "eur": 100, "jpy": 1, "kwd": 1000}


def iso(t):
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def coupon():
    c = {"id": "c%d" % rnd.randrange(10**6), "object": "coupon",
         "duration": rnd.choice(["once", "repeating", "forever", "forever"])}
    if rnd.random() < 0.5:
        c["percent_off"] = rnd.choice([10, 20, 25, 50, 12.5])
        c["amount_off"] = None
    else:
        c["percent_off"] = None
        c["amount_off"] = rnd.choice([100, 500, 1000, 5000])
        c["currency"] = None  # set by the caller
    return c


def discount(cur, start):
    c = coupon()
    if c["amount_off"] is not None:
        c["currency"] = cur
    end = None
    if c["duration"] == "repeating":
        c["duration_in_months"] = 3
        end = start + rnd.choice([30, 90, 200]) * DAY
    return {"id": "di_%d" % rnd.randrange(10**9), "object": "discount", "coupon": c,
            "start": start, "end": end}


subs = []
for i in range(n):
    cur = rnd.choice(["usd", "usd", "eur", "jpy", "kwd"])
    start = T0 + rnd.randrange(0, 400) * DAY + rnd.randrange(0, DAY)
    s = {"id": "sub_%d" % i, "object": "subscription", "customer": "cus_%d" % rnd.randrange(n),
         "status": "active", "start_date": start, "created": start, "currency": cur,
         "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None,
         "ended_at": None, "trial_end": None, "current_period_end": start + 30 * DAY}
    r = rnd.random()
    if r < 0.1:
        s["trial_end"] = start + 14 * DAY
        s["status"] = "trialing"
    elif r < 0.2:
        s["cancel_at_period_end"] = True
        s["canceled_at"] = start + 10 * DAY
        s["current_period_end"] = start + rnd.randrange(20, 300) * DAY
    elif r < 0.3:
        s["ended_at"] = start + rnd.randrange(1, 300) * DAY
        s["canceled_at"] = s["ended_at"] - DAY
        s["status"] = "canceled"
    elif r < 0.35:
        s["cancel_at"] = start + rnd.randrange(1, 300) * DAY
    elif r < 0.4:
        s["status"] = "canceled"
        s["canceled_at"] = start + rnd.randrange(1, 300) * DAY
    elif r < 0.43:
        s["status"] = rnd.choice(["incomplete", "incomplete_expired"])
    if rnd.random() < 0.3:
        s["discount"] = discount(cur, start)
    items = []
    legacy = rnd.random() < 0.1
    for k in range(1 if legacy else rnd.choice([1, 1, 2])):
        interval = rnd.choice(["month", "month", "year", "week", "day"])
        count = rnd.choice([1, 1, 1, 3])
        amount = rnd.choice([900, 1234, 2900, 9999, 120000])
        qty = rnd.choice([1, 1, 2, 5, 7])
        if legacy:
            s["plan"] = {"id": "plan_%d" % amount, "object": "plan", "nickname": None,
                         "amount": amount, "currency": cur, "interval": interval,
                         "interval_count": count, "product": "prod_l"}
            s["quantity"] = qty
            break
        price = {"id": "price_%d_%s" % (amount, cur), "object": "price", "nickname": None,
                 "lookup_key": None, "product": "prod_x", "currency": cur,
                 "unit_amount": amount, "unit_amount_decimal": str(amount),
                 "recurring": {"interval": interval, "interval_count": count}}
        r2 = rnd.random()
        if r2 < 0.1:
            price["unit_amount"] = None
            price["unit_amount_decimal"] = "%d.5" % amount
        elif r2 < 0.2:
            price["unit_amount"] = None
            price["unit_amount_decimal"] = None
            price["billing_scheme"] = "tiered"
            price["tiers_mode"] = rnd.choice(["volume", "graduated"])
            price["tiers"] = [{"up_to": 2, "unit_amount": amount, "flat_amount": rnd.choice([None, 300])},
                              {"up_to": 6, "unit_amount": amount // 2, "flat_amount": None},
                              {"up_to": None, "unit_amount": None,
                               "unit_amount_decimal": "%d.25" % (amount // 4), "flat_amount": 100}]
        it = {"id": "si_%d_%d" % (i, k), "object": "subscription_item", "quantity": qty,
              "price": price}
        if rnd.random() < 0.15:
            it["discounts"] = [discount(cur, start)]
        items.append(it)
    if not legacy:
        s["items"] = {"object": "list", "data": items}
    subs.append(s)

json.dump({"object": "list", "has_more": False, "data": subs},
          open("%s/subscriptions.json" % out, "w"), indent=1)

# ---- the expected rows, from docs/billing.md --------------------------------------------

def end_of_service(s):
    if s["ended_at"] is not None:
        return s["ended_at"]
    if s["cancel_at"] is not None:
        return s["cancel_at"]
    if s["cancel_at_period_end"]:
        return s["current_period_end"]
    if s["status"] == "canceled":
        return s["canceled_at"] if s["canceled_at"] is not None else s["start_date"]
    if s["status"] in ("incomplete", "incomplete_expired"):
        return s["start_date"]
    return None


def coupons(obj):
    ds = []
    if obj.get("discount"):
        ds.append(obj["discount"])
    for d in obj.get("discounts") or []:
        if isinstance(d, dict):
            ds.append(d)
    return ds


rows = []
for s in subs:
    cur = s["currency"]
    end = end_of_service(s)
    if "items" in s:
        terms = [(it["id"], it["price"], it["quantity"], coupons(it)) for it in s["items"]["data"]]
    else:
        p = s["plan"]
        terms = [(None, {"unit_amount": p["amount"], "recurring": {"interval": p["interval"],
                 "interval_count": p["interval_count"]}}, s["quantity"], [])]

    def tier_unit(t):
        return Decimal(t["unit_amount"]) if t.get("unit_amount") is not None else Decimal(t["unit_amount_decimal"])

    def minor(p, q):
        """Minor units per unit at quantity q (tiered: the tiers' total / q)."""
        if p.get("billing_scheme") == "tiered":
            total, below = Decimal(0), 0
            for t in p["tiers"]:
                cap = t["up_to"] if t["up_to"] is not None else q
                flat = Decimal(t["flat_amount"] or 0)
                if p["tiers_mode"] == "volume":
                    if q <= cap:
                        total = tier_unit(t) * q + flat
                        break
                    continue
                units = min(q, cap) - below
                if units > 0:
                    total += tier_unit(t) * units + flat
                below = cap
                if q <= cap:
                    break
            return total / q if q > 0 else Decimal(0)
        return tier_unit(p)

    total = sum(minor(p, q) * q for _, p, q, _ in terms)
    sub_ds = coupons(s)
    for item_id, p, q, item_ds in terms:
        lst = minor(p, q) * q

        def pct(forever_only):
            keep = Decimal(1)
            off_sub = Decimal(0)
            off_item = Decimal(0)
            for where, ds in (("sub", sub_ds), ("item", item_ds)):
                for d in ds:
                    c = d["coupon"]
                    if c["duration"] == "once" or (forever_only and c["duration"] == "repeating"):
                        continue
                    if c["percent_off"] is not None:
                        keep *= 1 - Decimal(str(c["percent_off"])) / 100
                    elif where == "sub":
                        off_sub += c["amount_off"]
                    else:
                        off_item += c["amount_off"]
            v = 100 * (1 - keep)
            v += (100 * off_sub / total if total > 0 else (100 if off_sub > 0 else 0))
            v += (100 * off_item / lst if lst > 0 else (100 if off_item > 0 else 0))
            return min(v, Decimal(100))

        repeating_ends = [d["end"] for d in sub_ds + item_ds
                          if d["coupon"]["duration"] == "repeating" and d["end"] is not None]
        price = minor(p, q) / DIV[cur]
        base = {"customer_id": s["customer"], "unit_price": price, "seats": q,
                "billing_interval": p["recurring"]["interval"],
                "interval_count": p["recurring"].get("interval_count", 1),
                "currency": cur.upper()}
        start = s["start_date"]
        split = min(repeating_ends) if repeating_ends else None
        d_all, d_forever = pct(False), pct(True)
        if split is not None and d_all != d_forever and split > start and (end is None or split < end):
            rows.append(dict(base, started_at=iso(start), trial_end=iso(s["trial_end"]),
                             ended_at=iso(split), discount_percent=d_all))
            rows.append(dict(base, started_at=iso(split),
                             trial_end=iso(s["trial_end"]) if s["trial_end"] and s["trial_end"] > split else None,
                             ended_at=iso(end), discount_percent=d_forever))
        else:
            rows.append(dict(base, started_at=iso(start), trial_end=iso(s["trial_end"]),
                             ended_at=iso(end), discount_percent=d_all))

cols = ["customer_id", "unit_price", "seats", "billing_interval", "interval_count", "currency",
        "started_at", "trial_end", "ended_at", "discount_percent"]
with open("%s/expected.csv" % out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r[c] is None else r[c] for c in cols])
print(len(rows), "rows")
