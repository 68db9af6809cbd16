#!/usr/bin/python3
"""Independent reference for tests/unit/test_clv_gammagamma.c: the Gamma-Gamma spend model
(Fader, Hardie & Lee 2005; Fader & Hardie's note "The Gamma-Gamma Model of Monetary
Value", eq. 1a and 5) fitted with scipy on the CDNOW summary (customers with x > 0,
monetary value zbar). Run: /usr/bin/python3 gammagamma_reference.py"""
import os

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "../../../../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv")
d = pd.read_csv(CSV)
d = d[(d.x > 0) & (d.zbar > 0)]
x = d.x.to_numpy(float)
m = d.zbar.to_numpy(float)
print(f"customers used: {len(d)}")


def loglik(p, q, v):
    return np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
                  + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


res = minimize(lambda lp: -loglik(*np.exp(lp)), [0.0, 0.0, np.log(m.mean())],
               method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 40000})
p, q, v = np.exp(res.x)
print(f"p={p:.10f} q={q:.10f} gamma={v:.10f} LL={-res.fun:.10f}")


def spend(xx, mm):
    # note eq. 5, written as the weighted average
    w = p * xx / (p * xx + q - 1)
    return (1 - w) * v * p / (q - 1) + w * mm


for xx, mm in [(0, 0), (1, 10.0), (2, 22.35), (6, 45.0)]:
    print(f"E[M | x={xx}, m={mm}] = {spend(xx, mm):.10f}")
# ---- CLV (lifetimes' _customer_lifetime_value) with a BG/NBD purchase model -------------
from scipy.special import hyp2f1  # noqa: E402

R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426   # FHL 2005 BG/NBD estimates for CDNOW


def bgnbd_expected(t, x, tx, T):
    """Fader, Hardie & Lee (2005), eq. 10: expected purchases in (T, T + t]."""
    hyp = hyp2f1(R + x, B + x, A + B + x - 1, t / (ALPHA + T + t))
    num = (A + B + x - 1) / (A - 1) * (1 - ((ALPHA + T) / (ALPHA + T + t)) ** (R + x) * hyp)
    den = 1 + (x > 0) * A / (B + x - 1) * ((ALPHA + T) / (ALPHA + tx)) ** (R + x)
    return num / den


def clv(x, tx, T, mbar, horizon, step, d):
    em = spend(x, mbar)
    total, prev, k = 0.0, 0.0, 1
    while k * step <= horizon + 1e-9:
        cur = bgnbd_expected(k * step, x, tx, T)
        total += em * (cur - prev) / (1 + d) ** k
        prev, k = cur, k + 1
    if horizon / step - (k - 1) > 1e-9:  # a partial last step, discounted at horizon/step
        cur = bgnbd_expected(horizon, x, tx, T)
        total += em * (cur - prev) / (1 + d) ** (horizon / step)
    return total


print(f"E[X(39) | 2, 30.43, 38.86] = {bgnbd_expected(39, 2, 30.43, 38.86):.10f}")
for args in [(2, 30.43, 38.86, 22.35, 12, 4, 0.01), (2, 30.43, 38.86, 22.35, 10, 4, 0.05),
             (0, 0, 38.86, 0, 52, 1, 0.0), (5, 20, 30, 40.0, 26, 4.345, 0.02)]:
    print(f"CLV{args} = {clv(*args):.12f}")
