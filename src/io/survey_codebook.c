/* survey_codebook.c: the codebook object (variables, value labels, missing codes, valid
 * ranges), its getters, and its JSON form for the workspace.
 *
 * Key choice: a codebook is a plain array of variables, each with its labels kept sorted
 * by code (binary search on lookup, since every coded cell of a response file asks "is
 * this code labelled?") and its missing codes in insertion order (the order is the reason
 * index stored in the data, so it must never be re-sorted). Name lookup is linear: a
 * codebook has hundreds of variables and is searched once per column, not per cell. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "io/survey_int.h"

/* ==== types ============================================================================ */

static const char *const type_names[SEGKIT_SURVEY_TYPE_COUNT] = {"single", "multi", "likert",
                                                                 "numeric", "text"};

const char *segkit_survey_type_name(segkit_survey_type t) {
  if ((unsigned)t >= SEGKIT_SURVEY_TYPE_COUNT) {
    return "?";
  }
  return type_names[t];
}

segkit_status segkit_survey_type_parse(const char *name, segkit_survey_type *out,
                                       segkit_error *err) {
  for (int t = 0; name != NULL && t < SEGKIT_SURVEY_TYPE_COUNT; t++) {
    if (strcmp(name, type_names[t]) == 0) {
      *out = (segkit_survey_type)t;
      return SEGKIT_OK;
    }
  }
  return segkit_error_set(err, SEGKIT_ERR_PARSE,
                          "unknown question type '%s' (expected single, multi, likert, "
                          "numeric or text)",
                          name != NULL ? name : "");
}

/* ==== lifecycle ======================================================================== */

segkit_status segkit_codebook_new(segkit_codebook **out, segkit_error *err) {
  segkit_codebook *cb = calloc(1, sizeof *cb);
  if (cb == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a codebook");
  }
  *out = cb;
  return SEGKIT_OK;
}

static void var_free(sk__sv_var *v) {
  free(v->name);
  free(v->question);
  for (size_t i = 0; i < v->n_labels; i++) {
    free((char *)v->labels[i].label);
  }
  free(v->labels);
  for (size_t i = 0; i < v->n_missing; i++) {
    free((char *)v->missing[i].reason);
  }
  free(v->missing);
}

void segkit_codebook_free(segkit_codebook *cb) {
  if (cb == NULL) {
    return;
  }
  for (size_t i = 0; i < cb->n; i++) {
    var_free(&cb->v[i]);
  }
  free(cb->v);
  free(cb);
}

static char *dup_or_empty(const char *s) {
  return strdup(s != NULL ? s : "");
}

/* ==== building ========================================================================= */

segkit_status segkit_codebook_add_variable(segkit_codebook *cb, const char *name,
                                           const char *question, segkit_survey_type type,
                                           size_t *index_out, segkit_error *err) {
  if (cb == NULL || name == NULL || name[0] == '\0' ||
      (unsigned)type >= SEGKIT_SURVEY_TYPE_COUNT) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "a codebook variable needs a codebook, a non-empty name and a "
                            "valid type");
  }
  if (segkit_codebook_find(cb, name) >= 0) {
    return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, name,
                               "variable '%s' is defined twice (expected unique names)",
                               name);
  }
  if (cb->n == cb->cap) {
    size_t cap = cb->cap ? cb->cap * 2 : 16;
    sk__sv_var *nv = realloc(cb->v, cap * sizeof *nv);
    if (nv == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for codebook variables");
    }
    cb->v = nv;
    cb->cap = cap;
  }
  sk__sv_var *v = &cb->v[cb->n];
  memset(v, 0, sizeof *v);
  v->name = strdup(name);
  v->question = dup_or_empty(question);
  if (v->name == NULL || v->question == NULL) {
    var_free(v);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a codebook variable");
  }
  v->type = type;
  v->lo = NAN;
  v->hi = NAN;
  v->exhaustive = false;
  if (index_out != NULL) {
    *index_out = cb->n;
  }
  cb->n++;
  return SEGKIT_OK;
}

static sk__sv_var *var_at(const segkit_codebook *cb, size_t var) {
  if (cb == NULL || var >= cb->n) {
    return NULL;
  }
  return &cb->v[var];
}

/* Position of the first label with code >= `code`. */
static size_t label_lower_bound(const sk__sv_var *v, int64_t code) {
  size_t lo = 0;
  size_t hi = v->n_labels;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->labels[mid].code < code) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

