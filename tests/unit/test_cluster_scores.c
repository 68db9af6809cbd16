/* Silhouette, Calinski-Harabasz, Davies-Bouldin and adjusted Rand against scikit-learn 1.2
 * and R's cluster::silhouette on Iris (tests/data/cluster/make_reference.py and .R), small
 * cases worked by hand, edge cases (singletons, identical rows, k = 2), the thread-count
 * invariance and the sampled silhouette. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segkit/cluster.h"
#include "test_cluster_scores_kit.h"

#define REF SEGKIT_TEST_DATA "/cluster"

typedef struct iris_fixture {
  double x[600];
  int32_t species[150];
  int32_t labels[4][150];
  char names[4][48];
} iris_fixture;

static iris_fixture *load_iris(void) {
  iris_fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(ck_iris(f->x, f->species), 150);
  ck_rows *r = ck_read(REF, "iris_labels.csv");
  assert_non_null(r);
  assert_int_equal(r->n, 150);
  for (size_t i = 0; i < 150; i++)
    for (size_t c = 0; c < 4; c++)
      f->labels[c][i] = (int32_t)ck_num(r, i, c);
  free(r);
  const char *names[4] = {"species", "ward3", "mod7", "single"};
  for (int c = 0; c < 4; c++)
    snprintf(f->names[c], sizeof f->names[c], "%s", names[c]);
  /* the reference species coding is the same first-seen coding */
  for (size_t i = 0; i < 150; i++)
    assert_int_equal(f->labels[0][i], f->species[i]);
  return f;
}

static size_t n_clusters(const int32_t *labels, size_t n) {
  int32_t top = 0;
  for (size_t i = 0; i < n; i++)
    if (labels[i] > top)
      top = labels[i];
  return (size_t)top + 1;
}

static void cluster_scores_iris_match_sklearn(void **state) {
  (void)state;
  iris_fixture *f = load_iris();
  ck_rows *r = ck_read(REF, "iris_scores.csv");
  assert_non_null(r);
  assert_int_equal(r->n, 4);
  segkit_error err;
  for (size_t c = 0; c < 4; c++) {
    assert_string_equal(r->field[c][0], f->names[c]);
    const int32_t *lab = f->labels[c];
    size_t k = n_clusters(lab, 150);
    double sil = 0;
    double ch = 0;
    double db = 0;
    size_t used = 0;
    assert_int_equal(segkit_silhouette(f->x, 150, 4, lab, k, 0, 0, 1, &sil, &used, &err),
                     SEGKIT_OK);
    assert_int_equal(used, 150);
    assert_int_equal(segkit_calinski_harabasz(f->x, 150, 4, lab, k, &ch, &err), SEGKIT_OK);
    assert_int_equal(segkit_davies_bouldin(f->x, 150, 4, lab, k, &db, &err), SEGKIT_OK);
    assert_true(ck_close(sil, ck_num(r, c, 1), 1e-10));
    assert_true(ck_close(ch, ck_num(r, c, 2), 1e-10));
    assert_true(ck_close(db, ck_num(r, c, 3), 1e-10));
  }
  free(r);
  free(f);
}

static void cluster_scores_iris_silhouette_matches_r_cluster(void **state) {
  (void)state;
  iris_fixture *f = load_iris();
  ck_rows *r = ck_read(REF, "iris_silhouette_R.csv");
  assert_non_null(r);
  assert_int_equal(r->n, 4);
  segkit_error err;
  for (size_t c = 0; c < 4; c++) {
    assert_string_equal(r->field[c][0], f->names[c]);
    double sil = 0;
    assert_int_equal(segkit_silhouette(f->x, 150, 4, f->labels[c], n_clusters(f->labels[c], 150),
                                       0, 0, 2, &sil, NULL, &err),
                     SEGKIT_OK);
    assert_true(ck_close(sil, ck_num(r, c, 1), 1e-10));
  }
  /* "single": row 1 is a singleton, its width is 0 in R; leaving it out of the labeling's
   * 149 other rows is what the mean reflects (checked against R above). */
  assert_true(ck_num(r, 3, 2) == 0.0);
  free(r);
  free(f);
}

