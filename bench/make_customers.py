#!/usr/bin/python3
"""A wide customers table for the rule benchmark (bench/run segment): N rows of
id, plan, billing_interval, seats, mrr, country, signup_date, active, with numpy seed 11.
Plans and countries are drawn with realistic skew so predicates have different
selectivities.   /usr/bin/python3 bench/make_customers.py OUT.csv N"""
import sys

import numpy as np
import pandas as pd


def main(out, n):
    rng = np.random.default_rng(11)
    plans = np.array(["starter", "pro", "business", "enterprise"])
    countries = np.array(["US", "DE", "FR", "GB", "NL", "ES", "IT", "SE", "PL", "CA", "AU",
                          "JP", "BR", "IN", "MX", "CH", "AT", "BE", "DK", "NO"])
    plan = plans[rng.choice(4, n, p=[0.4, 0.35, 0.18, 0.07])]
    interval = np.where(rng.random(n) < 0.3, "year", "month")
    seats = rng.geometric(0.25, n)
    mrr = np.round(seats * rng.choice([9.0, 29.0, 79.0, 249.0], n) * rng.uniform(0.8, 1.2, n), 2)
    country = countries[rng.zipf(1.6, n) % 20]
    signup = (np.datetime64("2019-01-01") + rng.integers(0, 2500, n)).astype("datetime64[D]")
    active = rng.random(n) < 0.8
    pd.DataFrame({"id": np.arange(1, n + 1), "plan": plan, "billing_interval": interval,
                  "seats": seats, "mrr": mrr, "country": country,
                  "signup_date": signup, "active": active}).to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
