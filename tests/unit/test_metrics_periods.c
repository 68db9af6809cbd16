/* MRR split by several columns and by tenure stage, rates over quarters and over the
 * whole range, per-group survival and LTV, on a six-customer fixture worked out by hand.
 *
 * Window 2024-01 .. 2024-06; month-end slots s0 = 2023-12-31, s1 = Jan 31, s2 = Feb 29,
 * s3 = Mar 31, s4 = Apr 30, s5 = May 31, s6 = Jun 30. All USD, monthly unless said.
 *   A pro     10.00 from 2023-06-01                      1000 at s0..s6
 *   B pro     20.00 2023-12-01 .. 2024-02-15             2000 at s0, s1        (churn Feb)
 *   C basic    5.00 2023-10-01 .. 2024-05-10, then pro 15.00 from May 10
 *                                                        500 at s0..s4, 1500 at s5, s6
 *   D basic    8.00 2024-02-10 .. 2024-04-20             800 at s2, s3   (new Feb, churn Apr)
 *   E basic   12.00 2023-11-15 .. 2024-01-05, again from 2024-03-01
 *                                                        1200 at s0, s3..s6 (churn Jan,
 *                                                        reactivation Mar)
 *   F pro yearly 120.00 from 2024-05-20                  1000 at s5, s6         (new May)
 * Totals at s0..s6: 4700 3500 2300 3500 2700 4700 4700 with 4 3 3 4 3 4 4 customers.
 * Groups by (plan, billing_interval): (basic, month) (pro, month) (pro, year); a customer's
 * group at a month end is its row's: C is basic until s4, pro from s5. */
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

#define assert_close(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static const char *const k_rows[] = {
    "1", "1", "pro", "month", "1", "1", "10.00", "USD", "0", "active", "new", "2023-06-01", NULL, NULL,
    "2", "2", "pro", "month", "1", "1", "20.00", "USD", "0", "canceled", "new", "2023-12-01", NULL, "2024-02-15",
    "3", "3", "basic", "month", "1", "1", "5.00", "USD", "0", "replaced", "new", "2023-10-01", NULL, "2024-05-10",
    "4", "3", "pro", "month", "1", "1", "15.00", "USD", "0", "active", "upgrade", "2024-05-10", NULL, NULL,
    "5", "4", "basic", "month", "1", "1", "8.00", "USD", "0", "canceled", "new", "2024-02-10", NULL, "2024-04-20",
    "6", "5", "basic", "month", "1", "1", "12.00", "USD", "0", "canceled", "new", "2023-11-15", NULL, "2024-01-05",
    "7", "5", "basic", "month", "1", "1", "12.00", "USD", "0", "active", "reactivation", "2024-03-01", NULL, NULL,
    "8", "6", "pro", "year", "1", "1", "120.00", "USD", "0", "active", "new", "2024-05-20", NULL, NULL,
};
#define N_ROWS (sizeof k_rows / sizeof k_rows[0] / MT_N_COLS)

static const char *const k_by[] = {"plan", "billing_interval"};

static segkit_mrr_result *run(segkit_mrr_period_kind period, size_t n_by, bool stages,
                              int threads) {
  segkit_table *t = mt_table(k_rows, N_ROWS);
  assert_non_null(t);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.columns.currency = NULL;
  opt.from_month = segkit_month_index(2024, 1);
  opt.to_month = segkit_month_index(2024, 6);
  opt.by = n_by > 0 ? k_by : NULL;
  opt.n_by = n_by;
  opt.by_tenure_stage = stages;
  opt.period = period;
  opt.n_threads = threads;
  opt.min_customers = 3;
  opt.keep_customer_mrr = true;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  if (segkit_mrr_compute(t, &opt, &r, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  segkit_table_free(t);
  return r;
}

/* Wilson (1927) at 95%, written out here from the formula, independent of the library. */
static void wilson95(double x, double n, double *lo, double *hi) {
  double z = 1.959963984540054;
  double p = x / n;
  double den = 1.0 + z * z / n;
  double centre = (p + z * z / (2.0 * n)) / den;
  double half = z / den * sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n));
  *lo = centre - half;
  *hi = centre + half;
}

