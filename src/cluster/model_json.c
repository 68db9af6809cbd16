/* model_json.c: a fitted clustering model to JSON and back (jansson), so a saved model
 * assigns new rows exactly as the one that was fitted.
 *
 * Key design choices: the document holds everything assignment and reporting need and
 * nothing per row (no labels, no posteriors), so its size depends on k and d, not n.
 * Doubles are written with 17 significant digits, which round-trips every finite double
 * exactly; NaN (a statistic a method does not have) is written as null. Reading trusts
 * nothing: every field is checked for presence, type, shape (k x d, k x n_cat, one block
 * per component, one probability vector per class and item) and range (finite numbers,
 * probabilities in 0..1 summing to 1, codes within their levels, positive variances)
 * before any of it is used, and the first bad field is named in err->field. Arrays are
 * nested (centroids as k arrays of d), so a shape error points at the row. The layout is
 * documented in docs/clustering.md ("Model JSON"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/judge_int.h"

#define MODEL_FORMAT "segkit-cluster-model"
#define MODEL_VERSION 1
#define MODEL_MAX_DIM 1000000 /* k, d, n_cat, levels: a sanity bound, not a real limit */

static const char *const algorithm_names[] = {"auto", "lloyd", "hamerly"};
static const char *const covariance_names[] = {"full", "diag", "spherical"};

/* ==== shared JSON helpers (judge_int.h) ================================================= */

json_t *sk__json_real_or_null(double v) {
  if (!isfinite(v))
    return json_null();
  return json_real(v);
}

