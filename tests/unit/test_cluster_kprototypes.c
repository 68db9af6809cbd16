/* k-prototypes (SEGKIT_CLUSTER_KPROTOTYPES). Expected values: the global optimum of the
 * k-prototypes cost on a 10-row mixed data set, found by enumerating every partition in
 * tests/data/cluster/kmeans_reference.py (with gamma as the kmodes package sets it), and
 * hand-worked costs for assignment. */
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

typedef struct small_set {
  double x[20];
  int32_t cat[20];
  int32_t levels[2];
  double gamma, cost;
  int32_t labels[10];
} small_set;

static void read_small(small_set *s) {
  FILE *f = fopen(SEGKIT_TEST_DATA "/cluster/kmeans_kproto_small.csv", "r");
  assert_non_null(f);
  char line[256];
  assert_non_null(fgets(line, sizeof line, f));
  for (int i = 0; i < 10; i++) {
    assert_non_null(fgets(line, sizeof line, f));
    assert_int_equal(sscanf(line, "%lf,%lf,%d,%d", &s->x[2 * i], &s->x[2 * i + 1],
                            &s->cat[2 * i], &s->cat[2 * i + 1]),
                     4);
  }
  fclose(f);
  s->levels[0] = 3;
  s->levels[1] = 2;
  f = fopen(SEGKIT_TEST_DATA "/cluster/kmeans_kproto_small.txt", "r");
  assert_non_null(f);
  assert_int_equal(fscanf(f, "gamma %lf\n", &s->gamma), 1);
  assert_int_equal(fscanf(f, "cost %lf\n", &s->cost), 1);
  assert_int_equal(fscanf(f, "labels"), 0);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(fscanf(f, "%d", &s->labels[i]), 1);
  }
  fclose(f);
}

static segkit_cluster_model *fit(const segkit_cluster_data *data, size_t k, double gamma,
                                 int restarts, int threads) {
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_KPROTOTYPES;
  opt.k = k;
  opt.gamma = gamma;
  opt.restarts = restarts;
  opt.n_threads = threads;
  opt.seed = 5;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(data, &opt, &m, &err), SEGKIT_OK);
  return m;
}

/* Same partition up to renumbering. */
static void same_partition(const int32_t *a, const int32_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    for (size_t j = i + 1; j < n; j++) {
      assert_int_equal(a[i] == a[j], b[i] == b[j]);
    }
  }
}

static void kprototypes_finds_the_enumerated_optimum(void **state) {
  (void)state;
  small_set s;
  read_small(&s);
  segkit_cluster_data data = {.x = s.x, .n = 10, .d = 2, .cat = s.cat, .n_cat = 2,
                              .levels = s.levels};
  segkit_cluster_model *m = fit(&data, 3, 0, 30, 0);
  assert_true(fabs(segkit_cluster_model_inertia(m) - s.cost) <= 1e-9 * s.cost);
  same_partition(segkit_cluster_model_labels(m), s.labels, 10);
  /* The default gamma (half the mean population sd of the numeric columns) enters the
   * cost below, recomputed from the labels with the reference's gamma. Prototypes: weighted means and modes of the final clusters, recomputed here. */
  const int32_t *lab = segkit_cluster_model_labels(m);
  const double *c = segkit_cluster_model_centroids(m);
  const int32_t *modes = segkit_cluster_model_modes(m);
  double cost = 0;
  for (int q = 0; q < 3; q++) {
    double sx = 0, sy = 0;
    int cnt = 0, c0[3] = {0}, c1[2] = {0};
    for (int i = 0; i < 10; i++) {
      if (lab[i] != q) {
        continue;
      }
      sx += s.x[2 * i];
      sy += s.x[2 * i + 1];
      c0[s.cat[2 * i]]++;
      c1[s.cat[2 * i + 1]]++;
      cnt++;
    }
    assert_true(cnt > 0);
    assert_true(fabs(c[q * 2] - sx / cnt) < 1e-12);
    assert_true(fabs(c[q * 2 + 1] - sy / cnt) < 1e-12);
    int m0 = c0[1] > c0[0] ? 1 : 0;
    m0 = c0[2] > c0[m0] ? 2 : m0;
    int m1 = c1[1] > c1[0] ? 1 : 0;
    assert_int_equal(modes[q * 2], m0);
    assert_int_equal(modes[q * 2 + 1], m1);
    for (int i = 0; i < 10; i++) {
      if (lab[i] == q) {
        double ex = s.x[2 * i] - c[q * 2];
        double ey = s.x[2 * i + 1] - c[q * 2 + 1];
        cost += ex * ex + ey * ey +
                s.gamma * ((s.cat[2 * i] != m0) + (s.cat[2 * i + 1] != m1));
      }
    }
  }
  assert_true(fabs(cost - s.cost) <= 1e-9 * s.cost);
  segkit_cluster_model_free(m);
}

static void kprototypes_weights_double_the_cost(void **state) {
  (void)state;
  small_set s;
  read_small(&s);
  double w[10];
  for (int i = 0; i < 10; i++) {
    w[i] = 2.0;
  }
  segkit_cluster_data data = {.x = s.x, .n = 10, .d = 2, .cat = s.cat, .n_cat = 2,
                              .levels = s.levels, .weights = w};
  /* gamma passed explicitly: the default is computed without weights anyway. */
  segkit_cluster_model *m = fit(&data, 3, s.gamma, 30, 0);
  assert_true(fabs(segkit_cluster_model_inertia(m) - 2 * s.cost) <= 1e-9 * s.cost);
  same_partition(segkit_cluster_model_labels(m), s.labels, 10);
  segkit_cluster_model_free(m);
}

