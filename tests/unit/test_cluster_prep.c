/* Preprocessing against scikit-learn 1.2 / numpy (tests/data/cluster/make_prep_reference.py)
 * on a 300-customer table with nulls: four configurations (z-score / robust / none,
 * drop / mean / median / mode, log1p, winsorising, one-hot of strings and of an int64
 * column, weights), applied to the fitting table and to 40 new customers with levels never
 * seen; the JSON round trip transforms bit for bit the same; inverse; errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "segkit/cluster.h"
#include "test_cluster_scores_kit.h"

#define REF SEGKIT_TEST_DATA "/cluster"

/* ---- the customers CSV as a table (no quoting in the fixture; empty = null) ------------ */

static const char *const col_names[9] = {"customer_id", "plan",   "country", "seats", "mrr",
                                         "tenure_days", "annual", "region",  "weight"};
static const segkit_type col_types[9] = {
    SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_STRING, SEGKIT_TYPE_INT64,
    SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_INT64, SEGKIT_TYPE_BOOL, SEGKIT_TYPE_INT64,
    SEGKIT_TYPE_FLOAT64};

static void append_cell(segkit_column_builder *cb, segkit_type t, const char *s) {
  if (*s == '\0') {
    assert_int_equal(segkit_column_append_null(cb), SEGKIT_OK);
    return;
  }
  segkit_status st = SEGKIT_OK;
  if (t == SEGKIT_TYPE_INT64)
    st = segkit_column_append_int64(cb, strtoll(s, NULL, 10));
  else if (t == SEGKIT_TYPE_FLOAT64)
    st = segkit_column_append_float64(cb, strtod(s, NULL));
  else if (t == SEGKIT_TYPE_BOOL)
    st = segkit_column_append_bool(cb, strcmp(s, "true") == 0);
  else
    st = segkit_column_append_string(cb, s, strlen(s));
  assert_int_equal(st, SEGKIT_OK);
}

static segkit_table *load_customers(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", REF, name);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(9, col_names, col_types, &b, &err), SEGKIT_OK);
  char line[1024];
  assert_non_null(fgets(line, sizeof line, f)); /* header */
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    char *p = line;
    for (size_t c = 0; c < 9; c++) {
      char *comma = strchr(p, ',');
      if (comma)
        *comma = '\0';
      append_cell(segkit_table_builder_column(b, c), col_types[c], p);
      p = comma ? comma + 1 : p + strlen(p);
    }
  }
  fclose(f);
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  return t;
}

/* ---- the configurations of the reference script ----------------------------------- */

typedef struct config {
  const char *name;
  segkit_scale scale;
  segkit_missing missing;
  const char *weight;
  size_t n;
  segkit_prep_feature f[6];
} config;

static const config configs[4] = {
    {"a", SEGKIT_SCALE_ZSCORE, SEGKIT_MISSING_DROP, "weight", 6,
     {{"mrr", true, 0.05, 0.95, false}, {"seats", false, 0, 0.9, false},
      {"tenure_days", false, 0, 1, false}, {"annual", false, 0, 1, false},
      {"plan", false, 0, 1, false}, {"region", false, 0, 1, true}}},
    {"b", SEGKIT_SCALE_ROBUST, SEGKIT_MISSING_MEAN, NULL, 5,
     {{"mrr", true, 0, 1, false}, {"seats", false, 0, 1, false},
      {"tenure_days", false, 0, 1, false}, {"plan", false, 0, 1, false},
      {"country", false, 0, 1, false}}},
    {"c", SEGKIT_SCALE_NONE, SEGKIT_MISSING_MEDIAN, NULL, 4,
     {{"mrr", false, 0.1, 0.9, false}, {"seats", false, 0, 1, false},
      {"country", false, 0, 1, false}, {"region", false, 0, 1, true}}},
    {"d", SEGKIT_SCALE_ZSCORE, SEGKIT_MISSING_MODE, NULL, 2,
     {{"seats", false, 0, 1, false}, {"plan", false, 0, 1, false}}},
};

