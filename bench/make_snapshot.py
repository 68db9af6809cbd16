"""A customer snapshot for bench/run survival: n customers, 4 plans with different monthly
churn hazards, tenure in days (exponential, censored at a 3-year window), churned 0/1.
Deterministic (numpy seed 7)."""
import sys

import numpy as np

n = int(sys.argv[2])
rng = np.random.default_rng(7)
plans = np.array(["starter", "pro", "business", "enterprise"])
plan = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
hazard = np.array([0.045, 0.03, 0.022, 0.015])[plan] / 30.4
life = rng.exponential(1.0 / hazard)
window = rng.uniform(30, 1095, size=n)
churned = (life <= window).astype(np.int64)
tenure = np.floor(np.minimum(life, window)).astype(np.int64)
with open(sys.argv[1], "w") as f:
    f.write("customer_id,plan,tenure_days,churned\n")
    for i in range(n):
        f.write(f"{i + 1},{plans[plan[i]]},{tenure[i]},{churned[i]}\n")
