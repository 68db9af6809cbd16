/* Stripe import on hand-written fixtures in Stripe's own shapes (tests/data/billing/):
 * every output value below is worked out by hand from the fixture, in the comments.
 *
 * Fixture times (Unix seconds, UTC): 2024-01-01 = 1704067200, 2024-01-15 = 1705276800,
 * 2024-02-01 = 1706745600, 2024-03-01 = 1709251200, 2024-04-01 = 1711929600,
 * 2024-04-15 = 1713139200, 2024-05-10 = 1715299200, 2024-06-01 = 1717200000.
 * Timestamps in the tables are microseconds: seconds x 1e6. */
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

static char *fixture(const char *name) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/billing/%s", SEGKIT_TEST_DATA, name);
  return path;
}

/* ---- table access by column name and key ---------------------------------------- */

static const segkit_column *col(const segkit_table *t, const char *name) {
  long i = segkit_table_column_index(t, name);
  assert_true(i >= 0);
  return segkit_table_column(t, (size_t)i);
}

/* Row whose column `key` holds `value` (the first one). */
static size_t row_of(const segkit_table *t, const char *key, const char *value) {
  const segkit_column *c = col(t, key);
  for (size_t r = 0; r < segkit_table_n_rows(t); r++) {
    if (segkit_column_is_valid(c, r) &&
        strcmp(segkit_column_dict_value(c, segkit_column_codes(c)[r], NULL), value) == 0) {
      return r;
    }
  }
  fail_msg("no row with %s = %s", key, value);
  return 0;
}

static size_t count_rows(const segkit_table *t, const char *key, const char *value) {
  const segkit_column *c = col(t, key);
  size_t n = 0;
  for (size_t r = 0; r < segkit_table_n_rows(t); r++) {
    n += segkit_column_is_valid(c, r) &&
         strcmp(segkit_column_dict_value(c, segkit_column_codes(c)[r], NULL), value) == 0;
  }
  return n;
}

static const char *str_at(const segkit_table *t, const char *name, size_t r) {
  const segkit_column *c = col(t, name);
  if (!segkit_column_is_valid(c, r)) {
    return NULL;
  }
  return segkit_column_dict_value(c, segkit_column_codes(c)[r], NULL);
}

static bool is_null(const segkit_table *t, const char *name, size_t r) {
  return !segkit_column_is_valid(col(t, name), r);
}

static double f64_at(const segkit_table *t, const char *name, size_t r) {
  assert_false(is_null(t, name, r));
  return segkit_column_float64(col(t, name))[r];
}

static int64_t i64_at(const segkit_table *t, const char *name, size_t r) {
  const segkit_column *c = col(t, name);
  assert_true(segkit_column_is_valid(c, r));
  const int64_t *v = segkit_column_type(c) == SEGKIT_TYPE_TIMESTAMP ? segkit_column_timestamp(c)
                                                                    : segkit_column_int64(c);
  return v[r];
}

static void assert_str(const char *got, const char *want) {
  if (want == NULL) {
    assert_null(got);
  } else {
    assert_non_null(got);
    assert_string_equal(got, want);
  }
}

/* ---- the whole JSON fixture --------------------------------------------------------- */

typedef struct world {
  segkit_stripe_import *imp;
  segkit_table *t[SEGKIT_STRIPE_N_TABLES];
} world;

static int world_setup(void **state) {
  static const char *const files[] = {"customers.json", "subscriptions.json", "charges.jsonl",
                                      "refunds.json", "invoice.json"};
  world *w = calloc(1, sizeof *w);
  segkit_error err;
  assert_int_equal(segkit_stripe_import_new(&w->imp, &err), SEGKIT_OK);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    segkit_status st = segkit_stripe_import_add_file(w->imp, fixture(files[i]), &err);
    if (st != SEGKIT_OK) {
      fail_msg("%s: %s", files[i], err.message);
    }
  }
  assert_int_equal(segkit_stripe_import_finish(w->imp, w->t, &err), SEGKIT_OK);
  *state = w;
  return 0;
}

static int world_teardown(void **state) {
  world *w = *state;
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    segkit_table_free(w->t[i]);
  }
  segkit_stripe_import_free(w->imp);
  free(w);
  return 0;
}

static void billing_customers(void **state) {
  world *w = *state;
  const segkit_table *c = w->t[SEGKIT_STRIPE_CUSTOMERS];
  /* cus_A, cus_B, cus_C; cus_BAD malformed (created is a string), second cus_A duplicate. */
  assert_int_equal(segkit_table_n_rows(c), 3);
  size_t a = row_of(c, "customer_id", "cus_A");
  assert_int_equal(i64_at(c, "created_at", a), US(1705276800));
  assert_str(str_at(c, "email", a), "ana@example.com");
  assert_str(str_at(c, "name", a), "Ana Lima");
  assert_str(str_at(c, "country", a), "PT");   /* address.country */
  assert_str(str_at(c, "currency", a), "USD"); /* upper-cased */
  /* metadata {"company size": "11-50"} and cus_B's {"company-size": "51-200"} both sanitise
   * to meta_company_size; "industry" only on cus_A. */
  assert_str(str_at(c, "meta_company_size", a), "11-50");
  assert_str(str_at(c, "meta_industry", a), "Accounting");
  size_t b = row_of(c, "customer_id", "cus_B");
  assert_str(str_at(c, "meta_company_size", b), "51-200");
  assert_true(is_null(c, "meta_industry", b));
  assert_str(str_at(c, "name", b), "Bö GmbH");
  size_t cc = row_of(c, "customer_id", "cus_C");
  assert_true(is_null(c, "email", cc));
  assert_true(is_null(c, "country", cc)); /* address null */
  assert_true(is_null(c, "currency", cc));
  assert_int_equal(segkit_table_n_cols(c), 8);
}

