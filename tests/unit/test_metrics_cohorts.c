/* Cohort tables, pooled logo survival and both LTVs on a six-customer fixture worked out
 * by hand: two cohorts, a churn, an expansion, a reactivation and a customer active before
 * the range (left out of the cohorts but counted in the simple LTV's averages).
 *
 * Window 2024-01 .. 2024-06; snapshot days Dec 31 (slot 0), Jan 31, Feb 29, Mar 31,
 * Apr 30, May 31, Jun 30. All plans monthly USD, one seat unless said. Month-end MRR
 * (cents), slots Dec Jan Feb Mar Apr May Jun:
 *   c1 A  from Jan 5, 10.00                         0 1000 1000 1000 1000 1000 1000
 *   c2 B  from Jan 10, 20.00, ends Mar 20 (churn)   0 2000 2000    0    0    0    0
 *   c3 C  from Jan 15, 10.00; Mar 10 -> 4 seats     0 1000 1000 4000 4000 4000 4000
 *   c4 D  from Feb 1, 30.00, ends Mar 15; back May 1 0    0 3000    0    0 3000 3000
 *   c5 E  from Feb 10, 10.00                        0    0 1000 1000 1000 1000 1000
 *   c6 F  from 2023-11-01, 50.00, ends Apr 10    5000 5000 5000 5000    0    0    0
 * F is active at the end of Dec (before the range): left out of the cohorts. */
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
#include "segkit/datetime.h"
#include "segkit/metrics.h"