static void cluster_scores_ari_matches_sklearn(void **state) {
  (void)state;
  iris_fixture *f = load_iris();
  ck_rows *r = ck_read(REF, "iris_ari.csv");
  assert_non_null(r);
  assert_int_equal(r->n, 16);
  segkit_error err;
  for (size_t i = 0; i < 16; i++) {
    int a = -1;
    int b = -1;
    for (int c = 0; c < 4; c++) {
      if (strcmp(r->field[i][0], f->names[c]) == 0)
        a = c;
      if (strcmp(r->field[i][1], f->names[c]) == 0)
        b = c;
    }
    assert_true(a >= 0 && b >= 0);
    double ari = 0;
    assert_int_equal(segkit_adjusted_rand(f->labels[a], f->labels[b], 150, &ari, &err),
                     SEGKIT_OK);
    assert_true(ck_close(ari, ck_num(r, i, 2), 1e-10));
  }
  free(r);
  free(f);
}

/* 1-D rows 0, 1, 4, 5 in clusters {0, 1}, {4, 5}, worked by hand:
 * silhouette: row 0 a = 1, b = 4.5; row 1 a = 1, b = 3.5 (and mirrored):
 *   mean = (3.5/4.5 + 2.5/3.5) / 2; CH: B = 2 * 2^2 * 2 = 16, W = 4 * 0.25 = 1,
 *   CH = 16 (4 - 2) / (1 (2 - 1)) = 32; DB: s = 0.5 each, centroids 4 apart -> 0.25. */
static void cluster_scores_hand_example_k2(void **state) {
  (void)state;
  double x[4] = {0, 1, 4, 5};
  int32_t lab[4] = {0, 0, 1, 1};
  segkit_error err;
  double s = 0;
  assert_int_equal(segkit_silhouette(x, 4, 1, lab, 2, 0, 0, 1, &s, NULL, &err), SEGKIT_OK);
  assert_true(ck_close(s, (3.5 / 4.5 + 2.5 / 3.5) / 2, 1e-15));
  assert_int_equal(segkit_calinski_harabasz(x, 4, 1, lab, 2, &s, &err), SEGKIT_OK);
  assert_true(ck_close(s, 32.0, 1e-15));
  assert_int_equal(segkit_davies_bouldin(x, 4, 1, lab, 2, &s, &err), SEGKIT_OK);
  assert_true(ck_close(s, 0.25, 1e-15));
  /* ARI of {0,0,1,1} and {0,1,1,1}: index 1, expected 2 * 3 / 6 = 1, max 2.5 -> 0 */
  int32_t other[4] = {0, 1, 1, 1};
  assert_int_equal(segkit_adjusted_rand(lab, other, 4, &s, &err), SEGKIT_OK);
  assert_true(fabs(s) < 1e-15);
  /* the same partition under other label values, sparse ones included */
  int32_t renamed[4] = {70000, 70000, 3, 3};
  assert_int_equal(segkit_adjusted_rand(lab, renamed, 4, &s, &err), SEGKIT_OK);
  assert_true(s == 1.0);
}

static void cluster_scores_identical_rows_and_singletons(void **state) {
  (void)state;
  segkit_error err;
  double s = -1;
  /* two clusters of identical rows: a = b = 0 for every row -> 0 (scikit-learn's
   * nan_to_num), CH 1 (W = 0), DB 0 (all centroid distances 0) */
  double same[8] = {1, 2, 1, 2, 1, 2, 1, 2};
  int32_t lab[4] = {0, 0, 1, 1};
  assert_int_equal(segkit_silhouette(same, 4, 2, lab, 2, 0, 0, 1, &s, NULL, &err), SEGKIT_OK);
  assert_true(s == 0.0);
  assert_int_equal(segkit_calinski_harabasz(same, 4, 2, lab, 2, &s, &err), SEGKIT_OK);
  assert_true(s == 1.0);
  assert_int_equal(segkit_davies_bouldin(same, 4, 2, lab, 2, &s, &err), SEGKIT_OK);
  assert_true(s == 0.0);
  /* rows 0, 1, 10 with 10 alone: rows 0 and 1 score (10 - 1) / 10 and (9 - 1) / 9, the
   * singleton 0 */
  double x[3] = {0, 1, 10};
  int32_t l2[3] = {0, 0, 1};
  assert_int_equal(segkit_silhouette(x, 3, 1, l2, 2, 0, 0, 1, &s, NULL, &err), SEGKIT_OK);
  assert_true(ck_close(s, (9.0 / 10.0 + 8.0 / 9.0) / 3, 1e-15));
  /* an empty cluster in 0..k-1 is ignored, as scikit-learn only sees the labels present */
  double s3 = 0;
  assert_int_equal(segkit_silhouette(x, 3, 1, l2, 5, 0, 0, 1, &s3, NULL, &err), SEGKIT_OK);
  assert_true(s3 == s);
}