static void billing_subscriptions_terms(void **state) {
  world *w = *state;
  const segkit_table *s = w->t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  /* 8 good subscriptions, sub_repeat split in two spans: 9 rows; sub_bad skipped. */
  assert_int_equal(segkit_table_n_rows(s), 9);
  assert_int_equal(count_rows(s, "subscription_id", "sub_bad"), 0);

  /* Monthly: 2900 USD cents -> 29.00, plan = nickname "Basic". */
  size_t m = row_of(s, "subscription_id", "sub_monthly");
  assert_str(str_at(s, "item_id", m), "si_monthly");
  assert_str(str_at(s, "customer_id", m), "cus_A");
  assert_str(str_at(s, "plan", m), "Basic");
  assert_str(str_at(s, "product", m), "prod_basic");
  assert_close(f64_at(s, "unit_price", m), 29.0);
  assert_int_equal(i64_at(s, "seats", m), 1);
  assert_str(str_at(s, "billing_interval", m), "month");
  assert_int_equal(i64_at(s, "interval_count", m), 1);
  assert_str(str_at(s, "currency", m), "USD");
  assert_str(str_at(s, "status", m), "active");
  assert_int_equal(i64_at(s, "started_at", m), US(1705276800));
  assert_true(is_null(s, "trial_end", m));
  assert_true(is_null(s, "ended_at", m)); /* running, not cancelling */
  assert_true(is_null(s, "canceled_at", m));
  assert_int_equal(segkit_column_bool(col(s, "cancel_at_period_end"))[m], 0);
  assert_close(f64_at(s, "discount_percent", m), 0.0);

  /* Annual EUR: 120000 cents -> 1200.00 a year; no nickname -> lookup_key; product
   * expanded -> its name. */
  size_t y = row_of(s, "subscription_id", "sub_annual");
  assert_str(str_at(s, "plan", y), "pro_annual");
  assert_str(str_at(s, "product", y), "Pro");
  assert_close(f64_at(s, "unit_price", y), 1200.0);
  assert_str(str_at(s, "billing_interval", y), "year");
  assert_str(str_at(s, "currency", y), "EUR");

  /* Per seat: 1500 -> 15.00 x 5 seats; percent_off 20 forever; no nickname or lookup key ->
   * the price id. */
  size_t p = row_of(s, "subscription_id", "sub_seats");
  assert_str(str_at(s, "plan", p), "price_team");
  assert_int_equal(i64_at(s, "seats", p), 5);
  assert_close(f64_at(s, "unit_price", p), 15.0);
  assert_close(f64_at(s, "discount_percent", p), 20.0);

  /* JPY is zero-decimal: unit_amount 5000 is 5000 yen, not 50. */
  size_t j = row_of(s, "subscription_id", "sub_jpy");
  assert_close(f64_at(s, "unit_price", j), 5000.0);
  assert_str(str_at(s, "currency", j), "JPY");
}

static void billing_subscriptions_dates(void **state) {
  world *w = *state;
  const segkit_table *s = w->t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  /* Trial: started Apr 1, trial_end Apr 15, status trialing. */
  size_t t = row_of(s, "subscription_id", "sub_trial");
  assert_int_equal(i64_at(s, "started_at", t), US(1711929600));
  assert_int_equal(i64_at(s, "trial_end", t), US(1713139200));
  assert_str(str_at(s, "status", t), "trialing");
  assert_true(is_null(s, "ended_at", t));

  /* cancel_at_period_end true, ended_at and cancel_at null: service ends at
   * current_period_end = 2024-06-01; canceled_at (when the user asked) May 10. */
  size_t c = row_of(s, "subscription_id", "sub_cape");
  assert_int_equal(i64_at(s, "ended_at", c), US(1717200000));
  assert_int_equal(i64_at(s, "canceled_at", c), US(1715299200));
  assert_int_equal(segkit_column_bool(col(s, "cancel_at_period_end"))[c], 1);
  assert_int_equal(i64_at(s, "seats", c), 2);
  assert_close(f64_at(s, "unit_price", c), 10.0);

  /* amount_off 2500 USD forever on 100.00 x 1: 2500 / 10000 = 25 %. */
  size_t f = row_of(s, "subscription_id", "sub_amount_off");
  assert_close(f64_at(s, "discount_percent", f), 25.0);
  assert_close(f64_at(s, "unit_price", f), 100.0);

  /* percent_off 50 repeating, discount.end 2024-04-01: two spans of the same item,
   * [Jan 1, Apr 1) at 50 % and [Apr 1, open) at 0 %. unit_amount null, unit_amount_decimal
   * "2000.0" -> 20.00. */
  assert_int_equal(count_rows(s, "subscription_id", "sub_repeat"), 2);
  size_t h = row_of(s, "subscription_id", "sub_repeat");
  assert_int_equal(i64_at(s, "started_at", h), US(1704067200));
  assert_int_equal(i64_at(s, "ended_at", h), US(1711929600));
  assert_close(f64_at(s, "discount_percent", h), 50.0);
  assert_close(f64_at(s, "unit_price", h), 20.0);
  assert_int_equal(i64_at(s, "started_at", h + 1), US(1711929600));
  assert_true(is_null(s, "ended_at", h + 1));
  assert_close(f64_at(s, "discount_percent", h + 1), 0.0);
  assert_str(str_at(s, "item_id", h + 1), "si_h");
}

