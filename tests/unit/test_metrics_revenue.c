/* Revenue from transactions on hand-computed fixtures: a refund in a later month than its
 * charge, a partial refund, refunds as negative amounts without a kind column, two
 * currencies, a quarter boundary (Mar 31 vs Apr 1), null rows skipped and listed,
 * half-even rounding at conversion, a zero charge (counted, not paying), kind names in any
 * case, the split by one and two columns, per-customer lifetime net, the three ways rows
 * are grouped by customer (already in order, counting sort of dense ids, radix sort of
 * sparse ones), errors, and independence from the thread count. Every expected number is worked out in the comments.
 *
 * Fixture A: range 2024-11 .. 2025-04, rates USD 1, EUR 1.25. Cents of a row =
 * round_half_even(|amount| x 100 x rate). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/metrics.h"
#include "segkit/table.h"

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* ==== building tables from text ========================================================== */

static int append_text(segkit_column_builder *cb, segkit_type t, const char *s) {
  if (s == NULL) {
    return segkit_column_append_null(cb) == SEGKIT_OK ? 0 : -1;
  }
  switch (t) {
  case SEGKIT_TYPE_INT64:
    return segkit_column_append_int64(cb, strtoll(s, NULL, 10)) == SEGKIT_OK ? 0 : -1;
  case SEGKIT_TYPE_FLOAT64:
    return segkit_column_append_float64(cb, strtod(s, NULL)) == SEGKIT_OK ? 0 : -1;
  case SEGKIT_TYPE_DATE: {
    int32_t d;
    if (!segkit_parse_date(s, strlen(s), &d)) {
      return -1;
    }
    return segkit_column_append_date(cb, d) == SEGKIT_OK ? 0 : -1;
  }
  case SEGKIT_TYPE_TIMESTAMP: {
    int64_t us;
    if (!segkit_parse_timestamp(s, strlen(s), &us)) {
      return -1;
    }
    return segkit_column_append_int64(cb, us) == SEGKIT_OK ? 0 : -1;
  }
  default:
    return segkit_column_append_string(cb, s, strlen(s)) == SEGKIT_OK ? 0 : -1;
  }
}

