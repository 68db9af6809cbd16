/* model.c: the clustering model object shared by every method — creation, tallies,
 * getters, option defaults, and the two entry points (segkit_cluster_fit,
 * segkit_cluster_assign) that check the data once for all methods and dispatch. Checking
 * here keeps each method's file about its algorithm; a method may assume n >= 1, k >= 1,
 * finite numbers, non-negative weights and codes in range. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"

static const char *const method_names[] = {"kmeans", "minibatch", "kprototypes",
                                           "gmm",    "lca",       "ward"};
enum { N_METHODS = sizeof method_names / sizeof method_names[0] };

const char *segkit_cluster_method_name(segkit_cluster_method m) {
  if ((unsigned)m >= N_METHODS)
    return "unknown";
  return method_names[m];
}

int segkit_cluster_method_parse(const char *name) {
  if (!name)
    return -1;
  for (int i = 0; i < N_METHODS; i++)
    if (strcmp(name, method_names[i]) == 0)
      return i;
  return -1;
}

void segkit_cluster_options_init(segkit_cluster_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->method = SEGKIT_CLUSTER_KMEANS;
  opt->k = 2;
  opt->restarts = 0;  /* 0 = the method's default, see cluster.h */
  opt->max_iter = 0;
  opt->tol = 0;
  opt->algorithm = SEGKIT_KMEANS_AUTO;
  opt->batch_size = 1024;
  opt->covariance = SEGKIT_GMM_FULL;
  opt->reg_covar = 1e-6;
  opt->gamma = 0;
}

segkit_cluster_model *sk__cluster_model_new(segkit_cluster_method method, size_t k, size_t d,
                                            size_t n_cat) {
  segkit_cluster_model *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->method = method;
  m->k = k;
  m->d = d;
  m->n_cat = n_cat;
  m->log_likelihood = NAN;
  m->entropy = NAN;
  m->inertia = NAN;
  return m;
}

bool sk__cluster_model_tally(segkit_cluster_model *m, const double *weights) {
  free(m->sizes);
  free(m->shares);
  m->sizes = calloc(m->k ? m->k : 1, sizeof *m->sizes);
  m->shares = calloc(m->k ? m->k : 1, sizeof *m->shares);
  if (!m->sizes || !m->shares)
    return false;
  double total = 0;
  for (size_t i = 0; i < m->n; i++) {
    int32_t c = m->labels[i];
    double w = weights ? weights[i] : 1.0;
    m->sizes[c]++;
    m->shares[c] += w;
    total += w;
  }
  for (size_t c = 0; c < m->k; c++)
    m->shares[c] = total > 0 ? m->shares[c] / total : 0;
  return true;
}

void segkit_cluster_model_free(segkit_cluster_model *m) {
  if (!m)
    return;
  free(m->levels);
  free(m->labels);
  free(m->posteriors);
  free(m->sizes);
  free(m->shares);
  free(m->centroids);
  free(m->modes);
  free(m->covariances);
  free(m->precision_chol);
  free(m->item_probs);
  free(m->item_offset);
  free(m->merges);
  free(m);
}

segkit_cluster_method segkit_cluster_model_method(const segkit_cluster_model *m) {
  return m->method;
}
size_t segkit_cluster_model_k(const segkit_cluster_model *m) { return m->k; }
size_t segkit_cluster_model_d(const segkit_cluster_model *m) { return m->d; }
size_t segkit_cluster_model_n_cat(const segkit_cluster_model *m) { return m->n_cat; }
size_t segkit_cluster_model_n(const segkit_cluster_model *m) { return m->n; }
const int32_t *segkit_cluster_model_labels(const segkit_cluster_model *m) { return m->labels; }
const size_t *segkit_cluster_model_sizes(const segkit_cluster_model *m) { return m->sizes; }
const double *segkit_cluster_model_shares(const segkit_cluster_model *m) { return m->shares; }
const double *segkit_cluster_model_centroids(const segkit_cluster_model *m) {
  return m->centroids;
}
double segkit_cluster_model_inertia(const segkit_cluster_model *m) { return m->inertia; }
double segkit_cluster_model_log_likelihood(const segkit_cluster_model *m) {
  return m->log_likelihood;
}
size_t segkit_cluster_model_n_params(const segkit_cluster_model *m) { return m->n_params; }

