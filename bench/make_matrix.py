"""Write a behavioural-style float64 matrix with planted clusters for `bench/run kmeans`.

    /usr/bin/python3 bench/make_matrix.py OUT.f64 N D K [SEED]

Raw little-endian float64, row-major, N x D, no header (numpy.fromfile reads it back;
segkit_bench reads it with fread). K clusters of unequal sizes (shares proportional to
1..K), centres drawn N(0, 1.5^2) per column and shifted by +10 (behavioural features are not
centred: log spend, visits, tenure, ...), unit Gaussian noise; with D = 16 and K = 8 the
clusters overlap a little, as real segments do. Written in blocks of 1 M rows so 10 M rows
need no more memory than the output buffer of one block. OUT.truth gets the planted labels
(int32)."""
import sys

import numpy as np


def main():
    out, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 17
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.5, size=(k, d)) + 10.0
    shares = np.arange(1, k + 1, dtype=float)
    shares /= shares.sum()
    block = 1_000_000
    with open(out, "wb") as f, open(out + ".truth", "wb") as t:
        for start in range(0, n, block):
            m = min(block, n - start)
            lab = rng.choice(k, size=m, p=shares).astype(np.int32)
            x = centres[lab] + rng.normal(0.0, 1.0, size=(m, d))
            x.astype("<f8").tofile(f)
            lab.tofile(t)


if __name__ == "__main__":
    main()
