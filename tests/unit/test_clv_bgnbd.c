/* BG/NBD (and the shared optimiser) against published figures and an independent scipy
 * implementation.
 *
 * Expected values:
 *   - CDNOW fit r=0.243, alpha=4.414, a=0.793, b=2.426 (Fader, Hardie & Lee 2005, as
 *     asserted in lifetimes' tests), LL -9582.4; E[X(t)] and the conditional expectation
 *     for x=2, t_x=30.43, T=38.86 from lifetimes' tests (3 decimals). See
 *     /work/shared/data/INDEX.md, cdnow entry.
 *   - tests/data/clv/bgnbd_paretonbd_reference.txt, written by
 *     tests/data/clv/bgnbd_paretonbd_reference.py (numpy/scipy from the paper's formulas,
 *     scipy.optimize fit) for tighter checks.
 *   - optimiser: quadratics whose minimum and Hessian are known by hand. */
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


static const double QUICKSTART[4] = {0.242593, 4.413532, 0.792886, 2.425752};

/* ---- optimiser ------------------------------------------------------------------------ */

typedef struct quad_ctx {
  double centre[3];
  double weight[3];
  int calls;
} quad_ctx;

static double quadratic(const double *logp, void *vctx) {
  quad_ctx *c = vctx;
  c->calls++;
  double v = 0.0;
  for (int i = 0; i < 3; i++) {
    double d = logp[i] - c->centre[i];
    v += c->weight[i] * d * d;
  }
  return v + 7.0;
}

static void optimise_quadratic_minimum_and_errors(void **state) {
  (void)state;
  quad_ctx c = {.centre = {1.0, -2.0, 0.5}, .weight = {2.0, 50.0, 0.5}};
  const double start[3] = {0.0, 0.0, 0.0};
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  double logp[3], value, se[3];
  int iterations = -1;
  segkit_error err;
  assert_int_equal(sk__clv_minimise(3, quadratic, &c, start, &opt, logp, &value, &iterations,
                                    se, &err),
                   SEGKIT_OK);
  for (int i = 0; i < 3; i++) {
    assert_close(logp[i], c.centre[i], 1e-6);
    /* Hessian 2w on the diagonal: var(theta) = theta^2 / (2w). */
    assert_rel(se[i], exp(c.centre[i]) / sqrt(2.0 * c.weight[i]), 1e-4);
  }
  assert_close(value, 7.0, 1e-10);
  assert_true(iterations > 0 && iterations < 1000);
}

/* Undefined (infinite or NaN) outside x0 > -1: the minimum sits inside. */
static double walled(const double *logp, void *vctx) {
  (void)vctx;
  if (logp[0] <= -1.0) {
    return logp[0] < -3.0 ? NAN : INFINITY;
  }
  double a = logp[0] - 0.3;
  double b = logp[1] + 1.0;
  return a * a + 3.0 * b * b + a * b;
}

static void optimise_survives_undefined_values(void **state) {
  (void)state;
  const double start[2] = {-0.5, 2.0};
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  opt.starts = 8;
  opt.seed = 42;
  double logp[2], value, se[2];
  int it;
  assert_int_equal(sk__clv_minimise(2, walled, NULL, start, &opt, logp, &value, &it, se, NULL),
                   SEGKIT_OK);
  /* Minimum of a^2 + 3b^2 + ab at a = b = 0. */
  assert_close(logp[0], 0.3, 1e-5);
  assert_close(logp[1], -1.0, 1e-5);
  assert_close(value, 0.0, 1e-9);
}

static double nowhere(const double *logp, void *vctx) {
  (void)logp;
  (void)vctx;
  return INFINITY;
}

static double flat_in_second(const double *logp, void *vctx) {
  (void)vctx;
  return (logp[0] - 1.0) * (logp[0] - 1.0);
}

