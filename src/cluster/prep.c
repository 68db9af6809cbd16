/* prep.c: preprocessing for clustering — a table's chosen columns to a dense row-major
 * matrix, fitted once and then applied identically to any table with those columns.
 *
 * Per numeric feature (int64, float64, bool; NaN counts as null), in this order:
 *   log1p (optional; x <= -1 is an error) -> clip to the fitted winsor quantiles ->
 *   a null gets the fill value (non-drop policies) -> (v - center) / scale.
 * The statistics (quantiles, mean / sd or median / IQR, fill) are computed on the non-null
 * values of the kept rows after log1p and clipping, never on imputed values: scikit-learn's
 * scalers also ignore NaN when fitting. So under SEGKIT_MISSING_MEAN with z-scores a
 * null maps to exactly 0. Quantiles are numpy's linear ones (prep_stats.c), sd is the
 * population sd (ddof 0) as StandardScaler's; a constant column (or IQR 0) gets scale 1.
 * Categorical features (string columns, int64 marked categorical) become one 0/1 column
 * per level, levels in first-seen order over the kept rows; a value not seen in fitting
 * gets all zeros and is counted. Errors name the column (err->field) and the 1-based row.
 *
 * Key design choice: transform resolves every column and, for strings, maps the table's
 * whole dictionary to level numbers once, so the per-row loop is a lookup and a store. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/judge_int.h"

#define PREP_DEFAULT_MAX_LEVELS 64
#define NO_LEVEL SIZE_MAX

void segkit_prep_options_init(segkit_prep_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->scale = SEGKIT_SCALE_ZSCORE;
  opt->missing = SEGKIT_MISSING_DROP;
  opt->max_levels = PREP_DEFAULT_MAX_LEVELS;
}

void segkit_prep_free(segkit_prep *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n_features; i++) {
    sk__prep_feature *f = &p->f[i];
    free(f->column);
    for (size_t l = 0; f->levels && l < f->n_levels; l++)
      free(f->levels[l]);
    free(f->levels);
    free(f->level_len);
    free(f->int_levels);
  }
  free(p->f);
  for (size_t j = 0; p->dim_names && j < p->dims; j++)
    free(p->dim_names[j]);
  free(p->dim_names);
  free(p->weight_column);
  free(p);
}

size_t segkit_prep_dims(const segkit_prep *p) { return p->dims; }
const char *segkit_prep_dim_name(const segkit_prep *p, size_t j) {
  return j < p->dims ? p->dim_names[j] : NULL;
}
segkit_scale segkit_prep_scale(const segkit_prep *p) { return p->scale; }

static char *dup_bytes(const char *s, size_t n) {
  char *c = malloc(n + 1);
  if (!c)
    return NULL;
  memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

bool sk__prep_finish(segkit_prep *p) {
  size_t dims = 0;
  for (size_t i = 0; i < p->n_features; i++) {
    p->f[i].offset = dims;
    dims += p->f[i].categorical ? p->f[i].n_levels : 1;
  }
  p->dims = dims;
  p->dim_names = calloc(dims ? dims : 1, sizeof *p->dim_names);
  if (!p->dim_names)
    return false;
  for (size_t i = 0; i < p->n_features; i++) {
    const sk__prep_feature *f = &p->f[i];
    if (!f->categorical) {
      p->dim_names[f->offset] = dup_bytes(f->column, strlen(f->column));
      if (!p->dim_names[f->offset])
        return false;
      continue;
    }
    for (size_t l = 0; l < f->n_levels; l++) {
      char num[32];
      const char *lv = num;
      if (f->int_levels)
        snprintf(num, sizeof num, "%lld", (long long)f->int_levels[l]);
      else
        lv = f->levels[l];
      size_t len = strlen(f->column) + 1 + strlen(lv);
      char *name = malloc(len + 1);
      if (!name)
        return false;
      snprintf(name, len + 1, "%s=%s", f->column, lv);
      p->dim_names[f->offset + l] = name;
    }
  }
  return true;
}

/* ---- reading cells ------------------------------------------------------------------- */

/* Whether a numeric cell holds a value (float NaN counts as null), and the value. */
static bool numeric_cell(const segkit_column *c, size_t row, double *v) {
  if (!segkit_column_is_valid(c, row))
    return false;
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    *v = (double)segkit_column_int64(c)[row];
    return true;
  case SEGKIT_TYPE_FLOAT64:
    *v = segkit_column_float64(c)[row];
    return !isnan(*v);
  case SEGKIT_TYPE_BOOL:
    *v = segkit_column_bool(c)[row];
    return true;
  default:
    return false;
  }
}

