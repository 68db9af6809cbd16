#!/usr/bin/python3
"""A synthetic Stripe API export for timing `segkit import-stripe` (not a test: the
values are random, only the shapes are Stripe's).

    /usr/bin/python3 bench/micro/stripe_export.py OUTDIR N_CUSTOMERS [SEED]

writes OUTDIR/customers.json (a list object), OUTDIR/subscriptions.json (a list object,
one or two items each, some with coupons) and OUTDIR/charges.jsonl (JSON Lines, about 12
charges per subscription, 2 % failed, 1 % refunded)."""
import json
import os
import random
import sys

out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
os.makedirs(out, exist_ok=True)
T0 = 1672531200  # 2023-01-01
cur = ["usd", "eur", "gbp", "jpy"]
customers, subs = [], []
for i in range(n):
    c = rnd.choice(cur)
    created = T0 + rnd.randrange(0, 3 * 365 * 86400)
    customers.append({"id": f"cus_{i}", "object": "customer", "created": created,
                      "email": f"u{i}@example.com", "name": f"Customer {i}", "currency": c,
                      "address": {"country": rnd.choice(["US", "DE", "FR", "JP", "GB"])},
                      "metadata": {"company_size": rnd.choice(["1-10", "11-50", "51-200"]),
                                   "industry": rnd.choice(["saas", "retail", "media"])}})
    items = []
    for k in range(rnd.choice([1, 1, 1, 2])):
        amount = rnd.choice([900, 2900, 9900]) * (100 if c == "jpy" else 1)
        items.append({"id": f"si_{i}_{k}", "object": "subscription_item",
                      "quantity": rnd.choice([1, 1, 2, 5, 10]),
                      "price": {"id": f"price_{amount}_{c}", "object": "price",
                                "nickname": rnd.choice(["Starter", "Pro", "Business"]),
                                "product": "prod_x", "currency": c, "unit_amount": amount,
                                "recurring": {"interval": rnd.choice(["month", "month", "year"]),
                                              "interval_count": 1}}})
    s = {"id": f"sub_{i}", "object": "subscription", "customer": f"cus_{i}",
         "status": "active", "start_date": created, "created": created,
         "cancel_at_period_end": rnd.random() < 0.05,
         "current_period_end": created + 30 * 86400, "ended_at": None,
         "items": {"object": "list", "data": items}}
    if rnd.random() < 0.1:
        s["discount"] = {"id": f"di_{i}", "object": "discount",
                         "coupon": {"id": "C20", "percent_off": 20, "duration": "forever"}}
    subs.append(s)
json.dump({"object": "list", "has_more": False, "data": customers},
          open(f"{out}/customers.json", "w"))
json.dump({"object": "list", "has_more": False, "data": subs},
          open(f"{out}/subscriptions.json", "w"))
with open(f"{out}/charges.jsonl", "w") as f:
    ch = 0
    for s in subs:
        c = s["items"]["data"][0]["price"]["currency"]
        for m in range(12):
            ch += 1
            paid = rnd.random() > 0.02
            amount = s["items"]["data"][0]["price"]["unit_amount"]
            o = {"id": f"ch_{ch}", "object": "charge", "amount": amount, "currency": c,
                 "customer": s["customer"], "created": s["start_date"] + m * 2592000,
                 "paid": paid, "status": "succeeded" if paid else "failed",
                 "amount_refunded": 0, "refunds": {"object": "list", "data": []}}
            if paid and rnd.random() < 0.01:
                o["amount_refunded"] = amount
                o["refunds"]["data"].append({"id": f"re_{ch}", "object": "refund",
                                             "amount": amount, "charge": o["id"],
                                             "currency": c, "created": o["created"] + 86400,
                                             "status": "succeeded"})
            f.write(json.dumps(o) + "\n")
