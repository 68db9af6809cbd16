/* Gaussian mixtures on planted data: blobs drawn from known means, covariances and
 * proportions are recovered; the thread count, seeds and integer weights (= repeated rows)
 * leave the fit as the contract says; parameter counts by the formulas of cluster.h (the
 * same as mclust's nMclustParams: 44 / 26 / 17 for iris-sized VVV / VVI / VII); assignment
 * and errors. Comparisons with mclust are in test_cluster_gmm_mclust.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "segkit/cluster.h"
#include "testkit.h"

/* ---- planted blobs ------------------------------------------------------------------- */

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 11;
}

static double uniform01(uint64_t *s) { return ((double)lcg(s) + 0.5) * 0x1.0p-53; }

static double normal(uint64_t *s) { /* Box-Muller */
  double u = uniform01(s), v = uniform01(s);
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Three 2-D blobs: means (0,0), (8,0), (0,8); the first correlated (cov [[1, .6],[.6, 1]]),
 * the second stretched (sd 2 and 0.5), the third round (sd 1); proportions .5/.3/.2. */
static const double true_mean[3][2] = {{0, 0}, {8, 0}, {0, 8}};
static const double true_share[3] = {0.5, 0.3, 0.2};

static double *blobs(size_t n, int32_t *truth, uint64_t seed) {
  double *x = malloc(n * 2 * sizeof *x);
  uint64_t s = seed;
  for (size_t i = 0; i < n; i++) {
    double u = uniform01(&s);
    int c = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
    double z1 = normal(&s), z2 = normal(&s);
    double a = z1, b = z2;
    if (c == 0) {
      b = 0.6 * z1 + 0.8 * z2; /* corr .6, unit variances */
    } else if (c == 1) {
      a = 2 * z1;
      b = 0.5 * z2;
    }
    x[i * 2] = true_mean[c][0] + a;
    x[i * 2 + 1] = true_mean[c][1] + b;
    if (truth)
      truth[i] = c;
  }
  return x;
}

static segkit_cluster_model *fit(const double *x, size_t n, size_t d, const double *w, size_t k,
                                 segkit_gmm_covariance cov, int threads, uint64_t seed) {
  segkit_cluster_data data = {x, n, d, NULL, 0, NULL, w};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_GMM;
  opt.k = k;
  opt.covariance = cov;
  opt.n_threads = threads;
  opt.seed = seed;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  if (segkit_cluster_fit(&data, &opt, &m, &err) != SEGKIT_OK)
    fail_msg("gmm fit: %s", err.message);
  return m;
}

/* Component of the model nearest to a planted mean. */
static size_t nearest(const segkit_cluster_model *m, const double *mean) {
  const double *mu = segkit_cluster_model_centroids(m);
  size_t best = 0;
  double bd = INFINITY;
  for (size_t c = 0; c < segkit_cluster_model_k(m); c++) {
    double d2 = pow(mu[c * 2] - mean[0], 2) + pow(mu[c * 2 + 1] - mean[1], 2);
    if (d2 < bd) {
      bd = d2;
      best = c;
    }
  }
  return best;
}

static void gmm_planted_blobs_recovered(void **state) {
  (void)state;
  size_t n = 6000;
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = blobs(n, truth, 1);
  segkit_cluster_model *m = fit(x, n, 2, NULL, 3, SEGKIT_GMM_FULL, 1, 0);
  const double *pi = segkit_cluster_model_shares(m);
  size_t comp[3];
  for (int c = 0; c < 3; c++) {
    comp[c] = nearest(m, true_mean[c]);
    const double *mu = segkit_cluster_model_centroids(m) + comp[c] * 2;
    /* Standard errors at these sizes are ~0.03 (mean) and ~0.006 (share). */
    assert_true(fabs(mu[0] - true_mean[c][0]) < 0.15 && fabs(mu[1] - true_mean[c][1]) < 0.15);
    assert_true(fabs(pi[comp[c]] - true_share[c]) < 0.03);
  }
  assert_true(comp[0] != comp[1] && comp[1] != comp[2] && comp[0] != comp[2]);
  const double *c0 = segkit_cluster_model_covariance(m, comp[0]);
  const double *c1 = segkit_cluster_model_covariance(m, comp[1]);
  assert_true(fabs(c0[1] - 0.6) < 0.08 && fabs(c0[2] - 0.6) < 0.08);
  assert_true(fabs(c1[0] - 4.0) < 0.4 && fabs(c1[3] - 0.25) < 0.03);
  /* precision_chol: lower M with M M^T = Sigma^-1, so Sigma M M^T = I. */
  const double *pm = m->precision_chol + comp[0] * 4;
  assert_true(pm[1] == 0);
  double mm[4] = {pm[0] * pm[0], pm[0] * pm[2], pm[2] * pm[0], pm[2] * pm[2] + pm[3] * pm[3]};
  double id[4] = {c0[0] * mm[0] + c0[1] * mm[2], c0[0] * mm[1] + c0[1] * mm[3],
                  c0[2] * mm[0] + c0[3] * mm[2], c0[2] * mm[1] + c0[3] * mm[3]};
  assert_true(fabs(id[0] - 1) < 1e-9 && fabs(id[1]) < 1e-9 && fabs(id[2]) < 1e-9 &&
              fabs(id[3] - 1) < 1e-9);
  /* Labels agree with the planted blobs except for rows in the overlaps. */
  const int32_t *lab = segkit_cluster_model_labels(m);
  size_t agree = 0;
  for (size_t i = 0; i < n; i++)
    agree += (size_t)lab[i] == comp[truth[i]];
  assert_true(agree > n * 99 / 100);
  /* Sizes are the label tally; shares the mixing proportions (close, not equal). */
  const size_t *sizes = segkit_cluster_model_sizes(m);
  assert_int_equal(sizes[0] + sizes[1] + sizes[2], n);
  /* Inertia: weighted SSE to the label's component mean, recomputed here. */
  const double *mu = segkit_cluster_model_centroids(m);
  double sse = 0;
  for (size_t i = 0; i < n; i++)
    sse += pow(x[i * 2] - mu[lab[i] * 2], 2) + pow(x[i * 2 + 1] - mu[lab[i] * 2 + 1], 2);
  assert_true(fabs(segkit_cluster_model_inertia(m) - sse) < 1e-9 * sse);
  /* Entropy from the posteriors by cluster.h's formula. */
  const double *p = segkit_cluster_model_posteriors(m);
  double h = 0;
  for (size_t i = 0; i < n * 3; i++) {
    h += p[i] > 0 ? -p[i] * log(p[i]) : 0;
    assert_true(p[i] >= 0 && p[i] <= 1);
  }
  assert_true(fabs(segkit_cluster_model_entropy(m) - (1 - h / (n * log(3.0)))) < 1e-12);
  assert_true(segkit_cluster_model_entropy(m) > 0.9);
  /* Assigning the fitting rows reproduces the labels. */
  int32_t *again = malloc(n * sizeof *again);
  segkit_cluster_data data = {x, n, 2, NULL, 0, NULL, NULL};
  segkit_error err;
  assert_int_equal(segkit_cluster_assign(m, &data, again, &err), SEGKIT_OK);
  assert_memory_equal(again, lab, n * sizeof *again);
  /* So does a model that carries covariances only (precision_chol may be NULL, as after
   * reading one back from JSON): the factors are rebuilt the same way. */
  free(m->precision_chol);
  m->precision_chol = NULL;
  memset(again, 0xff, n * sizeof *again);
  assert_int_equal(segkit_cluster_assign(m, &data, again, &err), SEGKIT_OK);
  assert_memory_equal(again, lab, n * sizeof *again);
  free(again);
  segkit_cluster_model_free(m);
  free(x);
  free(truth);
}

static void gmm_threads_do_not_change_the_result(void **state) {
  (void)state;
  size_t n = 20000; /* five blocks */
  double *x = blobs(n, NULL, 2);
  const segkit_gmm_covariance types[3] = {SEGKIT_GMM_FULL, SEGKIT_GMM_DIAG,
                                          SEGKIT_GMM_SPHERICAL};
  for (int t = 0; t < 3; t++) {
    segkit_cluster_model *a = fit(x, n, 2, NULL, 3, types[t], 1, 9);
    segkit_cluster_model *b = fit(x, n, 2, NULL, 3, types[t], 2, 9);
    assert_true(a->log_likelihood == b->log_likelihood);
    assert_memory_equal(a->posteriors, b->posteriors, n * 3 * sizeof(double));
    assert_memory_equal(a->centroids, b->centroids, 6 * sizeof(double));
    size_t blk = types[t] == SEGKIT_GMM_FULL ? 4 : types[t] == SEGKIT_GMM_DIAG ? 2 : 1;
    assert_memory_equal(a->covariances, b->covariances, 3 * blk * sizeof(double));
    assert_int_equal(a->iterations, b->iterations);
    assert_int_equal(a->best_start, b->best_start);
    assert_true(a->converged);
    segkit_cluster_model_free(a);
    segkit_cluster_model_free(b);
  }
  free(x);
}

/* Integer weights act as repeated rows: the weighted fit and the fit of the expanded
 * rows reach the same optimum (their starts differ: seeding scans other arrays). */
static void gmm_weights_are_repeated_rows(void **state) {
  (void)state;
  size_t n = 900;
  double *x = blobs(n, NULL, 3);
  double *w = malloc(n * sizeof *w);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    w[i] = (double)(i % 3); /* 0, 1, 2: zero-weight rows too */
    total += i % 3;
  }
  double *xx = malloc(total * 2 * sizeof *xx);
  size_t r = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < i % 3; c++) {
      xx[r * 2] = x[i * 2];
      xx[r * 2 + 1] = x[i * 2 + 1];
      r++;
    }
  segkit_cluster_model *a = fit(x, n, 2, w, 3, SEGKIT_GMM_FULL, 1, 4);
  segkit_cluster_model *b = fit(xx, total, 2, NULL, 3, SEGKIT_GMM_FULL, 1, 4);
  double la = segkit_cluster_model_log_likelihood(a);
  double lb = segkit_cluster_model_log_likelihood(b);
  assert_true(fabs(la - lb) < 1e-5 * fabs(lb));
  for (int c = 0; c < 3; c++) {
    size_t ca = nearest(a, true_mean[c]), cb = nearest(b, true_mean[c]);
    assert_true(fabs(a->centroids[ca * 2] - b->centroids[cb * 2]) < 1e-3);
    assert_true(fabs(a->shares[ca] - b->shares[cb]) < 1e-4);
  }
  /* BIC counts rows of the data given (n), whatever the weights. */
  assert_true(fabs(segkit_cluster_model_bic(a) - (-2 * la + 17 * log((double)n))) < 1e-9);
  segkit_cluster_model_free(a);
  segkit_cluster_model_free(b);
  free(x);
  free(xx);
  free(w);
}

