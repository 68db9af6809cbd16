/* k-means (segkit_cluster_fit with SEGKIT_CLUSTER_KMEANS) and nearest-centroid assignment.
 * Expected values: scikit-learn 1.2 KMeans on iris, computed by
 * tests/data/cluster/kmeans_reference.py into kmeans_iris_sklearn.txt (the drift test in
 * test_cluster_kmeans_reference.c reruns it); planted clusters generated here with known
 * memberships; ties and shapes by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample/sample_int.h"
#include "segkit/cluster.h"

/* ---- helpers ------------------------------------------------------------------------ */

static double *read_iris(size_t *n_out) {
  FILE *f = fopen(SEGKIT_SHARED_DATA "/iris/iris.csv", "r");
  assert_non_null(f);
  char line[256];
  assert_non_null(fgets(line, sizeof line, f));
  double *x = malloc(150 * 4 * sizeof *x);
  size_t n = 0;
  while (n < 150 && fgets(line, sizeof line, f)) {
    double *r = x + n * 4;
    assert_int_equal(sscanf(line, "%lf,%lf,%lf,%lf", r, r + 1, r + 2, r + 3), 4);
    n++;
  }
  fclose(f);
  assert_int_equal(n, 150);
  *n_out = n;
  return x;
}

/* Value of "key v1 v2 ..." number `idx` (0-based over lines with that key), field f. */
static double ref_value(const char *file, const char *key, int idx, int field) {
  char path[1024];
  snprintf(path, sizeof path, "%s/cluster/%s", SEGKIT_TEST_DATA, file);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  char line[1024];
  int seen = 0;
  double out = NAN;
  while (fgets(line, sizeof line, fp)) {
    size_t kl = strlen(key);
    if (strncmp(line, key, kl) != 0 || line[kl] != ' ') {
      continue;
    }
    if (seen++ != idx) {
      continue;
    }
    char *p = line + kl;
    for (int i = 0; i <= field; i++) {
      out = strtod(p, &p);
    }
    break;
  }
  fclose(fp);
  assert_false(isnan(out));
  return out;
}

/* Adjusted Rand index (Hubert & Arabie 1985) from the contingency table. */
static double ari(const int32_t *a, const int32_t *b, size_t n, int ka, int kb) {
  double *t = calloc((size_t)ka * (size_t)kb, sizeof *t);
  double *ra = calloc((size_t)ka, sizeof *ra);
  double *rb = calloc((size_t)kb, sizeof *rb);
  for (size_t i = 0; i < n; i++) {
    t[a[i] * kb + b[i]] += 1;
    ra[a[i]] += 1;
    rb[b[i]] += 1;
  }
  double sum_ij = 0, sum_a = 0, sum_b = 0;
  for (int i = 0; i < ka * kb; i++) {
    sum_ij += t[i] * (t[i] - 1) / 2;
  }
  for (int i = 0; i < ka; i++) {
    sum_a += ra[i] * (ra[i] - 1) / 2;
  }
  for (int i = 0; i < kb; i++) {
    sum_b += rb[i] * (rb[i] - 1) / 2;
  }
  double pairs = (double)n * (double)(n - 1) / 2;
  double expected = sum_a * sum_b / pairs;
  double max = 0.5 * (sum_a + sum_b);
  free(t);
  free(ra);
  free(rb);
  return (sum_ij - expected) / (max - expected);
}

/* n rows of d columns around k centres spaced 10 apart on a diagonal lattice with unit
 * noise; cluster sizes unequal (cluster c gets weight c + 1). */
static double *planted(size_t n, size_t d, int k, uint64_t seed, int32_t *truth) {
  sk__rng r;
  sk__rng_init(&r, seed, 99, 0);
  double *x = malloc(n * d * sizeof *x);
  int total = k * (k + 1) / 2;
  for (size_t i = 0; i < n; i++) {
    int u = (int)sk__rng_below(&r, (uint32_t)total);
    int c = 0;
    while (u >= c + 1) {
      u -= c + 1;
      c++;
    }
    truth[i] = c;
    for (size_t j = 0; j < d; j++) {
      double centre = 10.0 * (double)((c + (int)j) % k) + 3.0 * (double)j;
      x[i * d + j] = centre + sk__rng_normal(&r);
    }
  }
  return x;
}

