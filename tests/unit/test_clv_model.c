/* clv model object: kind names, fit option defaults, getters, JSON round trip and the
 * reader's validation (each bad field named). */
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

static void clv_kind_names_round_trip(void **state) {
  (void)state;
  const char *names[] = {"bgnbd", "paretonbd", "gammagamma", "sbg"};
  for (int k = 0; k < 4; k++) {
    assert_string_equal(segkit_clv_kind_name((segkit_clv_kind)k), names[k]);
    assert_int_equal(segkit_clv_kind_parse(names[k]), k);
  }
  assert_int_equal(segkit_clv_kind_parse("BGNBD"), -1);
  assert_int_equal(segkit_clv_kind_parse(""), -1);
  assert_int_equal(segkit_clv_kind_parse(NULL), -1);
  assert_string_equal(segkit_clv_kind_name((segkit_clv_kind)7), "unknown");
}

static void clv_fit_options_defaults(void **state) {
  (void)state;
  segkit_clv_fit_options o;
  memset(&o, 0xff, sizeof o);
  segkit_clv_fit_options_init(&o);
  assert_int_equal(o.starts, 5);
  assert_int_equal(o.max_iter, 1000);
  assert_true(o.penalizer == 0.0);
  assert_int_equal(o.seed, 0);
}

