/* rao_scott.c: the Rao-Scott first-order design-effect correction of Pearson's
 * chi-square for a weighted two-way table, as R's svychisq(statistic = "Chisq") computes
 * it (survey package, svychisq.survey.design).
 *
 * Rao & Scott (1981, JASA 76:221-230; 1984, Ann. Statist. 12:46-60): under the design,
 * Pearson's X^2 on the weighted table scaled to n is distributed as sum_k delta_k chi2_1
 * where delta_k are the eigenvalues of the generalised design-effect matrix
 *   Delta = (C' D^-1 C / n)^-1 (C' D^-1 V D^-1 C),
 * C the (K x D) contrasts of the interaction (cell indicators residualised on the row and
 * column main effects), D = diag(cell proportions p), V the design covariance of p. The
 * first-order correction refers X^2 / mean(delta) to chi-square(D); trace(Delta) needs
 * no eigen-decomposition. With a weights-only design (each respondent a PSU, no strata)
 * V = n/(n-1) sum_i u_i u_i', u_i = (w_i / W)(e_i - p), e_i the indicator of i's cell.
 *
 * Two facts keep this small: on a complete r x c grid, residualising on the main
 * effects is double-centring (v - row mean - column mean + grand mean), so C is written
 * down, not computed by QR; and V = n/(n-1) [diag(a) - a p' - p a' + s p p'] with
 * a_k = sum over cell k of (w_i / W)^2 and s = sum_k a_k, so C' D^-1 V D^-1 C costs
 * O(K D^2) from per-cell sums, not a pass over the respondents per entry.
 * GSL works on caller-owned views (no GSL allocation) and singularity is checked on the
 * LU diagonal before solving, so GSL's error handler (which aborts) is never reached. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>

#include "survey/survey_int.h"

/* Entry (cell (r, c), contrast (i, j)) of C, 0 <= i < nr - 1, 0 <= j < nc - 1; the
 * contrast is the indicator of cell (i + 1, j + 1), double-centred. */
static double contrast(uint32_t r, uint32_t c, uint32_t i, uint32_t j, uint32_t nr,
                       uint32_t nc) {
  double v = (r == i + 1 && c == j + 1) ? 1.0 : 0.0;
  v -= (r == i + 1) ? 1.0 / nc : 0.0;
  v -= (c == j + 1) ? 1.0 / nr : 0.0;
  return v + 1.0 / ((double)nr * nc);
}

segkit_status sk__rao_scott_mean_deff(const double *p, const double *a, uint32_t nr,
                                      uint32_t nc, size_t n, double *mean_deff,
                                      segkit_error *err) {
  size_t K = (size_t)nr * nc;
  size_t D = (size_t)(nr - 1) * (nc - 1);
  /* M = D^-1 C (rows of zero cells are 0, as R's iDmat), K x D. */
  double *M = malloc(K * D * sizeof *M);
  double *Ma = calloc(2 * D, sizeof *Ma); /* M'a, then M'p */
  double *den_data = calloc(D * D, sizeof *den_data);
  double *num_data = calloc(D * D, sizeof *num_data);
  size_t *perm_data = malloc(D * sizeof *perm_data);
  segkit_status st = SEGKIT_OK;
  if (M == NULL || Ma == NULL || den_data == NULL || num_data == NULL || perm_data == NULL) {
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for the Rao-Scott correction");
    goto done;
  }
  gsl_matrix_view denv = gsl_matrix_view_array(den_data, D, D);
  gsl_matrix_view numv = gsl_matrix_view_array(num_data, D, D);
  gsl_matrix *den = &denv.matrix;
  gsl_matrix *num = &numv.matrix;
  gsl_permutation perm = {D, perm_data};
  double *Mp = Ma + D;
  double s = 0.0;
  for (size_t k = 0; k < K; k++) {
    uint32_t r = (uint32_t)(k / nc);
    uint32_t c = (uint32_t)(k % nc);
    double inv = p[k] > 0.0 ? 1.0 / p[k] : 0.0;
    s += a[k];
    for (size_t d = 0; d < D; d++) {
      double m = inv * contrast(r, c, (uint32_t)(d / (nc - 1)), (uint32_t)(d % (nc - 1)), nr, nc);
      M[k * D + d] = m;
      Ma[d] += m * a[k];
      Mp[d] += m * p[k];
    }
  }
  double f = (double)n / ((double)n - 1.0);
  for (size_t k = 0; k < K; k++) {
    if (p[k] <= 0.0) {
      continue;
    }
    const double *mk = M + k * D;
    for (size_t x = 0; x < D; x++) {
      for (size_t y = 0; y < D; y++) {
        /* C' D^-1 C = M' D M: p_k m_kx m_ky; the diag(a) part of V: a_k m_kx m_ky. */
        double *dv = gsl_matrix_ptr(den, x, y);
        *dv += p[k] * mk[x] * mk[y] / (double)n;
        double *nv = gsl_matrix_ptr(num, x, y);
        *nv += f * a[k] * mk[x] * mk[y];
      }
    }
  }
  for (size_t x = 0; x < D; x++) {
    for (size_t y = 0; y < D; y++) {
      double *nv = gsl_matrix_ptr(num, x, y);
      *nv += f * (-Ma[x] * Mp[y] - Mp[x] * Ma[y] + s * Mp[x] * Mp[y]);
    }
  }
  int signum = 0;
  gsl_linalg_LU_decomp(den, &perm, &signum);
  double scale = 0.0;
  bool singular = false;
  for (size_t x = 0; x < D; x++) {
    scale = fmax(scale, fabs(gsl_matrix_get(den, x, x)));
  }
  for (size_t x = 0; x < D; x++) {
    singular = singular || !(fabs(gsl_matrix_get(den, x, x)) > 1e-12 * scale);
  }
  double trace = 0.0;
  for (size_t y = 0; !singular && y < D; y++) {
    gsl_vector_view col = gsl_matrix_column(num, y);
    gsl_linalg_LU_svx(den, &perm, &col.vector);
    trace += gsl_matrix_get(num, y, y);
  }
  *mean_deff = !singular && isfinite(trace) ? trace / (double)D : NAN;
done:
  free(M);
  free(Ma);
  free(den_data);
  free(num_data);
  free(perm_data);
  return st;
}
