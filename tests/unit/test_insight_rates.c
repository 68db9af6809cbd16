/* Rate findings worked by hand: two plans of 100 customers, 30 and 10 churned; a third
 * plan of 5 customers too small to test; BH over the tested levels; errors named. R's
 * prop.test / p.adjust on real data: tests/cli/test_cli_insights.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "segkit/insight.h"

static void close_to(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol)) {
    fail_msg("got %.15g, want %.15g", got, want);
  }
}

static void hand_worked(void **state) {
  (void)state;
  enum { N = 205 };
  uint8_t event[N];
  int32_t plan[N];
  for (int i = 0; i < N; i++) {
    plan[i] = i < 100 ? 0 : i < 200 ? 1 : 2;
    event[i] = i < 100 ? i < 30 : i < 200 ? i < 110 : 1;
  }
  segkit_rate_dimension d = {.name = "plan", .codes = plan, .n_levels = 3};
  segkit_rate_findings *f = NULL;
  segkit_error err;
  assert_int_equal(segkit_rate_findings_new(N, event, &d, 1, NULL, &f, &err), SEGKIT_OK);
  assert_int_equal(segkit_rate_findings_n(f), 3);
  assert_int_equal(segkit_rate_findings_n_tests(f), 2);
  /* plan 0 against the rest: 30/100 vs 15/105 (10 + the 5 of plan 2) */
  const segkit_rate_finding *x = NULL;
  for (size_t i = 0; i < 3; i++) {
    if (segkit_rate_findings_at(f, i)->level == 0) {
      x = segkit_rate_findings_at(f, i);
    }
  }
  assert_non_null(x);
  assert_int_equal(x->n, 100);
  assert_int_equal(x->events, 30);
  assert_int_equal(x->n_rest, 105);
  assert_int_equal(x->events_rest, 15);
  double p1 = 0.3, p2 = 15.0 / 105, pool = 45.0 / 205;
  double z = (p1 - p2) / sqrt(pool * (1 - pool) * (1.0 / 100 + 1.0 / 105));
  close_to(x->z, z, 1e-12);
  close_to(x->p, erfc(fabs(z) / sqrt(2.0)), 1e-15);
  close_to(x->ratio, p1 / p2, 1e-12);
  /* Wilson 95% for 30/100 by hand: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n) */
  double q = 1.959963984540054, nn = 100;
  double centre = (p1 + q * q / (2 * nn)) / (1 + q * q / nn);
  double half = q * sqrt(p1 * (1 - p1) / nn + q * q / (4 * nn * nn)) / (1 + q * q / nn);
  close_to(x->lower, centre - half, 1e-9);
  close_to(x->upper, centre + half, 1e-9);
  /* plan 2 (5 customers) is too small: not tested, listed last */
  const segkit_rate_finding *last = segkit_rate_findings_at(f, 2);
  assert_true(last->too_small);
  assert_int_equal(last->level, 2);
  assert_true(isnan(last->p) && !last->significant);
  /* BH with two tests: the smaller p doubled, the larger kept (if not above the doubled) */
  const segkit_rate_finding *a = segkit_rate_findings_at(f, 0);
  const segkit_rate_finding *b = segkit_rate_findings_at(f, 1);
  assert_true(a->p <= b->p);
  close_to(a->p_adjusted, fmin(2 * a->p, b->p), 1e-15);
  close_to(b->p_adjusted, b->p, 1e-15);
  segkit_rate_findings_free(f);
}

static void bad_input(void **state) {
  (void)state;
  uint8_t event[3] = {0, 1, 2};
  int32_t codes[3] = {0, 1, 0};
  segkit_rate_dimension d = {.name = "plan", .codes = codes, .n_levels = 2};
  segkit_rate_findings *f = NULL;
  segkit_error err;
  assert_int_equal(segkit_rate_findings_new(3, event, &d, 1, NULL, &f, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "event");
  event[2] = 1;
  codes[1] = 7;
  assert_int_equal(segkit_rate_findings_new(3, event, &d, 1, NULL, &f, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "plan");
  assert_int_equal(segkit_rate_findings_new(3, event, &d, 0, NULL, &f, &err), SEGKIT_ERR_USAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hand_worked),
      cmocka_unit_test(bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
