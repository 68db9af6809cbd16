/* The exact BG/NBD gradient and the optimiser's use of exact gradients.
 *
 * Expected values:
 *   - the gradient: Richardson-extrapolated central differences (steps h and h/2, error
 *     O(h^4)) of an independent evaluation of the same objective, summed customer by
 *     customer over all 2357 CDNOW rows with sk__clv_bgnbd_loglik (the paper's eq. 6 as
 *     written, no triples, no grouping by frequency, no time tables), at points away from
 *     the optimum, with and without a penalty, and the same on 600 made-up customers with
 *     continuous (all distinct) ages. Relative error < 1e-6 per component.
 *   - gamma and digamma: closed forms (ln Gamma(1/2) = ln sqrt(pi), ln Gamma(10) = ln 9!,
 *     psi(1) = -Euler's gamma, psi(1/2) = -gamma - 2 ln 2, psi(y+1) = psi(y) + 1/y).
 *   - optimiser: a quadratic whose minimum and Hessian are known by hand, with its
 *     gradient written by hand. */
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
#include "testkit.h"

/* ---- the independent objective -------------------------------------------------------- */

typedef struct reference_ctx {
  const cdnow *d;
  double max_T;
  double penalizer;
} reference_ctx;

static double reference_objective(const reference_ctx *c, const double *logp) {
  double p[4];
  double penalty = 0.0;
  for (int i = 0; i < 4; i++) {
    p[i] = exp(logp[i]);
    penalty += p[i] * p[i];
  }
  double ll = 0.0;
  for (size_t i = 0; i < c->d->n; i++) {
    ll += sk__clv_bgnbd_loglik(p, c->d->x[i], c->d->tx[i] / c->max_T, c->d->T[i] / c->max_T);
  }
  return -ll + c->penalizer * penalty * (double)c->d->n;
}

static double central(const reference_ctx *c, const double *logp, int i, double h) {
  double y[4];
  memcpy(y, logp, sizeof y);
  y[i] = logp[i] + h;
  double fp = reference_objective(c, y);
  y[i] = logp[i] - h;
  double fm = reference_objective(c, y);
  return (fp - fm) / (2.0 * h);
}

/* Richardson: (4 D(h/2) - D(h)) / 3 cancels the h^2 term of the central difference. */
static double numerical_partial(const reference_ctx *c, const double *logp, int i) {
  const double h = 2e-3;
  return (4.0 * central(c, logp, i, h / 2.0) - central(c, logp, i, h)) / 3.0;
}

static void check_gradient_at(const cdnow *d, const sk__clv_triples *t, double penalizer,
                              const double *natural_scaled) {
  sk__clv_bgnbd_objective *o = NULL;
  assert_int_equal(sk__clv_bgnbd_objective_new(t, penalizer, &o, NULL), SEGKIT_OK);
  reference_ctx rc = {.d = d, .max_T = t->max_T, .penalizer = penalizer};
  double logp[4];
  for (int i = 0; i < 4; i++) {
    logp[i] = log(natural_scaled[i]);
  }
  double grad[4];
  double f = sk__clv_bgnbd_objective_eval(logp, grad, o);
  double f_ref = reference_objective(&rc, logp);
  assert_close(f, f_ref, 1e-11 * fabs(f_ref));
  /* Without a gradient the value is the same. */
  assert_close(sk__clv_bgnbd_objective_eval(logp, NULL, o), f, 0.0);
  for (int i = 0; i < 4; i++) {
    double want = numerical_partial(&rc, logp, i);
    double rel = fabs(grad[i] - want) / fabs(want);
    if (!(rel < 1e-6)) {
      fail_msg("point (%g, %g, %g, %g), penalizer %g, component %d: exact %.12g, numerical "
               "%.12g, relative error %.3g",
               natural_scaled[0], natural_scaled[1], natural_scaled[2], natural_scaled[3],
               penalizer, i, grad[i], want, rel);
    }
  }
  sk__clv_bgnbd_objective_free(o);
}

