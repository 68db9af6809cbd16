/* Value tiers and engagement states on hand-worked fixtures.
 *
 * Tiers, fixture T: customers 1..9 with values 5 1 3 3 3 9 7 null 2. Quartiles over the 8
 * values: sorted 1 2 3 3 3 5 7 9, NTILE(4) tiles of 2 rows end at positions 1, 3, 5, so
 * the cut-points are 2, 3, 5 and tier = 1 + cut-points strictly below: 1 -> 1, 2 -> 1,
 * 3 -> 2 (positions 2, 3, 4 have tiles 2, 2, 3: ties take 2), 5 -> 3, 7 -> 4, 9 -> 4.
 * Given cut-points 3, 6: a value equal to a cut-point goes up: 1, 2 -> 1; 3, 5 -> 2;
 * 7, 9 -> 3.
 *
 * Engagement, fixture E, as of day 100, defaults (window 30 days = days 71..100; active:
 * last event <= 7 days ago and >= 2 events in the window; dormant: > 30 days):
 *   c1 days 95, 99        -> 1 day, 2 events: active
 *   c2 day 99             -> 1 day, 1 event: at_risk
 *   c3 days 80, 85        -> 15 days: at_risk
 *   c4 day 60             -> 40 days, 0 in window: dormant
 *   c5 day 70             -> 30 days (not > 30), 0 in window (71..100): at_risk
 *   c6 day 101            -> after as_of: not listed
 *   c7 days 93, 94, null  -> 6 days, 2 events (the null row skipped): active
 *   c8 days 71, 93        -> 7 days, 2 events (both window edges inclusive): active */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family_testkit.h"
#include "segkit/family.h"

static segkit_table *fixture_t(void) {
  static const char *const names[] = {"customer_id", "v"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64};
  static const char *const rows[] = {"1", "5", "2", "1", "3", "3", "4", "3", "5", "3",
                                     "6", "9", "7", "7", "8", NULL, "9", "2"};
  segkit_table *t = ft_table(2, names, types, rows, 9);
  assert_non_null(t);
  return t;
}

static void family_tiers_quantiles(void **state) {
  (void)state;
  segkit_table *t = fixture_t();
  segkit_table *out = NULL;
  double cuts[3];
  segkit_error err;
  assert_int_equal(segkit_tiers_compute(t, "customer_id", "v", NULL, &out, cuts, &err),
                   SEGKIT_OK);
  assert_true(cuts[0] == 2.0 && cuts[1] == 3.0 && cuts[2] == 5.0);
  static const int64_t tier[] = {3, 1, 2, 2, 2, 4, 4, 0, 1};
  const segkit_column *tc = ft_col(out, "tier");
  for (size_t i = 0; i < 9; i++) {
    if (i == 7) {
      assert_false(segkit_column_is_valid(tc, i));
      assert_false(segkit_column_is_valid(ft_col(out, "tier_label"), i));
      continue;
    }
    assert_int_equal(segkit_column_int64(tc)[i], tier[i]);
    char want[8];
    snprintf(want, sizeof want, "T%d", (int)tier[i]);
    assert_string_equal(ft_str(out, "tier_label", i), want);
  }
  assert_int_equal(segkit_column_int64(ft_col(out, "v"))[5], 9);
  assert_false(segkit_column_is_valid(ft_col(out, "v"), 7));
  segkit_table_free(out);
  segkit_table_free(t);
}

