/* MRR engine on a hand-computed fixture: normalisation (monthly, annual, weekly, daily),
 * mid-month upgrade and downgrade, cancellation at period end, reactivation after three
 * months, trials that convert and that never convert, two subscriptions at once, a
 * discount, half-even rounding, currency conversion, the movements of every month, the
 * split by plan, skipped rows, errors, and independence from the thread count.
 *
 * Window: 2024-01 .. 2024-06; snapshot days Dec 31 (start of January), Jan 31, Feb 29,
 * Mar 31, Apr 30, May 31, Jun 30. Rates: USD 1, EUR 1.10, GBP 1.25. Every expected number
 * below is worked out by hand in the comments. */
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

static const char *const k_by_plan[] = {"plan"};

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* id, customer, plan, interval, count, seats, price, currency, discount, status, reason,
 * started_at, trial_end, ended_at. Rows deliberately not in customer order. */
static const char *const k_rows[] = {
    /* c16 GBP: 24.00 x 1 x 1.25 = 30.00 -> 3000 from May (start May 10). */
    "1", "16", "pro", "month", "1", "1", "24.00", "GBP", "0", "active", "new", "2024-05-10", NULL, NULL,
    /* c1 monthly: 29.00 x 3 = 87.00 -> 8700 every month end. */
    "2", "1", "pro", "month", "1", "3", "29.00", "USD", "0", "active", "new", "2023-11-10", NULL, NULL,
    /* c2 annual: 290.00 x 2 / 12 = 48.3333 -> 4833 from Jan (start Jan 20). */
    "3", "2", "pro", "year", "1", "2", "290.00", "USD", "0", "active", "new", "2024-01-20", NULL, NULL,
    /* c3 weekly: 10.00 x 52 / 12 = 43.3333 -> 4333 from Feb. */
    "4", "3", "starter", "week", "1", "1", "10.00", "USD", "0", "active", "new", "2024-02-01", NULL, NULL,
    /* c13 daily: 2.00 x 365 / 12 = 60.8333 -> 6083 from Mar. */
    "5", "13", "starter", "day", "1", "1", "2.00", "USD", NULL, "active", "new", "2024-03-05", NULL, NULL,
    /* c4 upgrade on Mar 15: starter 12.00 x 5 = 6000 until Mar 14, pro 29.00 x 5 = 14500
     * from Mar 15: Feb end 6000, Mar end 14500 -> expansion 8500 in March. */
    "6", "4", "starter", "month", "1", "5", "12.00", "USD", "0", "replaced", "new", "2023-06-01", NULL, "2024-03-15",
    "7", "4", "pro", "month", "1", "5", "29.00", "USD", "0", "active", "upgrade", "2024-03-15", NULL, NULL,
    /* c5 downgrade on Apr 15: business 59.00 x 10 = 59000, starter 12.00 x 10 = 12000 ->
     * contraction 47000 in April. */
    "8", "5", "business", "month", "1", "10", "59.00", "USD", "0", "replaced", "new", "2023-01-01", NULL, "2024-04-15",
    "9", "5", "starter", "month", "1", "10", "12.00", "USD", "0", "active", "downgrade", "2024-04-15", NULL, NULL,
    /* c6 cancels at period end Feb 20: 2900 at Jan end, 0 at Feb end -> churned in Feb. */
    "10", "6", "pro", "month", "1", "1", "29.00", "USD", "0", "canceled", "new", "2023-10-20", NULL, "2024-02-20",
    /* c12 ends May 1 (first day without service): still paid on Apr 30, churned in May. */
    "11", "12", "starter", "month", "1", "1", "12.00", "USD", "0", "canceled", "new", "2024-01-01", NULL, "2024-05-01",
    /* c7: 12.00 x 2 = 2400 until Jan 9 (churned in Jan); back on Apr 5 on pro 29.00 ->
     * no MRR at the ends of Jan, Feb, Mar; reactivation 2900 in April. */
    "12", "7", "starter", "month", "1", "2", "12.00", "USD", "0", "canceled", "new", "2023-09-01", NULL, "2024-01-10",
    "13", "7", "pro", "month", "1", "1", "29.00", "USD", "0", "active", "reactivation", "2024-04-05", NULL, NULL,
    /* c8 trial Feb 20 - Mar 4, converts: 29.00 x 2 = 5800; Feb 29 is in the trial (0), so
     * new in March, not February. */
    "14", "8", "pro", "month", "1", "2", "29.00", "USD", "0", "active", "new", "2024-02-20", "2024-03-05", NULL,
    /* c9 trial that never converts: ends at trial end, never any MRR. */
    "15", "9", "pro", "month", "1", "1", "29.00", "USD", "0", "canceled", "new", "2024-03-10", "2024-03-24", "2024-03-24",
    /* c10 two subscriptions at once: starter 1200 from Dec 1; annual business 990 / 12 =
     * 82.50 -> 8250 from Feb 10: Jan end 1200, Feb end 9450 -> expansion 8250 in Feb. */
    "16", "10", "starter", "month", "1", "1", "12.00", "USD", "0", "active", "new", "2023-12-01", NULL, NULL,
    "17", "10", "business", "year", "1", "1", "990.00", "USD", "0", "active", "new", "2024-02-10", NULL, NULL,
    /* c11 discount 15%: 59.00 x 4 x 0.85 = 200.60 -> 20060 from Jan. */
    "18", "11", "business", "month", "1", "4", "59.00", "USD", "15", "active", "new", "2024-01-01", NULL, NULL,
    /* c14 half-even: 9.90 / 12 = 0.825 -> 82.5 cents -> 82 (half-up would give 83); Jun. */
    "19", "14", "starter", "year", "1", "1", "9.90", "USD", "0", "active", "new", "2024-06-03", NULL, NULL,
    /* c15 EUR: 27.00 x 4 = 108.00 EUR x 1.10 = 118.80 -> 11880 every month end. */
    "20", "15", "pro", "month", "1", "4", "27.00", "EUR", "0", "active", "new", "2023-12-01", NULL, NULL,
    /* c17 end before start: skipped. c18 null unit price: skipped. */
    "21", "17", "pro", "month", "1", "1", "29.00", "USD", "0", "canceled", "new", "2024-02-10", NULL, "2024-02-03",
    "22", "18", "pro", "month", "1", "1", NULL, "USD", "0", "active", "new", "2024-02-10", NULL, NULL,
};
#define N_ROWS (sizeof k_rows / sizeof k_rows[0] / MT_N_COLS)