static void optimise_reports_failures_and_singular_hessians(void **state) {
  (void)state;
  const double start[2] = {0.0, 0.0};
  double logp[2], value, se[2];
  int it;
  segkit_error err;
  assert_int_equal(
      sk__clv_minimise(2, nowhere, NULL, start, NULL, logp, &value, &it, se, &err),
      SEGKIT_ERR_INTERNAL);
  assert_non_null(strstr(err.message, "finite"));
  assert_int_equal(
      sk__clv_minimise(2, flat_in_second, NULL, start, NULL, logp, &value, &it, se, &err),
      SEGKIT_OK);
  assert_close(logp[0], 1.0, 1e-6);
  assert_true(isnan(se[0]) && isnan(se[1]));
}

static void optimise_is_deterministic_for_a_seed(void **state) {
  (void)state;
  quad_ctx c1 = {.centre = {1.0, -2.0, 0.5}, .weight = {2.0, 50.0, 0.5}};
  quad_ctx c2 = c1;
  const double start[3] = {0.0, 0.0, 0.0};
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  opt.seed = 7;
  double l1[3], l2[3], v1, v2;
  int i1, i2;
  assert_int_equal(sk__clv_minimise(3, quadratic, &c1, start, &opt, l1, &v1, &i1, NULL, NULL),
                   SEGKIT_OK);
  assert_int_equal(sk__clv_minimise(3, quadratic, &c2, start, &opt, l2, &v2, &i2, NULL, NULL),
                   SEGKIT_OK);
  assert_memory_equal(l1, l2, sizeof l1);
  assert_int_equal(c1.calls, c2.calls);
  /* Fewer starts, fewer evaluations: the starts option is honoured. */
  quad_ctx c3 = c1;
  c3.calls = 0;
  opt.starts = 1;
  assert_int_equal(sk__clv_minimise(3, quadratic, &c3, start, &opt, l2, &v2, &i2, NULL, NULL),
                   SEGKIT_OK);
  assert_true(c3.calls < c1.calls);
}

/* ---- BG/NBD ----------------------------------------------------------------------------- */

static void bgnbd_log_likelihood_at_published_parameters(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  double ll = 0.0;
  for (size_t i = 0; i < d.n; i++) {
    ll += sk__clv_bgnbd_loglik(QUICKSTART, d.x[i], d.tx[i], d.T[i]);
  }
  assert_close(ll, -9582.4, 0.05);
  assert_close(ll, reference("bgnbd_ll_quickstart"), 1e-6);
  free_cdnow(&d);
}

static void bgnbd_fits_cdnow(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  segkit_clv_model *m = NULL;
  segkit_error err;
  segkit_status st =
      segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, d.x, d.tx, d.T, NULL, d.n, &opt, &m, &err);
  if (st != SEGKIT_OK) {
    fail_msg("fit failed: %s", err.message);
  }
  assert_int_equal(segkit_clv_model_kind(m), SEGKIT_CLV_BGNBD);
  assert_int_equal(segkit_clv_model_n_params(m), 4);
  /* Published, 3 significant digits. */
  const double published[4] = {0.243, 4.414, 0.793, 2.426};
  const double half_unit[4] = {0.0005, 0.005, 0.0005, 0.005};
  const char *names[4] = {"r", "alpha", "a", "b"};
  for (size_t i = 0; i < 4; i++) {
    assert_close(segkit_clv_model_param(m, i), published[i], half_unit[i]);
    char key[64];
    snprintf(key, sizeof key, "bgnbd_fit_%s", names[i]);
    assert_rel(segkit_clv_model_param(m, i), reference(key), 1e-4);
    /* Standard errors against the inverse of scipy-side numerical Hessian in the natural
     * parameters (segkit: log space plus the delta method). */
    snprintf(key, sizeof key, "bgnbd_se_%s", names[i]);
    assert_rel(segkit_clv_model_std_error(m, i), reference(key), 2e-3);
  }
  assert_close(segkit_clv_model_log_likelihood(m), -9582.4, 0.05);
  assert_close(segkit_clv_model_log_likelihood(m), reference("bgnbd_fit_ll"), 1e-4);
  assert_close(segkit_clv_model_n(m), 2357.0, 0.0);
  segkit_clv_model_free(m);
  free_cdnow(&d);
}