static void metrics_periods_quarters_totals(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_QUARTER, 0, false, 1);
  assert_int_equal(segkit_mrr_n_groups(r), 0);
  assert_int_equal(segkit_mrr_n_periods(r), 2);
  const segkit_mrr_period *q = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  /* Q1: start s0 {A, B, C, E} 4700; at s3 A 1000, B 0, C 500, E 1200 (back in March:
   * retained). */
  assert_int_equal(q[0].first_month, segkit_month_index(2024, 1));
  assert_int_equal(q[0].last_month, segkit_month_index(2024, 3));
  assert_false(q[0].partial);
  assert_int_equal(q[0].start_cents, 4700);
  assert_int_equal(q[0].end_cents, 3500);
  assert_int_equal(q[0].customers_start, 4);
  assert_int_equal(q[0].customers_end, 4);
  assert_int_equal(q[0].retained, 3);
  assert_int_equal(q[0].lost, 1);
  assert_int_equal(q[0].retained_cents, 2700);
  assert_int_equal(q[0].retained_capped_cents, 2700);
  assert_int_equal(q[0].new_cents, 800);
  assert_int_equal(q[0].reactivation_cents, 1200);
  assert_int_equal(q[0].churned_cents, 3200);
  assert_int_equal(q[0].n_churned, 2);
  assert_close(q[0].logo_churn, 0.25, 1e-15);
  double lo;
  double hi;
  wilson95(1, 4, &lo, &hi);
  assert_close(q[0].logo_churn_low, lo, 1e-12);
  assert_close(q[0].logo_churn_high, hi, 1e-12);
  assert_close(q[0].nrr, 2700.0 / 4700.0, 1e-15);
  assert_close(q[0].grr, 2700.0 / 4700.0, 1e-15);
  /* customer-months at start 4 + 3 + 3, churn events 2; active months 3 + 3 + 4 with
   * 3500 + 2300 + 3500 */
  assert_int_equal(q[0].customer_months, 10);
  assert_close(q[0].monthly_churn, 0.2, 1e-15);
  wilson95(2, 10, &lo, &hi);
  assert_close(q[0].monthly_churn_low, lo, 1e-12);
  assert_close(q[0].monthly_churn_high, hi, 1e-12);
  assert_int_equal(q[0].active_months, 10);
  assert_close(q[0].arpu_cents, 930.0, 1e-12);
  assert_false(q[0].too_small);
  /* Q2: start s3 {A, C, D, E} 3500; at s6 A 1000, C 1500, D 0, E 1200 */
  assert_int_equal(q[1].start_cents, 3500);
  assert_int_equal(q[1].retained, 3);
  assert_int_equal(q[1].retained_cents, 3700);
  assert_int_equal(q[1].retained_capped_cents, 2700);
  assert_close(q[1].nrr, 3700.0 / 3500.0, 1e-15);
  assert_close(q[1].grr, 2700.0 / 3500.0, 1e-15);
  assert_close(q[1].revenue_churn, 800.0 / 3500.0, 1e-15);
  assert_int_equal(q[1].customer_months, 11);
  assert_close(q[1].monthly_churn, 1.0 / 11.0, 1e-15);
  assert_close(q[1].arpu_cents, 12100.0 / 11.0, 1e-12);
  assert_int_equal(q[1].expansion_cents, 1000);
  /* NRR interval (ratio estimator, delta method), from the four customers' (start, end):
   * A (1000, 1000), C (500, 1500), D (800, 0), E (1200, 1200); GRR with end capped at start */
  const double xs[] = {1000, 500, 800, 1200};
  const double ys[] = {1000, 1500, 0, 1200};
  for (int which = 0; which < 2; which++) {
    double sx = 0;
    double sy = 0;
    for (int i = 0; i < 4; i++) {
      sx += xs[i];
      sy += which == 0 ? ys[i] : fmin(xs[i], ys[i]);
    }
    double rr = sy / sx;
    double ss = 0;
    for (int i = 0; i < 4; i++) {
      double y = which == 0 ? ys[i] : fmin(xs[i], ys[i]);
      ss += (y - rr * xs[i]) * (y - rr * xs[i]);
    }
    double se = sqrt(ss / (4.0 * 3.0 * (sx / 4) * (sx / 4)));
    double z = 1.959963984540054;
    double want_lo = fmax(0.0, rr - z * se);
    double want_hi = which == 0 ? rr + z * se : fmin(1.0, rr + z * se);
    assert_close(which == 0 ? q[1].nrr_low : q[1].grr_low, want_lo, 1e-12);
    assert_close(which == 0 ? q[1].nrr_high : q[1].grr_high, want_hi, 1e-12);
  }
  /* by hand for NRR: residuals -57.14, 971.43, -845.71, -68.57, x-bar 875: se 0.425944 */
  assert_close(q[1].nrr_low, 3700.0 / 3500.0 - 1.959963984540054 * 0.425944, 1e-5);
  assert_int_equal(q[1].new_cents, 1000);
  segkit_mrr_result_free(r);
}

