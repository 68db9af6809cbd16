/* prep_json.c: a fitted preprocessing to JSON and back, so a saved model's typing tool
 * transforms new rows exactly as at fitting.
 *
 * Key design choice: the document stores the fitted numbers themselves (clip bounds,
 * center, scale, fill, levels), never the data they came from, and doubles with 17
 * significant digits so every one round-trips bit for bit. Reading validates everything
 * (types, finite numbers, positive scales, level counts, unique levels) and names the bad
 * field; unbounded clip limits are written as null. Levels must be valid UTF-8 to be
 * written (JSON strings are); a column whose values are not is refused when saving. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/judge_int.h"

#define PREP_FORMAT "segkit-prep"
#define PREP_VERSION 1

static const char *const scale_names[] = {"zscore", "none", "robust"};
static const char *const missing_names[] = {"drop", "mean", "median", "mode"};

/* ==== writing ============================================================================ */

static bool put(json_t *o, const char *key, json_t *v) {
  return v && json_object_set_new(o, key, v) == 0;
}

static json_t *levels_json(const sk__prep_feature *f) {
  json_t *a = json_array();
  for (size_t l = 0; a && l < f->n_levels; l++) {
    json_t *v = f->int_levels ? json_integer(f->int_levels[l])
                              : json_stringn(f->levels[l], f->level_len[l]);
    if (json_array_append_new(a, v) != 0) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

static json_t *feature_json(const sk__prep_feature *f) {
  json_t *o = json_object();
  bool ok = o && put(o, "column", json_string(f->column)) &&
            put(o, "type", json_string(segkit_type_name(f->type))) &&
            put(o, "kind", json_string(f->categorical ? "categorical" : "numeric"));
  if (ok && f->categorical)
    ok = put(o, "levels", levels_json(f)) &&
         put(o, "fill_level", json_integer((json_int_t)f->fill_level));
  if (ok && !f->categorical)
    ok = put(o, "log1p", json_boolean(f->log1p)) &&
         put(o, "winsor", json_pack("[f,f]", f->winsor_lower, f->winsor_upper)) &&
         put(o, "clip", json_pack("[o,o]", sk__json_real_or_null(f->clip_lo),
                                  sk__json_real_or_null(f->clip_hi))) &&
         put(o, "center", json_real(f->center)) && put(o, "scale", json_real(f->scale)) &&
         put(o, "fill", json_real(f->fill));
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

segkit_status segkit_prep_to_json(const segkit_prep *p, char **json_out, segkit_error *err) {
  json_t *o = json_object();
  json_t *fs = json_array();
  bool ok = o && fs && put(o, "format", json_string(PREP_FORMAT)) &&
            put(o, "version", json_integer(PREP_VERSION)) &&
            put(o, "scale", json_string(scale_names[p->scale])) &&
            put(o, "missing", json_string(missing_names[p->missing])) &&
            put(o, "weight_column",
                p->weight_column ? json_string(p->weight_column) : json_null()) &&
            put(o, "max_levels", json_integer((json_int_t)p->max_levels));
  for (size_t i = 0; ok && i < p->n_features; i++) {
    json_t *f = feature_json(&p->f[i]);
    if (!f) {
      json_decref(o);
      json_decref(fs);
      return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, p->f[i].column,
                                 "column '%s': cannot be written as JSON (a level or the name "
                                 "is not valid UTF-8, or no memory)",
                                 p->f[i].column);
    }
    ok = json_array_append_new(fs, f) == 0;
  }
  ok = ok && put(o, "features", json_incref(fs));
  json_decref(fs);
  char *text = ok ? json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                  : NULL;
  json_decref(o);
  if (!text)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to write the preprocessing");
  *json_out = text;
  return SEGKIT_OK;
}

/* ==== reading ============================================================================ */

typedef struct reader {
  segkit_error *err;
  char path[160];
  segkit_status status;
} reader;

static bool bad(reader *r, const char *what) {
  if (r->status == SEGKIT_OK)
    r->status = segkit_error_set_at(r->err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, r->path,
                                    "preprocessing JSON: field '%s': %s", r->path, what);
  return false;
}

static bool nomem(reader *r) {
  if (r->status == SEGKIT_OK)
    r->status = segkit_error_set(r->err, SEGKIT_ERR_NOMEM, "no memory to read the preprocessing");
  return false;
}

static json_t *get(reader *r, const json_t *o, const char *prefix, const char *key) {
  snprintf(r->path, sizeof r->path, "%s%s", prefix, key);
  json_t *v = json_object_get(o, key);
  if (!v)
    bad(r, "missing");
  return v;
}

static int name_index(const json_t *v, const char *const *names, int n) {
  for (int i = 0; json_is_string(v) && i < n; i++)
    if (strcmp(json_string_value(v), names[i]) == 0)
      return i;
  return -1;
}

static bool read_real(reader *r, const json_t *o, const char *prefix, const char *key,
                      double *out) {
  json_t *v = get(r, o, prefix, key);
  if (!v)
    return false;
  if (!sk__json_number(v, out))
    return bad(r, "expected a finite number");
  return true;
}

static bool read_header(reader *r, const json_t *o, segkit_prep *p) {
  json_t *v = get(r, o, "", "format");
  if (!v)
    return false;
  if (!json_is_string(v) || strcmp(json_string_value(v), PREP_FORMAT) != 0)
    return bad(r, "expected \"" PREP_FORMAT "\"");
  v = get(r, o, "", "version");
  if (!v)
    return false;
  if (!json_is_integer(v) || json_integer_value(v) != PREP_VERSION)
    return bad(r, "unsupported version (expected 1)");
  int i = name_index(v = get(r, o, "", "scale"), scale_names, 3);
  if (!v)
    return false;
  if (i < 0)
    return bad(r, "expected zscore, none or robust");
  p->scale = (segkit_scale)i;
  i = name_index(v = get(r, o, "", "missing"), missing_names, 4);
  if (!v)
    return false;
  if (i < 0)
    return bad(r, "expected drop, mean, median or mode");
  p->missing = (segkit_missing)i;
  v = get(r, o, "", "weight_column");
  if (!v)
    return false;
  if (json_is_string(v)) {
    p->weight_column = strdup(json_string_value(v));
    if (!p->weight_column)
      return nomem(r);
  } else if (!json_is_null(v)) {
    return bad(r, "expected a column name or null");
  }
  v = get(r, o, "", "max_levels");
  if (!v)
    return false;
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    return bad(r, "expected an integer >= 1");
  p->max_levels = (size_t)json_integer_value(v);
  return true;
}

static bool read_numeric(reader *r, const json_t *o, const char *pre, sk__prep_feature *f) {
  json_t *v = get(r, o, pre, "log1p");
  if (!v)
    return false;
  if (!json_is_boolean(v))
    return bad(r, "expected true or false");
  f->log1p = json_is_true(v);
  v = get(r, o, pre, "winsor");
  if (!v)
    return false;
  if (!json_is_array(v) || json_array_size(v) != 2 ||
      !sk__json_number(json_array_get(v, 0), &f->winsor_lower) ||
      !sk__json_number(json_array_get(v, 1), &f->winsor_upper) ||
      !(f->winsor_lower >= 0 && f->winsor_lower < f->winsor_upper && f->winsor_upper <= 1))
    return bad(r, "expected [lower, upper] with 0 <= lower < upper <= 1");
  v = get(r, o, pre, "clip");
  if (!v)
    return false;
  json_t *lo = json_array_get(v, 0);
  json_t *hi = json_array_get(v, 1);
  f->clip_lo = -INFINITY;
  f->clip_hi = INFINITY;
  if (!json_is_array(v) || json_array_size(v) != 2 ||
      (!json_is_null(lo) && !sk__json_number(lo, &f->clip_lo)) ||
      (!json_is_null(hi) && !sk__json_number(hi, &f->clip_hi)) || f->clip_lo > f->clip_hi)
    return bad(r, "expected [lower, upper] bounds (numbers or null), lower <= upper");
  if (!read_real(r, o, pre, "center", &f->center) || !read_real(r, o, pre, "scale", &f->scale) ||
      !read_real(r, o, pre, "fill", &f->fill))
    return false;
  snprintf(r->path, sizeof r->path, "%sscale", pre);
  if (!(f->scale > 0))
    return bad(r, "expected a number > 0");
  return true;
}

static bool level_is_new(const sk__prep_feature *f, size_t l) {
  for (size_t j = 0; j < l; j++) {
    if (f->int_levels ? f->int_levels[j] == f->int_levels[l]
                      : f->level_len[j] == f->level_len[l] &&
                            memcmp(f->levels[j], f->levels[l], f->level_len[l]) == 0)
      return false;
  }
  return true;
}

static bool read_levels(reader *r, const json_t *o, const char *pre, sk__prep_feature *f,
                        size_t max_levels) {
  json_t *a = get(r, o, pre, "levels");
  if (!a)
    return false;
  if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > max_levels)
    return bad(r, "expected 1..max_levels levels");
  size_t n = json_array_size(a);
  bool is_str = f->type == SEGKIT_TYPE_STRING;
  if (is_str) {
    f->levels = calloc(n, sizeof *f->levels);
    f->level_len = calloc(n, sizeof *f->level_len);
  } else {
    f->int_levels = calloc(n, sizeof *f->int_levels);
  }
  if (is_str ? !f->levels || !f->level_len : !f->int_levels)
    return nomem(r);
  for (size_t l = 0; l < n; l++) {
    json_t *v = json_array_get(a, l);
    snprintf(r->path, sizeof r->path, "%slevels[%zu]", pre, l);
    if (is_str ? !json_is_string(v) : !json_is_integer(v))
      return bad(r, is_str ? "expected a string" : "expected an integer");
    if (is_str) {
      size_t len = json_string_length(v);
      f->levels[l] = malloc(len + 1);
      if (!f->levels[l])
        return nomem(r);
      memcpy(f->levels[l], json_string_value(v), len + 1);
      f->level_len[l] = len;
    } else {
      f->int_levels[l] = json_integer_value(v);
    }
    f->n_levels = l + 1;
    if (!level_is_new(f, l))
      return bad(r, "repeats an earlier level");
  }
  json_t *v = get(r, o, pre, "fill_level");
  if (!v)
    return false;
  if (!json_is_integer(v) || json_integer_value(v) < 0 || (size_t)json_integer_value(v) >= n)
    return bad(r, "expected a level number");
  f->fill_level = (size_t)json_integer_value(v);
  return true;
}

static bool read_feature(reader *r, const json_t *o, size_t i, segkit_prep *p) {
  sk__prep_feature *f = &p->f[i];
  char pre[48];
  snprintf(pre, sizeof pre, "features[%zu].", i);
  if (!json_is_object(o)) {
    snprintf(r->path, sizeof r->path, "features[%zu]", i);
    return bad(r, "expected an object");
  }
  json_t *v = get(r, o, pre, "column");
  if (!v)
    return false;
  if (!json_is_string(v) || json_string_length(v) == 0)
    return bad(r, "expected a column name");
  f->column = strdup(json_string_value(v));
  if (!f->column)
    return nomem(r);
  for (size_t j = 0; j < i; j++)
    if (strcmp(p->f[j].column, f->column) == 0)
      return bad(r, "names a column already used");
  v = get(r, o, pre, "type");
  if (!v)
    return false;
  segkit_type t;
  if (!json_is_string(v) || segkit_type_parse(json_string_value(v), &t, NULL) != SEGKIT_OK)
    return bad(r, "expected a column type");
  f->type = t;
  v = get(r, o, pre, "kind");
  if (!v)
    return false;
  int kind = json_is_string(v) ? strcmp(json_string_value(v), "numeric") == 0       ? 0
                                 : strcmp(json_string_value(v), "categorical") == 0 ? 1
                                                                                    : -1
                               : -1;
  if (kind < 0)
    return bad(r, "expected numeric or categorical");
  f->categorical = kind == 1;
  bool type_ok = f->categorical ? t == SEGKIT_TYPE_STRING || t == SEGKIT_TYPE_INT64
                                : t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_FLOAT64 ||
                                      t == SEGKIT_TYPE_BOOL;
  if (!type_ok) {
    snprintf(r->path, sizeof r->path, "%stype", pre);
    return bad(r, "type does not fit the kind");
  }
  if (f->categorical) {
    f->clip_lo = -INFINITY;
    f->clip_hi = INFINITY;
    f->winsor_upper = 1;
    f->scale = 1;
    return read_levels(r, o, pre, f, p->max_levels);
  }
  return read_numeric(r, o, pre, f);
}

static bool read_prep(reader *r, const json_t *o, segkit_prep *p) {
  if (!json_is_object(o)) {
    snprintf(r->path, sizeof r->path, "(document)");
    return bad(r, "expected a JSON object");
  }
  if (!read_header(r, o, p))
    return false;
  json_t *fs = get(r, o, "", "features");
  if (!fs)
    return false;
  if (!json_is_array(fs) || json_array_size(fs) == 0)
    return bad(r, "expected a non-empty array");
  p->n_features = json_array_size(fs);
  p->f = calloc(p->n_features, sizeof *p->f);
  if (!p->f)
    return nomem(r);
  for (size_t i = 0; i < p->n_features; i++)
    if (!read_feature(r, json_array_get(fs, i), i, p))
      return false;
  return sk__prep_finish(p) || nomem(r);
}

segkit_status segkit_prep_from_json(const char *json, segkit_prep **out, segkit_error *err) {
  *out = NULL;
  json_error_t jerr;
  json_t *o = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &jerr);
  if (!o)
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, jerr.line, jerr.column, NULL,
                               "preprocessing JSON: %s", jerr.text);
  segkit_prep *p = calloc(1, sizeof *p);
  if (!p) {
    json_decref(o);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to read the preprocessing");
  }
  reader r = {err, "", SEGKIT_OK};
  bool ok = read_prep(&r, o, p);
  json_decref(o);
  if (!ok) {
    segkit_prep_free(p);
    return r.status;
  }
  *out = p;
  return SEGKIT_OK;
}