static segkit_table *text_table(size_t n_cols, const char *const *names, const segkit_type *types,
                                const char *const *fields, size_t n_rows) {
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(n_cols, names, types, &b, NULL), SEGKIT_OK);
  for (size_t r = 0; r < n_rows; r++) {
    for (size_t c = 0; c < n_cols; c++) {
      assert_int_equal(
          append_text(segkit_table_builder_column(b, c), types[c], fields[r * n_cols + c]), 0);
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  return t;
}

/* ==== fixture A: kind column, int64 customers, timestamps, a plan ========================= */

#define A_COLS 6
static const char *const a_names[A_COLS] = {"customer_id", "timestamp", "amount",
                                            "currency",    "kind",      "plan"};
static const segkit_type a_types[A_COLS] = {SEGKIT_TYPE_INT64,  SEGKIT_TYPE_TIMESTAMP,
                                            SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
                                            SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING};
/* Not in customer order (rows 13 and 15), so the radix-sort path runs. */
static const char *const a_rows[] = {
    /* 1: Dec charge 10000 */
    "1", "2024-12-15T10:00:00Z", "100.00", "USD", "charge", "pro",
    /* 2: Jan charge 10000 */
    "1", "2025-01-15T10:00:00Z", "100.00", "USD", "charge", "pro",
    /* 3: refunds row 2 in February: counts in Feb (cash basis), not Jan */
    "1", "2025-02-03T09:00:00Z", "100.00", "USD", "refund", "pro",
    /* 4: Jan 31 23:59:59 is still January: 50 x 100 x 1.25 = 6250 */
    "2", "2025-01-31T23:59:59Z", "50.00", "EUR", "Charge", "starter",
    /* 5: partial refund on Feb 1 00:00:00: 20 x 125 = 2500 */
    "2", "2025-02-01T00:00:00Z", "20.00", "EUR", "REFUND", "starter",
    /* 6: Mar 31 (Q1): 0.125 USD = 12.5 cents -> 12 (half even; half up would give 13) */
    "3", "2025-03-31T12:00:00Z", "0.125", "USD", "payment", "starter",
    /* 7: Apr 1 00:00:01 (Q2): 0.375 USD = 37.5 cents -> 38 */
    "3", "2025-04-01T00:00:01Z", "0.375", "USD", "sale", "starter",
    /* 8: 0.10 EUR x 1.25 = 12.5 cents -> 12; plan null = group "(null)" */
    "4", "2025-03-10T08:00:00Z", "0.10", "EUR", "invoice", NULL,
    /* 9: 0.30 EUR x 1.25 = 37.5 cents -> 38, a chargeback (refund) */
    "4", "2025-03-11T08:00:00Z", "0.30", "EUR", "chargeback", NULL,
    /* 10: null customer: skipped, listed */
    NULL, "2025-01-05T08:00:00Z", "999.00", "USD", "charge", "pro",
    /* 11: null timestamp: skipped, listed */
    "5", NULL, "40.00", "USD", "charge", "pro",
    /* 12: a refund (credit) with no charge in the month: 4000, c5 is not paying */
    "5", "2025-01-20T08:00:00Z", "40.00", "USD", "credit", "pro",
    /* 13: Oct 31: before the monthly range (checked, not counted); inside Q4 2024 */
    "1", "2024-10-31T23:59:59Z", "5.00", "USD", "charge", "pro",
    /* 14: a zero charge: counted in Feb's charges, does not make c6 paying */
    "6", "2025-02-14T08:00:00Z", "0.00", "USD", "charge", "pro",
    /* 15: c2's second January charge: 1000; c2 is one paying customer */
    "2", "2025-01-02T08:00:00Z", "10.00", "USD", "charge", "starter",
};
#define A_N (sizeof a_rows / sizeof a_rows[0] / A_COLS)

static const segkit_mrr_rate a_rates[] = {{"USD", 1.0}, {"eur", 1.25}};

static segkit_table *table_a(void) {
  return text_table(A_COLS, a_names, a_types, a_rows, A_N);
}

static void options_a(segkit_revenue_options *o, int period_months) {
  segkit_revenue_options_init(o);
  o->rates = a_rates;
  o->n_rates = 2;
  o->from_month = segkit_month_index(2024, 11);
  o->to_month = segkit_month_index(2025, 4);
  o->period_months = period_months;
}

static segkit_revenue_result *compute(const segkit_table *t, const segkit_revenue_options *o) {
  segkit_revenue_result *r = NULL;
  segkit_error err;
  segkit_status s = segkit_revenue_compute(t, o, &r, &err);
  if (s != SEGKIT_OK) {
    fprintf(stderr, "segkit_revenue_compute: %s\n", err.message);
  }
  assert_int_equal(s, SEGKIT_OK);
  return r;
}

static void check_period(const segkit_revenue_period *p, int64_t charges, int64_t n_charges,
                         int64_t refunds, int64_t n_refunds, int64_t paying) {
  assert_int_equal(p->charges_cents, charges);
  assert_int_equal(p->n_charges, n_charges);
  assert_int_equal(p->refunds_cents, refunds);
  assert_int_equal(p->n_refunds, n_refunds);
  assert_int_equal(p->net_cents, charges - refunds);
  assert_int_equal(p->paying_customers, paying);
  if (paying > 0) {
    assert_close(p->net_per_paying_cents, (double)(charges - refunds) / (double)paying, 1e-9);
  } else {
    assert_true(isnan(p->net_per_paying_cents));
  }
  if (charges > 0) {
    assert_close(p->refund_rate, (double)refunds / (double)charges, 1e-12);
  } else {
    assert_true(isnan(p->refund_rate));
  }
}

static void metrics_revenue_months_total(void **state) {
  (void)state;
  segkit_table *t = table_a();
  segkit_revenue_options o;
  options_a(&o, 1);
  segkit_revenue_result *r = compute(t, &o);
  assert_int_equal(segkit_revenue_n_periods(r), 6);
  assert_int_equal(segkit_revenue_period_months(r), 1);
  const segkit_revenue_period *p = segkit_revenue_periods(r, SEGKIT_REVENUE_ALL);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(p[i].first_month, segkit_month_index(2024, 11) + i);
  }
  check_period(&p[0], 0, 0, 0, 0, 0);                 /* Nov: row 13 is in October */
  check_period(&p[1], 10000, 1, 0, 0, 1);             /* Dec: row 1 */
  /* Jan: charges rows 2, 4, 15 = 10000 + 6250 + 1000; refund row 12 = 4000; paying c1, c2
   * (c2 twice, counted once; c5 only refunded) */
  check_period(&p[2], 17250, 3, 4000, 1, 2);
  assert_close(p[2].net_per_paying_cents, 6625.0, 1e-9);
  /* Feb: the zero charge (row 14); refunds rows 3 and 5 = 10000 + 2500; nobody paying */
  check_period(&p[3], 0, 1, 12500, 2, 0);
  /* Mar: charges rows 6, 8 = 12 + 12; chargeback row 9 = 38; paying c3, c4; net -14 */
  check_period(&p[4], 24, 2, 38, 1, 2);
  assert_close(p[4].net_per_paying_cents, -7.0, 1e-12);
  check_period(&p[5], 38, 1, 0, 0, 1);                /* Apr: row 7 */
  size_t n_skips = 0;
  const segkit_mrr_skip *sk = segkit_revenue_skipped(r, &n_skips);
  assert_int_equal(n_skips, 2);
  assert_int_equal(sk[0].row, 9);
  assert_string_equal(sk[0].field, "customer_id");
  assert_int_equal(sk[0].reason, SEGKIT_MRR_SKIP_NULL);
  assert_int_equal(sk[1].row, 10);
  assert_string_equal(sk[1].field, "timestamp");
  assert_int_equal(segkit_revenue_rows_used(r), 13);
  assert_int_equal(segkit_revenue_rows_counted(r), 12);
  segkit_revenue_result_free(r);
  segkit_table_free(t);
}

