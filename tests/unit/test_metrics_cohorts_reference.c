/* Cohort tables, pooled survival and LTV on generated data against an independent
 * implementation: tests/data/metrics/cohorts_reference.py (Python with pandas; month-end
 * MRR the way mrr_reference.py computes it, exact decimals and brute-force snapshots;
 * none of segkit's code) wrote expected_cohorts.csv, expected_survival.csv and
 * expected_ltv.csv from the committed subscriptions.csv for two ranges: 2019-07..2026-06
 * (before the first subscription, so every customer has a cohort) and 2023-07..2026-06
 * (221 customers active at the end of 2023-06 are left out). Every cohort cell, every
 * survival point and both LTVs are compared: counts and cents exactly, ratios to 1e-12
 * relative. The CSV files have no quoted fields, so a split on commas reads them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_testkit.h"
#include "segkit/metrics.h"
#include "testkit.h"

#define DATA SEGKIT_TEST_DATA "/metrics/"

static const segkit_mrr_rate k_rates[] = {{"USD", 1.0}, {"EUR", 1.085}, {"GBP", 1.27}};

static segkit_table *load(void) {
  char *text = tu_read_file(DATA "subscriptions.csv", &(size_t){0});
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, MT_N_COLS);
  segkit_table *t = mt_table(f, n_rows);
  assert_non_null(t);
  free(f);
  free(text);
  return t;
}

static segkit_mrr_result *compute(const segkit_table *t, int32_t from_month) {
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 3;
  opt.from_month = from_month;
  opt.to_month = segkit_month_index(2026, 6);
  opt.keep_customer_mrr = true;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return r;
}

static int32_t parse_month(const char *s) {
  int year = 0;
  int month = 0;
  assert_int_equal(sscanf(s, "%d-%d", &year, &month), 2);
  return segkit_month_index(year, (unsigned)month);
}

static void check_rel(double got, double want, const char *what, const char *where) {
  double tol = 1e-12 * fmax(1.0, fabs(want));
  if (!(fabs(got - want) <= tol)) {
    fail_msg("%s %s: segkit %.17g, reference %.17g", where, what, got, want);
  }
}

static void check_int(int64_t got, const char *want, const char *what, const char *where) {
  if (got != strtoll(want, NULL, 10)) {
    fail_msg("%s %s: segkit %lld, reference %s", where, what, (long long)got, want);
  }
}

/* Index of the cohort of this month, or fail. */
static size_t cohort_index(const segkit_cohorts *c, int32_t month) {
  for (size_t i = 0; i < segkit_cohorts_n(c); i++) {
    if (segkit_cohorts_month(c, i) == month) {
      return i;
    }
  }
  fail_msg("no cohort for month %d", (int)month);
  return 0;
}

static void compare_cohorts(const segkit_cohorts *c, const char *range) {
  char *text = tu_read_file(DATA "expected_cohorts.csv", &(size_t){0});
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, 8);
  size_t n_cells = 0;
  size_t n_cohorts_seen = 0;
  int32_t last = INT32_MIN;
  for (size_t i = 0; i < n_rows; i++) {
    const char *const *row = f + i * n_cols;
    if (strcmp(row[0], range) != 0) {
      continue;
    }
    int32_t month = parse_month(row[1]);
    n_cohorts_seen += month != last;
    last = month;
    size_t ci = cohort_index(c, month);
    size_t k = (size_t)strtoull(row[2], NULL, 10);
    assert_true(k < segkit_cohorts_n_cells(c, ci));
    char where[64];
    snprintf(where, sizeof where, "range %s cohort %s k %zu", range, row[1], k);
    check_int(segkit_cohorts_size(c, ci), row[3], "size", where);
    check_int(segkit_cohorts_active(c, ci)[k], row[4], "active", where);
    check_int(segkit_cohorts_mrr_cents(c, ci)[k], row[5], "mrr", where);
    check_rel(segkit_cohorts_logo_retention(c, ci)[k], strtod(row[6], NULL), "logo", where);
    check_rel(segkit_cohorts_revenue_retention(c, ci)[k], strtod(row[7], NULL), "revenue",
              where);
    n_cells++;
  }
  /* Same cohorts and same cells: none missing on either side. */
  assert_int_equal(n_cohorts_seen, segkit_cohorts_n(c));
  size_t total = 0;
  for (size_t i = 0; i < segkit_cohorts_n(c); i++) {
    total += segkit_cohorts_n_cells(c, i);
  }
  assert_int_equal(total, n_cells);
  assert_true(n_cells > 0);
  free(f);
  free(text);
}

