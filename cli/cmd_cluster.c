/* segkit cluster: find segments in data when no rule is known. fit clusters a dataset's
 * chosen columns with one method at one k, or sweeps a range of k and recommends one
 * (docs/clustering.md); --save keeps the model (preprocessing included) in the workspace
 * and the labels as a dataset, so `metrics --customers NAME --by cluster` splits by them;
 * show prints a saved model; assign types new rows with it; list and rm manage them. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cluster_cli.h"

static const cli_opt cluster_opts[] = {
    {"dataset", CLI_OPT_VALUE, "NAME", "the dataset to cluster (fit) or to type (assign); or give a FILE"},
    {"features", CLI_OPT_VALUE, "COL[,COL]", "columns to cluster on: numbers, and text categories (one-hot; kept as categories by kprototypes and lca)"},
    {"key", CLI_OPT_VALUE, "COL", "the rows' id column (default customer_id or id when there is one)"},
    {"method", CLI_OPT_VALUE, "M", "kmeans (default), minibatch, kprototypes, gmm, lca, ward"},
    {"k", CLI_OPT_VALUE, "K|A..B", "clusters, or a range to sweep and recommend from (default 2..8)"},
    {"scale", CLI_OPT_VALUE, "S", "zscore (default), robust (median/IQR) or none"},
    {"log1p", CLI_OPT_VALUE, "COL[,COL]", "take log(1 + x) of these numeric features first (skewed amounts)"},
    {"winsor", CLI_OPT_VALUE, "P", "clip numeric features to their P and 1-P quantiles, e.g. 0.01"},
    {"missing", CLI_OPT_VALUE, "M", "a missing value: drop the row (default), or fill with the mean, median or mode"},
    {"weight", CLI_OPT_VALUE, "COL", "row weights"},
    {"restarts", CLI_OPT_VALUE, "N", "independent starts, the best kept (default 10)"},
    {"max-iter", CLI_OPT_VALUE, "N", "iteration cap per start (default: the method's)"},
    {"seed", CLI_OPT_VALUE, "S", "random seed (default 0): the same seed gives the same model on any thread count"},
    {"covariance", CLI_OPT_VALUE, "C", "gmm: full (default), diag or spherical"},
    {"algorithm", CLI_OPT_VALUE, "A", "kmeans: auto (default), lloyd or hamerly"},
    {"stability", CLI_OPT_VALUE, "N", "bootstrap refits for the stability score (default 10 up to 200,000 rows, else 0)"},
    {"min-share", CLI_OPT_VALUE, "P", "flag clusters with a smaller share of the rows (default 0.05)"},
    {"save", CLI_OPT_VALUE, "NAME", "keep the model, and the labels as dataset NAME (key, cluster, pc1, pc2)"},
    {"labels", CLI_OPT_FLAG, NULL, "print one label per row (fit, assign)"},
    {"out", CLI_OPT_VALUE, "FILE", "assign: write the labels to FILE (CSV, or JSON for .json)"},
};

enum { DOC_VERSION = 1, SILHOUETTE_SAMPLE = 20000, STABILITY_MAX_ROWS = 200000 };

/* ---- small parsers ------------------------------------------------------------------------ */

static int parse_k(cli_args *a, size_t *lo, size_t *hi) {
  const char *k = cli_get(a, "k");
  *lo = 2;
  *hi = 8;
  if (k == NULL) {
    return 0;
  }
  char *end = NULL;
  unsigned long x = strtoul(k, &end, 10);
  unsigned long y = x;
  if (end != k && strncmp(end, "..", 2) == 0) {
    char *end2 = NULL;
    y = strtoul(end + 2, &end2, 10);
    end = end2;
  }
  if (end == k || *end != '\0' || x < 1 || y < x || y > 1000) {
    return cli_usage_error("cluster", "--k must be a number of clusters (4) or a range (2..10), "
                                      "not '%s'",
                           k);
  }
  *lo = x;
  *hi = y;
  return 0;
}

static int parse_options(cli_args *a, segkit_cluster_options *o) {
  segkit_cluster_options_init(o);
  const char *m = cli_get(a, "method");
  int method = m != NULL ? segkit_cluster_method_parse(m) : SEGKIT_CLUSTER_KMEANS;
  if (method < 0) {
    return cli_usage_error("cluster", "--method must be kmeans, minibatch, kprototypes, gmm, lca "
                                      "or ward, not '%s'",
                           m);
  }
  o->method = (segkit_cluster_method)method;
  o->n_threads = a->threads;
  int64_t v = 0;
  if (!cli_get_int(a, "restarts", 1, 10000, &v)) {
    return CLI_EXIT_USAGE;
  }
  o->restarts = (int)v;
  v = 0;
  if (!cli_get_int(a, "max-iter", 1, 1000000, &v)) {
    return CLI_EXIT_USAGE;
  }
  o->max_iter = (int)v;
  v = 0;
  if (!cli_get_int(a, "seed", 0, INT64_MAX, &v)) {
    return CLI_EXIT_USAGE;
  }
  o->seed = (uint64_t)v;
  const char *cov = cli_get(a, "covariance");
  if (cov != NULL) {
    if (strcmp(cov, "full") == 0) {
      o->covariance = SEGKIT_GMM_FULL;
    } else if (strcmp(cov, "diag") == 0) {
      o->covariance = SEGKIT_GMM_DIAG;
    } else if (strcmp(cov, "spherical") == 0) {
      o->covariance = SEGKIT_GMM_SPHERICAL;
    } else {
      return cli_usage_error("cluster", "--covariance must be full, diag or spherical, not '%s'", cov);
    }
  }
  const char *alg = cli_get(a, "algorithm");
  if (alg != NULL) {
    if (strcmp(alg, "auto") == 0) {
      o->algorithm = SEGKIT_KMEANS_AUTO;
    } else if (strcmp(alg, "lloyd") == 0) {
      o->algorithm = SEGKIT_KMEANS_LLOYD;
    } else if (strcmp(alg, "hamerly") == 0) {
      o->algorithm = SEGKIT_KMEANS_HAMERLY;
    } else {
      return cli_usage_error("cluster", "--algorithm must be auto, lloyd or hamerly, not '%s'", alg);
    }
  }
  return 0;
}

