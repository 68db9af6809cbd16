/* RFM on hand-worked fixtures: recency, frequency and net monetary per customer, refunds
 * by kind and by sign, rows after the as-of day and before `since`, zero charges and
 * refund-only customers left out, NTILE(5) cut-points with ties (every tie gets the lowest
 * tile of its value), the default rule table and a custom one, the output table, string
 * and sparse (hashed) customer keys, half-even rounding at currency conversion, errors, and
 * independence from the thread count. Every expected number is worked out in the comments.
 *
 * Fixture A (as of day 100; amounts in major units; kind charge unless said):
 *   c1: day 90 10.00, day 95 10.00         -> last 95, f 2, m 2000
 *   c2: day 95 5.00                        -> last 95, f 1, m 500
 *   c3: day 50 100.00, refund day 60 30.00 -> last 50, f 1, m 7000
 *   c4: days 97, 98, 99 1.00 each          -> last 99, f 3, m 300
 *   c5: day 10 20.00                       -> last 10, f 1, m 2000
 *   c6: day 100 0.50, day 101 999.00       -> day 101 is after as_of: last 100, f 1, m 50
 *   c7: refund day 20 5.00 only            -> no charge: left out
 *   c8: charge 0.00 day 80                 -> a zero charge is no purchase: left out
 * n = 6 scored; NTILE(5) over 6 rows has tiles of 2, 1, 1, 1, 1 rows, so tiles 1..4 end at
 * sorted positions 1, 2, 3, 4 and the edges are the values there.
 *   last days sorted 10 50 95 95 99 100  -> edges 50 95 95 99
 *       r: c5 1, c3 1, c1 2, c2 2 (ties at positions 2, 3: tiles 2, 3 -> 2), c4 4, c6 5
 *   frequency 1 1 1 1 2 3                -> edges 1 1 1 2: 1 -> 1, 2 -> 4, 3 -> 5
 *   monetary 50 300 500 2000 2000 7000   -> edges 300 500 2000 2000:
 *       c6 1, c4 1, c2 2, c1 3, c5 3 (positions 3, 4 -> min tile 3), c3 5
 * Segments (docs/segments.md, first match):
 *   c1 243 Loyal (r 2-5, f 3-5, m 3-5); c2 212 About to Sleep (r 2-3, f 1-2, m 1-2);
 *   c3 115 Others; c4 451 Others; c5 113 Others; c6 511 New (r 4-5, f 1, m 1). */
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

static const char *const k_names[] = {"customer_id", "timestamp", "amount", "kind"};
static const segkit_type k_types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_DATE, SEGKIT_TYPE_FLOAT64,
                                      SEGKIT_TYPE_STRING};

static const char *const k_fixture_a[] = {
    "1", "d:90",  "10.00",  "charge", "1", "d:95",  "10.00",  "charge",
    "2", "d:95",  "5.00",   "charge", "3", "d:50",  "100.00", "charge",
    "3", "d:60",  "30.00",  "refund", "4", "d:97",  "1.00",   "charge",
    "4", "d:98",  "1.00",   "charge", "4", "d:99",  "1.00",   "charge",
    "5", "d:10",  "20.00",  "charge", "6", "d:100", "0.50",   "charge",
    "6", "d:101", "999.00", "charge", "7", "d:20",  "5.00",   "refund",
    "8", "d:80",  "0.00",   "charge",
};

static segkit_table *fixture_a(void) {
  segkit_table *t = ft_table(4, k_names, k_types, k_fixture_a, 13);
  assert_non_null(t);
  return t;
}