static segkit_prep *fit_config(const config *c, const segkit_table *t) {
  segkit_prep_options opt;
  segkit_prep_options_init(&opt);
  opt.features = c->f;
  opt.n_features = c->n;
  opt.scale = c->scale;
  opt.missing = c->missing;
  opt.weight_column = c->weight;
  segkit_prep *p = NULL;
  segkit_error err;
  segkit_status st = segkit_prep_fit(t, &opt, &p, &err);
  if (st != SEGKIT_OK)
    printf("fit %s: %s\n", c->name, err.message);
  assert_int_equal(st, SEGKIT_OK);
  return p;
}

/* Compare a transform of t with prep_expected_<name><suffix>.csv. */
static void check_transform(const segkit_prep *p, const segkit_table *t, const char *name,
                            const char *suffix) {
  char file[128];
  snprintf(file, sizeof file, "prep_expected_%s%s.csv", name, suffix);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", REF, file);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char line[65536];
  size_t want_unseen = 0;
  assert_non_null(fgets(line, sizeof line, f));
  assert_int_equal(sscanf(line, "# unseen=%zu", &want_unseen), 1);
  assert_non_null(fgets(line, sizeof line, f));
  line[strcspn(line, "\r\n")] = '\0';
  /* header: row,weight, then the dimension names */
  size_t dims = segkit_prep_dims(p);
  char *tok = strtok(line, ",");
  tok = strtok(NULL, ",");
  for (size_t j = 0; j < dims; j++) {
    tok = strtok(NULL, ",");
    assert_non_null(tok);
    assert_string_equal(segkit_prep_dim_name(p, j), tok);
  }
  assert_null(strtok(NULL, ","));
  double *x = NULL;
  size_t n = 0;
  size_t *rows = NULL;
  double *w = NULL;
  size_t unseen = 99;
  segkit_error err;
  assert_int_equal(segkit_prep_transform(p, t, &x, &n, &rows, &w, &unseen, &err), SEGKIT_OK);
  assert_int_equal(unseen, want_unseen);
  size_t i = 0;
  while (fgets(line, sizeof line, f)) {
    assert_true(i < n);
    char *q = line;
    assert_int_equal(rows[i], strtoull(q, &q, 10));
    assert_true(ck_close(w[i], strtod(q + 1, &q), 1e-15));
    for (size_t j = 0; j < dims; j++) {
      double want = strtod(q + 1, &q);
      double got = x[i * dims + j];
      if (!(fabs(got - want) <= 1e-12 * fabs(want) + 1e-13))
        printf("%s row %zu dim %s: %.17g vs %.17g\n", file, i, segkit_prep_dim_name(p, j), got,
               want);
      assert_true(fabs(got - want) <= 1e-12 * fabs(want) + 1e-13);
    }
    i++;
  }
  assert_int_equal(i, n);
  fclose(f);
  free(x);
  free(rows);
  free(w);
}

static void cluster_prep_matches_sklearn(void **state) {
  (void)state;
  segkit_table *t = load_customers("prep_customers.csv");
  segkit_table *fresh = load_customers("prep_new_customers.csv");
  for (size_t c = 0; c < 4; c++) {
    segkit_prep *p = fit_config(&configs[c], t);
    assert_int_equal(segkit_prep_scale(p), configs[c].scale);
    check_transform(p, t, configs[c].name, "");
    check_transform(p, fresh, configs[c].name, "_new");
    segkit_prep_free(p);
  }
  segkit_table_free(t);
  segkit_table_free(fresh);
}

static void assert_same_transform(const segkit_prep *a, const segkit_prep *b,
                                  const segkit_table *t) {
  double *xa = NULL;
  double *xb = NULL;
  size_t na = 0;
  size_t nb = 0;
  size_t ua = 0;
  size_t ub = 0;
  segkit_error err;
  assert_int_equal(segkit_prep_transform(a, t, &xa, &na, NULL, NULL, &ua, &err), SEGKIT_OK);
  assert_int_equal(segkit_prep_transform(b, t, &xb, &nb, NULL, NULL, &ub, &err), SEGKIT_OK);
  assert_int_equal(na, nb);
  assert_int_equal(ua, ub);
  assert_memory_equal(xa, xb, na * segkit_prep_dims(a) * sizeof *xa);
  free(xa);
  free(xb);
}