static void gmm_parameter_counts(void **state) {
  (void)state;
  /* k - 1 + k d + (full: k d (d + 1) / 2; diag: k d; spherical: k), k = 3, d = 4:
   * 44, 26, 17 (mclust's nMclustParams for VVV, VVI, VII). */
  size_t n = 400;
  double *x = malloc(n * 4 * sizeof *x);
  uint64_t s = 5;
  for (size_t i = 0; i < n * 4; i++)
    x[i] = normal(&s) + (double)(i / 4 % 3) * 6;
  const segkit_gmm_covariance types[3] = {SEGKIT_GMM_FULL, SEGKIT_GMM_DIAG,
                                          SEGKIT_GMM_SPHERICAL};
  const size_t want[3] = {44, 26, 17};
  for (int t = 0; t < 3; t++) {
    segkit_cluster_model *m = fit(x, n, 4, NULL, 3, types[t], 1, 0);
    assert_int_equal(segkit_cluster_model_n_params(m), want[t]);
    assert_int_equal(segkit_cluster_model_covariance_type(m), types[t]);
    double ll = segkit_cluster_model_log_likelihood(m);
    assert_true(fabs(segkit_cluster_model_bic(m) - (-2 * ll + want[t] * log(400.0))) < 1e-9);
    segkit_cluster_model_free(m);
  }
  free(x);
}

