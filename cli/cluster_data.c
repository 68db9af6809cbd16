/* The data side of segkit cluster: a table's chosen columns turned into what a method
 * takes, and the same again for new rows from a saved model. Numbers (and, for the
 * distance methods, text categories as one-hot columns) go through the library's fitted
 * preprocessing; for latent classes every feature, and for k-prototypes every text
 * feature, stays a category: its levels are the distinct values in sorted order (numbers
 * numerically, so a 1-5 scale keeps its order), stored with the model so new rows get the
 * same codes. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster_cli.h"

void cli_cluster_data_free(cli_cluster_data *d) {
  free(d->x);
  free(d->cat);
  free(d->levels);
  free(d->row_index);
  free(d->weights);
  segkit_prep_free(d->prep);
  json_decref(d->cat_levels);
  memset(d, 0, sizeof *d);
}

/* Whether column c is kept as a category for this method. */
static bool is_categorical(const segkit_column *c, segkit_cluster_method m) {
  if (m == SEGKIT_CLUSTER_LCA) {
    return true;
  }
  return m == SEGKIT_CLUSTER_KPROTOTYPES && segkit_column_type(c) == SEGKIT_TYPE_STRING;
}

/* A cell as level text ("3", "pro"); false for null or a type that cannot be a category. */
static bool level_text(const segkit_column *c, size_t row, char *buf, size_t size) {
  if (!segkit_column_is_valid(c, row)) {
    return false;
  }
  switch (segkit_column_type(c)) {
  case SEGKIT_TYPE_INT64:
    snprintf(buf, size, "%lld", (long long)segkit_column_int64(c)[row]);
    return true;
  case SEGKIT_TYPE_BOOL:
    snprintf(buf, size, "%s", segkit_column_bool(c)[row] ? "true" : "false");
    return true;
  case SEGKIT_TYPE_STRING:
    snprintf(buf, size, "%s", segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL));
    return true;
  case SEGKIT_TYPE_FLOAT64:
    if (isnan(segkit_column_float64(c)[row])) {
      return false;
    }
    snprintf(buf, size, "%.15g", segkit_column_float64(c)[row]);
    return true;
  default:
    return false;
  }
}

static int cmp_level(const void *a, const void *b) {
  const char *x = json_string_value(*(json_t *const *)a);
  const char *y = json_string_value(*(json_t *const *)b);
  char *ex = NULL;
  char *ey = NULL;
  double u = strtod(x, &ex);
  double v = strtod(y, &ey);
  if (*x != '\0' && *y != '\0' && *ex == '\0' && *ey == '\0') {
    return (u > v) - (u < v);
  }
  return strcmp(x, y);
}

/* Sorted distinct level texts of a column over the given rows, as a JSON array. */
static json_t *column_levels(const segkit_column *c, const size_t *rows, size_t n) {
  json_t *seen = json_object();
  char buf[512];
  for (size_t i = 0; i < n; i++) {
    if (level_text(c, rows[i], buf, sizeof buf)) {
      json_object_set_new(seen, buf, json_true());
    }
  }
  size_t m = json_object_size(seen);
  json_t **items = malloc((m + 1) * sizeof *items);
  size_t k = 0;
  const char *key;
  json_t *v;
  json_object_foreach(seen, key, v) {
    if (items != NULL) {
      items[k++] = json_string(key);
    }
  }
  json_t *arr = json_array();
  if (items != NULL) {
    qsort(items, k, sizeof *items, cmp_level);
    for (size_t i = 0; i < k; i++) {
      json_array_append_new(arr, items[i]);
    }
  }
  free(items);
  json_decref(seen);
  return arr;
}

static long level_code(json_t *levels, const char *text) {
  for (size_t i = 0; i < json_array_size(levels); i++) {
    if (strcmp(json_string_value(json_array_get(levels, i)), text) == 0) {
      return (long)i;
    }
  }
  return -1;
}

