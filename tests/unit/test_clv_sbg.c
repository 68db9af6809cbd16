/* sBG retention model: the fits of Fader & Hardie (2007, "How to project customer
 * retention", J. Interactive Marketing 21(1)) on the paper's survivor counts (Table 1,
 * years 0-7; the same counts appear in third-party replications), survival and expected
 * lifetime. Published: regular alpha 0.704, beta 1.182; high end alpha 0.668, beta 3.806.
 * Finer expected values (more digits, log-likelihood, S(t), sums) come from an independent
 * scipy fit: tests/data/clv/sbg_reference.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "clv/clv_int.h"
#include "segkit/clv.h"

static const double regular[] = {1000, 631, 468, 382, 326, 289, 262, 241};
static const double highend[] = {1000, 869, 743, 653, 593, 551, 517, 491};

static void assert_close(double got, double want, double rel) {
  if (!(fabs(got - want) <= rel * fabs(want)))
    fail_msg("got %.12g, want %.12g (relative tolerance %g)", got, want, rel);
}

/* Round to 3 significant digits, as the paper reports. */
static double sig3(double v) {
  double scale = pow(10.0, 2 - floor(log10(fabs(v))));
  return round(v * scale) / scale;
}

static segkit_clv_model *fit(const double *alive) {
  segkit_clv_model *m = NULL;
  segkit_error err;
  segkit_status s = segkit_clv_fit_retention(alive, 7, NULL, &m, &err);
  if (s != SEGKIT_OK)
    fail_msg("fit failed: %s", err.message);
  return m;
}

static void clv_sbg_fits_the_paper(void **state) {
  (void)state;
  segkit_clv_model *m = fit(regular);
  assert_int_equal(segkit_clv_model_kind(m), SEGKIT_CLV_SBG);
  assert_true(sig3(segkit_clv_model_param(m, 0)) == 0.704);
  assert_true(sig3(segkit_clv_model_param(m, 1)) == 1.18);
  assert_close(segkit_clv_model_param(m, 0), 0.7040773193, 1e-4);
  assert_close(segkit_clv_model_param(m, 1), 1.1820430738, 1e-4);
  assert_close(segkit_clv_model_log_likelihood(m), -1680.2651884633, 1e-8);
  assert_true(segkit_clv_model_n(m) == 1000);
  for (size_t i = 0; i < 2; i++) {
    double se = segkit_clv_model_std_error(m, i);
    assert_true(se > 0 && se < segkit_clv_model_param(m, i));
  }
  segkit_clv_model_free(m);

  m = fit(highend);
  assert_true(sig3(segkit_clv_model_param(m, 0)) == 0.668);
  assert_true(sig3(segkit_clv_model_param(m, 1)) == 3.81);
  assert_close(segkit_clv_model_param(m, 0), 0.6680883872, 1e-4);
  assert_close(segkit_clv_model_param(m, 1), 3.8060955019, 1e-4);
  assert_close(segkit_clv_model_log_likelihood(m), -1611.1581473912, 1e-8);
  segkit_clv_model_free(m);
}

static segkit_clv_model *sbg(double alpha, double beta) {
  segkit_clv_model *m = sk__clv_model_new(SEGKIT_CLV_SBG);
  m->params[0] = alpha;
  m->params[1] = beta;
  return m;
}

static void clv_sbg_survival(void **state) {
  (void)state;
  /* alpha = beta = 1: S(t) = B(1, 1 + t) / B(1, 1) = 1 / (1 + t) */
  segkit_clv_model *m = sbg(1.0, 1.0);
  assert_close(segkit_clv_survival(m, 0), 1.0, 1e-14);
  assert_close(segkit_clv_survival(m, 1), 0.5, 1e-14);
  assert_close(segkit_clv_survival(m, 3), 0.25, 1e-14);
  assert_close(segkit_clv_survival(m, 1.5), 0.4, 1e-14);
  assert_true(isnan(segkit_clv_survival(m, -1)));
  assert_true(isnan(segkit_clv_survival(m, NAN)));
  segkit_clv_model_free(m);

  /* the regular segment at the scipy estimates */
  static const double want[12] = {0.6267060566, 0.4738193228, 0.3879739539, 0.33206791,
                                  0.2923470976, 0.2624558164, 0.2390236117, 0.220084964,
                                  0.2044107839, 0.1911901881, 0.1798649894, 0.1700374498};
  m = sbg(0.7040773193, 1.1820430738);
  for (int t = 1; t <= 12; t++)
    assert_close(segkit_clv_survival(m, t), want[t - 1], 1e-9);
  assert_close(segkit_clv_survival(m, 2.5), 0.425742657822, 1e-10);
  segkit_clv_model_free(m);

  /* the fitted curve projects the paper's years 8-12 (223 207 194 183 173) within 3% */
  static const double later[5] = {223, 207, 194, 183, 173};
  m = fit(regular);
  for (int t = 8; t <= 12; t++)
    assert_close(1000 * segkit_clv_survival(m, t), later[t - 8], 0.03);
  segkit_clv_model_free(m);
}