static segkit_rfm_result *rfm(const segkit_table *t, const segkit_rfm_options *opt) {
  segkit_rfm_result *r = NULL;
  segkit_error err;
  if (segkit_rfm_compute(t, opt, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return r;
}

static segkit_rfm_options as_of(int32_t day) {
  segkit_rfm_options o;
  segkit_rfm_options_init(&o);
  o.as_of = day;
  return o;
}

static void family_rfm_measures_and_ties(void **state) {
  (void)state;
  segkit_table *t = fixture_a();
  segkit_rfm_options o = as_of(100);
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_customers(r), 6);
  assert_int_equal(segkit_rfm_n_without_charge(r), 2);
  assert_int_equal(segkit_rfm_rows_counted(r), 12); /* all but day 101 */
  assert_int_equal(segkit_rfm_rows_skipped(r), 0);
  static const int64_t keys[] = {1, 2, 3, 4, 5, 6};
  static const int32_t rec[] = {5, 5, 50, 1, 90, 0};
  static const int64_t freq[] = {2, 1, 1, 3, 1, 1};
  static const int64_t net[] = {2000, 500, 7000, 300, 2000, 50};
  static const uint8_t rs[] = {2, 2, 1, 4, 1, 5};
  static const uint8_t fs[] = {4, 1, 1, 5, 1, 1};
  static const uint8_t ms[] = {3, 2, 5, 1, 3, 1};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(segkit_rfm_keys(r)[i], keys[i]);
    assert_int_equal(segkit_rfm_recency_days(r)[i], rec[i]);
    assert_int_equal(segkit_rfm_frequency(r)[i], freq[i]);
    assert_int_equal(segkit_rfm_monetary_cents(r)[i], net[i]);
    assert_int_equal(segkit_rfm_r(r)[i], rs[i]);
    assert_int_equal(segkit_rfm_f(r)[i], fs[i]);
    assert_int_equal(segkit_rfm_m(r)[i], ms[i]);
  }
  int64_t e[4];
  assert_int_equal(segkit_rfm_edges(r, SEGKIT_RFM_RECENCY, e), 4);
  assert_int_equal(e[0], 50);
  assert_int_equal(e[1], 95);
  assert_int_equal(e[2], 95);
  assert_int_equal(e[3], 99);
  segkit_rfm_edges(r, SEGKIT_RFM_FREQUENCY, e);
  assert_int_equal(e[0], 1);
  assert_int_equal(e[2], 1);
  assert_int_equal(e[3], 2);
  segkit_rfm_edges(r, SEGKIT_RFM_MONETARY, e);
  assert_int_equal(e[0], 300);
  assert_int_equal(e[1], 500);
  assert_int_equal(e[2], 2000);
  assert_int_equal(e[3], 2000);
  assert_int_equal(segkit_rfm_customer_find(r, 4), 3);
  assert_int_equal(segkit_rfm_customer_find(r, 7), -1);
  segkit_rfm_result_free(r);
  segkit_table_free(t);
}

static size_t count_of(const segkit_rfm_result *r, const char *name) {
  for (size_t g = 0; g < segkit_rfm_n_segments(r); g++) {
    if (strcmp(segkit_rfm_segment_name(r, g), name) == 0) {
      return segkit_rfm_segment_count(r, g);
    }
  }
  fail_msg("no segment %s", name);
  return 0;
}

static void family_rfm_segments_and_table(void **state) {
  (void)state;
  segkit_table *t = fixture_a();
  segkit_rfm_options o = as_of(100);
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_segments(r), 12);
  assert_string_equal(segkit_rfm_segment_name(r, 11), "Others");
  assert_int_equal(count_of(r, "Loyal"), 1);
  assert_int_equal(count_of(r, "About to Sleep"), 1);
  assert_int_equal(count_of(r, "New"), 1);
  assert_int_equal(count_of(r, "Others"), 3);
  assert_int_equal(count_of(r, "Champions"), 0);
  segkit_table *out = NULL;
  segkit_error err;
  assert_int_equal(segkit_rfm_table(r, t, &out, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(out), 6);
  assert_int_equal(segkit_table_n_cols(out), 9);
  static const char *const rfm_s[] = {"243", "212", "115", "451", "113", "511"};
  static const char *const seg[] = {"Loyal", "About to Sleep", "Others", "Others", "Others",
                                    "New"};
  for (size_t i = 0; i < 6; i++) {
    assert_string_equal(ft_str(out, "rfm", i), rfm_s[i]);
    assert_string_equal(ft_str(out, "segment", i), seg[i]);
  }
  assert_int_equal(segkit_column_int64(ft_col(out, "customer_id"))[3], 4);
  assert_int_equal(segkit_column_int64(ft_col(out, "recency_days"))[4], 90);
  assert_int_equal(segkit_column_int64(ft_col(out, "frequency"))[3], 3);
  assert_true(segkit_column_float64(ft_col(out, "monetary"))[2] == 70.0);
  assert_int_equal(segkit_column_int64(ft_col(out, "m"))[2], 5);
  segkit_table_free(out);
  segkit_rfm_result_free(r);
  segkit_table_free(t);
}

