"""The peers' side of `bench/run kmeans`: fit k-means on a raw float64 matrix and print one
JSON line (seconds of the fit alone, iterations), writing the centroids as raw float64 so
the driver evaluates every tool's inertia the same way, in float64 on the same data.

    /usr/bin/python3 bench/kmeans_peers.py TOOL FILE N D K RESTARTS MAX_ITER THREADS CENTROIDS_OUT

TOOL: sklearn-lloyd, sklearn-elkan (scikit-learn KMeans, init k-means++, n_init=RESTARTS,
tol 1e-4, float64), faiss (faiss.Kmeans: float32 -- faiss trains in float32 only --,
nredo=RESTARTS, niter=MAX_ITER, every row used: max_points_per_centroid raised to N so it
does not subsample; faiss has no convergence test, it runs all MAX_ITER iterations).
Threads: OMP_NUM_THREADS is set by the driver; faiss.omp_set_num_threads as well."""
import json
import sys
import time

import numpy as np


def main():
    tool, path = sys.argv[1], sys.argv[2]
    n, d, k, restarts, max_iter, threads = (int(v) for v in sys.argv[3:9])
    out = sys.argv[9]
    x = np.fromfile(path, dtype="<f8", count=n * d).reshape(n, d)
    iters = None
    if tool.startswith("sklearn"):
        from sklearn.cluster import KMeans
        alg = tool.split("-")[1]
        km = KMeans(n_clusters=k, n_init=restarts, max_iter=max_iter, tol=1e-4,
                    algorithm=alg, random_state=0)
        t0 = time.perf_counter()
        km.fit(x)
        secs = time.perf_counter() - t0
        cent = km.cluster_centers_
        iters = int(km.n_iter_)
    elif tool == "faiss":
        import faiss
        faiss.omp_set_num_threads(threads)
        t0 = time.perf_counter()
        x32 = np.ascontiguousarray(x, dtype=np.float32)  # the conversion is part of its cost
        km = faiss.Kmeans(d, k, niter=max_iter, nredo=restarts, seed=1234, verbose=False,
                          max_points_per_centroid=n, min_points_per_centroid=1)
        km.train(x32)
        secs = time.perf_counter() - t0
        cent = km.centroids.astype(np.float64)
        iters = max_iter
    else:
        raise SystemExit(f"unknown tool {tool}")
    np.ascontiguousarray(cent, dtype="<f8").tofile(out)
    print(json.dumps({"op": "kmeans", "tool": tool, "rows": n, "seconds": secs,
                      "iterations": iters}))


if __name__ == "__main__":
    main()
