/* Stripe dashboard CSV exports (tests/data/billing/dashboard_*.csv), detected from the
 * header and read with segkit's CSV reader; every expected value is worked out by hand
 * from the fixture rows in the comments. Dashboard amounts are major units ("29.00") and
 * times "YYYY-MM-DD HH:MM" UTC.
 * Times: 2024-01-10 09:30 = 1704879000, 2024-02-01 00:00 = 1706745600, 2024-04-01 00:00 =
 * 1711929600, 2024-03-05 12:00 = 1709640000, 2024-03-01 08:00 = 1709280000, 2024-03-15
 * 08:00 = 1710489600, 2024-01-05 10:00 = 1704448800, 2024-06-05 10:00 = 1717581600, 2024-05-20
 * 10:00 = 1716199200 (calendar.timegm). */
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
#define assert_close(a, b) assert_true(fabs((a) - (b)) <= 1e-9 * (1 + fabs(b)))

static const segkit_column *col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  if (i < 0) {
    fail_msg("no column %s", name);
  }
  return segkit_table_column(t, (size_t)i);
}

static const char *str_at(const segkit_table *t, const char *name, size_t r) {
  const segkit_column *c = col(t, name);
  return segkit_column_is_valid(c, r) ? segkit_column_dict_value(c, segkit_column_codes(c)[r], NULL)
                                      : NULL;
}

static bool is_null(const segkit_table *t, const char *name, size_t r) {
  return !segkit_column_is_valid(col(t, name), r);
}

static int64_t ts_at(const segkit_table *t, const char *name, size_t r) {
  assert_false(is_null(t, name, r));
  return segkit_column_timestamp(col(t, name))[r];
}

static void import_files(const char *const *names, size_t n, segkit_stripe_import **imp,
                         segkit_table *t[SEGKIT_STRIPE_N_TABLES]) {
  segkit_error err;
  assert_int_equal(segkit_stripe_import_new(imp, &err), SEGKIT_OK);
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/billing/%s", SEGKIT_TEST_DATA, names[i]);
    if (segkit_stripe_import_add_file(*imp, path, &err) != SEGKIT_OK) {
      fail_msg("%s: %s", path, err.message);
    }
  }
  assert_int_equal(segkit_stripe_import_finish(*imp, t, &err), SEGKIT_OK);
}

static void free_all(segkit_stripe_import *imp, segkit_table *t[SEGKIT_STRIPE_N_TABLES]) {
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    segkit_table_free(t[i]);
  }
  segkit_stripe_import_free(imp);
}

static void billing_csv_subscriptions(void **state) {
  (void)state;
  static const char *const files[] = {"dashboard_subscriptions.csv"};
  segkit_stripe_import *imp = NULL;
  segkit_table *t[3] = {NULL, NULL, NULL};
  import_files(files, 1, &imp, t);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  /* sub_d1..sub_d4; sub_d5 has Quantity "two". */
  assert_int_equal(segkit_table_n_rows(s), 4);
  /* sub_d1: 29.00 USD x 3 a month from 2024-01-10 09:30, running. */
  assert_string_equal(str_at(s, "subscription_id", 0), "sub_d1");
  assert_true(is_null(s, "item_id", 0));
  assert_string_equal(str_at(s, "customer_id", 0), "cus_d1");
  assert_string_equal(str_at(s, "plan", 0), "price_pro_m");
  assert_string_equal(str_at(s, "product", 0), "prod_pro");
  assert_close(segkit_column_float64(col(s, "unit_price"))[0], 29.0);
  assert_int_equal(segkit_column_int64(col(s, "seats"))[0], 3);
  assert_string_equal(str_at(s, "billing_interval", 0), "month");
  assert_int_equal(segkit_column_int64(col(s, "interval_count"))[0], 1);
  assert_string_equal(str_at(s, "currency", 0), "USD");
  assert_int_equal(ts_at(s, "started_at", 0), US(1704879000));
  assert_true(is_null(s, "ended_at", 0));
  assert_true(is_null(s, "discount_percent", 0)); /* not in the export: unknown, read as 0 */
  assert_int_equal(segkit_column_bool(col(s, "cancel_at_period_end"))[0], 0);
  /* sub_d2: "Year" -> year, 290.00 EUR, canceled Mar 5, ended Apr 1. */
  assert_string_equal(str_at(s, "billing_interval", 1), "year");
  assert_string_equal(str_at(s, "currency", 1), "EUR");
  assert_close(segkit_column_float64(col(s, "unit_price"))[1], 290.0);
  assert_int_equal(ts_at(s, "ended_at", 1), US(1711929600));
  assert_int_equal(ts_at(s, "canceled_at", 1), US(1709640000));
  assert_string_equal(str_at(s, "status", 1), "canceled");
  /* sub_d3: trial to 2024-03-15 08:00. */
  assert_int_equal(ts_at(s, "trial_end", 2), US(1710489600));
  assert_int_equal(ts_at(s, "started_at", 2), US(1709280000));
  /* sub_d4: Cancel At Period End true, no Ended At: ends at Current Period End. */
  assert_int_equal(segkit_column_bool(col(s, "cancel_at_period_end"))[3], 1);
  assert_int_equal(ts_at(s, "ended_at", 3), US(1717581600));
  assert_int_equal(ts_at(s, "canceled_at", 3), US(1716199200));

  size_t n = 0;
  const segkit_stripe_skip *sk = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 1);
  assert_int_equal(sk[0].kind, SEGKIT_STRIPE_SKIP_MALFORMED);
  assert_int_equal(sk[0].line, 6);
  assert_string_equal(sk[0].object_id, "sub_d5");
  assert_string_equal(sk[0].reason, "csv_subscription sub_d5: column 'Quantity' is \"two\", "
                                    "expected a whole number of 0 or more");
  assert_non_null(strstr(sk[0].raw, "sub_d5,cus_d5"));
  size_t nr = 0;
  const segkit_reject *r = segkit_stripe_import_rejects(imp, SEGKIT_STRIPE_SUBSCRIPTIONS, &nr);
  assert_int_equal(nr, 1);
  assert_int_equal(r[0].reason, SEGKIT_REJECT_BAD_VALUE);
  assert_int_equal(r[0].line, 6);
  const segkit_stripe_counts *c = segkit_stripe_import_counts(imp);
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_CSV_SUBSCRIPTION], 5);
  free_all(imp, t);
}

