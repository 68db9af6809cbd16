/* Lifecycle stages and MRR value sources.
 *
 * Fixture L (hand-worked): monthly rows, price 10.00, range 2024-01 .. 2024-06, stage at
 * the end of 2024-06 (day D = 2024-06-30); tenure = D - first paid day:
 *   c1 start 06-10                          -> 20 days: onboarding
 *   c2 start 03-01                          -> 121 days: growth
 *   c3 start 2023-06-01                     -> 395 days: mature (active before the range)
 *   c4 01-15 .. 04-10                       -> no MRR at D, MRR before: churned
 *   c5 01-05 .. 03-05, again from 06-02     -> no MRR at the end of May, MRR at Jan and Feb
 *                                              ends: reactivated this month
 *   c6 start 06-20, trial to 07-20          -> never paid at a month end yet: not listed
 *   c7 start 05-01, trial to 05-15          -> first paid 05-15, 46 days: growth
 *   c8 2023-12-01 .. 2024-02-10, again from 04-03 -> active again since April: with
 *                                              reactivated_months 1 its original tenure
 *                                              counts (212 days: mature); with 3, reactivated
 *   c9 02-03 .. 02-20                       -> never running on a month end: not listed
 *
 * Generated data: the stages of the customers with MRR at a month end M, bucketed by
 * tenure_days, must equal the MRR engine's own by_tenure_stage split at M (the customers
 * starting month M + 1 in each stage group), so both use one definition of tenure. */
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
#include "metrics_testkit.h"
#include "segkit/family.h"
#include "testkit.h"

static const char *const k_names[] = {"customer_id", "unit_price", "interval", "start",
                                      "trial_end", "end"};
static const segkit_type k_types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
                                      SEGKIT_TYPE_DATE,  SEGKIT_TYPE_DATE,    SEGKIT_TYPE_DATE};
static const char *const k_rows[] = {
    "1", "10", "month", "2024-06-10", NULL,         NULL,
    "2", "10", "month", "2024-03-01", NULL,         NULL,
    "3", "10", "month", "2023-06-01", NULL,         NULL,
    "4", "10", "month", "2024-01-15", NULL,         "2024-04-10",
    "5", "10", "month", "2024-01-05", NULL,         "2024-03-05",
    "5", "10", "month", "2024-06-02", NULL,         NULL,
    "6", "10", "month", "2024-06-20", "2024-07-20", NULL,
    "7", "10", "month", "2024-05-01", "2024-05-15", NULL,
    "8", "10", "month", "2023-12-01", NULL,         "2024-02-10",
    "8", "10", "month", "2024-04-03", NULL,         NULL,
    "9", "10", "month", "2024-02-03", NULL,         "2024-02-20",
};

static segkit_mrr_columns columns(void) {
  segkit_mrr_columns c = {0};
  c.customer = "customer_id";
  c.unit_price = "unit_price";
  c.interval = "interval";
  c.start = "start";
  c.trial_end = "trial_end";
  c.end = "end";
  return c;
}