static bool is_numeric_type(segkit_type t) {
  return t == SEGKIT_TYPE_INT64 || t == SEGKIT_TYPE_FLOAT64 || t == SEGKIT_TYPE_BOOL;
}

static bool cell_present(const sk__prep_feature *f, const segkit_column *c, size_t row) {
  double v;
  if (f->categorical)
    return segkit_column_is_valid(c, row);
  return numeric_cell(c, row, &v);
}

/* The value of a present numeric cell after log1p and clipping. */
static segkit_status numeric_value(const sk__prep_feature *f, const segkit_column *c,
                                   size_t row, bool clip, double *out, segkit_error *err) {
  double v = 0;
  numeric_cell(c, row, &v);
  if (!isfinite(v))
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, f->column,
                               "column '%s', row %zu: %g is not a finite number", f->column,
                               row + 1, v);
  if (f->log1p) {
    if (!(v > -1))
      return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, f->column,
                                 "column '%s', row %zu: log1p of %g (expected a value > -1)",
                                 f->column, row + 1, v);
    v = log1p(v);
  }
  if (clip) {
    if (v < f->clip_lo)
      v = f->clip_lo;
    if (v > f->clip_hi)
      v = f->clip_hi;
  }
  *out = v;
  return SEGKIT_OK;
}

static segkit_status weight_value(const segkit_column *c, const char *name, size_t row,
                                  double *out, segkit_error *err) {
  double w = 0;
  if (!numeric_cell(c, row, &w) || !isfinite(w) || w < 0)
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, 0, 0, name,
                               "weight column '%s', row %zu: %s (expected a finite number "
                               ">= 0)",
                               name, row + 1,
                               segkit_column_is_valid(c, row) ? "bad weight" : "null");
  *out = w;
  return SEGKIT_OK;
}

/* ---- fitting ------------------------------------------------------------------------- */

static segkit_status check_options(const segkit_prep_options *opt, segkit_error *err) {
  if (!opt || !opt->features || opt->n_features == 0)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "preprocessing: no features given");
  if ((unsigned)opt->scale > SEGKIT_SCALE_ROBUST || (unsigned)opt->missing > SEGKIT_MISSING_MODE)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "preprocessing: unknown scale or missing "
                                                   "policy");
  for (size_t i = 0; i < opt->n_features; i++) {
    const segkit_prep_feature *f = &opt->features[i];
    if (!f->column)
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "preprocessing: feature %zu has no column",
                              i + 1);
    for (size_t j = 0; j < i; j++)
      if (strcmp(opt->features[j].column, f->column) == 0)
        return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, f->column,
                                   "preprocessing: column '%s' given twice", f->column);
    if (!(f->winsor_lower >= 0 && f->winsor_lower < f->winsor_upper && f->winsor_upper <= 1))
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, f->column,
                                 "column '%s': winsor quantiles %g, %g (expected 0 <= lower < "
                                 "upper <= 1)",
                                 f->column, f->winsor_lower, f->winsor_upper);
  }
  return SEGKIT_OK;
}

static segkit_status resolve_column(const segkit_table *t, const char *name,
                                    const segkit_column **out, segkit_error *err) {
  long idx = segkit_table_column_index(t, name);
  if (idx < 0)
    return segkit_error_set_at(err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, name,
                               "no column '%s' in the table", name);
  *out = segkit_table_column(t, (size_t)idx);
  return SEGKIT_OK;
}

/* Kind of a feature from its column type; errors for types that cannot be features. */
static segkit_status feature_kind(const segkit_prep_feature *pf, const segkit_column *c,
                                  sk__prep_feature *f, segkit_error *err) {
  segkit_type t = segkit_column_type(c);
  f->type = t;
  if (t == SEGKIT_TYPE_STRING || (t == SEGKIT_TYPE_INT64 && pf->categorical)) {
    f->categorical = true;
  } else if (pf->categorical) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, pf->column,
                               "column '%s' is %s; only int64 columns can be marked "
                               "categorical",
                               pf->column, segkit_type_name(t));
  } else if (!is_numeric_type(t)) {
    return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, pf->column,
                               "column '%s' is %s (expected int64, float64, bool or string)",
                               pf->column, segkit_type_name(t));
  }
  if (f->categorical && (pf->log1p || pf->winsor_lower > 0 || pf->winsor_upper < 1))
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, pf->column,
                               "column '%s' is categorical: log1p and winsorising apply to "
                               "numeric features only",
                               pf->column);
  return SEGKIT_OK;
}