static void billing_csv_customers(void **state) {
  (void)state;
  /* Both exports at once, customers second: the tables fill from both. */
  static const char *const files[] = {"dashboard_subscriptions.csv", "dashboard_customers.csv"};
  segkit_stripe_import *imp = NULL;
  segkit_table *t[3] = {NULL, NULL, NULL};
  import_files(files, 2, &imp, t);
  const segkit_table *c = t[SEGKIT_STRIPE_CUSTOMERS];
  /* cus_d1, cus_d2, cus_d3; cus_d9's Created (UTC) is "yesterday". */
  assert_int_equal(segkit_table_n_rows(c), 3);
  assert_string_equal(str_at(c, "customer_id", 0), "cus_d1");
  assert_string_equal(str_at(c, "name", 0), "Alpha, Inc.");
  assert_string_equal(str_at(c, "email", 0), "a@example.com");
  assert_string_equal(str_at(c, "country", 0), "US");
  assert_string_equal(str_at(c, "currency", 0), "USD");
  assert_int_equal(ts_at(c, "created_at", 0), US(1704879000));
  /* "company size (metadata)" -> meta_company_size; "Segment (metadata)" -> meta_Segment. */
  assert_string_equal(str_at(c, "meta_company_size", 0), "11-50");
  assert_string_equal(str_at(c, "meta_Segment", 0), "smb");
  assert_true(is_null(c, "meta_company_size", 1));
  assert_string_equal(str_at(c, "meta_Segment", 1), "enterprise");
  assert_int_equal(ts_at(c, "created_at", 2), US(1709280000)); /* with seconds */
  assert_int_equal(segkit_table_n_rows(t[SEGKIT_STRIPE_SUBSCRIPTIONS]), 4);
  size_t n = 0;
  const segkit_stripe_skip *sk = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 2);
  assert_string_equal(sk[1].object_id, "cus_d9");
  assert_int_equal(sk[1].line, 5);
  assert_non_null(strstr(sk[1].reason, "'Created (UTC)' is \"yesterday\""));
  free_all(imp, t);
}

static void billing_csv_ragged_row(void **state) {
  (void)state;
  /* A row the CSV reader itself rejects (too few fields) is a skipped object with its
   * line; the rows around it are imported with their own lines. */
  const char *text = "id,Customer ID,Plan,Interval,Amount,Currency,Quantity,Start Date (UTC)\n"
                     "sub_1,cus_1,p,month,10.00,usd,1,2024-01-01 00:00\n"
                     "sub_2,cus_2\n"
                     "sub_3,cus_3,p,month,oops,usd,1,2024-01-01 00:00\n";
  segkit_stripe_import *imp = NULL;
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_error err;
  assert_int_equal(segkit_stripe_import_new(&imp, &err), SEGKIT_OK);
  assert_int_equal(segkit_stripe_import_add_buffer(imp, "s.csv", text, strlen(text), &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_stripe_import_finish(imp, t, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(t[SEGKIT_STRIPE_SUBSCRIPTIONS]), 1);
  size_t n = 0;
  const segkit_stripe_skip *sk = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 2);
  assert_int_equal(sk[0].line, 3);
  assert_string_equal(sk[0].raw, "sub_2,cus_2");
  assert_int_equal(sk[1].line, 4);
  assert_string_equal(sk[1].object_id, "sub_3");
  assert_non_null(strstr(sk[1].reason, "'Amount' is \"oops\""));
  free_all(imp, t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(billing_csv_subscriptions),
      cmocka_unit_test(billing_csv_customers),
      cmocka_unit_test(billing_csv_ragged_row),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