static segkit_cluster_model *fit(const double *x, size_t n, size_t d, const double *w,
                                 size_t k, segkit_kmeans_algorithm alg, int threads,
                                 int restarts) {
  segkit_cluster_data data = {.x = x, .n = n, .d = d, .weights = w};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_KMEANS;
  opt.k = k;
  opt.algorithm = alg;
  opt.n_threads = threads;
  opt.restarts = restarts;
  opt.seed = 42;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  return m;
}

static int cmp_first(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static void same_model(const segkit_cluster_model *a, const segkit_cluster_model *b) {
  size_t n = segkit_cluster_model_n(a);
  size_t kd = segkit_cluster_model_k(a) * segkit_cluster_model_d(a);
  assert_int_equal(n, segkit_cluster_model_n(b));
  assert_memory_equal(segkit_cluster_model_labels(a), segkit_cluster_model_labels(b),
                      n * sizeof(int32_t));
  assert_memory_equal(segkit_cluster_model_centroids(a), segkit_cluster_model_centroids(b),
                      kd * sizeof(double));
  assert_true(segkit_cluster_model_inertia(a) == segkit_cluster_model_inertia(b));
  assert_int_equal(segkit_cluster_model_iterations(a), segkit_cluster_model_iterations(b));
  assert_int_equal(segkit_cluster_model_best_start(a), segkit_cluster_model_best_start(b));
}

/* ---- tests -------------------------------------------------------------------------- */

static void kmeans_iris_matches_sklearn(void **state) {
  (void)state;
  size_t n;
  double *x = read_iris(&n);
  segkit_cluster_model *m = fit(x, n, 4, NULL, 3, SEGKIT_KMEANS_LLOYD, 0, 10);
  double want = ref_value("kmeans_iris_sklearn.txt", "inertia", 0, 0);
  double got = segkit_cluster_model_inertia(m);
  assert_true(fabs(got - want) <= 1e-4 * want);
  assert_true(fabs(got - want) <= 1e-9 * want); /* in fact the same optimum */
  double c[12];
  memcpy(c, segkit_cluster_model_centroids(m), sizeof c);
  qsort(c, 3, 4 * sizeof(double), cmp_first);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      assert_true(fabs(c[i * 4 + j] - ref_value("kmeans_iris_sklearn.txt", "centroid", i, j)) <
                  1e-9);
    }
  }
  /* Sizes and shares agree with the labels; iris's optimum has 50/62/38. */
  const size_t *sizes = segkit_cluster_model_sizes(m);
  size_t s[3] = {sizes[0], sizes[1], sizes[2]};
  assert_int_equal(s[0] + s[1] + s[2], 150);
  int has50 = s[0] == 50 || s[1] == 50 || s[2] == 50;
  int has62 = s[0] == 62 || s[1] == 62 || s[2] == 62;
  assert_true(has50 && has62);
  assert_true(fabs(segkit_cluster_model_shares(m)[0] - (double)s[0] / 150.0) < 1e-15);
  assert_true(segkit_cluster_model_converged(m));
  assert_int_equal(segkit_cluster_model_method(m), SEGKIT_CLUSTER_KMEANS);
  assert_int_equal(segkit_cluster_model_algorithm(m), SEGKIT_KMEANS_LLOYD);
  segkit_cluster_model_free(m);
  free(x);
}