static void metrics_revenue_customers_lifetime(void **state) {
  (void)state;
  segkit_table *t = table_a();
  segkit_revenue_options o;
  options_a(&o, 1);
  segkit_revenue_result *r = compute(t, &o);
  /* c1 10000 + 10000 - 10000 (row 13 out of range); c2 6250 - 2500 + 1000; c3 12 + 38;
   * c4 12 - 38; c5 -4000; c6 0. Sum 10774 = total net 10000 + 13250 - 12500 - 14 + 38. */
  static const int64_t keys[] = {1, 2, 3, 4, 5, 6};
  static const int64_t net[] = {10000, 4750, 50, -26, -4000, 0};
  assert_int_equal(segkit_revenue_n_customers(r), 6);
  const int64_t *cn = segkit_revenue_customer_net(r);
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(segkit_revenue_customer_key(r, i), keys[i]);
    assert_int_equal(cn[i], net[i]);
    assert_int_equal(segkit_revenue_customer_find(r, keys[i]), (long)i);
  }
  assert_int_equal(segkit_revenue_customer_find(r, 7), -1);
  segkit_revenue_result_free(r);
  segkit_table_free(t);
}

static void metrics_revenue_by_plan(void **state) {
  (void)state;
  segkit_table *t = table_a();
  segkit_revenue_options o;
  options_a(&o, 1);
  const char *by[] = {"plan"};
  o.columns.group = by;
  o.columns.n_group = 1;
  segkit_revenue_result *r = compute(t, &o);
  /* Groups in value order, null last. */
  assert_int_equal(segkit_revenue_n_groups(r), 3);
  assert_string_equal(segkit_revenue_group_value(r, 0, 0), "pro");
  assert_string_equal(segkit_revenue_group_value(r, 1, 0), "starter");
  assert_string_equal(segkit_revenue_group_value(r, 2, 0), "(null)");
  assert_null(segkit_revenue_group_value(r, 3, 0));
  assert_null(segkit_revenue_group_value(r, 0, 1));
  const segkit_revenue_period *pro = segkit_revenue_periods(r, 0);
  check_period(&pro[0], 0, 0, 0, 0, 0);
  check_period(&pro[1], 10000, 1, 0, 0, 1);
  check_period(&pro[2], 10000, 1, 4000, 1, 1);    /* row 2; c5's credit row 12 */
  check_period(&pro[3], 0, 1, 10000, 1, 0);       /* zero charge row 14; refund row 3 */
  check_period(&pro[4], 0, 0, 0, 0, 0);
  check_period(&pro[5], 0, 0, 0, 0, 0);
  const segkit_revenue_period *st = segkit_revenue_periods(r, 1);
  check_period(&st[2], 7250, 2, 0, 0, 1);         /* rows 4 and 15, both c2 */
  check_period(&st[3], 0, 0, 2500, 1, 0);
  check_period(&st[4], 12, 1, 0, 0, 1);
  check_period(&st[5], 38, 1, 0, 0, 1);
  const segkit_revenue_period *nul = segkit_revenue_periods(r, 2);
  check_period(&nul[4], 12, 1, 38, 1, 1);
  assert_null(segkit_revenue_periods(r, 3));
  /* The totals are unchanged by the split. */
  check_period(&segkit_revenue_periods(r, SEGKIT_REVENUE_ALL)[2], 17250, 3, 4000, 1, 2);
  segkit_revenue_result_free(r);
  segkit_table_free(t);
}