typedef struct fit_ctx {
  const segkit_table *t;
  size_t n_rows;
  const segkit_column **cols; /* per feature */
  uint8_t *keep;
  size_t n_keep;
} fit_ctx;

static segkit_status choose_rows(segkit_prep *p, fit_ctx *cx, const segkit_column *wcol,
                                 segkit_error *err) {
  cx->keep = malloc(cx->n_rows ? cx->n_rows : 1);
  if (!cx->keep)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
  cx->n_keep = 0;
  for (size_t r = 0; r < cx->n_rows; r++) {
    bool keep = true;
    for (size_t i = 0; keep && p->missing == SEGKIT_MISSING_DROP && i < p->n_features; i++)
      keep = cell_present(&p->f[i], cx->cols[i], r);
    cx->keep[r] = keep;
    cx->n_keep += keep;
    double w;
    if (keep && wcol) {
      segkit_status st = weight_value(wcol, p->weight_column, r, &w, err);
      if (st != SEGKIT_OK)
        return st;
    }
  }
  if (cx->n_keep == 0)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "preprocessing: no rows left (%zu rows, every one with a null in "
                            "some feature)",
                            cx->n_rows);
  return SEGKIT_OK;
}

static int cmp_double_asc(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* Most frequent value of sorted v (ties: the smallest). */
static double sorted_mode(const double *v, size_t n) {
  double best = v[0];
  size_t best_run = 0;
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    run = i > 0 && v[i] == v[i - 1] ? run + 1 : 1;
    if (run > best_run) {
      best_run = run;
      best = v[i];
    }
  }
  return best;
}

static void numeric_stats(segkit_prep *p, sk__prep_feature *f, double *v, size_t m) {
  qsort(v, m, sizeof *v, cmp_double_asc);
  f->clip_lo = f->winsor_lower > 0 ? sk__quantile_sorted(v, m, f->winsor_lower) : -INFINITY;
  f->clip_hi = f->winsor_upper < 1 ? sk__quantile_sorted(v, m, f->winsor_upper) : INFINITY;
  for (size_t i = 0; i < m; i++) /* clipping keeps the order */
    v[i] = v[i] < f->clip_lo ? f->clip_lo : v[i] > f->clip_hi ? f->clip_hi : v[i];
  double sum = 0;
  for (size_t i = 0; i < m; i++)
    sum += v[i];
  double mean = sum / (double)m;
  double median = sk__quantile_sorted(v, m, 0.5);
  bool constant = v[0] == v[m - 1];
  f->center = 0;
  f->scale = 1;
  if (p->scale == SEGKIT_SCALE_ZSCORE) {
    double ss = 0;
    for (size_t i = 0; i < m; i++)
      ss += (v[i] - mean) * (v[i] - mean);
    f->center = mean;
    f->scale = constant ? 1.0 : sqrt(ss / (double)m);
  } else if (p->scale == SEGKIT_SCALE_ROBUST) {
    double iqr = sk__quantile_sorted(v, m, 0.75) - sk__quantile_sorted(v, m, 0.25);
    f->center = median;
    f->scale = iqr > 0 ? iqr : 1.0;
  }
  f->fill = p->missing == SEGKIT_MISSING_MEAN     ? mean
            : p->missing == SEGKIT_MISSING_MEDIAN ? median
            : p->missing == SEGKIT_MISSING_MODE   ? sorted_mode(v, m)
                                                  : 0;
}

static segkit_status fit_numeric(segkit_prep *p, sk__prep_feature *f, const segkit_column *c,
                                 const fit_ctx *cx, segkit_error *err) {
  double *v = malloc(cx->n_keep * sizeof *v);
  if (!v)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
  size_t m = 0;
  for (size_t r = 0; r < cx->n_rows; r++) {
    if (!cx->keep[r] || !cell_present(f, c, r))
      continue;
    segkit_status st = numeric_value(f, c, r, false, &v[m], err);
    if (st != SEGKIT_OK) {
      free(v);
      return st;
    }
    m++;
  }
  if (m == 0) {
    free(v);
    return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, f->column,
                               "column '%s' has no values to fit on", f->column);
  }
  numeric_stats(p, f, v, m);
  free(v);
  return SEGKIT_OK;
}

static segkit_status too_many_levels(const sk__prep_feature *f, size_t max, segkit_error *err) {
  return segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, f->column,
                             "column '%s' has more than %zu distinct values (max_levels); is "
                             "it an identifier?",
                             f->column, max);
}

