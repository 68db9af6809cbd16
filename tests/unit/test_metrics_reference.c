/* MRR movements on generated data against an independent implementation: every month of
 * 2023-07..2026-06, totals and per plan, compared field by field with
 * tests/data/metrics/expected_movements.csv, written by mrr_reference.py (Python, exact
 * decimal arithmetic, brute-force month-end snapshots; none of segkit's code) from the
 * committed subscriptions.csv (segkit generate --customers 300 --seed 3 --dirty
 * --events-per-month 0 --respondents 0, which has two rows ending before they start).
 * The CSV files have no quoted fields, so a split on commas reads them (this test links
 * only the metrics module chain, not io). The same data in reverse row order and on 1..3
 * threads must give the same result. */
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

static const char *const k_by_plan[] = {"plan"};

#define DATA SEGKIT_TEST_DATA "/metrics/"

static const segkit_mrr_rate k_rates[] = {{"USD", 1.0}, {"EUR", 1.085}, {"GBP", 1.27}};

static segkit_mrr_result *compute(const segkit_table *t, int n_threads) {
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 3;
  opt.from_month = segkit_month_index(2023, 7);
  opt.to_month = segkit_month_index(2026, 6);
  opt.by = k_by_plan;
  opt.n_by = 1;
  opt.n_threads = n_threads;
  opt.keep_customer_mrr = true;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return r;
}

static const segkit_mrr_month *months_of(const segkit_mrr_result *r, const char *group) {
  if (strcmp(group, "ALL") == 0) {
    return segkit_mrr_months(r, SEGKIT_MRR_ALL);
  }
  for (size_t g = 0; g < segkit_mrr_n_groups(r); g++) {
    if (strcmp(segkit_mrr_group_name(r, g), group) == 0) {
      return segkit_mrr_months(r, g);
    }
  }
  fail_msg("no group %s", group);
  return NULL;
}

static void compare_expected(const segkit_mrr_result *r) {
  char *text = tu_read_file(DATA "expected_movements.csv", &(size_t){0});
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, 16);
  assert_int_equal(n_rows, 36 * 5); /* ALL + 4 plans */
  for (size_t i = 0; i < n_rows; i++) {
    const char *const *row = f + i * n_cols;
    int year = 0;
    int month = 0;
    assert_int_equal(sscanf(row[1], "%d-%d", &year, &month), 2);
    int32_t mi = segkit_month_index(year, (unsigned)month);
    const segkit_mrr_month *m = &months_of(r, row[0])[mi - segkit_month_index(2023, 7)];
    assert_int_equal(m->month, mi);
    int64_t got[14] = {m->start_cents, m->new_cents, m->reactivation_cents, m->expansion_cents,
                       m->contraction_cents, m->churned_cents, m->end_cents, m->customers_start,
                       m->customers_end, m->n_new, m->n_reactivation, m->n_expansion,
                       m->n_contraction, m->n_churned};
    for (int k = 0; k < 14; k++) {
      long long want = strtoll(row[2 + k], NULL, 10);
      if (got[k] != want) {
        fail_msg("%s %s column %d: segkit %lld, reference %lld", row[0], row[1], k + 2,
                 (long long)got[k], want);
      }
    }
  }
  free(f);
  free(text);
}

static segkit_table *load(bool reversed) {
  char *text = tu_read_file(DATA "subscriptions.csv", &(size_t){0});
  assert_non_null(text);
  size_t n_rows = 0;
  size_t n_cols = 0;
  const char **f = mt_split_csv(text, &n_rows, &n_cols);
  assert_int_equal(n_cols, MT_N_COLS);
  if (reversed) {
    for (size_t i = 0; i < n_rows / 2; i++) {
      for (size_t c = 0; c < n_cols; c++) {
        const char *t = f[i * n_cols + c];
        f[i * n_cols + c] = f[(n_rows - 1 - i) * n_cols + c];
        f[(n_rows - 1 - i) * n_cols + c] = t;
      }
    }
  }
  segkit_table *t = mt_table(f, n_rows);
  assert_non_null(t);
  free(f);
  free(text);
  return t;
}

static void metrics_reference_movements_match_python(void **state) {
  (void)state;
  segkit_table *t = load(false);
  segkit_mrr_result *r = compute(t, 1);
  size_t n_skip = 0;
  const segkit_mrr_skip *sk = segkit_mrr_skipped(r, &n_skip);
  assert_int_equal(n_skip, 2); /* the reference also drops 2 rows with end < start */
  assert_int_equal(sk[0].reason, SEGKIT_MRR_SKIP_END_BEFORE_START);
  assert_int_equal(sk[1].reason, SEGKIT_MRR_SKIP_END_BEFORE_START);
  assert_int_equal(segkit_mrr_rows_used(r), 578);
  assert_int_equal(segkit_mrr_n_customers(r), 300);
  compare_expected(r);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

static void metrics_reference_order_and_threads(void **state) {
  (void)state;
  segkit_table *t = load(false);
  segkit_table *rev = load(true);
  segkit_mrr_result *base = compute(t, 1);
  for (int nt = 1; nt <= 3; nt++) {
    segkit_mrr_result *r = compute(rev, nt);
    compare_expected(r);
    assert_int_equal(segkit_mrr_n_customers(r), segkit_mrr_n_customers(base));
    for (size_t c = 0; c < segkit_mrr_n_customers(r); c++) {
      assert_int_equal(segkit_mrr_customer_key(r, c), segkit_mrr_customer_key(base, c));
      assert_memory_equal(segkit_mrr_customer_mrr(r, c), segkit_mrr_customer_mrr(base, c),
                          37 * sizeof(int64_t));
    }
    segkit_mrr_result_free(r);
  }
  segkit_mrr_result_free(base);
  segkit_table_free(rev);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metrics_reference_movements_match_python),
      cmocka_unit_test(metrics_reference_order_and_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