static void family_tiers_cut_points(void **state) {
  (void)state;
  segkit_table *t = fixture_t();
  static const double cuts[] = {3.0, 6.0};
  static const char *const labels[] = {"low", "mid", "high"};
  segkit_tiers_options o;
  segkit_tiers_options_init(&o);
  o.cuts = cuts;
  o.n_cuts = 2;
  o.labels = labels;
  segkit_table *out = NULL;
  double used[2];
  segkit_error err;
  assert_int_equal(segkit_tiers_compute(t, "customer_id", "v", &o, &out, used, &err), SEGKIT_OK);
  assert_true(used[0] == 3.0 && used[1] == 6.0);
  static const char *const want[] = {"mid", "low", "mid", "mid", "mid", "high", "high", NULL,
                                     "low"};
  for (size_t i = 0; i < 9; i++) {
    if (want[i] != NULL) {
      assert_string_equal(ft_str(out, "tier_label", i), want[i]);
    }
  }
  segkit_table_free(out);
  /* errors */
  static const double flat[] = {3.0, 3.0};
  o.cuts = flat;
  assert_int_equal(segkit_tiers_compute(t, "customer_id", "v", &o, &out, NULL, &err),
                   SEGKIT_ERR_USAGE);
  segkit_tiers_options_init(&o);
  o.n_tiers = 1;
  assert_int_equal(segkit_tiers_compute(t, "customer_id", "v", &o, &out, NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_tiers_compute(t, "customer_id", "nope", NULL, &out, NULL, &err),
                   SEGKIT_ERR_SCHEMA);
  segkit_table_free(t);
}

/* Floats: -1.5, 0.0, -0.0, 2.5 in two tiers: NTILE(2) ends tile 1 at position 1, whose
 * value is 0 (-0 and +0 are one value): tiers 1, 1, 1, 2. */
static void family_tiers_floats(void **state) {
  (void)state;
  double v[] = {-1.5, 0.0, -0.0, 2.5};
  int64_t k[] = {1, 2, 3, 4};
  segkit_column_arrays cols[] = {{.name = "c", .type = SEGKIT_TYPE_INT64, .data = k},
                                 {.name = "x", .type = SEGKIT_TYPE_FLOAT64, .data = v}};
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_from_arrays(4, 2, cols, &t, NULL), SEGKIT_OK);
  segkit_tiers_options o;
  segkit_tiers_options_init(&o);
  o.n_tiers = 2;
  segkit_table *out = NULL;
  double cut = -1;
  assert_int_equal(segkit_tiers_compute(t, "c", "x", &o, &out, &cut, NULL), SEGKIT_OK);
  assert_true(cut == 0.0);
  static const int64_t want[] = {1, 1, 1, 2};
  assert_memory_equal(segkit_column_int64(ft_col(out, "tier")), want, sizeof want);
  segkit_table_free(out);
  segkit_table_free(t);
}

/* Lifetime revenue as the value: c1 charge 10.00, c2 charge 5.00 and refund 1.00 in
 * January 2024: nets 1000 and 400 cents; two tiers cut at 400 (the end of tile 1). */
static void family_tiers_from_revenue(void **state) {
  (void)state;
  static const char *const names[] = {"customer_id", "timestamp", "amount", "kind"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_DATE, SEGKIT_TYPE_FLOAT64,
                                      SEGKIT_TYPE_STRING};
  static const char *const rows[] = {"1", "2024-01-03", "10.00", "charge",
                                     "2", "2024-01-04", "5.00",  "charge",
                                     "2", "2024-01-20", "1.00",  "refund"};
  segkit_table *t = ft_table(4, names, types, rows, 3);
  assert_non_null(t);
  segkit_revenue_options ro;
  segkit_revenue_options_init(&ro);
  ro.columns.currency = NULL;
  ro.from_month = ro.to_month = segkit_month_index(2024, 1);
  segkit_revenue_result *rr = NULL;
  segkit_error err;
  assert_int_equal(segkit_revenue_compute(t, &ro, &rr, &err), SEGKIT_OK);
  segkit_table *v = NULL;
  assert_int_equal(segkit_value_from_revenue(rr, t, NULL, &v, &err), SEGKIT_OK);
  assert_int_equal(segkit_column_int64(ft_col(v, "revenue_cents"))[0], 1000);
  assert_int_equal(segkit_column_int64(ft_col(v, "revenue_cents"))[1], 400);
  segkit_tiers_options o;
  segkit_tiers_options_init(&o);
  o.n_tiers = 2;
  segkit_table *out = NULL;
  double cut = 0;
  assert_int_equal(segkit_tiers_compute(v, "customer_id", "revenue_cents", &o, &out, &cut, &err),
                   SEGKIT_OK);
  assert_true(cut == 400.0);
  assert_string_equal(ft_str(out, "tier_label", 0), "T2");
  assert_string_equal(ft_str(out, "tier_label", 1), "T1");
  segkit_table_free(out);
  segkit_table_free(v);
  segkit_revenue_result_free(rr);
  segkit_table_free(t);
}