/* Fill d->cat for the rows d->row_index from the categorical columns and their levels;
 * rows with a missing or unseen category are dropped unless the method (LCA) models
 * missing answers. */
static int fill_codes(const segkit_table *t, const cli_cluster_spec *spec, cli_cluster_data *d) {
  size_t nc = json_array_size(d->cat_levels);
  d->n_cat = nc;
  d->cat = malloc((d->n * nc + 1) * sizeof *d->cat);
  d->levels = malloc((nc + 1) * sizeof *d->levels);
  if (d->cat == NULL || d->levels == NULL) {
    fprintf(stderr, "segkit: out of memory\n");
    return CLI_EXIT_ENV;
  }
  bool lca = spec->method == SEGKIT_CLUSTER_LCA;
  /* Each item's column and levels, resolved once rather than per row. */
  const segkit_column **cols = malloc((nc + 1) * sizeof *cols);
  json_t **levels = malloc((nc + 1) * sizeof *levels);
  if (cols == NULL || levels == NULL) {
    free(cols);
    free(levels);
    fprintf(stderr, "segkit: out of memory\n");
    return CLI_EXIT_ENV;
  }
  for (size_t j = 0; j < nc; j++) {
    json_t *item = json_array_get(d->cat_levels, j);
    const char *col = json_string_value(json_object_get(item, "column"));
    levels[j] = json_object_get(item, "levels");
    d->levels[j] = (int32_t)json_array_size(levels[j]);
    cols[j] = segkit_table_column(t, (size_t)segkit_table_column_index(t, col));
  }
  size_t kept = 0;
  char buf[512];
  for (size_t i = 0; i < d->n; i++) {
    bool ok = true;
    for (size_t j = 0; j < nc; j++) {
      bool present = level_text(cols[j], d->row_index[i], buf, sizeof buf);
      long code = present ? level_code(levels[j], buf) : -1;
      if (code < 0 && !lca) {
        ok = false;
      }
      if (code < 0 && present) {
        d->n_unseen++;
      }
      d->cat[kept * nc + j] = (int32_t)code;
    }
    if (!ok) {
      d->n_dropped++;
      continue;
    }
    if (kept != i) {
      if (d->d > 0) {
        memmove(d->x + kept * d->d, d->x + i * d->d, d->d * sizeof *d->x);
      }
      d->row_index[kept] = d->row_index[i];
      d->weights[kept] = d->weights[i];
    }
    kept++;
  }
  d->n = kept;
  free(cols);
  free(levels);
  return 0;
}

static bool split_names(const char *spec, char *buf, size_t size, const char **out, size_t max,
                        size_t *n) {
  *n = 0;
  if (spec == NULL || strlen(spec) >= size) {
    return false;
  }
  snprintf(buf, size, "%s", spec);
  return cli_split_list(buf, out, max, n);
}

static bool listed(const char *const *names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(names[i], name) == 0) {
      return true;
    }
  }
  return false;
}

