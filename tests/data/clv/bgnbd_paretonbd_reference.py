#!/usr/bin/python3
"""Reference values for tests/unit/test_clv_bgnbd.c and test_clv_paretonbd.c.

Independent of segkit: plain numpy/scipy from the papers' formulas.
  * BG/NBD (Fader, Hardie & Lee 2005, eqs. 6, 9, 10; note 021 for P(alive)).
  * Pareto/NBD (Fader & Hardie note 009): the likelihood and P(alive) through the
    integral  I = int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau  evaluated with
    scipy.integrate.quad (not through 2F1, as segkit does), cross-checked against the
    hypergeometric form with scipy.special.hyp2f1.
  * Maximum-likelihood fits with scipy.optimize.minimize (Nelder-Mead then BFGS on log
    parameters) on CDNOW, for tighter checks than the published 3 significant digits;
    lifetimes' penalised BG/NBD objective (penalizer 0.1); standard errors from a
    central-difference Hessian in the natural parameters.
  * log 2F1(a, b; a+1; z) near z = 1 with mpmath (30 digits).

Run:  /usr/bin/python3 tests/data/clv/bgnbd_paretonbd_reference.py [cdnow_customers_summary.csv] \
        > tests/data/clv/bgnbd_paretonbd_reference.txt
Output: "key value" lines. test_clv_bgnbd reruns it (when scipy and mpmath are present)
and compares with the committed file.
"""
import os
import sys

import numpy as np
from scipy import integrate, optimize, special

HERE = os.path.dirname(os.path.abspath(__file__))
CDNOW = os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "cdnow",
                     "cdnow_customers_summary.csv")
if len(sys.argv) > 1:
    CDNOW = sys.argv[1]

data = np.genfromtxt(CDNOW, delimiter=",", names=True)
X, TX, TT = data["frequency"], data["recency"], data["T"]


def bg_ll(p, x, tx, T):
    r, al, a, b = p
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    t1 = (al + T) ** -(r + x)
    t2 = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * (al + tx) ** -(r + x), 0.0)
    return a1 + a2 + np.log(t1 + t2)


def bg_palive(p, x, tx, T):
    r, al, a, b = p
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x))


def bg_cond(p, t, x, tx, T):
    r, al, a, b = p
    h = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t))
    num = (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * h)
    den = 1 + (x > 0) * a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
    return num / den


def bg_new(p, t):
    r, al, a, b = p
    h = special.hyp2f1(r, b, a + b - 1, t / (al + t))
    return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * h)


def pn_integral(p, x, tx, T):
    r, al, s, be = p
    if tx == T:
        return 0.0
    f = lambda u: (al + u) ** -(r + x) * (be + u) ** -(s + 1)
    v, _ = integrate.quad(f, tx, T, epsabs=0, epsrel=1e-13, limit=200)
    return v


def pn_ll_quad(p, x, tx, T):
    r, al, s, be = p
    lead = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al) + s * np.log(be)
    alive = (al + T) ** -(r + x) * (be + T) ** -s
    return lead + np.log(alive + s * pn_integral(p, x, tx, T))


def pn_ll_hyp(p, x, tx, T):
    r, al, s, be = p
    lo, hi = min(al, be), max(al, be)
    k = r + x if al < be else s + 1
    a = r + s + x
    f = lambda y: special.hyp2f1(a, k, a + 1, (hi - lo) / (hi + y)) / (hi + y) ** a
    a0 = f(tx) - f(T)
    lead = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al) + s * np.log(be)
    alive = (al + T) ** -(r + x) * (be + T) ** -s
    return lead + np.log(alive + s / a * a0)


def pn_palive(p, x, tx, T):
    r, al, s, be = p
    alive = (al + T) ** -(r + x) * (be + T) ** -s
    return alive / (alive + s * pn_integral(p, x, tx, T))


def pn_cond(p, t, x, tx, T):
    r, al, s, be = p
    return pn_palive(p, x, tx, T) * (r + x) * (be + T) / (al + T) / (s - 1) * \
        (1 - ((be + T) / (be + T + t)) ** (s - 1))


def pn_new(p, t):
    r, al, s, be = p
    return r * be / al / (s - 1) * (1 - (be / (be + t)) ** (s - 1))


def out(key, value):
    print(f"{key} {value:.12g}")


def fit(llfun, vectorised):
    def nll(lp):
        p = np.exp(lp)
        if vectorised:
            v = -np.sum(llfun(p, X, TX, TT))
        else:
            v = -sum(llfun(p, x, tx, T) for x, tx, T in zip(X, TX, TT))
        return v if np.isfinite(v) else 1e30
    r0 = optimize.minimize(nll, np.zeros(4), method="Nelder-Mead",
                           options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000,
                                    "maxfev": 40000})
    r1 = optimize.minimize(nll, r0.x, method="BFGS", options={"gtol": 1e-7})
    best = r1 if r1.fun <= r0.fun else r0
    return np.exp(best.x), -best.fun