#define assert_close(a, b, tol)                                                            \
  do {                                                                                     \
    double a_ = (a);                                                                       \
    double b_ = (b);                                                                       \
    if (!(fabs(a_ - b_) <= (tol))) {                                                       \
      fail_msg("%s = %.15g, expected %.15g", #a, a_, b_);                                  \
    }                                                                                      \
  } while (0)

static const char *const k_rows[] = {
    "1", "1", "pro", "month", "1", "1", "10.00", "USD", "0", "active", "new", "2024-01-05", NULL, NULL,
    "2", "2", "pro", "month", "1", "1", "20.00", "USD", "0", "canceled", "new", "2024-01-10", NULL, "2024-03-20",
    "3", "3", "pro", "month", "1", "1", "10.00", "USD", "0", "replaced", "new", "2024-01-15", NULL, "2024-03-10",
    "4", "3", "pro", "month", "1", "4", "10.00", "USD", "0", "active", "seat_increase", "2024-03-10", NULL, NULL,
    "5", "4", "pro", "month", "1", "1", "30.00", "USD", "0", "canceled", "new", "2024-02-01", NULL, "2024-03-15",
    "6", "4", "pro", "month", "1", "1", "30.00", "USD", "0", "active", "reactivation", "2024-05-01", NULL, NULL,
    "7", "5", "pro", "month", "1", "1", "10.00", "USD", "0", "active", "new", "2024-02-10", NULL, NULL,
    "8", "6", "pro", "month", "1", "1", "50.00", "USD", "0", "canceled", "new", "2023-11-01", NULL, "2024-04-10",
};
#define N_ROWS (sizeof k_rows / sizeof k_rows[0] / MT_N_COLS)

static const segkit_mrr_rate k_rates[] = {{"USD", 1.0}};

static segkit_mrr_result *run_range(bool keep, int32_t from, int32_t to) {
  segkit_table *t = mt_table(k_rows, N_ROWS);
  assert_non_null(t);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 1;
  opt.from_month = from;
  opt.to_month = to;
  opt.keep_customer_mrr = keep;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  segkit_table_free(t);
  return r;
}

static segkit_mrr_result *run(bool keep) {
  return run_range(keep, segkit_month_index(2024, 1), segkit_month_index(2024, 6));
}

static void check_cohort(const segkit_cohorts *c, size_t i, int32_t month, int64_t size,
                         size_t n, const int64_t *active, const int64_t *mrr,
                         const double *logo, const double *rev) {
  assert_int_equal(segkit_cohorts_month(c, i), month);
  assert_int_equal(segkit_cohorts_size(c, i), size);
  assert_int_equal(segkit_cohorts_n_cells(c, i), n);
  const int64_t *ga = segkit_cohorts_active(c, i);
  const int64_t *gm = segkit_cohorts_mrr_cents(c, i);
  const double *gl = segkit_cohorts_logo_retention(c, i);
  const double *gr = segkit_cohorts_revenue_retention(c, i);
  for (size_t k = 0; k < n; k++) {
    assert_int_equal(ga[k], active[k]);
    assert_int_equal(gm[k], mrr[k]);
    assert_close(gl[k], logo[k], 1e-15);
    assert_close(gr[k], rev[k], 1e-15);
  }
}

static void metrics_cohorts_table_by_hand(void **state) {
  (void)state;
  segkit_mrr_result *r = run(true);
  segkit_cohorts *c = NULL;
  segkit_error err;
  assert_int_equal(segkit_cohorts_compute(r, &c, &err), SEGKIT_OK);
  assert_int_equal(segkit_cohorts_n(c), 2);
  assert_int_equal(segkit_cohorts_n_left_out(c), 1); /* F */
  /* January cohort {A, B, C}, k = 0..5 (Jan..Jun): active 3 3 2 2 2 2 (B gone from Mar);
   * MRR 1000+2000+1000 = 4000, 4000, then 1000 + 0 + 4000 = 5000 from March (C's
   * expansion outweighs B's churn): revenue retention 1, 1, 1.25, 1.25, 1.25, 1.25. */
  check_cohort(c, 0, segkit_month_index(2024, 1), 3, 6,
               (const int64_t[]){3, 3, 2, 2, 2, 2},
               (const int64_t[]){4000, 4000, 5000, 5000, 5000, 5000},
               (const double[]){1, 1, 2.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3},
               (const double[]){1, 1, 1.25, 1.25, 1.25, 1.25});
  /* February cohort {D, E}, k = 0..4 (Feb..Jun): D leaves in March and is back in May, so
   * active 2 1 1 2 2 and MRR 4000 1000 1000 4000 4000: logo 1 .5 .5 1 1, revenue
   * 1 .25 .25 1 1 (a reactivated customer counts as retained when it has MRR). */
  check_cohort(c, 1, segkit_month_index(2024, 2), 2, 5, (const int64_t[]){2, 1, 1, 2, 2},
               (const int64_t[]){4000, 1000, 1000, 4000, 4000},
               (const double[]){1, 0.5, 0.5, 1, 1}, (const double[]){1, 0.25, 0.25, 1, 1});
  /* Out of range. */
  assert_null(segkit_cohorts_active(c, 2));
  assert_int_equal(segkit_cohorts_n_cells(c, 2), 0);
  segkit_cohorts_free(c);
  segkit_mrr_result_free(r);
}

static void metrics_cohorts_survival_by_hand(void **state) {
  (void)state;
  segkit_mrr_result *r = run(true);
  segkit_cohorts *c = NULL;
  assert_int_equal(segkit_cohorts_compute(r, &c, NULL), SEGKIT_OK);
  /* Months since start observed: Jan cohort up to k = 5, Feb cohort up to k = 4.
   * k=1: at risk A B C D E = 5, D churns          S = 4/5 = 0.8
   * k=2: A B C E = 4, B churns                     S = 0.8 x 3/4 = 0.6
   * k=3: A C E = 3 (D's return does not count)     S = 0.6
   * k=4: A C E = 3                                 S = 0.6
   * k=5: A C = 2 (E not observed 5 months on)      S = 0.6 */
  size_t n = 0;
  const int64_t *at_risk = NULL;
  const int64_t *churned = NULL;
  const double *s = NULL;
  segkit_cohorts_survival(c, &n, &at_risk, &churned, &s);
  assert_int_equal(n, 6);
  const int64_t want_risk[6] = {0, 5, 4, 3, 3, 2};
  const int64_t want_churn[6] = {0, 1, 1, 0, 0, 0};
  const double want_s[6] = {1, 0.8, 0.6, 0.6, 0.6, 0.6};
  for (size_t k = 0; k < 6; k++) {
    assert_int_equal(at_risk[k], want_risk[k]);
    assert_int_equal(churned[k], want_churn[k]);
    assert_close(s[k], want_s[k], 1e-15);
  }
  segkit_cohorts_free(c);
  segkit_mrr_result_free(r);
}

/* Totals per month (F included): ends 9000 (4 active), 13000 (6), 11000 (4), 6000 (3),
 * 9000 (4), 9000 (4); starts of month 1 4 6 4 3 4 customers; churned 0 0 2 (B, D) 1 (F)
 * 0 0.
 *   ARPU  = (9000+13000+11000+6000+9000+9000) / (4+6+4+3+4+4) = 57000 / 25 = 2280
 *   churn = 3 / (1+4+6+4+3+4) = 3 / 22
 *   simple LTV, margin 0.8 = 2280 x 0.8 x 22 / 3 = 13376
 *   survival, H = 60: S(0..5) = 1 .8 .6 .6 .6 .6 (sum 4.2), then S(t) = 0.6 q^(t-5) with
 *   q = 1 - 3/22 = 19/22 for t = 6..59: 0.6 q (1 - q^54) / (1 - q) = 3.8 (1 - q^54). */
static void metrics_ltv_by_hand(void **state) {
  (void)state;
  segkit_mrr_result *r = run(true);
  segkit_ltv_options opt;
  segkit_ltv_options_init(&opt);
  assert_close(opt.gross_margin, 1.0, 0);
  assert_int_equal(opt.horizon_months, 60);
  opt.gross_margin = 0.8;
  segkit_ltv l;
  segkit_error err;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, &opt, &l, &err), SEGKIT_OK);
  assert_int_equal(l.mrr_cents_sum, 57000);
  assert_int_equal(l.customer_months, 25);
  assert_close(l.arpu_cents, 2280.0, 1e-12);
  assert_int_equal(l.churned, 3);
  assert_int_equal(l.customer_months_start, 22);
  assert_close(l.monthly_churn, 3.0 / 22.0, 1e-15);
  assert_close(l.ltv_simple_cents, 13376.0, 1e-9);
  assert_int_equal(l.n_observed, 6);
  assert_close(l.survival_sum_observed, 4.2, 1e-12);
  double q = 19.0 / 22.0;
  double sum = 4.2 + 3.8 * (1.0 - pow(q, 54));
  assert_close(l.survival_sum, sum, 1e-12);
  assert_close(l.ltv_survival_cents, sum * 2280.0 * 0.8, 1e-8);
  /* A horizon inside the observed months: S(0) + S(1) + S(2) = 2.4, margin 1. */
  opt.gross_margin = 1.0;
  opt.horizon_months = 3;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, &opt, &l, &err), SEGKIT_OK);
  assert_close(l.survival_sum_observed, 2.4, 1e-12);
  assert_close(l.survival_sum, 2.4, 1e-12);
  assert_close(l.ltv_survival_cents, 2.4 * 2280.0, 1e-9);
  assert_close(l.ltv_simple_cents, 2280.0 * 22.0 / 3.0, 1e-9);
  /* Defaults with opt NULL: margin 1, H 60. */
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, NULL, &l, &err), SEGKIT_OK);
  assert_close(l.ltv_survival_cents, sum * 2280.0, 1e-8);
  segkit_mrr_result_free(r);
}