int cli_cluster_spec_parse(cli_args *a, cli_cluster_spec *s) {
  if (!split_names(cli_get(a, "features"), s->features_buf, sizeof s->features_buf, s->features,
                   CLI_CLUSTER_MAX_FEATURES, &s->n_features)) {
    return cli_usage_error("cluster", "--features needs 1 to %d column names separated by "
                                      "commas",
                           CLI_CLUSTER_MAX_FEATURES);
  }
  const char *log1p = cli_get(a, "log1p");
  if (log1p != NULL && !split_names(log1p, s->log1p_buf, sizeof s->log1p_buf, s->log1p,
                                    CLI_CLUSTER_MAX_FEATURES, &s->n_log1p)) {
    return cli_usage_error("cluster", "--log1p needs column names separated by commas");
  }
  for (size_t i = 0; i < s->n_log1p; i++) {
    if (!listed(s->features, s->n_features, s->log1p[i])) {
      return cli_usage_error("cluster", "--log1p names '%s', which is not among --features",
                             s->log1p[i]);
    }
  }
  const char *scale = cli_get(a, "scale");
  s->scale = SEGKIT_SCALE_ZSCORE;
  if (scale != NULL) {
    if (strcmp(scale, "zscore") == 0) {
      s->scale = SEGKIT_SCALE_ZSCORE;
    } else if (strcmp(scale, "robust") == 0) {
      s->scale = SEGKIT_SCALE_ROBUST;
    } else if (strcmp(scale, "none") == 0) {
      s->scale = SEGKIT_SCALE_NONE;
    } else {
      return cli_usage_error("cluster", "--scale must be zscore, robust or none, not '%s'", scale);
    }
  }
  const char *missing = cli_get(a, "missing");
  static const char *const policies[] = {"drop", "mean", "median", "mode"};
  s->missing = SEGKIT_MISSING_DROP;
  if (missing != NULL) {
    size_t i = 0;
    while (i < 4 && strcmp(missing, policies[i]) != 0) {
      i++;
    }
    if (i == 4) {
      return cli_usage_error("cluster", "--missing must be drop, mean, median or mode, not '%s'",
                             missing);
    }
    s->missing = (segkit_missing)i;
  }
  s->winsor = 0;
  const char *w = cli_get(a, "winsor");
  if (w != NULL) {
    char *end = NULL;
    s->winsor = strtod(w, &end);
    if (end == w || *end != '\0' || !(s->winsor > 0 && s->winsor < 0.5)) {
      return cli_usage_error("cluster", "--winsor must be a share between 0 and 0.5 (0.01 clips "
                                        "to the 1st and 99th percentiles), not '%s'",
                             w);
    }
  }
  s->weight = cli_get(a, "weight");
  return 0;
}