static void billing_transactions(void **state) {
  world *w = *state;
  const segkit_table *t = w->t[SEGKIT_STRIPE_TRANSACTIONS];
  /* Rows, in time order (a charge before its refund at the same second):
   *   ch_1        1705280400 cus_A sub_monthly (invoice in_1)  29.00 USD charge
   *   re_2        1706054400 cus_A sub_monthly (via ch_1)       9.00 USD refund of ch_1
   *   ch_2        1706749200 cus_B null                      1200.00 EUR charge
   *   ch_4        1706752800 cus_G null                         5000 JPY charge
   *   ch_4-refund 1706752800 cus_G null                         1000 JPY refund (implied by
   *               amount_refunded 1000 with no refund object)
   *   re_1        1707955200 cus_B null                       300.00 EUR refund of ch_2
   * Not rows: ch_3 (failed), ch_5 (not JSON), ch_6 (amount a string), re_1 again (in
   * refunds.json: duplicate), re_3 (status failed). ch_1 has amount_refunded 900 but re_2
   * refunds it, so no implied refund for it. */
  static const struct {
    const char *id, *customer, *sub;
    int64_t ts;
    double amount;
    const char *currency, *kind, *refund_of;
  } want[] = {
      {"ch_1", "cus_A", "sub_monthly", 1705280400, 29.0, "USD", "charge", NULL},
      {"re_2", "cus_A", "sub_monthly", 1706054400, 9.0, "USD", "refund", "ch_1"},
      {"ch_2", "cus_B", NULL, 1706749200, 1200.0, "EUR", "charge", NULL},
      {"ch_4", "cus_G", NULL, 1706752800, 5000.0, "JPY", "charge", NULL},
      {"ch_4-refund", "cus_G", NULL, 1706752800, 1000.0, "JPY", "refund", "ch_4"},
      {"re_1", "cus_B", NULL, 1707955200, 300.0, "EUR", "refund", "ch_2"},
  };
  assert_int_equal(segkit_table_n_rows(t), sizeof want / sizeof want[0]);
  for (size_t r = 0; r < sizeof want / sizeof want[0]; r++) {
    assert_str(str_at(t, "transaction_id", r), want[r].id);
    assert_str(str_at(t, "customer_id", r), want[r].customer);
    assert_str(str_at(t, "subscription_id", r), want[r].sub);
    assert_int_equal(i64_at(t, "timestamp", r), US(want[r].ts));
    assert_close(f64_at(t, "amount", r), want[r].amount);
    assert_str(str_at(t, "currency", r), want[r].currency);
    assert_str(str_at(t, "kind", r), want[r].kind);
    assert_str(str_at(t, "refund_of", r), want[r].refund_of);
  }
  const segkit_stripe_counts *c = segkit_stripe_import_counts(w->imp);
  assert_int_equal(c->charges_paid, 3);     /* ch_1, ch_2, ch_4 */
  assert_int_equal(c->charges_not_paid, 1); /* ch_3 */
  assert_int_equal(c->refunds_implied, 1);  /* ch_4 */
}