/* Short ranges. 2024-05..2024-06: at the end of April A, C, E are active (left out); D,
 * which had been a customer in February, returns in May and, as documented, counts from
 * May (its earlier months are outside the series): one cohort, size 1, cells May, Jun
 * active 1 1, MRR 3000 3000. Survival: k=1 at risk 1 (D), no churn: S = 1, 1. Months:
 * May 6000 (3) -> 9000 (4), Jun 9000 (4) -> 9000 (4), no churn: ARPU = 18000 / 8 = 2250,
 * churn 0, simple LTV +inf, survival sum over H = 60 = 60 (continued with churn 0):
 * LTV 60 x 2250 = 135000.
 * 2024-06..2024-06: everyone active at the end of May is left out (A, C, D, E): no cohort,
 * survival-based LTV NaN, simple LTV +inf (no churn in June). */
static void metrics_cohorts_short_ranges(void **state) {
  (void)state;
  segkit_mrr_result *r = run_range(true, segkit_month_index(2024, 5), segkit_month_index(2024, 6));
  segkit_cohorts *c = NULL;
  assert_int_equal(segkit_cohorts_compute(r, &c, NULL), SEGKIT_OK);
  assert_int_equal(segkit_cohorts_n(c), 1);
  assert_int_equal(segkit_cohorts_n_left_out(c), 3);
  check_cohort(c, 0, segkit_month_index(2024, 5), 1, 2, (const int64_t[]){1, 1},
               (const int64_t[]){3000, 3000}, (const double[]){1, 1}, (const double[]){1, 1});
  size_t n = 0;
  const double *s = NULL;
  segkit_cohorts_survival(c, &n, NULL, NULL, &s);
  assert_int_equal(n, 2);
  assert_close(s[1], 1.0, 0);
  segkit_cohorts_free(c);
  segkit_ltv l;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, NULL, &l, NULL), SEGKIT_OK);
  assert_close(l.arpu_cents, 2250.0, 1e-12);
  assert_close(l.monthly_churn, 0.0, 0);
  assert_true(isinf(l.ltv_simple_cents) && l.ltv_simple_cents > 0);
  assert_close(l.survival_sum, 60.0, 1e-12);
  assert_close(l.ltv_survival_cents, 135000.0, 1e-9);
  segkit_mrr_result_free(r);

  r = run_range(true, segkit_month_index(2024, 6), segkit_month_index(2024, 6));
  assert_int_equal(segkit_cohorts_compute(r, &c, NULL), SEGKIT_OK);
  assert_int_equal(segkit_cohorts_n(c), 0);
  assert_int_equal(segkit_cohorts_n_left_out(c), 4);
  segkit_cohorts_free(c);
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, NULL, &l, NULL), SEGKIT_OK);
  assert_int_equal(l.n_observed, 0);
  assert_true(isnan(l.ltv_survival_cents));
  assert_true(isinf(l.ltv_simple_cents));
  segkit_mrr_result_free(r);
}