double segkit_cluster_model_bic(const segkit_cluster_model *m) {
  if (isnan(m->log_likelihood) || m->n == 0)
    return NAN;
  return -2.0 * m->log_likelihood + (double)m->n_params * log((double)m->n);
}

double segkit_cluster_model_aic(const segkit_cluster_model *m) {
  if (isnan(m->log_likelihood))
    return NAN;
  return -2.0 * m->log_likelihood + 2.0 * (double)m->n_params;
}

const double *segkit_cluster_model_posteriors(const segkit_cluster_model *m) {
  return m->posteriors;
}
double segkit_cluster_model_entropy(const segkit_cluster_model *m) { return m->entropy; }
segkit_gmm_covariance segkit_cluster_model_covariance_type(const segkit_cluster_model *m) {
  return m->covariance_type;
}

const double *segkit_cluster_model_covariance(const segkit_cluster_model *m, size_t c) {
  if (!m->covariances || c >= m->k)
    return NULL;
  size_t block = m->covariance_type == SEGKIT_GMM_FULL   ? m->d * m->d
                 : m->covariance_type == SEGKIT_GMM_DIAG ? m->d
                                                         : 1;
  return m->covariances + c * block;
}

const double *segkit_cluster_model_item_probs(const segkit_cluster_model *m, size_t c,
                                              size_t j) {
  if (!m->item_probs || c >= m->k || j >= m->n_cat)
    return NULL;
  return m->item_probs + c * m->sum_levels + m->item_offset[j];
}

const int32_t *segkit_cluster_model_levels(const segkit_cluster_model *m) { return m->levels; }
const int32_t *segkit_cluster_model_modes(const segkit_cluster_model *m) { return m->modes; }
const double *segkit_cluster_model_merges(const segkit_cluster_model *m) { return m->merges; }
int segkit_cluster_model_iterations(const segkit_cluster_model *m) { return m->iterations; }
bool segkit_cluster_model_converged(const segkit_cluster_model *m) { return m->converged; }
int segkit_cluster_model_best_start(const segkit_cluster_model *m) { return m->best_start; }
segkit_kmeans_algorithm segkit_cluster_model_algorithm(const segkit_cluster_model *m) {
  return m->algorithm;
}

/* ---- checks shared by fit and assign ------------------------------------------------- */

static bool method_wants_numeric(segkit_cluster_method m) {
  return m != SEGKIT_CLUSTER_LCA;
}
static bool method_wants_categorical(segkit_cluster_method m) {
  return m == SEGKIT_CLUSTER_LCA || m == SEGKIT_CLUSTER_KPROTOTYPES;
}

static segkit_status check_data(const segkit_cluster_data *data, segkit_cluster_method method,
                                segkit_error *err) {
  const char *name = segkit_cluster_method_name(method);
  if (!data || data->n == 0)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "%s: no rows to cluster", name);
  if (method_wants_numeric(method) && (data->d == 0 || !data->x))
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%s needs numeric columns (none given)",
                            name);
  if (!method_wants_numeric(method) && data->d > 0)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "%s takes categorical items only (%zu numeric columns given)",
                            name, data->d);
  if (method_wants_categorical(method) && (data->n_cat == 0 || !data->cat || !data->levels))
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "%s needs categorical columns (none given)",
                            name);
  if (!method_wants_categorical(method) && data->n_cat > 0)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "%s takes numeric columns only (%zu categorical given; one-hot "
                            "encode them first)",
                            name, data->n_cat);
  for (size_t i = 0; i < data->n; i++) {
    const double *row = data->x ? data->x + i * data->d : NULL;
    for (size_t j = 0; j < data->d; j++)
      if (!isfinite(row[j]))
        return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                "row %zu, column %zu: value is not a finite number", i + 1,
                                j + 1);
    for (size_t j = 0; j < data->n_cat; j++) {
      int32_t code = data->cat[i * data->n_cat + j];
      bool missing_ok = method == SEGKIT_CLUSTER_LCA;
      if ((code < 0 && !(missing_ok && code == -1)) || code >= data->levels[j])
        return segkit_error_set(err, SEGKIT_ERR_USAGE,
                                "row %zu, item %zu: code %d out of range (expected 0..%d%s)",
                                i + 1, j + 1, (int)code, (int)data->levels[j] - 1,
                                missing_ok ? " or -1 for missing" : "");
    }
    if (data->weights && !(data->weights[i] >= 0 && isfinite(data->weights[i])))
      return segkit_error_set(err, SEGKIT_ERR_USAGE,
                              "row %zu: weight %g (expected a finite number >= 0)", i + 1,
                              data->weights[i]);
  }
  for (size_t j = 0; j < data->n_cat; j++)
    if (data->levels[j] < 1)
      return segkit_error_set(err, SEGKIT_ERR_USAGE, "item %zu: %d levels (expected >= 1)",
                              j + 1, (int)data->levels[j]);
  return SEGKIT_OK;
}