/* One component: the maximum-likelihood Gaussian, known in closed form (mean, ddof-0
 * covariance, LL = -n/2 (d ln 2 pi + ln det S + d)). */
static void gmm_one_component_is_the_mle(void **state) {
  (void)state;
  const double x[10] = {1, 2, 2, 1, 3, 5, 4, 3, 5, 4};
  segkit_cluster_data data = {x, 5, 2, NULL, 0, NULL, NULL};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_GMM;
  opt.k = 1;
  opt.reg_covar = 0;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  /* mean (3, 3); S = [[2, 1.2], [1.2, 2]]; det S = 4 - 1.44 = 2.56. */
  assert_true(fabs(m->centroids[0] - 3) < 1e-12 && fabs(m->centroids[1] - 3) < 1e-12);
  assert_true(fabs(m->covariances[0] - 2) < 1e-12 && fabs(m->covariances[1] - 1.2) < 1e-12);
  double want = -2.5 * (2 * log(6.283185307179586) + log(2.56) + 2);
  assert_true(fabs(m->log_likelihood - want) < 1e-10);
  assert_true(isnan(segkit_cluster_model_entropy(m))); /* 0 / 0 for k = 1 */
  assert_int_equal(m->n_params, 5);
  segkit_cluster_model_free(m);
}

/* The reported log-likelihood and posteriors are those of the reported parameters,
 * recomputed here from first principles for d = 3 (inverse and determinant by cofactors,
 * no Cholesky), on an odd number of rows (a partial tile) and weights. */
static double det3(const double *a) {
  return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
         a[2] * (a[3] * a[7] - a[4] * a[6]);
}