static void cluster_scores_refuse_bad_input(void **state) {
  (void)state;
  double x[3] = {0, 1, 10};
  int32_t one[3] = {0, 0, 0};
  int32_t all[3] = {0, 1, 2};
  int32_t bad[3] = {0, 7, 1};
  segkit_error err;
  double s = 0;
  assert_int_equal(segkit_silhouette(x, 3, 1, one, 2, 0, 0, 1, &s, NULL, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_silhouette(x, 3, 1, all, 3, 0, 0, 1, &s, NULL, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_calinski_harabasz(x, 3, 1, bad, 2, &s, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "row 2"));
  assert_int_equal(segkit_davies_bouldin(x, 3, 1, one, 1, &s, &err), SEGKIT_ERR_USAGE);
  double nan_x[3] = {0, NAN, 1};
  int32_t ok[3] = {0, 0, 1};
  assert_int_equal(segkit_silhouette(nan_x, 3, 1, ok, 2, 0, 0, 1, &s, NULL, &err),
                   SEGKIT_ERR_USAGE);
  int32_t neg[3] = {0, -1, 1};
  assert_int_equal(segkit_adjusted_rand(ok, neg, 3, &s, &err), SEGKIT_ERR_USAGE);
}

/* 3000 rows in 4 blobs: the silhouette is bit-for-bit the same with 1, 2 and 3 threads;
 * a sample of 500 uses 500 rows, depends on the seed only, and equals the exact
 * silhouette of the rows it drew (checked via a sample as large as... the data, i.e. the
 * exact path, on those rows). */
static void cluster_scores_threads_and_sampling(void **state) {
  (void)state;
  enum { N = 3000, D = 5 };
  double *x = malloc(N * D * sizeof *x);
  int32_t *lab = malloc(N * sizeof *lab);
  assert_non_null(x);
  assert_non_null(lab);
  uint64_t s = 12345;
  for (size_t i = 0; i < N; i++) {
    lab[i] = (int32_t)(i % 4);
    for (size_t j = 0; j < D; j++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      x[i * D + j] = (double)(s >> 11) * 0x1.0p-53 + 1.5 * (double)lab[i] * (j == (size_t)lab[i]);
    }
  }
  segkit_error err;
  double a = 0;
  double b = 0;
  double c = 0;
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, 0, 0, 1, &a, NULL, &err), SEGKIT_OK);
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, 0, 0, 2, &b, NULL, &err), SEGKIT_OK);
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, 0, 0, 3, &c, NULL, &err), SEGKIT_OK);
  assert_memory_equal(&a, &b, sizeof a);
  assert_memory_equal(&a, &c, sizeof a);
  size_t used = 0;
  double p = 0;
  double q = 0;
  double r = 0;
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, 500, 7, 2, &p, &used, &err), SEGKIT_OK);
  assert_int_equal(used, 500);
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, 500, 7, 1, &q, NULL, &err), SEGKIT_OK);
  assert_memory_equal(&p, &q, sizeof p);
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, 500, 8, 1, &r, NULL, &err), SEGKIT_OK);
  assert_true(p != r);
  assert_true(fabs(p - a) < 0.05); /* a sample estimates the whole */
  /* sample_size >= n is the exact score */
  assert_int_equal(segkit_silhouette(x, N, D, lab, 4, N, 7, 1, &q, &used, &err), SEGKIT_OK);
  assert_int_equal(used, N);
  assert_memory_equal(&a, &q, sizeof a);
  free(x);
  free(lab);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cluster_scores_iris_match_sklearn),
      cmocka_unit_test(cluster_scores_iris_silhouette_matches_r_cluster),
      cmocka_unit_test(cluster_scores_ari_matches_sklearn),
      cmocka_unit_test(cluster_scores_hand_example_k2),
      cmocka_unit_test(cluster_scores_identical_rows_and_singletons),
      cmocka_unit_test(cluster_scores_refuse_bad_input),
      cmocka_unit_test(cluster_scores_threads_and_sampling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