static void bgnbd_gradient_matches_numerical(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  sk__clv_triples t;
  assert_int_equal(sk__clv_collapse(d.x, d.tx, d.T, NULL, d.n, &t, NULL), SEGKIT_OK);
  /* Natural parameters in the fit's time unit (largest T = 1): lifetimes' start, points
   * on either side of the CDNOW optimum (alpha_scaled ~ 0.11) and a far one. */
  static const double points[5][4] = {{1.0, 1.0, 1.0, 1.0},
                                      {0.3, 0.2, 0.6, 3.0},
                                      {0.15, 0.05, 1.4, 1.2},
                                      {2.5, 0.7, 0.2, 8.0},
                                      {0.05, 3.0, 4.0, 0.4}};
  for (int k = 0; k < 5; k++) {
    check_gradient_at(&d, &t, 0.0, points[k]);
  }
  check_gradient_at(&d, &t, 0.1, points[1]);
  check_gradient_at(&d, &t, 0.01, points[3]);
  sk__clv_triples_free(&t);
  free_cdnow(&d);
}

/* Continuous ages (every recency and T distinct): the objective's per-triple time layout
 * instead of the shared table, checked the same way. */
static void bgnbd_gradient_with_distinct_times(void **state) {
  (void)state;
  enum { N = 600 };
  cdnow d = {.n = N};
  d.x = malloc(N * sizeof *d.x);
  d.tx = malloc(N * sizeof *d.tx);
  d.T = malloc(N * sizeof *d.T);
  assert_true(d.x && d.tx && d.T);
  uint64_t s = 7;
  for (size_t i = 0; i < N; i++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u1 = (double)(s >> 11) * 0x1.0p-53;
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u2 = (double)(s >> 11) * 0x1.0p-53;
    d.T[i] = 27.0 + 12.0 * u1;
    d.x[i] = (double)(i % 7);
    d.tx[i] = d.x[i] > 0 ? d.T[i] * u2 : 0.0;
  }
  sk__clv_triples t;
  assert_int_equal(sk__clv_collapse(d.x, d.tx, d.T, NULL, d.n, &t, NULL), SEGKIT_OK);
  assert_int_equal(t.n, N);
  static const double points[2][4] = {{1.0, 1.0, 1.0, 1.0}, {0.4, 0.15, 0.9, 2.0}};
  check_gradient_at(&d, &t, 0.0, points[0]);
  check_gradient_at(&d, &t, 0.05, points[1]);
  sk__clv_triples_free(&t);
  free_cdnow(&d);
}

/* Beyond the range where the gamma functions are safe the objective is undefined rather
 * than an abort in GSL's error handler. */
static void bgnbd_objective_undefined_far_out(void **state) {
  (void)state;
  const double x[2] = {0, 3}, tx[2] = {0, 2}, T[2] = {5, 5};
  sk__clv_triples t;
  assert_int_equal(sk__clv_collapse(x, tx, T, NULL, 2, &t, NULL), SEGKIT_OK);
  sk__clv_bgnbd_objective *o = NULL;
  assert_int_equal(sk__clv_bgnbd_objective_new(&t, 0.0, &o, NULL), SEGKIT_OK);
  const double far[4] = {0.0, 400.0, 0.0, 0.0};
  const double near_zero[4] = {-400.0, 0.0, 0.0, 0.0};
  double g[4];
  assert_true(isinf(sk__clv_bgnbd_objective_eval(far, g, o)));
  assert_true(isinf(sk__clv_bgnbd_objective_eval(near_zero, g, o)));
  sk__clv_bgnbd_objective_free(o);
  sk__clv_triples_free(&t);
}

static void gamma_functions_closed_forms(void **state) {
  (void)state;
  const double euler = 0.57721566490153286061;
  assert_rel(sk__clv_lngamma(0.5), 0.5 * log(3.14159265358979323846), 1e-14);
  assert_rel(sk__clv_lngamma(10.0), log(362880.0), 1e-14);
  assert_rel(sk__clv_digamma(1.0), -euler, 1e-14);
  assert_rel(sk__clv_digamma(0.5), -euler - 2.0 * log(2.0), 1e-14);
  assert_rel(sk__clv_digamma(3.7), sk__clv_digamma(2.7) + 1.0 / 2.7, 1e-14);
  assert_true(isnan(sk__clv_lngamma(0.0)));
  assert_true(isnan(sk__clv_lngamma(-1.5)));
  assert_true(isnan(sk__clv_digamma(0.0)));
  assert_true(isfinite(sk__clv_lngamma(1e305)));
  assert_rel(sk__clv_digamma(1e-305), -1e305, 1e-12);
}

/* ---- the optimiser with an exact gradient ----------------------------------------------- */