static void metrics_revenue_two_group_columns(void **state) {
  (void)state;
  segkit_table *t = table_a();
  segkit_revenue_options o;
  options_a(&o, 1);
  const char *by[] = {"plan", "currency"};
  o.columns.group = by;
  o.columns.n_group = 2;
  segkit_revenue_result *r = compute(t, &o);
  /* Combinations that occur: pro/USD, starter/EUR, starter/USD, (null)/EUR. */
  assert_int_equal(segkit_revenue_n_groups(r), 4);
  static const char *const want[4][2] = {
      {"pro", "USD"}, {"starter", "EUR"}, {"starter", "USD"}, {"(null)", "EUR"}};
  for (size_t g = 0; g < 4; g++) {
    assert_string_equal(segkit_revenue_group_value(r, g, 0), want[g][0]);
    assert_string_equal(segkit_revenue_group_value(r, g, 1), want[g][1]);
  }
  /* January: starter/EUR row 4 (6250), starter/USD row 15 (1000): c2 paying in both. */
  check_period(&segkit_revenue_periods(r, 1)[2], 6250, 1, 0, 0, 1);
  check_period(&segkit_revenue_periods(r, 2)[2], 1000, 1, 0, 0, 1);
  segkit_revenue_result_free(r);
  segkit_table_free(t);
}

static void metrics_revenue_quarters(void **state) {
  (void)state;
  segkit_table *t = table_a();
  segkit_revenue_options o;
  options_a(&o, 3);
  segkit_revenue_result *r = compute(t, &o);
  /* 2024-11 .. 2025-04 widens to 2024-10 .. 2025-06: Q4 2024, Q1 2025, Q2 2025. */
  assert_int_equal(segkit_revenue_n_periods(r), 3);
  assert_int_equal(segkit_revenue_from_month(r), segkit_month_index(2024, 10));
  assert_int_equal(segkit_revenue_to_month(r), segkit_month_index(2025, 6));
  const segkit_revenue_period *p = segkit_revenue_periods(r, SEGKIT_REVENUE_ALL);
  assert_int_equal(p[0].first_month, segkit_month_index(2024, 10));
  assert_int_equal(p[1].first_month, segkit_month_index(2025, 1));
  assert_int_equal(p[2].first_month, segkit_month_index(2025, 4));
  /* Q4: rows 13 (now in range, 500) and 1 (10000), both c1. */
  check_period(&p[0], 10500, 2, 0, 0, 1);
  /* Q1: Jan + Feb + Mar charges 17250 + 0 + 24 (6 rows), refunds 4000 + 12500 + 38 (4
   * rows); paying c1, c2, c3, c4 distinct over the quarter. */
  check_period(&p[1], 17274, 6, 16538, 4, 4);
  assert_close(p[1].net_per_paying_cents, 184.0, 1e-9);
  /* Q2: row 7 only: Apr 1 00:00:01 is after the quarter boundary, row 6 (Mar 31) before. */
  check_period(&p[2], 38, 1, 0, 0, 1);
  assert_int_equal(segkit_revenue_rows_counted(r), 13);
  assert_int_equal(segkit_revenue_customer_net(r)[0], 10500);
  segkit_revenue_result_free(r);

  /* Years: 2024 (rows 13 and 1) and 2025 (the rest: charges 17250 + 0 + 24 + 38 in 7 rows,
   * refunds 16538 in 4, paying c1 .. c4). */
  options_a(&o, 12);
  r = compute(t, &o);
  assert_int_equal(segkit_revenue_n_periods(r), 2);
  p = segkit_revenue_periods(r, SEGKIT_REVENUE_ALL);
  assert_int_equal(p[0].first_month, segkit_month_index(2024, 1));
  check_period(&p[0], 10500, 2, 0, 0, 1);
  check_period(&p[1], 17312, 7, 16538, 4, 4);
  segkit_revenue_result_free(r);
  segkit_table_free(t);
}

