"""Reference values for the k-means family tests (tests/unit/test_cluster_kmeans*.c and
test_cluster_kprototypes.c), from implementations independent of segkit.

    /usr/bin/python3 tests/data/cluster/kmeans_reference.py OUT_DIR

writes into OUT_DIR (the committed copies live next to this script):
  kmeans_iris_sklearn.txt   scikit-learn KMeans on iris (4 numeric columns, unscaled), k=3:
                            best inertia over 50 starts, its centroids sorted by the first
                            column, the inertia with row weights 1 + (i mod 3) and the
                            inertia of the rows duplicated by those weights
  kmeans_kproto_small.csv   a small mixed data set (2 numeric, 2 categorical columns),
                            numpy seed 3
  kmeans_kproto_small.txt   its gamma (half the mean population sd of the numeric
                            columns, Huang 1997 as the kmodes package sets it) and the
                            global optimum of the k-prototypes cost for k = 3, found by
                            enumerating every partition (labels renumbered by first
                            appearance)
"""
import itertools
import os
import sys

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

ROOT = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(ROOT, "..", "..", "..", "..", "shared", "data")


def iris(out):
    path = os.path.join(SHARED, "iris", "iris.csv")
    if not os.path.exists(path):
        path = "/work/shared/data/iris/iris.csv"
    X = pd.read_csv(path).iloc[:, :4].to_numpy(dtype=float)
    km = KMeans(n_clusters=3, n_init=50, max_iter=300, tol=1e-4, algorithm="lloyd",
                random_state=0).fit(X)
    cent = km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])]
    w = 1.0 + (np.arange(len(X)) % 3)
    kmw = KMeans(n_clusters=3, n_init=50, max_iter=300, tol=1e-4, algorithm="lloyd",
                 random_state=0).fit(X, sample_weight=w)
    Xd = np.repeat(X, w.astype(int), axis=0)
    kmd = KMeans(n_clusters=3, n_init=50, max_iter=300, tol=1e-4, algorithm="lloyd",
                 random_state=0).fit(Xd)
    with open(os.path.join(out, "kmeans_iris_sklearn.txt"), "w") as f:
        f.write(f"inertia {km.inertia_:.12g}\n")
        for c in cent:
            f.write("centroid " + " ".join(f"{v:.12g}" for v in c) + "\n")
        f.write(f"weighted_inertia {kmw.inertia_:.12g}\n")
        f.write(f"duplicated_inertia {kmd.inertia_:.12g}\n")


def kproto_cost(xn, xc, labels, k, gamma):
    cost = 0.0
    for c in range(k):
        rows = labels == c
        if not rows.any():
            return np.inf
        mean = xn[rows].mean(axis=0)
        cost += ((xn[rows] - mean) ** 2).sum()
        for j in range(xc.shape[1]):
            vals = xc[rows, j]
            counts = np.bincount(vals)
            mode = int(np.argmax(counts))  # ties to the smallest code
            cost += gamma * (vals != mode).sum()
    return cost


def kproto(out):
    rng = np.random.default_rng(3)
    n = 10
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 5.0]])
    truth = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    xn = centres[truth] + rng.normal(0.0, 0.9, size=(n, 2))
    xn = np.round(xn, 3)
    cat0 = np.where(rng.random(n) < 0.75, truth, rng.integers(0, 3, n))
    cat1 = np.where(rng.random(n) < 0.75, truth % 2, rng.integers(0, 2, n))
    xc = np.stack([cat0, cat1], axis=1).astype(int)
    pd.DataFrame({"x1": xn[:, 0], "x2": xn[:, 1], "c1": xc[:, 0], "c2": xc[:, 1]}).to_csv(
        os.path.join(out, "kmeans_kproto_small.csv"), index=False)
    gamma = 0.5 * np.mean(xn.std(axis=0))
    k = 3
    best, best_labels = np.inf, None
    # Row 0 is in cluster 0 without loss of generality.
    for rest in itertools.product(range(k), repeat=n - 1):
        labels = np.array((0,) + rest)
        c = kproto_cost(xn, xc, labels, k, gamma)
        if c < best - 1e-12:
            best, best_labels = c, labels
    order = {}
    canon = [order.setdefault(l, len(order)) for l in best_labels]
    with open(os.path.join(out, "kmeans_kproto_small.txt"), "w") as f:
        f.write(f"gamma {gamma:.15g}\n")
        f.write(f"cost {best:.15g}\n")
        f.write("labels " + " ".join(str(v) for v in canon) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else ROOT
    os.makedirs(out, exist_ok=True)
    iris(out)
    kproto(out)


if __name__ == "__main__":
    main()