static double parse_share(cli_args *a) {
  const char *s = cli_get(a, "min-share");
  if (s == NULL) {
    return 0.05;
  }
  char *end = NULL;
  double v = strtod(s, &end);
  return end != s && *end == '\0' && v >= 0 && v < 1 ? v : -1;
}

/* The rows' id column: --key, customer_id, id, or none (rows are numbered). */
static const segkit_column *key_column(cli_args *a, const segkit_table *t, int *rc) {
  const char *key = cli_get(a, "key");
  *rc = 0;
  if (key != NULL) {
    long i = segkit_table_column_index(t, key);
    if (i < 0) {
      *rc = cli_usage_error("cluster", "no key column '%s'", key);
      return NULL;
    }
    return segkit_table_column(t, (size_t)i);
  }
  static const char *const guesses[] = {"customer_id", "id", "respondent_id"};
  for (size_t g = 0; g < 3; g++) {
    long i = segkit_table_column_index(t, guesses[g]);
    if (i >= 0) {
      return segkit_table_column(t, (size_t)i);
    }
  }
  return NULL;
}

/* ---- describing a model -------------------------------------------------------------------- */

void cli_cluster_score(const segkit_cluster_model *m, const cli_cluster_data *d, uint64_t seed,
                       int threads, cli_cluster_scores *s) {
  s->silhouette = s->ch = s->db = NAN;
  s->silhouette_rows = 0;
  size_t k = segkit_cluster_model_k(m);
  if (d->d == 0 || d->n_cat > 0 || k < 2 || k >= d->n) {
    return;
  }
  const int32_t *labels = segkit_cluster_model_labels(m);
  segkit_error err;
  if (segkit_silhouette(d->x, d->n, d->d, labels, k, SILHOUETTE_SAMPLE, seed, threads,
                        &s->silhouette, &s->silhouette_rows, &err) != SEGKIT_OK) {
    s->silhouette = NAN;
  }
  if (segkit_calinski_harabasz(d->x, d->n, d->d, labels, k, &s->ch, &err) != SEGKIT_OK) {
    s->ch = NAN;
  }
  if (segkit_davies_bouldin(d->x, d->n, d->d, labels, k, &s->db, &err) != SEGKIT_OK) {
    s->db = NAN;
  }
}

/* Centroids in original units, one object per cluster ({feature: value}), and the same as
 * a grid for people. LCA has no centroids: its item-response probabilities instead. */
static json_t *centroids_json(const segkit_cluster_model *m, const cli_cluster_data *d) {
  json_t *arr = json_array();
  size_t k = segkit_cluster_model_k(m);
  const double *c = segkit_cluster_model_centroids(m);
  size_t dims = d->prep != NULL ? segkit_prep_dims(d->prep) : 0;
  double *units = malloc((dims + 1) * sizeof *units);
  for (size_t j = 0; j < k && units != NULL; j++) {
    json_t *o = json_object();
    if (c != NULL && dims > 0) {
      segkit_prep_inverse(d->prep, c + j * dims, units);
      for (size_t f = 0; f < dims; f++) {
        json_object_set_new(o, segkit_prep_dim_name(d->prep, f), cli_json_number(units[f]));
      }
    }
    const int32_t *modes = segkit_cluster_model_modes(m);
    for (size_t f = 0; modes != NULL && f < d->n_cat; f++) {
      json_t *item = json_array_get(d->cat_levels, f);
      json_t *level = json_array_get(json_object_get(item, "levels"), (size_t)modes[j * d->n_cat + f]);
      json_object_set(o, json_string_value(json_object_get(item, "column")), level);
    }
    json_array_append_new(arr, o);
  }
  free(units);
  return arr;
}

static json_t *item_probs_json(const segkit_cluster_model *m, const cli_cluster_data *d) {
  json_t *arr = json_array();
  size_t k = segkit_cluster_model_k(m);
  for (size_t c = 0; c < k; c++) {
    json_t *o = json_object();
    for (size_t j = 0; j < d->n_cat; j++) {
      json_t *item = json_array_get(d->cat_levels, j);
      json_t *levels = json_object_get(item, "levels");
      const double *p = segkit_cluster_model_item_probs(m, c, j);
      json_t *probs = json_object();
      for (size_t l = 0; p != NULL && l < json_array_size(levels); l++) {
        json_object_set_new(probs, json_string_value(json_array_get(levels, l)), json_real(p[l]));
      }
      json_object_set_new(o, json_string_value(json_object_get(item, "column")), probs);
    }
    json_array_append_new(arr, o);
  }
  return arr;
}

/* The 2-D map: the first two principal components of the fitted space (how much of its
 * variance they hold) and each centroid's place on them; the rows' places are the pc1, pc2
 * columns of the saved labels (the same PCA: the sign rule makes it deterministic). */
