"""lca_reference.py: an independent latent class EM (numpy, written from Linzer & Lewis
2011 and poLCA.R, not from segkit's lca.c) for the case poLCA's documentation has no
published figures: missing answers kept in the likelihood (poLCA with na.rm = FALSE).
Data: poLCA's election_codes.csv, the 12 candidate-trait items, all 1785 rows (474 with
at least one missing answer). For nclass 2 and 3 it writes the best log-likelihood over
its starts, the class shares (sorted) and, for nclass 2, the Pr(level 1) of item MORALG
per class in the same order, to lca_election_missing.txt.

    /usr/bin/python3 lca_reference.py OUTDIR [ELECTION_CODES_CSV]

poLCA's algorithm: starts as poLCA draws them (uniform probabilities normalised per class
and item, equal shares), then EM with probabilities (not logs) and missing answers
skipped in both the likelihood and the update of that item; stop when the log-likelihood
gains at most 1e-10 (poLCA's tol) or after 5000 iterations. numpy's seeded generator
makes the output reproducible (the drift test compares it to 1e-7)."""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
outdir = sys.argv[1] if len(sys.argv) > 1 else "."
path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    here, "..", "..", "..", "..", "shared", "data", "polca", "election_codes.csv")

rows = []
with open(path) as f:
    next(f)
    for line in f:
        fields = line.rstrip("\n").split(",")[:12]
        rows.append([int(v) - 1 if v != "" else -1 for v in fields])
y = np.array(rows)
n, J = y.shape
K = y.max(axis=0) + 1
obs = y >= 0
# one-hot answers per item (all zero when missing)
onehot = [np.stack([(y[:, j] == l) for l in range(K[j])], axis=1).astype(float)
          for j in range(J)]


def fit(R, rng, maxiter=5000, tol=1e-10):
    probs = [rng.uniform(size=(R, K[j])) for j in range(J)]
    probs = [p / p.sum(axis=1, keepdims=True) for p in probs]
    P = np.full(R, 1.0 / R)
    llik = -np.inf
    for _ in range(maxiter):
        lik = np.ones((n, R))
        for j in range(J):
            # P(answer | class) for observed rows, 1 for missing ones
            lik *= np.where(obs[:, [j]], onehot[j] @ probs[j].T, 1.0)
        joint = lik * P
        total = joint.sum(axis=1)
        new = np.log(total).sum()
        post = joint / total[:, None]
        P = post.mean(axis=0)
        for j in range(J):
            num = post.T @ onehot[j]  # R x K_j, only observed rows count
            probs[j] = num / num.sum(axis=1, keepdims=True)
        if new - llik <= tol:
            llik = new
            break
        llik = new
    # log-likelihood of the final (updated) parameters
    lik = np.ones((n, R))
    for j in range(J):
        lik *= np.where(obs[:, [j]], onehot[j] @ probs[j].T, 1.0)
    return np.log((lik * P).sum(axis=1)).sum(), P, probs


out = ["# election_codes.csv, 12 items, all rows, missing answers skipped (na.rm = FALSE)",
       "n %d" % n, "rows_with_missing %d" % int((~obs).any(axis=1).sum())]
rng = np.random.default_rng(20261126)
for R in (2, 3):
    best = None
    for _ in range(10):
        ll, P, probs = fit(R, rng)
        if best is None or ll > best[0]:
            best = (ll, P, probs)
    ll, P, probs = best
    order = np.argsort(P)
    out.append("nclass %d loglik %.10f" % (R, ll))
    out.append("nclass %d shares %s" % (R, " ".join("%.10f" % v for v in P[order])))
    if R == 2:
        out.append("nclass 2 moralg_level1 %s" % " ".join("%.10f" % probs[0][c, 0]
                                                         for c in order))
with open(os.path.join(outdir, "lca_election_missing.txt"), "w") as f:
    f.write("\n".join(out) + "\n")
