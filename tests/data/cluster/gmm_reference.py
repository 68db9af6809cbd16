"""gmm_reference.py: scikit-learn's GaussianMixture on iris with a covariance
regularisation large enough to matter (reg_covar = 0.05, added to every covariance
diagonal after each M-step; spherical: to the variance), the one part of segkit's GMM
that mclust (gmm_reference.R, no regularisation) cannot check. Written for
tests/unit/test_cluster_gmm_mclust.c.

    /usr/bin/python3 gmm_reference.py OUTDIR [IRIS_CSV]     (writes gmm_iris_sklearn.txt)

Per covariance type (full, diag, spherical), k = 3: the best log-likelihood (score x n)
over 40 fits (k-means, k-means++ and random_from_data initialisations, seeds 0..) run to
tol 1e-12, and that fit's mixing proportions and means, components sorted by the mean
of the first column. scikit-learn 1.2.1 (Debian python3-sklearn)."""
import os
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture

warnings.filterwarnings("ignore")
here = os.path.dirname(os.path.abspath(__file__))
outdir = sys.argv[1] if len(sys.argv) > 1 else "."
path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    here, "..", "..", "..", "..", "shared", "data", "iris", "iris.csv")
x = pd.read_csv(path).iloc[:, :4].to_numpy()
n = len(x)
out = ["# scikit-learn GaussianMixture, iris, k = 3, reg_covar = 0.05"]
for ct in ("full", "diag", "spherical"):
    best = None
    for init in ("kmeans", "k-means++", "random_from_data"):
        for seed in range(14 if init != "kmeans" else 12):
            g = GaussianMixture(3, covariance_type=ct, reg_covar=0.05, tol=1e-12,
                                max_iter=100000, init_params=init, random_state=seed).fit(x)
            ll = g.score(x) * n
            if best is None or ll > best[0] + 1e-12:
                best = (ll, g)
    ll, g = best
    order = np.argsort(g.means_[:, 0])
    out.append("type %s loglik %.12g" % (ct, ll))
    out.append("type %s weights %s" % (ct, " ".join("%.10g" % v for v in g.weights_[order])))
    for c, o in enumerate(order):
        out.append("type %s mean%d %s" % (ct, c, " ".join("%.10g" % v for v in g.means_[o])))
with open(os.path.join(outdir, "gmm_iris_sklearn.txt"), "w") as f:
    f.write("\n".join(out) + "\n")