static json_t *map_json(const segkit_cluster_model *m, const cli_cluster_data *d) {
  const double *c = segkit_cluster_model_centroids(m);
  segkit_pca *pca = NULL;
  segkit_error err;
  if (d->d < 2 || c == NULL || segkit_pca_fit(d->x, d->n, d->d, 2, &pca, &err) != SEGKIT_OK) {
    return json_null();
  }
  size_t k = segkit_cluster_model_k(m);
  double *xy = malloc((2 * k + 1) * sizeof *xy);
  json_t *pts = json_array();
  if (xy != NULL) {
    segkit_pca_project(pca, c, k, xy);
    for (size_t j = 0; j < k; j++) {
      json_array_append_new(pts, json_pack("[f, f]", xy[2 * j], xy[2 * j + 1]));
    }
  }
  const double *ratio = segkit_pca_explained_ratio(pca);
  json_t *o = json_pack("{s:[f, f], s:o}", "explained_ratio", ratio[0], ratio[1], "centroids", pts);
  free(xy);
  segkit_pca_free(pca);
  return o;
}

/* The model's summary: what show prints and fit's JSON carries. */
json_t *cli_cluster_summary(const segkit_cluster_model *m, const cli_cluster_data *d,
                            const cli_cluster_scores *s, double min_share, const char *scale) {
  size_t k = segkit_cluster_model_k(m);
  const size_t *sizes = segkit_cluster_model_sizes(m);
  const double *shares = segkit_cluster_model_shares(m);
  json_t *js = json_array();
  json_t *jh = json_array();
  json_t *small = json_array();
  for (size_t c = 0; c < k; c++) {
    json_array_append_new(js, json_integer((json_int_t)(sizes ? sizes[c] : 0)));
    json_array_append_new(jh, json_real(shares ? shares[c] : 0));
    if (shares != NULL && shares[c] < min_share) {
      json_array_append_new(small, json_integer((json_int_t)c + 1));
    }
  }
  segkit_cluster_method method = segkit_cluster_model_method(m);
  json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:s, s:o, s:o, s:o, s:o}", "method",
                        segkit_cluster_method_name(method), "k", (json_int_t)k, "rows",
                        (json_int_t)d->n, "rows_left_out", (json_int_t)d->n_dropped, "scale", scale,
                        "inertia", cli_json_number(segkit_cluster_model_inertia(m)), "sizes", js,
                        "shares", jh, "small_clusters", small);
  json_object_set_new(o, "silhouette", cli_json_number(s->silhouette));
  json_object_set_new(o, "silhouette_rows", json_integer((json_int_t)s->silhouette_rows));
  json_object_set_new(o, "calinski_harabasz", cli_json_number(s->ch));
  json_object_set_new(o, "davies_bouldin", cli_json_number(s->db));
  json_object_set_new(o, "log_likelihood", cli_json_number(segkit_cluster_model_log_likelihood(m)));
  json_object_set_new(o, "bic", cli_json_number(segkit_cluster_model_bic(m)));
  json_object_set_new(o, "aic", cli_json_number(segkit_cluster_model_aic(m)));
  json_object_set_new(o, "entropy", cli_json_number(segkit_cluster_model_entropy(m)));
  json_object_set_new(o, "stability",
                      s->stab_boot > 0
                          ? json_pack("{s:o, s:o, s:i}", "mean", cli_json_number(s->stab_mean),
                                      "sd", cli_json_number(s->stab_sd), "resamples", s->stab_boot)
                          : json_null());
  json_object_set_new(o, "iterations", json_integer(segkit_cluster_model_iterations(m)));
  json_object_set_new(o, "converged", json_boolean(segkit_cluster_model_converged(m)));
  if (method == SEGKIT_CLUSTER_LCA) {
    json_object_set_new(o, "item_probabilities", item_probs_json(m, d));
  } else {
    json_object_set_new(o, "centroids", centroids_json(m, d));
  }
  json_object_set_new(o, "map", map_json(m, d));
  return o;
}

