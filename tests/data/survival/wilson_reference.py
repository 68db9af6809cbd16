#!/usr/bin/python3
"""Reference Wilson score intervals for tests/unit/test_survival_small.c.

Two independent computations, which must agree: the textbook formula (Wilson 1927; no
continuity correction) with scipy's normal quantile, and scipy.stats.binomtest(...)
.proportion_ci(method="wilson"), scipy's own implementation.
Run: /usr/bin/python3 wilson_reference.py > wilson_reference.csv
"""
import math
import sys

import scipy
from scipy import stats

CASES = [(166, 1473, 0.95), (0, 10, 0.95), (10, 10, 0.95), (1, 2, 0.95), (3, 30, 0.90),
         (3, 30, 0.99), (500, 1000, 0.95), (1, 1000000, 0.95), (29, 31, 0.80)]


def formula(x, n, level):
    z = stats.norm.ppf(1 - (1 - level) / 2)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


print(f"# scipy {scipy.__version__}; successes,trials,level,lower,upper")
for x, n, level in CASES:
    lo, hi = formula(x, n, level)
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=level, method="wilson")
    if abs(lo - ci.low) > 1e-12 or abs(hi - ci.high) > 1e-12:
        sys.exit(f"formula and scipy disagree for {x}/{n} at {level}: {lo},{hi} vs {ci}")
    print(f"{x},{n},{level},{lo:.17g},{hi:.17g}")