static void clv_model_getters(void **state) {
  (void)state;
  static const struct {
    segkit_clv_kind kind;
    size_t n;
    const char *names[4];
  } cases[] = {
      {SEGKIT_CLV_BGNBD, 4, {"r", "alpha", "a", "b"}},
      {SEGKIT_CLV_PARETONBD, 4, {"r", "alpha", "s", "beta"}},
      {SEGKIT_CLV_GAMMAGAMMA, 3, {"p", "q", "gamma", NULL}},
      {SEGKIT_CLV_SBG, 2, {"alpha", "beta", NULL, NULL}},
  };
  for (size_t c = 0; c < 4; c++) {
    segkit_clv_model *m = sk__clv_model_new(cases[c].kind);
    assert_non_null(m);
    assert_int_equal(segkit_clv_model_kind(m), cases[c].kind);
    assert_int_equal(segkit_clv_model_n_params(m), cases[c].n);
    for (size_t i = 0; i < cases[c].n; i++) {
      assert_string_equal(segkit_clv_model_param_name(m, i), cases[c].names[i]);
      assert_true(isnan(segkit_clv_model_std_error(m, i)));
      m->params[i] = 1.5 + (double)i;
    }
    assert_null(segkit_clv_model_param_name(m, cases[c].n));
    assert_true(isnan(segkit_clv_model_param(m, cases[c].n)));
    assert_true(isnan(segkit_clv_model_std_error(m, cases[c].n)));
    assert_true(segkit_clv_model_param(m, 1) == 2.5);
    assert_true(isnan(segkit_clv_model_log_likelihood(m)));
    assert_true(segkit_clv_model_n(m) == 0.0);
    assert_int_equal(segkit_clv_model_iterations(m), 0);
    segkit_clv_model_free(m);
  }
  assert_null(sk__clv_model_new((segkit_clv_kind)9));
  segkit_clv_model_free(NULL);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static segkit_clv_model *awkward_model(void) {
  segkit_clv_model *m = sk__clv_model_new(SEGKIT_CLV_BGNBD);
  /* values that need all 17 digits, extremes, and an unknown (NaN) standard error */
  m->params[0] = 0.1;
  m->params[1] = 1.0 / 3.0;
  m->params[2] = 4.9406564584124654e-324; /* smallest subnormal */
  m->params[3] = 1.7976931348623157e308;
  m->se[0] = 0.024259;
  m->se[1] = NAN;
  m->se[2] = 0.0;
  m->se[3] = 2.0 / 7.0;
  m->log_likelihood = -9582.425600000001;
  m->n = 2357.5;
  m->iterations = 42;
  return m;
}

static bool same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void clv_model_json_round_trip_is_exact(void **state) {
  (void)state;
  segkit_clv_model *m = awkward_model();
  char *json = NULL;
  segkit_error err;
  assert_int_equal(segkit_clv_model_to_json(m, &json, &err), SEGKIT_OK);
  assert_non_null(strstr(json, "\"format\":\"segkit-clv-model\""));
  assert_non_null(strstr(json, "\"version\":1"));
  assert_non_null(strstr(json, "\"kind\":\"bgnbd\""));
  assert_non_null(strstr(json, "\"alpha\":null")); /* the NaN standard error */
  segkit_clv_model *back = NULL;
  assert_int_equal(segkit_clv_model_from_json(json, &back, &err), SEGKIT_OK);
  assert_int_equal(back->kind, SEGKIT_CLV_BGNBD);
  assert_int_equal(back->n_params, 4);
  for (size_t i = 0; i < 4; i++) {
    assert_true(same_double(back->params[i], m->params[i]));
    assert_true(same_double(back->se[i], m->se[i]));
  }
  assert_true(same_double(back->log_likelihood, m->log_likelihood));
  assert_true(same_double(back->n, m->n));
  assert_int_equal(back->iterations, 42);
  /* a second trip gives the same text */
  char *json2 = NULL;
  assert_int_equal(segkit_clv_model_to_json(back, &json2, &err), SEGKIT_OK);
  assert_string_equal(json, json2);
  free(json);
  free(json2);
  segkit_clv_model_free(back);
  segkit_clv_model_free(m);
}

static void clv_model_json_every_kind(void **state) {
  (void)state;
  for (int k = 0; k < 4; k++) {
    segkit_clv_model *m = sk__clv_model_new((segkit_clv_kind)k);
    for (size_t i = 0; i < m->n_params; i++)
      m->params[i] = 0.5 + (double)i * 0.7;
    m->n = 10;
    char *json = NULL;
    assert_int_equal(segkit_clv_model_to_json(m, &json, NULL), SEGKIT_OK);
    segkit_clv_model *back = NULL;
    assert_int_equal(segkit_clv_model_from_json(json, &back, NULL), SEGKIT_OK);
    assert_int_equal(back->kind, k);
    assert_int_equal(back->n_params, m->n_params);
    for (size_t i = 0; i < m->n_params; i++)
      assert_true(back->params[i] == m->params[i]);
    assert_true(isnan(back->log_likelihood));
    free(json);
    segkit_clv_model_free(back);
    segkit_clv_model_free(m);
  }
}

#define GOOD_SBG                                                                           \
  "{\"format\":\"segkit-clv-model\",\"version\":1,\"kind\":\"sbg\","                      \
  "\"params\":{\"alpha\":0.704,\"beta\":1.182},\"std_errors\":{\"alpha\":null,\"beta\":0.1}," \
  "\"log_likelihood\":-1680.27,\"n\":1000,\"iterations\":12}"

/* Replace the first `from` in GOOD_SBG by `to` and expect failure naming `field`. */
static void expect_bad(const char *from, const char *to, segkit_status code, const char *field) {
  char doc[1024];
  const char *good = GOOD_SBG;
  const char *at = strstr(good, from);
  assert_non_null(at);
  snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
  segkit_clv_model *m = (segkit_clv_model *)(uintptr_t)1; /* must stay untouched */
  segkit_error err;
  segkit_error_clear(&err);
  segkit_status s = segkit_clv_model_from_json(doc, &m, &err);
  if (s != code || strcmp(err.field, field) != 0)
    fail_msg("%s -> %s: status %d field '%s' message %s", from, to, (int)s, err.field,
             err.message);
  assert_true(m == (segkit_clv_model *)(uintptr_t)1);
}

static void clv_model_json_rejects_bad_fields(void **state) {
  (void)state;
  segkit_clv_model *m = NULL;
  assert_int_equal(segkit_clv_model_from_json(GOOD_SBG, &m, NULL), SEGKIT_OK);
  assert_true(m->params[0] == 0.704 && m->params[1] == 1.182);
  assert_true(isnan(m->se[0]) && m->se[1] == 0.1);
  segkit_clv_model_free(m);

  expect_bad("segkit-clv-model", "segkit-cluster-model", SEGKIT_ERR_SCHEMA, "format");
  expect_bad("\"version\":1", "\"version\":2", SEGKIT_ERR_SCHEMA, "version");
  expect_bad("\"version\":1,", "", SEGKIT_ERR_SCHEMA, "version");
  expect_bad("\"sbg\"", "\"weibull\"", SEGKIT_ERR_SCHEMA, "kind");
  expect_bad("\"sbg\"", "3", SEGKIT_ERR_SCHEMA, "kind");
  expect_bad("\"beta\":1.182", "\"beta\":-1.182", SEGKIT_ERR_SCHEMA, "params.beta");
  expect_bad("\"beta\":1.182", "\"beta\":0", SEGKIT_ERR_SCHEMA, "params.beta");
  expect_bad("\"beta\":1.182", "\"beta\":null", SEGKIT_ERR_SCHEMA, "params.beta");
  expect_bad("\"beta\":1.182", "\"b\":1.182", SEGKIT_ERR_SCHEMA, "params.beta");
  expect_bad("\"beta\":1.182", "\"beta\":1.182,\"gamma\":2", SEGKIT_ERR_SCHEMA, "params");
  expect_bad("{\"alpha\":0.704,\"beta\":1.182}", "[0.704,1.182]", SEGKIT_ERR_SCHEMA,
             "params");
  expect_bad("\"beta\":0.1", "\"beta\":-0.1", SEGKIT_ERR_SCHEMA, "std_errors.beta");
  expect_bad("\"beta\":0.1", "\"beta\":\"x\"", SEGKIT_ERR_SCHEMA, "std_errors.beta");
  expect_bad("-1680.27", "\"low\"", SEGKIT_ERR_SCHEMA, "log_likelihood");
  expect_bad("\"n\":1000", "\"n\":-1", SEGKIT_ERR_SCHEMA, "n");
  expect_bad("\"iterations\":12", "\"iterations\":1.5", SEGKIT_ERR_SCHEMA, "iterations");
  expect_bad("\"iterations\":12", "\"iterations\":-3", SEGKIT_ERR_SCHEMA, "iterations");
  expect_bad("\"iterations\":12}", "\"iterations\":12", SEGKIT_ERR_PARSE, "");
  expect_bad("\"n\":1000", "\"n\":1000,\"n\":2", SEGKIT_ERR_PARSE, "");

  segkit_error err;
  assert_int_equal(segkit_clv_model_from_json("[1,2]", &m, &err), SEGKIT_ERR_SCHEMA);
  assert_int_equal(segkit_clv_model_from_json("", &m, &err), SEGKIT_ERR_PARSE);
  assert_int_equal(segkit_clv_model_from_json(NULL, &m, &err), SEGKIT_ERR_USAGE);
  char *json = NULL;
  assert_int_equal(segkit_clv_model_to_json(NULL, &json, &err), SEGKIT_ERR_USAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(clv_kind_names_round_trip),
      cmocka_unit_test(clv_fit_options_defaults),
      cmocka_unit_test(clv_model_getters),
      cmocka_unit_test(clv_model_json_round_trip_is_exact),
      cmocka_unit_test(clv_model_json_every_kind),
      cmocka_unit_test(clv_model_json_rejects_bad_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
