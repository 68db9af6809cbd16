/* Drift check of the committed R reference files: when Rscript (with the survival
 * package) is installed, rerun tests/data/survival/make_reference.R into a temporary
 * folder and compare its output with the committed files, field by field (numbers to
 * 1e-9 relative, text exactly). CI installs R, so there a changed R answer, or an edited
 * script whose output was not recommitted, fails here. Without R the test is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survival_testkit.h"
#include "testkit.h"

static int have_r_survival(void) {
  int rc = system("command -v Rscript >/dev/null 2>&1 && "
                  "Rscript -e 'library(survival)' >/dev/null 2>&1");
  return rc == 0;
}

/* 0 when both tokens are the same text or numbers within 1e-9 relative. */
static int token_differs(const char *a, const char *b) {
  if (strcmp(a, b) == 0) {
    return 0;
  }
  char *ea = NULL;
  char *eb = NULL;
  double x = strtod(a, &ea);
  double y = strtod(b, &eb);
  if (ea == a || eb == b || *ea != '\0' || *eb != '\0') {
    return 1;
  }
  return !(fabs(x - y) <= 1e-9 * fabs(y) + 1e-15);
}

static int compare_files(const char *committed, const char *fresh, const char *sep) {
  sv_rows *a = malloc(sizeof *a);
  sv_rows *b = malloc(sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  assert_true(sv_rows_read(committed, sep, a));
  assert_true(sv_rows_read(fresh, sep, b));
  int bad = a->n_rows != b->n_rows;
  for (size_t r = 0; !bad && r < a->n_rows; r++) {
    bad = a->n_cols[r] != b->n_cols[r];
    for (size_t c = 0; !bad && c < a->n_cols[r]; c++) {
      bad = token_differs(b->cell[r][c], a->cell[r][c]);
      if (bad) {
        printf("%s: row %zu field %zu: committed %s, R now %s\n", committed, r + 1, c + 1,
               a->cell[r][c], b->cell[r][c]);
      }
    }
  }
  free(a->text);
  free(b->text);
  free(a);
  free(b);
  return bad;
}

static void survival_r_reference_has_not_drifted(void **state) {
  (void)state;
  if (!have_r_survival()) {
    skip();
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "Rscript '%s/survival/make_reference.R' '%s' >/dev/null 2>&1",
           SEGKIT_TEST_DATA, dir);
  assert_int_equal(system(cmd), 0);
  const char *files[6] = {"km_lung_ecog_R.csv", "km_lung_months_R.csv",
                          "logrank_lung_ecog_R.txt", "km_lung_sex_ecog_R.csv",
                          "logrank_lung_sex_ecog_R.txt", "cox_lung_sex_R.txt"};
  const char *seps[6] = {",", ",", " ", ",", " ", " "};
  for (size_t i = 0; i < 6; i++) {
    char committed[1024];
    snprintf(committed, sizeof committed, "%s/survival/%s", SEGKIT_TEST_DATA, files[i]);
    char *fresh = tu_path_join(dir, files[i]);
    assert_int_equal(compare_files(committed, fresh, seps[i]), 0);
    free(fresh);
  }
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survival_r_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