static void inv3(const double *a, double *out) {
  double dt = det3(a);
  out[0] = (a[4] * a[8] - a[5] * a[7]) / dt;
  out[1] = (a[2] * a[7] - a[1] * a[8]) / dt;
  out[2] = (a[1] * a[5] - a[2] * a[4]) / dt;
  out[3] = (a[5] * a[6] - a[3] * a[8]) / dt;
  out[4] = (a[0] * a[8] - a[2] * a[6]) / dt;
  out[5] = (a[2] * a[3] - a[0] * a[5]) / dt;
  out[6] = (a[3] * a[7] - a[4] * a[6]) / dt;
  out[7] = (a[1] * a[6] - a[0] * a[7]) / dt;
  out[8] = (a[0] * a[4] - a[1] * a[3]) / dt;
}

static void gmm_likelihood_recomputed_independently(void **state) {
  (void)state;
  size_t n = 1001;
  double *x = malloc(n * 3 * sizeof *x);
  double *w = malloc(n * sizeof *w);
  uint64_t s = 77;
  for (size_t i = 0; i < n; i++) {
    int c = (int)(i % 4);
    for (size_t j = 0; j < 3; j++)
      x[i * 3 + j] = normal(&s) * (1 + 0.3 * (double)j) + 4.0 * (double)((c >> j) & 1) + 100;
    x[i * 3 + 2] += 0.5 * x[i * 3]; /* correlated columns, far from the origin */
    w[i] = 0.5 + uniform01(&s);
  }
  const segkit_gmm_covariance types[3] = {SEGKIT_GMM_FULL, SEGKIT_GMM_DIAG,
                                          SEGKIT_GMM_SPHERICAL};
  for (int t = 0; t < 3; t++) {
    segkit_cluster_model *m = fit(x, n, 3, w, 4, types[t], 1, 5);
    double ll = 0;
    double max_dp = 0;
    for (size_t i = 0; i < n; i++) {
      double dens[4];
      double tot = 0;
      for (size_t c = 0; c < 4; c++) {
        double cov[9] = {0};
        const double *cv = segkit_cluster_model_covariance(m, c);
        for (size_t a = 0; a < 3; a++)
          for (size_t b = 0; b < 3; b++)
            cov[a * 3 + b] = types[t] == SEGKIT_GMM_FULL ? cv[a * 3 + b]
                             : a != b                    ? 0
                             : types[t] == SEGKIT_GMM_DIAG ? cv[a]
                                                           : cv[0];
        double pr[9];
        inv3(cov, pr);
        double z[3];
        for (size_t j = 0; j < 3; j++)
          z[j] = x[i * 3 + j] - m->centroids[c * 3 + j];
        double q = 0;
        for (size_t a = 0; a < 3; a++)
          for (size_t b = 0; b < 3; b++)
            q += z[a] * pr[a * 3 + b] * z[b];
        dens[c] = m->shares[c] * exp(-0.5 * q) / sqrt(pow(6.283185307179586, 3) * det3(cov));
        tot += dens[c];
      }
      ll += w[i] * log(tot);
      for (size_t c = 0; c < 4; c++) {
        double dp = fabs(dens[c] / tot - m->posteriors[i * 4 + c]);
        max_dp = dp > max_dp ? dp : max_dp;
      }
    }
    if (!(fabs(ll - m->log_likelihood) < 1e-9 * fabs(ll)))
      fail_msg("type %d: LL %.12f, recomputed %.12f", t, m->log_likelihood, ll);
    assert_true(max_dp < 1e-9);
    segkit_cluster_model_free(m);
  }
  free(x);
  free(w);
}

static void gmm_errors(void **state) {
  (void)state;
  /* Two distinct points cannot seed three components. */
  const double x[8] = {0, 0, 1, 1, 0, 0, 1, 1};
  segkit_cluster_data data = {x, 4, 2, NULL, 0, NULL, NULL};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_GMM;
  opt.k = 3;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  assert_null(m);
  /* Without regularisation, two components on two points have zero covariance: every
   * start fails. */
  opt.k = 2;
  opt.reg_covar = 0;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  assert_null(m);
  assert_non_null(strstr(err.message, "reg_covar"));
  /* With the default reg_covar it fits: two components at the two points. */
  opt.reg_covar = 1e-6;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  assert_true(fabs(m->shares[0] - 0.5) < 1e-9);
  assert_true(m->labels[0] == m->labels[2] && m->labels[1] == m->labels[3] &&
              m->labels[0] != m->labels[1]);
  segkit_cluster_model_free(m);
  /* All weights zero. */
  const double w[4] = {0, 0, 0, 0};
  data.weights = w;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_USAGE);
  assert_null(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gmm_planted_blobs_recovered),
      cmocka_unit_test(gmm_threads_do_not_change_the_result),
      cmocka_unit_test(gmm_weights_are_repeated_rows),
      cmocka_unit_test(gmm_parameter_counts),
      cmocka_unit_test(gmm_one_component_is_the_mle),
      cmocka_unit_test(gmm_likelihood_recomputed_independently),
      cmocka_unit_test(gmm_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