static void metrics_revenue_threads_do_not_matter(void **state) {
  (void)state;
  segkit_table *t = table_a();
  const char *by[] = {"plan"};
  segkit_revenue_result *base = NULL;
  for (int nt = 1; nt <= 4; nt++) {
    segkit_revenue_options o;
    options_a(&o, 1);
    o.columns.group = by;
    o.columns.n_group = 1;
    o.n_threads = nt;
    segkit_revenue_result *r = compute(t, &o);
    if (base == NULL) {
      base = r;
      continue;
    }
    for (size_t g = 0; g <= segkit_revenue_n_groups(base); g++) {
      size_t gi = g == 0 ? SEGKIT_REVENUE_ALL : g - 1;
      const segkit_revenue_period *a = segkit_revenue_periods(base, gi);
      const segkit_revenue_period *b = segkit_revenue_periods(r, gi);
      for (size_t i = 0; i < segkit_revenue_n_periods(base); i++) {
        assert_int_equal(a[i].charges_cents, b[i].charges_cents);
        assert_int_equal(a[i].refunds_cents, b[i].refunds_cents);
        assert_int_equal(a[i].n_charges, b[i].n_charges);
        assert_int_equal(a[i].paying_customers, b[i].paying_customers);
      }
    }
    assert_int_equal(segkit_revenue_n_customers(r), segkit_revenue_n_customers(base));
    assert_memory_equal(segkit_revenue_customer_net(r), segkit_revenue_customer_net(base),
                        segkit_revenue_n_customers(base) * sizeof(int64_t));
    segkit_revenue_result_free(r);
  }
  segkit_revenue_result_free(base);
  segkit_table_free(t);
}

/* ==== fixture B: no kind column (the sign decides), string customers, dates ============= */

#define B_COLS 4
static const char *const b_names[B_COLS] = {"who", "day", "amt", "cur"};
static const segkit_type b_types[B_COLS] = {SEGKIT_TYPE_STRING, SEGKIT_TYPE_DATE,
                                            SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING};
static const char *const b_rows[] = {
    "acme", "2025-01-10", "200.00", "USD",  /* charge 20000 */
    "acme", "2025-02-10", "-50.00", "USD",  /* refund 5000, a month later */
    "beta", "2025-01-15", "80.00",  "GBP",  /* 80 x 100 x 1.25 = 10000 */
    "beta", "2025-01-20", "-80.00", "GBP",  /* full refund the same month: 10000 */
    "beta", "2025-02-01", "0.005",  "USD",  /* 0.5 cent -> 0 (half even): not paying */
    "beta", "2025-02-02", "0.015",  "USD",  /* 1.5 cents -> 2 (half even): paying */
};

static segkit_revenue_options options_b(void) {
  static const segkit_mrr_rate rates[] = {{"USD", 1.0}, {"GBP", 1.25}};
  segkit_revenue_options o;
  segkit_revenue_options_init(&o);
  o.columns.customer = "who";
  o.columns.date = "day";
  o.columns.amount = "amt";
  o.columns.currency = "cur";
  o.columns.kind = NULL;
  o.rates = rates;
  o.n_rates = 2;
  o.from_month = segkit_month_index(2025, 1);
  o.to_month = segkit_month_index(2025, 2);
  return o;
}

static void metrics_revenue_sign_without_kind(void **state) {
  (void)state;
  segkit_table *t = text_table(B_COLS, b_names, b_types, b_rows, 6);
  segkit_revenue_options o = options_b();
  segkit_revenue_result *r = compute(t, &o);
  const segkit_revenue_period *p = segkit_revenue_periods(r, SEGKIT_REVENUE_ALL);
  /* Jan: charges 20000 + 10000, refund 10000, paying acme and beta, net 20000. */
  check_period(&p[0], 30000, 2, 10000, 1, 2);
  assert_close(p[0].refund_rate, 1.0 / 3.0, 1e-12);
  /* Feb: charges 0 + 2, refund 5000 (acme's January charge), paying beta only. */
  check_period(&p[1], 2, 2, 5000, 1, 1);
  assert_close(p[1].refund_rate, 2500.0, 1e-9);
  /* String customers: keys are dictionary codes (acme 0, beta 1). */
  assert_int_equal(segkit_revenue_n_customers(r), 2);
  assert_int_equal(segkit_revenue_customer_key(r, 0), 0);
  assert_int_equal(segkit_revenue_customer_key(r, 1), 1);
  assert_int_equal(segkit_revenue_customer_net(r)[0], 15000);
  assert_int_equal(segkit_revenue_customer_net(r)[1], 2);
  size_t n = 0;
  segkit_revenue_skipped(r, &n);
  assert_int_equal(n, 0);
  segkit_revenue_result_free(r);
  segkit_table_free(t);
}