static void metrics_cohorts_errors(void **state) {
  (void)state;
  segkit_mrr_result *r = run(false);
  segkit_cohorts *c = NULL;
  segkit_error err;
  assert_int_equal(segkit_cohorts_compute(r, &c, &err), SEGKIT_ERR_USAGE);
  assert_null(c);
  assert_non_null(strstr(err.message, "keep_customer_mrr"));
  /* LTV needs no per-customer matrix (its survival counts come from the pass) */
  segkit_ltv l;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, NULL, &l, &err), SEGKIT_OK);
  assert_int_equal(segkit_ltv_compute(r, 0, NULL, &l, &err), SEGKIT_ERR_USAGE);
  segkit_mrr_result_free(r);
  r = run(true);
  segkit_ltv_options opt;
  segkit_ltv_options_init(&opt);
  opt.gross_margin = 1.5;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, &opt, &l, &err), SEGKIT_ERR_USAGE);
  opt.gross_margin = NAN;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, &opt, &l, &err), SEGKIT_ERR_USAGE);
  opt.gross_margin = 1.0;
  opt.horizon_months = 0;
  assert_int_equal(segkit_ltv_compute(r, SEGKIT_MRR_ALL, &opt, &l, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_cohorts_compute(NULL, &c, &err), SEGKIT_ERR_USAGE);
  segkit_cohorts_free(NULL);
  segkit_mrr_result_free(r);
}

