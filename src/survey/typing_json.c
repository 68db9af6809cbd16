/* typing_json.c: a typing model to JSON and back (jansson), so the CLI can keep it in a
 * workspace and type new respondents, or customers who answered the same questions,
 * later, exactly as the fitted model would.
 *
 * Key design choice: the document holds what typing and reporting need and nothing per
 * respondent (the held-out predictions are left out), so its size depends on the
 * segments and the chosen questions only. Doubles are written with 17 significant
 * digits, which round-trips every finite double; the constant of a segment of prior 0
 * (-infinity in memory) and NaN statistics are written as null. Reading trusts nothing:
 * every field is checked for presence, type, shape and range before it is used, and the
 * first bad one is named in err->field ("segments[2].coef").
 *
 * Layout (version 1):
 *   {"format": "segkit-typing", "version": 1, "n_segments": k, "n_questions": p,
 *    "folds": f, "n": n, "n_train": n1, "n_holdout": n2, "holdout_accuracy": a | null,
 *    "questions": [{"index": j, "name": s, "cv_accuracy": a, "center": x}, ...],
 *    "segments": [{"prior": pi, "constant": b | null, "coef": [q numbers],
 *                  "recall": r | null, "confusion": [k counts]}, ...]} */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "survey/typing_int.h"

#define TYPING_FORMAT "segkit-typing"
#define TYPING_VERSION 1
#define MAX_SEGMENTS 65536 /* a sanity bound on a document, not a real limit */

/* ==== writing =========================================================================== */

static json_t *real_or_null(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

/* False only on allocation failure (json_object_set_new frees v on error). */
static bool put(json_t *o, const char *key, json_t *v) {
  return v != NULL && json_object_set_new(o, key, v) == 0;
}

static bool append(json_t *a, json_t *v) {
  return v != NULL && json_array_append_new(a, v) == 0;
}

static json_t *question_json(const segkit_typing *t, uint32_t a) {
  json_t *o = json_object();
  bool ok = o != NULL && put(o, "index", json_integer(t->chosen[a])) &&
            put(o, "name", json_string(t->chosen_names[a])) &&
            put(o, "cv_accuracy", real_or_null(t->cv_accuracy[a])) &&
            put(o, "center", json_real(t->center[a]));
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *segment_json(const segkit_typing *t, uint32_t c) {
  uint32_t q = t->view.n_chosen;
  uint32_t k = t->view.n_segments;
  json_t *o = json_object();
  json_t *coef = json_array();
  json_t *conf = json_array();
  bool ok = o != NULL && coef != NULL && conf != NULL;
  for (uint32_t a = 0; ok && a < q; a++) {
    ok = append(coef, json_real(t->coef[(size_t)c * q + a]));
  }
  for (uint32_t d = 0; ok && d < k; d++) {
    ok = append(conf, json_integer((json_int_t)t->confusion[(size_t)c * k + d]));
  }
  ok = ok && put(o, "prior", json_real(t->prior[c])) &&
       put(o, "constant", real_or_null(t->constant[c])) && put(o, "coef", json_incref(coef)) &&
       put(o, "recall", real_or_null(t->recall[c])) && put(o, "confusion", json_incref(conf));
  json_decref(coef);
  json_decref(conf);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *model_json(const segkit_typing *t) {
  const segkit_typing_view *v = &t->view;
  json_t *o = json_object();
  json_t *qs = json_array();
  json_t *ss = json_array();
  bool ok = o != NULL && qs != NULL && ss != NULL;
  for (uint32_t a = 0; ok && a < v->n_chosen; a++) {
    ok = append(qs, question_json(t, a));
  }
  for (uint32_t c = 0; ok && c < v->n_segments; c++) {
    ok = append(ss, segment_json(t, c));
  }
  ok = ok && put(o, "format", json_string(TYPING_FORMAT)) &&
       put(o, "version", json_integer(TYPING_VERSION)) &&
       put(o, "n_segments", json_integer(v->n_segments)) &&
       put(o, "n_questions", json_integer(v->n_questions)) &&
       put(o, "folds", json_integer(v->folds)) &&
       put(o, "n", json_integer((json_int_t)v->n)) &&
       put(o, "n_train", json_integer((json_int_t)v->n_train)) &&
       put(o, "n_holdout", json_integer((json_int_t)v->n_holdout)) &&
       put(o, "holdout_accuracy", real_or_null(v->holdout_accuracy)) &&
       put(o, "questions", json_incref(qs)) && put(o, "segments", json_incref(ss));
  json_decref(qs);
  json_decref(ss);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

segkit_status segkit_typing_to_json(const segkit_typing *t, char **json_out,
                                    segkit_error *err) {
  if (t == NULL || json_out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "typing_to_json needs a model and an output");
  }
  json_t *o = model_json(t);
  char *text = o != NULL ? json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
                                             JSON_REAL_PRECISION(17))
                         : NULL;
  json_decref(o);
  if (text == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory writing the typing model");
  }
  *json_out = text;
  return SEGKIT_OK;
}

/* ==== reading =========================================================================== */

typedef struct reader {
  segkit_error *err;
  segkit_status status;
} reader;

/* Record the first problem: SEGKIT_ERR_SCHEMA naming the field; returns false. */
static bool bad(reader *r, const char *field, const char *what) {
  if (r->status == SEGKIT_OK) {
    r->status = segkit_error_set_at(r->err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, field,
                                    "typing model: field '%s' %s", field, what);
  }
  return false;
}

static json_t *get(reader *r, const json_t *o, const char *key, const char *field) {
  json_t *v = json_object_get(o, key);
  if (v == NULL) {
    bad(r, field, "is missing");
  }
  return v;
}

static bool read_count(reader *r, const json_t *o, const char *key, json_int_t lo,
                       json_int_t hi, json_int_t *out) {
  json_t *v = get(r, o, key, key);
  if (v == NULL) {
    return false;
  }
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
    char what[96];
    snprintf(what, sizeof what, "is not an integer in %lld..%lld", (long long)lo,
             (long long)hi);
    return bad(r, key, what);
  }
  *out = json_integer_value(v);
  return true;
}

/* A finite number in [lo, hi]; null gives NaN when nullable. */
static bool read_real(reader *r, const json_t *v, const char *field, double lo, double hi,
                      bool nullable, double *out) {
  if (v == NULL) {
    return bad(r, field, "is missing");
  }
  if (nullable && json_is_null(v)) {
    *out = NAN;
    return true;
  }
  double x = json_is_integer(v) ? (double)json_integer_value(v)
             : json_is_real(v)  ? json_real_value(v)
                                : NAN;
  if (!(x >= lo && x <= hi)) {
    return bad(r, field, nullable ? "is not null or a number in range"
                                  : "is not a finite number in range");
  }
  *out = x;
  return true;
}

static bool read_question(reader *r, const json_t *o, uint32_t a, segkit_typing *t) {
  char field[128];
  snprintf(field, sizeof field, "questions[%u]", a);
  if (!json_is_object(o)) {
    return bad(r, field, "is not an object");
  }
  char sub[160];
  json_t *idx = json_object_get(o, "index");
  snprintf(sub, sizeof sub, "%s.index", field);
  if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
      json_integer_value(idx) >= (json_int_t)t->view.n_questions) {
    return bad(r, sub, "is not a question index below n_questions");
  }
  t->chosen[a] = (uint32_t)json_integer_value(idx);
  for (uint32_t b = 0; b < a; b++) {
    if (t->chosen[b] == t->chosen[a]) {
      return bad(r, sub, "repeats an earlier question");
    }
  }
  json_t *name = json_object_get(o, "name");
  snprintf(sub, sizeof sub, "%s.name", field);
  if (!json_is_string(name)) {
    return bad(r, sub, "is not a string");
  }
  t->chosen_names[a] = strdup(json_string_value(name));
  if (t->chosen_names[a] == NULL) {
    r->status = segkit_error_set(r->err, SEGKIT_ERR_NOMEM, "out of memory reading names");
    return false;
  }
  snprintf(sub, sizeof sub, "%s.cv_accuracy", field);
  if (!read_real(r, json_object_get(o, "cv_accuracy"), sub, 0.0, 1.0, false,
                 &t->cv_accuracy[a])) {
    return false;
  }
  snprintf(sub, sizeof sub, "%s.center", field);
  return read_real(r, json_object_get(o, "center"), sub, -HUGE_VAL, HUGE_VAL, false,
                   &t->center[a]);
}