static void print_summary(const json_t *o) {
  const char *method = json_string_value(json_object_get(o, "method"));
  printf("%s, k = %lld, on %lld rows", method, (long long)json_integer_value(json_object_get(o, "k")),
         (long long)json_integer_value(json_object_get(o, "rows")));
  json_int_t out = json_integer_value(json_object_get(o, "rows_left_out"));
  if (out > 0) {
    printf(" (%lld left out: a missing value or an unseen category)", (long long)out);
  }
  printf("; features scaled: %s\n", json_string_value(json_object_get(o, "scale")));
  struct {
    const char *key, *label;
  } lines[] = {{"inertia", "inertia (in the scaled space)"},
               {"silhouette", "silhouette"},
               {"calinski_harabasz", "Calinski-Harabasz"},
               {"davies_bouldin", "Davies-Bouldin"},
               {"log_likelihood", "log-likelihood"},
               {"bic", "BIC"},
               {"aic", "AIC"},
               {"entropy", "relative entropy"}};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    json_t *v = json_object_get(o, lines[i].key);
    if (json_is_number(v)) {
      printf("  %-30s %.6g", lines[i].label, json_number_value(v));
      if (strcmp(lines[i].key, "silhouette") == 0) {
        printf("   (on %lld rows)", (long long)json_integer_value(json_object_get(o, "silhouette_rows")));
      }
      printf("\n");
    }
  }
  json_t *st = json_object_get(o, "stability");
  if (json_is_object(st)) {
    printf("  %-30s %.3f (sd %.3f; mean adjusted Rand index of %lld bootstrap refits)\n", "stability",
           json_number_value(json_object_get(st, "mean")), json_number_value(json_object_get(st, "sd")),
           (long long)json_integer_value(json_object_get(st, "resamples")));
  }
  if (!json_is_true(json_object_get(o, "converged"))) {
    printf("  note: the kept start stopped at the iteration cap (--max-iter) before converging\n");
  }
  /* The clusters: size, share and the centroid (or class profile) in original units. */
  json_t *cents = json_object_get(o, "centroids");
  json_t *probs = json_object_get(o, "item_probabilities");
  json_t *first = json_array_get(cents != NULL ? cents : probs, 0);
  const char *headers[3 + CLI_CLUSTER_MAX_FEATURES * 4];
  headers[0] = "cluster";
  headers[1] = "rows";
  headers[2] = "share";
  size_t nh = 3;
  const char *key;
  json_t *v;
  if (cents != NULL) {
    json_object_foreach(first, key, v) {
      if (nh < sizeof headers / sizeof headers[0]) {
        headers[nh++] = key;
      }
    }
  }
  cli_grid *g = cli_grid_new(nh, headers);
  json_t *sizes = json_object_get(o, "sizes");
  json_t *shares = json_object_get(o, "shares");
  json_t *small = json_object_get(o, "small_clusters");
  for (size_t c = 0; g != NULL && c < json_array_size(sizes); c++) {
    cli_grid_row(g);
    char label[32];
    bool is_small = false;
    for (size_t s = 0; s < json_array_size(small); s++) {
      is_small = is_small || (size_t)json_integer_value(json_array_get(small, s)) == c + 1;
    }
    snprintf(label, sizeof label, "%zu%s", c + 1, is_small ? " (small)" : "");
    cli_grid_text(g, label);
    cli_grid_int(g, json_integer_value(json_array_get(sizes, c)));
    cli_grid_real(g, 100.0 * json_number_value(json_array_get(shares, c)), 1);
    json_t *cent = json_array_get(cents, c);
    for (size_t h = 3; cents != NULL && h < nh; h++) {
      json_t *x = json_object_get(cent, headers[h]);
      if (json_is_number(x)) {
        cli_grid_real(g, json_number_value(x), 3);
      } else if (json_is_string(x)) {
        cli_grid_text(g, json_string_value(x));
      } else {
        cli_grid_null(g);
      }
    }
  }
  printf("\n");
  cli_grid_print(g, CLI_FORMAT_TABLE, stdout);
  cli_grid_free(g);
  if (probs != NULL) {
    /* poLCA's layout: one row per item level, one column per class. */
    printf("\nitem-response probabilities (per class):\n");
    size_t k = json_array_size(probs);
    const char *ph[1 + 64];
    char names[64][16];
    ph[0] = "item=level";
    for (size_t c = 0; c < k && c < 64; c++) {
      snprintf(names[c], sizeof names[c], "class %zu", c + 1);
      ph[c + 1] = names[c];
    }
    cli_grid *pg = cli_grid_new(1 + (k < 64 ? k : 64), ph);
    json_t *items = json_array_get(probs, 0);
    const char *item;
    json_t *levels;
    json_object_foreach(items, item, levels) {
      const char *level;
      json_t *p;
      json_object_foreach(levels, level, p) {
        char label[256];
        snprintf(label, sizeof label, "%s=%s", item, level);
        cli_grid_row(pg);
        cli_grid_text(pg, label);
        for (size_t c = 0; c < k && c < 64; c++) {
          json_t *pc = json_object_get(json_object_get(json_array_get(probs, c), item), level);
          cli_grid_real(pg, json_number_value(pc), 3);
        }
      }
    }
    cli_grid_print(pg, CLI_FORMAT_TABLE, stdout);
    cli_grid_free(pg);
  }
  if (json_array_size(small) > 0) {
    printf("(small): under the --min-share of the rows; a segment that small may not be worth "
           "acting on\n");
  }
  json_t *map = json_object_get(o, "map");
  if (json_is_object(map)) {
    json_t *ratio = json_object_get(map, "explained_ratio");
    printf("\nmap (first two principal components of the fitted space, %.0f%% + %.0f%% of its "
           "variance): centroids at",
           100 * json_number_value(json_array_get(ratio, 0)),
           100 * json_number_value(json_array_get(ratio, 1)));
    json_t *pts = json_object_get(map, "centroids");
    for (size_t c = 0; c < json_array_size(pts); c++) {
      json_t *p = json_array_get(pts, c);
      printf("%s %zu (%.2f, %.2f)", c ? "," : "", c + 1, json_number_value(json_array_get(p, 0)),
             json_number_value(json_array_get(p, 1)));
    }
    printf("\n");
  }
}

/* ---- saving ---------------------------------------------------------------------------------- */

/* The labels as a dataset: the key (or row number), cluster 1..k, and the first two
 * principal components of the fitted space (the map), when there are two dimensions. */
static segkit_status labels_table(const segkit_cluster_model *m, const cli_cluster_data *d,
                                  const segkit_column *key, segkit_table **out,
                                  segkit_error *err) {
  size_t n = d->n;
  double *pcs = NULL;
  segkit_pca *pca = NULL;
  if (d->d >= 2 && segkit_pca_fit(d->x, n, d->d, 2, &pca, err) == SEGKIT_OK) {
    pcs = malloc((2 * n + 1) * sizeof *pcs);
    if (pcs != NULL) {
      segkit_pca_project(pca, d->x, n, pcs);
    }
  }
  segkit_pca_free(pca);
  bool str_key = key != NULL && segkit_column_type(key) == SEGKIT_TYPE_STRING;
  const char *names[] = {key != NULL ? segkit_column_name(key) : "row", "cluster", "pc1", "pc2"};
  segkit_type types[] = {str_key ? SEGKIT_TYPE_STRING : SEGKIT_TYPE_INT64, SEGKIT_TYPE_INT64,
                         SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_FLOAT64};
  size_t nc = pcs != NULL ? 4 : 2;
  segkit_table_builder *b = NULL;
  segkit_status st = segkit_table_builder_new(nc, names, types, &b, err);
  const int32_t *labels = segkit_cluster_model_labels(m);
  for (size_t i = 0; st == SEGKIT_OK && i < n; i++) {
    size_t row = d->row_index[i];
    segkit_column_builder *kb = segkit_table_builder_column(b, 0);
    if (key == NULL) {
      st = segkit_column_append_int64(kb, (int64_t)row + 1);
    } else if (!segkit_column_is_valid(key, row)) {
      st = segkit_column_append_null(kb);
    } else if (str_key) {
      size_t len = 0;
      const char *s = segkit_column_dict_value(key, segkit_column_codes(key)[row], &len);
      st = segkit_column_append_string(kb, s, len);
    } else if (segkit_column_type(key) == SEGKIT_TYPE_INT64) {
      st = segkit_column_append_int64(kb, segkit_column_int64(key)[row]);
    } else {
      st = segkit_column_append_null(kb);
    }
    if (st == SEGKIT_OK) {
      st = segkit_column_append_int64(segkit_table_builder_column(b, 1), labels[i] + 1);
    }
    for (size_t p = 0; st == SEGKIT_OK && pcs != NULL && p < 2; p++) {
      st = segkit_column_append_float64(segkit_table_builder_column(b, 2 + p), pcs[2 * i + p]);
    }
  }
  free(pcs);
  if (st == SEGKIT_OK) {
    return segkit_table_builder_finish(b, out, err);
  }
  segkit_table_builder_free(b);
  return st;
}