segkit_status segkit_codebook_add_label(segkit_codebook *cb, size_t var, int64_t code,
                                        const char *label, segkit_error *err) {
  sk__sv_var *v = var_at(cb, var);
  if (v == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no codebook variable %zu", var);
  }
  size_t at = label_lower_bound(v, code);
  if (at < v->n_labels && v->labels[at].code == code) {
    return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, v->name,
                               "code %lld of variable '%s' is labelled twice (expected "
                               "each code once)",
                               (long long)code, v->name);
  }
  if (v->n_labels == v->cap_labels) {
    size_t cap = v->cap_labels ? v->cap_labels * 2 : 8;
    segkit_value_label *nl = realloc(v->labels, cap * sizeof *nl);
    if (nl == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for value labels");
    }
    v->labels = nl;
    v->cap_labels = cap;
  }
  char *copy = dup_or_empty(label);
  if (copy == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a value label");
  }
  memmove(&v->labels[at + 1], &v->labels[at], (v->n_labels - at) * sizeof *v->labels);
  v->labels[at].code = code;
  v->labels[at].label = copy;
  v->n_labels++;
  return SEGKIT_OK;
}

static bool missing_same(const segkit_missing_code *a, const segkit_missing_code *b) {
  if (a->tag != 0 || b->tag != 0) {
    return a->tag == b->tag;
  }
  return a->lo == b->lo && a->hi == b->hi;
}

segkit_status segkit_codebook_add_missing(segkit_codebook *cb, size_t var,
                                          const segkit_missing_code *m, segkit_error *err) {
  sk__sv_var *v = var_at(cb, var);
  if (v == NULL || m == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no codebook variable %zu", var);
  }
  bool tagged = m->tag >= 'a' && m->tag <= 'z';
  if (!tagged && (m->tag != 0 || isnan(m->lo) || isnan(m->hi) || m->lo > m->hi)) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
                               "bad missing code for '%s' (expected lo <= hi, or a tag "
                               "a..z)",
                               v->name);
  }
  for (size_t i = 0; i < v->n_missing; i++) {
    if (missing_same(&v->missing[i], m)) {
      return segkit_error_set_at(err, SEGKIT_ERR_EXISTS, NULL, 0, 0, v->name,
                                 "missing code given twice for '%s' (expected each once)",
                                 v->name);
    }
  }
  if (v->n_missing >= 0xFFFDu) {
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "more than 65533 missing codes for '%s'",
                            v->name);
  }
  if (v->n_missing == v->cap_missing) {
    size_t cap = v->cap_missing ? v->cap_missing * 2 : 4;
    segkit_missing_code *nm = realloc(v->missing, cap * sizeof *nm);
    if (nm == NULL) {
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for missing codes");
    }
    v->missing = nm;
    v->cap_missing = cap;
  }
  char *reason = dup_or_empty(m->reason);
  if (reason == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "out of memory for a missing reason");
  }
  segkit_missing_code *dst = &v->missing[v->n_missing];
  dst->tag = tagged ? m->tag : 0;
  dst->lo = tagged ? NAN : m->lo;
  dst->hi = tagged ? NAN : m->hi;
  dst->reason = reason;
  v->n_missing++;
  return SEGKIT_OK;
}

segkit_status segkit_codebook_set_range(segkit_codebook *cb, size_t var, double lo, double hi,
                                        segkit_error *err) {
  sk__sv_var *v = var_at(cb, var);
  if (v == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no codebook variable %zu", var);
  }
  if (!isnan(lo) && !isnan(hi) && lo > hi) {
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, v->name,
                               "range of '%s' has min %g above max %g (expected min <= max)",
                               v->name, lo, hi);
  }
  v->lo = lo;
  v->hi = hi;
  return SEGKIT_OK;
}

segkit_status segkit_codebook_set_exhaustive(segkit_codebook *cb, size_t var, bool exhaustive,
                                             segkit_error *err) {
  sk__sv_var *v = var_at(cb, var);
  if (v == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "no codebook variable %zu", var);
  }
  v->exhaustive = exhaustive;
  return SEGKIT_OK;
}

void sk__codebook_set_line(segkit_codebook *cb, size_t var, int64_t line) {
  sk__sv_var *v = var_at(cb, var);
  if (v != NULL) {
    v->line = line;
  }
}

/* ==== getters ========================================================================== */

size_t segkit_codebook_n_variables(const segkit_codebook *cb) {
  return cb != NULL ? cb->n : 0;
}

long segkit_codebook_find(const segkit_codebook *cb, const char *name) {
  for (size_t i = 0; cb != NULL && name != NULL && i < cb->n; i++) {
    if (strcmp(cb->v[i].name, name) == 0) {
      return (long)i;
    }
  }
  return -1;
}