static void metrics_periods_partial_quarters_and_months(void **state) {
  (void)state;
  segkit_table *t = mt_table(k_rows, N_ROWS);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.columns.currency = NULL;
  opt.from_month = segkit_month_index(2024, 2);
  opt.to_month = segkit_month_index(2024, 4);
  opt.period = SEGKIT_MRR_PERIOD_QUARTER;
  segkit_mrr_result *r = NULL;
  assert_int_equal(segkit_mrr_compute(t, &opt, &r, NULL), SEGKIT_OK);
  /* Feb..Mar (Q1 clipped) and Apr (Q2 clipped) */
  assert_int_equal(segkit_mrr_n_periods(r), 2);
  const segkit_mrr_period *q = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  assert_int_equal(q[0].first_month, segkit_month_index(2024, 2));
  assert_int_equal(q[0].last_month, segkit_month_index(2024, 3));
  assert_true(q[0].partial);
  assert_int_equal(q[1].first_month, segkit_month_index(2024, 4));
  assert_int_equal(q[1].last_month, segkit_month_index(2024, 4));
  assert_true(q[1].partial);
  segkit_mrr_result_free(r);
  /* monthly periods are the months: April's period is April's movements */
  opt.period = SEGKIT_MRR_PERIOD_MONTH;
  assert_int_equal(segkit_mrr_compute(t, &opt, &r, NULL), SEGKIT_OK);
  assert_int_equal(segkit_mrr_n_periods(r), 3);
  const segkit_mrr_month *m = segkit_mrr_months(r, SEGKIT_MRR_ALL);
  q = segkit_mrr_periods(r, SEGKIT_MRR_ALL);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(q[i].start_cents, m[i].start_cents);
    assert_int_equal(q[i].end_cents, m[i].end_cents);
    assert_int_equal(q[i].lost, m[i].n_churned);
    assert_false(q[i].partial);
  }
  segkit_mrr_result_free(r);
  segkit_table_free(t);
}

static void metrics_periods_by_two_columns(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_QUARTER, 2, false, 2);
  assert_int_equal(segkit_mrr_n_groups(r), 3);
  assert_int_equal(segkit_mrr_n_keys(r), 2);
  assert_string_equal(segkit_mrr_key_name(r, 1), "billing_interval");
  assert_string_equal(segkit_mrr_group_name(r, 0), "basic / month");
  assert_string_equal(segkit_mrr_group_name(r, 1), "pro / month");
  assert_string_equal(segkit_mrr_group_name(r, 2), "pro / year");
  assert_string_equal(segkit_mrr_group_key(r, 2, 1), "year");
  assert_null(segkit_mrr_group_key(r, 3, 0));
  /* Q1, basic/month: C 500 and E 1200 at s0, both there at s3 */
  const segkit_mrr_period *b = segkit_mrr_periods(r, 0);
  assert_int_equal(b[0].customers_start, 2);
  assert_int_equal(b[0].start_cents, 1700);
  assert_int_equal(b[0].retained, 2);
  assert_close(b[0].nrr, 1.0, 1e-15);
  assert_true(b[0].too_small); /* min_customers 3 */
  /* Q2, basic/month: C 500, D 800, E 1200 at s3; at s6 C 1500 (pro now, but it started
   * the quarter in basic), D 0, E 1200 */
  assert_int_equal(b[1].customers_start, 3);
  assert_int_equal(b[1].start_cents, 2500);
  assert_int_equal(b[1].retained, 2);
  assert_int_equal(b[1].retained_cents, 2700);
  assert_int_equal(b[1].retained_capped_cents, 1700);
  assert_close(b[1].nrr, 1.08, 1e-15);
  assert_close(b[1].grr, 0.68, 1e-15);
  assert_false(b[1].too_small);
  /* Q1, pro/month: A 1000 and B 2000; B lost */
  const segkit_mrr_period *p = segkit_mrr_periods(r, 1);
  assert_int_equal(p[0].customers_start, 2);
  assert_int_equal(p[0].lost, 1);
  assert_close(p[0].nrr, 1.0 / 3.0, 1e-15);
  /* pro/year has nobody at either quarter's start */
  const segkit_mrr_period *y = segkit_mrr_periods(r, 2);
  assert_int_equal(y[0].customers_start, 0);
  assert_true(isnan(y[0].logo_churn));
  assert_true(isnan(y[0].logo_churn_low));
  assert_true(isnan(y[0].nrr));
  assert_null(segkit_mrr_periods(r, 3));
  segkit_mrr_result_free(r);
}