static void kmeans_lloyd_and_hamerly_agree(void **state) {
  (void)state;
  size_t n;
  double *x = read_iris(&n);
  for (size_t k = 2; k <= 8; k += 3) {
    segkit_cluster_model *a = fit(x, n, 4, NULL, k, SEGKIT_KMEANS_LLOYD, 0, 5);
    segkit_cluster_model *b = fit(x, n, 4, NULL, k, SEGKIT_KMEANS_HAMERLY, 0, 5);
    assert_int_equal(segkit_cluster_model_algorithm(b), SEGKIT_KMEANS_HAMERLY);
    same_model(a, b);
    segkit_cluster_model_free(a);
    segkit_cluster_model_free(b);
  }
  free(x);
  size_t np = 30000;
  int32_t *truth = malloc(np * sizeof *truth);
  double *y = planted(np, 6, 7, 5, truth);
  for (size_t k = 3; k <= 20; k += 17) {
    segkit_cluster_model *a = fit(y, np, 6, NULL, k, SEGKIT_KMEANS_LLOYD, 2, 2);
    segkit_cluster_model *b = fit(y, np, 6, NULL, k, SEGKIT_KMEANS_HAMERLY, 2, 2);
    /* AUTO switches between the two pass kinds within a start: still the same result. */
    segkit_cluster_model *c = fit(y, np, 6, NULL, k, SEGKIT_KMEANS_AUTO, 2, 2);
    same_model(a, b);
    same_model(a, c);
    segkit_cluster_model_free(a);
    segkit_cluster_model_free(b);
    segkit_cluster_model_free(c);
  }
  free(y);
  free(truth);
  /* AUTO above 64 clusters: Hamerly with Lloyd-style passes while the bounds skip little. */
  size_t nb = 9000;
  int32_t *tb = malloc(nb * sizeof *tb);
  double *z = planted(nb, 3, 9, 8, tb);
  segkit_cluster_model *a = fit(z, nb, 3, NULL, 70, SEGKIT_KMEANS_LLOYD, 2, 1);
  segkit_cluster_model *c = fit(z, nb, 3, NULL, 70, SEGKIT_KMEANS_AUTO, 2, 1);
  same_model(a, c);
  segkit_cluster_model_free(a);
  segkit_cluster_model_free(c);
  free(z);
  free(tb);
}

static void kmeans_same_result_whatever_the_threads(void **state) {
  (void)state;
  size_t n = 40000; /* several segments, so threads really split the rows */
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = planted(n, 5, 6, 11, truth);
  double *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n; i++) {
    w[i] = 0.5 + (double)(i % 7) * 0.25;
  }
  segkit_kmeans_algorithm algs[2] = {SEGKIT_KMEANS_LLOYD, SEGKIT_KMEANS_HAMERLY};
  for (int a = 0; a < 2; a++) {
    segkit_cluster_model *m1 = fit(x, n, 5, w, 6, algs[a], 1, 3);
    segkit_cluster_model *m2 = fit(x, n, 5, w, 6, algs[a], 2, 3);
    segkit_cluster_model *m3 = fit(x, n, 5, w, 6, algs[a], 3, 3);
    same_model(m1, m2);
    same_model(m1, m3);
    assert_memory_equal(segkit_cluster_model_shares(m1), segkit_cluster_model_shares(m2),
                        6 * sizeof(double));
    segkit_cluster_model_free(m1);
    segkit_cluster_model_free(m2);
    segkit_cluster_model_free(m3);
  }
  free(w);
  free(x);
  free(truth);
}