static segkit_mrr_result *mrr_of(const segkit_table *t, const segkit_mrr_columns *c, int32_t from,
                                 int32_t to, bool stages, const segkit_mrr_rate *rates,
                                 size_t n_rates) {
  segkit_mrr_options o;
  segkit_mrr_options_init(&o);
  o.columns = *c;
  o.from_month = from;
  o.to_month = to;
  o.keep_customer_mrr = true;
  o.by_tenure_stage = stages;
  o.rates = rates;
  o.n_rates = n_rates;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(t, &o, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return r;
}

static segkit_table *fixture_l(segkit_mrr_result **r) {
  segkit_table *t = ft_table(6, k_names, k_types, k_rows, 11);
  assert_non_null(t);
  segkit_mrr_columns c = columns();
  *r = mrr_of(t, &c, segkit_month_index(2024, 1), segkit_month_index(2024, 6), false, NULL, 0);
  return t;
}

static void family_lifecycle_stages(void **state) {
  (void)state;
  segkit_mrr_result *r = NULL;
  segkit_table *t = fixture_l(&r);
  segkit_mrr_columns c = columns();
  segkit_table *out = NULL;
  size_t counts[SEGKIT_LIFECYCLE_COUNT];
  segkit_error err;
  assert_int_equal(segkit_lifecycle_compute(r, t, &c, NULL, &out, counts, &err), SEGKIT_OK);
  static const int64_t keys[] = {1, 2, 3, 4, 5, 7, 8};
  static const char *const stages[] = {"onboarding", "growth", "mature", "churned",
                                       "reactivated", "growth", "mature"};
  static const int64_t tenure[] = {20, 121, 395, -1, 177, 46, 212};
  assert_int_equal(segkit_table_n_rows(out), 7);
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(segkit_column_int64(ft_col(out, "customer_id"))[i], keys[i]);
    assert_string_equal(ft_str(out, "stage", i), stages[i]);
    if (tenure[i] >= 0) {
      assert_int_equal(segkit_column_int64(ft_col(out, "tenure_days"))[i], tenure[i]);
    }
  }
  assert_int_equal(segkit_column_int64(ft_col(out, "mrr_cents"))[3], 0);
  assert_int_equal(segkit_column_int64(ft_col(out, "mrr_cents"))[4], 1000);
  assert_int_equal(counts[SEGKIT_LIFECYCLE_ONBOARDING], 1);
  assert_int_equal(counts[SEGKIT_LIFECYCLE_GROWTH], 2);
  assert_int_equal(counts[SEGKIT_LIFECYCLE_MATURE], 2);
  assert_int_equal(counts[SEGKIT_LIFECYCLE_CHURNED], 1);
  assert_int_equal(counts[SEGKIT_LIFECYCLE_REACTIVATED], 1);
  segkit_table_free(out);
  /* a longer reactivation window: c8 (back since April) is reactivated too */
  segkit_lifecycle_options o;
  segkit_lifecycle_options_init(&o);
  o.reactivated_months = 3;
  assert_int_equal(segkit_lifecycle_compute(r, t, &c, &o, &out, counts, &err), SEGKIT_OK);
  assert_string_equal(ft_str(out, "stage", 6), "reactivated");
  assert_int_equal(counts[SEGKIT_LIFECYCLE_MATURE], 1);
  assert_int_equal(counts[SEGKIT_LIFECYCLE_REACTIVATED], 2);
  segkit_table_free(out);
  /* at the end of March: c4 is active (tenure 76: growth), c5 churned (MRR at Jan, Feb),
   * c8 churned; c1, c7 not yet customers; c2 started 03-01: 30 days, growth */
  o.month = segkit_month_index(2024, 3);
  o.reactivated_months = 0;
  assert_int_equal(segkit_lifecycle_compute(r, t, &c, &o, &out, counts, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(out), 5);
  assert_string_equal(ft_str(out, "stage", 0), "growth");  /* c2 */
  assert_string_equal(ft_str(out, "stage", 2), "growth");  /* c4 */
  assert_string_equal(ft_str(out, "stage", 3), "churned"); /* c5 */
  assert_string_equal(ft_str(out, "stage", 4), "churned"); /* c8 */
  segkit_table_free(out);
  /* errors: a month outside the range; a result without per-customer MRR */
  o.month = segkit_month_index(2024, 7);
  assert_int_equal(segkit_lifecycle_compute(r, t, &c, &o, &out, NULL, &err), SEGKIT_ERR_USAGE);
  segkit_mrr_options mo;
  segkit_mrr_options_init(&mo);
  mo.columns = c;
  mo.from_month = mo.to_month = segkit_month_index(2024, 6);
  segkit_mrr_result *bare = NULL;
  assert_int_equal(segkit_mrr_compute(t, &mo, &bare, &err), SEGKIT_OK);
  assert_int_equal(segkit_lifecycle_compute(bare, t, &c, NULL, &out, NULL, &err),
                   SEGKIT_ERR_USAGE);
  segkit_mrr_result_free(bare);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

/* MRR at 2024-06: c1 1000, c2 1000, c3 1000, c5 1000, c7 1000, c8 1000 (6 customers).
 * ARPU over Jan..Jun active month ends: every active month end is 1000, so 1000 for the
 * 7 customers with any (c1, c2, c3, c4 Jan-Mar, c5, c7, c8; c6 and c9 never). */
static void family_values_from_mrr(void **state) {
  (void)state;
  segkit_mrr_result *r = NULL;
  segkit_table *t = fixture_l(&r);
  segkit_table *out = NULL;
  segkit_error err;
  assert_int_equal(segkit_value_from_mrr(r, t, NULL, SEGKIT_VALUE_MRR, 0, &out, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(out), 6);
  assert_int_equal(segkit_column_int64(ft_col(out, "mrr_cents"))[0], 1000);
  assert_int_equal(segkit_column_int64(ft_col(out, "customer_id"))[3], 5);
  segkit_table_free(out);
  assert_int_equal(segkit_value_from_mrr(r, t, "customer_id", SEGKIT_VALUE_ARPU, 0, &out, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(out), 7);
  assert_true(segkit_column_float64(ft_col(out, "arpu_cents"))[3] == 1000.0);
  segkit_table_free(out);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

static void family_lifecycle_matches_tenure_split(void **state) {
  (void)state;
  size_t size = 0;
  char *text = tu_read_file(SEGKIT_TEST_DATA "/family/subscriptions.csv", &size);
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, MT_N_COLS);
  segkit_table *t = mt_table(f, n_rows);
  assert_non_null(t);
  static const segkit_mrr_rate rates[] = {{"USD", 1.0}, {"EUR", 1.08}, {"GBP", 1.27}};
  segkit_mrr_columns c = segkit_mrr_columns_default();
  int32_t from = segkit_month_index(2023, 7);
  int32_t to = segkit_month_index(2026, 6);
  segkit_mrr_result *r = mrr_of(t, &c, from, to, true, rates, 3);
  size_t checked = 0;
  for (int32_t m = from; m < to; m += 5) {
    segkit_lifecycle_options o;
    segkit_lifecycle_options_init(&o);
    o.month = m;
    segkit_table *out = NULL;
    segkit_error err;
    assert_int_equal(segkit_lifecycle_compute(r, t, &c, &o, &out, NULL, &err), SEGKIT_OK);
    int64_t mine[3] = {0, 0, 0};
    const int64_t *mrr = segkit_column_int64(ft_col(out, "mrr_cents"));
    const int64_t *ten = segkit_column_int64(ft_col(out, "tenure_days"));
    for (size_t i = 0; i < segkit_table_n_rows(out); i++) {
      if (mrr[i] > 0) {
        mine[ten[i] < SEGKIT_MRR_ONBOARDING_DAYS ? 0 : ten[i] < SEGKIT_MRR_GROWTH_DAYS ? 1 : 2]++;
      }
    }
    static const char *const stage[] = {"onboarding", "growth", "mature"};
    for (int s = 0; s < 3; s++) {
      int64_t engine = 0;
      for (size_t g = 0; g < segkit_mrr_n_groups(r); g++) {
        if (strcmp(segkit_mrr_group_name(r, g), stage[s]) == 0) {
          engine = segkit_mrr_months(r, g)[m + 1 - from].customers_start;
        }
      }
      assert_int_equal(mine[s], engine);
      checked += (size_t)engine;
    }
    segkit_table_free(out);
  }
  assert_true(checked > 500);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
  free(f);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(family_lifecycle_stages),
      cmocka_unit_test(family_values_from_mrr),
      cmocka_unit_test(family_lifecycle_matches_tenure_split),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