static void metrics_periods_tenure_stages(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_QUARTER, 0, true, 1);
  assert_int_equal(segkit_mrr_n_groups(r), 3);
  assert_int_equal(segkit_mrr_n_keys(r), 1);
  assert_string_equal(segkit_mrr_key_name(r, 0), "tenure_stage");
  assert_string_equal(segkit_mrr_group_name(r, 0), "onboarding");
  assert_string_equal(segkit_mrr_group_name(r, 1), "growth");
  assert_string_equal(segkit_mrr_group_name(r, 2), "mature");
  /* Tenure on 2024-03-31 (s3): A from 2023-06-01 304 days, C from 2023-10-01 182 days
   * (mature); D from 2024-02-10 50 days, E from its first paid day 2023-11-15 137 days
   * (growth). Q2 starts with growth {D 800, E 1200}, mature {A 1000, C 500}. */
  const segkit_mrr_period *g = segkit_mrr_periods(r, 1);
  const segkit_mrr_period *m = segkit_mrr_periods(r, 2);
  assert_int_equal(g[1].customers_start, 2);
  assert_int_equal(g[1].start_cents, 2000);
  assert_int_equal(g[1].lost, 1);
  assert_close(g[1].nrr, 0.6, 1e-15);
  assert_int_equal(m[1].customers_start, 2);
  assert_int_equal(m[1].start_cents, 1500);
  assert_int_equal(m[1].retained_cents, 2500);
  assert_close(m[1].grr, 1.0, 1e-15);
  assert_int_equal(segkit_mrr_periods(r, 0)[1].customers_start, 0);
  /* D is new on Feb 29 after 19 days and F on May 31 after 11: onboarding; D's churn in
   * April counts where D was at the end of March (growth). */
  const segkit_mrr_month *on = segkit_mrr_months(r, 0);
  const segkit_mrr_month *gr = segkit_mrr_months(r, 1);
  assert_int_equal(on[1].new_cents, 800);
  assert_int_equal(on[4].new_cents, 1000);
  assert_int_equal(gr[3].churned_cents, 800);
  assert_int_equal(on[3].churned_cents, 0);
  segkit_mrr_result_free(r);

  /* plan, interval and stage together: keys in that order */
  r = run(SEGKIT_MRR_PERIOD_RANGE, 2, true, 1);
  assert_int_equal(segkit_mrr_n_groups(r), 9);
  assert_int_equal(segkit_mrr_n_keys(r), 3);
  assert_string_equal(segkit_mrr_group_name(r, 5), "pro / month / mature");
  assert_string_equal(segkit_mrr_group_key(r, 5, 2), "mature");
  /* s0 = 2023-12-31: A (213 days) mature: pro/month/mature starts with A alone, B (30 days)
   * is pro/month/growth */
  assert_int_equal(segkit_mrr_periods(r, 5)[0].customers_start, 1);
  assert_int_equal(segkit_mrr_periods(r, 4)[0].customers_start, 1);
  assert_int_equal(segkit_mrr_periods(r, 4)[0].start_cents, 2000);
  segkit_mrr_result_free(r);
}

static void metrics_periods_survival_and_ltv_per_group(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_RANGE, 2, false, 1);
  /* Starting in the range (no MRR at s0): D at s2 (basic/month), active at s3, gone at s4;
   * F at s5 (pro/year), observed one month later at s6. E was active at s0: left out. */
  size_t n;
  const int64_t *at;
  const int64_t *ch;
  const double *s;
  segkit_mrr_survival(r, SEGKIT_MRR_ALL, &n, &at, &ch, &s);
  assert_int_equal(n, 3);
  assert_int_equal(at[0], 2);
  assert_int_equal(at[1], 2);
  assert_int_equal(at[2], 1);
  assert_int_equal(ch[1], 0);
  assert_int_equal(ch[2], 1);
  assert_close(s[1], 1.0, 0);
  assert_close(s[2], 0.0, 0);
  /* the same curve as the cohort module computes from the per-customer matrix */
  segkit_cohorts *co = NULL;
  assert_int_equal(segkit_cohorts_compute(r, &co, NULL), SEGKIT_OK);
  size_t cn;
  const int64_t *cat;
  const int64_t *cch;
  const double *cs;
  segkit_cohorts_survival(co, &cn, &cat, &cch, &cs);
  assert_int_equal(cn, n);
  for (size_t k = 1; k < n; k++) {
    assert_int_equal(cat[k], at[k]);
    assert_int_equal(cch[k], ch[k]);
    assert_close(cs[k], s[k], 0);
  }
  segkit_cohorts_free(co);
  segkit_mrr_survival(r, 2, &n, &at, &ch, &s);
  assert_int_equal(n, 2);
  assert_int_equal(at[1], 1);
  segkit_mrr_survival(r, 1, &n, &at, NULL, NULL);
  assert_int_equal(n, 1);
  assert_int_equal(at[0], 0);
  segkit_mrr_survival(r, 7, &n, &at, NULL, NULL);
  assert_int_equal(n, 0);
  assert_null(at);

  /* LTV of basic/month. Its months (a customer counts where it was at the previous month
   * end): end MRR 500, 1300, 2500, 1700, 2700, 1200 (sum 9900) over 1, 2, 3, 2, 2, 1 active
   * customers (11): ARPU 900; churned 2 (E in Jan, D in Apr) of 2+1+2+3+2+1 = 11 customer
   * months at start. Simple: 900 / (2/11) = 4950. Survival: S = 1, 1, 0 observed, then 0:
   * sum 2, x 900 = 1800. */
  segkit_ltv l;
  assert_int_equal(segkit_ltv_compute(r, 0, NULL, &l, NULL), SEGKIT_OK);
  assert_int_equal(l.mrr_cents_sum, 9900);
  assert_int_equal(l.customer_months, 11);
  assert_close(l.arpu_cents, 900.0, 1e-12);
  assert_int_equal(l.churned, 2);
  assert_int_equal(l.customer_months_start, 11);
  assert_close(l.ltv_simple_cents, 4950.0, 1e-9);
  assert_int_equal(l.n_observed, 3);
  assert_close(l.survival_sum, 2.0, 1e-15);
  assert_close(l.ltv_survival_cents, 1800.0, 1e-9);
  /* pro/month: nobody started in the range, so no survival-based LTV */
  assert_int_equal(segkit_ltv_compute(r, 1, NULL, &l, NULL), SEGKIT_OK);
  assert_int_equal(l.n_observed, 0);
  assert_true(isnan(l.ltv_survival_cents));
  segkit_mrr_result_free(r);
}