json_t *sk__json_real_array(const double *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++) {
    if (json_array_append_new(a, sk__json_real_or_null(v[i])) != 0) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

bool sk__json_number(const json_t *v, double *out) {
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

/* ==== writing ============================================================================ */

/* Each helper returns false only on allocation failure. */
static bool put(json_t *obj, const char *key, json_t *v) {
  return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *matrix(const double *v, size_t rows, size_t cols) {
  json_t *a = json_array();
  for (size_t r = 0; a && r < rows; r++) {
    if (json_array_append_new(a, sk__json_real_array(v + r * cols, cols)) != 0) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

static json_t *int_matrix(const int32_t *v, size_t rows, size_t cols) {
  json_t *a = json_array();
  for (size_t r = 0; a && r < rows; r++) {
    json_t *row = json_array();
    for (size_t c = 0; row && c < cols; c++)
      if (json_array_append_new(row, json_integer(v[r * cols + c])) != 0) {
        json_decref(row);
        row = NULL;
      }
    if (json_array_append_new(a, row) != 0) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

static size_t covariance_block(segkit_gmm_covariance t, size_t d) {
  return t == SEGKIT_GMM_FULL ? d * d : t == SEGKIT_GMM_DIAG ? d : 1;
}

static json_t *item_probs_json(const segkit_cluster_model *m) {
  json_t *a = json_array();
  for (size_t c = 0; a && c < m->k; c++) {
    json_t *cls = json_array();
    for (size_t j = 0; cls && j < m->n_cat; j++) {
      const double *p = m->item_probs + c * m->sum_levels + m->item_offset[j];
      if (json_array_append_new(cls, sk__json_real_array(p, (size_t)m->levels[j])) != 0) {
        json_decref(cls);
        cls = NULL;
      }
    }
    if (json_array_append_new(a, cls) != 0) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

static bool put_method_fields(json_t *o, const segkit_cluster_model *m) {
  bool ok = true;
  if (m->n_cat > 0 && m->levels) {
    json_t *lv = json_array();
    for (size_t j = 0; lv && j < m->n_cat; j++)
      if (json_array_append_new(lv, json_integer(m->levels[j])) != 0) {
        json_decref(lv);
        lv = NULL;
      }
    ok = ok && put(o, "levels", lv);
  }
  if (m->centroids)
    ok = ok && put(o, "centroids", matrix(m->centroids, m->k, m->d));
  if (m->modes)
    ok = ok && put(o, "modes", int_matrix(m->modes, m->k, m->n_cat));
  ok = ok && put(o, "gamma", sk__json_real_or_null(m->gamma));
  if (m->method == SEGKIT_CLUSTER_GMM) {
    size_t b = covariance_block(m->covariance_type, m->d);
    ok = ok && put(o, "covariance_type", json_string(covariance_names[m->covariance_type]));
    if (m->covariances)
      ok = ok && put(o, "covariances", matrix(m->covariances, m->k, b));
    if (m->precision_chol)
      ok = ok && put(o, "precision_chol", matrix(m->precision_chol, m->k, b));
  }
  if (m->item_probs && m->item_offset && m->levels)
    ok = ok && put(o, "item_probs", item_probs_json(m));
  if (m->merges && m->n > 1)
    ok = ok && put(o, "merges", matrix(m->merges, m->n - 1, 4));
  return ok;
}

static bool put_common_fields(json_t *o, const segkit_cluster_model *m) {
  bool ok = put(o, "format", json_string(MODEL_FORMAT)) &&
            put(o, "version", json_integer(MODEL_VERSION)) &&
            put(o, "method", json_string(segkit_cluster_method_name(m->method))) &&
            put(o, "algorithm", json_string(algorithm_names[m->algorithm % 3])) &&
            put(o, "k", json_integer((json_int_t)m->k)) &&
            put(o, "d", json_integer((json_int_t)m->d)) &&
            put(o, "n_cat", json_integer((json_int_t)m->n_cat));
  if (ok && m->shares)
    ok = put(o, "shares", sk__json_real_array(m->shares, m->k));
  if (ok && m->sizes) {
    json_t *s = json_array();
    for (size_t c = 0; s && c < m->k; c++)
      if (json_array_append_new(s, json_integer((json_int_t)m->sizes[c])) != 0) {
        json_decref(s);
        s = NULL;
      }
    ok = put(o, "sizes", s);
  }
  return ok && put(o, "log_likelihood", sk__json_real_or_null(m->log_likelihood)) &&
         put(o, "n_params", json_integer((json_int_t)m->n_params)) &&
         put(o, "inertia", sk__json_real_or_null(m->inertia)) &&
         put(o, "entropy", sk__json_real_or_null(m->entropy)) &&
         put(o, "iterations", json_integer(m->iterations)) &&
         put(o, "converged", json_boolean(m->converged)) &&
         put(o, "best_start", json_integer(m->best_start));
}

segkit_status segkit_cluster_model_to_json(const segkit_cluster_model *m, char **json_out,
                                           segkit_error *err) {
  json_t *o = json_object();
  bool ok = o && put_common_fields(o, m) && put_method_fields(o, m);
  char *text = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                  : NULL;
  json_decref(o);
  if (!text)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to write the model as JSON");
  *json_out = text;
  return SEGKIT_OK;
}

/* ==== reading ============================================================================ */

typedef struct reader {
  segkit_error *err;
  char path[128];
  segkit_status status;
} reader;

static bool bad(reader *r, const char *fmt, const char *what) {
  if (r->status == SEGKIT_OK)
    r->status = segkit_error_set_at(r->err, SEGKIT_ERR_SCHEMA, NULL, 0, 0, r->path,
                                    "model JSON: field '%s': %s", r->path, fmt ? fmt : what);
  return false;
}

static bool nomem(reader *r) {
  if (r->status == SEGKIT_OK)
    r->status = segkit_error_set(r->err, SEGKIT_ERR_NOMEM, "no memory to read the model");
  return false;
}

static json_t *field(reader *r, const json_t *o, const char *key, bool required) {
  snprintf(r->path, sizeof r->path, "%s", key);
  json_t *v = json_object_get(o, key);
  if (!v && required)
    bad(r, "missing", NULL);
  return v;
}

static bool read_size(reader *r, const json_t *o, const char *key, size_t lo, size_t hi,
                      size_t *out) {
  json_t *v = field(r, o, key, true);
  if (!v)
    return false;
  if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
      json_integer_value(v) > (json_int_t)hi) {
    char msg[96];
    snprintf(msg, sizeof msg, "not an integer in %zu..%zu", lo, hi);
    return bad(r, msg, NULL);
  }
  *out = (size_t)json_integer_value(v);
  return true;
}

/* A number or null (NaN); missing is null. */
static bool read_opt_real(reader *r, const json_t *o, const char *key, double *out) {
  json_t *v = field(r, o, key, false);
  *out = NAN;
  if (!v || json_is_null(v))
    return true;
  if (!sk__json_number(v, out))
    return bad(r, "not a finite number or null", NULL);
  return true;
}

/* n finite numbers in lo..hi from array a, path prefix already in r->path. */
static bool read_reals(reader *r, const json_t *a, size_t n, double lo, double hi,
                       double *out) {
  if (!json_is_array(a) || json_array_size(a) != n) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected an array of %zu numbers", n);
    return bad(r, msg, NULL);
  }
  size_t base = strlen(r->path);
  for (size_t i = 0; i < n; i++) {
    if (!sk__json_number(json_array_get(a, i), &out[i]) || out[i] < lo || out[i] > hi) {
      snprintf(r->path + base, sizeof r->path - base, "[%zu]", i);
      char msg[96];
      snprintf(msg, sizeof msg, "expected a finite number in %g..%g", lo, hi);
      return bad(r, msg, NULL);
    }
  }
  return true;
}

/* rows arrays of cols numbers each; *out malloc'd. */
static bool read_matrix(reader *r, const json_t *o, const char *key, size_t rows, size_t cols,
                        double lo, double hi, double **out) {
  json_t *a = field(r, o, key, true);
  if (!a)
    return false;
  if (!json_is_array(a) || json_array_size(a) != rows) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected an array of %zu rows", rows);
    return bad(r, msg, NULL);
  }
  /* shapes first: the allocation is then bounded by what the document really holds */
  for (size_t i = 0; i < rows; i++) {
    json_t *row = json_array_get(a, i);
    if (!json_is_array(row) || json_array_size(row) != cols) {
      snprintf(r->path, sizeof r->path, "%s[%zu]", key, i);
      char msg[96];
      snprintf(msg, sizeof msg, "expected an array of %zu numbers", cols);
      return bad(r, msg, NULL);
    }
  }
  double *v = malloc((rows * cols > 0 ? rows * cols : 1) * sizeof *v);
  if (!v)
    return nomem(r);
  for (size_t i = 0; i < rows; i++) {
    snprintf(r->path, sizeof r->path, "%s[%zu]", key, i);
    if (!read_reals(r, json_array_get(a, i), cols, lo, hi, v + i * cols)) {
      free(v);
      return false;
    }
  }
  *out = v;
  return true;
}

static bool read_int(reader *r, const json_t *v, int64_t lo, int64_t hi, int64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected an integer in %lld..%lld", (long long)lo, (long long)hi);
    return bad(r, msg, NULL);
  }
  *out = json_integer_value(v);
  return true;
}

static bool read_header(reader *r, const json_t *o, segkit_cluster_model *m) {
  json_t *v = field(r, o, "format", true);
  if (!v)
    return false;
  if (!json_is_string(v) || strcmp(json_string_value(v), MODEL_FORMAT) != 0)
    return bad(r, "expected \"" MODEL_FORMAT "\"", NULL);
  size_t version = 0;
  if (!read_size(r, o, "version", 1, 1000000, &version))
    return false;
  if (version != MODEL_VERSION)
    return bad(r, "unsupported version (expected 1)", NULL);
  v = field(r, o, "method", true);
  if (!v)
    return false;
  int method = segkit_cluster_method_parse(json_string_value(v));
  if (method < 0)
    return bad(r, "unknown method (expected kmeans, minibatch, kprototypes, gmm, lca or ward)",
               NULL);
  m->method = (segkit_cluster_method)method;
  v = field(r, o, "algorithm", false);
  m->algorithm = SEGKIT_KMEANS_AUTO;
  if (v) {
    int found = -1;
    for (int i = 0; i < 3; i++)
      if (json_is_string(v) && strcmp(json_string_value(v), algorithm_names[i]) == 0)
        found = i;
    if (found < 0)
      return bad(r, "expected auto, lloyd or hamerly", NULL);
    m->algorithm = (segkit_kmeans_algorithm)found;
  }
  if (!read_size(r, o, "k", 1, MODEL_MAX_DIM, &m->k) ||
      !read_size(r, o, "d", 0, MODEL_MAX_DIM, &m->d) ||
      !read_size(r, o, "n_cat", 0, MODEL_MAX_DIM, &m->n_cat))
    return false;
  bool wants_num = m->method != SEGKIT_CLUSTER_LCA;
  bool wants_cat = m->method == SEGKIT_CLUSTER_LCA || m->method == SEGKIT_CLUSTER_KPROTOTYPES;
  snprintf(r->path, sizeof r->path, "d");
  if (wants_num != (m->d > 0))
    return bad(r, wants_num ? "expected d >= 1 for this method" : "expected d = 0 for lca",
               NULL);
  snprintf(r->path, sizeof r->path, "n_cat");
  if (wants_cat != (m->n_cat > 0))
    return bad(r, wants_cat ? "expected n_cat >= 1 for this method"
                            : "expected n_cat = 0 for this method",
               NULL);
  return true;
}

static bool read_levels(reader *r, const json_t *o, segkit_cluster_model *m) {
  if (m->n_cat == 0)
    return true;
  json_t *a = field(r, o, "levels", true);
  if (!a)
    return false;
  if (!json_is_array(a) || json_array_size(a) != m->n_cat)
    return bad(r, "expected an array of n_cat level counts", NULL);
  m->levels = malloc(m->n_cat * sizeof *m->levels);
  if (!m->levels)
    return nomem(r);
  for (size_t j = 0; j < m->n_cat; j++) {
    int64_t v = 0;
    snprintf(r->path, sizeof r->path, "levels[%zu]", j);
    if (!read_int(r, json_array_get(a, j), 1, MODEL_MAX_DIM, &v))
      return false;
    m->levels[j] = (int32_t)v;
  }
  return true;
}

static bool read_modes(reader *r, const json_t *o, segkit_cluster_model *m) {
  json_t *a = field(r, o, "modes", true);
  if (!a)
    return false;
  if (!json_is_array(a) || json_array_size(a) != m->k)
    return bad(r, "expected k rows of n_cat codes", NULL);
  m->modes = malloc(m->k * m->n_cat * sizeof *m->modes);
  if (!m->modes)
    return nomem(r);
  for (size_t c = 0; c < m->k; c++) {
    json_t *row = json_array_get(a, c);
    snprintf(r->path, sizeof r->path, "modes[%zu]", c);
    if (!json_is_array(row) || json_array_size(row) != m->n_cat)
      return bad(r, "expected n_cat codes", NULL);
    for (size_t j = 0; j < m->n_cat; j++) {
      int64_t v = 0;
      snprintf(r->path, sizeof r->path, "modes[%zu][%zu]", c, j);
      if (!read_int(r, json_array_get(row, j), 0, m->levels[j] - 1, &v))
        return false;
      m->modes[c * m->n_cat + j] = (int32_t)v;
    }
  }
  return true;
}

static bool read_gmm(reader *r, const json_t *o, segkit_cluster_model *m) {
  json_t *v = field(r, o, "covariance_type", true);
  if (!v)
    return false;
  int found = -1;
  for (int i = 0; i < 3; i++)
    if (json_is_string(v) && strcmp(json_string_value(v), covariance_names[i]) == 0)
      found = i;
  if (found < 0)
    return bad(r, "expected full, diag or spherical", NULL);
  m->covariance_type = (segkit_gmm_covariance)found;
  size_t b = covariance_block(m->covariance_type, m->d); /* d <= 1e6: no overflow */
  if (!read_matrix(r, o, "covariances", m->k, b, -INFINITY, INFINITY, &m->covariances))
    return false;
  /* variances (the diagonal) must be positive for assignment to be defined */
  for (size_t c = 0; c < m->k; c++)
    for (size_t j = 0; j < (m->covariance_type == SEGKIT_GMM_SPHERICAL ? 1 : m->d); j++) {
      size_t at = m->covariance_type == SEGKIT_GMM_FULL ? j * m->d + j : j;
      if (!(m->covariances[c * b + at] > 0)) {
        snprintf(r->path, sizeof r->path, "covariances[%zu][%zu]", c, at);
        return bad(r, "a variance must be > 0", NULL);
      }
    }
  if (json_object_get(o, "precision_chol"))
    return read_matrix(r, o, "precision_chol", m->k, b, -INFINITY, INFINITY,
                       &m->precision_chol);
  return true;
}

static bool read_item_probs(reader *r, const json_t *o, segkit_cluster_model *m) {
  json_t *a = field(r, o, "item_probs", true);
  if (!a)
    return false;
  if (!json_is_array(a) || json_array_size(a) != m->k)
    return bad(r, "expected k classes of n_cat probability vectors", NULL);
  m->item_offset = malloc(m->n_cat * sizeof *m->item_offset);
  if (!m->item_offset)
    return nomem(r);
  size_t sum = 0;
  for (size_t j = 0; j < m->n_cat; j++) {
    m->item_offset[j] = sum;
    sum += (size_t)m->levels[j];
  }
  m->sum_levels = sum;
  m->item_probs = malloc(m->k * sum * sizeof *m->item_probs);
  if (!m->item_probs)
    return nomem(r);
  for (size_t c = 0; c < m->k; c++) {
    json_t *cls = json_array_get(a, c);
    snprintf(r->path, sizeof r->path, "item_probs[%zu]", c);
    if (!json_is_array(cls) || json_array_size(cls) != m->n_cat)
      return bad(r, "expected n_cat probability vectors", NULL);
    for (size_t j = 0; j < m->n_cat; j++) {
      double *p = m->item_probs + c * sum + m->item_offset[j];
      snprintf(r->path, sizeof r->path, "item_probs[%zu][%zu]", c, j);
      if (!read_reals(r, json_array_get(cls, j), (size_t)m->levels[j], 0, 1, p))
        return false;
      double total = 0;
      for (int32_t l = 0; l < m->levels[j]; l++)
        total += p[l];
      snprintf(r->path, sizeof r->path, "item_probs[%zu][%zu]", c, j);
      if (fabs(total - 1) > 1e-6)
        return bad(r, "probabilities do not sum to 1", NULL);
    }
  }
  return true;
}

/* Ward's merges are checked (ids refer to earlier clusters, sizes 2..n) but not kept: a
 * loaded model has n = 0, and segkit_cluster_model_merges has no count to give with them.
 * They are in the document for readers of the dendrogram (dashboard, report). */
static bool read_merges(reader *r, const json_t *o, double **merges, size_t *n_merges) {
  json_t *a = field(r, o, "merges", false);
  if (!a)
    return true;
  if (!json_is_array(a) || json_array_size(a) > 20000)
    return bad(r, "expected an array of at most 20000 merges", NULL);
  size_t rows = json_array_size(a);
  if (!read_matrix(r, o, "merges", rows, 4, 0, INFINITY, merges))
    return false;
  *n_merges = rows;
  size_t n = rows + 1;
  for (size_t i = 0; i < rows; i++) {
    const double *z = *merges + i * 4;
    snprintf(r->path, sizeof r->path, "merges[%zu]", i);
    if (z[0] != floor(z[0]) || z[1] != floor(z[1]) || z[0] >= (double)(n + i) ||
        z[1] >= (double)(n + i) || z[0] == z[1] || z[3] != floor(z[3]) || z[3] < 2 ||
        z[3] > (double)n)
      return bad(r, "expected two earlier cluster ids, a height and a size 2..n", NULL);
  }
  return true;
}

static bool read_shares_sizes(reader *r, const json_t *o, segkit_cluster_model *m) {
  json_t *s = field(r, o, "shares", true);
  if (!s)
    return false;
  m->shares = malloc(m->k * sizeof *m->shares);
  if (!m->shares)
    return nomem(r);
  if (!read_reals(r, s, m->k, 0, 1, m->shares))
    return false;
  double total = 0;
  for (size_t c = 0; c < m->k; c++)
    total += m->shares[c];
  snprintf(r->path, sizeof r->path, "shares");
  if (fabs(total - 1) > 1e-6)
    return bad(r, "shares do not sum to 1", NULL);
  json_t *a = field(r, o, "sizes", true);
  if (!a)
    return false;
  if (!json_is_array(a) || json_array_size(a) != m->k)
    return bad(r, "expected k row counts", NULL);
  m->sizes = malloc(m->k * sizeof *m->sizes);
  if (!m->sizes)
    return nomem(r);
  for (size_t c = 0; c < m->k; c++) {
    int64_t v = 0;
    snprintf(r->path, sizeof r->path, "sizes[%zu]", c);
    if (!read_int(r, json_array_get(a, c), 0, INT64_MAX, &v))
      return false;
    m->sizes[c] = (size_t)v;
  }
  return true;
}

static bool read_statistics(reader *r, const json_t *o, segkit_cluster_model *m) {
  if (!read_opt_real(r, o, "log_likelihood", &m->log_likelihood) ||
      !read_opt_real(r, o, "inertia", &m->inertia) ||
      !read_opt_real(r, o, "entropy", &m->entropy) || !read_opt_real(r, o, "gamma", &m->gamma))
    return false;
  if (isnan(m->gamma))
    m->gamma = 0;
  snprintf(r->path, sizeof r->path, "gamma");
  if (m->gamma < 0)
    return bad(r, "expected a number >= 0", NULL);
  size_t v = 0;
  if (!read_size(r, o, "n_params", 0, (size_t)INT64_MAX, &m->n_params) ||
      !read_size(r, o, "iterations", 0, INT32_MAX, &v))
    return false;
  m->iterations = (int)v;
  if (!read_size(r, o, "best_start", 0, INT32_MAX, &v))
    return false;
  m->best_start = (int)v;
  json_t *c = field(r, o, "converged", true);
  if (!c)
    return false;
  if (!json_is_boolean(c))
    return bad(r, "expected true or false", NULL);
  m->converged = json_is_true(c);
  return true;
}

static bool read_model(reader *r, const json_t *o, segkit_cluster_model *m, double **merges,
                       size_t *n_merges) {
  if (!json_is_object(o)) {
    snprintf(r->path, sizeof r->path, "(document)");
    return bad(r, "expected a JSON object", NULL);
  }
  if (!read_header(r, o, m) || !read_levels(r, o, m) || !read_shares_sizes(r, o, m) ||
      !read_statistics(r, o, m))
    return false;
  if (m->method != SEGKIT_CLUSTER_LCA &&
      !read_matrix(r, o, "centroids", m->k, m->d, -INFINITY, INFINITY, &m->centroids))
    return false;
  if (m->method == SEGKIT_CLUSTER_KPROTOTYPES && !read_modes(r, o, m))
    return false;
  if (m->method == SEGKIT_CLUSTER_GMM && !read_gmm(r, o, m))
    return false;
  if (m->method == SEGKIT_CLUSTER_LCA && !read_item_probs(r, o, m))
    return false;
  return read_merges(r, o, merges, n_merges);
}

segkit_status segkit_cluster_model_from_json(const char *json, segkit_cluster_model **out,
                                             segkit_error *err) {
  *out = NULL;
  json_error_t jerr;
  json_t *o = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &jerr);
  if (!o)
    return segkit_error_set_at(err, SEGKIT_ERR_PARSE, NULL, jerr.line, jerr.column, NULL,
                               "model JSON: %s", jerr.text);
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_KMEANS, 0, 0, 0);
  if (!m) {
    json_decref(o);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory to read the model");
  }
  reader r = {err, "", SEGKIT_OK};
  double *merges = NULL;
  size_t n_merges = 0;
  bool ok = read_model(&r, o, m, &merges, &n_merges);
  json_decref(o);
  free(merges);
  if (!ok) {
    segkit_cluster_model_free(m);
    return r.status;
  }
  *out = m;
  return SEGKIT_OK;
}