static void cluster_prep_json_round_trip(void **state) {
  (void)state;
  segkit_table *t = load_customers("prep_customers.csv");
  segkit_table *fresh = load_customers("prep_new_customers.csv");
  segkit_error err;
  for (size_t c = 0; c < 4; c++) {
    segkit_prep *p = fit_config(&configs[c], t);
    char *json = NULL;
    assert_int_equal(segkit_prep_to_json(p, &json, &err), SEGKIT_OK);
    segkit_prep *q = NULL;
    assert_int_equal(segkit_prep_from_json(json, &q, &err), SEGKIT_OK);
    assert_int_equal(segkit_prep_dims(p), segkit_prep_dims(q));
    for (size_t j = 0; j < segkit_prep_dims(p); j++)
      assert_string_equal(segkit_prep_dim_name(p, j), segkit_prep_dim_name(q, j));
    assert_same_transform(p, q, t);
    assert_same_transform(p, q, fresh);
    char *again = NULL;
    assert_int_equal(segkit_prep_to_json(q, &again, &err), SEGKIT_OK);
    assert_string_equal(json, again);
    free(again);
    free(json);
    segkit_prep_free(p);
    segkit_prep_free(q);
  }
  /* damaged documents name the field */
  segkit_prep *q = NULL;
  assert_int_equal(segkit_prep_from_json("{\"format\":\"segkit-prep\",\"version\":2}", &q, &err),
                   SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "version");
  const char *bad_scale =
      "{\"format\":\"segkit-prep\",\"version\":1,\"scale\":\"zscore\",\"missing\":\"drop\","
      "\"weight_column\":null,\"max_levels\":64,\"features\":[{\"column\":\"x\",\"type\":"
      "\"float64\",\"kind\":\"numeric\",\"log1p\":false,\"winsor\":[0,1],\"clip\":[null,null],"
      "\"center\":1,\"scale\":0,\"fill\":0}]}";
  assert_int_equal(segkit_prep_from_json(bad_scale, &q, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "features[0].scale");
  const char *dup_level =
      "{\"format\":\"segkit-prep\",\"version\":1,\"scale\":\"zscore\",\"missing\":\"drop\","
      "\"weight_column\":null,\"max_levels\":64,\"features\":[{\"column\":\"p\",\"type\":"
      "\"string\",\"kind\":\"categorical\",\"levels\":[\"a\",\"b\",\"a\"],\"fill_level\":0}]}";
  assert_int_equal(segkit_prep_from_json(dup_level, &q, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "features[0].levels[2]");
  assert_int_equal(segkit_prep_from_json("{\"format\":", &q, &err), SEGKIT_ERR_PARSE);
  assert_null(q);
  segkit_table_free(t);
  segkit_table_free(fresh);
}

/* Inverse of a transformed row is the raw row (no winsorising in config b): expm1 undoes
 * log1p, robust scaling undone, one-hot copied. */
static void cluster_prep_inverse(void **state) {
  (void)state;
  segkit_table *t = load_customers("prep_customers.csv");
  segkit_prep *p = fit_config(&configs[1], t);
  double *x = NULL;
  size_t n = 0;
  size_t *rows = NULL;
  segkit_error err;
  assert_int_equal(segkit_prep_transform(p, t, &x, &n, &rows, NULL, NULL, &err), SEGKIT_OK);
  size_t dims = segkit_prep_dims(p);
  const double *mrr = segkit_column_float64(segkit_table_column(t, 4));
  const int64_t *seats = segkit_column_int64(segkit_table_column(t, 3));
  double *back = malloc(dims * sizeof *back);
  size_t checked = 0;
  for (size_t i = 0; i < n; i++) {
    segkit_prep_inverse(p, x + i * dims, back);
    size_t r = rows[i];
    if (segkit_column_is_valid(segkit_table_column(t, 4), r)) {
      assert_true(fabs(back[0] - mrr[r]) <= 1e-9 * fabs(mrr[r]) + 1e-12);
      checked++;
    }
    if (segkit_column_is_valid(segkit_table_column(t, 3), r))
      assert_true(fabs(back[1] - (double)seats[r]) <= 1e-9 * (double)seats[r]);
    for (size_t j = 3; j < dims; j++)
      assert_true(back[j] == x[i * dims + j]);
  }
  assert_true(checked > 250);
  free(back);
  free(x);
  free(rows);
  segkit_prep_free(p);
  segkit_table_free(t);
}

/* A small table: x float64, c string, d date, k int64. */
static segkit_table *small_table(const double *x, size_t n) {
  const char *names[4] = {"x", "c", "d", "k"};
  segkit_type types[4] = {SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_STRING, SEGKIT_TYPE_DATE,
                          SEGKIT_TYPE_INT64};
  segkit_table_builder *b = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_builder_new(4, names, types, &b, &err), SEGKIT_OK);
  for (size_t i = 0; i < n; i++) {
    segkit_column_append_float64(segkit_table_builder_column(b, 0), x[i]);
    char s[32];
    snprintf(s, sizeof s, "v%zu", i);
    segkit_column_append_string(segkit_table_builder_column(b, 1), s, strlen(s));
    segkit_column_append_date(segkit_table_builder_column(b, 2), (int32_t)i);
    segkit_column_append_int64(segkit_table_builder_column(b, 3), (int64_t)(i % 3));
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, &err), SEGKIT_OK);
  return t;
}