static void bgnbd_predictions(void **state) {
  (void)state;
  segkit_clv_model *m = model_at_kind(SEGKIT_CLV_BGNBD, QUICKSTART);
  /* lifetimes' tests, 3 decimals. */
  assert_close(segkit_clv_expected_purchases(m, 39.0, 2.0, 30.43, 38.86), 1.226, 0.0015);
  const double t[6] = {0.1429, 1, 3, 31.8571, 32, 78};
  const double want[6] = {0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576};
  const char *keys[6] = {"bgnbd_new_0.1429", "bgnbd_new_1",  "bgnbd_new_3",
                         "bgnbd_new_31.8571", "bgnbd_new_32", "bgnbd_new_78"};
  for (int i = 0; i < 6; i++) {
    double got = segkit_clv_expected_purchases_new(m, t[i]);
    assert_close(got, want[i], 0.0015);
    assert_rel(got, reference(keys[i]), 1e-9);
  }
  assert_rel(segkit_clv_expected_purchases_new(m, 260.0), reference("bgnbd_new_260"), 1e-9);
  assert_close(segkit_clv_expected_purchases_new(m, 0.0), 0.0, 0.0);
  /* A handful of histories against scipy. */
  const double hist[8][3] = {{0, 0.0, 38.86},  {2, 30.43, 38.86}, {1, 1.71, 38.86},
                             {7, 29.43, 38.86}, {5, 9.0, 38.0},    {29, 35.71, 38.71},
                             {3, 5.0, 34.0},    {10, 10.0, 39.0}};
  for (int i = 0; i < 8; i++) {
    char key[64];
    snprintf(key, sizeof key, "bgnbd_palive_%d", i);
    assert_close(segkit_clv_p_alive(m, hist[i][0], hist[i][1], hist[i][2]), reference(key),
                 1e-9);
    snprintf(key, sizeof key, "bgnbd_cond39_%d", i);
    assert_rel(segkit_clv_expected_purchases(m, 39.0, hist[i][0], hist[i][1], hist[i][2]),
               reference(key), 1e-9);
  }
  /* Invalid histories are NaN, not a number that looks right. */
  assert_true(isnan(segkit_clv_p_alive(m, 1.0, 40.0, 38.0)));
  assert_true(isnan(segkit_clv_p_alive(m, 0.0, 3.0, 38.0)));
  assert_true(isnan(segkit_clv_expected_purchases(m, -1.0, 1.0, 3.0, 38.0)));
  assert_true(isnan(segkit_clv_p_alive(NULL, 1.0, 3.0, 38.0)));
  segkit_clv_model_free(m);
}

/* Aggregated triples with weights fit exactly as the rows they stand for. */
static void bgnbd_weights_match_expanded_rows(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  /* Aggregate by hand (quadratic, fine for 2357 rows). */
  double *ax = malloc(d.n * sizeof *ax), *atx = malloc(d.n * sizeof *atx);
  double *aT = malloc(d.n * sizeof *aT), *aw = malloc(d.n * sizeof *aw);
  assert_true(ax && atx && aT && aw);
  size_t k = 0;
  for (size_t i = 0; i < d.n; i++) {
    size_t j = 0;
    while (j < k && !(ax[j] == d.x[i] && atx[j] == d.tx[i] && aT[j] == d.T[i])) {
      j++;
    }
    if (j == k) {
      ax[k] = d.x[i];
      atx[k] = d.tx[i];
      aT[k] = d.T[i];
      aw[k] = 0.0;
      k++;
    }
    aw[j] += 1.0;
  }
  assert_true(k < d.n);
  segkit_clv_model *expanded = NULL, *aggregated = NULL;
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, d.x, d.tx, d.T, NULL, d.n, NULL,
                                            &expanded, NULL),
                   SEGKIT_OK);
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, ax, atx, aT, aw, k, NULL,
                                            &aggregated, NULL),
                   SEGKIT_OK);
  for (size_t i = 0; i < 4; i++) {
    assert_rel(segkit_clv_model_param(aggregated, i), segkit_clv_model_param(expanded, i),
               1e-9);
  }
  assert_close(segkit_clv_model_log_likelihood(aggregated),
               segkit_clv_model_log_likelihood(expanded), 1e-6);
  assert_close(segkit_clv_model_n(aggregated), 2357.0, 0.0);
  /* Doubling every weight keeps the parameters, doubles the log-likelihood. */
  for (size_t j = 0; j < k; j++) {
    aw[j] *= 2.0;
  }
  segkit_clv_model *doubled = NULL;
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, ax, atx, aT, aw, k, NULL,
                                            &doubled, NULL),
                   SEGKIT_OK);
  for (size_t i = 0; i < 4; i++) {
    assert_rel(segkit_clv_model_param(doubled, i), segkit_clv_model_param(expanded, i), 1e-4);
    /* Standard errors shrink by sqrt(2) with twice the data. */
    assert_rel(segkit_clv_model_std_error(doubled, i) * sqrt(2.0),
               segkit_clv_model_std_error(expanded, i), 2e-2);
  }
  assert_rel(segkit_clv_model_log_likelihood(doubled),
             2.0 * segkit_clv_model_log_likelihood(expanded), 1e-8);
  segkit_clv_model_free(expanded);
  segkit_clv_model_free(aggregated);
  segkit_clv_model_free(doubled);
  free(ax);
  free(atx);
  free(aT);
  free(aw);
  free_cdnow(&d);
}

