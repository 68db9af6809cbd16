/* Pareto/NBD against published figures and an independent scipy implementation.
 *
 * Expected values:
 *   - CDNOW fit r=0.553, alpha=10.58, s=0.606, beta=11.67 (lifetimes' tests, "Hardie
 *     paper"); LL -9594.974 at lifetimes' parameters (0.5534, 10.5802, 0.6061, 11.6562)
 *     (/work/shared/data/INDEX.md, cdnow entry).
 *   - tests/data/clv/bgnbd_paretonbd_reference.txt from
 *     tests/data/clv/bgnbd_paretonbd_reference.py: the likelihood and P(alive) through the
 *     integral over the dropout time with scipy.integrate.quad (segkit goes through 2F1,
 *     so the two routes are independent), expectations from note 009's formulas, and a
 *     scipy.optimize fit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clv/purchases_int.h"
#include "segkit/clv.h"

#include "clv_testkit.h"


static segkit_clv_model *model_at(const double *p) {
  return model_at_kind(SEGKIT_CLV_PARETONBD, p);
}

static const double LIFETIMES[4] = {0.5534, 10.5802, 0.6061, 11.6562};
static const double HIST[8][3] = {{0, 0.0, 38.86},  {2, 30.43, 38.86}, {1, 1.71, 38.86},
                                  {7, 29.43, 38.86}, {5, 9.0, 38.0},    {29, 35.71, 38.71},
                                  {3, 5.0, 34.0},    {10, 10.0, 39.0}};

static void hyp2f1_known_values(void **state) {
  (void)state;
  /* 2F1(1, 1; 2; z) = -log(1 - z) / z; 2F1(a, b; b; z) = (1 - z)^-a. */
  assert_rel(sk__clv_hyp2f1(1, 1, 2, 0.5), -log(0.5) / 0.5, 1e-14);
  assert_rel(sk__clv_hyp2f1(1, 1, 2, 0.99), -log(0.01) / 0.99, 1e-12);
  assert_rel(sk__clv_hyp2f1(2.5, 3.0, 3.0, 0.9), pow(0.1, -2.5), 1e-12);
  assert_close(sk__clv_hyp2f1(2, 3, 4, 0.0), 1.0, 0.0);
  assert_true(isnan(sk__clv_hyp2f1(1, 1, 2, 1.0)));
  assert_true(isnan(sk__clv_hyp2f1(1, 1, -2.0, 0.5)));
}

/* Close to z = 1 (connection formula) and just below 0.9 (series), against mpmath. */
static void log_hyp2f1_a1_against_mpmath(void **state) {
  (void)state;
  const double args[8][3] = {{5.3, 2.7, 0.95},    {5.3, 2.7, 0.999},   {5.3, 2.7, 0.999999},
                             {0.9, 1.6, 0.99999}, {31.2, 30.55, 0.97}, {1.2, 0.45, 0.9999},
                             {3.7, 8.4, 0.995},   {2.5, 3.0, 0.95}};
  for (int i = 0; i < 8; i++) {
    char key[64];
    snprintf(key, sizeof key, "log_hyp2f1_a1_%d", i);
    double got = sk__clv_log_hyp2f1_a1(args[i][0], args[i][1], args[i][2]);
    assert_close(got, reference(key), 1e-9 * fmax(1.0, fabs(reference(key))));
  }
  /* The two routes agree where both are cheap. */
  double series = log(sk__clv_hyp2f1(5.3, 2.7, 6.3, 0.95));
  assert_close(sk__clv_log_hyp2f1_a1(5.3, 2.7, 0.95), series, 1e-11);
}

static void paretonbd_log_likelihood_at_lifetimes_parameters(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  double ll = 0.0;
  for (size_t i = 0; i < d.n; i++) {
    ll += sk__clv_paretonbd_loglik(LIFETIMES, d.x[i], d.tx[i], d.T[i]);
  }
  assert_close(ll, -9594.974, 0.0005);
  assert_close(ll, reference("paretonbd_ll_lifetimes_quad"), 1e-6);
  free_cdnow(&d);
}

/* Both branches of the hypergeometric form (alpha > beta, alpha < beta), far from equal,
 * against quadrature. */
static void paretonbd_branches_match_quadrature(void **state) {
  (void)state;
  const char *tags[2] = {"agtb", "altb"};
  const double params[2][4] = {{0.7, 30.0, 0.4, 3.0}, {0.7, 3.0, 0.4, 30.0}};
  for (int b = 0; b < 2; b++) {
    segkit_clv_model *m = model_at(params[b]);
    for (int i = 0; i < 8; i++) {
      char key[64];
      snprintf(key, sizeof key, "paretonbd_ll_%s_%d", tags[b], i);
      assert_close(sk__clv_paretonbd_loglik(params[b], HIST[i][0], HIST[i][1], HIST[i][2]),
                   reference(key), 1e-8);
      snprintf(key, sizeof key, "paretonbd_palive_%s_%d", tags[b], i);
      assert_close(segkit_clv_p_alive(m, HIST[i][0], HIST[i][1], HIST[i][2]), reference(key),
                   1e-8);
    }
    segkit_clv_model_free(m);
  }
  /* alpha == beta: the closed form, no series. */
  const double eq[4] = {0.7, 5.0, 0.4, 5.0};
  double x = 3, tx = 10, T = 20;
  double rsx = eq[0] + eq[2] + x;
  double a0 = (pow(eq[1] + tx, -rsx) - pow(eq[1] + T, -rsx));
  double lead = lgamma(eq[0] + x) - lgamma(eq[0]) + eq[0] * log(eq[1]) + eq[2] * log(eq[3]);
  double want = lead + log(pow(eq[1] + T, -(eq[0] + x)) * pow(eq[3] + T, -eq[2]) +
                           eq[2] / rsx * a0);
  assert_close(sk__clv_paretonbd_loglik(eq, x, tx, T), want, 1e-10);
}

