/* Drift check of the committed survey references: when Rscript with the survey package
 * is installed, rerun tests/data/survey/make_data.R and make_reference.R into a
 * temporary folder and compare with the committed files (the data exactly, the numbers
 * to 1e-8 relative). A changed R answer, or an edited script whose output was not
 * recommitted, fails here. Without R (or the survey package) the test is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

static int have_r_survey(void) {
  int rc = system("command -v Rscript >/dev/null 2>&1 && "
                  "Rscript -e 'library(survey)' >/dev/null 2>&1");
  return rc == 0;
}

/* A copy of path in dir with commas turned into spaces, so tu_compare_tokens compares
 * CSV fields one by one. Returns the malloc'd path. */
static char *spaced_copy(const char *path, const char *dir, const char *name) {
  size_t size = 0;
  char *text = tu_read_file(path, &size);
  assert_non_null(text);
  for (size_t i = 0; i < size; i++) {
    text[i] = text[i] == ',' ? ' ' : text[i];
  }
  char *out = tu_write_file(dir, name, text, size);
  free(text);
  return out;
}

static void compare(const char *dir, const char *name, double rel) {
  char committed[1024];
  snprintf(committed, sizeof committed, "%s/survey/%s", SEGKIT_TEST_DATA, name);
  char *fresh = tu_path_join(dir, name);
  char a_name[256];
  char b_name[256];
  snprintf(a_name, sizeof a_name, "committed_%s", name);
  snprintf(b_name, sizeof b_name, "fresh_%s", name);
  char *a = spaced_copy(committed, dir, a_name);
  char *b = spaced_copy(fresh, dir, b_name);
  char why[512] = "";
  long tokens = tu_compare_tokens(a, b, rel, rel == 0.0 ? 0.0 : 1e-15, why, sizeof why);
  if (tokens < 0) {
    fail_msg("%s: %s", name, why);
  }
  assert_true(tokens > 10);
  free(a);
  free(b);
  free(fresh);
}

static void survey_r_reference_has_not_drifted(void **state) {
  (void)state;
  if (!have_r_survey()) {
    skip();
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "Rscript '%s/survey/make_data.R' '%s' >/dev/null 2>&1",
           SEGKIT_TEST_DATA, dir);
  assert_int_equal(system(cmd), 0);
  compare(dir, "respondents.csv", 0.0);
  compare(dir, "margins.csv", 0.0);
  snprintf(cmd, sizeof cmd, "Rscript '%s/survey/make_reference.R' '%s' >/dev/null 2>&1",
           SEGKIT_TEST_DATA, dir);
  assert_int_equal(system(cmd), 0);
  compare(dir, "rake_R.csv", 1e-8);
  compare(dir, "survey_R.txt", 1e-8);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survey_r_reference_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