static void billing_skipped_objects(void **state) {
  world *w = *state;
  size_t n = 0;
  const segkit_stripe_skip *s = segkit_stripe_import_skipped(w->imp, &n);
  static const struct {
    segkit_stripe_skip_kind kind;
    const char *file;
    int64_t line, index;
    const char *id;
    const char *reason;
  } want[] = {
      {SEGKIT_STRIPE_SKIP_MALFORMED, "customers.json", 0, 3, "cus_BAD",
       "customer cus_BAD: created is a string, expected an integer"},
      {SEGKIT_STRIPE_SKIP_DUPLICATE, "customers.json", 0, 4, "cus_A",
       "customer cus_A: already imported (the first one is kept)"},
      {SEGKIT_STRIPE_SKIP_MALFORMED, "subscriptions.json", 0, 8, "sub_bad",
       "subscription sub_bad: items.data[0].price.unit_amount is a string, expected an integer"},
      {SEGKIT_STRIPE_SKIP_NOT_PAID, "charges.jsonl", 3, -1, "ch_3", NULL},
      {SEGKIT_STRIPE_SKIP_MALFORMED, "charges.jsonl", 6, -1, "", NULL},
      {SEGKIT_STRIPE_SKIP_MALFORMED, "charges.jsonl", 7, -1, "ch_6",
       "charge ch_6: amount is a string, expected an integer"},
      {SEGKIT_STRIPE_SKIP_DUPLICATE, "refunds.json", 0, 0, "re_1", NULL},
      {SEGKIT_STRIPE_SKIP_NOT_PAID, "refunds.json", 0, 2, "re_3", NULL},
      {SEGKIT_STRIPE_SKIP_UNSUPPORTED, "refunds.json", 0, 3, "prod_basic", NULL},
  };
  assert_int_equal(n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(s[i].kind, want[i].kind);
    assert_non_null(strstr(s[i].file, want[i].file));
    assert_int_equal(s[i].line, want[i].line);
    assert_int_equal(s[i].index, want[i].index);
    assert_string_equal(s[i].object_id, want[i].id);
    if (want[i].reason != NULL) {
      assert_string_equal(s[i].reason, want[i].reason);
    }
    /* Raw text for quarantine; a duplicate transaction is not quarantined, so has none. */
    if (!(s[i].kind == SEGKIT_STRIPE_SKIP_DUPLICATE && i == 6)) {
      assert_true(s[i].raw_len > 0);
    }
  }
  /* The raw line of the JSON Lines object is kept byte for byte. */
  assert_string_equal(s[4].raw, "{\"id\": \"ch_5\", \"object\": \"charge\", \"amount\": ");
  /* Rejects for quarantine: malformed objects by the table they would have fed. The
   * non-JSON line has no known type, so no table. */
  size_t nr = 0;
  const segkit_reject *r = segkit_stripe_import_rejects(w->imp, SEGKIT_STRIPE_SUBSCRIPTIONS, &nr);
  assert_int_equal(nr, 1);
  assert_int_equal(r[0].reason, SEGKIT_REJECT_BAD_JSON);
  assert_non_null(strstr(r[0].raw, "\"sub_bad\""));
  assert_non_null(strstr(r[0].message, "unit_amount is a string"));
  segkit_stripe_import_rejects(w->imp, SEGKIT_STRIPE_TRANSACTIONS, &nr);
  assert_int_equal(nr, 1); /* ch_6 */
  r = segkit_stripe_import_rejects(w->imp, SEGKIT_STRIPE_CUSTOMERS, &nr);
  assert_int_equal(nr, 1);        /* cus_BAD */
  assert_int_equal(r[0].line, 0); /* an array element: no line */
}

static void billing_object_counts(void **state) {
  world *w = *state;
  const segkit_stripe_counts *c = segkit_stripe_import_counts(w->imp);
  assert_int_equal(c->files, 5);
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_CUSTOMER], 5);
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_SUBSCRIPTION], 9);
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_INVOICE], 1);
  /* ch_1..ch_4 and ch_6; the non-JSON line is not counted as a charge. */
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_CHARGE], 5);
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_REFUND], 3);
  assert_int_equal(c->objects[SEGKIT_STRIPE_OBJ_OTHER], 1);
  assert_int_equal(c->rows[SEGKIT_STRIPE_CUSTOMERS], 3);
  assert_int_equal(c->rows[SEGKIT_STRIPE_SUBSCRIPTIONS], 9);
  assert_int_equal(c->rows[SEGKIT_STRIPE_TRANSACTIONS], 6);
}

/* ---- single cases on buffers ------------------------------------------------------- */

static segkit_status import_text(const char *text, segkit_table *t[SEGKIT_STRIPE_N_TABLES],
                                 segkit_stripe_import **imp_out, segkit_error *err) {
  segkit_stripe_import *imp = NULL;
  assert_int_equal(segkit_stripe_import_new(&imp, err), SEGKIT_OK);
  segkit_status st = segkit_stripe_import_add_buffer(imp, "mem.json", text, strlen(text), err);
  if (st == SEGKIT_OK) {
    st = segkit_stripe_import_finish(imp, t, err);
  }
  *imp_out = imp;
  return st;
}

static void free_all(segkit_stripe_import *imp, segkit_table *t[SEGKIT_STRIPE_N_TABLES]) {
  for (int i = 0; i < SEGKIT_STRIPE_N_TABLES; i++) {
    segkit_table_free(t[i]);
  }
  segkit_stripe_import_free(imp);
}

static void billing_minor_units(void **state) {
  (void)state;
  assert_int_equal(segkit_stripe_minor_per_major("usd"), 100);
  assert_int_equal(segkit_stripe_minor_per_major("JPY"), 1);
  assert_int_equal(segkit_stripe_minor_per_major("krw"), 1);
  assert_int_equal(segkit_stripe_minor_per_major("VND"), 1);
  assert_int_equal(segkit_stripe_minor_per_major("clp"), 1);
  assert_int_equal(segkit_stripe_minor_per_major("BHD"), 1000);
  assert_int_equal(segkit_stripe_minor_per_major("kwd"), 1000);
  assert_int_equal(segkit_stripe_minor_per_major("TND"), 1000);
  /* Stripe keeps ISK and HUF two-decimal in API amounts. */
  assert_int_equal(segkit_stripe_minor_per_major("isk"), 100);
  assert_int_equal(segkit_stripe_minor_per_major("HUF"), 100);
  assert_int_equal(segkit_stripe_minor_per_major(NULL), 100);
}