static void clv_sbg_expected_lifetime(void **state) {
  (void)state;
  /* alpha = beta = 1: 1 + 1/2 + 1/3 + 1/4 */
  segkit_clv_model *m = sbg(1.0, 1.0);
  assert_close(segkit_clv_expected_lifetime(m, 4), 25.0 / 12.0, 1e-14);
  assert_close(segkit_clv_expected_lifetime(m, 4.9), 25.0 / 12.0, 1e-14); /* whole periods */
  assert_true(segkit_clv_expected_lifetime(m, 0) == INFINITY);            /* alpha <= 1 */
  assert_true(isnan(segkit_clv_expected_lifetime(m, -1)));
  segkit_clv_model_free(m);

  m = sbg(0.7040773193, 1.1820430738);
  assert_close(segkit_clv_expected_lifetime(m, 10), 4.038889516727, 1e-9);
  segkit_clv_model_free(m);
  m = sbg(0.6680883872, 3.8060955019);
  assert_close(segkit_clv_expected_lifetime(m, 10), 6.346422449773, 1e-9);
  segkit_clv_model_free(m);

  /* alpha > 1: E[T] = E[1/theta] = (alpha + beta - 1)/(alpha - 1) = 3; a horizon long
   * enough for the closed form agrees with scipy's brute-force sum */
  m = sbg(2.5, 3.0);
  assert_close(segkit_clv_expected_lifetime(m, 0), 3.0, 1e-15);
  assert_close(segkit_clv_expected_lifetime(m, 3000000), 2.999999996640, 1e-11);
  assert_close(segkit_clv_expected_lifetime(m, 1000), 2.999450937487686, 1e-13);
  segkit_clv_model_free(m);
  /* alpha = 1 exactly over a long horizon: beta (psi(beta + n) - psi(beta)) */
  m = sbg(1.0, 2.0);
  assert_close(segkit_clv_expected_lifetime(m, 2000000), 28.1717483069, 1e-10);
  segkit_clv_model_free(m);

  segkit_clv_model *gg = sk__clv_model_new(SEGKIT_CLV_GAMMAGAMMA);
  assert_true(isnan(segkit_clv_expected_lifetime(gg, 3)));
  assert_true(isnan(segkit_clv_survival(gg, 3)));
  segkit_clv_model_free(gg);
}

