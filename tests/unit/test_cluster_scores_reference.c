/* Drift check of the committed reference files of the cluster judging, Ward, PCA and
 * preprocessing tests: rerun tests/data/cluster/make_reference.py (scikit-learn, scipy),
 * make_reference.R (R's cluster package) and make_prep_reference.py into a temporary
 * folder when the tools are installed, and compare with the committed files field by
 * field (numbers to 1e-9 relative, text exactly). A changed upstream answer, or an edited
 * script whose output was not recommitted, fails here; without the tools it is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_cluster_scores_kit.h"
#include "testkit.h"

#define REF SEGKIT_TEST_DATA "/cluster"

static int token_differs(const char *a, const char *b) {
  if (strcmp(a, b) == 0)
    return 0;
  char *ea = NULL;
  char *eb = NULL;
  double x = strtod(a, &ea);
  double y = strtod(b, &eb);
  if (ea == a || eb == b || *ea != '\0' || *eb != '\0')
    return 1;
  return !(fabs(x - y) <= 1e-9 * fabs(y) + 1e-15);
}

static int compare(const char *fresh_dir, const char *name) {
  ck_rows *a = ck_read(REF, name);
  ck_rows *b = ck_read(fresh_dir, name);
  assert_non_null(a);
  assert_non_null(b);
  int bad = a->n != b->n;
  for (size_t r = 0; !bad && r < a->n; r++) {
    bad = a->n_fields[r] != b->n_fields[r];
    for (size_t c = 0; !bad && c < a->n_fields[r]; c++) {
      bad = token_differs(b->field[r][c], a->field[r][c]);
      if (bad)
        printf("%s: row %zu field %zu: committed %s, now %s\n", name, r + 1, c + 1,
               a->field[r][c], b->field[r][c]);
    }
  }
  free(a);
  free(b);
  return bad;
}

static void cluster_python_reference_has_not_drifted(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import sklearn, scipy, pandas' >/dev/null 2>&1") != 0)
    skip();
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s/make_reference.py' '%s/iris/iris.csv' '%s' >/dev/null 2>&1 && "
           "/usr/bin/python3 '%s/make_prep_reference.py' '%s' >/dev/null 2>&1",
           REF, SEGKIT_SHARED_DATA, dir, REF, dir);
  assert_int_equal(system(cmd), 0);
  const char *files[] = {"random_x.csv", "iris_labels.csv", "iris_scores.csv", "iris_ari.csv",
                         "iris_ward_linkage.csv", "iris_ward_fcluster.csv",
                         "random_ward_linkage.csv", "random_ward_fcluster.csv", "iris_pca.csv",
                         "iris_pca_scores.csv", "sweep_blobs.csv", "sweep_blobs_ward.csv",
                         "prep_customers.csv", "prep_new_customers.csv",
                         "prep_expected_a.csv", "prep_expected_a_new.csv",
                         "prep_expected_b.csv", "prep_expected_b_new.csv",
                         "prep_expected_c.csv", "prep_expected_c_new.csv",
                         "prep_expected_d.csv", "prep_expected_d_new.csv"};
  int bad = 0;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    bad |= compare(dir, files[i]);
  assert_int_equal(bad, 0);
  tu_rmtree(dir);
  free(dir);
}

static void cluster_r_reference_has_not_drifted(void **state) {
  (void)state;
  if (system("command -v Rscript >/dev/null 2>&1 && "
             "Rscript -e 'library(cluster)' >/dev/null 2>&1") != 0)
    skip();
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "Rscript '%s/make_reference.R' '%s/iris/iris.csv' '%s/iris_labels.csv' '%s' "
           ">/dev/null 2>&1",
           REF, SEGKIT_SHARED_DATA, REF, dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(compare(dir, "iris_silhouette_R.csv"), 0);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cluster_python_reference_has_not_drifted),
      cmocka_unit_test(cluster_r_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
