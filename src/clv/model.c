/* model.c: the customer-value model object shared by every kind: creation, kind names,
 * fit option defaults, getters, and the model as JSON and back (jansson).
 *
 * Key design choices: one struct for all kinds (clv_int.h) with parameter names from a
 * table per kind, so getters and serialisation need no per-kind code. The JSON document
 * names each parameter ({"params": {"p": 6.25, ...}}) rather than relying on order, so
 * a saved model reads unambiguously. Doubles are written with 17 significant digits,
 * which round-trips every finite double exactly; NaN (an unknown standard error or
 * likelihood) is written as null. Reading checks every field for presence, type and
 * range before anything is used, and names the first bad one in err->field. */
#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv_int.h"

#define MODEL_FORMAT "segkit-clv-model"
#define MODEL_VERSION 1

typedef struct kind_info {
  const char *name;
  size_t n_params;
  const char *params[SK__CLV_MAX_PARAMS];
} kind_info;

/* Parameter names and order as in the papers (clv.h, segkit_clv_model_param_name). */
static const kind_info kinds[] = {
    [SEGKIT_CLV_BGNBD] = {"bgnbd", 4, {"r", "alpha", "a", "b"}},
    [SEGKIT_CLV_PARETONBD] = {"paretonbd", 4, {"r", "alpha", "s", "beta"}},
    [SEGKIT_CLV_GAMMAGAMMA] = {"gammagamma", 3, {"p", "q", "gamma", NULL}},
    [SEGKIT_CLV_SBG] = {"sbg", 2, {"alpha", "beta", NULL, NULL}},
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

static bool kind_valid(segkit_clv_kind k) {
  return (int)k >= 0 && (int)k < N_KINDS;
}

/* ==== creation, names, options ============================================================ */

segkit_clv_model *sk__clv_model_new(segkit_clv_kind kind) {
  if (!kind_valid(kind))
    return NULL;
  segkit_clv_model *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->kind = kind;
  m->n_params = kinds[kind].n_params;
  for (size_t i = 0; i < SK__CLV_MAX_PARAMS; i++) {
    m->params[i] = NAN;
    m->se[i] = NAN;
  }
  m->log_likelihood = NAN;
  m->n = 0;
  m->iterations = 0;
  return m;
}

void segkit_clv_model_free(segkit_clv_model *m) {
  free(m);
}

const char *segkit_clv_kind_name(segkit_clv_kind k) {
  return kind_valid(k) ? kinds[k].name : "unknown";
}

int segkit_clv_kind_parse(const char *name) {
  if (!name)
    return -1;
  for (int k = 0; k < N_KINDS; k++) {
    if (strcmp(name, kinds[k].name) == 0)
      return k;
  }
  return -1;
}

void segkit_clv_fit_options_init(segkit_clv_fit_options *opt) {
  assert(opt);
  opt->starts = 5;
  opt->max_iter = 1000;
  opt->penalizer = 0.0;
  opt->seed = 0;
}

/* ==== getters ============================================================================== */

segkit_clv_kind segkit_clv_model_kind(const segkit_clv_model *m) {
  assert(m);
  return m->kind;
}

size_t segkit_clv_model_n_params(const segkit_clv_model *m) {
  return m ? m->n_params : 0;
}

const char *segkit_clv_model_param_name(const segkit_clv_model *m, size_t i) {
  if (!m || i >= m->n_params || !kind_valid(m->kind))
    return NULL;
  return kinds[m->kind].params[i];
}

double segkit_clv_model_param(const segkit_clv_model *m, size_t i) {
  return (m && i < m->n_params) ? m->params[i] : NAN;
}

double segkit_clv_model_std_error(const segkit_clv_model *m, size_t i) {
  return (m && i < m->n_params) ? m->se[i] : NAN;
}

double segkit_clv_model_log_likelihood(const segkit_clv_model *m) {
  return m ? m->log_likelihood : NAN;
}

double segkit_clv_model_n(const segkit_clv_model *m) {
  return m ? m->n : NAN;
}

int segkit_clv_model_iterations(const segkit_clv_model *m) {
  return m ? m->iterations : 0;
}

/* ==== writing ============================================================================== */

static json_t *real_or_null(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

static bool put(json_t *obj, const char *key, json_t *v) {
  return v && json_object_set_new(obj, key, v) == 0;
}

/* {"name": value, ...} over the kind's parameters. */
static json_t *named_values(const segkit_clv_model *m, const double *v) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  for (size_t i = 0; i < m->n_params; i++) {
    if (!put(o, kinds[m->kind].params[i], real_or_null(v[i]))) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

segkit_status segkit_clv_model_to_json(const segkit_clv_model *m, char **json_out,
                                       segkit_error *err) {
  if (!m || !json_out)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "model and json_out must not be NULL");
  if (!kind_valid(m->kind))
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "model of unknown kind %d", (int)m->kind);
  json_t *o = json_object();
  if (!o)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to write the model as JSON");
  bool ok = put(o, "format", json_string(MODEL_FORMAT)) &&
            put(o, "version", json_integer(MODEL_VERSION)) &&
            put(o, "kind", json_string(kinds[m->kind].name)) &&
            put(o, "params", named_values(m, m->params)) &&
            put(o, "std_errors", named_values(m, m->se)) &&
            put(o, "log_likelihood", real_or_null(m->log_likelihood)) &&
            put(o, "n", real_or_null(m->n)) &&
            put(o, "iterations", json_integer(m->iterations));
  char *text = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                  : NULL;
  json_decref(o);
  if (!text)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to write the model as JSON");
  *json_out = text;
  return SEGKIT_OK;
}

/* ==== reading ============================================================================== */

/* The first bad field wins; path is the field's dotted name ("params.q"). */
typedef struct reader {
  segkit_error *err;
  char path[64];
  segkit_status status;
} reader;

static bool bad(reader *r, const char *what) {
  if (r->status == SEGKIT_OK)
    r->status = segkit_error_set_at(r->err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, r->path,
                                    "model JSON: field '%s': %s", r->path, what);
  return false;
}

static json_t *field(reader *r, const json_t *o, const char *prefix, const char *key) {
  snprintf(r->path, sizeof r->path, "%s%s", prefix, key);
  json_t *v = json_object_get(o, key);
  if (!v)
    bad(r, "missing");
  return v;
}

static bool as_number(const json_t *v, double *out) {
  if (json_is_integer(v)) {
    *out = (double)json_integer_value(v);
    return true;
  }
  if (json_is_real(v) && isfinite(json_real_value(v))) {
    *out = json_real_value(v);
    return true;
  }
  return false;
}

/* A finite number >= lo (or > lo when strict), or null (NaN) when nullable. */
static bool read_real(reader *r, const json_t *o, const char *prefix, const char *key,
                      double lo, bool strict, bool nullable, double *out) {
  json_t *v = field(r, o, prefix, key);
  if (!v)
    return false;
  if (nullable && json_is_null(v)) {
    *out = NAN;
    return true;
  }
  double x = 0;
  if (!as_number(v, &x))
    return bad(r, nullable ? "expected a finite number or null" : "expected a finite number");
  if (x < lo || (strict && x == lo)) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected a number %s %g", strict ? ">" : ">=", lo);
    return bad(r, msg);
  }
  *out = x;
  return true;
}