const char *segkit_codebook_name(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->name : NULL;
}

const char *segkit_codebook_question(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->question : NULL;
}

segkit_survey_type segkit_codebook_type(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->type : SEGKIT_SURVEY_TYPE_COUNT;
}

size_t segkit_codebook_n_labels(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->n_labels : 0;
}

const segkit_value_label *segkit_codebook_label_at(const segkit_codebook *cb, size_t var,
                                                   size_t i) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL && i < v->n_labels ? &v->labels[i] : NULL;
}

const char *segkit_codebook_label(const segkit_codebook *cb, size_t var, int64_t code) {
  const sk__sv_var *v = var_at(cb, var);
  if (v == NULL) {
    return NULL;
  }
  size_t at = label_lower_bound(v, code);
  return at < v->n_labels && v->labels[at].code == code ? v->labels[at].label : NULL;
}

size_t segkit_codebook_n_missing(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->n_missing : 0;
}

const segkit_missing_code *segkit_codebook_missing_at(const segkit_codebook *cb, size_t var,
                                                      size_t i) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL && i < v->n_missing ? &v->missing[i] : NULL;
}

long segkit_codebook_missing_find(const segkit_codebook *cb, size_t var, double x) {
  const sk__sv_var *v = var_at(cb, var);
  for (size_t i = 0; v != NULL && i < v->n_missing; i++) {
    const segkit_missing_code *m = &v->missing[i];
    if (m->tag == 0 && x >= m->lo && x <= m->hi) {
      return (long)i;
    }
  }
  return -1;
}

bool sk__codebook_has_label(const segkit_codebook *cb, size_t var, int64_t code) {
  if (segkit_codebook_label(cb, var, code) == NULL) {
    return false;
  }
  return segkit_codebook_missing_find(cb, var, (double)code) < 0;
}

double segkit_codebook_range_lo(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->lo : NAN;
}

double segkit_codebook_range_hi(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->hi : NAN;
}

bool segkit_codebook_exhaustive(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL && v->exhaustive;
}

int64_t segkit_codebook_line(const segkit_codebook *cb, size_t var) {
  const sk__sv_var *v = var_at(cb, var);
  return v != NULL ? v->line : 0;
}

/* ==== copy ============================================================================= */

static segkit_status copy_var(segkit_codebook *dst, const sk__sv_var *v, segkit_error *err) {
  size_t k = 0;
  segkit_status st = segkit_codebook_add_variable(dst, v->name, v->question, v->type, &k, err);
  for (size_t i = 0; st == SEGKIT_OK && i < v->n_labels; i++) {
    st = segkit_codebook_add_label(dst, k, v->labels[i].code, v->labels[i].label, err);
  }
  for (size_t i = 0; st == SEGKIT_OK && i < v->n_missing; i++) {
    st = segkit_codebook_add_missing(dst, k, &v->missing[i], err);
  }
  if (st == SEGKIT_OK) {
    dst->v[k].lo = v->lo;
    dst->v[k].hi = v->hi;
    dst->v[k].exhaustive = v->exhaustive;
    dst->v[k].line = v->line;
  }
  return st;
}

segkit_status sk__codebook_clone(const segkit_codebook *cb, segkit_codebook **out,
                                 segkit_error *err) {
  segkit_codebook *c = NULL;
  segkit_status st = segkit_codebook_new(&c, err);
  for (size_t i = 0; st == SEGKIT_OK && i < cb->n; i++) {
    st = copy_var(c, &cb->v[i], err);
  }
  if (st != SEGKIT_OK) {
    segkit_codebook_free(c);
    return st;
  }
  *out = c;
  return SEGKIT_OK;
}

/* ==== JSON ============================================================================= */

/* A range or missing bound: a number, null for NaN, "inf" / "-inf" (JSON has no
 * infinities). */
static json_t *bound_json(double x) {
  if (isnan(x)) {
    return json_null();
  }
  if (isinf(x)) {
    return json_string(x > 0 ? "inf" : "-inf");
  }
  return json_real(x);
}

/* Adds to obj; false on allocation failure (jansson steals the value either way). */
static bool put(json_t *obj, const char *key, json_t *val) {
  return val != NULL && json_object_set_new(obj, key, val) == 0;
}

static bool push(json_t *arr, json_t *val) {
  return val != NULL && json_array_append_new(arr, val) == 0;
}