static const segkit_mrr_rate k_rates[] = {{"USD", 1.0}, {"eur", 1.10}, {"GBP", 1.25}};

static segkit_table *fixture(void) {
  segkit_table *t = mt_table(k_rows, N_ROWS);
  assert_non_null(t);
  return t;
}

static void options(segkit_mrr_options *opt) {
  segkit_mrr_options_init(opt);
  opt->rates = k_rates;
  opt->n_rates = 3;
  opt->from_month = segkit_month_index(2024, 1);
  opt->to_month = segkit_month_index(2024, 6);
  opt->keep_customer_mrr = true;
}

static segkit_mrr_result *run(const segkit_table *t, const segkit_mrr_options *opt) {
  segkit_mrr_result *r = NULL;
  segkit_error err;
  segkit_status s = segkit_mrr_compute(t, opt, &r, &err);
  if (s != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return r;
}

static void check_customer(const segkit_mrr_result *r, int64_t id, const int64_t want[7]) {
  long c = segkit_mrr_customer_find(r, id);
  assert_true(c >= 0);
  const int64_t *got = segkit_mrr_customer_mrr(r, (size_t)c);
  assert_non_null(got);
  for (int i = 0; i < 7; i++) {
    if (got[i] != want[i]) {
      fail_msg("customer %lld slot %d: %lld, expected %lld", (long long)id, i,
               (long long)got[i], (long long)want[i]);
    }
  }
}

static void metrics_mrr_month_helpers(void **state) {
  (void)state;
  assert_int_equal(segkit_month_index(2024, 3), 24290);
  int64_t y;
  unsigned m;
  segkit_month_split(24290, &y, &m);
  assert_int_equal(y, 2024);
  assert_int_equal(m, 3);
  int32_t d;
  assert_true(segkit_parse_date("2024-02-29", 10, &d));
  assert_int_equal(segkit_month_last_day(segkit_month_index(2024, 2)), d);
  assert_int_equal(segkit_month_of_day(d), segkit_month_index(2024, 2));
  assert_true(segkit_parse_date("2023-12-31", 10, &d));
  assert_int_equal(segkit_month_last_day(segkit_month_index(2023, 12)), d);
}

static void metrics_mrr_customer_series(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  segkit_mrr_result *r = run(t, &opt);
  /* slots: ends of Dec, Jan, Feb, Mar, Apr, May, Jun */
  check_customer(r, 1, (const int64_t[7]){8700, 8700, 8700, 8700, 8700, 8700, 8700});
  check_customer(r, 2, (const int64_t[7]){0, 4833, 4833, 4833, 4833, 4833, 4833});
  check_customer(r, 3, (const int64_t[7]){0, 0, 4333, 4333, 4333, 4333, 4333});
  check_customer(r, 13, (const int64_t[7]){0, 0, 0, 6083, 6083, 6083, 6083});
  check_customer(r, 4, (const int64_t[7]){6000, 6000, 6000, 14500, 14500, 14500, 14500});
  check_customer(r, 5, (const int64_t[7]){59000, 59000, 59000, 59000, 12000, 12000, 12000});
  check_customer(r, 6, (const int64_t[7]){2900, 2900, 0, 0, 0, 0, 0});
  check_customer(r, 12, (const int64_t[7]){0, 1200, 1200, 1200, 1200, 0, 0});
  check_customer(r, 7, (const int64_t[7]){2400, 0, 0, 0, 2900, 2900, 2900});
  check_customer(r, 8, (const int64_t[7]){0, 0, 0, 5800, 5800, 5800, 5800});
  check_customer(r, 9, (const int64_t[7]){0, 0, 0, 0, 0, 0, 0});
  check_customer(r, 10, (const int64_t[7]){1200, 1200, 9450, 9450, 9450, 9450, 9450});
  check_customer(r, 11, (const int64_t[7]){0, 20060, 20060, 20060, 20060, 20060, 20060});
  check_customer(r, 14, (const int64_t[7]){0, 0, 0, 0, 0, 0, 82});
  check_customer(r, 15, (const int64_t[7]){11880, 11880, 11880, 11880, 11880, 11880, 11880});
  check_customer(r, 16, (const int64_t[7]){0, 0, 0, 0, 0, 3000, 3000});
  /* c17 and c18 had only skipped rows. */
  assert_int_equal(segkit_mrr_customer_find(r, 17), -1);
  assert_int_equal(segkit_mrr_customer_find(r, 18), -1);
  assert_int_equal(segkit_mrr_n_customers(r), 16);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

typedef struct want_month {
  int64_t start, new_, react, exp, contr, churn, end;
  int64_t cs, ce, nn, nr, ne, nc, nch;
} want_month;

static void check_month(const segkit_mrr_month *m, const want_month *w, int i) {
  int64_t got[14] = {m->start_cents, m->new_cents, m->reactivation_cents, m->expansion_cents,
                     m->contraction_cents, m->churned_cents, m->end_cents, m->customers_start,
                     m->customers_end, m->n_new, m->n_reactivation, m->n_expansion,
                     m->n_contraction, m->n_churned};
  int64_t exp[14] = {w->start, w->new_, w->react, w->exp, w->contr, w->churn, w->end,
                     w->cs, w->ce, w->nn, w->nr, w->ne, w->nc,
                     w->nch};
  for (int k = 0; k < 14; k++) {
    if (got[k] != exp[k]) {
      fail_msg("month %d field %d: %lld, expected %lld", i, k, (long long)got[k],
               (long long)exp[k]);
    }
  }
  /* Reconciliation, independently of the library's own check. */
  assert_int_equal(m->start_cents + m->new_cents + m->reactivation_cents + m->expansion_cents -
                       m->contraction_cents - m->churned_cents,
                   m->end_cents);
}

static void metrics_mrr_movements_by_hand(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  segkit_mrr_result *r = run(t, &opt);
  assert_int_equal(segkit_mrr_n_months(r), 6);
  /* Dec end: c1 8700 + c4 6000 + c5 59000 + c6 2900 + c7 2400 + c10 1200 + c15 11880 =
   * 92080 (7 customers).
   * Jan: new c2 4833 + c12 1200 + c11 20060 = 26093 (3); churned c7 2400;
   *      end 92080 + 26093 - 2400 = 115773 (9 customers).
   * Feb: new c3 4333; expansion c10 8250; churned c6 2900; end 125456 (9).
   * Mar: new c13 6083 + c8 5800 = 11883 (2); expansion c4 8500; end 145839 (11).
   * Apr: reactivation c7 2900; contraction c5 47000; end 101739 (12).
   * May: new c16 3000; churned c12 1200; end 103539 (12).
   * Jun: new c14 82; end 103621 (13). */
  const want_month w[6] = {
      {92080, 26093, 0, 0, 0, 2400, 115773, 7, 9, 3, 0, 0, 0, 1},
      {115773, 4333, 0, 8250, 0, 2900, 125456, 9, 9, 1, 0, 1, 0, 1},
      {125456, 11883, 0, 8500, 0, 0, 145839, 9, 11, 2, 0, 1, 0, 0},
      {145839, 0, 2900, 0, 47000, 0, 101739, 11, 12, 0, 1, 0, 1, 0},
      {101739, 3000, 0, 0, 0, 1200, 103539, 12, 12, 1, 0, 0, 0, 1},
      {103539, 82, 0, 0, 0, 0, 103621, 12, 13, 1, 0, 0, 0, 0},
  };
  const segkit_mrr_month *m = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  for (int i = 0; i < 6; i++) {
    check_month(&m[i], &w[i], i);
    assert_int_equal(m[i].month, segkit_month_index(2024, (unsigned)(i + 1)));
  }
  /* Rates. January: logo churn 1 / 7; gross revenue churn 2400 / 92080;
   * NRR = (92080 - 2400) / 92080; GRR the same (no contraction). */
  assert_close(m[0].logo_churn_rate, 1.0 / 7.0, 1e-12);
  assert_close(m[0].gross_revenue_churn, 2400.0 / 92080.0, 1e-12);
  assert_close(m[0].nrr, 89680.0 / 92080.0, 1e-12);
  /* February: NRR = (115773 + 8250 - 2900) / 115773, GRR = (115773 - 2900) / 115773. */
  assert_close(m[1].nrr, 121123.0 / 115773.0, 1e-12);
  assert_close(m[1].grr, 112873.0 / 115773.0, 1e-12);
  /* April: NRR excludes the reactivation: (145839 - 47000) / 145839. */
  assert_close(m[3].nrr, 98839.0 / 145839.0, 1e-12);
  assert_close(m[3].gross_revenue_churn, 47000.0 / 145839.0, 1e-12);
  assert_close(m[3].logo_churn_rate, 0.0, 0.0);
  /* June: ARPU = 103621 / 13. */
  assert_close(m[5].arpu_cents, 103621.0 / 13.0, 1e-9);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

static size_t find_group(const segkit_mrr_result *r, const char *name) {
  for (size_t i = 0; i < segkit_mrr_n_groups(r); i++) {
    if (strcmp(segkit_mrr_group_name(r, i), name) == 0) {
      return i;
    }
  }
  fail_msg("no group %s", name);
  return 0;
}

static void metrics_mrr_split_by_plan(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  opt.by = k_by_plan;
  opt.n_by = 1;
  segkit_mrr_result *r = run(t, &opt);
  assert_int_equal(segkit_mrr_n_groups(r), 3);
  size_t starter = find_group(r, "starter");
  size_t business = find_group(r, "business");
  size_t pro = find_group(r, "pro");
  /* March, starter: members by their plan at the end of February: c3 4333 -> 4333, c4
   * 6000 -> 14500 (expansion 8500, attributed to starter, its plan at Feb end), c12 1200;
   * c13 has no MRR at Feb end and is starter at Mar end: new 6083. c10 is business at Feb
   * end (its 8250 row outweighs the 1200 one). start 11533, end 26116. */
  const segkit_mrr_month *s = segkit_mrr_months(r, starter);
  check_month(&s[2], &(want_month){11533, 6083, 0, 8500, 0, 0, 26116, 3, 4, 1, 0, 1, 0, 0}, 2);
  /* April, business: c5 59000 -> 12000 (contraction 47000), c10 9450, c11 20060:
   * start 88510, end 41510. */
  const segkit_mrr_month *b = segkit_mrr_months(r, business);
  check_month(&b[3], &(want_month){88510, 0, 0, 0, 47000, 0, 41510, 3, 3, 0, 0, 0, 1, 0}, 3);
  /* April, pro: c7 comes back on pro (its group at April end): reactivation 2900. Pro at
   * Mar end: c1 8700, c2 4833, c4 14500, c8 5800, c15 11880 = 45713; end 48613. */
  const segkit_mrr_month *p = segkit_mrr_months(r, pro);
  check_month(&p[3], &(want_month){45713, 0, 2900, 0, 0, 0, 48613, 5, 6, 0, 1, 0, 0, 0}, 3);
  /* Groups add up to the totals every month. */
  const segkit_mrr_month *all = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  for (size_t i = 0; i < 6; i++) {
    int64_t st = 0;
    int64_t en = 0;
    for (size_t g = 0; g < 3; g++) {
      const segkit_mrr_month *x = &segkit_mrr_months(r, g)[i];
      st += x->start_cents;
      en += x->end_cents;
      assert_int_equal(x->start_cents + x->new_cents + x->reactivation_cents +
                           x->expansion_cents - x->contraction_cents - x->churned_cents,
                       x->end_cents);
    }
    assert_int_equal(st, all[i].start_cents);
    assert_int_equal(en, all[i].end_cents);
  }
  assert_null(segkit_mrr_months(r, 3));
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

static void metrics_mrr_skipped_rows_listed(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  segkit_mrr_result *r = run(t, &opt);
  size_t n = 0;
  const segkit_mrr_skip *sk = segkit_mrr_skipped(r, &n);
  assert_int_equal(n, 2);
  assert_int_equal(sk[0].row, 20);
  assert_int_equal(sk[0].reason, SEGKIT_MRR_SKIP_END_BEFORE_START);
  assert_string_equal(sk[0].field, "ended_at");
  assert_int_equal(sk[1].row, 21);
  assert_int_equal(sk[1].reason, SEGKIT_MRR_SKIP_NULL);
  assert_string_equal(sk[1].field, "unit_price");
  assert_int_equal(segkit_mrr_rows_used(r), N_ROWS - 2);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

static void metrics_mrr_threads_do_not_change_result(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  opt.by = k_by_plan;
  opt.n_by = 1;
  opt.n_threads = 1;
  segkit_mrr_result *one = run(t, &opt);
  for (int nt = 2; nt <= 5; nt++) {
    opt.n_threads = nt;
    segkit_mrr_result *many = run(t, &opt);
    for (size_t g = 0; g < 3; g++) {
      assert_memory_equal(segkit_mrr_months(one, g), segkit_mrr_months(many, g),
                          6 * sizeof(segkit_mrr_month));
    }
    for (size_t c = 0; c < segkit_mrr_n_customers(one); c++) {
      assert_memory_equal(segkit_mrr_customer_mrr(one, c), segkit_mrr_customer_mrr(many, c),
                          7 * sizeof(int64_t));
    }
    segkit_mrr_result_free(many);
  }
  segkit_mrr_result_free(one);
  segkit_table_free(t);
}

static void expect_error(const segkit_table *t, const segkit_mrr_options *opt,
                         segkit_status code, const char *field, const char *needle) {
  segkit_mrr_result *r = NULL;
  segkit_error err;
  segkit_error_clear(&err);
  assert_int_equal(segkit_mrr_compute(t, opt, &r, &err), code);
  assert_null(r);
  if (field != NULL) {
    assert_string_equal(err.field, field);
  }
  if (strstr(err.message, needle) == NULL) {
    fail_msg("message '%s' lacks '%s'", err.message, needle);
  }
}

static void metrics_mrr_errors_name_the_column(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  opt.columns.quantity = "licences";
  expect_error(t, &opt, SEGKIT_ERR_SCHEMA, "licences", "not in the table");
  options(&opt);
  opt.columns.unit_price = "plan";
  expect_error(t, &opt, SEGKIT_ERR_TYPE, "plan", "expected int64 or float64");
  options(&opt);
  opt.columns.start = "seats";
  expect_error(t, &opt, SEGKIT_ERR_TYPE, "seats", "expected date or timestamp");
  options(&opt);
  opt.n_rates = 2; /* no GBP */
  expect_error(t, &opt, SEGKIT_ERR_NOT_FOUND, "currency", "'GBP'");
  options(&opt);
  opt.to_month = opt.from_month - 1;
  expect_error(t, &opt, SEGKIT_ERR_USAGE, NULL, "month range");
  segkit_table_free(t);

  /* An unknown interval, on row 2. */
  const char *const bad[] = {
      "1", "1", "pro", "month", "1", "1", "29.00", "USD", "0", "active", "new", "2024-01-01", NULL, NULL,
      "2", "2", "pro", "fortnight", "1", "1", "29.00", "USD", "0", "active", "new", "2024-01-01", NULL, NULL,
  };
  t = mt_table(bad, 2);
  options(&opt);
  expect_error(t, &opt, SEGKIT_ERR_PARSE, "billing_interval", "row 2: interval 'fortnight'");
  segkit_table_free(t);
  /* A discount over 100%. */
  const char *const bad2[] = {
      "1", "1", "pro", "month", "1", "1", "29.00", "USD", "120", "active", "new", "2024-01-01", NULL, NULL,
  };
  t = mt_table(bad2, 1);
  expect_error(t, &opt, SEGKIT_ERR_PARSE, "discount_percent", "row 1");
  segkit_table_free(t);
  /* Two bad rows in different thread ranges: the first in row order is reported, as in a
   * serial pass. */
  const char *const bad3[] = {
      "1", "1", "pro", "month", "1", "1", "29.00", "USD", "0", "active", "new", "2024-01-01", NULL, NULL,
      "2", "2", "pro", "fortnight", "1", "1", "29.00", "USD", "0", "active", "new", "2024-01-01", NULL, NULL,
      "3", "3", "pro", "month", "1", "1", "29.00", "USD", "120", "active", "new", "2024-01-01", NULL, NULL,
  };
  t = mt_table(bad3, 3);
  for (int nt = 1; nt <= 3; nt++) {
    opt.n_threads = nt;
    expect_error(t, &opt, SEGKIT_ERR_PARSE, "billing_interval", "row 2: interval 'fortnight'");
  }
  segkit_table_free(t);
}

/* Interval counts and Stripe's names: 3-monthly 90.00 -> 30.00; 2-weekly 10.00 ->
 * 10 x 52 / 24 = 21.6667 -> 2167; "yearly" with count 2: 2400 / 24 = 100.00. */
static void metrics_mrr_interval_counts(void **state) {
  (void)state;
  const char *const rows[] = {
      "1", "1", "pro", "month", "3", "1", "90.00", "USD", "0", "active", "new", "2023-01-01", NULL, NULL,
      "2", "2", "pro", "Week", "2", "1", "10.00", "USD", "0", "active", "new", "2023-01-01", NULL, NULL,
      "3", "3", "pro", "yearly", "2", "1", "2400.00", "USD", "0", "active", "new", "2023-01-01", NULL, NULL,
  };
  segkit_table *t = mt_table(rows, 3);
  segkit_mrr_options opt;
  options(&opt);
  segkit_mrr_result *r = run(t, &opt);
  assert_int_equal(segkit_mrr_customer_mrr(r, 0)[0], 3000);
  assert_int_equal(segkit_mrr_customer_mrr(r, 1)[0], 2167);
  assert_int_equal(segkit_mrr_customer_mrr(r, 2)[0], 10000);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

/* A string customer column: keys are dictionary codes. Using the plan as the "customer"
 * regroups the same rows, so every month-end total must be the same as by customer_id,
 * with 3 customers (starter, pro, business). */
static void metrics_mrr_string_customer(void **state) {
  (void)state;
  segkit_table *t = fixture();
  segkit_mrr_options opt;
  options(&opt);
  segkit_mrr_result *by_id = run(t, &opt);
  opt.columns.customer = "plan";
  segkit_mrr_result *by_plan = run(t, &opt);
  assert_int_equal(segkit_mrr_n_customers(by_plan), 3);
  for (size_t c = 0; c < 3; c++) {
    assert_int_equal(segkit_mrr_customer_key(by_plan, c), (int64_t)c);
  }
  const segkit_mrr_month *a = segkit_mrr_months(by_id, SEGKIT_MRR_ALL);
  const segkit_mrr_month *b = segkit_mrr_months(by_plan, SEGKIT_MRR_ALL);
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(a[i].start_cents, b[i].start_cents);
    assert_int_equal(a[i].end_cents, b[i].end_cents);
  }
  segkit_mrr_result_free(by_plan);
  segkit_mrr_result_free(by_id);
  segkit_table_free(t);
}

/* Timestamps count from their UTC day, and optional columns may be absent (quantity 1,
 * count 1, no currency, no trial, no discount). Row 1: 50.00 a month from
 * 2024-01-31T23:00:00Z (day Jan 31: paid at the end of January) to
 * 2024-02-29T10:00:00Z (end day Feb 29, exclusive: not paid at the end of February). */
static void metrics_mrr_timestamps_and_optional_columns(void **state) {
  (void)state;
  const char *names[] = {"cust", "price", "every", "from", "until"};
  segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING,
                         SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_TIMESTAMP};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(5, names, types, &b, NULL), SEGKIT_OK);
  int64_t from_us = 0;
  int64_t until_us = 0;
  assert_true(segkit_parse_timestamp("2024-01-31T23:00:00Z", 20, &from_us));
  assert_true(segkit_parse_timestamp("2024-02-29T10:00:00Z", 20, &until_us));
  assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 0), 7), SEGKIT_OK);
  assert_int_equal(segkit_column_append_float64(segkit_table_builder_column(b, 1), 50.0),
                   SEGKIT_OK);
  assert_int_equal(segkit_column_append_string(segkit_table_builder_column(b, 2), "Monthly", 7),
                   SEGKIT_OK);
  assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 3), from_us),
                   SEGKIT_OK);
  assert_int_equal(segkit_column_append_int64(segkit_table_builder_column(b, 4), until_us),
                   SEGKIT_OK);
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  memset(&opt.columns, 0, sizeof opt.columns);
  opt.columns.customer = "cust";
  opt.columns.unit_price = "price";
  opt.columns.interval = "every";
  opt.columns.start = "from";
  opt.columns.end = "until";
  opt.from_month = segkit_month_index(2024, 1);
  opt.to_month = segkit_month_index(2024, 3);
  opt.keep_customer_mrr = true;
  segkit_mrr_result *r = run(t, &opt);
  const int64_t *mrr = segkit_mrr_customer_mrr(r, 0);
  assert_int_equal(mrr[0], 0);    /* Dec 31 */
  assert_int_equal(mrr[1], 5000); /* Jan 31 */
  assert_int_equal(mrr[2], 0);    /* Feb 29 */
  const segkit_mrr_month *m = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  assert_int_equal(m[0].new_cents, 5000);
  assert_int_equal(m[1].churned_cents, 5000);
  assert_int_equal(m[1].n_churned, 1);
  assert_true(isnan(m[2].nrr)); /* no starting MRR in March */
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

