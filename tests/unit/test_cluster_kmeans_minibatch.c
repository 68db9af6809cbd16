/* Mini-batch k-means (SEGKIT_CLUSTER_MINIBATCH). Expected values: the full k-means fit of the
 * same data (its inertia is the bar mini-batch must come within a few per cent of, as
 * Sculley 2010 and scikit-learn's documentation report), planted memberships generated
 * here, and the final-pass invariants (labels = nearest centroid, inertia = their cost,
 * computed here by brute force). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample/sample_int.h"
#include "segkit/cluster.h"

static double *planted(size_t n, size_t d, int k, uint64_t seed, int32_t *truth) {
  sk__rng r;
  sk__rng_init(&r, seed, 98, 0);
  double *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n; i++) {
    int c = (int)sk__rng_below(&r, (uint32_t)k);
    truth[i] = c;
    for (size_t j = 0; j < d; j++) {
      x[i * d + j] = 8.0 * (double)((c * 7 + (int)j * 3) % (k + 1)) + sk__rng_normal(&r);
    }
  }
  return x;
}

static segkit_cluster_model *fit(segkit_cluster_method method, const double *x, size_t n,
                                 size_t d, const double *w, size_t k, int threads) {
  segkit_cluster_data data = {.x = x, .n = n, .d = d, .weights = w};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = method;
  opt.k = k;
  opt.n_threads = threads;
  opt.seed = 9;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  return m;
}

static void minibatch_close_to_full_kmeans(void **state) {
  (void)state;
  size_t n = 40000;
  size_t d = 5;
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = planted(n, d, 6, 4, truth);
  segkit_cluster_model *full = fit(SEGKIT_CLUSTER_KMEANS, x, n, d, NULL, 6, 0);
  segkit_cluster_model *mb = fit(SEGKIT_CLUSTER_MINIBATCH, x, n, d, NULL, 6, 0);
  double a = segkit_cluster_model_inertia(full);
  double b = segkit_cluster_model_inertia(mb);
  assert_true(b >= a * (1 - 1e-12)); /* full k-means found the optimum here */
  assert_true(b <= a * 1.03);
  assert_int_equal(segkit_cluster_model_method(mb), SEGKIT_CLUSTER_MINIBATCH);
  assert_true(segkit_cluster_model_converged(mb)); /* early stop, not 100 passes */
  /* Far fewer rows touched than 100 passes: steps x 1024 < 100 n. */
  assert_true((double)segkit_cluster_model_iterations(mb) * 1024.0 < 100.0 * (double)n);
  segkit_cluster_model_free(full);
  segkit_cluster_model_free(mb);
  free(x);
  free(truth);
}

static void minibatch_final_pass_is_exact(void **state) {
  (void)state;
  size_t n = 20000;
  size_t d = 3;
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = planted(n, d, 4, 8, truth);
  double *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n; i++) {
    w[i] = 1.0 + (double)(i % 4);
  }
  segkit_cluster_model *m = fit(SEGKIT_CLUSTER_MINIBATCH, x, n, d, w, 4, 2);
  const double *c = segkit_cluster_model_centroids(m);
  const int32_t *lab = segkit_cluster_model_labels(m);
  double inertia = 0;
  double share0 = 0;
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    int32_t best = 0;
    double bd = INFINITY;
    for (int q = 0; q < 4; q++) {
      double s = 0;
      for (size_t j = 0; j < d; j++) {
        s += (x[i * d + j] - c[q * d + j]) * (x[i * d + j] - c[q * d + j]);
      }
      if (s < bd) {
        bd = s;
        best = q;
      }
    }
    assert_int_equal(lab[i], best);
    inertia += w[i] * bd;
    share0 += lab[i] == 0 ? w[i] : 0;
    total += w[i];
  }
  assert_true(fabs(segkit_cluster_model_inertia(m) - inertia) <= 1e-9 * inertia);
  assert_true(fabs(segkit_cluster_model_shares(m)[0] - share0 / total) < 1e-12);
  segkit_cluster_model_free(m);
  free(w);
  free(x);
  free(truth);
}

static void minibatch_same_result_whatever_the_threads(void **state) {
  (void)state;
  size_t n = 30000;
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = planted(n, 4, 5, 2, truth);
  segkit_cluster_model *a = fit(SEGKIT_CLUSTER_MINIBATCH, x, n, 4, NULL, 5, 1);
  segkit_cluster_model *b = fit(SEGKIT_CLUSTER_MINIBATCH, x, n, 4, NULL, 5, 2);
  assert_memory_equal(segkit_cluster_model_centroids(a), segkit_cluster_model_centroids(b),
                      5 * 4 * sizeof(double));
  assert_memory_equal(segkit_cluster_model_labels(a), segkit_cluster_model_labels(b),
                      n * sizeof(int32_t));
  assert_true(segkit_cluster_model_inertia(a) == segkit_cluster_model_inertia(b));
  segkit_cluster_model_free(a);
  segkit_cluster_model_free(b);
  free(x);
  free(truth);
}

static void minibatch_small_data_and_assign(void **state) {
  (void)state;
  /* Fewer rows than a batch: batches are the whole data size, still a valid fit. */
  double x[12] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
  segkit_cluster_model *m = fit(SEGKIT_CLUSTER_MINIBATCH, x, 6, 2, NULL, 2, 0);
  const int32_t *lab = segkit_cluster_model_labels(m);
  assert_int_equal(lab[0], lab[1]);
  assert_int_equal(lab[0], lab[2]);
  assert_int_equal(lab[3], lab[4]);
  assert_int_equal(lab[3], lab[5]);
  assert_int_not_equal(lab[0], lab[3]);
  double q[4] = {0.2, 0.3, 9, 9};
  segkit_cluster_data data = {.x = q, .n = 2, .d = 2};
  int32_t out[2];
  segkit_error err;
  assert_int_equal(segkit_cluster_assign(m, &data, out, &err), SEGKIT_OK);
  assert_int_equal(out[0], lab[0]);
  assert_int_equal(out[1], lab[3]);
  segkit_cluster_data bad = {.x = q, .n = 1, .d = 4};
  assert_int_equal(segkit_cluster_assign(m, &bad, out, &err), SEGKIT_ERR_SCHEMA);
  segkit_cluster_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(minibatch_close_to_full_kmeans),
      cmocka_unit_test(minibatch_final_pass_is_exact),
      cmocka_unit_test(minibatch_same_result_whatever_the_threads),
      cmocka_unit_test(minibatch_small_data_and_assign),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