/* The features that go through the preprocessing (all but the categories kept as codes). */
static int prep_fit(const segkit_table *t, const cli_cluster_spec *s, cli_cluster_data *d) {
  segkit_prep_feature feats[CLI_CLUSTER_MAX_FEATURES];
  size_t n = 0;
  for (size_t i = 0; i < s->n_features; i++) {
    const segkit_column *c =
        segkit_table_column(t, (size_t)segkit_table_column_index(t, s->features[i]));
    if (is_categorical(c, s->method)) {
      continue;
    }
    segkit_prep_feature *f = &feats[n++];
    memset(f, 0, sizeof *f);
    f->column = s->features[i];
    f->log1p = listed(s->log1p, s->n_log1p, s->features[i]);
    f->winsor_lower = s->winsor;
    f->winsor_upper = s->winsor > 0 ? 1 - s->winsor : 1;
  }
  if (n == 0) {
    return 0;
  }
  segkit_prep_options po;
  segkit_prep_options_init(&po);
  po.features = feats;
  po.n_features = n;
  po.scale = s->scale;
  po.missing = s->missing;
  po.weight_column = s->weight;
  segkit_error err;
  if (segkit_prep_fit(t, &po, &d->prep, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  return 0;
}

/* x, row_index and weights for the rows of t: through the preprocessing when there is one,
 * else every row (categories only). */
static int transform(const segkit_table *t, cli_cluster_data *d, bool want_weights) {
  segkit_error err;
  if (d->prep != NULL) {
    if (segkit_prep_transform(d->prep, t, &d->x, &d->n, &d->row_index,
                              want_weights ? &d->weights : NULL, &d->n_unseen, &err) !=
        SEGKIT_OK) {
      return cli_report(&err);
    }
    d->d = segkit_prep_dims(d->prep);
    d->n_dropped = segkit_table_n_rows(t) - d->n;
  } else {
    d->n = segkit_table_n_rows(t);
    d->row_index = malloc((d->n + 1) * sizeof *d->row_index);
    for (size_t i = 0; d->row_index != NULL && i < d->n; i++) {
      d->row_index[i] = i;
    }
  }
  if (d->weights == NULL) {
    d->weights = malloc((d->n + 1) * sizeof *d->weights);
    for (size_t i = 0; d->weights != NULL && i < d->n; i++) {
      d->weights[i] = 1.0;
    }
  }
  if (d->row_index == NULL || d->weights == NULL) {
    fprintf(stderr, "segkit: out of memory\n");
    return CLI_EXIT_ENV;
  }
  return 0;
}

int cli_cluster_data_fit(const segkit_table *t, const cli_cluster_spec *s, cli_cluster_data *d) {
  memset(d, 0, sizeof *d);
  for (size_t i = 0; i < s->n_features; i++) {
    if (segkit_table_column_index(t, s->features[i]) < 0) {
      return cli_usage_error("cluster", "no column '%s' to cluster on", s->features[i]);
    }
  }
  int rc = prep_fit(t, s, d);
  if (rc == 0) {
    rc = transform(t, d, s->weight != NULL);
  }
  d->cat_levels = json_array();
  for (size_t i = 0; rc == 0 && i < s->n_features; i++) {
    const segkit_column *c =
        segkit_table_column(t, (size_t)segkit_table_column_index(t, s->features[i]));
    if (!is_categorical(c, s->method)) {
      continue;
    }
    if (segkit_column_type(c) == SEGKIT_TYPE_DATE || segkit_column_type(c) == SEGKIT_TYPE_TIMESTAMP) {
      return cli_usage_error("cluster", "column '%s' holds times: derive a number or a category "
                                        "from it first",
                             s->features[i]);
    }
    json_t *levels = column_levels(c, d->row_index, d->n);
    if (json_array_size(levels) > CLI_CLUSTER_MAX_LEVELS) {
      json_decref(levels);
      return cli_usage_error("cluster", "column '%s' has more than %d distinct values: not a "
                                        "category (an id?)",
                             s->features[i], CLI_CLUSTER_MAX_LEVELS);
    }
    json_array_append_new(d->cat_levels,
                          json_pack("{s:s, s:o}", "column", s->features[i], "levels", levels));
  }
  if (rc == 0 && json_array_size(d->cat_levels) > 0) {
    rc = fill_codes(t, s, d);
  }
  if (rc == 0 && d->n == 0) {
    rc = cli_usage_error("cluster", "no rows left to cluster (every row has a missing value; "
                                    "try --missing mean)");
  }
  return rc;
}

int cli_cluster_data_apply(const segkit_table *t, const cli_cluster_spec *s, json_t *prep_json,
                           json_t *cat_levels, cli_cluster_data *d) {
  memset(d, 0, sizeof *d);
  segkit_error err;
  if (prep_json != NULL && !json_is_null(prep_json)) {
    char *text = json_dumps(prep_json, JSON_COMPACT);
    segkit_status st = text != NULL ? segkit_prep_from_json(text, &d->prep, &err)
                                    : segkit_error_set(&err, SEGKIT_ERR_NOMEM, "out of memory");
    free(text);
    if (st != SEGKIT_OK) {
      return cli_report(&err);
    }
  }
  int rc = transform(t, d, false);
  d->cat_levels = json_incref(cat_levels);
  for (size_t j = 0; rc == 0 && j < json_array_size(cat_levels); j++) {
    const char *col = json_string_value(json_object_get(json_array_get(cat_levels, j), "column"));
    if (col == NULL || segkit_table_column_index(t, col) < 0) {
      rc = cli_usage_error("cluster", "the rows have no column '%s', which the model uses",
                           col != NULL ? col : "?");
    }
  }
  if (rc == 0 && json_array_size(cat_levels) > 0) {
    rc = fill_codes(t, s, d);
  }
  return rc;
}

void cli_cluster_data_view(const cli_cluster_data *d, segkit_cluster_data *out) {
  memset(out, 0, sizeof *out);
  out->x = d->d > 0 ? d->x : NULL;
  out->n = d->n;
  out->d = d->d;
  out->cat = d->n_cat > 0 ? d->cat : NULL;
  out->n_cat = d->n_cat;
  out->levels = d->n_cat > 0 ? d->levels : NULL;
  out->weights = d->weights;
}
