/* Gaussian mixtures of iris with covariance regularisation (reg_covar = 0.05, large enough
 * to move the optimum by tens of log-likelihood units) against scikit-learn 1.2.1's
 * GaussianMixture, which adds reg_covar to every covariance diagonal after each M-step as
 * segkit does (mclust, in test_cluster_gmm_mclust.c, has no such term). Reference file
 * tests/data/cluster/gmm_iris_sklearn.txt from gmm_reference.py; a drift test reruns the
 * script when /usr/bin/python3 has scikit-learn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/cluster.h"
#include "testkit.h"

enum { IRIS_N = 150, IRIS_D = 4, G = 3 };

static double iris[IRIS_N * IRIS_D];

static void read_iris(void) {
  char path[1024];
  snprintf(path, sizeof path, "%s/iris/iris.csv", SEGKIT_SHARED_DATA);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  char line[512];
  assert_non_null(fgets(line, sizeof line, fp));
  size_t n = 0;
  while (n < IRIS_N && fgets(line, sizeof line, fp)) {
    char *p = line;
    for (size_t j = 0; j < IRIS_D; j++) {
      char *end = NULL;
      iris[n * IRIS_D + j] = strtod(p, &end);
      assert_true(end != p && *end == ',');
      p = end + 1;
    }
    n++;
  }
  fclose(fp);
  assert_int_equal(n, IRIS_N);
}

/* Numbers after "type TYPE KEY" in the reference file. */
static size_t read_ref(const char *type, const char *key, double *out, size_t max) {
  char path[1024];
  snprintf(path, sizeof path, "%s/cluster/gmm_iris_sklearn.txt", SEGKIT_TEST_DATA);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  char line[1024];
  size_t k = 0;
  while (fgets(line, sizeof line, fp)) {
    char t[32], name[32];
    int used = 0;
    if (sscanf(line, "type %31s %31s %n", t, name, &used) != 2 || strcmp(t, type) != 0 ||
        strcmp(name, key) != 0)
      continue;
    char *p = line + used;
    while (k < max) {
      char *end = NULL;
      double v = strtod(p, &end);
      if (end == p)
        break;
      out[k++] = v;
      p = end;
    }
  }
  fclose(fp);
  return k;
}

static void compare(const char *type, segkit_gmm_covariance cov) {
  read_iris();
  double ll_ref = 0;
  double weights[G];
  assert_int_equal(read_ref(type, "loglik", &ll_ref, 1), 1);
  assert_int_equal(read_ref(type, "weights", weights, G), G);
  segkit_cluster_data d = {iris, IRIS_N, IRIS_D, NULL, 0, NULL, NULL};
  segkit_cluster_options opt;
  segkit_cluster_options_init(&opt);
  opt.method = SEGKIT_CLUSTER_GMM;
  opt.k = G;
  opt.covariance = cov;
  opt.reg_covar = 0.05;
  opt.restarts = 30;
  opt.tol = 1e-13;
  opt.max_iter = 100000;
  opt.seed = 17;
  segkit_cluster_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_cluster_fit(&d, &opt, &m, &err), SEGKIT_OK);
  double ll = segkit_cluster_model_log_likelihood(m);
  if (!(fabs(ll - ll_ref) <= 1e-8 * fabs(ll_ref)))
    fail_msg("%s: LL %.10f, scikit-learn %.10f", type, ll, ll_ref);
  const double *mu = segkit_cluster_model_centroids(m);
  const double *pi = segkit_cluster_model_shares(m);
  int order[G] = {0, 1, 2};
  for (int a = 0; a < G; a++)
    for (int b = a + 1; b < G; b++)
      if (mu[order[b] * IRIS_D] < mu[order[a] * IRIS_D]) {
        int t = order[a];
        order[a] = order[b];
        order[b] = t;
      }
  for (int c = 0; c < G; c++) {
    char key[16];
    snprintf(key, sizeof key, "mean%d", c);
    double mean[IRIS_D];
    assert_int_equal(read_ref(type, key, mean, IRIS_D), IRIS_D);
    if (!(fabs(pi[order[c]] - weights[c]) < 1e-5))
      fail_msg("%s component %d: share %.8f, scikit-learn %.8f", type, c, pi[order[c]],
               weights[c]);
    for (size_t j = 0; j < IRIS_D; j++)
      assert_true(fabs(mu[order[c] * IRIS_D + j] - mean[j]) < 1e-4);
  }
  segkit_cluster_model_free(m);
}

static void gmm_iris_regularised_full_matches_sklearn(void **state) {
  (void)state;
  compare("full", SEGKIT_GMM_FULL);
}

static void gmm_iris_regularised_diag_matches_sklearn(void **state) {
  (void)state;
  compare("diag", SEGKIT_GMM_DIAG);
}

static void gmm_iris_regularised_spherical_matches_sklearn(void **state) {
  (void)state;
  compare("spherical", SEGKIT_GMM_SPHERICAL);
}

static void gmm_sklearn_reference_has_not_drifted(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import sklearn, pandas' >/dev/null 2>&1") != 0)
    skip();
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s/cluster/gmm_reference.py' '%s' '%s/iris/iris.csv' "
           ">/dev/null 2>&1",
           SEGKIT_TEST_DATA, dir, SEGKIT_SHARED_DATA);
  assert_int_equal(system(cmd), 0);
  char committed[1024];
  snprintf(committed, sizeof committed, "%s/cluster/gmm_iris_sklearn.txt", SEGKIT_TEST_DATA);
  char *fresh = tu_path_join(dir, "gmm_iris_sklearn.txt");
  char why[512];
  long tokens = tu_compare_tokens(committed, fresh, 1e-7, 1e-9, why, sizeof why);
  if (tokens < 0)
    fail_msg("scikit-learn reference drifted: %s", why);
  assert_true(tokens > 60);
  free(fresh);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gmm_iris_regularised_full_matches_sklearn),
      cmocka_unit_test(gmm_iris_regularised_diag_matches_sklearn),
      cmocka_unit_test(gmm_iris_regularised_spherical_matches_sklearn),
      cmocka_unit_test(gmm_sklearn_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
