/* Segment-against-rest comparisons of any measure (segkit_comparisons_test), against
 * values worked by hand:
 *   proportion 10/100 vs 20/100: pooled 0.15, se0 = sqrt(0.15 x 0.85 x (1/100 + 1/100)),
 *     z = -0.1 / se0 = -1.980295086, p = erfc(|z| / sqrt 2) = 0.04767038;
 *   estimate 1.1 (se 0.05) vs 1.0 (se 0.05): z = 0.1 / sqrt(0.005) = 1.414213562,
 *     p = 0.1572992071; its interval 1.1 -/+ 1.959963985 x 0.05;
 *   Benjamini-Hochberg over the two: 0.04767038 x 2 / 1 and 0.1572992 x 2 / 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "segkit/insight.h"

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void compare_proportion_and_estimate(void **state) {
  (void)state;
  segkit_comparison c[3] = {
      {.kind = SEGKIT_COMPARE_PROPORTION, .n = 100, .n_rest = 100, .events = 10, .trials = 100,
       .events_rest = 20, .trials_rest = 100},
      {.kind = SEGKIT_COMPARE_ESTIMATE, .n = 40, .n_rest = 60, .value = 1.1, .se = 0.05,
       .value_rest = 1.0, .se_rest = 0.05},
      /* too small: never tested, never in the correction */
      {.kind = SEGKIT_COMPARE_ESTIMATE, .n = 5, .n_rest = 95, .value = 3.0, .se = 0.01,
       .value_rest = 1.0, .se_rest = 0.01},
  };
  size_t m = 0;
  segkit_error err;
  assert_int_equal(segkit_comparisons_test(c, 3, NULL, &m, &err), SEGKIT_OK);
  assert_int_equal(m, 2);
  assert_close(c[0].value, 0.1, 1e-15);
  assert_close(c[0].value_rest, 0.2, 1e-15);
  assert_close(c[0].ratio, 0.5, 1e-15);
  assert_close(c[0].z, -1.980295086, 1e-8);
  assert_close(c[0].p, 0.04767038, 1e-8);
  assert_close(c[0].p_adjusted, 2 * 0.04767038, 2e-8);
  assert_false(c[0].significant); /* 0.095 is above 0.05 */
  /* Wilson 10/100 at 95%: 0.05522914 .. 0.17436566 */
  assert_close(c[0].lower, 0.05522914, 1e-7);
  assert_close(c[0].upper, 0.17436566, 1e-7);
  assert_close(c[1].z, 1.414213562, 1e-8);
  assert_close(c[1].p, 0.1572992071, 1e-9);
  assert_close(c[1].p_adjusted, 0.1572992071, 1e-9);
  assert_close(c[1].lower, 1.1 - 1.959963985 * 0.05, 1e-8);
  assert_close(c[1].upper_rest, 1.0 + 1.959963985 * 0.05, 1e-8);
  assert_true(c[2].too_small);
  assert_true(isnan(c[2].p));
  assert_false(c[2].significant);
  /* a looser alpha makes the first a finding */
  segkit_rate_options o = {.alpha = 0.10};
  assert_int_equal(segkit_comparisons_test(c, 3, &o, &m, &err), SEGKIT_OK);
  assert_true(c[0].significant);
  assert_false(c[1].significant);
}

static void compare_floor_and_bad_input(void **state) {
  (void)state;
  segkit_comparison c = {.kind = SEGKIT_COMPARE_ESTIMATE, .n = 50, .n_rest = 50, .value = 0.05,
                         .se = 0.1, .value_rest = 0.05, .se_rest = 0.1, .floor_zero = true};
  segkit_error err;
  assert_int_equal(segkit_comparisons_test(&c, 1, NULL, NULL, &err), SEGKIT_OK);
  assert_close(c.lower, 0.0, 0);
  assert_close(c.p, 1.0, 1e-15);
  segkit_comparison bad = {.kind = SEGKIT_COMPARE_PROPORTION, .n = 50, .n_rest = 50,
                           .events = 11, .trials = 10, .trials_rest = 10};
  assert_int_equal(segkit_comparisons_test(&bad, 1, NULL, NULL, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "comparison 0"));
  segkit_comparison neg = {.kind = SEGKIT_COMPARE_ESTIMATE, .n = 50, .n_rest = 50, .value = 1,
                           .se = -1, .value_rest = 1, .se_rest = 1};
  assert_int_equal(segkit_comparisons_test(&neg, 1, NULL, NULL, &err), SEGKIT_ERR_USAGE);
  /* no estimate on a side (NaN): not a test */
  segkit_comparison none = {.kind = SEGKIT_COMPARE_ESTIMATE, .n = 50, .n_rest = 50,
                            .value = NAN, .se = NAN, .value_rest = 1, .se_rest = 0.1};
  size_t m = 9;
  assert_int_equal(segkit_comparisons_test(&none, 1, NULL, &m, &err), SEGKIT_OK);
  assert_int_equal(m, 0);
  assert_true(isnan(none.p));
}

/* LTV-like estimates on the log scale, with a covariance between the sides: value 2000 vs
 * 1000 with log standard errors 0.3 and 0.4 and covariance 0.02: z = ln 2 / sqrt(0.09 +
 * 0.16 - 0.04) = 0.693147 / 0.458258 = 1.512571, p = 0.130389 (R: 2 * pnorm(-1.512571));
 * the interval exp(ln 2000 -/+ 1.959964 x 0.3) = 1110.886 .. 3600.729 (R). An unbounded value
 * (no churn) is not a test. */
static void compare_log_estimates(void **state) {
  (void)state;
  segkit_comparison c[2] = {
      {.kind = SEGKIT_COMPARE_LOG_ESTIMATE,
       .n = 80,
       .n_rest = 90,
       .value = 2000,
       .se = 0.3,
       .value_rest = 1000,
       .se_rest = 0.4,
       .cov = 0.02},
      {.kind = SEGKIT_COMPARE_LOG_ESTIMATE,
       .n = 80,
       .n_rest = 90,
       .value = INFINITY,
       .se = NAN,
       .value_rest = 1000,
       .se_rest = 0.4},
  };
  size_t m = 0;
  segkit_error err;
  assert_int_equal(segkit_comparisons_test(c, 2, NULL, &m, &err), SEGKIT_OK);
  assert_int_equal(m, 1);
  assert_close(c[0].ratio, 2.0, 1e-15);
  assert_close(c[0].z, log(2.0) / sqrt(0.21), 1e-12);
  assert_close(c[0].z, 1.5125711536, 1e-9);
  assert_close(c[0].p, 0.1303886261, 1e-9);
  assert_close(c[0].lower, 2000 * exp(-1.959963984540054 * 0.3), 1e-9);
  assert_close(c[0].upper, 3600.7291834941, 1e-8);
  assert_close(c[0].lower, 1110.8861000533, 1e-8);
  assert_close(c[0].upper_rest, 1000 * exp(1.959963984540054 * 0.4), 1e-9);
  assert_true(isnan(c[1].p));
  assert_false(c[1].significant);
  segkit_comparison bad = c[0];
  bad.cov = INFINITY;
  assert_int_equal(segkit_comparisons_test(&bad, 1, NULL, NULL, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "covariance"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(compare_proportion_and_estimate),
      cmocka_unit_test(compare_floor_and_bad_input),
      cmocka_unit_test(compare_log_estimates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
