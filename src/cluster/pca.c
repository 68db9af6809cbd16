/* pca.c: principal components of a matrix, for the 2-D map of a clustering.
 *
 * Key design choice: the eigen-decomposition of the d x d covariance (one DSYRK pass over
 * the centred rows, then LAPACK's dsyevr for the top n_components eigenpairs only) rather
 * than an SVD of the n x d data as scikit-learn does: segmentation data is tall and thin
 * (n >> d), so the covariance costs one read of the data and the eigenproblem is tiny.
 * The squared condition number this costs is harmless for variances; components of nearly
 * equal eigenvalues are ill-defined either way. Signs are fixed so that each component's
 * largest-magnitude loading is positive (the first such loading on a tie), which makes the
 * result independent of LAPACK's choice. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/cluster.h"

struct segkit_pca {
  size_t d, n_components;
  double *mean;       /* d */
  double *components; /* n_components x d */
  double *variance;   /* n_components */
  double *ratio;      /* n_components */
};

void segkit_pca_free(segkit_pca *p) {
  if (!p)
    return;
  free(p->mean);
  free(p->components);
  free(p->variance);
  free(p->ratio);
  free(p);
}

size_t segkit_pca_n_components(const segkit_pca *p) { return p->n_components; }
const double *segkit_pca_components(const segkit_pca *p) { return p->components; }
const double *segkit_pca_explained_variance(const segkit_pca *p) { return p->variance; }
const double *segkit_pca_explained_ratio(const segkit_pca *p) { return p->ratio; }

static segkit_status pca_check(const double *x, size_t n, size_t d, size_t n_components,
                               segkit_error *err) {
  if (!x || d == 0)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "PCA: no columns");
  if (n < 2)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "PCA: %zu rows (expected at least 2)", n);
  if (n_components < 1 || n_components > d)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "PCA: %zu components of %zu columns (expected 1..%zu)",
                            n_components, d, d);
  if (d > (size_t)INT32_MAX / 2 || n > (size_t)INT32_MAX)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "PCA: %zu x %zu is too large for LAPACK",
                            n, d);
  for (size_t i = 0; i < n * d; i++)
    if (!isfinite(x[i]))
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "PCA: row %zu, column %zu is not a finite number", i / d + 1,
                              i % d + 1);
  return SEGKIT_OK;
}

enum { PCA_CHUNK = 4096 }; /* rows centred at a time: bounded scratch whatever n is */

/* Upper triangle of X_c^T X_c / (n - 1), row-major, in cov (d x d). */
static bool covariance(const double *x, size_t n, size_t d, const double *mean, double *cov) {
  double *chunk = malloc(PCA_CHUNK * d * sizeof *chunk);
  if (!chunk)
    return false;
  memset(cov, 0, d * d * sizeof *cov);
  for (size_t r0 = 0; r0 < n; r0 += PCA_CHUNK) {
    size_t m = n - r0 < PCA_CHUNK ? n - r0 : PCA_CHUNK;
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < d; j++)
        chunk[i * d + j] = x[(r0 + i) * d + j] - mean[j];
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)m, 1.0, chunk, (int)d,
                1.0, cov, (int)d);
  }
  free(chunk);
  for (size_t i = 0; i < d * d; i++)
    cov[i] /= (double)(n - 1);
  return true;
}

static void fix_sign(double *v, size_t d) {
  size_t best = 0;
  for (size_t j = 1; j < d; j++)
    if (fabs(v[j]) > fabs(v[best]))
      best = j;
  if (v[best] < 0)
    for (size_t j = 0; j < d; j++)
      v[j] = -v[j];
}

static segkit_status pca_decompose(segkit_pca *p, double *cov, segkit_error *err) {
  size_t d = p->d;
  size_t nc = p->n_components;
  double trace = 0;
  for (size_t j = 0; j < d; j++)
    trace += cov[j * d + j];
  double *w = malloc(d * sizeof *w);
  double *z = malloc(d * nc * sizeof *z);
  lapack_int *isuppz = malloc(2 * nc * sizeof *isuppz);
  if (!w || !z || !isuppz) {
    free(w);
    free(z);
    free(isuppz);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "PCA: no memory");
  }
  lapack_int found = 0;
  /* eigenpairs il..iu in ascending order: the top nc are d - nc + 1 .. d */
  lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)d, cov,
                                   (lapack_int)d, 0.0, 0.0, (lapack_int)(d - nc + 1),
                                   (lapack_int)d, 0.0, &found, w, z, (lapack_int)nc, isuppz);
  if (info != 0 || (size_t)found != nc) {
    free(w);
    free(z);
    free(isuppz);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "PCA: dsyevr failed (info %d)",
                            (int)info);
  }
  for (size_t c = 0; c < nc; c++) {
    size_t src = nc - 1 - c; /* descending order */
    for (size_t j = 0; j < d; j++)
      p->components[c * d + j] = z[j * nc + src];
    fix_sign(p->components + c * d, d);
    p->variance[c] = w[src] > 0 ? w[src] : 0;
    p->ratio[c] = trace > 0 ? p->variance[c] / trace : 0;
  }
  free(w);
  free(z);
  free(isuppz);
  return SEGKIT_OK;
}

segkit_status segkit_pca_fit(const double *x, size_t n, size_t d, size_t n_components,
                             segkit_pca **out, segkit_error *err) {
  segkit_status st = pca_check(x, n, d, n_components, err);
  if (st != SEGKIT_OK)
    return st;
  segkit_pca *p = calloc(1, sizeof *p);
  double *cov = malloc(d * d * sizeof *cov);
  if (p) {
    p->d = d;
    p->n_components = n_components;
    p->mean = calloc(d, sizeof *p->mean);
    p->components = malloc(n_components * d * sizeof *p->components);
    p->variance = malloc(n_components * sizeof *p->variance);
    p->ratio = malloc(n_components * sizeof *p->ratio);
  }
  if (!p || !cov || !p->mean || !p->components || !p->variance || !p->ratio) {
    segkit_pca_free(p);
    free(cov);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "PCA: no memory for %zu columns", d);
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++)
      p->mean[j] += x[i * d + j];
  for (size_t j = 0; j < d; j++)
    p->mean[j] /= (double)n;
  if (!covariance(x, n, d, p->mean, cov)) {
    segkit_pca_free(p);
    free(cov);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "PCA: no memory");
  }
  st = pca_decompose(p, cov, err);
  free(cov);
  if (st != SEGKIT_OK) {
    segkit_pca_free(p);
    return st;
  }
  *out = p;
  return SEGKIT_OK;
}

void segkit_pca_project(const segkit_pca *p, const double *x, size_t m, double *out) {
  size_t d = p->d;
  size_t nc = p->n_components;
  for (size_t i = 0; i < m; i++)
    for (size_t c = 0; c < nc; c++) {
      double s = 0;
      for (size_t j = 0; j < d; j++)
        s += (x[i * d + j] - p->mean[j]) * p->components[c * d + j];
      out[i * nc + c] = s;
    }
}