static void kmeans_weights_equal_duplicated_rows(void **state) {
  (void)state;
  size_t n;
  double *x = read_iris(&n);
  double w[150];
  double *dup = malloc(150 * 3 * 4 * sizeof *dup);
  size_t nd = 0;
  for (size_t i = 0; i < n; i++) {
    w[i] = 1.0 + (double)(i % 3);
    for (size_t r = 0; r < (size_t)w[i]; r++) {
      memcpy(dup + nd * 4, x + i * 4, 4 * sizeof *x);
      nd++;
    }
  }
  segkit_cluster_model *mw = fit(x, n, 4, w, 3, SEGKIT_KMEANS_AUTO, 0, 10);
  segkit_cluster_model *md = fit(dup, nd, 4, NULL, 3, SEGKIT_KMEANS_AUTO, 0, 10);
  double want = ref_value("kmeans_iris_sklearn.txt", "weighted_inertia", 0, 0);
  assert_true(fabs(ref_value("kmeans_iris_sklearn.txt", "duplicated_inertia", 0, 0) - want) <=
              1e-9 * want);
  assert_true(fabs(segkit_cluster_model_inertia(mw) - want) <= 1e-9 * want);
  assert_true(fabs(segkit_cluster_model_inertia(md) - want) <= 1e-9 * want);
  /* Same centroids (up to order) and weighted shares = duplicated shares. */
  double a[12];
  double b[12];
  memcpy(a, segkit_cluster_model_centroids(mw), sizeof a);
  memcpy(b, segkit_cluster_model_centroids(md), sizeof b);
  qsort(a, 3, 4 * sizeof(double), cmp_first);
  qsort(b, 3, 4 * sizeof(double), cmp_first);
  for (int i = 0; i < 12; i++) {
    assert_true(fabs(a[i] - b[i]) < 1e-12);
  }
  double sw[3] = {0};
  double sd[3] = {0};
  for (int c = 0; c < 3; c++) {
    /* shares of the cluster whose centroid has the c-th smallest first coordinate */
    for (int q = 0; q < 3; q++) {
      if (segkit_cluster_model_centroids(mw)[q * 4] == a[c * 4]) {
        sw[c] = segkit_cluster_model_shares(mw)[q];
      }
      if (segkit_cluster_model_centroids(md)[q * 4] == b[c * 4]) {
        sd[c] = segkit_cluster_model_shares(md)[q];
      }
    }
    assert_true(fabs(sw[c] - sd[c]) < 1e-12);
  }
  segkit_cluster_model_free(mw);
  segkit_cluster_model_free(md);
  free(dup);
  free(x);
}

static void kmeans_recovers_planted_clusters(void **state) {
  (void)state;
  size_t n = 20000;
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = planted(n, 4, 5, 7, truth);
  segkit_cluster_model *m = fit(x, n, 4, NULL, 5, SEGKIT_KMEANS_AUTO, 0, 10);
  double r = ari(truth, segkit_cluster_model_labels(m), n, 5, 5);
  assert_true(r >= 0.95);
  /* Unit noise in 4 columns: the within-cluster sum of squares is about 4 n. */
  double per_row = segkit_cluster_model_inertia(m) / (double)n;
  assert_true(per_row > 3.8 && per_row < 4.2);
  segkit_cluster_model_free(m);
  free(x);
  free(truth);
}

static void kmeans_assign_nearest_with_ties_to_smallest(void **state) {
  (void)state;
  double x[4] = {0.0, 0.0, 2.0, 2.0}; /* rows (0,0) and (2,2) */
  segkit_cluster_model *m = fit(x, 2, 2, NULL, 2, SEGKIT_KMEANS_AUTO, 0, 1);
  const double *c = segkit_cluster_model_centroids(m);
  int32_t zero_label = c[0] == 0.0 ? 0 : 1;
  double q[8] = {1.0, 1.0, 0.1, 0.0, 1.9, 2.5, 1.0, 1.0};
  segkit_cluster_data data = {.x = q, .n = 4, .d = 2};
  int32_t lab[4];
  segkit_error err;
  assert_int_equal(segkit_cluster_assign(m, &data, lab, &err), SEGKIT_OK);
  assert_int_equal(lab[0], 0); /* equidistant: the smaller label */
  assert_int_equal(lab[1], zero_label);
  assert_int_equal(lab[2], 1 - zero_label);
  assert_int_equal(lab[3], 0);
  /* Shape mismatch: 3 columns against a 2-column model. */
  double q3[3] = {1, 2, 3};
  segkit_cluster_data bad = {.x = q3, .n = 1, .d = 3};
  assert_int_equal(segkit_cluster_assign(m, &bad, lab, &err), SEGKIT_ERR_SCHEMA);
  segkit_cluster_data nonfinite = {.x = (double[2]){NAN, 1}, .n = 1, .d = 2};
  assert_int_equal(segkit_cluster_assign(m, &nonfinite, lab, &err), SEGKIT_ERR_USAGE);
  segkit_cluster_model_free(m);
}