/* Cohorts by segment: with tenure stages every starter starts in onboarding, D at s2
 * (800 at s2, s3; gone from s4) and F at s5 (1000 at s5, s6). Cell k counts those observed k
 * months after their own start: k = 0, 1 both (active 2 of 2); k = 2..4 D alone (gone). */
static void metrics_periods_cohorts_by_segment(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_RANGE, 0, true, 2);
  segkit_cohorts *c = NULL;
  assert_int_equal(segkit_cohorts_compute_by_segment(r, &c, NULL), SEGKIT_OK);
  assert_int_equal(segkit_cohorts_n(c), 1);
  assert_int_equal(segkit_cohorts_group(c, 0), 0);
  assert_int_equal(segkit_cohorts_size(c, 0), 2);
  assert_int_equal(segkit_cohorts_n_cells(c, 0), 5);
  assert_int_equal(segkit_cohorts_n_left_out(c), 4); /* A, B, C, E active at s0 */
  const int64_t want_obs[] = {2, 2, 1, 1, 1};
  const int64_t want_active[] = {2, 2, 0, 0, 0};
  const double want_rev[] = {1.0, 1.0, 0.0, 0.0, 0.0};
  for (size_t k = 0; k < 5; k++) {
    assert_int_equal(segkit_cohorts_observed(c, 0)[k], want_obs[k]);
    assert_int_equal(segkit_cohorts_active(c, 0)[k], want_active[k]);
    assert_close(segkit_cohorts_logo_retention(c, 0)[k], (double)want_active[k] / (double)want_obs[k], 0);
    assert_close(segkit_cohorts_revenue_retention(c, 0)[k], want_rev[k], 0);
  }
  assert_int_equal(segkit_cohorts_mrr_cents(c, 0)[1], 1800);
  segkit_cohorts_free(c);
  /* by plan and interval: basic/month (D, 5 cells) and pro/year (F, 2 cells) */
  segkit_mrr_result_free(r);
  r = run(SEGKIT_MRR_PERIOD_RANGE, 2, false, 1);
  assert_int_equal(segkit_cohorts_compute_by_segment(r, &c, NULL), SEGKIT_OK);
  assert_int_equal(segkit_cohorts_n(c), 2);
  assert_int_equal(segkit_cohorts_group(c, 0), 0);
  assert_int_equal(segkit_cohorts_group(c, 1), 2);
  assert_int_equal(segkit_cohorts_n_cells(c, 0), 5);
  assert_int_equal(segkit_cohorts_n_cells(c, 1), 2);
  assert_close(segkit_cohorts_logo_retention(c, 1)[1], 1.0, 0);
  segkit_cohorts_free(c);
  /* month cohorts of the same result: every cell observes the whole cohort */
  assert_int_equal(segkit_cohorts_compute(r, &c, NULL), SEGKIT_OK);
  for (size_t i = 0; i < segkit_cohorts_n(c); i++) {
    assert_int_equal(segkit_cohorts_group(c, i), SIZE_MAX);
    for (size_t k = 0; k < segkit_cohorts_n_cells(c, i); k++) {
      assert_int_equal(segkit_cohorts_observed(c, i)[k], segkit_cohorts_size(c, i));
    }
  }
  segkit_cohorts_free(c);
  segkit_mrr_result_free(r);
  /* a result without a split has no segments */
  r = run(SEGKIT_MRR_PERIOD_RANGE, 0, false, 1);
  segkit_error err;
  assert_int_equal(segkit_cohorts_compute_by_segment(r, &c, &err), SEGKIT_ERR_USAGE);
  segkit_mrr_result_free(r);
}

/* State on 2024-03-20 (a Wednesday mid-month): A pro 10.00 since 2023-06-01 (293 days); B
 * gone since 2024-02-15, first paid 2023-12-01 (110 days); C basic 5.00 (its pro row only
 * starts in May); D basic 8.00 since 2024-02-10 (39 days); E back on basic 12.00, first paid
 * 2023-11-15 (126 days); F starts in May: no paid day yet. On 2024-01-20 E is out since
 * 2024-01-05. */