segkit_status segkit_cluster_fit(const segkit_cluster_data *data,
                                 const segkit_cluster_options *opt,
                                 segkit_cluster_model **out, segkit_error *err) {
  *out = NULL;
  if (!opt || (unsigned)opt->method >= N_METHODS)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "unknown clustering method");
  if (opt->k < 1)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "k = %zu (expected k >= 1)", opt->k);
  if (opt->restarts < 0 || opt->max_iter < 0 || opt->tol < 0 || !(opt->reg_covar >= 0) ||
      opt->gamma < 0)
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "negative restarts, max_iter, tol, reg_covar or gamma");
  segkit_status st = check_data(data, opt->method, err);
  if (st != SEGKIT_OK)
    return st;
  if (opt->k > data->n)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "k = %zu but only %zu rows", opt->k,
                            data->n);
  switch (opt->method) {
  case SEGKIT_CLUSTER_KMEANS:
    return sk__kmeans_fit(data, opt, out, err);
  case SEGKIT_CLUSTER_MINIBATCH:
    return sk__minibatch_fit(data, opt, out, err);
  case SEGKIT_CLUSTER_KPROTOTYPES:
    return sk__kprototypes_fit(data, opt, out, err);
  case SEGKIT_CLUSTER_GMM:
    return sk__gmm_fit(data, opt, out, err);
  case SEGKIT_CLUSTER_LCA:
    return sk__lca_fit(data, opt, out, err);
  case SEGKIT_CLUSTER_WARD:
    return sk__ward_fit(data, opt, out, err);
  }
  return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "unhandled method");
}

segkit_status segkit_cluster_assign(const segkit_cluster_model *m,
                                    const segkit_cluster_data *data, int32_t *labels,
                                    segkit_error *err) {
  segkit_status st = check_data(data, m->method, err);
  if (st != SEGKIT_OK)
    return st;
  if (data->d != m->d || data->n_cat != m->n_cat)
    return segkit_error_set(err, SEGKIT_ERR_SCHEMA,
                            "rows have %zu numeric and %zu categorical columns; the model "
                            "was fitted on %zu and %zu",
                            data->d, data->n_cat, m->d, m->n_cat);
  for (size_t j = 0; j < m->n_cat; j++)
    if (data->levels[j] > m->levels[j])
      return segkit_error_set(err, SEGKIT_ERR_SCHEMA,
                              "item %zu has %d levels; the model knows %d", j + 1,
                              (int)data->levels[j], (int)m->levels[j]);
  switch (m->method) {
  case SEGKIT_CLUSTER_KMEANS:
  case SEGKIT_CLUSTER_MINIBATCH:
  case SEGKIT_CLUSTER_WARD:
    return sk__kmeans_assign(m, data, labels, err);
  case SEGKIT_CLUSTER_KPROTOTYPES:
    return sk__kprototypes_assign(m, data, labels, err);
  case SEGKIT_CLUSTER_GMM:
    return sk__gmm_assign(m, data, labels, err);
  case SEGKIT_CLUSTER_LCA:
    return sk__lca_assign(m, data, labels, err);
  }
  return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "unhandled method");
}
