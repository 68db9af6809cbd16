/* PCA against scikit-learn 1.2's PCA on Iris (tests/data/cluster/make_reference.py):
 * explained variances and ratios to 1e-10 relative, loadings to 1e-10 under the sign rule
 * of cluster.h (applied to scikit-learn's components in the script), projections; and the
 * argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segkit/cluster.h"
#include "test_cluster_scores_kit.h"

#define REF SEGKIT_TEST_DATA "/cluster"

static void cluster_pca_iris_matches_sklearn(void **state) {
  (void)state;
  double x[600];
  int32_t species[150];
  assert_int_equal(ck_iris(x, species), 150);
  ck_rows *r = ck_read(REF, "iris_pca.csv");
  ck_rows *sc = ck_read(REF, "iris_pca_scores.csv");
  assert_non_null(r);
  assert_non_null(sc);
  segkit_error err;
  for (size_t nc = 1; nc <= 4; nc++) {
    segkit_pca *p = NULL;
    assert_int_equal(segkit_pca_fit(x, 150, 4, nc, &p, &err), SEGKIT_OK);
    assert_int_equal(segkit_pca_n_components(p), nc);
    for (size_t c = 0; c < nc; c++) {
      assert_true(ck_close(segkit_pca_explained_variance(p)[c], ck_num(r, c, 1), 1e-10));
      assert_true(ck_close(segkit_pca_explained_ratio(p)[c], ck_num(r, c, 2), 1e-10));
      for (size_t j = 0; j < 4; j++)
        assert_true(fabs(segkit_pca_components(p)[c * 4 + j] - ck_num(r, c, 3 + j)) < 1e-10);
    }
    if (nc == 2) {
      double out[20];
      segkit_pca_project(p, x, 10, out);
      for (size_t i = 0; i < 10; i++)
        for (size_t c = 0; c < 2; c++)
          assert_true(fabs(out[i * 2 + c] - ck_num(sc, i, c)) < 1e-10);
    }
    segkit_pca_free(p);
  }
  free(r);
  free(sc);
}

/* A hand case: rows (1, 1), (-1, -1), (2, 2), (-2, -2) lie on the diagonal: one component
 * (1, 1) / sqrt 2 with variance (2 + 2 + 8 + 8) / 3 = 20 / 3, the other variance 0. */
static void cluster_pca_hand_case_and_sign(void **state) {
  (void)state;
  double x[8] = {1, 1, -1, -1, 2, 2, -2, -2};
  segkit_pca *p = NULL;
  segkit_error err;
  assert_int_equal(segkit_pca_fit(x, 4, 2, 2, &p, &err), SEGKIT_OK);
  const double *v = segkit_pca_components(p);
  assert_true(fabs(v[0] - sqrt(0.5)) < 1e-14 && fabs(v[1] - sqrt(0.5)) < 1e-14);
  assert_true(ck_close(segkit_pca_explained_variance(p)[0], 20.0 / 3.0, 1e-14));
  assert_true(fabs(segkit_pca_explained_variance(p)[1]) < 1e-14);
  assert_true(ck_close(segkit_pca_explained_ratio(p)[0], 1.0, 1e-14));
  /* the second component's largest loading (first on the tie) is positive */
  assert_true(v[2] > 0);
  segkit_pca_free(p);
}

static void cluster_pca_refuses_bad_arguments(void **state) {
  (void)state;
  double x[4] = {1, 2, 3, NAN};
  segkit_pca *p = NULL;
  segkit_error err;
  assert_int_equal(segkit_pca_fit(x, 1, 4, 1, &p, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_pca_fit(x, 2, 2, 3, &p, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_pca_fit(x, 2, 2, 0, &p, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_pca_fit(x, 2, 2, 1, &p, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "row 2, column 2"));
  assert_null(p);
  segkit_pca_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cluster_pca_iris_matches_sklearn),
      cmocka_unit_test(cluster_pca_hand_case_and_sign),
      cmocka_unit_test(cluster_pca_refuses_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