/* Level of row r's value, adding it when first seen; NO_LEVEL past max_levels. */
static size_t learn_level(sk__prep_feature *f, const segkit_column *c, size_t r,
                          size_t *code_level, size_t max, bool *nomem) {
  if (f->type == SEGKIT_TYPE_STRING) {
    uint32_t code = segkit_column_codes(c)[r];
    if (code_level[code] != NO_LEVEL)
      return code_level[code];
    if (f->n_levels == max)
      return NO_LEVEL;
    size_t len = 0;
    const char *s = segkit_column_dict_value(c, code, &len);
    f->levels[f->n_levels] = dup_bytes(s, len);
    f->level_len[f->n_levels] = len;
    *nomem = f->levels[f->n_levels] == NULL;
    code_level[code] = f->n_levels;
    return f->n_levels++;
  }
  int64_t v = segkit_column_int64(c)[r];
  for (size_t l = 0; l < f->n_levels; l++)
    if (f->int_levels[l] == v)
      return l;
  if (f->n_levels == max)
    return NO_LEVEL;
  f->int_levels[f->n_levels] = v;
  return f->n_levels++;
}

static segkit_status fit_categorical(segkit_prep *p, sk__prep_feature *f,
                                     const segkit_column *c, const fit_ctx *cx,
                                     segkit_error *err) {
  size_t max = p->max_levels;
  bool is_str = f->type == SEGKIT_TYPE_STRING;
  uint32_t dict = is_str ? segkit_column_dict_size(c) : 0;
  size_t *code_level = malloc((dict ? dict : 1) * sizeof *code_level);
  size_t *counts = calloc(max, sizeof *counts);
  if (is_str) {
    f->levels = calloc(max, sizeof *f->levels);
    f->level_len = calloc(max, sizeof *f->level_len);
  } else {
    f->int_levels = calloc(max, sizeof *f->int_levels);
  }
  segkit_status st = SEGKIT_OK;
  if (!code_level || !counts || (is_str ? !f->levels || !f->level_len : !f->int_levels))
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory for levels");
  for (uint32_t i = 0; st == SEGKIT_OK && i < dict; i++)
    code_level[i] = NO_LEVEL;
  for (size_t r = 0; st == SEGKIT_OK && r < cx->n_rows; r++) {
    if (!cx->keep[r] || !segkit_column_is_valid(c, r))
      continue;
    bool nomem = false;
    size_t l = learn_level(f, c, r, code_level, max, &nomem);
    if (nomem)
      st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory for levels");
    else if (l == NO_LEVEL)
      st = too_many_levels(f, max, err);
    else
      counts[l]++;
  }
  if (st == SEGKIT_OK && f->n_levels == 0)
    st = segkit_error_set_at(err, SEGKIT_ERR_LIMIT, NULL, 0, 0, f->column,
                             "column '%s' has no values to fit on", f->column);
  f->fill_level = 0; /* the mode; ties to the first-seen level */
  for (size_t l = 1; st == SEGKIT_OK && l < f->n_levels; l++)
    if (counts[l] > counts[f->fill_level])
      f->fill_level = l;
  free(code_level);
  free(counts);
  return st;
}

static segkit_status fit_features(segkit_prep *p, const segkit_prep_options *opt, fit_ctx *cx,
                                  segkit_error *err) {
  for (size_t i = 0; i < p->n_features; i++) {
    const segkit_prep_feature *pf = &opt->features[i];
    sk__prep_feature *f = &p->f[i];
    f->column = dup_bytes(pf->column, strlen(pf->column));
    if (!f->column)
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
    f->log1p = pf->log1p;
    f->winsor_lower = pf->winsor_lower;
    f->winsor_upper = pf->winsor_upper;
    segkit_status st = resolve_column(cx->t, pf->column, &cx->cols[i], err);
    if (st == SEGKIT_OK)
      st = feature_kind(pf, cx->cols[i], f, err);
    if (st != SEGKIT_OK)
      return st;
  }
  const segkit_column *wcol = NULL;
  if (p->weight_column) {
    segkit_status st = resolve_column(cx->t, p->weight_column, &wcol, err);
    if (st == SEGKIT_OK && !is_numeric_type(segkit_column_type(wcol)))
      st = segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, p->weight_column,
                               "weight column '%s' is %s (expected a number)", p->weight_column,
                               segkit_type_name(segkit_column_type(wcol)));
    if (st != SEGKIT_OK)
      return st;
  }
  segkit_status st = choose_rows(p, cx, wcol, err);
  for (size_t i = 0; st == SEGKIT_OK && i < p->n_features; i++)
    st = p->f[i].categorical ? fit_categorical(p, &p->f[i], cx->cols[i], cx, err)
                             : fit_numeric(p, &p->f[i], cx->cols[i], cx, err);
  return st;
}

