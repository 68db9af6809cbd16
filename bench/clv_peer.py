"""Peer for `bench/run clv`: the method of the Python library lifetimes (0.11.3), written
again with pandas + numpy + scipy from Debian. It is NOT lifetimes itself: lifetimes cannot
be installed here (no PyPI access, not packaged in Debian), so its algorithm is re-implemented
step by step from its source:

  summary   lifetimes.utils.summary_data_from_transaction_data(..., freq='D',
            freq_multiplier=7) with _find_first_transactions: sort by (customer, date),
            dates to daily periods, keep dates <= observation_period_end, one row per
            (date, customer) (groupby.first), then per customer min/max/count of the days;
            frequency = count - 1, T and recency in weeks.
  fit       BetaGeoFitter.fit: time scaled by _scale_time (1 / max T), the mean negative
            log-likelihood of _negative_log_likelihood per customer row (weights 1),
            scipy.optimize.minimize(method=None -> BFGS, jac=True, tol=1e-7) from log-params
            0.1, one start. lifetimes takes the gradient from autograd (not in Debian); here
            it is the same exact gradient written out in numpy, which is if anything faster
            than autograd's tracing.
  predict   conditional_probability_alive and
            conditional_expected_number_of_purchases_up_to_time (eq. 10, scipy hyp2f1 with
            lifetimes' fallback formula), vectorised over customers as lifetimes does.

Usage:
  clv_peer.py transactions FILE CALIBRATION_END [REPEAT]   summary + fit + predict, timed
  clv_peer.py cdnow SUMMARY_CSV [REPEAT]                   the fit alone on CDNOW
Prints one JSON line like segkit_bench's (medians of REPEAT runs); the CSV read is not
timed."""
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

BANNER = ("peer: lifetimes' method (summary_data_from_transaction_data, BetaGeoFitter) "
          "re-implemented with pandas + scipy -- not lifetimes itself")


def summary_data(transactions, customer_col, date_col, observation_period_end,
                 freq_multiplier=7):
    """lifetimes.utils.summary_data_from_transaction_data with freq='D'."""
    end = pd.to_datetime(observation_period_end).to_period("D").to_timestamp()
    cols = [customer_col, date_col]
    tx = transactions[cols].sort_values(cols).copy()
    tx[date_col] = pd.to_datetime(tx[date_col])
    tx = tx.set_index(date_col).to_period("D").to_timestamp()
    tx = tx.loc[tx.index <= end].reset_index()
    period = tx.groupby([date_col, customer_col], sort=False, as_index=False).first()
    customers = period.groupby(customer_col, sort=False)[date_col].agg(["min", "max", "count"])
    out = pd.DataFrame(index=customers.index)
    out["frequency"] = customers["count"] - 1
    out["T"] = (end - customers["min"]) / np.timedelta64(1, "D") / freq_multiplier
    out["recency"] = (customers["max"] - customers["min"]) / np.timedelta64(1, "D") / freq_multiplier
    return out[["frequency", "recency", "T"]]


def negative_log_likelihood(log_params, freq, rec, T, weights, penalizer_coef):
    """BetaGeoFitter._negative_log_likelihood and its exact gradient (value_and_grad)."""
    params = np.exp(log_params)
    r, alpha, a, b = params
    A_1 = gammaln(r + freq) - gammaln(r) + r * np.log(alpha)
    A_2 = gammaln(a + b) + gammaln(b + freq) - gammaln(b) - gammaln(a + b + freq)
    A_3 = -(r + freq) * np.log(alpha + T)
    bx1 = b + np.maximum(freq, 1) - 1
    A_4 = np.log(a) - np.log(bx1) - (r + freq) * np.log(rec + alpha)
    pos = freq > 0
    with np.errstate(over="ignore", invalid="ignore"):
        e3 = np.exp(A_3)
        e4 = np.exp(A_4) * pos
        tot = e3 + e4
        ll = weights * (A_1 + A_2 + np.log(tot))
        w4 = e4 / tot
    w3 = 1.0 - w4
    W = weights.sum()
    value = -ll.sum() / W + penalizer_coef * np.sum(params ** 2)
    dr = weights * (digamma(r + freq) - digamma(r) + np.log(alpha)
                    - w3 * np.log(alpha + T) - w4 * np.log(alpha + rec))
    dalpha = weights * (r / alpha - (r + freq) * (w3 / (alpha + T) + w4 / (alpha + rec)))
    da = weights * (digamma(a + b) - digamma(a + b + freq) + w4 / a)
    db = weights * (digamma(a + b) + digamma(b + freq) - digamma(b) - digamma(a + b + freq)
                    - w4 / bx1)
    dll = np.array([dr.sum(), dalpha.sum(), da.sum(), db.sum()])
    grad = -params * dll / W + 2.0 * penalizer_coef * params ** 2
    return value, grad