/* Lifetimes on the same fixture (slots Dec .. Jun above; n_months 6, last slot 6):
 *   c1 first Jan, active         -> tenure 6 - 1 + 1 = 6, not churned
 *   c2 first Jan, last Feb       -> churned, tenure 2
 *   c3 first Jan, active         -> 6
 *   c4 first Feb, back in May    -> active, tenure 6 - 2 + 1 = 5 (the gap counts)
 *   c5 first Feb, active         -> 5
 *   c6 active at the end of Dec, last Mar -> churned, tenure 3 - 0 + 1 = 4, first month
 *      2023-12, started before the range */
static void metrics_lifetimes_by_hand(void **state) {
  (void)state;
  segkit_table *t = mt_table(k_rows, N_ROWS);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.rates = k_rates;
  opt.n_rates = 1;
  opt.from_month = segkit_month_index(2024, 1);
  opt.to_month = segkit_month_index(2024, 6);
  opt.keep_customer_mrr = true;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  assert_int_equal(segkit_mrr_compute(t, &opt, &r, &err), SEGKIT_OK);
  segkit_table *lt = NULL;
  assert_int_equal(segkit_mrr_lifetimes(r, t, "customer_id", &lt, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(lt), 6);
  const int64_t *id = segkit_column_int64(segkit_table_column(lt, 0));
  const int32_t *first = segkit_column_date(segkit_table_column(lt, 1));
  const int64_t *tenure = segkit_column_int64(segkit_table_column(lt, 2));
  const uint8_t *churned = segkit_column_bool(segkit_table_column(lt, 3));
  const uint8_t *before = segkit_column_bool(segkit_table_column(lt, 4));
  const int64_t want_tenure[6] = {6, 2, 6, 5, 5, 4};
  const uint8_t want_churned[6] = {0, 1, 0, 0, 0, 1};
  const int32_t want_first[6] = {segkit_days_from_civil(2024, 1, 1), segkit_days_from_civil(2024, 1, 1),
                                 segkit_days_from_civil(2024, 1, 1), segkit_days_from_civil(2024, 2, 1),
                                 segkit_days_from_civil(2024, 2, 1), segkit_days_from_civil(2023, 12, 1)};
  for (int i = 0; i < 6; i++) {
    assert_int_equal(id[i], i + 1);
    assert_int_equal(tenure[i], want_tenure[i]);
    assert_int_equal(churned[i], want_churned[i]);
    assert_int_equal(first[i], want_first[i]);
    assert_int_equal(before[i], i == 5);
  }
  segkit_table_free(lt);
  assert_int_equal(segkit_mrr_lifetimes(r, t, "nosuch", &lt, &err), SEGKIT_ERR_NOT_FOUND);
  assert_string_equal(err.field, "nosuch");
  segkit_mrr_result_free(r);
  /* Without the per-customer series: a usage error, not a crash. */
  opt.keep_customer_mrr = false;
  assert_int_equal(segkit_mrr_compute(t, &opt, &r, &err), SEGKIT_OK);
  assert_int_equal(segkit_mrr_lifetimes(r, t, "customer_id", &lt, &err), SEGKIT_ERR_USAGE);
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metrics_lifetimes_by_hand),
      cmocka_unit_test(metrics_cohorts_table_by_hand),
      cmocka_unit_test(metrics_cohorts_survival_by_hand),
      cmocka_unit_test(metrics_ltv_by_hand),
      cmocka_unit_test(metrics_cohorts_short_ranges),
      cmocka_unit_test(metrics_cohorts_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