static segkit_table *fixture_e(void) {
  static const char *const names[] = {"customer_id", "timestamp"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_DATE};
  static const char *const rows[] = {
      "1", "d:95", "1", "d:99", "2", "d:99", "3", "d:80", "3", "d:85", "4", "d:60",
      "5", "d:70", "6", "d:101", "7", "d:93", "7", "d:94", "7", NULL, "8", "d:71", "8", "d:93",
  };
  segkit_table *t = ft_table(2, names, types, rows, 13);
  assert_non_null(t);
  return t;
}

static void family_engagement_states(void **state) {
  (void)state;
  segkit_table *t = fixture_e();
  segkit_engagement_options o;
  segkit_engagement_options_init(&o);
  o.as_of = 100;
  segkit_table *out = NULL;
  size_t counts[SEGKIT_ENGAGEMENT_COUNT];
  segkit_error err;
  assert_int_equal(segkit_engagement_compute(t, &o, &out, counts, &err), SEGKIT_OK);
  static const int64_t keys[] = {1, 2, 3, 4, 5, 7, 8};
  static const int64_t since[] = {1, 1, 15, 40, 30, 6, 7};
  static const int64_t count[] = {2, 1, 2, 0, 0, 2, 2};
  static const char *const st[] = {"active", "at_risk", "at_risk", "dormant", "at_risk",
                                    "active", "active"};
  assert_int_equal(segkit_table_n_rows(out), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(segkit_column_int64(ft_col(out, "customer_id"))[i], keys[i]);
    assert_int_equal(segkit_column_int64(ft_col(out, "days_since_last"))[i], since[i]);
    assert_int_equal(segkit_column_int64(ft_col(out, "events_in_window"))[i], count[i]);
    assert_string_equal(ft_str(out, "state", i), st[i]);
  }
  assert_int_equal(counts[SEGKIT_ENGAGEMENT_ACTIVE], 3);
  assert_int_equal(counts[SEGKIT_ENGAGEMENT_AT_RISK], 3);
  assert_int_equal(counts[SEGKIT_ENGAGEMENT_DORMANT], 1);
  segkit_table_free(out);
  /* stricter thresholds: active needs 3 events -> c1, c7, c8 at_risk; dormant after 14
   * days -> c3 (15) dormant too */
  o.active_min_events = 3;
  o.dormant_days = 14;
  assert_int_equal(segkit_engagement_compute(t, &o, &out, counts, &err), SEGKIT_OK);
  assert_int_equal(counts[SEGKIT_ENGAGEMENT_ACTIVE], 0);
  assert_int_equal(counts[SEGKIT_ENGAGEMENT_DORMANT], 3);
  assert_string_equal(ft_str(out, "state", 2), "dormant");
  segkit_table_free(out);
  o.active_days = 40; /* longer than the window */
  assert_int_equal(segkit_engagement_compute(t, &o, &out, NULL, &err), SEGKIT_ERR_USAGE);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(family_tiers_quantiles),
      cmocka_unit_test(family_tiers_cut_points),
      cmocka_unit_test(family_tiers_floats),
      cmocka_unit_test(family_tiers_from_revenue),
      cmocka_unit_test(family_engagement_states),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