static void metrics_customer_state_on_a_day(void **state) {
  (void)state;
  segkit_table *t = mt_table(k_rows, N_ROWS);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.columns.currency = NULL;
  opt.by = k_by;
  opt.n_by = 2;
  int32_t day;
  assert_true(segkit_parse_date("2024-03-20", 10, &day));
  segkit_table *st = NULL;
  segkit_error err;
  assert_int_equal(segkit_mrr_customer_state(t, &opt, day, &st, &err), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(st), 6);
  assert_int_equal(segkit_table_n_cols(st), 9);
  const int64_t *id = segkit_column_int64(segkit_table_column(st, 0));
  const double *mrr = segkit_column_float64(segkit_table_column(st, 1));
  const uint8_t *active = segkit_column_bool(segkit_table_column(st, 3));
  const segkit_column *tenure = segkit_table_column(st, 5);
  const segkit_column *churned = segkit_table_column(st, 6);
  const segkit_column *plan = segkit_table_column(st, 7);
  assert_string_equal(segkit_column_name(plan), "plan");
  const double want_mrr[] = {10.0, 0.0, 5.0, 8.0, 12.0, 0.0};
  const int64_t want_tenure[] = {293, 110, -1, 39, 126, -1};
  const char *want_plan[] = {"pro", NULL, "basic", "basic", "basic", NULL};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(id[i], (int64_t)i + 1);
    assert_close(mrr[i], want_mrr[i], 1e-12);
    assert_int_equal(active[i], want_mrr[i] > 0);
    if (want_plan[i] == NULL) {
      assert_false(segkit_column_is_valid(plan, i));
    } else {
      assert_string_equal(segkit_column_dict_value(plan, segkit_column_codes(plan)[i], NULL),
                          want_plan[i]);
    }
    if (i != 2) {
      assert_int_equal(segkit_column_is_valid(tenure, i), want_tenure[i] >= 0);
    }
    if (want_tenure[i] >= 0) {
      assert_int_equal(segkit_column_int64(tenure)[i], want_tenure[i]);
    }
  }
  /* C: paid since 2023-10-01 (171 days) */
  assert_int_equal(segkit_column_int64(tenure)[2], 171);
  int32_t feb15;
  assert_true(segkit_parse_date("2024-02-15", 10, &feb15));
  assert_true(segkit_column_is_valid(churned, 1));
  assert_int_equal(segkit_column_date(churned)[1], feb15);
  assert_false(segkit_column_is_valid(churned, 4)); /* E is back */
  assert_false(segkit_column_is_valid(churned, 5)); /* F never paid */
  assert_close(segkit_column_float64(segkit_table_column(st, 2))[4], 144.0, 1e-12);
  segkit_table_free(st);
  assert_true(segkit_parse_date("2024-01-20", 10, &day));
  assert_int_equal(segkit_mrr_customer_state(t, &opt, day, &st, &err), SEGKIT_OK);
  int32_t jan5;
  assert_true(segkit_parse_date("2024-01-05", 10, &jan5));
  assert_false(segkit_column_bool(segkit_table_column(st, 3))[4]);
  assert_int_equal(segkit_column_date(segkit_table_column(st, 6))[4], jan5);
  segkit_table_free(st);
  segkit_table_free(t);
}

static void metrics_periods_threads_agree(void **state) {
  (void)state;
  segkit_mrr_result *a = run(SEGKIT_MRR_PERIOD_MONTH, 2, true, 1);
  segkit_mrr_result *b = run(SEGKIT_MRR_PERIOD_MONTH, 2, true, 3);
  for (size_t g = 0; g <= segkit_mrr_n_groups(a); g++) {
    size_t gi = g == 0 ? SEGKIT_MRR_ALL : g - 1;
    const segkit_mrr_period *pa = segkit_mrr_periods(a, gi);
    const segkit_mrr_period *pb = segkit_mrr_periods(b, gi);
    for (size_t p = 0; p < segkit_mrr_n_periods(a); p++) {
      assert_int_equal(pa[p].retained_cents, pb[p].retained_cents);
      assert_int_equal(pa[p].customers_start, pb[p].customers_start);
      assert_int_equal(pa[p].customer_months, pb[p].customer_months);
      /* exact integer moments: the same bits whatever the thread count */
      assert_true(memcmp(&pa[p].ltv_log_se, &pb[p].ltv_log_se, sizeof(double)) == 0);
    }
  }
  segkit_mrr_result_free(a);
  segkit_mrr_result_free(b);
}

static void metrics_periods_by_ids_and_unknown_columns(void **state) {
  (void)state;
  segkit_table *t = mt_table(k_rows, N_ROWS);
  segkit_mrr_options opt;
  segkit_mrr_options_init(&opt);
  opt.columns.currency = NULL;
  opt.from_month = segkit_month_index(1950, 1);
  opt.to_month = segkit_month_index(2049, 12); /* 1200 months */
  static const char *const by_id[] = {"subscription_id", "customer_id"};
  opt.by = by_id;
  opt.n_by = 2;
  opt.by_tenure_stage = true;
  segkit_mrr_result *r = NULL;
  segkit_error err;
  /* 8 x 3 groups x 1201 slots is below the limit: fine */
  assert_int_equal(segkit_mrr_compute(t, &opt, &r, &err), SEGKIT_OK);
  segkit_mrr_result_free(r);
  static const char *const by_missing[] = {"plan", "region"};
  opt.by = by_missing;
  assert_int_equal(segkit_mrr_compute(t, &opt, &r, &err), SEGKIT_ERR_NOT_FOUND);
  assert_non_null(strstr(err.message, "region"));
  segkit_table_free(t);
}