static void billing_three_decimal_legacy_plan(void **state) {
  (void)state;
  /* A pre-2018 subscription: no items, a top-level plan (amount 12345 fils of KWD = 12.345
   * KWD a quarter: interval month, interval_count 3) and quantity 2; cancel_at set, so the
   * service ends then even without ended_at. */
  const char *text =
      "{\"id\":\"sub_old\",\"object\":\"subscription\",\"customer\":{\"id\":\"cus_K\",\"object\":"
      "\"customer\"},\"status\":\"active\",\"start\":1704067200,\"cancel_at\":1717200000,"
      "\"quantity\":2,\"plan\":{\"id\":\"gold\",\"object\":\"plan\",\"nickname\":null,\"amount\":"
      "12345,"
      "\"currency\":\"kwd\",\"interval\":\"month\",\"interval_count\":3,\"product\":\"prod_g\"}}";
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  assert_int_equal(segkit_table_n_rows(s), 1);
  assert_close(f64_at(s, "unit_price", 0), 12.345);
  assert_int_equal(i64_at(s, "interval_count", 0), 3);
  assert_int_equal(i64_at(s, "seats", 0), 2);
  assert_str(str_at(s, "plan", 0), "gold");
  assert_str(str_at(s, "customer_id", 0), "cus_K"); /* expanded customer -> its id */
  assert_str(str_at(s, "currency", 0), "KWD");
  assert_int_equal(i64_at(s, "started_at", 0), US(1704067200));
  assert_int_equal(i64_at(s, "ended_at", 0), US(1717200000));
  assert_true(is_null(s, "item_id", 0));
  free_all(imp, t);
}

static void billing_amount_off_subscription_wide(void **state) {
  (void)state;
  /* Two items: 10.00 x 3 and 20.00 x 1, list total 50.00; amount_off 1000 (10.00) on the
   * subscription = 20 % of every item. Plus a "once" coupon of 50 % on the second item,
   * ignored (one invoice only). */
  const char *text =
      "[{\"id\":\"sub_2\",\"object\":\"subscription\",\"customer\":\"cus_2\",\"status\":\"active\","
      "\"start_date\":1704067200,\"discount\":{\"id\":\"di_1\",\"coupon\":{\"amount_off\":1000,"
      "\"currency\":\"usd\",\"duration\":\"forever\"}},\"items\":{\"data\":["
      "{\"id\":\"si_a\",\"quantity\":3,\"price\":{\"id\":\"p_a\",\"currency\":\"usd\",\"unit_"
      "amount\":1000,"
      "\"recurring\":{\"interval\":\"month\"}}},"
      "{\"id\":\"si_b\",\"quantity\":1,\"discounts\":[{\"id\":\"di_2\",\"coupon\":{\"percent_off\":"
      "50,"
      "\"duration\":\"once\"}}],\"price\":{\"id\":\"p_b\",\"currency\":\"usd\",\"unit_amount\":"
      "2000,"
      "\"recurring\":{\"interval\":\"month\"}}}]}}]";
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  assert_int_equal(segkit_table_n_rows(s), 2);
  assert_close(f64_at(s, "discount_percent", 0), 20.0);
  assert_close(f64_at(s, "discount_percent", 1), 20.0);
  /* An amount_off larger than the price caps at 100. */
  free_all(imp, t);
  const char *big = "{\"id\":\"sub_3\",\"object\":\"subscription\",\"customer\":\"cus_3\",\"start_"
                    "date\":1704067200,"
                    "\"discount\":{\"coupon\":{\"amount_off\":5000,\"currency\":\"usd\","
                    "\"duration\":\"forever\"}},"
                    "\"items\":{\"data\":[{\"id\":\"si\",\"quantity\":1,\"price\":{\"id\":\"p\","
                    "\"currency\":\"usd\","
                    "\"unit_amount\":1000,\"recurring\":{\"interval\":\"month\"}}}]}}";
  assert_int_equal(import_text(big, t, &imp, &err), SEGKIT_OK);
  assert_close(f64_at(t[SEGKIT_STRIPE_SUBSCRIPTIONS], "discount_percent", 0), 100.0);
  free_all(imp, t);
}

static void billing_not_json_is_an_error(void **state) {
  (void)state;
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  /* Broken on line 2, column 8 (jansson counts columns from 1). */
  assert_int_equal(import_text("{\"a\": 1,\n  \"b\": }", t, &imp, &err), SEGKIT_ERR_PARSE);
  assert_string_equal(err.file, "mem.json");
  assert_int_equal(err.line, 2);
  assert_non_null(strstr(err.message, "not valid JSON"));
  segkit_stripe_import_free(imp);
  /* Neither JSON nor a Stripe CSV. */
  assert_int_equal(import_text("hello,world\n1,2\n", t, &imp, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "not Stripe JSON"));
  segkit_stripe_import_free(imp);
  /* A pretty-printed document followed by more text. */
  assert_int_equal(import_text("[\n]\n\n[]", t, &imp, &err), SEGKIT_ERR_PARSE);
  assert_int_equal(err.line, 4);
  segkit_stripe_import_free(imp);
  /* Empty. */
  assert_int_equal(import_text(" \n", t, &imp, &err), SEGKIT_ERR_PARSE);
  segkit_stripe_import_free(imp);
  /* A missing file. */
  assert_int_equal(segkit_stripe_import_new(&imp, &err), SEGKIT_OK);
  assert_int_equal(segkit_stripe_import_add_file(imp, "/nonexistent/x.json", &err), SEGKIT_ERR_IO);
  assert_string_equal(err.file, "/nonexistent/x.json");
  segkit_stripe_import_free(imp);
  segkit_stripe_import_free(NULL);
}