/* since = 55: c3's charge (day 50) and c5, c7 (days 10, 20) fall out; c3 keeps only its
 * refund (day 60): no charge, left out with c8. Scored: c1, c2, c4, c6. n = 4 < 5: NTILE(5)
 * gives tiles 1..4 of one row each, so scores run 1..4 only. last days 95 95 99 100 ->
 * edges (positions 0, 1, 2, 3) 95 95 99 100: r = 1, 1, 3, 4. */
static void family_rfm_window_and_small_n(void **state) {
  (void)state;
  segkit_table *t = fixture_a();
  segkit_rfm_options o = as_of(100);
  o.since = 55;
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_customers(r), 4);
  assert_int_equal(segkit_rfm_n_without_charge(r), 2);
  static const uint8_t rs[] = {1, 1, 3, 4};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(segkit_rfm_r(r)[i], rs[i]);
  }
  segkit_rfm_result_free(r);
  /* since after as_of is a usage error */
  o.since = 101;
  segkit_rfm_result *bad = NULL;
  segkit_error err;
  assert_int_equal(segkit_rfm_compute(t, &o, &bad, &err), SEGKIT_ERR_USAGE);
  assert_null(bad);
  segkit_table_free(t);
}

/* No kind column: the sign decides. Customer 1: +10.00, -4.00 -> f 1, m 600; customer 2:
 * +1.00 -> m 100. Timestamps count from their UTC day: 2024-01-01T23:30:00-02:00 is
 * 2024-01-02 01:30 UTC (day 19724); as of 2024-01-03 (19725) recency 1. A null amount row is
 * skipped. String customer keys are dictionary codes in first-appearance order ("b" 0,
 * "a" 1). */
static void family_rfm_sign_timestamps_strings(void **state) {
  (void)state;
  static const char *const names[] = {"cust", "ts", "amt"};
  static const segkit_type types[] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_TIMESTAMP,
                                      SEGKIT_TYPE_INT64};
  static const char *const rows[] = {
      "b", "2024-01-01T23:30:00-02:00", "10", "b", "2024-01-01T10:00:00Z", "-4",
      "a", "2024-01-01T00:00:00Z",      "1",  "a", "2024-01-01T00:00:00Z", NULL,
  };
  segkit_table *t = ft_table(3, names, types, rows, 4);
  assert_non_null(t);
  segkit_rfm_options o = as_of(19725);
  o.columns = (segkit_rfm_columns){"cust", "ts", "amt", NULL, NULL};
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_customers(r), 2);
  assert_int_equal(segkit_rfm_rows_skipped(r), 1);
  assert_int_equal(segkit_rfm_keys(r)[0], 0); /* "b" */
  assert_int_equal(segkit_rfm_monetary_cents(r)[0], 600);
  assert_int_equal(segkit_rfm_frequency(r)[0], 1);
  assert_int_equal(segkit_rfm_recency_days(r)[0], 1);
  assert_int_equal(segkit_rfm_recency_days(r)[1], 2);
  assert_int_equal(segkit_rfm_monetary_cents(r)[1], 100);
  segkit_table *out = NULL;
  segkit_error err;
  assert_int_equal(segkit_rfm_table(r, t, &out, &err), SEGKIT_OK);
  assert_string_equal(ft_str(out, "cust", 0), "b");
  assert_string_equal(ft_str(out, "cust", 1), "a");
  segkit_table_free(out);
  segkit_rfm_result_free(r);
  segkit_table_free(t);
}

/* Currency conversion rounds half to even once per row: 0.125 EUR x 100 x 1 = 12.5 -> 12;
 * 0.375 x 100 = 37.5 -> 38; 2.00 GBP x 100 x 1.5 = 300. Sparse keys (-5, 10^12) use the
 * hashed key map and still come out in key order. */
