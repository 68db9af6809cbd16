/* Ward clustering against scipy.cluster.hierarchy (linkage method='ward', fcluster
 * maxclust; tests/data/cluster/make_reference.py) on Iris and a random 200 x 3 set:
 * the linkage matrix (ids, heights to 1e-9, sizes), the cut labels up to renumbering,
 * centroids, inertia and sizes from the labels; weights as copies; the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segkit/cluster.h"
#include "test_cluster_scores_kit.h"

#define REF SEGKIT_TEST_DATA "/cluster"

static segkit_cluster_model *fit_ward(const double *x, size_t n, size_t d, const double *w,
                                      size_t k) {
  segkit_cluster_data data = {x, n, d, NULL, 0, NULL, w};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_WARD;
  opt.k = k;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  segkit_status st = segkit_cluster_fit(&data, &opt, &m, &err);
  if (st != SEGKIT_OK)
    printf("fit: %s\n", err.message);
  assert_int_equal(st, SEGKIT_OK);
  return m;
}

/* a and b are the same partition: a one-to-one map between their labels. */
static void assert_same_partition(const int32_t *a, const int32_t *b, size_t n, size_t k) {
  int32_t map[64];
  int32_t back[64];
  for (size_t c = 0; c < 64; c++)
    map[c] = back[c] = -1;
  for (size_t i = 0; i < n; i++) {
    assert_true(a[i] >= 0 && a[i] < 64 && b[i] >= 0 && b[i] < 64);
    if (map[a[i]] < 0 && back[b[i]] < 0) {
      map[a[i]] = b[i];
      back[b[i]] = a[i];
    }
    assert_int_equal(map[a[i]], b[i]);
    assert_int_equal(back[b[i]], a[i]);
  }
  size_t used = 0;
  for (size_t c = 0; c < 64; c++)
    used += map[c] >= 0;
  assert_int_equal(used, k);
}

/* Centroids are the label means, inertia the sum of squares around them, sizes counts. */
static void assert_model_consistent(const segkit_cluster_model *m, const double *x, size_t d) {
  size_t n = segkit_cluster_model_n(m);
  size_t k = segkit_cluster_model_k(m);
  const int32_t *lab = segkit_cluster_model_labels(m);
  double sum[64 * 8] = {0};
  size_t cnt[64] = {0};
  for (size_t i = 0; i < n; i++) {
    cnt[lab[i]]++;
    for (size_t j = 0; j < d; j++)
      sum[lab[i] * d + j] += x[i * d + j];
  }
  double ss = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) {
      double t = x[i * d + j] - sum[lab[i] * d + j] / (double)cnt[lab[i]];
      ss += t * t;
    }
  for (size_t c = 0; c < k; c++) {
    assert_int_equal(segkit_cluster_model_sizes(m)[c], cnt[c]);
    assert_true(ck_close(segkit_cluster_model_shares(m)[c], (double)cnt[c] / (double)n, 1e-14));
    for (size_t j = 0; j < d; j++)
      assert_true(ck_close(segkit_cluster_model_centroids(m)[c * d + j],
                           sum[c * d + j] / (double)cnt[c], 1e-12));
  }
  assert_true(ck_close(segkit_cluster_model_inertia(m), ss, 1e-12));
}

/* The two linkage matrices describe the same dendrogram: every merge makes the same set
 * of rows at the same height (1e-9 relative), in the same order except among merges whose
 * heights tie to rounding (sqrt(0.06) computed two ways differs in the last bit, and the
 * stable sort then orders the tied merges differently, which renumbers later ids). */
typedef struct leafset {
  uint64_t w[4];
} leafset;