def fit_bgnbd(frequency, recency, T, penalizer_coef=0.0, tol=1e-7):
    """BetaGeoFitter.fit (lifetimes 0.11.3): returns (r, alpha, a, b), iterations."""
    frequency = np.asarray(frequency).astype(int)
    recency = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    weights = np.ones_like(recency, dtype=int)
    scale = 1.0 / T.max()
    out = minimize(negative_log_likelihood, jac=True, method=None, tol=tol,
                   x0=0.1 * np.ones(4),
                   args=(frequency, recency * scale, T * scale, weights, penalizer_coef))
    if not out.success:
        raise RuntimeError("lifetimes-style fit did not converge: " + str(out.message))
    params = np.exp(out.x)
    params[1] /= scale
    return params, int(out.nit)


def conditional_probability_alive(params, frequency, recency, T):
    r, alpha, a, b = params
    log_div = (r + frequency) * np.log((alpha + T) / (alpha + recency)) + np.log(
        a / (b + np.maximum(frequency, 1) - 1))
    return np.atleast_1d(np.where(frequency == 0, 1.0, expit(-log_div)))


def conditional_expected_purchases(params, t, frequency, recency, T):
    r, alpha, a, b = params
    x = frequency
    _a = r + x
    _b = b + x
    _c = a + b + x - 1
    _z = t / (alpha + T + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_hyp_term = np.log(hyp2f1(_a, _b, _c, _z))
        ln_hyp_term_alt = np.log(hyp2f1(_c - _a, _c - _b, _c, _z)) + (_c - _a - _b) * np.log(1 - _z)
    ln_hyp_term = np.where(np.isinf(ln_hyp_term), ln_hyp_term_alt, ln_hyp_term)
    first_term = (a + b + x - 1) / (a - 1)
    second_term = 1 - np.exp(ln_hyp_term + (r + x) * np.log((alpha + T) / (alpha + t + T)))
    numerator = first_term * second_term
    denominator = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + recency)) ** (r + x)
    return numerator / denominator


def run_transactions(path, cal_end, repeat):
    tx = pd.read_csv(path)
    phases = {"summarise": [], "fit": [], "predict": [], "seconds": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        s = summary_data(tx, "customer_id", "date", cal_end)
        t1 = time.perf_counter()
        params, nit = fit_bgnbd(s["frequency"], s["recency"], s["T"])
        t2 = time.perf_counter()
        f = s["frequency"].to_numpy()
        rec = s["recency"].to_numpy()
        T = s["T"].to_numpy()
        alive = conditional_probability_alive(params, f, rec, T)
        expected = conditional_expected_purchases(params, 52.0, f, rec, T)
        t3 = time.perf_counter()
        for k, v in (("summarise", t1 - t0), ("fit", t2 - t1), ("predict", t3 - t2),
                     ("seconds", t3 - t0)):
            phases[k].append(v)
        print(f"  peer run: summarise {t1 - t0:.3f} s, fit {t2 - t1:.3f} s, predict "
              f"{t3 - t2:.3f} s, total {t3 - t0:.3f} s", file=sys.stderr)
    res = {k: statistics.median(v) for k, v in phases.items()}
    res.update({"op": "clv_peer", "rows": len(tx), "customers": len(s),
                "params": [float(p) for p in params], "iterations": nit,
                "sum_p_alive": float(alive.sum()), "sum_expected_52": float(expected.sum())})
    print(json.dumps(res))


def run_cdnow(path, repeat):
    s = pd.read_csv(path)
    secs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        params, nit = fit_bgnbd(s["frequency"], s["recency"], s["T"])
        secs.append(time.perf_counter() - t0)
    print(json.dumps({"op": "clv_peer_cdnow", "rows": len(s), "seconds": statistics.median(secs),
                      "params": [float(p) for p in params], "iterations": nit}))


def main():
    print(BANNER, file=sys.stderr)
    if len(sys.argv) >= 4 and sys.argv[1] == "transactions":
        run_transactions(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    elif len(sys.argv) >= 3 and sys.argv[1] == "cdnow":
        run_cdnow(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