static void compare_survival(const segkit_cohorts *c, const char *range) {
  char *text = tu_read_file(DATA "expected_survival.csv", &(size_t){0});
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, 5);
  size_t n = 0;
  const int64_t *at_risk = NULL;
  const int64_t *churned = NULL;
  const double *s = NULL;
  segkit_cohorts_survival(c, &n, &at_risk, &churned, &s);
  size_t seen = 0;
  for (size_t i = 0; i < n_rows; i++) {
    const char *const *row = f + i * n_cols;
    if (strcmp(row[0], range) != 0) {
      continue;
    }
    size_t k = (size_t)strtoull(row[1], NULL, 10);
    assert_true(k < n);
    char where[64];
    snprintf(where, sizeof where, "range %s survival k %zu", range, k);
    check_int(at_risk[k], row[2], "at_risk", where);
    check_int(churned[k], row[3], "churned", where);
    check_rel(s[k], strtod(row[4], NULL), "survival", where);
    seen++;
  }
  assert_int_equal(seen, n);
  free(f);
  free(text);
}

static void compare_ltv(const segkit_mrr_result *r, const segkit_cohorts *c,
                        const char *range) {
  char *text = tu_read_file(DATA "expected_ltv.csv", &(size_t){0});
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, 9);
  segkit_ltv_options opt;
  segkit_ltv_options_init(&opt);
  opt.gross_margin = 0.75; /* MARGIN and HORIZON of cohorts_reference.py */
  opt.horizon_months = 60;
  segkit_ltv l;
  segkit_error err;
  if (segkit_ltv_compute(r, SEGKIT_MRR_ALL, &opt, &l, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  size_t seen = 0;
  for (size_t i = 0; i < n_rows; i++) {
    const char *const *row = f + i * n_cols;
    if (strcmp(row[0], range) != 0) {
      continue;
    }
    char where[64];
    snprintf(where, sizeof where, "range %s LTV", range);
    check_int(l.mrr_cents_sum, row[1], "mrr_cents_sum", where);
    check_int(l.customer_months, row[2], "customer_months", where);
    check_int(l.churned, row[3], "churned", where);
    check_int(l.customer_months_start, row[4], "customer_months_start", where);
    check_int((int64_t)l.n_observed, row[5], "n_observed", where);
    check_int((int64_t)segkit_cohorts_n_left_out(c), row[6], "left_out", where);
    check_rel(l.ltv_simple_cents, strtod(row[7], NULL), "ltv_simple", where);
    check_rel(l.ltv_survival_cents, strtod(row[8], NULL), "ltv_survival", where);
    seen++;
  }
  assert_int_equal(seen, 1);
  free(f);
  free(text);
}

static void check_range(const segkit_table *t, const char *range) {
  segkit_mrr_result *r = compute(t, parse_month(range));
  segkit_cohorts *c = NULL;
  segkit_error err;
  if (segkit_cohorts_compute(r, &c, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  compare_cohorts(c, range);
  compare_survival(c, range);
  compare_ltv(r, c, range);
  segkit_cohorts_free(c);
  segkit_mrr_result_free(r);
}

static void metrics_cohorts_reference_from_first_month(void **state) {
  (void)state;
  segkit_table *t = load();
  check_range(t, "2019-07");
  segkit_table_free(t);
}

static void metrics_cohorts_reference_left_out(void **state) {
  (void)state;
  segkit_table *t = load();
  check_range(t, "2023-07");
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metrics_cohorts_reference_from_first_month),
      cmocka_unit_test(metrics_cohorts_reference_left_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
