#!/usr/bin/python3
"""Independent reference for tests/unit/test_clv_sbg.c: the sBG model of Fader & Hardie
(2007, "How to project customer retention", J. Interactive Marketing 21(1)) fitted with
scipy on the paper's survivor counts (Table 1, years 0-7), its log-likelihood, survival
and expected lifetime (by brute-force summation). Run: /usr/bin/python3 sbg_reference.py"""
import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln

DATA = {
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241],
    "highend": [1000, 869, 743, 653, 593, 551, 517, 491],
}


def loglik(alpha, beta, alive):
    lb0 = betaln(alpha, beta)
    ll = 0.0
    for t in range(1, len(alive)):
        ll += (alive[t - 1] - alive[t]) * (betaln(alpha + 1, beta + t - 1) - lb0)
    n = len(alive) - 1
    return ll + alive[n] * (betaln(alpha, beta + n) - lb0)


def survival(alpha, beta, t):
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


for name, alive in DATA.items():
    res = minimize(lambda lp: -loglik(np.exp(lp[0]), np.exp(lp[1]), alive), [0.0, 0.0],
                   method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12,
                                                  "maxiter": 20000})
    a, b = np.exp(res.x)
    print(f"{name}: alpha={a:.10f} beta={b:.10f} LL={-res.fun:.10f}")
    print(f"  S(1..12) = {[round(survival(a, b, t), 10) for t in range(1, 13)]}")
    print(f"  S(2.5) = {survival(a, b, 2.5):.12f}")
    print(f"  sum_{{t<10}} S(t) = {sum(survival(a, b, t) for t in range(10)):.12f}")
    if name == "regular":
        # lifetimes' L2 penalty: mean negative log-likelihood + c * sum(params^2)
        pen = minimize(lambda lp: -loglik(np.exp(lp[0]), np.exp(lp[1]), alive) / alive[0]
                       + 0.01 * np.sum(np.exp(lp) ** 2), [0.0, 0.0], method="Nelder-Mead",
                       options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000})
        print(f"  penalizer 0.01: alpha, beta = {np.exp(pen.x)}")
# a model with alpha > 1, where the infinite sum converges: (alpha+beta-1)/(alpha-1)
a, b = 2.5, 3.0
brute = sum(survival(a, b, t) for t in range(2000000))
print(f"alpha=2.5 beta=3: E[T]={(a + b - 1) / (a - 1):.12f} brute(2e6 terms)={brute:.12f}")
print(f"alpha=2.5 beta=3: sum_{{t<3000000}} S(t) = "
      f"{sum(survival(a, b, t) for t in range(3000000)):.12f}")
print(f"alpha=2.5 beta=3: sum_{{t<1000}} S(t) = {sum(survival(a, b, t) for t in range(1000)):.15f}")
print(f"alpha=1 beta=2: sum_{{t<2000000}} S(t) = "
      f"{sum(survival(1.0, 2.0, t) for t in range(2000000)):.10f}")

# Several cohorts observed for different lengths (segkit_clv_fit_retention_counts): the
# regular cohort over 7 periods, a second cohort of 800 seen for 3 periods (churn 290, 120,
# 70; 320 still customers), and 150 customers in their first period (censored at 0).
# Each customer censored after t periods adds log S(t), each churned at t log P(T = t).
CHURNED = {t: DATA["regular"][t - 1] - DATA["regular"][t] for t in range(1, 8)}
for t, c in ((1, 290), (2, 120), (3, 70)):
    CHURNED[t] += c
CENSORED = {7: DATA["regular"][7], 3: 320, 0: 150}


def loglik_counts(alpha, beta):
    lb0 = betaln(alpha, beta)
    ll = sum(c * (betaln(alpha + 1, beta + t - 1) - lb0) for t, c in CHURNED.items())
    return ll + sum(c * (betaln(alpha, beta + t) - lb0) for t, c in CENSORED.items())


res = minimize(lambda lp: -loglik_counts(np.exp(lp[0]), np.exp(lp[1])), [0.0, 0.0],
               method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 20000})
a, b = np.exp(res.x)
print(f"cohorts: alpha={a:.10f} beta={b:.10f} LL={-res.fun:.10f}")