static void kmeans_assign_reproduces_fit_labels(void **state) {
  (void)state;
  size_t n = 12000;
  int32_t *truth = malloc(n * sizeof *truth);
  double *x = planted(n, 3, 4, 3, truth);
  segkit_cluster_model *m = fit(x, n, 3, NULL, 4, SEGKIT_KMEANS_AUTO, 2, 3);
  int32_t *lab = malloc(n * sizeof *lab);
  segkit_cluster_data data = {.x = x, .n = n, .d = 3};
  segkit_error err;
  assert_int_equal(segkit_cluster_assign(m, &data, lab, &err), SEGKIT_OK);
  assert_memory_equal(lab, segkit_cluster_model_labels(m), n * sizeof *lab);
  /* Brute force, independently: nearest centroid by explicit distances. */
  const double *c = segkit_cluster_model_centroids(m);
  for (size_t i = 0; i < n; i += 97) {
    int32_t best = 0;
    double bd = INFINITY;
    for (int q = 0; q < 4; q++) {
      double s = 0;
      for (int j = 0; j < 3; j++) {
        s += (x[i * 3 + j] - c[q * 3 + j]) * (x[i * 3 + j] - c[q * 3 + j]);
      }
      if (s < bd) {
        bd = s;
        best = q;
      }
    }
    assert_int_equal(lab[i], best);
  }
  segkit_cluster_model_free(m);
  free(lab);
  free(x);
  free(truth);
}

static void kmeans_errors_and_limits(void **state) {
  (void)state;
  double x[6] = {1, 1, 1, 1, 1, 1}; /* three identical rows */
  segkit_cluster_data data = {.x = x, .n = 3, .d = 2};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.k = 2;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  assert_null(m);
  assert_non_null(strstr(err.message, "distinct"));
  opt.k = 4;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  opt.k = 1;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  assert_true(segkit_cluster_model_inertia(m) == 0.0);
  assert_int_equal(segkit_cluster_model_sizes(m)[0], 3);
  segkit_cluster_model_free(m);
  /* A zero weight makes a row not count as distinct. */
  double y[4] = {0, 0, 5, 5};
  double w[2] = {1, 0};
  segkit_cluster_data wd = {.x = y, .n = 2, .d = 2, .weights = w};
  opt.k = 2;
  assert_int_equal(segkit_cluster_fit(&wd, &opt, &m, &err), SEGKIT_ERR_LIMIT);
}

static void kmeans_max_iter_reached_is_not_converged(void **state) {
  (void)state;
  size_t n;
  double *x = read_iris(&n);
  segkit_cluster_data data = {.x = x, .n = n, .d = 4};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.k = 3;
  opt.max_iter = 1;
  opt.restarts = 1;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  assert_int_equal(segkit_cluster_model_iterations(m), 1);
  assert_false(segkit_cluster_model_converged(m));
  /* The labels are those of the final centroids: assignment agrees. */
  int32_t lab[150];
  assert_int_equal(segkit_cluster_assign(m, &data, lab, &err), SEGKIT_OK);
  assert_memory_equal(lab, segkit_cluster_model_labels(m), sizeof lab);
  segkit_cluster_model_free(m);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kmeans_iris_matches_sklearn),
      cmocka_unit_test(kmeans_lloyd_and_hamerly_agree),
      cmocka_unit_test(kmeans_same_result_whatever_the_threads),
      cmocka_unit_test(kmeans_weights_equal_duplicated_rows),
      cmocka_unit_test(kmeans_recovers_planted_clusters),
      cmocka_unit_test(kmeans_assign_nearest_with_ties_to_smallest),
      cmocka_unit_test(kmeans_assign_reproduces_fit_labels),
      cmocka_unit_test(kmeans_errors_and_limits),
      cmocka_unit_test(kmeans_max_iter_reached_is_not_converged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
