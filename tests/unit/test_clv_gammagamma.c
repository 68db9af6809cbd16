/* Gamma-Gamma spend model and customer lifetime value.
 *
 * Fit: the CDNOW summary (cdnow_customers_summary_with_transactions.csv, 946 customers with
 * x > 0, monetary value zbar) gives p = 6.25, q = 3.74, gamma = 15.44 in lifetimes' test
 * (decimal = 2); more digits, the log-likelihood, expected spends and CLVs come from an
 * independent scipy implementation, tests/data/clv/gammagamma_reference.py. CLV is also
 * checked by hand from the purchase model's own segkit_clv_expected_purchases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv_int.h"
#include "segkit/clv.h"

#define CDNOW SEGKIT_SHARED_DATA "/cdnow/cdnow_customers_summary_with_transactions.csv"
#define N_CDNOW 2357

static void assert_close(double got, double want, double rel) {
  if (!(fabs(got - want) <= rel * fabs(want)))
    fail_msg("got %.12g, want %.12g (relative tolerance %g)", got, want, rel);
}

/* ID,x,t_x,T,zbar for the 2357 customers. */
static void read_cdnow(double *x, double *zbar) {
  FILE *f = fopen(CDNOW, "r");
  assert_non_null(f);
  char line[256];
  assert_non_null(fgets(line, sizeof line, f));
  assert_int_equal(strncmp(line, "ID,x,t_x,T,zbar", 15), 0); /* CRLF lines */
  size_t n = 0;
  long id = 0;
  double tx = 0, T = 0;
  while (n < N_CDNOW && fscanf(f, "%ld,%lf,%lf,%lf,%lf", &id, &x[n], &tx, &T, &zbar[n]) == 5)
    n++;
  fclose(f);
  assert_int_equal(n, N_CDNOW);
}

static void clv_gammagamma_fits_cdnow(void **state) {
  (void)state;
  double *x = malloc(N_CDNOW * sizeof *x);
  double *m = malloc(N_CDNOW * sizeof *m);
  read_cdnow(x, m);
  segkit_clv_model *gg = NULL;
  segkit_error err;
  segkit_status s = segkit_clv_fit_spend(x, m, N_CDNOW, NULL, &gg, &err);
  if (s != SEGKIT_OK)
    fail_msg("fit failed: %s", err.message);
  assert_int_equal(segkit_clv_model_kind(gg), SEGKIT_CLV_GAMMAGAMMA);
  assert_true(segkit_clv_model_n(gg) == 946);
  /* lifetimes' test: decimal = 2 */
  assert_true(fabs(segkit_clv_model_param(gg, 0) - 6.25) < 0.015);
  assert_true(fabs(segkit_clv_model_param(gg, 1) - 3.74) < 0.015);
  assert_true(fabs(segkit_clv_model_param(gg, 2) - 15.44) < 0.015);
  /* scipy */
  assert_close(segkit_clv_model_param(gg, 0), 6.2488023951, 1e-4);
  assert_close(segkit_clv_model_param(gg, 1), 3.7445882437, 1e-4);
  assert_close(segkit_clv_model_param(gg, 2), 15.4477472573, 1e-4);
  assert_close(segkit_clv_model_log_likelihood(gg), -4055.9232435029, 1e-9);
  for (size_t i = 0; i < 3; i++)
    assert_true(segkit_clv_model_std_error(gg, i) > 0);
  segkit_clv_model_free(gg);
  free(x);
  free(m);
}

static segkit_clv_model *scipy_gg(void) {
  segkit_clv_model *gg = sk__clv_model_new(SEGKIT_CLV_GAMMAGAMMA);
  gg->params[0] = 6.2488023951;
  gg->params[1] = 3.7445882437;
  gg->params[2] = 15.4477472573;
  return gg;
}

static void clv_gammagamma_expected_spend(void **state) {
  (void)state;
  segkit_clv_model *gg = scipy_gg();
  assert_close(segkit_clv_expected_spend(gg, 0, 0), 35.1710025299, 1e-9);
  assert_close(segkit_clv_expected_spend(gg, 1, 10.0), 17.6816453771, 1e-9);
  assert_close(segkit_clv_expected_spend(gg, 2, 22.35), 24.6586161379, 1e-9);
  assert_close(segkit_clv_expected_spend(gg, 6, 45.0), 44.3295653012, 1e-9);
  /* by hand: p = 2, q = 3, gamma = 10; x = 0 gives the population mean gamma p/(q - 1) = 10;
   * x = 4, mbar = 5: p (gamma + x mbar)/(p x + q - 1) = 2 * 30 / 10 = 6 */
  gg->params[0] = 2;
  gg->params[1] = 3;
  gg->params[2] = 10;
  assert_close(segkit_clv_expected_spend(gg, 0, 0), 10.0, 1e-15);
  assert_close(segkit_clv_expected_spend(gg, 4, 5), 6.0, 1e-15);
  assert_true(isnan(segkit_clv_expected_spend(gg, -1, 5)));
  assert_true(isnan(segkit_clv_expected_spend(gg, 1, NAN)));
  gg->params[1] = 0.9; /* no population mean for q <= 1 */
  assert_true(isnan(segkit_clv_expected_spend(gg, 4, 5)));
  segkit_clv_model_free(gg);
  segkit_clv_model *sbg = sk__clv_model_new(SEGKIT_CLV_SBG);
  assert_true(isnan(segkit_clv_expected_spend(sbg, 1, 1)));
  segkit_clv_model_free(sbg);
}

