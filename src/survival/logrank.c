/* logrank.c: the log-rank test between the groups of a Kaplan-Meier fit (R's
 * survdiff, rho = 0).
 *
 * The fitted curves already hold, per group and distinct time, the number at risk and
 * the events, so the test is a k-way merge over the groups' point lists with no second
 * look at the subjects: at each pooled time with d events among n at risk, group g (n_g
 * at risk, d_g events) adds to (Mantel 1966; Peto & Peto 1972)
 *   O_g += d_g,   E_g += d n_g / n,
 *   V_gh += d (n - d) / (n - 1) * (n_g / n) (delta_gh - n_h / n)     (n > 1).
 * chi2 = (O - E)' V^-1 (O - E) over the groups with E_g > 0 minus the first of them,
 * exactly survdiff's choice, solved by LU decomposition on caller-owned GSL views (no GSL
 * allocation, and singularity is checked before gsl_linalg_LU_solve could call GSL's
 * error handler). The merge costs O(k) per pooled time and V O(k^2) per event time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_vector.h>

#include "survival/survival_int.h"

void segkit_logrank_free(segkit_logrank *lr) {
  if (lr == NULL) {
    return;
  }
  free(lr->observed);
  free(lr->expected);
  free(lr->n_subjects);
  free(lr);
}

segkit_logrank *sk__logrank_alloc(uint32_t k) {
  segkit_logrank *lr = calloc(1, sizeof *lr);
  if (lr == NULL) {
    return NULL;
  }
  lr->n_groups = k;
  lr->observed = calloc(k, sizeof *lr->observed);
  lr->expected = calloc(k, sizeof *lr->expected);
  lr->n_subjects = calloc(k, sizeof *lr->n_subjects);
  if (lr->observed == NULL || lr->expected == NULL || lr->n_subjects == NULL) {
    segkit_logrank_free(lr);
    return NULL;
  }
  return lr;
}

/* Smallest time among the groups' next points; returns 0 when every list is done. */
static int next_time(const segkit_km *km, const size_t *head, double *t) {
  int found = 0;
  for (uint32_t g = 0; g < km->n_groups; g++) {
    const segkit_km_curve *c = &km->curves[g];
    if (head[g] < c->n_points && (!found || c->time[head[g]] < *t)) {
      *t = c->time[head[g]];
      found = 1;
    }
  }
  return found;
}

/* One pooled time: at-risk and events per group into nr/dv, then advance the heads. */
static void gather(const segkit_km *km, size_t *head, double t, double *nr, double *dv) {
  for (uint32_t g = 0; g < km->n_groups; g++) {
    const segkit_km_curve *c = &km->curves[g];
    nr[g] = 0.0;
    dv[g] = 0.0;
    if (head[g] >= c->n_points) {
      continue;
    }
    /* Nobody of group g leaves between t and its next point, so its n_risk there is
     * its number at risk at t. */
    nr[g] = (double)c->n_risk[head[g]];
    if (c->time[head[g]] == t) {
      dv[g] = (double)c->n_event[head[g]];
      head[g]++;
    }
  }
}

void sk__logrank_accumulate(uint32_t k, const double *nr, const double *dv, segkit_logrank *lr,
                            double *var) {
  double n = 0.0;
  double d = 0.0;
  for (uint32_t g = 0; g < k; g++) {
    n += nr[g];
    d += dv[g];
  }
  if (d == 0.0) {
    return;
  }
  for (uint32_t g = 0; g < k; g++) {
    lr->observed[g] += dv[g];
    lr->expected[g] += d * nr[g] / n;
  }
  if (n <= 1.0) {
    return;
  }
  double scale = d * (n - d) / (n - 1.0);
  for (uint32_t g = 0; g < k; g++) {
    if (nr[g] == 0.0) {
      continue;
    }
    double pg = nr[g] / n;
    for (uint32_t h = 0; h < k; h++) {
      double delta = g == h ? 1.0 : 0.0;
      var[(size_t)g * k + h] += scale * pg * (delta - nr[h] / n);
    }
  }
}