static void kprototypes_assign_by_hand(void **state) {
  (void)state;
  /* Two obvious groups; prototypes (0,0|0) and (10,0|1) with gamma = 4. */
  double x[8] = {0, 0, 0, 0, 10, 0, 10, 0};
  int32_t cat[4] = {0, 0, 1, 1};
  int32_t levels[1] = {2};
  segkit_cluster_data data = {.x = x, .n = 4, .d = 2, .cat = cat, .n_cat = 1,
                              .levels = levels};
  segkit_cluster_model *m = fit(&data, 2, 4.0, 3, 0);
  assert_true(segkit_cluster_model_inertia(m) == 0.0);
  int32_t zero = segkit_cluster_model_labels(m)[0];
  /* (4,0|1): to the first 16 + 4 = 20, to the second 36 + 0 = 36 -> first.
   * (6,0|0): 36 + 0 = 36 against 16 + 4 = 20 -> second.
   * (5,0|0): 25 + 0 against 25 + 4 -> first.  (5,0|1): 25 + 4 against 25 -> second.
   * (5,1|0) with gamma 4: 26 against 30 -> first. */
  double q[10] = {4, 0, 6, 0, 5, 0, 5, 0, 5, 1};
  int32_t qc[5] = {1, 0, 0, 1, 0};
  segkit_cluster_data nd = {.x = q, .n = 5, .d = 2, .cat = qc, .n_cat = 1, .levels = levels};
  int32_t lab[5];
  segkit_error err;
  assert_int_equal(segkit_cluster_assign(m, &nd, lab, &err), SEGKIT_OK);
  assert_int_equal(lab[0], zero);
  assert_int_equal(lab[1], 1 - zero);
  assert_int_equal(lab[2], zero);
  assert_int_equal(lab[3], 1 - zero);
  assert_int_equal(lab[4], zero);
  const int32_t *modes = segkit_cluster_model_modes(m);
  assert_int_equal(modes[zero], 0);
  assert_int_equal(modes[1 - zero], 1);
  /* Rows without the model's categorical item are refused. */
  segkit_cluster_data bad = {.x = q, .n = 1, .d = 2, .cat = qc, .n_cat = 0, .levels = NULL};
  assert_int_not_equal(segkit_cluster_assign(m, &bad, lab, &err), SEGKIT_OK);
  segkit_cluster_model_free(m);
}

static void kprototypes_same_result_whatever_the_threads(void **state) {
  (void)state;
  size_t n = 20000;
  double *x = malloc(n * 3 * sizeof *x);
  int32_t *cat = malloc(n * 2 * sizeof *cat);
  int32_t levels[2] = {4, 3};
  sk__rng r;
  sk__rng_init(&r, 12, 97, 0);
  for (size_t i = 0; i < n; i++) {
    int c = (int)sk__rng_below(&r, 4);
    for (int j = 0; j < 3; j++) {
      x[i * 3 + j] = 3.0 * ((c + j) % 4) + sk__rng_normal(&r);
    }
    cat[i * 2] = sk__rng_chance(&r, 0.8) ? c : (int32_t)sk__rng_below(&r, 4);
    cat[i * 2 + 1] = (int32_t)sk__rng_below(&r, 3);
  }
  segkit_cluster_data data = {.x = x, .n = n, .d = 3, .cat = cat, .n_cat = 2,
                              .levels = levels};
  segkit_cluster_model *a = fit(&data, 4, 0, 3, 1);
  segkit_cluster_model *b = fit(&data, 4, 0, 3, 2);
  assert_memory_equal(segkit_cluster_model_labels(a), segkit_cluster_model_labels(b),
                      n * sizeof(int32_t));
  assert_true(segkit_cluster_model_inertia(a) == segkit_cluster_model_inertia(b));
  assert_memory_equal(segkit_cluster_model_centroids(a), segkit_cluster_model_centroids(b),
                      4 * 3 * sizeof(double));
  assert_memory_equal(segkit_cluster_model_modes(a), segkit_cluster_model_modes(b),
                      4 * 2 * sizeof(int32_t));
  assert_true(segkit_cluster_model_converged(a));
  segkit_cluster_model_free(a);
  segkit_cluster_model_free(b);
  free(x);
  free(cat);
}

static void kprototypes_errors(void **state) {
  (void)state;
  double x[6] = {1, 1, 1, 1, 1, 1};
  int32_t cat[3] = {0, 0, 0};
  int32_t levels[1] = {2};
  segkit_cluster_data data = {.x = x, .n = 3, .d = 2, .cat = cat, .n_cat = 1,
                              .levels = levels};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_KPROTOTYPES;
  opt.k = 2;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  cat[1] = -1; /* k-prototypes refuses missing codes (model.c) */
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_USAGE);
  assert_null(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kprototypes_finds_the_enumerated_optimum),
      cmocka_unit_test(kprototypes_weights_double_the_cost),
      cmocka_unit_test(kprototypes_assign_by_hand),
      cmocka_unit_test(kprototypes_same_result_whatever_the_threads),
      cmocka_unit_test(kprototypes_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
