/* Latent class analysis with missing answers on real data: poLCA's election example, all
 * 1785 rows with the missing answers kept (poLCA with na.rm = FALSE, for which the
 * documentation prints no figures), against an independent numpy EM
 * (tests/data/cluster/lca_reference.py -> lca_election_missing.txt). A drift test reruns
 * the script with /usr/bin/python3 when numpy is there. */
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

enum { N_ITEMS = 12 };

static int32_t *read_election(size_t *n_out, int32_t *levels) {
  char path[1024];
  snprintf(path, sizeof path, "%s/polca/election_codes.csv", SEGKIT_SHARED_DATA);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  size_t cap = 2000;
  int32_t *cat = malloc(cap * N_ITEMS * sizeof *cat);
  assert_non_null(cat);
  static char line[1024];
  assert_non_null(fgets(line, sizeof line, fp));
  size_t n = 0;
  memset(levels, 0, N_ITEMS * sizeof *levels);
  while (fgets(line, sizeof line, fp)) {
    assert_true(n < cap);
    char *p = line;
    for (size_t j = 0; j < N_ITEMS; j++) {
      char *q = strchr(p, ',');
      assert_non_null(q);
      int32_t v = q == p ? -1 : (int32_t)strtol(p, NULL, 10) - 1;
      cat[n * N_ITEMS + j] = v;
      if (v + 1 > levels[j])
        levels[j] = v + 1;
      p = q + 1;
    }
    n++;
  }
  fclose(fp);
  *n_out = n;
  return cat;
}

/* "nclass R key v1 v2 ..." lines of the reference file. */
static size_t read_ref(int nclass, const char *key, double *out, size_t max) {
  char path[1024];
  snprintf(path, sizeof path, "%s/cluster/lca_election_missing.txt", SEGKIT_TEST_DATA);
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  static char line[1024];
  size_t k = 0;
  while (fgets(line, sizeof line, fp)) {
    int r = 0;
    char name[64];
    int used = 0;
    if (sscanf(line, "nclass %d %63s %n", &r, name, &used) != 2 || r != nclass ||
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

static int cmp_index_by_share(const void *a, const void *b, const double *shares) {
  double x = shares[*(const size_t *)a], y = shares[*(const size_t *)b];
  return x < y ? -1 : x > y;
}

static void lca_election_with_missing_matches_numpy(void **state) {
  (void)state;
  size_t n = 0;
  int32_t levels[N_ITEMS];
  int32_t *cat = read_election(&n, levels);
  assert_int_equal(n, 1785);
  size_t with_missing = 0;
  for (size_t i = 0; i < n; i++) {
    bool miss = false;
    for (size_t j = 0; j < N_ITEMS; j++)
      miss = miss || cat[i * N_ITEMS + j] < 0;
    with_missing += miss;
  }
  assert_int_equal(with_missing, 474);
  segkit_cluster_data d = {NULL, n, 0, cat, N_ITEMS, levels, NULL};
  for (int R = 2; R <= 3; R++) {
    double ll_ref = 0;
    double shares_ref[3];
    assert_int_equal(read_ref(R, "loglik", &ll_ref, 1), 1);
    assert_int_equal(read_ref(R, "shares", shares_ref, 3), (size_t)R);
    segkit_cluster_options opt;
    segkit_cluster_options_init(&opt);
    opt.method = SEGKIT_CLUSTER_LCA;
    opt.k = (size_t)R;
    opt.max_iter = 5000;
    opt.seed = 3;
    segkit_cluster_model *m = NULL;
    segkit_error err;
    assert_int_equal(segkit_cluster_fit(&d, &opt, &m, &err), SEGKIT_OK);
    double ll = segkit_cluster_model_log_likelihood(m);
    if (!(fabs(ll - ll_ref) < 1e-9 * fabs(ll_ref)))
      fail_msg("%d classes: LL %.10f, numpy %.10f", R, ll, ll_ref);
    const double *sh = segkit_cluster_model_shares(m);
    size_t order[3] = {0, 1, 2};
    for (int a = 0; a < R; a++) /* ascending share, as the file */
      for (int b = a + 1; b < R; b++)
        if (cmp_index_by_share(&order[b], &order[a], sh) < 0) {
          size_t t = order[a];
          order[a] = order[b];
          order[b] = t;
        }
    for (int c = 0; c < R; c++)
      assert_true(fabs(sh[order[c]] - shares_ref[c]) < 1e-5);
    if (R == 2) {
      double moral[2];
      assert_int_equal(read_ref(2, "moralg_level1", moral, 2), 2);
      for (int c = 0; c < 2; c++)
        assert_true(fabs(segkit_cluster_model_item_probs(m, order[c], 0)[0] - moral[c]) < 1e-5);
    }
    segkit_cluster_model_free(m);
  }
  free(cat);
}

static void lca_numpy_reference_has_not_drifted(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    skip();
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s/cluster/lca_reference.py' '%s' "
           "'%s/polca/election_codes.csv' >/dev/null 2>&1",
           SEGKIT_TEST_DATA, dir, SEGKIT_SHARED_DATA);
  assert_int_equal(system(cmd), 0);
  char committed[1024];
  snprintf(committed, sizeof committed, "%s/cluster/lca_election_missing.txt",
           SEGKIT_TEST_DATA);
  char *fresh = tu_path_join(dir, "lca_election_missing.txt");
  char why[512];
  long tokens = tu_compare_tokens(committed, fresh, 1e-7, 1e-10, why, sizeof why);
  if (tokens < 0)
    fail_msg("numpy reference drifted: %s", why);
  assert_true(tokens > 20);
  free(fresh);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lca_election_with_missing_matches_numpy),
      cmocka_unit_test(lca_numpy_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
