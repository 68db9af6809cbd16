/* Planted effects of the sample data, measured by an independent implementation: the
 * library generates 30000 customers and 2000 respondents into a temporary directory, then
 * tests/data/sample/check_planted.py (pandas, scipy, scikit-learn from Debian) reads the
 * files and checks the adopter churn hazard ratio (0.25), annual vs monthly churn, churn by
 * plan, refunds, the decline of logins before churn, the codebook and k-means recovery of
 * the survey segments. The script prints what it measured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/sample.h"
#include "testkit.h"

static void sample_planted_effects_measured_by_python(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  segkit_sample_options o;
  segkit_sample_options_init(&o);
  o.n_customers = 30000;
  o.seed = 2024;
  segkit_error err;
  segkit_status st = segkit_sample_generate(dir, &o, NULL, &err);
  assert_int_equal(st, SEGKIT_OK);

  char cmd[2048];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/sample/check_planted.py '%s'", SEGKIT_TEST_DATA,
           dir);
  int rc = system(cmd);
  tu_rmtree(dir);
  free(dir);
  if (rc != 0) {
    fail_msg("check_planted.py failed (status %d): see its output above; it needs Debian's "
             "python3-pandas, python3-scipy and python3-sklearn",
             rc);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sample_planted_effects_measured_by_python),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