/* Sparse, negative and unsorted int64 customers (span far above the row count): the radix
 * sort groups them; no currency column (amounts already in the reporting currency). */
static void metrics_revenue_sparse_customers(void **state) {
  (void)state;
  static const char *const names[3] = {"cust", "day", "amt"};
  static const segkit_type types[3] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_DATE,
                                       SEGKIT_TYPE_FLOAT64};
  static const char *const rows[] = {
      "1000000000000", "2025-01-05", "10.00",  /* charge 1000 */
      "-7",            "2025-01-06", "20.00",  /* charge 2000 */
      "5",             "2025-01-07", "30.00",  /* charge 3000 */
      "1000000000000", "2025-01-20", "5.00",   /* charge 500, same customer */
      "-7",            "2025-02-01", "-20.00", /* refund 2000 in February */
  };
  segkit_table *t = text_table(3, names, types, rows, 5);
  for (int nt = 1; nt <= 3; nt++) {
    segkit_revenue_options o;
    segkit_revenue_options_init(&o);
    o.columns.customer = "cust";
    o.columns.date = "day";
    o.columns.amount = "amt";
    o.columns.currency = NULL;
    o.columns.kind = NULL;
    o.from_month = segkit_month_index(2025, 1);
    o.to_month = segkit_month_index(2025, 2);
    o.n_threads = nt;
    segkit_revenue_result *r = compute(t, &o);
    const segkit_revenue_period *p = segkit_revenue_periods(r, SEGKIT_REVENUE_ALL);
    check_period(&p[0], 6500, 4, 0, 0, 3);
    check_period(&p[1], 0, 0, 2000, 1, 0);
    /* Keys ascending: -7 (2000 - 2000), 5 (3000), 10^12 (1000 + 500). */
    assert_int_equal(segkit_revenue_n_customers(r), 3);
    assert_int_equal(segkit_revenue_customer_key(r, 0), -7);
    assert_int_equal(segkit_revenue_customer_key(r, 1), 5);
    assert_int_equal(segkit_revenue_customer_key(r, 2), INT64_C(1000000000000));
    assert_int_equal(segkit_revenue_customer_net(r)[0], 0);
    assert_int_equal(segkit_revenue_customer_net(r)[1], 3000);
    assert_int_equal(segkit_revenue_customer_net(r)[2], 1500);
    assert_int_equal(segkit_revenue_customer_find(r, INT64_C(1000000000000)), 2);
    segkit_revenue_result_free(r);
  }
  segkit_table_free(t);
}

/* A one-row variant of fixture A with a given kind and amount. */
static segkit_status one_row(const char *kind, const char *amount, bool negative_is_refund,
                             const char *currency, segkit_revenue_result **out,
                             segkit_error *err) {
  const char *rows[] = {"1", "2025-01-10T00:00:00Z", "10.00", "USD", "charge", "pro",
                        "1", "2025-01-11T00:00:00Z", amount,  currency, kind,   "pro"};
  segkit_table *t = text_table(A_COLS, a_names, a_types, rows, 2);
  segkit_revenue_options o;
  options_a(&o, 1);
  o.negative_charge_is_refund = negative_is_refund;
  segkit_status s = segkit_revenue_compute(t, &o, out, err);
  segkit_table_free(t);
  return s;
}