static segkit_status fit_one(const segkit_table *t, segkit_prep_feature f, size_t max_levels,
                             segkit_prep **p, segkit_error *err) {
  segkit_prep_options opt;
  segkit_prep_options_init(&opt);
  opt.features = &f;
  opt.n_features = 1;
  opt.max_levels = max_levels;
  return segkit_prep_fit(t, &opt, p, err);
}

static void cluster_prep_errors_name_column_and_row(void **state) {
  (void)state;
  double x[5] = {1, 2, -3, 4, 5};
  segkit_table *t = small_table(x, 5);
  segkit_prep *p = NULL;
  segkit_error err;
  segkit_prep_feature f = {"x", true, 0, 1, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_PARSE);
  assert_string_equal(err.field, "x");
  assert_non_null(strstr(err.message, "row 3"));
  f = (segkit_prep_feature){"nope", false, 0, 1, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "nope");
  f = (segkit_prep_feature){"d", false, 0, 1, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_TYPE);
  f = (segkit_prep_feature){"x", false, 0, 1, true};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_TYPE);
  f = (segkit_prep_feature){"c", false, 0, 1, false};
  assert_int_equal(fit_one(t, f, 4, &p, &err), SEGKIT_ERR_LIMIT);
  assert_string_equal(err.field, "c");
  f = (segkit_prep_feature){"c", true, 0, 1, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_USAGE);
  f = (segkit_prep_feature){"x", false, 0.5, 0.2, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_USAGE);
  assert_null(p);
  /* an int64 column marked categorical: levels 0, 1, 2 in first-seen order */
  f = (segkit_prep_feature){"k", false, 0, 1, true};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_OK);
  assert_int_equal(segkit_prep_dims(p), 3);
  assert_string_equal(segkit_prep_dim_name(p, 2), "k=2");
  segkit_prep_free(p);
  segkit_table_free(t);

  /* a constant column gets sd 1: the output is 0, not NaN; an infinite value is refused */
  double c[3] = {7, 7, 7};
  t = small_table(c, 3);
  f = (segkit_prep_feature){"x", false, 0, 1, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_OK);
  double *out = NULL;
  size_t n = 0;
  double *w = NULL;
  assert_int_equal(segkit_prep_transform(p, t, &out, &n, NULL, &w, NULL, &err), SEGKIT_OK);
  assert_int_equal(n, 3);
  assert_true(out[0] == 0.0 && out[2] == 0.0 && w[1] == 1.0);
  free(out);
  free(w);
  segkit_table_free(t);
  double inf[3] = {1, INFINITY, 2};
  t = small_table(inf, 3);
  assert_int_equal(segkit_prep_transform(p, t, &out, &n, NULL, NULL, NULL, &err),
                   SEGKIT_ERR_PARSE);
  assert_non_null(strstr(err.message, "row 2"));
  segkit_prep_free(p);
  /* a weight column that is negative somewhere */
  segkit_prep_options opt;
  segkit_prep_options_init(&opt);
  opt.features = &f;
  opt.n_features = 1;
  opt.weight_column = "x";
  double neg[3] = {1, -1, 2};
  segkit_table_free(t);
  t = small_table(neg, 3);
  f = (segkit_prep_feature){"k", false, 0, 1, false};
  assert_int_equal(segkit_prep_fit(t, &opt, &p, &err), SEGKIT_ERR_PARSE);
  assert_string_equal(err.field, "x");
  assert_non_null(strstr(err.message, "row 2"));
  segkit_table_free(t);
}