static void expect_usage(const double *x, const double *tx, const double *T, const double *w,
                         size_t n, const char *field, const char *row_text) {
  segkit_clv_model *m = NULL;
  segkit_error err;
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, x, tx, T, w, n, NULL, &m, &err),
                   SEGKIT_ERR_USAGE);
  assert_null(m);
  assert_string_equal(err.field, field);
  if (strstr(err.message, row_text) == NULL) {
    fail_msg("message \"%s\" does not name %s", err.message, row_text);
  }
}

static void bgnbd_input_errors_name_the_row(void **state) {
  (void)state;
  double x[4] = {1, 0, 2, 3};
  double tx[4] = {2, 0, 5, 6};
  double T[4] = {10, 10, 10, 10};
  double w[4] = {1, 1, 1, 1};
  x[2] = -1;
  expect_usage(x, tx, T, NULL, 4, "frequency", "row 2");
  x[2] = 2;
  tx[3] = 11;
  expect_usage(x, tx, T, NULL, 4, "recency", "row 3");
  tx[3] = 6;
  tx[1] = 4;
  expect_usage(x, tx, T, NULL, 4, "recency", "row 1");
  tx[1] = 0;
  T[0] = NAN;
  expect_usage(x, tx, T, NULL, 4, "T", "row 0");
  T[0] = 10;
  w[3] = -2;
  expect_usage(x, tx, T, w, 4, "weights", "row 3");
  segkit_clv_model *m = NULL;
  segkit_error err;
  assert_int_equal(
      segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, x, tx, T, NULL, 0, NULL, &m, &err),
      SEGKIT_ERR_LIMIT);
  assert_int_equal(
      segkit_clv_fit_purchases(SEGKIT_CLV_SBG, x, tx, T, NULL, 4, NULL, &m, &err),
      SEGKIT_ERR_USAGE);
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  opt.penalizer = -0.5;
  assert_int_equal(
      segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, x, tx, T, NULL, 4, &opt, &m, &err),
      SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "penalizer");
  assert_null(m);
  /* A weight of 0 drops the row from the fit (n counts the weights). */
  w[3] = 0.0;
  assert_int_equal(segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, x, tx, T, w, 4, NULL, &m, &err),
                   SEGKIT_OK);
  assert_close(segkit_clv_model_n(m), 3.0, 0.0);
  segkit_clv_model_free(m);
}

