/* Event rates by group (segkit_rates_by_group) on a small snapshot whose counts are read
 * off by hand; Wilson bounds from scipy.stats.binomtest(k, n).proportion_ci("wilson")
 * (scipy 1.10, run once by hand: 1/2 -> [0.0945312057, 0.9054687943], 0/2 -> [0,
 * 0.6576197725], 3/6 -> [0.1876163065, 0.8123836935], 1/1 -> [0.2065493144, 1]). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "segkit/survival.h"

/* plan, annual, churn:
 *   pro true No | pro true Yes | pro false Yes | basic false No | basic false No |
 *   (null) false Yes | pro true (null)
 * Groups in key order (strings byte-wise, false < true, nulls last):
 *   basic/false 0 of 2, pro/false 1 of 1, pro/true 1 of 2, (null)/false 1 of 1;
 *   overall 3 of 6; 1 row skipped for its null flag. */
static segkit_table *snapshot(void) {
  const char *names[] = {"plan", "annual", "churn"};
  segkit_type types[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_BOOL, SEGKIT_TYPE_STRING};
  const char *plan[] = {"pro", "pro", "pro", "basic", "basic", NULL, "pro"};
  const int annual[] = {1, 1, 0, 0, 0, 0, 1};
  const char *churn[] = {"No", "Yes", "Yes", "No", "No", "Yes", NULL};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(3, names, types, &b, &err), SEGKIT_OK);
  for (int i = 0; i < 7; i++) {
    segkit_column_builder *p = segkit_table_builder_column(b, 0);
    segkit_column_builder *c = segkit_table_builder_column(b, 2);
    if (plan[i] != NULL) {
      segkit_column_append_string(p, plan[i], strlen(plan[i]));
    } else {
      segkit_column_append_null(p);
    }
    segkit_column_append_bool(segkit_table_builder_column(b, 1), annual[i] != 0);
    if (churn[i] != NULL) {
      segkit_column_append_string(c, churn[i], strlen(churn[i]));
    } else {
      segkit_column_append_null(c);
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  return t;
}

static void check(const segkit_group_rate *g, int64_t n, int64_t events, double lo, double hi) {
  assert_int_equal(g->n, n);
  assert_int_equal(g->events, events);
  assert_true(fabs(g->rate - (double)events / (double)n) < 1e-15);
  assert_true(fabs(g->ci_low - lo) < 1e-9);
  assert_true(fabs(g->ci_high - hi) < 1e-9);
  assert_true(g->too_small); /* every group is far below 30 */
}

static void survival_rates_by_two_columns(void **state) {
  (void)state;
  segkit_table *t = snapshot();
  const char *by[] = {"plan", "annual"};
  segkit_rate_columns cols = {by, 2, "churn", 0, "Yes"};
  segkit_group_rates *r = NULL;
  segkit_error err;
  assert_int_equal(segkit_rates_by_group(t, &cols, 0, 0, &r, &err), SEGKIT_OK);
  assert_int_equal(segkit_group_rates_n(r), 4);
  const char *expect[4][2] = {{"basic", "false"}, {"pro", "false"}, {"pro", "true"}, {"(null)", "false"}};
  for (size_t i = 0; i < 4; i++) {
    const segkit_group_rate *g = segkit_group_rates_get(r, i);
    assert_string_equal(g->key[0], expect[i][0]);
    assert_string_equal(g->key[1], expect[i][1]);
  }
  check(segkit_group_rates_get(r, 0), 2, 0, 0.0, 0.6576197725);
  check(segkit_group_rates_get(r, 1), 1, 1, 0.2065493144, 1.0);
  check(segkit_group_rates_get(r, 2), 2, 1, 0.0945312057, 0.9054687943);
  check(segkit_group_rates_get(r, 3), 1, 1, 0.2065493144, 1.0);
  check(segkit_group_rates_overall(r), 6, 3, 0.1876163065, 0.8123836935);
  assert_int_equal(segkit_group_rates_skipped_null(r), 1);
  segkit_group_rates_free(r);

  /* No group columns: one group, the overall rate; min_n 5 makes 6 rows enough. */
  segkit_rate_columns all = {NULL, 0, "churn", 0, "Yes"};
  assert_int_equal(segkit_rates_by_group(t, &all, 0, 5, &r, &err), SEGKIT_OK);
  assert_int_equal(segkit_group_rates_n(r), 1);
  assert_false(segkit_group_rates_get(r, 0)->too_small);
  assert_int_equal(segkit_group_rates_get(r, 0)->events, 3);
  segkit_group_rates_free(r);

  /* Errors name the column. */
  const char *bad_by[] = {"nosuch"};
  segkit_rate_columns bad = {bad_by, 1, "churn", 0, "Yes"};
  assert_int_equal(segkit_rates_by_group(t, &bad, 0, 0, &r, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.field, "nosuch");
  segkit_rate_columns no_value = {by, 2, "churn", 0, NULL};
  assert_int_equal(segkit_rates_by_group(t, &no_value, 0, 0, &r, &err), SEGKIT_ERR_TYPE);
  assert_string_equal(err.field, "churn");
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(survival_rates_by_two_columns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
