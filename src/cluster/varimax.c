/* varimax.c: the varimax rotation of a loading matrix (Kaiser 1958), as R's
 * stats::varimax computes it, so the factor structure of an attitude battery reads the way
 * researchers expect: each item loading mostly on one factor.
 *
 * Key design choice: R's algorithm step for step — rows normalised to unit length first
 * (Kaiser normalisation), then T <- U V' from the SVD of
 * B = X' (Z^3 - Z diag(colSums(Z^2)) / p) with Z = X T, until the sum of B's singular
 * values grows by less than a factor 1 + eps — so a result can be compared with R's to
 * rounding. The k x k SVD is LAPACK's dgesvd. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/cluster.h"

enum { VARIMAX_MAX_ITER = 1000 };

segkit_status segkit_varimax(const double *loadings, size_t p, size_t k, bool normalize,
                             double eps, double *rotated, double *rotation, segkit_error *err) {
  if (loadings == NULL || rotated == NULL || p == 0 || k == 0 || !(eps > 0)) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "varimax needs a p x k loading matrix, outputs and eps > 0");
  }
  for (size_t i = 0; i < p * k; i++) {
    if (!isfinite(loadings[i])) {
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "varimax: loading %zu is not finite", i);
    }
  }
  /* one block: x, z (p x k), sc (p), t, b, u, vt (k x k), s, work, colsum (k) */
  double *block = malloc((2 * p * k + p + 4 * k * k + 3 * k) * sizeof *block);
  if (block == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the varimax rotation");
  }
  double *x = block, *z = x + p * k, *sc = z + p * k, *t = sc + p, *b = t + k * k;
  double *u = b + k * k, *vt = u + k * k, *s = vt + k * k, *work = s + k, *colsum = work + k;
  memset(t, 0, k * k * sizeof *t);
  memcpy(x, loadings, p * k * sizeof *x);
  for (size_t i = 0; i < p; i++) {
    double ss = 0;
    for (size_t j = 0; j < k; j++) {
      ss += x[i * k + j] * x[i * k + j];
    }
    sc[i] = normalize && ss > 0 ? sqrt(ss) : 1.0;
    for (size_t j = 0; j < k; j++) {
      x[i * k + j] /= sc[i];
    }
  }
  for (size_t j = 0; j < k; j++) {
    t[j * k + j] = 1.0;
  }
  segkit_status st = SEGKIT_OK;
  double d = 0;
  for (int iter = 0; k >= 2 && iter < VARIMAX_MAX_ITER; iter++) {
    /* z = x t */
    for (size_t i = 0; i < p; i++) {
      for (size_t j = 0; j < k; j++) {
        double v = 0;
        for (size_t l = 0; l < k; l++) {
          v += x[i * k + l] * t[l * k + j];
        }
        z[i * k + j] = v;
      }
    }
    for (size_t j = 0; j < k; j++) {
      colsum[j] = 0;
      for (size_t i = 0; i < p; i++) {
        colsum[j] += z[i * k + j] * z[i * k + j];
      }
    }
    /* b = x' (z^3 - z diag(colsum) / p) */
    for (size_t a = 0; a < k; a++) {
      for (size_t c = 0; c < k; c++) {
        double v = 0;
        for (size_t i = 0; i < p; i++) {
          double zz = z[i * k + c];
          v += x[i * k + a] * (zz * zz * zz - zz * colsum[c] / (double)p);
        }
        b[a * k + c] = v;
      }
    }
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', (lapack_int)k, (lapack_int)k, b,
                                     (lapack_int)k, s, u, (lapack_int)k, vt, (lapack_int)k, work);
    if (info != 0) {
      st = segkit_error_set(err, SEGKIT_ERR_INTERNAL, "varimax: the SVD did not converge (%d)",
                            (int)info);
      break;
    }
    /* t = u vt */
    for (size_t a = 0; a < k; a++) {
      for (size_t c = 0; c < k; c++) {
        double v = 0;
        for (size_t l = 0; l < k; l++) {
          v += u[a * k + l] * vt[l * k + c];
        }
        t[a * k + c] = v;
      }
    }
    double dpast = d;
    d = 0;
    for (size_t j = 0; j < k; j++) {
      d += s[j];
    }
    if (d < dpast * (1 + eps)) {
      break;
    }
  }
  if (st == SEGKIT_OK) {
    for (size_t i = 0; i < p; i++) {
      for (size_t j = 0; j < k; j++) {
        double v = 0;
        for (size_t l = 0; l < k; l++) {
          v += x[i * k + l] * t[l * k + j];
        }
        rotated[i * k + j] = v * sc[i];
      }
    }
    if (rotation != NULL) {
      memcpy(rotation, t, k * k * sizeof *t);
    }
  }
  free(block);
  return st;
}