typedef struct quad_ctx {
  double centre[3];
  double weight[3];
  int calls;
} quad_ctx;

static double quadratic_grad(const double *logp, double *grad, void *vctx) {
  quad_ctx *c = vctx;
  c->calls++;
  double v = 0.0;
  for (int i = 0; i < 3; i++) {
    double d = logp[i] - c->centre[i];
    v += c->weight[i] * d * d;
    if (grad != NULL) {
      grad[i] = 2.0 * c->weight[i] * d;
    }
  }
  return v + 7.0;
}

static double quadratic_value(const double *logp, void *vctx) {
  return quadratic_grad(logp, NULL, vctx);
}

static void optimise_with_exact_gradient(void **state) {
  (void)state;
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  const double start[3] = {0.0, 0.0, 0.0};
  double logp[3], value, se[3];
  int it = 0;
  quad_ctx exact = {.centre = {1.0, -2.0, 0.5}, .weight = {2.0, 50.0, 0.5}};
  assert_int_equal(sk__clv_minimise_grad(3, quadratic_value, quadratic_grad, &exact, start,
                                         &opt, logp, &value, &it, se, NULL),
                   SEGKIT_OK);
  for (int i = 0; i < 3; i++) {
    assert_close(logp[i], exact.centre[i], 1e-7);
    assert_rel(se[i], exp(exact.centre[i]) / sqrt(2.0 * exact.weight[i]), 1e-6);
  }
  assert_close(value, 7.0, 1e-12);
  /* The numerical route needs 2k + 1 evaluations per gradient: many more calls. */
  quad_ctx numeric = exact;
  numeric.calls = 0;
  double logp2[3], value2, se2[3];
  assert_int_equal(sk__clv_minimise(3, quadratic_value, &numeric, start, &opt, logp2, &value2,
                                    &it, se2, NULL),
                   SEGKIT_OK);
  for (int i = 0; i < 3; i++) {
    assert_close(logp2[i], logp[i], 1e-6);
  }
  assert_true(exact.calls * 2 < numeric.calls);
}

static double bgnbd_value(const double *logp, void *ctx) {
  return sk__clv_bgnbd_objective_eval(logp, NULL, ctx);
}

/* The fit with the exact gradient lands where the numerical-gradient optimiser does on
 * CDNOW (the same optimum to 1e-5 in log-parameters, standard errors to 1e-3), with one
 * start and with five. */
static void bgnbd_exact_and_numerical_fits_agree(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  sk__clv_triples t;
  assert_int_equal(sk__clv_collapse(d.x, d.tx, d.T, NULL, d.n, &t, NULL), SEGKIT_OK);
  sk__clv_bgnbd_objective *o = NULL;
  assert_int_equal(sk__clv_bgnbd_objective_new(&t, 0.0, &o, NULL), SEGKIT_OK);
  const double start[4] = {0, 0, 0, 0};
  for (int starts = 1; starts <= 5; starts += 4) {
    segkit_clv_fit_options opt;
    segkit_clv_fit_options_init(&opt);
    opt.starts = starts;
    opt.seed = 42;
    double le[4], ln[4], ve, vn, se_e[4], se_n[4];
    int it;
    assert_int_equal(sk__clv_minimise_grad(4, bgnbd_value, sk__clv_bgnbd_objective_eval, o,
                                           start, &opt, le, &ve, &it, se_e, NULL),
                     SEGKIT_OK);
    assert_int_equal(
        sk__clv_minimise(4, bgnbd_value, o, start, &opt, ln, &vn, &it, se_n, NULL),
        SEGKIT_OK);
    assert_close(ve, vn, 1e-8 * fabs(vn));
    for (int i = 0; i < 4; i++) {
      assert_close(le[i], ln[i], 1e-5);
      assert_rel(se_e[i], se_n[i], 1e-3);
    }
  }
  sk__clv_bgnbd_objective_free(o);
  sk__clv_triples_free(&t);
  free_cdnow(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bgnbd_gradient_matches_numerical),
      cmocka_unit_test(bgnbd_gradient_with_distinct_times),
      cmocka_unit_test(bgnbd_objective_undefined_far_out),
      cmocka_unit_test(gamma_functions_closed_forms),
      cmocka_unit_test(optimise_with_exact_gradient),
      cmocka_unit_test(bgnbd_exact_and_numerical_fits_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