/* An object with exactly the kind's parameter names. */
static bool read_named(reader *r, const json_t *o, const char *key, segkit_clv_kind kind,
                       bool nullable, double *out) {
  json_t *obj = field(r, o, "", key);
  if (!obj)
    return false;
  if (!json_is_object(obj))
    return bad(r, "expected an object of named parameters");
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%s.", key);
  const kind_info *ki = &kinds[kind];
  if (json_object_size(obj) != ki->n_params) {
    char msg[128];
    snprintf(msg, sizeof msg, "expected exactly %zu parameters for %s", ki->n_params, ki->name);
    return bad(r, msg);
  }
  for (size_t i = 0; i < ki->n_params; i++) {
    /* parameters must be > 0 (the models' domain); errors >= 0 or null */
    if (!read_real(r, obj, prefix, ki->params[i], 0.0, !nullable, nullable, &out[i]))
      return false;
  }
  return true;
}

static bool read_document(reader *r, const json_t *o, segkit_clv_model **out) {
  if (!json_is_object(o)) {
    snprintf(r->path, sizeof r->path, "(document)");
    return bad(r, "expected a JSON object");
  }
  json_t *v = field(r, o, "", "format");
  if (!v)
    return false;
  if (!json_is_string(v) || strcmp(json_string_value(v), MODEL_FORMAT) != 0)
    return bad(r, "expected \"" MODEL_FORMAT "\"");
  v = field(r, o, "", "version");
  if (!v)
    return false;
  if (!json_is_integer(v) || json_integer_value(v) != MODEL_VERSION)
    return bad(r, "unsupported version (expected 1)");
  v = field(r, o, "", "kind");
  if (!v)
    return false;
  int kind = json_is_string(v) ? segkit_clv_kind_parse(json_string_value(v)) : -1;
  if (kind < 0)
    return bad(r, "unknown kind (expected bgnbd, paretonbd, gammagamma or sbg)");
  segkit_clv_model tmp;
  memset(&tmp, 0, sizeof tmp);
  if (!read_named(r, o, "params", (segkit_clv_kind)kind, false, tmp.params) ||
      !read_named(r, o, "std_errors", (segkit_clv_kind)kind, true, tmp.se))
    return false;
  if (!read_real(r, o, "", "log_likelihood", -INFINITY, false, true, &tmp.log_likelihood) ||
      !read_real(r, o, "", "n", 0.0, false, false, &tmp.n))
    return false;
  v = field(r, o, "", "iterations");
  if (!v)
    return false;
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
    return bad(r, "expected a non-negative integer");
  segkit_clv_model *m = sk__clv_model_new((segkit_clv_kind)kind);
  if (!m) {
    r->status = segkit_error_set(r->err, SEGKIT_ERR_NOMEM, "no memory to read the model");
    return false;
  }
  memcpy(m->params, tmp.params, m->n_params * sizeof m->params[0]);
  memcpy(m->se, tmp.se, m->n_params * sizeof m->se[0]);
  m->log_likelihood = tmp.log_likelihood;
  m->n = tmp.n;
  m->iterations = (int)json_integer_value(v);
  *out = m;
  return true;
}

segkit_status segkit_clv_model_from_json(const char *json, segkit_clv_model **out,
                                         segkit_error *err) {
  if (!json || !out)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "json and out must not be NULL");
  json_error_t jerr;
  json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
  if (!doc)
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, jerr.line, jerr.column, NULL,
                               "model JSON: %s", jerr.text);
  reader r = {.err = err, .path = "", .status = SEGKIT_OK};
  segkit_clv_model *m = NULL;
  bool ok = read_document(&r, doc, &m);
  json_decref(doc);
  if (!ok)
    return r.status;
  *out = m;
  return SEGKIT_OK;
}