static void clv_sbg_rejects_bad_counts(void **state) {
  (void)state;
  segkit_clv_model *m = NULL;
  segkit_error err;
  const double rising[] = {100, 80, 90};
  assert_int_equal(segkit_clv_fit_retention(rising, 2, NULL, &m, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "alive");
  assert_non_null(strstr(err.message, "alive[2]"));
  const double nan_count[] = {100, NAN};
  assert_int_equal(segkit_clv_fit_retention(nan_count, 1, NULL, &m, &err), SEGKIT_ERR_USAGE);
  const double nobody[] = {0, 0};
  assert_int_equal(segkit_clv_fit_retention(nobody, 1, NULL, &m, &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_clv_fit_retention(regular, 0, NULL, &m, &err), SEGKIT_ERR_LIMIT);
  assert_int_equal(segkit_clv_fit_retention(NULL, 3, NULL, &m, &err), SEGKIT_ERR_USAGE);
  segkit_clv_fit_options o;
  segkit_clv_fit_options_init(&o);
  o.penalizer = -1;
  assert_int_equal(segkit_clv_fit_retention(regular, 7, &o, &m, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "penalizer");
  assert_null(m);
}

static void clv_sbg_penalizer_shrinks(void **state) {
  (void)state;
  segkit_clv_fit_options o;
  segkit_clv_fit_options_init(&o);
  o.penalizer = 0.01;
  segkit_clv_model *m = NULL;
  assert_int_equal(segkit_clv_fit_retention(regular, 7, &o, &m, NULL), SEGKIT_OK);
  /* lifetimes' penalty: mean negative log-likelihood + 0.01 (alpha^2 + beta^2), whose
   * minimum scipy puts at 0.57693657, 0.87982908 (sbg_reference.py) */
  assert_close(segkit_clv_model_param(m, 0), 0.57693657, 1e-4);
  assert_close(segkit_clv_model_param(m, 1), 0.87982908, 1e-4);
  assert_true(segkit_clv_model_log_likelihood(m) < -1680.2651884633);
  segkit_clv_model_free(m);
}

/* Several cohorts observed for different lengths; expected values from the scipy fit of
 * the same counts in sbg_reference.py (the "cohorts" line). The single-cohort counts give
 * the paper's figures through this entry point as well. */
static void clv_sbg_fits_cohorts_with_censoring(void **state) {
  (void)state;
  double churned[8] = {0}, censored[8] = {0};
  for (size_t t = 1; t <= 7; t++)
    churned[t] = regular[t - 1] - regular[t];
  churned[1] += 290;
  churned[2] += 120;
  churned[3] += 70;
  censored[7] = regular[7];
  censored[3] = 320;
  censored[0] = 150;
  segkit_clv_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_clv_fit_retention_counts(churned, censored, 7, NULL, &m, &err),
                   SEGKIT_OK);
  assert_close(segkit_clv_model_param(m, 0), 0.7034163931, 1e-4);
  assert_close(segkit_clv_model_param(m, 1), 1.2072032370, 1e-4);
  assert_close(segkit_clv_model_log_likelihood(m), -2666.1158412233, 1e-8);
  assert_true(segkit_clv_model_n(m) == 1000 + 800 + 150);
  segkit_clv_model_free(m);

  double one_churned[8] = {0}, one_censored[8] = {0};
  for (size_t t = 1; t <= 7; t++)
    one_churned[t] = highend[t - 1] - highend[t];
  one_censored[7] = highend[7];
  assert_int_equal(segkit_clv_fit_retention_counts(one_churned, one_censored, 7, NULL, &m, &err),
                   SEGKIT_OK);
  assert_true(sig3(segkit_clv_model_param(m, 0)) == 0.668);
  assert_true(sig3(segkit_clv_model_param(m, 1)) == 3.81);
  segkit_clv_model_free(m);

  /* nothing churned: no estimate, said plainly */
  double none[3] = {0, 0, 0}, alive[3] = {10, 5, 7};
  assert_int_equal(segkit_clv_fit_retention_counts(none, alive, 2, NULL, &m, &err),
                   SEGKIT_ERR_LIMIT);
  assert_non_null(strstr(err.message, "no customer churned"));
  alive[1] = -1;
  assert_int_equal(segkit_clv_fit_retention_counts(one_churned, alive, 2, NULL, &m, &err),
                   SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "censored");
  alive[1] = 5;
  one_churned[2] = NAN;
  assert_int_equal(segkit_clv_fit_retention_counts(one_churned, alive, 2, NULL, &m, &err),
                   SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "churned");
}

/* One churn rate for everyone (a geometric cohort: 10% leave each period): the likelihood
 * rises as alpha and beta grow together, so the fit ends far out on that ridge; survival
 * must still be the geometric one, 0.9^t (by hand), not the 1.0 that cancelling lgamma
 * differences give at alpha ~ 1e10. */
static void clv_sbg_homogeneous_cohort(void **state) {
  (void)state;
  double alive[13];
  alive[0] = 1e6;
  for (size_t t = 1; t <= 12; t++)
    alive[t] = round(alive[t - 1] * 0.9);
  segkit_clv_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_clv_fit_retention(alive, 12, NULL, &m, &err), SEGKIT_OK);
  assert_true(segkit_clv_model_param(m, 0) + segkit_clv_model_param(m, 1) > 1e3);
  assert_close(segkit_clv_survival(m, 1), 0.9, 1e-4);
  assert_close(segkit_clv_survival(m, 12), pow(0.9, 12), 1e-3);
  assert_close(segkit_clv_expected_lifetime(m, 0), 10.0, 1e-3); /* 1 / 0.1 */
  segkit_clv_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(clv_sbg_fits_the_paper),
      cmocka_unit_test(clv_sbg_survival),
      cmocka_unit_test(clv_sbg_expected_lifetime),
      cmocka_unit_test(clv_sbg_rejects_bad_counts),
      cmocka_unit_test(clv_sbg_penalizer_shrinks),
      cmocka_unit_test(clv_sbg_fits_cohorts_with_censoring),
      cmocka_unit_test(clv_sbg_homogeneous_cohort),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