static void billing_finish_twice(void **state) {
  (void)state;
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text("[]", t, &imp, &err), SEGKIT_OK);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(segkit_table_n_rows(t[i]), 0);
  }
  segkit_table *u[3] = {NULL, NULL, NULL};
  assert_int_equal(segkit_stripe_import_finish(imp, u, &err), SEGKIT_ERR_USAGE);
  assert_null(u[0]);
  free_all(imp, t);
}

static void billing_malformed_reasons(void **state) {
  (void)state;
  /* One object per line, each wrong in one way; the reason names the path and types. */
  const char *text =
      "{\"id\":\"sub_1\",\"object\":\"subscription\",\"start_date\":1704067200,\"items\":{\"data\":"
      "[]}}\n"
      "{\"id\":\"sub_2\",\"object\":\"subscription\",\"customer\":\"c\",\"start_date\":1704067200,"
      "\"items\":{\"data\":[{\"id\":\"si\",\"price\":{\"unit_amount\":5,\"recurring\":{"
      "\"interval\":\"month\","
      "\"interval_count\":0}}}]}}\n"
      "{\"id\":\"sub_3\",\"object\":\"subscription\",\"customer\":\"c\",\"start_date\":1704067200,"
      "\"items\":{\"data\":[{\"id\":\"si\",\"price\":{\"billing_scheme\":\"tiered\",\"unit_"
      "amount\":null,"
      "\"recurring\":{\"interval\":\"month\"}}}]}}\n"
      "{\"id\":\"ch_1\",\"object\":\"charge\",\"amount\":100,\"currency\":\"usd\",\"created\":"
      "\"x\"}\n"
      "{\"id\":42,\"object\":\"customer\"}\n"
      "{\"object\":\"customer\"}\n"
      "[1]\n";
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  size_t n = 0;
  const segkit_stripe_skip *s = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 7);
  assert_string_equal(s[0].reason, "subscription sub_1: customer is missing (every subscription "
                                   "belongs to a customer)");
  assert_string_equal(s[1].reason, "subscription sub_2: items.data[0].price.recurring."
                                   "interval_count is 0, expected at least 1");
  assert_non_null(strstr(s[2].reason, "tiered"));
  assert_string_equal(s[3].reason, "charge ch_1: created is a string, expected an integer");
  assert_string_equal(s[4].reason, "customer (no id): id is an integer, expected a string");
  assert_string_equal(s[5].reason,
                      "customer (no id): id is missing (every Stripe object has an id)");
  /* A line may be a whole page (an array): its element 0 is not an object. */
  assert_string_equal(s[6].reason, "an integer, expected a Stripe object");
  assert_int_equal(s[6].index, 0);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(s[i].line, (int64_t)i + 1);
    assert_int_equal(s[i].kind, SEGKIT_STRIPE_SKIP_MALFORMED);
  }
  free_all(imp, t);
}

static void billing_warnings(void **state) {
  (void)state;
  /* A list with has_more (a first page only); a subscription whose discounts are ids only
   * (not expanded) and whose amount_off coupon is in EUR on a USD price: the subscription
   * is imported at full price (discount 0) and each ignored part is a warning. An item-level
   * percent_off 10 forever combines with a subscription-level 50 % forever coupon:
   * 1 - 0.5 x 0.9 = 55 %. */
  const char *text =
      "{\"object\":\"list\",\"has_more\":true,\"data\":["
      "{\"id\":\"sub_w\",\"object\":\"subscription\",\"customer\":\"c\",\"start_date\":1704067200,"
      "\"discounts\":[\"di_1\",{\"id\":\"di_2\",\"coupon\":{\"amount_off\":100,\"currency\":"
      "\"eur\","
      "\"duration\":\"forever\"}}],\"items\":{\"data\":[{\"id\":\"si\",\"quantity\":1,\"price\":"
      "{\"id\":\"p\",\"currency\":\"usd\",\"unit_amount\":1000,\"recurring\":{\"interval\":"
      "\"month\"}}}]}},"
      "{\"id\":\"sub_v\",\"object\":\"subscription\",\"customer\":\"c\",\"start_date\":1704067200,"
      "\"discount\":{\"id\":\"di_3\",\"coupon\":{\"percent_off\":50,\"duration\":\"forever\"}},"
      "\"items\":{\"data\":[{\"id\":\"si_v\",\"quantity\":1,\"discounts\":[{\"id\":\"di_4\","
      "\"source\":{\"coupon\":{\"percent_off\":10,\"duration\":\"forever\"}}}],\"price\":"
      "{\"id\":\"p\",\"currency\":\"usd\",\"unit_amount\":1000,\"recurring\":{\"interval\":"
      "\"month\"}}}]}}]}";
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  assert_int_equal(segkit_table_n_rows(s), 2);
  assert_close(f64_at(s, "discount_percent", 0), 0.0);
  assert_close(f64_at(s, "discount_percent", 1), 55.0);
  size_t n = 0;
  const segkit_stripe_skip *sk = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 3);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(sk[i].kind, SEGKIT_STRIPE_SKIP_WARNING);
  }
  assert_non_null(strstr(sk[0].reason, "has_more"));
  assert_non_null(strstr(sk[1].reason, "1 discount(s) given only by id"));
  assert_non_null(strstr(sk[2].reason, "another currency"));
  /* Warnings are not quarantined. */
  size_t nr = 9;
  assert_null(segkit_stripe_import_rejects(imp, SEGKIT_STRIPE_SUBSCRIPTIONS, &nr));
  assert_int_equal(nr, 0);
  free_all(imp, t);
}