static void family_rfm_rates_rounding_sparse_keys(void **state) {
  (void)state;
  static const char *const names[] = {"customer_id", "timestamp", "amount", "kind", "cur"};
  static const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_DATE, SEGKIT_TYPE_FLOAT64,
                                      SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING};
  static const char *const rows[] = {
      "1000000000000", "d:5", "0.125", "Charge", "EUR", "-5", "d:5", "0.375", "SALE", "eur",
      "-5",            "d:6", "2.00",  "charge", "GBP",
  };
  segkit_table *t = ft_table(5, names, types, rows, 3);
  assert_non_null(t);
  static const segkit_mrr_rate rates[] = {{"EUR", 1.0}, {"GBP", 1.5}};
  segkit_rfm_options o = as_of(10);
  o.columns.currency = "cur";
  o.rates = rates;
  o.n_rates = 2;
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_customers(r), 2);
  assert_int_equal(segkit_rfm_keys(r)[0], -5);
  assert_int_equal(segkit_rfm_keys(r)[1], 1000000000000LL);
  assert_int_equal(segkit_rfm_monetary_cents(r)[0], 38 + 300);
  assert_int_equal(segkit_rfm_monetary_cents(r)[1], 12);
  segkit_rfm_result_free(r);
  /* a currency without a rate is an error naming the row */
  o.n_rates = 1;
  segkit_error err;
  segkit_rfm_result *bad = NULL;
  assert_int_equal(segkit_rfm_compute(t, &o, &bad, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "row 3"));
  assert_non_null(strstr(err.message, "GBP"));
  segkit_table_free(t);
}

static void family_rfm_errors(void **state) {
  (void)state;
  static const char *const rows[] = {
      "1", "d:1", "5.00", "charge", "1", "d:2", "-5.00", "charge", "2", "d:3", "1.00", "gift",
  };
  segkit_table *t = ft_table(4, k_names, k_types, rows, 3);
  assert_non_null(t);
  segkit_rfm_options o = as_of(10);
  segkit_error err;
  segkit_rfm_result *r = NULL;
  /* the negative charge (row 2) comes first in row order */
  assert_int_equal(segkit_rfm_compute(t, &o, &r, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "row 2"));
  assert_string_equal(err.field, "amount");
  o.negative_charge_is_refund = true;
  assert_int_equal(segkit_rfm_compute(t, &o, &r, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "row 3"));
  assert_non_null(strstr(err.message, "'gift'"));
  assert_null(r);
  /* missing and mistyped columns, bad rules */
  o.columns.customer = "nope";
  assert_int_equal(segkit_rfm_compute(t, &o, &r, &err), SEGKIT_ERR_SCHEMA);
  o.columns.customer = "amount";
  assert_int_equal(segkit_rfm_compute(t, &o, &r, &err), SEGKIT_ERR_TYPE);
  assert_non_null(strstr(err.message, "expected int64 or string"));
  o.columns.customer = "customer_id";
  o.columns.amount = "kind";
  assert_int_equal(segkit_rfm_compute(t, &o, &r, &err), SEGKIT_ERR_TYPE);
  o.columns.amount = "amount";
  static const segkit_rfm_rule bad_rule[] = {{"x", 0, 5, 1, 5, 1, 5}};
  o.rules = bad_rule;
  o.n_rules = 1;
  assert_int_equal(segkit_rfm_compute(t, &o, &r, &err), SEGKIT_ERR_USAGE);
  segkit_table_free(t);
}

/* A custom rule table: r 5 is "Recent", everything else "Others". In fixture A only c6. */
static void family_rfm_custom_rules(void **state) {
  (void)state;
  segkit_table *t = fixture_a();
  static const segkit_rfm_rule rules[] = {{"Recent", 5, 5, 1, 5, 1, 5}};
  segkit_rfm_options o = as_of(100);
  o.rules = rules;
  o.n_rules = 1;
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_segments(r), 2);
  assert_int_equal(segkit_rfm_segment_count(r, 0), 1);
  assert_int_equal(segkit_rfm_segment_count(r, 1), 5);
  assert_int_equal(segkit_rfm_segment(r)[5], 0);
  segkit_rfm_result_free(r);
  segkit_table_free(t);
}

/* Every rule of the default table is the first match of at least one score triple (the
 * reordering docs/segments.md explains), and the table has the eleven names of the issue. */
