/* Predictions for many customers at once (segkit_clv_predict): each row must be exactly
 * the per-customer function's value (those are checked against lifetimes' published
 * values and mpmath in test_clv_bgnbd.c / test_clv_gammagamma.c), whatever the thread
 * count; bad options and model kinds are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/clv.h"

enum { N = 20000 };

static segkit_clv_model *model(const char *json) {
  segkit_clv_model *m = NULL;
  segkit_error err;
  if (segkit_clv_model_from_json(json, &m, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  return m;
}

static segkit_clv_model *bgnbd(void) {
  return model("{\"format\": \"segkit-clv-model\", \"version\": 1, \"kind\": \"bgnbd\","
               " \"params\": {\"r\": 0.242593, \"alpha\": 4.413532, \"a\": 0.792886,"
               " \"b\": 2.425752}, \"std_errors\": {\"r\": null, \"alpha\": null, \"a\": null,"
               " \"b\": null}, \"log_likelihood\": null, \"n\": 2357, \"iterations\": 0}");
}

static segkit_clv_model *gammagamma(void) {
  return model("{\"format\": \"segkit-clv-model\", \"version\": 1, \"kind\": \"gammagamma\","
               " \"params\": {\"p\": 6.25, \"q\": 3.74, \"gamma\": 15.44},"
               " \"std_errors\": {\"p\": null, \"q\": null, \"gamma\": null},"
               " \"log_likelihood\": null, \"n\": 946, \"iterations\": 0}");
}

typedef struct data {
  double f[N], r[N], T[N], m[N];
} data;

/* Histories spread over the CDNOW range, a few invalid (recency > T) and NaN spend. */
static void fill(data *d) {
  for (size_t i = 0; i < N; i++) {
    d->T[i] = 1.0 + (double)(i % 390) / 10.0;
    d->f[i] = (double)(i % 13);
    d->r[i] = d->f[i] > 0 ? d->T[i] * (double)(i % 7) / 7.0 : 0.0;
    d->m[i] = d->f[i] > 0 ? 5.0 + (double)(i % 50) : 0.0;
  }
  d->r[17] = d->T[17] + 1.0;  /* invalid: recency > T */
  d->m[23] = NAN;             /* no spend: counts as 0 */
}

static void same(double a, double b, size_t i, const char *what) {
  if (!(a == b || (isnan(a) && isnan(b)))) {
    fail_msg("row %zu %s: batch %.17g, per customer %.17g", i, what, a, b);
  }
}

static void rows_equal_the_per_customer_functions(void **state) {
  (void)state;
  data *d = malloc(sizeof *d);
  assert_non_null(d);
  fill(d);
  segkit_clv_model *m = bgnbd();
  segkit_clv_model *g = gammagamma();
  double *out = malloc(8 * N * sizeof *out);
  assert_non_null(out);
  for (int threads = 1; threads <= 2; threads++) {
    double *pa = out, *ep = out + N, *es = out + 2 * N, *v = out + 3 * N;
    segkit_clv_predict_options o;
    segkit_clv_predict_options_init(&o);
    o.horizon = 39;
    o.step = 4;
    o.discount = 0.01;
    o.n_threads = threads;
    segkit_error err;
    assert_int_equal(segkit_clv_predict(m, g, d->f, d->r, d->T, d->m, N, &o, pa, ep, es, v, &err),
                     SEGKIT_OK);
    for (size_t i = 0; i < N; i++) {
      double money = isfinite(d->m[i]) ? d->m[i] : 0.0;
      same(pa[i], segkit_clv_p_alive(m, d->f[i], d->r[i], d->T[i]), i, "p_alive");
      same(ep[i], segkit_clv_expected_purchases(m, 39, d->f[i], d->r[i], d->T[i]), i, "expected");
      same(es[i], segkit_clv_expected_spend(g, d->f[i], money), i, "spend");
      same(v[i], segkit_clv_value(m, g, d->f[i], d->r[i], d->T[i], money, 39, 4, 0.01), i, "value");
    }
    assert_true(isnan(pa[17]));
    assert_true(isfinite(v[23]));
  }
  /* outputs are optional */
  segkit_error err;
  assert_int_equal(segkit_clv_predict(m, NULL, d->f, d->r, d->T, NULL, N, NULL, out, NULL, NULL,
                                      NULL, &err),
                   SEGKIT_OK);
  same(out[5], segkit_clv_p_alive(m, d->f[5], d->r[5], d->T[5]), 5, "p_alive alone");
  free(out);
  segkit_clv_model_free(g);
  segkit_clv_model_free(m);
  free(d);
}

static void bad_calls_are_refused(void **state) {
  (void)state;
  segkit_clv_model *m = bgnbd();
  segkit_clv_model *g = gammagamma();
  double f = 1, r = 1, T = 2, out = 0;
  segkit_error err;
  assert_int_equal(segkit_clv_predict(g, NULL, &f, &r, &T, NULL, 1, NULL, &out, NULL, NULL, NULL,
                                      &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "purchase model"));
  assert_int_equal(segkit_clv_predict(m, m, &f, &r, &T, NULL, 1, NULL, &out, NULL, NULL, NULL,
                                      &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_clv_predict(m, NULL, &f, &r, &T, NULL, 1, NULL, NULL, NULL, &out, NULL,
                                      &err),
                   SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "spend model"));
  segkit_clv_predict_options o;
  segkit_clv_predict_options_init(&o);
  o.horizon = -1;
  assert_int_equal(segkit_clv_predict(m, NULL, &f, &r, &T, NULL, 1, &o, &out, NULL, NULL, NULL,
                                      &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_clv_predict(m, NULL, NULL, NULL, NULL, NULL, 1, NULL, &out, NULL, NULL,
                                      NULL, &err),
                   SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_clv_predict(m, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL,
                                      NULL, &err),
                   SEGKIT_OK);
  segkit_clv_model_free(g);
  segkit_clv_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rows_equal_the_per_customer_functions),
      cmocka_unit_test(bad_calls_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
