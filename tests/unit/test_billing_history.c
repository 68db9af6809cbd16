/* Subscription history rebuilt from invoice lines (tests/data/billing/history.jsonl, made
 * by hand: one JSON object per line). Times: 2024-01-01 = 1704067200, 2024-03-01 =
 * 1709251200, 2024-05-01 = 1714521600.
 *
 * sub_hist (cus_Z) is now 5 seats x 10.00 USD a month, started 2024-01-01; its invoices
 * bill 2 seats for Jan and Feb, 3 for Mar and Apr (plus a proration line in March, which
 * is ignored), 5 for May. Expected spans: [Jan 1, Mar 1) 2 seats "replaced", [Mar 1, May 1)
 * 3 seats "replaced", [May 1, open) 5 seats "active".
 * sub_pc (cus_Y) is now on price_b (20.00, "New"); its invoices for Jan and Feb are on
 * price_a (15.00, "Old"), and their lines carry no subscription id (the invoice's is
 * used). Expected: [Jan 1, Mar 1) 15.00 "Old" replaced (it ends at its last billed
 * period's end), then [Mar 1, open) 20.00 "New" active. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/billing.h"

#define US(s) ((int64_t)(s)*INT64_C(1000000))

static const segkit_column *col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  assert_true(i >= 0);
  return segkit_table_column(t, (size_t)i);
}

static const char *str_at(const segkit_table *t, const char *name, size_t r) {
  const segkit_column *c = col(t, name);
  return segkit_column_is_valid(c, r) ? segkit_column_dict_value(c, segkit_column_codes(c)[r], NULL)
                                      : NULL;
}

static void billing_history_from_invoices(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/billing/history.jsonl", SEGKIT_TEST_DATA);
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(segkit_stripe_import_new(&imp, &err), SEGKIT_OK);
  assert_int_equal(segkit_stripe_import_add_file(imp, path, &err), SEGKIT_OK);
  segkit_table *t[3] = {NULL, NULL, NULL};
  assert_int_equal(segkit_stripe_import_finish(imp, t, &err), SEGKIT_OK);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  static const struct {
    const char *sub, *plan, *status;
    int64_t seats;
    double price;
    int64_t start, end; /* end 0 = null */
  } want[] = {
      {"sub_hist", "Seat", "replaced", 2, 10.0, 1704067200, 1709251200},
      {"sub_hist", "Seat", "replaced", 3, 10.0, 1709251200, 1714521600},
      {"sub_hist", "Seat", "active", 5, 10.0, 1714521600, 0},
      {"sub_pc", "Old", "replaced", 1, 15.0, 1704067200, 1709251200},
      {"sub_pc", "New", "active", 1, 20.0, 1709251200, 0},
  };
  assert_int_equal(segkit_table_n_rows(s), sizeof want / sizeof want[0]);
  const segkit_column *ended = col(s, "ended_at");
  for (size_t r = 0; r < sizeof want / sizeof want[0]; r++) {
    assert_string_equal(str_at(s, "subscription_id", r), want[r].sub);
    assert_string_equal(str_at(s, "plan", r), want[r].plan);
    assert_string_equal(str_at(s, "status", r), want[r].status);
    assert_int_equal(segkit_column_int64(col(s, "seats"))[r], want[r].seats);
    assert_true(fabs(segkit_column_float64(col(s, "unit_price"))[r] - want[r].price) < 1e-12);
    assert_int_equal(segkit_column_timestamp(col(s, "started_at"))[r], US(want[r].start));
    if (want[r].end == 0) {
      assert_false(segkit_column_is_valid(ended, r));
    } else {
      assert_int_equal(segkit_column_timestamp(ended)[r], US(want[r].end));
    }
  }
  /* Invoices have no paid charges here: no transactions, nothing skipped. */
  assert_int_equal(segkit_table_n_rows(t[SEGKIT_STRIPE_TRANSACTIONS]), 0);
  size_t n = 0;
  segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 0);
  for (int i = 0; i < 3; i++) {
    segkit_table_free(t[i]);
  }
  segkit_stripe_import_free(imp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(billing_history_from_invoices),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