BG = (0.242593, 4.413532, 0.792886, 2.425752)      # lifetimes docs/Quickstart.md
PN = (0.5534, 10.5802, 0.6061, 11.6562)             # lifetimes' Pareto/NBD on CDNOW
customers = [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 38.86),
             (5, 9.0, 38.0), (29, 35.71, 38.71), (3, 5.0, 34.0), (10, 10.0, 39.0)]

out("bgnbd_ll_quickstart", np.sum(bg_ll(BG, X, TX, TT)))
for i, (x, tx, T) in enumerate(customers):
    out(f"bgnbd_palive_{i}", bg_palive(BG, x, tx, T))
    out(f"bgnbd_cond39_{i}", bg_cond(BG, 39.0, x, tx, T))
for t in (0.1429, 1, 3, 31.8571, 32, 78, 260):
    out(f"bgnbd_new_{t}", bg_new(BG, t))

out("paretonbd_ll_lifetimes_quad",
    sum(pn_ll_quad(PN, x, tx, T) for x, tx, T in zip(X, TX, TT)))
out("paretonbd_ll_lifetimes_hyp",
    sum(pn_ll_hyp(PN, x, tx, T) for x, tx, T in zip(X, TX, TT)))
for i, (x, tx, T) in enumerate(customers):
    out(f"paretonbd_palive_{i}", pn_palive(PN, x, tx, T))
    out(f"paretonbd_cond39_{i}", pn_cond(PN, 39.0, x, tx, T))
for t in (1, 39, 78):
    out(f"paretonbd_new_{t}", pn_new(PN, t))
# alpha > beta and alpha < beta branches, far from equal
for tag, p in (("agtb", (0.7, 30.0, 0.4, 3.0)), ("altb", (0.7, 3.0, 0.4, 30.0))):
    for i, (x, tx, T) in enumerate(customers):
        out(f"paretonbd_palive_{tag}_{i}", pn_palive(p, x, tx, T))
        out(f"paretonbd_ll_{tag}_{i}", pn_ll_quad(p, x, tx, T))

p, ll = fit(bg_ll, True)
bg_p = p
for name, v in zip(("r", "alpha", "a", "b"), p):
    out(f"bgnbd_fit_{name}", v)
out("bgnbd_fit_ll", ll)
p, ll = fit(pn_ll_hyp, False)
pn_p = p
for name, v in zip(("r", "alpha", "s", "beta"), p):
    out(f"paretonbd_fit_{name}", v)
out("paretonbd_fit_ll", ll)

# lifetimes' penalised BG/NBD: time scaled so max T = 1, objective
# -mean(LL) + penalizer * sum(params_scaled^2), alpha reported back in weeks.
scale = 1.0 / TT.max()
def bg_pen(lp, pen=0.1):
    p = np.exp(lp)
    v = -np.mean(bg_ll(p, X, TX * scale, TT * scale)) + pen * np.sum(p ** 2)
    return v if np.isfinite(v) else 1e30
r0 = optimize.minimize(bg_pen, np.zeros(4), method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000})
r1 = optimize.minimize(bg_pen, r0.x, method="BFGS", options={"gtol": 1e-9})
p = np.exp(r1.x if r1.fun <= r0.fun else r0.x)
p[1] /= scale
for name, v in zip(("r", "alpha", "a", "b"), p):
    out(f"bgnbd_pen0.1_{name}", v)

# Standard errors: inverse of a central-difference Hessian of -LL in the *natural*
# parameters at the scipy optimum (segkit works in log space and uses the delta method;
# at the optimum the two agree to first order).
def natural_se(negll, p):
    p = np.asarray(p, dtype=float)
    k = len(p)
    h = 1e-4 * p
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            def f(di, dj):
                q = p.copy()
                q[i] += di * h[i]
                q[j] += dj * h[j]
                return negll(q)
            H[i, j] = (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1)) / (4 * h[i] * h[j])
    return np.sqrt(np.diag(np.linalg.inv(H)))

se = natural_se(lambda q: -np.sum(bg_ll(q, X, TX, TT)), bg_p)
for name, v in zip(("r", "alpha", "a", "b"), se):
    out(f"bgnbd_se_{name}", v)
se = natural_se(lambda q: -sum(pn_ll_hyp(q, x, tx, T) for x, tx, T in zip(X, TX, TT)), pn_p)
for name, v in zip(("r", "alpha", "s", "beta"), se):
    out(f"paretonbd_se_{name}", v)

# log 2F1(a, b; a+1; z) close to z = 1 (the Pareto/NBD form) with mpmath at 30 digits,
# for the connection-formula branch of segkit's evaluation.
import mpmath
mpmath.mp.dps = 30
for i, (a, b, z) in enumerate([(5.3, 2.7, 0.95), (5.3, 2.7, 0.999), (5.3, 2.7, 0.999999),
                               (0.9, 1.6, 0.99999), (31.2, 30.55, 0.97),
                               (1.2, 0.45, 0.9999), (3.7, 8.4, 0.995), (2.5, 3.0, 0.95)]):
    out(f"log_hyp2f1_a1_{i}", float(mpmath.log(mpmath.hyp2f1(a, b, a + 1, z))))