static void build_sets(const double *z, size_t n, leafset *sets) {
  memset(sets, 0, (2 * n) * sizeof *sets);
  for (size_t i = 0; i < n; i++)
    sets[i].w[i / 64] |= UINT64_C(1) << (i % 64);
  for (size_t i = 0; i + 1 < n; i++) {
    size_t a = (size_t)z[i * 4];
    size_t b = (size_t)z[i * 4 + 1];
    assert_true(a < n + i && b < n + i);
    for (size_t w = 0; w < 4; w++)
      sets[n + i].w[w] = sets[a].w[w] | sets[b].w[w];
  }
}

static void assert_same_dendrogram(const double *got, const double *want, size_t n) {
  assert_true(n <= 256);
  leafset *sg = malloc(2 * n * sizeof *sg);
  leafset *sw = malloc(2 * n * sizeof *sw);
  assert_non_null(sg);
  assert_non_null(sw);
  build_sets(got, n, sg);
  build_sets(want, n, sw);
  size_t reordered = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    double h = want[i * 4 + 2];
    assert_true(fabs(got[i * 4 + 2] - h) <= 1e-9 * h + 1e-12); /* heights in order */
    size_t j = 0;
    while (j + 1 < n && memcmp(&sg[n + i], &sw[n + j], sizeof(leafset)) != 0)
      j++;
    assert_true(j + 1 < n); /* scipy made the same cluster... */
    assert_true(fabs(got[i * 4 + 2] - want[j * 4 + 2]) <= 1e-12 * h + 1e-15); /* ...as high */
    assert_int_equal((long)got[i * 4 + 3], (long)want[j * 4 + 3]);
    if (j != i)
      reordered++;
    else if (memcmp(got + i * 4, want + i * 4, 2 * sizeof *got) != 0)
      reordered++;
  }
  if (reordered)
    printf("     (%zu merges ordered or numbered differently among tied heights)\n", reordered);
  free(sg);
  free(sw);
}

static void check_against_scipy(const double *x, size_t n, size_t d, const char *stem) {
  char name[128];
  snprintf(name, sizeof name, "%s_ward_linkage.csv", stem);
  ck_rows *z = ck_read(REF, name);
  snprintf(name, sizeof name, "%s_ward_fcluster.csv", stem);
  ck_rows *fc = ck_read(REF, name);
  assert_non_null(z);
  assert_non_null(fc);
  assert_int_equal(z->n, n - 1);
  assert_int_equal(fc->n, n);
  for (size_t k = 2; k <= 6; k++) {
    segkit_cluster_model *m = fit_ward(x, n, d, NULL, k);
    const double *mg = segkit_cluster_model_merges(m);
    assert_non_null(mg);
    double ref[199 * 4];
    for (size_t i = 0; i + 1 < n; i++)
      for (size_t c = 0; c < 4; c++)
        ref[i * 4 + c] = ck_num(z, i, c);
    assert_same_dendrogram(mg, ref, n);
    int32_t want_lab[200];
    for (size_t i = 0; i < n; i++)
      want_lab[i] = (int32_t)ck_num(fc, i, k - 2);
    assert_same_partition(segkit_cluster_model_labels(m), want_lab, n, k);
    assert_model_consistent(m, x, d);
    assert_true(segkit_cluster_model_converged(m));
    assert_true(isnan(segkit_cluster_model_bic(m)));
    segkit_cluster_model_free(m);
  }
  free(z);
  free(fc);
}

static void cluster_ward_iris_matches_scipy(void **state) {
  (void)state;
  double x[600];
  int32_t species[150];
  assert_int_equal(ck_iris(x, species), 150);
  check_against_scipy(x, 150, 4, "iris");
}

static void load_random(double *x) {
  ck_rows *r = ck_read(REF, "random_x.csv");
  assert_non_null(r);
  assert_int_equal(r->n, 200);
  for (size_t i = 0; i < 200; i++)
    for (size_t j = 0; j < 3; j++)
      x[i * 3 + j] = ck_num(r, i, j);
  free(r);
}

static void cluster_ward_random_matches_scipy(void **state) {
  (void)state;
  double x[600];
  load_random(x);
  check_against_scipy(x, 200, 3, "random");
}