/* A union of groups is summed exactly: all groups give the totals, one group itself, and
 * basic/month + pro/month in Q2 is the four customers C, D, E (basic at s3) and A (pro):
 * x = 500, 800, 1200, 1000 at s3 and y = 1500, 0, 1200, 1000 at s6, so NRR = 3700 / 3500
 * and its delta-method se = sqrt(sum (y - R x)^2 / (n (n - 1) xbar^2)) = 0.4259441334627;
 * basic/month alone: R = 2700 / 2500, se 0.6344721270474 (both worked by hand). */
static void metrics_periods_select_union(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_QUARTER, 2, false, 1);
  assert_int_equal(segkit_mrr_n_groups(r), 3);
  bool all[3] = {true, true, true};
  bool basic[3] = {true, false, false};
  bool monthly[3] = {true, true, false};
  segkit_error err;
  for (size_t pi = 0; pi < 2; pi++) {
    segkit_mrr_period u;
    assert_int_equal(segkit_mrr_period_select(r, all, pi, &u, &err), SEGKIT_OK);
    const segkit_mrr_period *t = &segkit_mrr_periods(r, SEGKIT_MRR_ALL)[pi];
    assert_int_equal(u.customers_start, t->customers_start);
    assert_int_equal(u.start_cents, t->start_cents);
    assert_int_equal(u.retained_cents, t->retained_cents);
    assert_int_equal(u.n_churned, t->n_churned);
    assert_int_equal(u.customer_months, t->customer_months);
    assert_int_equal(u.n_new, t->n_new);
    assert_int_equal(u.end_cents, t->end_cents);
    assert_close(u.nrr, t->nrr, 1e-15);
    assert_close(u.nrr_se, t->nrr_se, 1e-12);
    assert_close(u.monthly_churn_low, t->monthly_churn_low, 1e-15);
  }
  segkit_mrr_period b;
  assert_int_equal(segkit_mrr_period_select(r, basic, 1, &b, &err), SEGKIT_OK);
  assert_int_equal(b.customers_start, 3);
  assert_close(b.nrr, 1.08, 1e-15);
  assert_close(b.nrr_se, 0.6344721270474, 1e-12);
  assert_close(segkit_mrr_periods(r, 0)[1].nrr_se, 0.6344721270474, 1e-12);
  segkit_mrr_period m;
  assert_int_equal(segkit_mrr_period_select(r, monthly, 1, &m, &err), SEGKIT_OK);
  assert_int_equal(m.customers_start, 4);
  assert_int_equal(m.start_cents, 3500);
  assert_int_equal(m.retained_cents, 3700);
  assert_close(m.nrr, 3700.0 / 3500.0, 1e-15);
  assert_close(m.nrr_se, 0.4259441334627, 1e-12);
  assert_false(m.too_small); /* min_customers 3 */
  assert_int_equal(segkit_mrr_period_select(r, monthly, 2, &m, &err), SEGKIT_ERR_USAGE);
  segkit_mrr_result_free(r);
}

/* LTV of a group, of a union and of the totals, with its standard error on the log scale
 * and the covariance of two groups, over the whole range by plan, worked by hand. A month
 * counts in the customer's plan at its start (at its end when it starts without MRR); per
 * customer a = month-end MRR summed, b = active month ends, c = churns, d = months at risk:
 *   basic: C (3500, 5, 0, 5) [Jan-May], D (1600, 2, 1, 2), E (4800, 4, 1, 4)
 *   pro:   A (6000, 6, 0, 6), B (2000, 1, 1, 2), C (1500, 1, 0, 1) [Jun], F (2000, 2, 0, 1)
 * basic: LTV = (9900 / 11) / (2 / 11) = 4950; pro: (11500 / 10) / (1 / 10) = 11500; all:
 * 21400 / 3. With z_i = a_i / A - b_i / B - c_i / C + d_i / D and N = 6 customers,
 * Var(log LTV) = N / (N - 1) sum z_i^2; C is on both sides, so the covariance of basic and
 * pro is 6/5 z_C(basic) z_C(pro) = 6/5 (35/99)(3/23). */