int cli_cluster_save(segkit_workspace *ws, const char *name, const char *dataset,
                     const segkit_cluster_model *m, const cli_cluster_data *d,
                     const cli_cluster_spec *spec, const segkit_column *key, json_t *summary) {
  segkit_error err;
  char *model_text = NULL;
  char *prep_text = NULL;
  if (segkit_cluster_model_to_json(m, &model_text, &err) != SEGKIT_OK ||
      (d->prep != NULL && segkit_prep_to_json(d->prep, &prep_text, &err) != SEGKIT_OK)) {
    free(model_text);
    return cli_report(&err);
  }
  json_error_t je;
  json_t *features = json_array();
  for (size_t i = 0; i < spec->n_features; i++) {
    json_array_append_new(features, json_string(spec->features[i]));
  }
  json_t *doc = json_pack("{s:s, s:i, s:s?, s:s?, s:o, s:o, s:O, s:o, s:O}", "format",
                          "segkit-cluster", "version", DOC_VERSION, "dataset", dataset, "key",
                          key != NULL ? segkit_column_name(key) : NULL, "features", features,
                          "model", json_loads(model_text, 0, &je), "categories", d->cat_levels,
                          "prep", prep_text != NULL ? json_loads(prep_text, 0, &je) : json_null(),
                          "summary", summary);
  free(model_text);
  free(prep_text);
  char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  int rc = text == NULL ? CLI_EXIT_ENV : 0;
  segkit_table *labels = NULL;
  if (rc == 0 && labels_table(m, d, key, &labels, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  if (rc == 0) {
    segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE,
                                 .table = labels, .source = "segkit cluster fit",
                                 .actor = "cli:cluster"};
    segkit_import_outcome oc;
    if (segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK ||
        segkit_workspace_model_save(ws, name, "cluster", name, text, true, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  segkit_table_free(labels);
  free(text);
  return rc;
}

static int save_model(cli_args *a, const char *name, const char *dataset,
                      const segkit_cluster_model *m, const cli_cluster_data *d,
                      const cli_cluster_spec *spec, const segkit_column *key, json_t *summary) {
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, true, &ws);
  if (rc == 0) {
    rc = cli_cluster_save(ws, name, dataset, m, d, spec, key, summary);
  }
  if (rc == 0 && a->format == CLI_FORMAT_TABLE && !a->quiet) {
    printf("\nsaved model '%s' and its labels as dataset '%s' (%s, cluster, pc1, pc2): split "
           "metrics by it with --customers %s --by cluster\n",
           name, name, key != NULL ? segkit_column_name(key) : "row", name);
  }
  segkit_workspace_close(ws);
  return rc;
}

/* ---- fit ----------------------------------------------------------------------------------- */

/* envelope (may be NULL; borrowed): with --format json, the fit's JSON goes into it as
 * "saved" and the envelope is printed instead (a sweep with --save prints one document). */
static int fit_one(cli_args *a, const segkit_cluster_options *o, const cli_cluster_data *d,
                   const cli_cluster_spec *spec, const segkit_column *key, const char *dataset,
                   json_t *envelope) {
  segkit_cluster_data cd;
  cli_cluster_data_view(d, &cd);
  segkit_cluster_model *m = NULL;
  segkit_error err;
  if (segkit_cluster_fit(&cd, o, &m, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  cli_cluster_scores s;
  memset(&s, 0, sizeof s);
  cli_cluster_score(m, d, o->seed, a->threads, &s);
  int64_t boot = d->n <= STABILITY_MAX_ROWS ? 10 : 0;
  if (!cli_get_int(a, "stability", 0, 1000, &boot)) {
    segkit_cluster_model_free(m);
    return CLI_EXIT_USAGE;
  }
  s.stab_mean = s.stab_sd = NAN;
  if (boot > 0 && o->k >= 2) {
    if (segkit_cluster_stability(&cd, o, (int)boot, o->seed + 1, &s.stab_mean, &s.stab_sd,
                                 &err) != SEGKIT_OK) {
      segkit_cluster_model_free(m);
      return cli_report(&err);
    }
    s.stab_boot = (int)boot;
  }
  double min_share = parse_share(a);
  static const char *const scale_names[] = {"zscore", "none", "robust"};
  const char *scale = d->prep != NULL ? scale_names[spec->scale] : "none (categories only)";
  json_t *summary = cli_cluster_summary(m, d, &s, min_share, scale);
  int rc = 0;
  if (a->format == CLI_FORMAT_JSON) {
    json_t *out = json_deep_copy(summary);
    if (cli_has(a, "labels")) {
      json_t *labels = json_array();
      const int32_t *l = segkit_cluster_model_labels(m);
      for (size_t i = 0; i < d->n; i++) {
        json_array_append_new(labels, json_integer(l[i] + 1));
      }
      json_object_set_new(out, "labels", labels);
    }
    if (envelope != NULL) {
      json_object_set_new(envelope, "saved", out);
      out = json_incref(envelope);
    }
    json_dumpf(out, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(out);
  } else {
    print_summary(summary);
    if (cli_has(a, "labels")) {
      const int32_t *l = segkit_cluster_model_labels(m);
      printf("\nlabels:\n");
      for (size_t i = 0; i < d->n; i++) {
        printf("%d\n", l[i] + 1);
      }
    }
  }
  if (cli_get(a, "save") != NULL) {
    rc = save_model(a, cli_get(a, "save"), dataset, m, d, spec, key, summary);
  }
  json_decref(summary);
  segkit_cluster_model_free(m);
  return rc;
}

static int sweep(cli_args *a, segkit_cluster_options *o, size_t lo, size_t hi,
                 const cli_cluster_data *d, const cli_cluster_spec *spec,
                 const segkit_column *key, const char *dataset) {
  segkit_cluster_data cd;
  cli_cluster_data_view(d, &cd);
  segkit_sweep_options so;
  segkit_sweep_options_init(&so);
  so.k_min = lo;
  so.k_max = hi;
  int64_t boot = d->n <= STABILITY_MAX_ROWS ? 10 : 0;
  if (!cli_get_int(a, "stability", 0, 1000, &boot)) {
    return CLI_EXIT_USAGE;
  }
  so.stability_boot = (int)boot;
  so.min_share = parse_share(a);
  segkit_sweep *s = NULL;
  segkit_error err;
  if (segkit_cluster_sweep(&cd, o, &so, &s, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  static const char *const headers[] = {"k", "inertia", "silhouette", "calinski_harabasz",
                                        "davies_bouldin", "bic", "stability", "small_clusters"};
  cli_grid *g = cli_grid_new(8, headers);
  for (size_t i = 0; g != NULL && i < segkit_sweep_n(s); i++) {
    const segkit_sweep_row *r = segkit_sweep_row_at(s, i);
    cli_grid_row(g);
    cli_grid_int(g, (int64_t)r->k);
    double vals[] = {r->inertia, r->silhouette, r->calinski_harabasz, r->davies_bouldin, r->bic,
                     r->stability_mean};
    int digits[] = {1, 3, 1, 3, 1, 3};
    for (size_t v = 0; v < 6; v++) {
      if (isfinite(vals[v])) {
        cli_grid_real(g, vals[v], digits[v]);
      } else {
        cli_grid_null(g);
      }
    }
    cli_grid_int(g, (int64_t)r->n_small);
  }
  size_t best = segkit_sweep_recommended_k(s);
  json_t *doc = NULL;
  if (a->format == CLI_FORMAT_JSON) {
    json_t *rows = json_array();
    for (size_t i = 0; i < segkit_sweep_n(s); i++) {
      const segkit_sweep_row *r = segkit_sweep_row_at(s, i);
      json_array_append_new(
          rows,
          json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "k", (json_int_t)r->k, "inertia",
                    cli_json_number(r->inertia), "silhouette", cli_json_number(r->silhouette),
                    "calinski_harabasz", cli_json_number(r->calinski_harabasz), "davies_bouldin",
                    cli_json_number(r->davies_bouldin), "bic", cli_json_number(r->bic), "stability",
                    cli_json_number(r->stability_mean), "small_clusters", (json_int_t)r->n_small));
    }
    doc = json_pack("{s:s, s:o, s:I, s:s, s:I}", "method", segkit_cluster_method_name(o->method),
                    "sweep", rows, "recommended_k", (json_int_t)best, "reason",
                    segkit_sweep_reason(s), "rows", (json_int_t)d->n);
  } else {
    printf("%s on %zu rows, k = %zu..%zu (stability: %s)\n\n",
           segkit_cluster_method_name(o->method), d->n, lo, hi,
           boot > 0 ? "mean adjusted Rand index of bootstrap refits" : "skipped");
    cli_grid_print(g, CLI_FORMAT_TABLE, stdout);
    printf("\nrecommended: %s\n", segkit_sweep_reason(s));
  }
  cli_grid_free(g);
  segkit_sweep_free(s);
  int rc = 0;
  if (cli_get(a, "save") != NULL) {
    /* Refit the recommended k with the same options, scored as a single fit. */
    o->k = best;
    if (a->format == CLI_FORMAT_TABLE) {
      printf("\n");
    }
    rc = fit_one(a, o, d, spec, key, dataset, doc);
    json_decref(doc);
    return rc;
  }
  if (doc != NULL) {
    json_dumpf(doc, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(doc);
  }
  return rc;
}

static int sub_fit(cli_args *a) {
  segkit_cluster_options o;
  int rc = parse_options(a, &o);
  cli_cluster_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.method = o.method;
  if (rc == 0) {
    rc = cli_cluster_spec_parse(a, &spec);
  }
  size_t lo = 0;
  size_t hi = 0;
  if (rc == 0) {
    rc = parse_k(a, &lo, &hi);
  }
  if (rc == 0 && parse_share(a) < 0) {
    rc = cli_usage_error("cluster", "--min-share must be a share between 0 and 1");
  }
  if (rc != 0) {
    return rc;
  }
  const char *dataset = cli_get(a, "dataset");
  if ((dataset == NULL) == (a->n_positional != 2)) {
    return cli_usage_error("cluster", "give --dataset NAME or one FILE to cluster");
  }
  segkit_table *t = NULL;
  rc = cli_load_named(a, "cluster", dataset, dataset == NULL ? a->positional[1] : NULL, &t);
  const segkit_column *key = NULL;
  if (rc == 0) {
    key = key_column(a, t, &rc);
  }
  cli_cluster_data d;
  memset(&d, 0, sizeof d);
  if (rc == 0) {
    rc = cli_cluster_data_fit(t, &spec, &d);
  }
  if (rc == 0 && lo == hi) {
    o.k = lo;
    rc = fit_one(a, &o, &d, &spec, key, dataset, NULL);
  } else if (rc == 0) {
    o.k = lo;
    rc = sweep(a, &o, lo, hi, &d, &spec, key, dataset);
  }
  cli_cluster_data_free(&d);
  segkit_table_free(t);
  return rc;
}

/* ---- saved models: show, assign, list, rm ------------------------------------------------- */

static int load_doc(cli_args *a, const char *name, json_t **doc, segkit_model_list **info) {
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  if (segkit_workspace_models(ws, "cluster", name, info, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_workspace_close(ws);
  if (rc != 0) {
    return rc;
  }
  json_error_t je;
  *doc = json_loads((*info)->items[0].document, 0, &je);
  if (*doc == NULL || json_integer_value(json_object_get(*doc, "version")) != DOC_VERSION) {
    json_decref(*doc);
    *doc = NULL;
    fprintf(stderr, "segkit: model '%s' was saved in a format this segkit does not read (expected "
                    "segkit-cluster version %d)\n",
            name, DOC_VERSION);
    return CLI_EXIT_DATA;
  }
  return 0;
}

static int sub_show(cli_args *a) {
  if (a->n_positional != 2) {
    return cli_usage_error("cluster", "expected: cluster show NAME");
  }
  json_t *doc = NULL;
  segkit_model_list *info = NULL;
  int rc = load_doc(a, a->positional[1], &doc, &info);
  if (rc == 0) {
    json_t *summary = json_object_get(doc, "summary");
    if (a->format == CLI_FORMAT_JSON) {
      json_t *o = json_deep_copy(summary);
      json_object_set(o, "features", json_object_get(doc, "features"));
      json_object_set(o, "dataset", json_object_get(doc, "dataset"));
      json_object_set_new(o, "name", json_string(a->positional[1]));
      json_dumpf(o, stdout, CLI_JSON_FLAGS);
      printf("\n");
      json_decref(o);
    } else {
      char when[40];
      segkit_format_timestamp(info->items[0].updated_at_us, when, sizeof when);
      printf("model '%s', fitted %s on dataset '%s'\n", a->positional[1], when,
             json_string_value(json_object_get(doc, "dataset")) ? json_string_value(json_object_get(doc, "dataset")) : "(a file)");
      print_summary(summary);
      printf("\nlabels and the 2-D map (pc1, pc2): segkit describe %s, or --customers %s --by "
             "cluster in metrics\n",
             a->positional[1], a->positional[1]);
    }
  }
  json_decref(doc);
  segkit_model_list_free(info);
  return rc;
}

static int sub_assign(cli_args *a) {
  const char *dataset = cli_get(a, "dataset");
  if (a->n_positional < 2 || (dataset == NULL) == (a->n_positional != 3)) {
    return cli_usage_error("cluster", "expected: cluster assign NAME FILE (or --dataset NAME)");
  }
  json_t *doc = NULL;
  segkit_model_list *info = NULL;
  int rc = load_doc(a, a->positional[1], &doc, &info);
  segkit_cluster_model *m = NULL;
  segkit_error err;
  if (rc == 0) {
    char *text = json_dumps(json_object_get(doc, "model"), JSON_COMPACT);
    if (text == NULL || segkit_cluster_model_from_json(text, &m, &err) != SEGKIT_OK) {
      rc = text == NULL ? CLI_EXIT_ENV : cli_report(&err);
    }
    free(text);
  }
  segkit_table *t = NULL;
  if (rc == 0) {
    rc = cli_load_named(a, "cluster", dataset, dataset == NULL ? a->positional[2] : NULL, &t);
  }
  cli_cluster_spec spec;
  memset(&spec, 0, sizeof spec);
  cli_cluster_data d;
  memset(&d, 0, sizeof d);
  const segkit_column *key = NULL;
  if (rc == 0) {
    spec.method = segkit_cluster_model_method(m);
    const char *k = json_string_value(json_object_get(doc, "key"));
    long ki = k != NULL ? segkit_table_column_index(t, k) : -1;
    key = ki >= 0 ? segkit_table_column(t, (size_t)ki) : NULL;
    rc = cli_cluster_data_apply(t, &spec, json_object_get(doc, "prep"),
                                json_object_get(doc, "categories"), &d);
  }
  int32_t *labels = NULL;
  if (rc == 0) {
    labels = malloc((d.n + 1) * sizeof *labels);
    segkit_cluster_data cd;
    cli_cluster_data_view(&d, &cd);
    if (labels == NULL || (d.n > 0 && segkit_cluster_assign(m, &cd, labels, &err) != SEGKIT_OK)) {
      rc = labels == NULL ? CLI_EXIT_ENV : cli_report(&err);
    }
  }
  if (rc == 0) {
    const char *headers[] = {key != NULL ? segkit_column_name(key) : "row", "cluster"};
    cli_grid *g = cli_grid_new(2, headers);
    for (size_t i = 0; g != NULL && i < d.n; i++) {
      cli_grid_row(g);
      if (key != NULL) {
        cli_grid_value(g, key, d.row_index[i]);
      } else {
        cli_grid_int(g, (int64_t)d.row_index[i] + 1);
      }
      cli_grid_int(g, labels[i] + 1);
    }
    if (cli_get(a, "out") != NULL) {
      rc = g == NULL ? CLI_EXIT_ENV : cli_grid_write_file(g, a->format, cli_get(a, "out"));
    } else {
      rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
    }
    cli_grid_free(g);
    if (rc == 0 && !a->quiet && (d.n_dropped > 0 || cli_get(a, "out") != NULL)) {
      fprintf(stderr, "typed %zu rows with model '%s'%s", d.n, a->positional[1],
              cli_get(a, "out") != NULL ? " into " : "");
      if (cli_get(a, "out") != NULL) {
        fprintf(stderr, "%s", cli_get(a, "out"));
      }
      if (d.n_dropped > 0) {
        fprintf(stderr, "; %zu left out (a missing value or a category the model has not seen)",
                d.n_dropped);
      }
      fprintf(stderr, "\n");
    }
  }
  free(labels);
  cli_cluster_data_free(&d);
  segkit_table_free(t);
  segkit_cluster_model_free(m);
  json_decref(doc);
  segkit_model_list_free(info);
  return rc;
}

static int sub_list(cli_args *a) {
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_model_list *l = NULL;
  segkit_error err;
  if (segkit_workspace_models(ws, "cluster", NULL, &l, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  static const char *const headers[] = {"model", "method", "k", "rows", "dataset", "fitted_at"};
  cli_grid *g = rc == 0 ? cli_grid_new(6, headers) : NULL;
  for (size_t i = 0; g != NULL && i < l->n; i++) {
    json_error_t je;
    json_t *doc = json_loads(l->items[i].document, 0, &je);
    json_t *s = json_object_get(doc, "summary");
    char when[40];
    segkit_format_timestamp(l->items[i].updated_at_us, when, sizeof when);
    cli_grid_row(g);
    cli_grid_text(g, l->items[i].name);
    cli_grid_text(g, json_string_value(json_object_get(s, "method")) ? json_string_value(json_object_get(s, "method")) : "?");
    cli_grid_int(g, json_integer_value(json_object_get(s, "k")));
    cli_grid_int(g, json_integer_value(json_object_get(s, "rows")));
    const char *ds = json_string_value(json_object_get(doc, "dataset"));
    if (ds != NULL) {
      cli_grid_text(g, ds);
    } else {
      cli_grid_null(g);
    }
    cli_grid_text(g, when);
    json_decref(doc);
  }
  if (g != NULL) {
    rc = cli_grid_print(g, a->format, stdout) ? 0 : CLI_EXIT_ENV;
  }
  cli_grid_free(g);
  segkit_model_list_free(l);
  segkit_workspace_close(ws);
  return rc;
}

static int sub_rm(cli_args *a) {
  if (a->n_positional != 2) {
    return cli_usage_error("cluster", "expected: cluster rm NAME");
  }
  segkit_workspace *ws = NULL;
  int rc = cli_open_workspace(a, false, &ws);
  if (rc != 0) {
    return rc;
  }
  segkit_error err;
  if (segkit_workspace_model_drop(ws, a->positional[1], &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  } else if (!a->quiet) {
    printf("removed model '%s' (its labels dataset stays: segkit drop %s)\n", a->positional[1],
           a->positional[1]);
  }
  segkit_workspace_close(ws);
  return rc;
}

static int run_cluster(cli_args *a) {
  const char *sub = a->n_positional > 0 ? a->positional[0] : "";
  if (strcmp(sub, "fit") == 0) {
    return sub_fit(a);
  }
  if (strcmp(sub, "show") == 0) {
    return sub_show(a);
  }
  if (strcmp(sub, "assign") == 0) {
    return sub_assign(a);
  }
  if (strcmp(sub, "list") == 0) {
    return sub_list(a);
  }
  if (strcmp(sub, "rm") == 0) {
    return sub_rm(a);
  }
  return cli_usage_error("cluster", "expected a subcommand: fit, show, assign, list, rm");
}

const cli_verb cli_verb_cluster = {
    .name = "cluster",
    .summary = "find segments by clustering: k-means, mixtures, latent classes, Ward; choose k; type new rows",
    .usage = "segkit cluster fit (--dataset NAME | FILE) --features A,B,C [--method M] [--k K|A..B] "
             "[--save NAME] | show NAME | assign NAME (FILE | --dataset NAME) | list | rm NAME",
    .description =
        "fit clusters the --features of a dataset or file: numbers are scaled (--scale), text\n"
        "categories one-hot encoded (k-prototypes and latent classes keep them as categories;\n"
        "lca takes categories only, e.g. survey answers). With one --k it prints the model:\n"
        "sizes, shares, centroids in original units, inertia, silhouette (sampled beyond 20,000\n"
        "rows, the sample size stated), Calinski-Harabasz, Davies-Bouldin, BIC/AIC for gmm and\n"
        "lca, and stability (bootstrap refits); with a range (--k 2..10, the default 2..8) it\n"
        "sweeps and recommends a k with its reason. --save NAME keeps the model with its\n"
        "preprocessing, and the labels as dataset NAME for metrics --customers NAME --by\n"
        "cluster. assign types new rows with a saved model. Definitions: docs/clustering.md.\n"
        "JSON (fit): {\"method\", \"k\", \"rows\", \"inertia\", \"sizes\", \"shares\", \"centroids\",\n"
        "\"silhouette\", \"calinski_harabasz\", \"davies_bouldin\", \"log_likelihood\", \"bic\", \"aic\",\n"
        "\"stability\", ...} (+ \"labels\" with --labels); a sweep: {\"sweep\": [...], \"recommended_k\",\n"
        "\"reason\"}.",
    .opts = cluster_opts,
    .n_opts = sizeof cluster_opts / sizeof cluster_opts[0],
    .shared_opts = cli_read_opts,
    .n_shared_opts = CLI_N_READ_OPTS,
    .run = run_cluster,
};