/* Each row below is 8.0e15 cents a month (under the 2^53 per-row bound); 300 of them add
 * up to 2.4e18 > INT64_MAX / 4 = 2.3e18: refused before any sum could overflow. */
static void metrics_mrr_total_overflow_refused(void **state) {
  (void)state;
  enum { N = 300 };
  const char **rows = calloc(N * MT_N_COLS, sizeof *rows);
  assert_non_null(rows);
  char ids[N][8];
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "%d", i + 1);
    const char *row[MT_N_COLS] = {ids[i], ids[i], "pro", "month", "1", "1", "80000000000000.00",
                                  "USD", "0", "active", "new", "2024-01-01", NULL, NULL};
    memcpy(rows + i * MT_N_COLS, row, sizeof row);
  }
  segkit_table *t = mt_table(rows, N);
  assert_non_null(t);
  segkit_mrr_options opt;
  options(&opt);
  expect_error(t, &opt, SEGKIT_ERR_LIMIT, "unit_price", "add up to more than");
  segkit_table_free(t);
  free(rows);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metrics_mrr_month_helpers),
      cmocka_unit_test(metrics_mrr_customer_series),
      cmocka_unit_test(metrics_mrr_movements_by_hand),
      cmocka_unit_test(metrics_mrr_split_by_plan),
      cmocka_unit_test(metrics_mrr_skipped_rows_listed),
      cmocka_unit_test(metrics_mrr_threads_do_not_change_result),
      cmocka_unit_test(metrics_mrr_errors_name_the_column),
      cmocka_unit_test(metrics_mrr_interval_counts),
      cmocka_unit_test(metrics_mrr_string_customer),
      cmocka_unit_test(metrics_mrr_timestamps_and_optional_columns),
      cmocka_unit_test(metrics_mrr_total_overflow_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