static json_t *labels_json(const sk__sv_var *v) {
  json_t *arr = json_array();
  for (size_t i = 0; arr != NULL && i < v->n_labels; i++) {
    json_t *o = json_object();
    bool ok = o != NULL && put(o, "code", json_integer((json_int_t)v->labels[i].code)) &&
              put(o, "label", json_string(v->labels[i].label));
    if (!ok || !push(arr, o)) {
      json_decref(ok ? NULL : o);
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static json_t *missing_json(const sk__sv_var *v) {
  json_t *arr = json_array();
  for (size_t i = 0; arr != NULL && i < v->n_missing; i++) {
    const segkit_missing_code *m = &v->missing[i];
    json_t *o = json_object();
    char tag[2] = {m->tag, 0};
    bool ok = o != NULL;
    if (ok && m->tag != 0) {
      ok = put(o, "tag", json_string(tag));
    } else if (ok) {
      ok = put(o, "lo", bound_json(m->lo)) && put(o, "hi", bound_json(m->hi));
    }
    ok = ok && put(o, "reason", json_string(m->reason));
    if (!ok || !push(arr, o)) {
      json_decref(ok ? NULL : o);
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static json_t *var_json(const sk__sv_var *v) {
  json_t *o = json_object();
  json_t *range = json_array();
  bool ok = o != NULL && range != NULL && push(range, bound_json(v->lo)) &&
            push(range, bound_json(v->hi));
  ok = ok && put(o, "name", json_string(v->name)) &&
       put(o, "question", json_string(v->question)) &&
       put(o, "type", json_string(segkit_survey_type_name(v->type))) &&
       put(o, "labels", labels_json(v)) && put(o, "missing", missing_json(v));
  if (ok) {
    ok = put(o, "range", range); /* steals range even on failure */
    range = NULL;
  }
  ok = ok && put(o, "exhaustive", json_boolean(v->exhaustive));
  if (!ok) {
    json_decref(range);
    json_decref(o);
    return NULL;
  }
  return o;
}

segkit_status segkit_codebook_to_json(const segkit_codebook *cb, char **json_out,
                                      segkit_error *err) {
  if (cb == NULL || json_out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_codebook_to_json: a codebook and "
                            "json_out are required");
  }
  json_t *root = json_object();
  json_t *vars = json_array();
  bool ok = root != NULL && vars != NULL;
  for (size_t i = 0; ok && i < cb->n; i++) {
    ok = push(vars, var_json(&cb->v[i]));
  }
  ok = ok && put(root, "version", json_integer(1));
  ok = ok && put(root, "variables", vars);
  if (!ok) {
    json_decref(vars);
  }
  char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(root);
  if (text == NULL) {
    /* jansson refuses strings that are not UTF-8; codebook files are checked, but a label
     * from a .sav/.dta in a broken encoding could get here. */
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "cannot write the codebook as JSON (out "
                            "of memory, or a text that is not UTF-8)");
  }
  *json_out = text;
  return SEGKIT_OK;
}

static segkit_status json_bad(segkit_error *err, const char *var, const char *what) {
  return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, var,
                             "codebook JSON, variable '%s': %s", var != NULL ? var : "?",
                             what);
}

/* A bound: number, null (NaN), "inf" or "-inf". */
static bool bound_from_json(const json_t *j, double *out) {
  if (json_is_null(j)) {
    *out = NAN;
    return true;
  }
  if (json_is_number(j)) {
    *out = json_number_value(j);
    return true;
  }
  const char *s = json_string_value(j);
  if (s != NULL && (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0)) {
    *out = s[0] == '-' ? -INFINITY : INFINITY;
    return true;
  }
  return false;
}

static segkit_status labels_from_json(segkit_codebook *cb, size_t k, const json_t *arr,
                                      const char *name, segkit_error *err) {
  if (!json_is_array(arr)) {
    return json_bad(err, name, "\"labels\" is not an array (expected [{code, label}])");
  }
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const json_t *o = json_array_get(arr, i);
    const json_t *code = json_object_get(o, "code");
    const char *label = json_string_value(json_object_get(o, "label"));
    if (!json_is_integer(code) || label == NULL) {
      return json_bad(err, name, "a label without an integer code or a label string");
    }
    segkit_status st = segkit_codebook_add_label(cb, k, json_integer_value(code), label, err);
    if (st != SEGKIT_OK) {
      return st == SEGKIT_ERR_NOMEM ? st : json_bad(err, name, "a code labelled twice");
    }
  }
  return SEGKIT_OK;
}

static segkit_status missing_from_json(segkit_codebook *cb, size_t k, const json_t *arr,
                                       const char *name, segkit_error *err) {
  if (!json_is_array(arr)) {
    return json_bad(err, name, "\"missing\" is not an array (expected [{lo, hi, reason}])");
  }
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const json_t *o = json_array_get(arr, i);
    segkit_missing_code m = {NAN, NAN, 0, json_string_value(json_object_get(o, "reason"))};
    const char *tag = json_string_value(json_object_get(o, "tag"));
    bool ok = m.reason != NULL;
    if (ok && tag != NULL) {
      ok = strlen(tag) == 1 && tag[0] >= 'a' && tag[0] <= 'z';
      m.tag = tag[0];
    } else if (ok) {
      ok = bound_from_json(json_object_get(o, "lo"), &m.lo) &&
           bound_from_json(json_object_get(o, "hi"), &m.hi) && !isnan(m.lo) &&
           !isnan(m.hi) && m.lo <= m.hi;
    }
    if (!ok) {
      return json_bad(err, name,
                      "a missing code that is not {lo, hi, reason} with lo <= hi nor "
                      "{tag a..z, reason}");
    }
    segkit_status st = segkit_codebook_add_missing(cb, k, &m, err);
    if (st != SEGKIT_OK) {
      return st == SEGKIT_ERR_NOMEM ? st : json_bad(err, name, "a missing code given twice");
    }
  }
  return SEGKIT_OK;
}

static segkit_status var_from_json(segkit_codebook *cb, const json_t *o, segkit_error *err) {
  const char *name = json_string_value(json_object_get(o, "name"));
  const char *question = json_string_value(json_object_get(o, "question"));
  const char *type_name = json_string_value(json_object_get(o, "type"));
  segkit_survey_type type;
  if (name == NULL || name[0] == '\0' || question == NULL) {
    return json_bad(err, name, "no name or question string");
  }
  if (segkit_survey_type_parse(type_name, &type, NULL) != SEGKIT_OK) {
    return json_bad(err, name, "unknown type (expected single, multi, likert, numeric, text)");
  }
  size_t k = 0;
  segkit_status st = segkit_codebook_add_variable(cb, name, question, type, &k, err);
  if (st != SEGKIT_OK) {
    return st == SEGKIT_ERR_NOMEM ? st : json_bad(err, name, "defined twice");
  }
  st = labels_from_json(cb, k, json_object_get(o, "labels"), name, err);
  if (st == SEGKIT_OK) {
    st = missing_from_json(cb, k, json_object_get(o, "missing"), name, err);
  }
  if (st != SEGKIT_OK) {
    return st;
  }
  const json_t *range = json_object_get(o, "range");
  double lo = NAN;
  double hi = NAN;
  bool ok = json_is_array(range) && json_array_size(range) == 2 &&
            bound_from_json(json_array_get(range, 0), &lo) &&
            bound_from_json(json_array_get(range, 1), &hi) &&
            !(lo > hi);
  const json_t *exh = json_object_get(o, "exhaustive");
  if (!ok || !json_is_boolean(exh)) {
    return json_bad(err, name, "no \"range\" [lo, hi] with lo <= hi or no \"exhaustive\"");
  }
  cb->v[k].lo = lo;
  cb->v[k].hi = hi;
  cb->v[k].exhaustive = json_is_true(exh);
  return SEGKIT_OK;
}

segkit_status segkit_codebook_from_json(const char *json, size_t len, segkit_codebook **out,
                                        segkit_error *err) {
  if ((json == NULL && len > 0) || out == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "segkit_codebook_from_json: json and out "
                            "are required");
  }
  json_error_t jerr;
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, jerr.line, jerr.column, NULL,
                               "codebook JSON: %s", jerr.text);
  }
  const json_t *vars = json_object_get(root, "variables");
  const json_t *version = json_object_get(root, "version");
  if (!json_is_integer(version) || json_integer_value(version) != 1 || !json_is_array(vars)) {
    json_decref(root);
    return segkit_error_set(err, SEGKIT_ERR_PARSE,
                            "codebook JSON: expected {\"version\":1,\"variables\":[...]}");
  }
  segkit_codebook *cb = NULL;
  segkit_status st = segkit_codebook_new(&cb, err);
  for (size_t i = 0; st == SEGKIT_OK && i < json_array_size(vars); i++) {
    st = var_from_json(cb, json_array_get(vars, i), err);
  }
  json_decref(root);
  if (st != SEGKIT_OK) {
    segkit_codebook_free(cb);
    return st;
  }
  *out = cb;
  return SEGKIT_OK;
}