static void family_rfm_default_rules_reachable(void **state) {
  (void)state;
  size_t n = 0;
  const segkit_rfm_rule *rules = segkit_rfm_rules_default(&n);
  assert_int_equal(n, 11);
  size_t hits[11] = {0};
  for (int rs = 1; rs <= 5; rs++) {
    for (int fs = 1; fs <= 5; fs++) {
      for (int ms = 1; ms <= 5; ms++) {
        for (size_t i = 0; i < n; i++) {
          const segkit_rfm_rule *u = &rules[i];
          if (rs >= u->r_lo && rs <= u->r_hi && fs >= u->f_lo && fs <= u->f_hi &&
              ms >= u->m_lo && ms <= u->m_hi) {
            hits[i]++;
            break;
          }
        }
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (hits[i] == 0) {
      fail_msg("rule %s never matches first", rules[i].name);
    }
  }
  /* Champions: 2 x 2 x 2 triples; Lost: 111 only. */
  assert_int_equal(hits[0], 8);
  assert_int_equal(hits[9], 1);
}

/* 300 000 rows of 20 000 customers (deterministic LCG): 1, 2 and 4 threads agree on every
 * customer, score and count. */
static void family_rfm_threads_agree(void **state) {
  (void)state;
  size_t n = 300000;
  int64_t *cust = malloc(n * sizeof *cust);
  int32_t *day = malloc(n * sizeof *day);
  double *amt = malloc(n * sizeof *amt);
  assert_true(cust && day && amt);
  uint64_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    cust[i] = (int64_t)((x >> 33) % 20000);
    day[i] = (int32_t)((x >> 20) % 400);
    amt[i] = (double)((int64_t)((x >> 40) % 20000) - 2000) / 100.0;
  }
  segkit_column_arrays cols[] = {{.name = "customer_id", .type = SEGKIT_TYPE_INT64, .data = cust},
                                 {.name = "timestamp", .type = SEGKIT_TYPE_DATE, .data = day},
                                 {.name = "amount", .type = SEGKIT_TYPE_FLOAT64, .data = amt}};
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_from_arrays(n, 3, cols, &t, NULL), SEGKIT_OK);
  free(cust);
  free(day);
  free(amt);
  segkit_rfm_options o = as_of(350);
  o.columns.kind = NULL;
  o.n_threads = 1;
  segkit_rfm_result *a = rfm(t, &o);
  for (int th = 2; th <= 4; th += 2) {
    o.n_threads = th;
    segkit_rfm_result *b = rfm(t, &o);
    size_t m = segkit_rfm_n_customers(a);
    assert_int_equal(segkit_rfm_n_customers(b), m);
    assert_memory_equal(segkit_rfm_keys(a), segkit_rfm_keys(b), m * sizeof(int64_t));
    assert_memory_equal(segkit_rfm_monetary_cents(a), segkit_rfm_monetary_cents(b), m * 8);
    assert_memory_equal(segkit_rfm_r(a), segkit_rfm_r(b), m);
    assert_memory_equal(segkit_rfm_f(a), segkit_rfm_f(b), m);
    assert_memory_equal(segkit_rfm_m(a), segkit_rfm_m(b), m);
    assert_memory_equal(segkit_rfm_segment(a), segkit_rfm_segment(b), m * 2);
    assert_int_equal(segkit_rfm_rows_counted(a), segkit_rfm_rows_counted(b));
    segkit_rfm_result_free(b);
  }
  segkit_rfm_result_free(a);
  segkit_table_free(t);
}

static void family_rfm_empty(void **state) {
  (void)state;
  segkit_table *t = ft_table(4, k_names, k_types, NULL, 0);
  assert_non_null(t);
  segkit_rfm_options o = as_of(10);
  segkit_rfm_result *r = rfm(t, &o);
  assert_int_equal(segkit_rfm_n_customers(r), 0);
  int64_t e[4];
  assert_int_equal(segkit_rfm_edges(r, SEGKIT_RFM_MONETARY, e), 0);
  segkit_table *out = NULL;
  assert_int_equal(segkit_rfm_table(r, t, &out, NULL), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(out), 0);
  segkit_table_free(out);
  segkit_rfm_result_free(r);
  segkit_table_free(t);
  segkit_rfm_result_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(family_rfm_measures_and_ties),
      cmocka_unit_test(family_rfm_segments_and_table),
      cmocka_unit_test(family_rfm_window_and_small_n),
      cmocka_unit_test(family_rfm_sign_timestamps_strings),
      cmocka_unit_test(family_rfm_rates_rounding_sparse_keys),
      cmocka_unit_test(family_rfm_errors),
      cmocka_unit_test(family_rfm_custom_rules),
      cmocka_unit_test(family_rfm_default_rules_reachable),
      cmocka_unit_test(family_rfm_threads_agree),
      cmocka_unit_test(family_rfm_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