static bool read_segment(reader *r, const json_t *o, uint32_t c, segkit_typing *t) {
  uint32_t q = t->view.n_chosen;
  uint32_t k = t->view.n_segments;
  char field[128];
  char sub[160];
  snprintf(field, sizeof field, "segments[%u]", c);
  if (!json_is_object(o)) {
    return bad(r, field, "is not an object");
  }
  snprintf(sub, sizeof sub, "%s.prior", field);
  if (!read_real(r, json_object_get(o, "prior"), sub, 0.0, 1.0, false, &t->prior[c])) {
    return false;
  }
  /* constant: null exactly when the prior is 0 (the segment is never predicted) */
  snprintf(sub, sizeof sub, "%s.constant", field);
  if (!read_real(r, json_object_get(o, "constant"), sub, -HUGE_VAL, HUGE_VAL, true,
                 &t->constant[c])) {
    return false;
  }
  if (isnan(t->constant[c]) != (t->prior[c] == 0.0)) {
    return bad(r, sub, "must be null exactly when the prior is 0");
  }
  if (isnan(t->constant[c])) {
    t->constant[c] = -INFINITY;
  }
  snprintf(sub, sizeof sub, "%s.recall", field);
  if (!read_real(r, json_object_get(o, "recall"), sub, 0.0, 1.0, true, &t->recall[c])) {
    return false;
  }
  json_t *coef = json_object_get(o, "coef");
  snprintf(sub, sizeof sub, "%s.coef", field);
  if (!json_is_array(coef) || json_array_size(coef) != q) {
    return bad(r, sub, "is not an array of one number per chosen question");
  }
  for (uint32_t a = 0; a < q; a++) {
    if (!read_real(r, json_array_get(coef, a), sub, -HUGE_VAL, HUGE_VAL, false,
                   &t->coef[(size_t)c * q + a])) {
      return false;
    }
  }
  json_t *conf = json_object_get(o, "confusion");
  snprintf(sub, sizeof sub, "%s.confusion", field);
  if (!json_is_array(conf) || json_array_size(conf) != k) {
    return bad(r, sub, "is not an array of one count per segment");
  }
  for (uint32_t d = 0; d < k; d++) {
    json_t *v = json_array_get(conf, d);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
      return bad(r, sub, "holds a value that is not a count");
    }
    t->confusion[(size_t)c * k + d] = (uint64_t)json_integer_value(v);
  }
  return true;
}