static void clv_gammagamma_rejects_bad_input(void **state) {
  (void)state;
  segkit_clv_model *gg = NULL;
  segkit_error err;
  const double x[] = {1, 2, 0};
  const double m[] = {5, NAN, 0};
  assert_int_equal(segkit_clv_fit_spend(x, m, 3, NULL, &gg, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "monetary");
  assert_int_equal(err.line, 2);
  const double negative[] = {1, -2, 0};
  const double ok[] = {5, 6, 0};
  assert_int_equal(segkit_clv_fit_spend(negative, ok, 3, NULL, &gg, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "frequency");
  const double zero_x[] = {0, 0, 0};
  assert_int_equal(segkit_clv_fit_spend(zero_x, ok, 3, NULL, &gg, &err), SEGKIT_ERR_LIMIT);
  assert_int_equal(segkit_clv_fit_spend(x, ok, 0, NULL, &gg, &err), SEGKIT_ERR_LIMIT);
  assert_int_equal(segkit_clv_fit_spend(NULL, ok, 3, NULL, &gg, &err), SEGKIT_ERR_USAGE);
  assert_null(gg);
}

/* ---- CLV ------------------------------------------------------------------------------- */

/* BG/NBD at Fader, Hardie & Lee's (2005) CDNOW estimates. */
static segkit_clv_model *fhl_bgnbd(void) {
  segkit_clv_model *m = sk__clv_model_new(SEGKIT_CLV_BGNBD);
  m->params[0] = 0.243;
  m->params[1] = 4.414;
  m->params[2] = 0.793;
  m->params[3] = 2.426;
  return m;
}

static void clv_value_by_hand_from_expected_purchases(void **state) {
  (void)state;
  segkit_clv_model *bg = fhl_bgnbd();
  segkit_clv_model *gg = scipy_gg();
  /* three steps of 4 units, 1% per step: sum_k E[M] (E[X(4k)] - E[X(4k - 4)]) / 1.01^k */
  double x = 2, tx = 30.43, T = 38.86, mbar = 22.35;
  double em = segkit_clv_expected_spend(gg, x, mbar);
  double e4 = segkit_clv_expected_purchases(bg, 4, x, tx, T);
  double e8 = segkit_clv_expected_purchases(bg, 8, x, tx, T);
  double e12 = segkit_clv_expected_purchases(bg, 12, x, tx, T);
  double want = em * (e4 / 1.01 + (e8 - e4) / (1.01 * 1.01) + (e12 - e8) / pow(1.01, 3));
  assert_close(segkit_clv_value(bg, gg, x, tx, T, mbar, 12, 4, 0.01), want, 1e-14);
  /* a partial last step: 10 units in steps of 4 ends with 2 units discounted at 10/4 */
  double e10 = segkit_clv_expected_purchases(bg, 10, x, tx, T);
  want = em * (e4 / 1.05 + (e8 - e4) / (1.05 * 1.05) + (e10 - e8) / pow(1.05, 2.5));
  assert_close(segkit_clv_value(bg, gg, x, tx, T, mbar, 10, 4, 0.05), want, 1e-14);
  /* no discount: the spend times the expected purchases over the horizon */
  assert_close(segkit_clv_value(bg, gg, x, tx, T, mbar, 12, 4, 0.0), em * e12, 1e-13);
  assert_true(segkit_clv_value(bg, gg, x, tx, T, mbar, 0, 4, 0.01) == 0.0);
  segkit_clv_model_free(gg);
  segkit_clv_model_free(bg);
}

static void clv_value_matches_scipy(void **state) {
  (void)state;
  segkit_clv_model *bg = fhl_bgnbd();
  segkit_clv_model *gg = scipy_gg();
  /* gammagamma_reference.py: FHL eq. 10 with scipy's hyp2f1 */
  assert_close(segkit_clv_expected_purchases(bg, 39, 2, 30.43, 38.86), 1.2260281748, 1e-9);
  assert_close(segkit_clv_value(bg, gg, 2, 30.43, 38.86, 22.35, 12, 4, 0.01), 10.255201510549,
               1e-8);
  assert_close(segkit_clv_value(bg, gg, 2, 30.43, 38.86, 22.35, 10, 4, 0.05), 8.111958946143,
               1e-8);
  assert_close(segkit_clv_value(bg, gg, 0, 0, 38.86, 0, 52, 1, 0.0), 8.865660904419, 1e-8);
  assert_close(segkit_clv_value(bg, gg, 5, 20, 30, 40.0, 26, 4.345, 0.02), 69.832304347392,
               1e-8);
  /* invalid: models of the wrong kind, bad horizon, step or discount */
  assert_true(isnan(segkit_clv_value(gg, gg, 2, 30.43, 38.86, 22.35, 12, 4, 0.01)));
  assert_true(isnan(segkit_clv_value(bg, bg, 2, 30.43, 38.86, 22.35, 12, 4, 0.01)));
  assert_true(isnan(segkit_clv_value(bg, gg, 2, 30.43, 38.86, 22.35, -1, 4, 0.01)));
  assert_true(isnan(segkit_clv_value(bg, gg, 2, 30.43, 38.86, 22.35, 12, 0, 0.01)));
  assert_true(isnan(segkit_clv_value(bg, gg, 2, 30.43, 38.86, 22.35, 12, 4, -1.0)));
  segkit_clv_model_free(gg);
  segkit_clv_model_free(bg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(clv_gammagamma_fits_cdnow),
      cmocka_unit_test(clv_gammagamma_expected_spend),
      cmocka_unit_test(clv_gammagamma_rejects_bad_input),
      cmocka_unit_test(clv_value_by_hand_from_expected_purchases),
      cmocka_unit_test(clv_value_matches_scipy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