static void billing_pages_per_line(void **state) {
  (void)state;
  /* JSON Lines of whole pages: a list object on line 1, an array on line 2, a bare object
   * on line 3. Elements are located by line and index. */
  const char *text = "{\"object\":\"list\",\"data\":[{\"id\":\"cus_1\",\"object\":\"customer\"},{"
                     "\"id\":\"x\",\"object\":\"coupon\"}]}\n"
                     "[{\"id\":\"cus_2\",\"object\":\"customer\"},{\"id\":\"cus_3\",\"object\":"
                     "\"customer\",\"created\":true}]\n"
                     "{\"id\":\"cus_4\",\"object\":\"customer\"}\n";
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(t[SEGKIT_STRIPE_CUSTOMERS]), 3); /* cus_1, cus_2, cus_4 */
  size_t n = 0;
  const segkit_stripe_skip *s = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 2);
  assert_int_equal(s[0].line, 1);
  assert_int_equal(s[0].index, 1);
  assert_int_equal(s[0].kind, SEGKIT_STRIPE_SKIP_UNSUPPORTED);
  assert_int_equal(s[1].line, 2);
  assert_int_equal(s[1].index, 1);
  assert_string_equal(s[1].reason, "customer cus_3: created is a boolean, expected an integer");
  free_all(imp, t);
}

static void billing_edge_rules(void **state) {
  (void)state;
  /* Line 1: status canceled without ended_at: ends at canceled_at (2024-03-01).
   * Line 2: status incomplete_expired: ends at its start (no revenue).
   * Line 3: a charge authorised (paid true, status succeeded) but captured false: no row.
   * Line 4: an invoice in the 2025 shape (line without price, only pricing and parent):
   *   not an error, and its subscription still reaches the charge of line 5.
   * Line 5: a captured charge of that invoice: subscription_id sub_c. */
  const char *text =
      "{\"id\":\"sub_c\",\"object\":\"subscription\",\"customer\":\"c\",\"status\":\"canceled\","
      "\"start_date\":1704067200,\"canceled_at\":1709251200,\"items\":{\"data\":[{\"id\":\"si\","
      "\"quantity\":1,\"price\":{\"id\":\"p\",\"currency\":\"usd\",\"unit_amount\":100,"
      "\"recurring\":{\"interval\":\"month\"}}}]}}\n"
      "{\"id\":\"sub_i\",\"object\":\"subscription\",\"customer\":\"c\",\"status\":\"incomplete_"
      "expired\","
      "\"start_date\":1704067200,\"items\":{\"data\":[{\"id\":\"si2\",\"quantity\":1,\"price\":"
      "{\"id\":\"p\",\"currency\":\"usd\",\"unit_amount\":100,\"recurring\":{\"interval\":"
      "\"month\"}}}]}}\n"
      "{\"id\":\"ch_a\",\"object\":\"charge\",\"amount\":100,\"currency\":\"usd\",\"created\":"
      "1704067200,"
      "\"paid\":true,\"status\":\"succeeded\",\"captured\":false}\n"
      "{\"id\":\"in_n\",\"object\":\"invoice\",\"currency\":\"usd\",\"parent\":{\"type\":"
      "\"subscription_details\",\"subscription_details\":{\"subscription\":\"sub_c\"}},\"lines\":"
      "{\"data\":[{\"id\":\"il\",\"type\":\"subscription\",\"pricing\":{\"price_details\":{"
      "\"price\":\"p\"}},"
      "\"period\":{\"start\":1704067200,\"end\":1706745600}}]}}\n"
      "{\"id\":\"ch_b\",\"object\":\"charge\",\"amount\":100,\"currency\":\"usd\",\"created\":"
      "1704067200,"
      "\"paid\":true,\"captured\":true,\"invoice\":\"in_n\",\"customer\":\"c\"}\n";
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  assert_int_equal(i64_at(s, "ended_at", row_of(s, "subscription_id", "sub_c")), US(1709251200));
  free_all(imp, t);
  /* API 2025: current_period_end only on the item; with cancel_at_period_end the service
   * ends there (2024-06-01). */
  const char *item_period =
      "{\"id\":\"sub_p\",\"object\":\"subscription\",\"customer\":\"c\",\"status\":\"active\","
      "\"start_date\":1704067200,\"cancel_at_period_end\":true,\"items\":{\"data\":[{\"id\":\"si\","
      "\"quantity\":1,\"current_period_end\":1717200000,\"price\":{\"id\":\"p\",\"currency\":"
      "\"usd\",\"unit_amount\":100,\"recurring\":{\"interval\":\"month\"}}}]}}";
  assert_int_equal(import_text(item_period, t, &imp, &err), SEGKIT_OK);
  assert_int_equal(i64_at(t[SEGKIT_STRIPE_SUBSCRIPTIONS], "ended_at", 0), US(1717200000));
  free_all(imp, t);
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  assert_int_equal(i64_at(s, "ended_at", row_of(s, "subscription_id", "sub_i")), US(1704067200));
  const segkit_table *tx = t[SEGKIT_STRIPE_TRANSACTIONS];
  assert_int_equal(segkit_table_n_rows(tx), 1);
  assert_str(str_at(tx, "transaction_id", 0), "ch_b");
  assert_str(str_at(tx, "subscription_id", 0), "sub_c");
  size_t n = 0;
  const segkit_stripe_skip *sk = segkit_stripe_import_skipped(imp, &n);
  assert_int_equal(n, 1);
  assert_int_equal(sk[0].kind, SEGKIT_STRIPE_SKIP_NOT_PAID);
  assert_non_null(strstr(sk[0].reason, "captured false"));
  free_all(imp, t);
}