/* A row of weight 2 is two copies of the row: the copies merge at height 0 first, after
 * which both runs merge the same clusters at the same heights. */
static void cluster_ward_weights_are_copies(void **state) {
  (void)state;
  double x[600];
  load_random(x);
  enum { N = 60 };
  double w[N];
  double dup[(N + 1) * 3];
  for (size_t i = 0; i < N; i++)
    w[i] = i == 5 ? 2.0 : 1.0;
  memcpy(dup, x, N * 3 * sizeof *x);
  memcpy(dup + N * 3, x + 5 * 3, 3 * sizeof *x);
  segkit_cluster_model *a = fit_ward(x, N, 3, w, 4);
  segkit_cluster_model *b = fit_ward(dup, N + 1, 3, NULL, 4);
  const double *ma = segkit_cluster_model_merges(a);
  const double *mb = segkit_cluster_model_merges(b);
  assert_true(mb[2] == 0.0);
  for (size_t i = 0; i + 1 < N; i++) /* b's merge i + 1 is a's merge i */
    assert_true(fabs(ma[i * 4 + 2] - mb[(i + 1) * 4 + 2]) <= 1e-12 * mb[(i + 1) * 4 + 2]);
  assert_same_partition(segkit_cluster_model_labels(a), segkit_cluster_model_labels(b), N, 4);
  /* shares are weighted: the cluster of row 6 has one more unit of weight than rows */
  const int32_t *la = segkit_cluster_model_labels(a);
  size_t c = (size_t)la[5];
  assert_true(ck_close(segkit_cluster_model_shares(a)[c],
                       (double)(segkit_cluster_model_sizes(a)[c] + 1) / (N + 1), 1e-14));
  segkit_cluster_model_free(a);
  segkit_cluster_model_free(b);
}

static void cluster_ward_limits(void **state) {
  (void)state;
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_WARD;
  opt.k = 3;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  double same[8] = {1, 1, 1, 1, 2, 2, 1, 1};
  segkit_cluster_data data = {same, 4, 2, NULL, 0, NULL, NULL};
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  assert_non_null(strstr(err.message, "2 distinct rows"));
  opt.k = 2;
  double w[4] = {1, 0, 1, 1};
  data.weights = w;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "row 2"));
  data.weights = NULL;
  assert_int_equal(segkit_cluster_fit(&data, &opt, &m, &err), SEGKIT_OK);
  /* the identical rows 1, 2, 4 share a cluster; row 3 is alone */
  const int32_t *lab = segkit_cluster_model_labels(m);
  assert_true(lab[0] == lab[1] && lab[1] == lab[3] && lab[2] != lab[0]);
  assert_true(segkit_cluster_model_inertia(m) == 0.0);
  segkit_cluster_model_free(m);
  double *big = calloc(20001, sizeof *big);
  assert_non_null(big);
  segkit_cluster_data bd = {big, 20001, 1, NULL, 0, NULL, NULL};
  assert_int_equal(segkit_cluster_fit(&bd, &opt, &m, &err), SEGKIT_ERR_LIMIT);
  free(big);
  /* one row, k = 1: no merges, one cluster */
  double one[2] = {3, 4};
  segkit_cluster_data od = {one, 1, 2, NULL, 0, NULL, NULL};
  opt.k = 1;
  assert_int_equal(segkit_cluster_fit(&od, &opt, &m, &err), SEGKIT_OK);
  assert_int_equal(segkit_cluster_model_labels(m)[0], 0);
  assert_true(segkit_cluster_model_centroids(m)[1] == 4.0);
  segkit_cluster_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cluster_ward_iris_matches_scipy),
      cmocka_unit_test(cluster_ward_random_matches_scipy),
      cmocka_unit_test(cluster_ward_weights_are_copies),
      cmocka_unit_test(cluster_ward_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