static void metrics_periods_ltv_and_its_error(void **state) {
  (void)state;
  segkit_mrr_result *r = run(SEGKIT_MRR_PERIOD_RANGE, 1, false, 1);
  assert_int_equal(segkit_mrr_n_groups(r), 2);
  size_t basic = strcmp(segkit_mrr_group_key(r, 0, 0), "basic") == 0 ? 0 : 1;
  size_t pro = 1 - basic;
  const segkit_mrr_period *pb = &segkit_mrr_periods(r, basic)[0];
  const segkit_mrr_period *pp = &segkit_mrr_periods(r, pro)[0];
  const segkit_mrr_period *pt = &segkit_mrr_periods(r, SEGKIT_MRR_ALL)[0];
  assert_close(pb->ltv_cents, 4950.0, 1e-9);
  assert_close(pp->ltv_cents, 11500.0, 1e-9);
  assert_close(pt->ltv_cents, 21400.0 / 3.0, 1e-9);
  double zc = 70.0 / 198, zd = -67.0 / 198, ze = -3.0 / 198;
  double se_basic = sqrt(6.0 / 5.0 * (zc * zc + zd * zd + ze * ze));
  assert_close(pb->ltv_log_se, se_basic, 1e-12);
  double qa = 12.0 / 23, qb = 4.0 / 23 - 0.9, qc = 3.0 / 23, qf = 4.0 / 23 - 0.1;
  double se_pro = sqrt(6.0 / 5.0 * (qa * qa + qb * qb + qc * qc + qf * qf));
  assert_close(pp->ltv_log_se, se_pro, 1e-12);
  double t[6] = {60.0 / 214,           20.0 / 214 + 1.0 / 21 - 1.0 / 3,
                 50.0 / 214,           16.0 / 214 - 1.0 / 3,
                 48.0 / 214 - 1.0 / 3, 20.0 / 214 - 1.0 / 21};
  double ss = 0;
  for (int i = 0; i < 6; i++) {
    ss += t[i] * t[i];
  }
  assert_close(pt->ltv_log_se, sqrt(6.0 / 5.0 * ss), 1e-12);
  double z = 1.959963984540054;
  assert_close(pb->ltv_low_cents, 4950.0 * exp(-z * se_basic), 1e-6);
  assert_close(pb->ltv_high_cents, 4950.0 * exp(z * se_basic), 1e-6);
  /* the union of both plans is the totals: C's two parts are one customer again */
  bool both[2] = {true, true};
  segkit_mrr_period u;
  segkit_error err;
  assert_int_equal(segkit_mrr_period_select(r, both, 0, &u, &err), SEGKIT_OK);
  assert_close(u.ltv_cents, pt->ltv_cents, 1e-9);
  assert_close(u.ltv_log_se, pt->ltv_log_se, 1e-13);
  bool sb[2] = {false, false}, sp[2] = {false, false};
  sb[basic] = true;
  sp[pro] = true;
  double cov = 0;
  assert_int_equal(segkit_mrr_ltv_covariance(r, sb, sp, 0, &cov, &err), SEGKIT_OK);
  assert_close(cov, 6.0 / 5.0 * (35.0 / 99) * (3.0 / 23), 1e-13);
  assert_int_equal(segkit_mrr_ltv_covariance(r, sp, sb, 0, &cov, &err), SEGKIT_OK);
  assert_close(cov, 6.0 / 5.0 * (35.0 / 99) * (3.0 / 23), 1e-13);
  assert_int_equal(segkit_mrr_ltv_covariance(r, sb, both, 0, &cov, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "both sides"));
  segkit_mrr_result_free(r);
  /* by plan, interval and tenure stage, customers move through up to three groups in the
   * range (C: basic growth, basic mature, pro mature): the union of every group is still
   * the totals, and a plan is still the same customers' months */
  r = run(SEGKIT_MRR_PERIOD_RANGE, 2, true, 2);
  size_t ng = segkit_mrr_n_groups(r);
  assert_true(ng >= 4);
  bool every[32], plan_basic[32];
  for (size_t g = 0; g < ng; g++) {
    every[g] = true;
    plan_basic[g] = strcmp(segkit_mrr_group_key(r, g, 0), "basic") == 0;
  }
  assert_int_equal(segkit_mrr_period_select(r, every, 0, &u, &err), SEGKIT_OK);
  assert_close(u.ltv_cents, 21400.0 / 3.0, 1e-9);
  assert_close(u.ltv_log_se, sqrt(6.0 / 5.0 * ss), 1e-13);
  assert_int_equal(segkit_mrr_period_select(r, plan_basic, 0, &u, &err), SEGKIT_OK);
  assert_close(u.ltv_cents, 4950.0, 1e-9);
  assert_close(u.ltv_log_se, se_basic, 1e-13);
  segkit_mrr_result_free(r);
  /* first quarter: B and E churn, D is new; pro is A and B alone, a = 3000 + 2000 over
   * b = 3 + 1 months ending active, c = 1 churn, d = 3 + 2 at risk: (5000 / 4) / (1 / 5) */
  r = run(SEGKIT_MRR_PERIOD_QUARTER, 1, false, 1);
  assert_close(segkit_mrr_periods(r, pro)[0].ltv_cents, 6250.0, 1e-9);
  /* no churn in pro in the second quarter: unbounded, no interval */
  assert_true(isinf(segkit_mrr_periods(r, pro)[1].ltv_cents));
  assert_true(isnan(segkit_mrr_periods(r, pro)[1].ltv_log_se));
  segkit_mrr_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metrics_periods_quarters_totals),
      cmocka_unit_test(metrics_periods_partial_quarters_and_months),
      cmocka_unit_test(metrics_periods_by_two_columns),
      cmocka_unit_test(metrics_periods_tenure_stages),
      cmocka_unit_test(metrics_periods_survival_and_ltv_per_group),
      cmocka_unit_test(metrics_periods_cohorts_by_segment),
      cmocka_unit_test(metrics_customer_state_on_a_day),
      cmocka_unit_test(metrics_periods_threads_agree),
      cmocka_unit_test(metrics_periods_by_ids_and_unknown_columns),
      cmocka_unit_test(metrics_periods_select_union),
      cmocka_unit_test(metrics_periods_ltv_and_its_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