/* chi2 over the selected groups sel[0..m) (survdiff drops the first group with E > 0). */
static segkit_status solve_chi2(uint32_t k, const uint32_t *sel, size_t m,
                                const segkit_logrank *lr, const double *var, double *chi2,
                                segkit_error *err) {
  double *a = malloc(m * m * sizeof *a);
  double *b = malloc(m * sizeof *b);
  double *x = malloc(m * sizeof *x);
  size_t *perm_data = malloc(m * sizeof *perm_data);
  segkit_status s = SEGKIT_OK;
  if (a == NULL || b == NULL || x == NULL || perm_data == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for a %zu x %zu matrix", m, m);
    goto done;
  }
  double scale = 0.0;
  for (size_t i = 0; i < m; i++) {
    b[i] = lr->observed[sel[i]] - lr->expected[sel[i]];
    for (size_t j = 0; j < m; j++) {
      a[i * m + j] = var[(size_t)sel[i] * k + sel[j]];
    }
    scale = fmax(scale, fabs(a[i * m + i]));
  }
  gsl_matrix_view av = gsl_matrix_view_array(a, m, m);
  gsl_vector_view bv = gsl_vector_view_array(b, m);
  gsl_vector_view xv = gsl_vector_view_array(x, m);
  gsl_permutation perm = {m, perm_data};
  int signum = 0;
  gsl_linalg_LU_decomp(&av.matrix, &perm, &signum);
  for (size_t i = 0; i < m; i++) {
    if (!(fabs(a[i * m + i]) > 1e-12 * scale)) {
      s = segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                           "log-rank variance matrix is singular (%zu groups)", m + 1);
      goto done;
    }
  }
  gsl_linalg_LU_solve(&av.matrix, &perm, &bv.vector, &xv.vector);
  double sum = 0.0;
  for (size_t i = 0; i < m; i++) {
    sum += x[i] * (lr->observed[sel[i]] - lr->expected[sel[i]]);
  }
  *chi2 = sum;
done:
  free(a);
  free(b);
  free(x);
  free(perm_data);
  return s;
}

segkit_status sk__logrank_finish(uint32_t k, segkit_logrank *lr, const double *var,
                                 segkit_error *err) {
  uint32_t *sel = malloc((size_t)k * sizeof *sel);
  if (sel == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %u groups", k);
  }
  size_t m = 0;
  int skipped_first = 0;
  for (uint32_t g = 0; g < k; g++) {
    if (!(lr->expected[g] > 0.0)) {
      continue;
    }
    if (!skipped_first) {
      skipped_first = 1;
      continue;
    }
    sel[m++] = g;
  }
  segkit_status s = SEGKIT_OK;
  lr->df = (uint32_t)m;
  lr->chi2 = 0.0;
  lr->p_value = NAN;
  if (m > 0) {
    s = solve_chi2(k, sel, m, lr, var, &lr->chi2, err);
    lr->p_value = gsl_cdf_chisq_Q(lr->chi2, (double)m);
  }
  free(sel);
  return s;
}

segkit_status segkit_logrank_test(const segkit_km *km, segkit_logrank **out,
                                  segkit_error *err) {
  if (km == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no Kaplan-Meier fit given");
  }
  uint32_t k = km->n_groups;
  uint32_t non_empty = 0;
  for (uint32_t g = 0; g < k; g++) {
    non_empty += km->curves[g].n_subjects > 0;
  }
  if (non_empty < 2) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "the log-rank test needs at least 2 groups with subjects, got %u",
                            non_empty);
  }
  segkit_logrank *lr = sk__logrank_alloc(k);
  double *var = calloc((size_t)k * k, sizeof *var);
  size_t *head = calloc(k, sizeof *head);
  double *nr = malloc((size_t)k * sizeof *nr);
  double *dv = malloc((size_t)k * sizeof *dv);
  segkit_status s = SEGKIT_OK;
  if (lr == NULL || var == NULL || head == NULL || nr == NULL || dv == NULL) {
    s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the log-rank test of %u groups",
                         k);
  } else {
    for (uint32_t g = 0; g < k; g++) {
      lr->n_subjects[g] = km->curves[g].n_subjects;
    }
    double t = 0.0;
    while (next_time(km, head, &t)) {
      gather(km, head, t, nr, dv);
      sk__logrank_accumulate(k, nr, dv, lr, var);
    }
    s = sk__logrank_finish(k, lr, var, err);
  }
  free(var);
  free(head);
  free(nr);
  free(dv);
  if (s != SEGKIT_OK) {
    segkit_logrank_free(lr);
    return s;
  }
  *out = lr;
  return SEGKIT_OK;
}