static void paretonbd_predictions(void **state) {
  (void)state;
  segkit_clv_model *m = model_at(LIFETIMES);
  for (int i = 0; i < 8; i++) {
    char key[64];
    snprintf(key, sizeof key, "paretonbd_palive_%d", i);
    assert_close(segkit_clv_p_alive(m, HIST[i][0], HIST[i][1], HIST[i][2]), reference(key),
                 1e-6);
    snprintf(key, sizeof key, "paretonbd_cond39_%d", i);
    assert_rel(segkit_clv_expected_purchases(m, 39.0, HIST[i][0], HIST[i][1], HIST[i][2]),
               reference(key), 1e-6);
  }
  const double t[3] = {1, 39, 78};
  const char *keys[3] = {"paretonbd_new_1", "paretonbd_new_39", "paretonbd_new_78"};
  for (int i = 0; i < 3; i++) {
    assert_rel(segkit_clv_expected_purchases_new(m, t[i]), reference(keys[i]), 1e-10);
  }
  /* A customer seen at T with no time to drop out is alive for sure. */
  assert_close(segkit_clv_p_alive(m, 4.0, 20.0, 20.0), 1.0, 0.0);
  assert_true(isnan(segkit_clv_expected_purchases(m, 10.0, 1.0, 5.0, 4.0)));
  segkit_clv_model_free(m);
}

static void paretonbd_fits_cdnow(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  segkit_clv_model *m = NULL;
  segkit_error err;
  segkit_status st =
      segkit_clv_fit_purchases(SEGKIT_CLV_PARETONBD, d.x, d.tx, d.T, NULL, d.n, &opt, &m, &err);
  if (st != SEGKIT_OK) {
    fail_msg("fit failed: %s", err.message);
  }
  assert_int_equal(segkit_clv_model_kind(m), SEGKIT_CLV_PARETONBD);
  /* Published, 3 significant digits. */
  const double published[4] = {0.553, 10.58, 0.606, 11.67};
  const double half_unit[4] = {0.0005, 0.005, 0.0005, 0.005};
  const char *names[4] = {"r", "alpha", "s", "beta"};
  for (size_t i = 0; i < 4; i++) {
    assert_close(segkit_clv_model_param(m, i), published[i], half_unit[i]);
    char key[64];
    snprintf(key, sizeof key, "paretonbd_fit_%s", names[i]);
    assert_rel(segkit_clv_model_param(m, i), reference(key), 2e-4);
    /* Against the inverse numerical Hessian in natural parameters, scipy side. */
    snprintf(key, sizeof key, "paretonbd_se_%s", names[i]);
    assert_rel(segkit_clv_model_std_error(m, i), reference(key), 5e-3);
  }
  assert_close(segkit_clv_model_log_likelihood(m), reference("paretonbd_fit_ll"), 1e-4);
  assert_close(segkit_clv_model_n(m), 2357.0, 0.0);
  segkit_clv_model_free(m);
  free_cdnow(&d);
}

/* Weighted triples fit as the expanded rows: every customer twice vs weight 2. */
static void paretonbd_weights_match_expanded_rows(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  size_t n2 = 2 * d.n;
  double *x = malloc(n2 * sizeof *x), *tx = malloc(n2 * sizeof *tx);
  double *T = malloc(n2 * sizeof *T), *w = malloc(d.n * sizeof *w);
  assert_true(x && tx && T && w);
  for (size_t i = 0; i < d.n; i++) {
    x[i] = x[d.n + i] = d.x[i];
    tx[i] = tx[d.n + i] = d.tx[i];
    T[i] = T[d.n + i] = d.T[i];
    w[i] = 2.0;
  }
  segkit_clv_model *expanded = NULL, *weighted = NULL;
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_PARETONBD, x, tx, T, NULL, n2, NULL,
                                            &expanded, NULL),
                   SEGKIT_OK);
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_PARETONBD, d.x, d.tx, d.T, w, d.n, NULL,
                                            &weighted, NULL),
                   SEGKIT_OK);
  for (size_t i = 0; i < 4; i++) {
    assert_rel(segkit_clv_model_param(weighted, i), segkit_clv_model_param(expanded, i), 1e-12);
    assert_rel(segkit_clv_model_std_error(weighted, i),
               segkit_clv_model_std_error(expanded, i), 1e-12);
  }
  assert_close(segkit_clv_model_n(weighted), 4714.0, 0.0);
  assert_rel(segkit_clv_model_log_likelihood(weighted), 2.0 * reference("paretonbd_fit_ll"),
             1e-8);
  segkit_clv_model_free(expanded);
  segkit_clv_model_free(weighted);
  free(x);
  free(tx);
  free(T);
  free(w);
  free_cdnow(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hyp2f1_known_values),
      cmocka_unit_test(log_hyp2f1_a1_against_mpmath),
      cmocka_unit_test(paretonbd_log_likelihood_at_lifetimes_parameters),
      cmocka_unit_test(paretonbd_branches_match_quadrature),
      cmocka_unit_test(paretonbd_predictions),
      cmocka_unit_test(paretonbd_fits_cdnow),
      cmocka_unit_test(paretonbd_weights_match_expanded_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