segkit_status segkit_prep_fit(const segkit_table *t, const segkit_prep_options *opt,
                              segkit_prep **out, segkit_error *err) {
  segkit_status st = check_options(opt, err);
  if (st != SEGKIT_OK)
    return st;
  segkit_prep *p = calloc(1, sizeof *p);
  fit_ctx cx = {t, segkit_table_n_rows(t), NULL, NULL, 0};
  cx.cols = calloc(opt->n_features, sizeof *cx.cols);
  if (p) {
    p->scale = opt->scale;
    p->missing = opt->missing;
    p->max_levels = opt->max_levels ? opt->max_levels : PREP_DEFAULT_MAX_LEVELS;
    p->n_features = opt->n_features;
    p->f = calloc(opt->n_features, sizeof *p->f);
    if (opt->weight_column)
      p->weight_column = dup_bytes(opt->weight_column, strlen(opt->weight_column));
  }
  if (!p || !p->f || !cx.cols || (opt->weight_column && !p->weight_column))
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
  if (st == SEGKIT_OK)
    st = fit_features(p, opt, &cx, err);
  if (st == SEGKIT_OK && !sk__prep_finish(p))
    st = segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
  free(cx.cols);
  free(cx.keep);
  if (st != SEGKIT_OK) {
    segkit_prep_free(p);
    return st;
  }
  *out = p;
  return SEGKIT_OK;
}

/* ---- transforming -------------------------------------------------------------------- */

typedef struct tx_feature {
  const segkit_column *col;
  size_t *code_level; /* string features: the table's dictionary code -> level */
} tx_feature;

static segkit_status resolve_for_transform(const segkit_prep *p, const segkit_table *t,
                                           tx_feature *tf, segkit_error *err) {
  for (size_t i = 0; i < p->n_features; i++) {
    const sk__prep_feature *f = &p->f[i];
    segkit_status st = resolve_column(t, f->column, &tf[i].col, err);
    if (st != SEGKIT_OK)
      return st;
    segkit_type ty = segkit_column_type(tf[i].col);
    bool ok = f->categorical ? ty == f->type : is_numeric_type(ty);
    if (!ok)
      return segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, f->column,
                                 "column '%s' is %s; it was %s when the preprocessing was "
                                 "fitted",
                                 f->column, segkit_type_name(ty), segkit_type_name(f->type));
    if (f->type != SEGKIT_TYPE_STRING || !f->categorical)
      continue;
    uint32_t dict = segkit_column_dict_size(tf[i].col);
    tf[i].code_level = malloc((dict ? dict : 1) * sizeof *tf[i].code_level);
    if (!tf[i].code_level)
      return segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
    for (uint32_t code = 0; code < dict; code++) {
      size_t len = 0;
      const char *s = segkit_column_dict_value(tf[i].col, code, &len);
      tf[i].code_level[code] = NO_LEVEL;
      for (size_t l = 0; l < f->n_levels; l++)
        if (f->level_len[l] == len && memcmp(f->levels[l], s, len) == 0) {
          tf[i].code_level[code] = l;
          break;
        }
    }
  }
  return SEGKIT_OK;
}

static size_t level_of(const sk__prep_feature *f, const tx_feature *tf, size_t r) {
  if (f->type == SEGKIT_TYPE_STRING)
    return tf->code_level[segkit_column_codes(tf->col)[r]];
  int64_t v = segkit_column_int64(tf->col)[r];
  for (size_t l = 0; l < f->n_levels; l++)
    if (f->int_levels[l] == v)
      return l;
  return NO_LEVEL;
}

/* One output row from table row r; *unseen counts values not seen in fitting. */
static segkit_status transform_row(const segkit_prep *p, const tx_feature *tf, size_t r,
                                   double *out, size_t *unseen, segkit_error *err) {
  memset(out, 0, p->dims * sizeof *out);
  for (size_t i = 0; i < p->n_features; i++) {
    const sk__prep_feature *f = &p->f[i];
    bool present = cell_present(f, tf[i].col, r);
    if (f->categorical) {
      size_t l = present ? level_of(f, &tf[i], r) : f->fill_level;
      if (l == NO_LEVEL)
        (*unseen)++;
      else
        out[f->offset + l] = 1.0;
      continue;
    }
    double v = f->fill;
    if (present) {
      segkit_status st = numeric_value(f, tf[i].col, r, true, &v, err);
      if (st != SEGKIT_OK)
        return st;
    }
    out[f->offset] = (v - f->center) / f->scale;
  }
  return SEGKIT_OK;
}