static void metrics_revenue_errors(void **state) {
  (void)state;
  segkit_revenue_result *r = NULL;
  segkit_error err;
  /* An unknown kind names the row and the value. */
  assert_int_equal(one_row("void", "5.00", false, "USD", &r, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "row 2"));
  assert_non_null(strstr(err.message, "'void'"));
  assert_string_equal(err.field, "kind");
  /* A negative charge is refused by default ... */
  assert_int_equal(one_row("charge", "-5.00", false, "USD", &r, &err), SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "row 2"));
  assert_string_equal(err.field, "amount");
  /* ... and counts as a refund of 500 when allowed. */
  assert_int_equal(one_row("charge", "-5.00", true, "USD", &r, &err), SEGKIT_OK);
  check_period(&segkit_revenue_periods(r, SEGKIT_REVENUE_ALL)[2], 1000, 1, 500, 1, 1);
  segkit_revenue_result_free(r);
  /* A refund counts by its magnitude whatever its sign. */
  assert_int_equal(one_row("refund", "-5.00", false, "USD", &r, &err), SEGKIT_OK);
  check_period(&segkit_revenue_periods(r, SEGKIT_REVENUE_ALL)[2], 1000, 1, 500, 1, 1);
  segkit_revenue_result_free(r);
  /* A currency without a rate. */
  assert_int_equal(one_row("charge", "5.00", false, "CHF", &r, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "'CHF'"));
  /* A null kind is skipped, not an error. */
  assert_int_equal(one_row(NULL, "5.00", false, "USD", &r, &err), SEGKIT_OK);
  size_t n = 0;
  const segkit_mrr_skip *sk = segkit_revenue_skipped(r, &n);
  assert_int_equal(n, 1);
  assert_int_equal(sk[0].row, 1);
  assert_string_equal(sk[0].field, "kind");
  segkit_revenue_result_free(r);

  segkit_table *t = table_a();
  segkit_revenue_options o;
  options_a(&o, 5);
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_USAGE);
  options_a(&o, 1);
  o.columns.amount = "price";
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_SCHEMA);
  options_a(&o, 1);
  o.columns.amount = "kind";
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_TYPE);
  options_a(&o, 1);
  o.to_month = o.from_month - 1;
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "2024-11..2024-10"));
  options_a(&o, 12);
  o.from_month = INT32_MIN; /* no overflow while widening */
  o.to_month = INT32_MIN + 5;
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_USAGE);
  options_a(&o, 12);
  o.from_month = INT32_MAX - 5;
  o.to_month = INT32_MAX;
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_USAGE);
  options_a(&o, 1);
  o.from_month = segkit_month_index(1900, 1); /* 1201 months */
  o.to_month = segkit_month_index(2000, 1);
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_USAGE);
  options_a(&o, 1);
  const char *by[] = {"segment"};
  o.columns.group = by;
  o.columns.n_group = 1;
  assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_SCHEMA);
  options_a(&o, 1);
  o.n_rates = 1; /* EUR missing: rows 4, 5, 8, 9; with 4 threads rows 4 and 8 are in
                    different ranges, and the first in row order is still reported */
  for (int nt = 1; nt <= 4; nt++) {
    o.n_threads = nt;
    assert_int_equal(segkit_revenue_compute(t, &o, &r, &err), SEGKIT_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "row 4: currency 'EUR'"));
  }
  segkit_table_free(t);
}

static void metrics_revenue_empty_table(void **state) {
  (void)state;
  segkit_table *t = text_table(A_COLS, a_names, a_types, NULL, 0);
  segkit_revenue_options o;
  options_a(&o, 1);
  segkit_revenue_result *r = compute(t, &o);
  assert_int_equal(segkit_revenue_n_periods(r), 6);
  assert_int_equal(segkit_revenue_n_customers(r), 0);
  check_period(&segkit_revenue_periods(r, SEGKIT_REVENUE_ALL)[0], 0, 0, 0, 0, 0);
  segkit_revenue_result_free(r);
  segkit_revenue_result_free(NULL);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metrics_revenue_months_total),
      cmocka_unit_test(metrics_revenue_customers_lifetime),
      cmocka_unit_test(metrics_revenue_by_plan),
      cmocka_unit_test(metrics_revenue_two_group_columns),
      cmocka_unit_test(metrics_revenue_quarters),
      cmocka_unit_test(metrics_revenue_threads_do_not_matter),
      cmocka_unit_test(metrics_revenue_sign_without_kind),
      cmocka_unit_test(metrics_revenue_sparse_customers),
      cmocka_unit_test(metrics_revenue_errors),
      cmocka_unit_test(metrics_revenue_empty_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
