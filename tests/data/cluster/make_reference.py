#!/usr/bin/python3
"""Reference values for segkit's cluster judging, Ward and PCA tests (run with Debian's
/usr/bin/python3: numpy, scipy, scikit-learn 1.2).

    /usr/bin/python3 tests/data/cluster/make_reference.py IRIS_CSV OUT_DIR

Writes into OUT_DIR (committed copies live next to this script):
  random_x.csv              200 x 3 random matrix (seeded), an input of the Ward test
  iris_labels.csv           labelings of Iris the tests score: species, ward3 (scipy),
                            mod7 (row % 7), single (species with row 1 made a singleton)
  iris_scores.csv           labeling, silhouette, calinski_harabasz, davies_bouldin
                            (scikit-learn)
  iris_ari.csv              labeling a, labeling b, adjusted Rand (scikit-learn)
  iris_ward_linkage.csv     scipy.cluster.hierarchy.linkage(method='ward') of Iris
  iris_ward_fcluster.csv    fcluster(Z, k, 'maxclust') for k = 2..6, one column per k
  random_ward_linkage.csv, random_ward_fcluster.csv   the same for random_x.csv
  iris_pca.csv              component, explained variance, ratio, loadings (scikit-learn
                            PCA, signs turned so the largest-magnitude loading is positive)
  iris_pca_scores.csv       the first 10 rows projected on 2 components
  sweep_blobs.csv           398 x 2: three blobs of 130 and a far blob of 8 (2%)
  sweep_blobs_ward.csv      k = 2..6 of Ward (scipy fcluster maxclust): silhouette,
                            Calinski-Harabasz, Davies-Bouldin (scikit-learn), clusters under
                            5% of the rows, and the k the documented rule recommends
Numbers are written with repr() (17 significant digits, round-trip exact).
"""
import os
import sys

import numpy as np
import scipy.cluster.hierarchy as sch
from sklearn.decomposition import PCA
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score,
                             davies_bouldin_score, silhouette_score)


def read_iris(path):
    x, species = [], []
    with open(path) as f:
        next(f)
        for line in f:
            parts = line.strip().split(",")
            x.append([float(v) for v in parts[:4]])
            species.append(parts[4].strip('"'))
    names = []
    for s in species:
        if s not in names:
            names.append(s)
    return np.array(x), np.array([names.index(s) for s in species], dtype=np.int64)


def write(path, header, rows):
    with open(path, "w") as f:
        f.write("# " + header + "\n")
        for r in rows:
            f.write(",".join(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)
                             for v in r) + "\n")


def ward_files(x, stem, out):
    z = sch.linkage(x, method="ward")
    write(os.path.join(out, stem + "_ward_linkage.csv"), "a,b,height,size (scipy linkage, ward)",
          [[int(r[0]), int(r[1]), float(r[2]), int(r[3])] for r in z])
    cols = [sch.fcluster(z, k, criterion="maxclust") for k in range(2, 7)]
    write(os.path.join(out, stem + "_ward_fcluster.csv"), "fcluster maxclust k=2,3,4,5,6",
          [[int(c[i]) for c in cols] for i in range(len(x))])
    return z


def main():
    iris_path, out = sys.argv[1], sys.argv[2]
    x, species = read_iris(iris_path)
    n = len(x)

    rng = np.random.default_rng(20261126)
    rx = np.vstack([rng.normal(0, 1, (80, 3)), rng.normal(3, 0.7, (70, 3)),
                    rng.normal((0, 4, -2), 1.3, (50, 3))])
    write(os.path.join(out, "random_x.csv"), "200 x 3, numpy default_rng(20261126)",
          [[float(v) for v in r] for r in rx])

    z = ward_files(x, "iris", out)
    ward_files(rx, "random", out)

    labelings = {
        "species": species,
        "ward3": sch.fcluster(z, 3, criterion="maxclust") - 1,
        "mod7": np.arange(n) % 7,
    }
    single = species.copy()
    single[0] = 3  # row 1 alone in its cluster: its silhouette is 0
    labelings["single"] = single
    names = list(labelings)
    write(os.path.join(out, "iris_labels.csv"), ",".join(names),
          [[int(labelings[k][i]) for k in names] for i in range(n)])

    rows = []
    for k in names:
        lab = labelings[k]
        rows.append([k, float(silhouette_score(x, lab)), float(calinski_harabasz_score(x, lab)),
                     float(davies_bouldin_score(x, lab))])
    write(os.path.join(out, "iris_scores.csv"),
          "labeling,silhouette,calinski_harabasz,davies_bouldin (scikit-learn)", rows)

    rows = []
    for a in names:
        for b in names:
            rows.append([a, b, float(adjusted_rand_score(labelings[a], labelings[b]))])
    write(os.path.join(out, "iris_ari.csv"), "a,b,adjusted_rand (scikit-learn)", rows)

    pca = PCA(n_components=4).fit(x)
    comps = pca.components_.copy()
    for c in comps:
        j = int(np.argmax(np.abs(c)))
        if c[j] < 0:
            c *= -1
    write(os.path.join(out, "iris_pca.csv"), "component,variance,ratio,loading1..4 (scikit-learn)",
          [[i, float(pca.explained_variance_[i]), float(pca.explained_variance_ratio_[i])]
           + [float(v) for v in comps[i]] for i in range(4)])
    proj = (x[:10] - x.mean(axis=0)) @ comps[:2].T
    write(os.path.join(out, "iris_pca_scores.csv"), "first 10 rows on components 1,2",
          [[float(v) for v in r] for r in proj])

    bx = np.vstack([rng.normal((0, 0), 0.6, (130, 2)), rng.normal((6, 0), 0.6, (130, 2)),
                    rng.normal((3, 5), 0.6, (130, 2)), rng.normal((12, 12), 0.3, (8, 2))])
    write(os.path.join(out, "sweep_blobs.csv"), "398 x 2: 3 blobs of 130, 1 of 8",
          [[float(v) for v in r] for r in bx])
    zb = sch.linkage(bx, method="ward")
    rows = []
    for k in range(2, 7):
        lab = sch.fcluster(zb, k, criterion="maxclust")
        share = np.bincount(lab)[1:] / len(bx)
        rows.append([k, float(silhouette_score(bx, lab)), float(calinski_harabasz_score(bx, lab)),
                     float(davies_bouldin_score(bx, lab)), int((share < 0.05).sum())])
    # the rule of docs/clustering.md without stability: the highest silhouette among k with
    # no cluster under 5%, else the highest silhouette
    sized = [r for r in rows if r[4] == 0] or rows
    best = max(sized, key=lambda r: (r[1], -r[0]))[0]
    write(os.path.join(out, "sweep_blobs_ward.csv"),
          "k,silhouette,calinski_harabasz,davies_bouldin,n_small; recommended=%d" % best,
          [r + [best] for r in rows])


if __name__ == "__main__":
    main()