static bool read_priors_sum(reader *r, const segkit_typing *t) {
  double total = 0.0;
  for (uint32_t c = 0; c < t->view.n_segments; c++) {
    total += t->prior[c];
  }
  if (!(fabs(total - 1.0) <= 1e-9)) {
    return bad(r, "segments", "has priors that do not sum to 1");
  }
  return true;
}

/* The sizes first (they shape the allocation), then the arrays into t. */
static bool read_model(reader *r, const json_t *o, segkit_typing **out) {
  json_t *v = get(r, o, "format", "format");
  if (v == NULL) {
    return false;
  }
  if (!json_is_string(v) || strcmp(json_string_value(v), TYPING_FORMAT) != 0) {
    return bad(r, "format", "is not \"" TYPING_FORMAT "\"");
  }
  json_int_t version = 0;
  json_int_t k = 0;
  json_int_t p = 0;
  json_int_t folds = 0;
  json_int_t n = 0;
  json_int_t n_train = 0;
  json_int_t n_holdout = 0;
  if (!read_count(r, o, "version", 1, 1000000, &version)) {
    return false;
  }
  if (version != TYPING_VERSION) {
    return bad(r, "version", "is not 1 (unsupported version)");
  }
  bool ok = read_count(r, o, "n_segments", 2, MAX_SEGMENTS, &k) &&
            read_count(r, o, "n_questions", 1, UINT32_MAX, &p) &&
            read_count(r, o, "folds", 2, UINT32_MAX, &folds) &&
            read_count(r, o, "n", 1, INT64_MAX, &n) &&
            read_count(r, o, "n_train", 1, n, &n_train) &&
            read_count(r, o, "n_holdout", 0, n, &n_holdout);
  if (!ok) {
    return false;
  }
  if (n_train + n_holdout != n) {
    return bad(r, "n_holdout", "plus n_train is not n");
  }
  json_t *qs = get(r, o, "questions", "questions");
  json_t *ss = get(r, o, "segments", "segments");
  if (qs == NULL || ss == NULL) {
    return false;
  }
  size_t q = json_is_array(qs) ? json_array_size(qs) : 0;
  if (q == 0 || q > SEGKIT_TYPING_MAX_QUESTIONS || q > (size_t)p) {
    return bad(r, "questions", "is not an array of 1 to max_questions questions");
  }
  if (!json_is_array(ss) || json_array_size(ss) != (size_t)k) {
    return bad(r, "segments", "is not an array of n_segments objects");
  }
  segkit_typing *t = sk__typing_alloc((uint32_t)k, (uint32_t)q, 0, false);
  if (t == NULL) {
    r->status = segkit_error_set(r->err, SEGKIT_ERR_NOMEM, "out of memory reading the model");
    return false;
  }
  t->view.n_questions = (uint32_t)p;
  t->view.folds = (uint32_t)folds;
  t->view.n = (size_t)n;
  t->view.n_train = (size_t)n_train;
  t->view.n_holdout = (size_t)n_holdout;
  ok = read_real(r, json_object_get(o, "holdout_accuracy"), "holdout_accuracy", 0.0, 1.0,
                 true, &t->view.holdout_accuracy);
  for (uint32_t a = 0; ok && a < q; a++) {
    ok = read_question(r, json_array_get(qs, a), a, t);
  }
  for (uint32_t c = 0; ok && c < k; c++) {
    ok = read_segment(r, json_array_get(ss, c), c, t);
  }
  ok = ok && read_priors_sum(r, t);
  if (!ok) {
    segkit_typing_free(t);
    return false;
  }
  *out = t;
  return true;
}

segkit_status segkit_typing_from_json(const char *json, segkit_typing **out,
                                      segkit_error *err) {
  if (json == NULL || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "typing_from_json needs text and an output");
  }
  json_error_t jerr;
  json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
  if (o == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, jerr.line, jerr.column, NULL,
                               "typing model is not JSON: %s", jerr.text);
  }
  reader r = {.err = err, .status = SEGKIT_OK};
  if (!json_is_object(o)) {
    bad(&r, "(document)", "is not an object");
  }
  segkit_typing *t = NULL;
  if (r.status == SEGKIT_OK) {
    read_model(&r, o, &t);
  }
  json_decref(o);
  if (r.status != SEGKIT_OK) {
    return r.status;
  }
  *out = t;
  return SEGKIT_OK;
}