/* Every row has a null under drop: no rows left; NaN counts as null. */
static void cluster_prep_no_rows_left(void **state) {
  (void)state;
  double x[2] = {NAN, NAN};
  segkit_table *t = small_table(x, 2);
  segkit_prep *p = NULL;
  segkit_error err;
  segkit_prep_feature f = {"x", false, 0, 1, false};
  assert_int_equal(fit_one(t, f, 0, &p, &err), SEGKIT_ERR_LIMIT);
  segkit_table_free(t);
}

/* z-scores with mean imputation: a null is exactly 0 (its fill is the mean the scaling
 * centres on); with median imputation and robust scaling, also 0. */
static void cluster_prep_imputed_null_is_zero(void **state) {
  (void)state;
  double x[5] = {1, NAN, 3, 10, 4};
  segkit_table *t = small_table(x, 5);
  segkit_prep_feature f = {"x", true, 0, 1, false};
  segkit_prep_options opt;
  segkit_prep_options_init(&opt);
  opt.features = &f;
  opt.n_features = 1;
  segkit_missing policies[2] = {SEGKIT_MISSING_MEAN, SEGKIT_MISSING_MEDIAN};
  segkit_scale scales[2] = {SEGKIT_SCALE_ZSCORE, SEGKIT_SCALE_ROBUST};
  for (int i = 0; i < 2; i++) {
    opt.missing = policies[i];
    opt.scale = scales[i];
    segkit_prep *p = NULL;
    segkit_error err;
    assert_int_equal(segkit_prep_fit(t, &opt, &p, &err), SEGKIT_OK);
    double *out = NULL;
    size_t n = 0;
    assert_int_equal(segkit_prep_transform(p, t, &out, &n, NULL, NULL, NULL, &err), SEGKIT_OK);
    assert_int_equal(n, 5);
    assert_true(out[1] == 0.0);
    free(out);
    segkit_prep_free(p);
  }
  segkit_table_free(t);
}

/* Truncations and one-byte edits of a fitted preprocessing's JSON load or fail cleanly. */
static void cluster_prep_json_survives_mutations(void **state) {
  (void)state;
  segkit_table *t = load_customers("prep_customers.csv");
  segkit_prep *p = fit_config(&configs[3], t);
  char *doc = NULL;
  segkit_error err;
  assert_int_equal(segkit_prep_to_json(p, &doc, &err), SEGKIT_OK);
  size_t len = strlen(doc);
  char *buf = malloc(len + 1);
  static const char edits[] = {'0', '-', '"', ']', '}', 'x', ' '};
  size_t loaded = 0;
  for (size_t cut = 0; cut < len; cut++)
    for (size_t e = 0; e <= sizeof edits; e++) {
      memcpy(buf, doc, len + 1);
      if (e == sizeof edits)
        buf[cut] = '\0';
      else
        buf[cut] = edits[e];
      segkit_prep *q = NULL;
      segkit_status st = segkit_prep_from_json(buf, &q, &err);
      assert_true((st == SEGKIT_OK) == (q != NULL));
      loaded += q != NULL;
      segkit_prep_free(q);
    }
  assert_true(loaded > 0);
  free(buf);
  free(doc);
  segkit_prep_free(p);
  segkit_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cluster_prep_matches_sklearn),
      cmocka_unit_test(cluster_prep_json_round_trip),
      cmocka_unit_test(cluster_prep_inverse),
      cmocka_unit_test(cluster_prep_errors_name_column_and_row),
      cmocka_unit_test(cluster_prep_no_rows_left),
      cmocka_unit_test(cluster_prep_imputed_null_is_zero),
      cmocka_unit_test(cluster_prep_json_survives_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