/* lifetimes' penalty shrinks the parameters; the penalised fit is still deterministic. */
static void bgnbd_penalizer_shrinks(void **state) {
  (void)state;
  cdnow d = load_cdnow();
  segkit_clv_fit_options opt;
  segkit_clv_fit_options_init(&opt);
  opt.penalizer = 0.1;
  segkit_clv_model *m1 = NULL, *m2 = NULL, *m0 = NULL;
  assert_int_equal(
      segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, d.x, d.tx, d.T, NULL, d.n, &opt, &m1, NULL),
      SEGKIT_OK);
  assert_int_equal(
      segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, d.x, d.tx, d.T, NULL, d.n, &opt, &m2, NULL),
      SEGKIT_OK);
  assert_int_equal(
      segkit_clv_fit_purchases(SEGKIT_CLV_BGNBD, d.x, d.tx, d.T, NULL, d.n, NULL, &m0, NULL),
      SEGKIT_OK);
  for (size_t i = 0; i < 4; i++) {
    assert_true(segkit_clv_model_param(m1, i) == segkit_clv_model_param(m2, i));
  }
  assert_rel(segkit_clv_model_param(m1, 0), reference("bgnbd_pen0.1_r"), 1e-3);
  assert_rel(segkit_clv_model_param(m1, 1), reference("bgnbd_pen0.1_alpha"), 1e-3);
  assert_rel(segkit_clv_model_param(m1, 2), reference("bgnbd_pen0.1_a"), 1e-3);
  assert_rel(segkit_clv_model_param(m1, 3), reference("bgnbd_pen0.1_b"), 1e-3);
  assert_true(segkit_clv_model_log_likelihood(m1) < segkit_clv_model_log_likelihood(m0));
  segkit_clv_model_free(m0);
  segkit_clv_model_free(m1);
  segkit_clv_model_free(m2);
  free_cdnow(&d);
}

/* Drift check: when /usr/bin/python3 has scipy and mpmath, rerun the reference script
 * and compare every committed value (1e-6 relative: the scipy fits stop on their own
 * tolerances; closed-form values agree far closer). Skipped without them. */
typedef struct kv {
  char key[64];
  double value;
} kv;

static size_t read_kv(const char *path, kv *out, size_t cap) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = 0;
  while (n < cap && fscanf(f, "%63s %lf", out[n].key, &out[n].value) == 2) {
    n++;
  }
  fclose(f);
  return n;
}

static void reference_script_has_not_drifted(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import scipy, mpmath' >/dev/null 2>&1") != 0) {
    skip();
  }
  char *dir = tu_mkdtemp();
  assert_non_null(dir);
  char *fresh = tu_path_join(dir, "reference.txt");
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' > '%s'", REFERENCE_SCRIPT, CDNOW_CSV,
           fresh);
  assert_int_equal(system(cmd), 0);
  enum { CAP = 256 };
  kv *a = calloc(CAP, sizeof *a);
  kv *b = calloc(CAP, sizeof *b);
  assert_true(a != NULL && b != NULL);
  size_t na = read_kv(REFERENCE, a, CAP);
  size_t nb = read_kv(fresh, b, CAP);
  assert_int_equal(na, nb);
  for (size_t i = 0; i < na; i++) {
    assert_string_equal(a[i].key, b[i].key);
    if (!(fabs(a[i].value - b[i].value) <= 1e-6 * fabs(a[i].value) + 1e-12)) {
      fail_msg("%s: committed %.12g, script now %.12g", a[i].key, a[i].value, b[i].value);
    }
  }
  free(a);
  free(b);
  free(fresh);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(optimise_quadratic_minimum_and_errors),
      cmocka_unit_test(optimise_survives_undefined_values),
      cmocka_unit_test(optimise_reports_failures_and_singular_hessians),
      cmocka_unit_test(optimise_is_deterministic_for_a_seed),
      cmocka_unit_test(bgnbd_log_likelihood_at_published_parameters),
      cmocka_unit_test(bgnbd_fits_cdnow),
      cmocka_unit_test(bgnbd_predictions),
      cmocka_unit_test(bgnbd_weights_match_expanded_rows),
      cmocka_unit_test(bgnbd_input_errors_name_the_row),
      cmocka_unit_test(bgnbd_penalizer_shrinks),
      cmocka_unit_test(reference_script_has_not_drifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