static void billing_tiered_prices(void **state) {
  (void)state;
  /* Tiers [up to 5: 10.00 a unit (flat 5.00)], [beyond: 8.00 a unit], 7 seats.
   * volume: all 7 in the second tier: 7 x 800 = 5600 cents; unit 8.00.
   * graduated: 5 x 1000 + 500 flat + 2 x 800 = 7100 cents; unit 71.00 / 7.
   * A tiered price without its tiers (not expanded) is malformed, saying how to export. */
  const char *fmt =
      "{\"id\":\"sub_%s\",\"object\":\"subscription\",\"customer\":\"c\",\"start_date\":1704067200,"
      "\"items\":{\"data\":[{\"id\":\"si\",\"quantity\":7,\"price\":{\"id\":\"p\",\"currency\":"
      "\"usd\",\"billing_scheme\":\"tiered\",\"tiers_mode\":\"%s\",\"unit_amount\":null,%s"
      "\"recurring\":{\"interval\":\"month\"}}}]}}\n";
  const char *tiers = "\"tiers\":[{\"up_to\":5,\"unit_amount\":1000,\"flat_amount\":500},"
                      "{\"up_to\":null,\"unit_amount_decimal\":\"800\",\"flat_amount\":null}],";
  char text[4096];
  int n = snprintf(text, sizeof text, fmt, "v", "volume", tiers);
  n += snprintf(text + n, sizeof text - (size_t)n, fmt, "g", "graduated", tiers);
  snprintf(text + n, sizeof text - (size_t)n, fmt, "x", "volume", "");
  segkit_table *t[3] = {NULL, NULL, NULL};
  segkit_stripe_import *imp = NULL;
  segkit_error err;
  assert_int_equal(import_text(text, t, &imp, &err), SEGKIT_OK);
  const segkit_table *s = t[SEGKIT_STRIPE_SUBSCRIPTIONS];
  assert_int_equal(segkit_table_n_rows(s), 2);
  size_t v = row_of(s, "subscription_id", "sub_v");
  assert_close(f64_at(s, "unit_price", v), 8.0);
  assert_int_equal(i64_at(s, "seats", v), 7);
  size_t g = row_of(s, "subscription_id", "sub_g");
  assert_close(f64_at(s, "unit_price", g) * 7, 71.0);
  size_t nk = 0;
  const segkit_stripe_skip *sk = segkit_stripe_import_skipped(imp, &nk);
  assert_int_equal(nk, 1);
  assert_string_equal(sk[0].object_id, "sub_x");
  assert_non_null(strstr(sk[0].reason, "items.data[0].price is a tiered price without its tiers"));
  free_all(imp, t);
}

int main(void) {
  const struct CMUnitTest world_tests[] = {
      cmocka_unit_test(billing_customers),           cmocka_unit_test(billing_subscriptions_terms),
      cmocka_unit_test(billing_subscriptions_dates), cmocka_unit_test(billing_transactions),
      cmocka_unit_test(billing_skipped_objects),     cmocka_unit_test(billing_object_counts),
  };
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(billing_minor_units),
      cmocka_unit_test(billing_three_decimal_legacy_plan),
      cmocka_unit_test(billing_amount_off_subscription_wide),
      cmocka_unit_test(billing_not_json_is_an_error),
      cmocka_unit_test(billing_finish_twice),
      cmocka_unit_test(billing_malformed_reasons),
      cmocka_unit_test(billing_warnings),
      cmocka_unit_test(billing_pages_per_line),
      cmocka_unit_test(billing_edge_rules),
      cmocka_unit_test(billing_tiered_prices),
  };
  int failed =
      cmocka_run_group_tests_name("billing_fixture", world_tests, world_setup, world_teardown);
  failed += cmocka_run_group_tests_name("billing_cases", tests, NULL, NULL);
  return failed;
}