typedef struct tx_out {
  double *x;
  size_t *rows;
  double *w;
} tx_out;

static segkit_status transform_rows(const segkit_prep *p, const segkit_table *t,
                                    const tx_feature *tf, const segkit_column *wcol,
                                    tx_out *o, size_t *n_out, size_t *n_unseen,
                                    segkit_error *err) {
  size_t n = segkit_table_n_rows(t);
  size_t m = 0;
  for (size_t r = 0; r < n; r++) {
    bool keep = true;
    for (size_t i = 0; keep && p->missing == SEGKIT_MISSING_DROP && i < p->n_features; i++)
      keep = cell_present(&p->f[i], tf[i].col, r);
    m += keep;
  }
  o->x = malloc((m * p->dims > 0 ? m * p->dims : 1) * sizeof *o->x);
  o->rows = malloc((m ? m : 1) * sizeof *o->rows);
  o->w = malloc((m ? m : 1) * sizeof *o->w);
  if (!o->x || !o->rows || !o->w)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory for %zu x %zu",
                            m, p->dims);
  size_t k = 0;
  for (size_t r = 0; r < n; r++) {
    bool keep = true;
    for (size_t i = 0; keep && p->missing == SEGKIT_MISSING_DROP && i < p->n_features; i++)
      keep = cell_present(&p->f[i], tf[i].col, r);
    if (!keep)
      continue;
    segkit_status st = transform_row(p, tf, r, o->x + k * p->dims, n_unseen, err);
    o->w[k] = 1.0;
    if (st == SEGKIT_OK && wcol)
      st = weight_value(wcol, p->weight_column, r, &o->w[k], err);
    if (st != SEGKIT_OK)
      return st;
    o->rows[k++] = r;
  }
  *n_out = m;
  return SEGKIT_OK;
}

segkit_status segkit_prep_transform(const segkit_prep *p, const segkit_table *t,
                                    double **x_out, size_t *n_out, size_t **row_index_out,
                                    double **weights_out, size_t *n_unseen_out,
                                    segkit_error *err) {
  tx_feature *tf = calloc(p->n_features, sizeof *tf);
  if (!tf)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "preprocessing: no memory");
  segkit_status st = resolve_for_transform(p, t, tf, err);
  const segkit_column *wcol = NULL;
  /* weights are read only when asked for: new rows to type need no weight column */
  if (st == SEGKIT_OK && weights_out && p->weight_column) {
    st = resolve_column(t, p->weight_column, &wcol, err);
    if (st == SEGKIT_OK && !is_numeric_type(segkit_column_type(wcol)))
      st = segkit_error_set_at(err, SEGKIT_ERR_TYPE, NULL, 0, 0, p->weight_column,
                               "weight column '%s' is not numeric", p->weight_column);
  }
  tx_out o = {NULL, NULL, NULL};
  size_t m = 0;
  size_t unseen = 0;
  if (st == SEGKIT_OK)
    st = transform_rows(p, t, tf, wcol, &o, &m, &unseen, err);
  for (size_t i = 0; i < p->n_features; i++)
    free(tf[i].code_level);
  free(tf);
  if (st != SEGKIT_OK) {
    free(o.x);
    free(o.rows);
    free(o.w);
    return st;
  }
  *x_out = o.x;
  *n_out = m;
  if (row_index_out)
    *row_index_out = o.rows;
  else
    free(o.rows);
  if (weights_out)
    *weights_out = o.w;
  else
    free(o.w);
  if (n_unseen_out)
    *n_unseen_out = unseen;
  return SEGKIT_OK;
}

void segkit_prep_inverse(const segkit_prep *p, const double *point, double *out) {
  for (size_t i = 0; i < p->n_features; i++) {
    const sk__prep_feature *f = &p->f[i];
    if (f->categorical) {
      memcpy(out + f->offset, point + f->offset, f->n_levels * sizeof *out);
      continue;
    }
    double v = point[f->offset] * f->scale + f->center;
    out[f->offset] = f->log1p ? expm1(v) : v;
  }
}
