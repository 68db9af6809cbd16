/* segkit survey segment --items A,B,...: needs-based segments from an attitude battery.
 *
 * First the structure of the battery: principal components of the standardised items,
 * their variance explained, and the loadings of the kept components (eigenvalue > 1, the
 * Kaiser criterion, or --factors N) rotated by varimax so each item reads on one factor,
 * the way a researcher reads a factor analysis. Then the segments: k-means or a Gaussian
 * mixture on the items (or --on factors: on the kept component scores), one k or a sweep
 * (--k 2..8) whose recommendation states its rule. --save keeps the segmentation as a
 * clustering model with its labels dataset (key, cluster), which survey profile, typing
 * and cluster assign take. Key design choice: nothing new is estimated here — PCA,
 * varimax and the clusterings are the cluster module's, checked against R and
 * scikit-learn there — this verb puts them in the order a segmentation study uses. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_cli.h"
#include "segkit/cluster.h"
#include "survey_cli.h"

enum { MAX_ITEMS = CLI_CLUSTER_MAX_FEATURES };

typedef struct factors {
  size_t p, k;
  double *eigen;      /* p eigenvalues (variances of the standardised items' components) */
  double *ratio;      /* p */
  double *rotated;    /* p x k loadings after varimax */
  double *z;          /* n x p: the items standardised (correlation scale) */
  segkit_pca *pca;
} factors;

static void factors_free(factors *f) {
  free(f->eigen);
  free(f->ratio);
  free(f->rotated);
  free(f->z);
  segkit_pca_free(f->pca);
}

/* The items as the analysis sees them (missing answers filled), standardised again with
 * their own means and sds (n - 1): their covariance is then the correlation matrix, whose
 * eigenvalues the Kaiser criterion reads (the preprocessing standardised with the answered
 * values only, before filling). */
static double *standardised(const cli_cluster_data *d) {
  double *x = malloc((d->n * d->d + 1) * sizeof *x);
  if (x == NULL) {
    return NULL;
  }
  for (size_t j = 0; j < d->d; j++) {
    double mean = 0, ss = 0;
    for (size_t i = 0; i < d->n; i++) {
      mean += d->x[i * d->d + j];
    }
    mean /= (double)d->n;
    for (size_t i = 0; i < d->n; i++) {
      double v = d->x[i * d->d + j] - mean;
      ss += v * v;
    }
    double sd = d->n > 1 ? sqrt(ss / (double)(d->n - 1)) : 0;
    for (size_t i = 0; i < d->n; i++) {
      x[i * d->d + j] = sd > 0 ? (d->x[i * d->d + j] - mean) / sd : 0;
    }
  }
  return x;
}

/* PCA of the standardised items and the varimax-rotated loadings of the kept components. */
static int factor_structure(const cli_cluster_data *d, size_t want, factors *f) {
  memset(f, 0, sizeof *f);
  segkit_error err;
  f->p = d->d;
  f->z = standardised(d);
  if (f->z == NULL) {
    return CLI_EXIT_ENV;
  }
  if (segkit_pca_fit(f->z, d->n, d->d, d->d, &f->pca, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  f->eigen = malloc(f->p * sizeof *f->eigen);
  f->ratio = malloc(f->p * sizeof *f->ratio);
  if (f->eigen == NULL || f->ratio == NULL) {
    return CLI_EXIT_ENV;
  }
  memcpy(f->eigen, segkit_pca_explained_variance(f->pca), f->p * sizeof *f->eigen);
  memcpy(f->ratio, segkit_pca_explained_ratio(f->pca), f->p * sizeof *f->ratio);
  size_t k = want;
  if (k == 0) {
    while (k < f->p && f->eigen[k] > 1.0) {
      k++;
    }
    k = k > 0 ? k : 1;
  }
  f->k = k < f->p ? k : f->p;
  double *load = malloc(f->p * f->k * sizeof *load);
  f->rotated = malloc(f->p * f->k * sizeof *f->rotated);
  if (load == NULL || f->rotated == NULL) {
    free(load);
    return CLI_EXIT_ENV;
  }
  const double *comp = segkit_pca_components(f->pca); /* components x items */
  for (size_t i = 0; i < f->p; i++) {
    for (size_t j = 0; j < f->k; j++) {
      load[i * f->k + j] = comp[j * f->p + i] * sqrt(f->eigen[j]);
    }
  }
  int rc = 0;
  if (segkit_varimax(load, f->p, f->k, true, 1e-5, f->rotated, NULL, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  free(load);
  return rc;
}

static void print_factors(const factors *f, const char *const *items) {
  double cum = 0;
  printf("structure of the battery: principal components of the %zu standardised items\n",
         f->p);
  for (size_t j = 0; j < f->k; j++) {
    cum += f->ratio[j];
    printf("  component %zu: eigenvalue %.2f, %.1f%% of the variance (%.1f%% so far)\n", j + 1,
           f->eigen[j], 100 * f->ratio[j], 100 * cum);
  }
  printf("loadings after varimax (%zu factor%s kept%s):\n", f->k, f->k == 1 ? "" : "s",
         f->k > 1 ? ", each item's largest marked *" : "");
  const char *headers[MAX_ITEMS + 1];
  char names[MAX_ITEMS][16];
  headers[0] = "item";
  for (size_t j = 0; j < f->k && j < MAX_ITEMS; j++) {
    snprintf(names[j], sizeof names[j], "F%zu", j + 1);
    headers[j + 1] = names[j];
  }
  cli_grid *g = cli_grid_new(f->k + 1, headers);
  for (size_t i = 0; g != NULL && i < f->p; i++) {
    cli_grid_row(g);
    cli_grid_text(g, items[i]);
    size_t best = 0;
    for (size_t j = 1; j < f->k; j++) {
      if (fabs(f->rotated[i * f->k + j]) > fabs(f->rotated[i * f->k + best])) {
        best = j;
      }
    }
    for (size_t j = 0; j < f->k; j++) {
      char cell[32];
      snprintf(cell, sizeof cell, "%.2f%s", f->rotated[i * f->k + j],
               j == best && f->k > 1 ? " *" : "");
      cli_grid_text(g, cell);
    }
  }
  cli_grid_print(g, CLI_FORMAT_TABLE, stdout);
  cli_grid_free(g);
}

static json_t *factors_json(const factors *f, const char *const *items) {
  json_t *eig = json_array();
  json_t *ratio = json_array();
  for (size_t j = 0; j < f->p; j++) {
    json_array_append_new(eig, json_real(f->eigen[j]));
    json_array_append_new(ratio, json_real(f->ratio[j]));
  }
  json_t *loadings = json_object();
  for (size_t i = 0; i < f->p; i++) {
    json_t *row = json_array();
    for (size_t j = 0; j < f->k; j++) {
      json_array_append_new(row, json_real(f->rotated[i * f->k + j]));
    }
    json_object_set_new(loadings, items[i], row);
  }
  return json_pack("{s:o, s:o, s:I, s:s, s:o}", "eigenvalues", eig, "explained_ratio", ratio,
                   "factors", (json_int_t)f->k, "rotation", "varimax", "loadings", loadings);
}

/* "att_*" names every column starting with "att_"; otherwise a comma list. */
static int items_of(cli_args *a, const segkit_table *t, char *buf, size_t size,
                    const char **items, size_t *n) {
  const char *spec = cli_get(a, "items");
  *n = 0;
  if (spec == NULL) {
    return cli_usage_error("survey", "segment needs --items A,B,... (or a prefix: --items 'att_*')");
  }
  size_t len = strlen(spec);
  if (len > 1 && spec[len - 1] == '*') {
    for (size_t c = 0; c < segkit_table_n_cols(t) && *n < MAX_ITEMS; c++) {
      const char *name = segkit_column_name(segkit_table_column(t, c));
      if (strncmp(name, spec, len - 1) == 0 && strstr(name, "_missing") == NULL) {
        items[(*n)++] = name;
      }
    }
  } else {
    snprintf(buf, size, "%s", spec);
    if (len >= size || !cli_split_list(buf, items, MAX_ITEMS, n)) {
      return cli_usage_error("survey", "--items needs a comma-separated list of columns");
    }
  }
  if (*n < 2) {
    return cli_usage_error("survey", "--items '%s' names %zu column%s: a battery needs 2 or more",
                           spec, *n, *n == 1 ? "" : "s");
  }
  return 0;
}

/* k or a range A..B */
static bool parse_k(const char *s, size_t *lo, size_t *hi) {
  if (s == NULL) {
    *lo = 2;
    *hi = 8;
    return true;
  }
  char *end = NULL;
  unsigned long a = strtoul(s, &end, 10);
  if (end == s) {
    return false;
  }
  unsigned long b = a;
  if (strncmp(end, "..", 2) == 0) {
    const char *r = end + 2;
    b = strtoul(r, &end, 10);
    if (end == r) {
      return false;
    }
  }
  *lo = a;
  *hi = b;
  return *end == '\0' && a >= 2 && b >= a && b <= 50;
}

/* The labels dataset again with a text column `segment`: the name of each row's cluster. */
static int add_names(segkit_workspace *ws, const char *name, const char *const *names,
                     size_t n_names) {
  segkit_table *t = NULL;
  segkit_error err;
  if (segkit_workspace_load(ws, name, &t, &err) != SEGKIT_OK) {
    return cli_report(&err);
  }
  size_t n = segkit_table_n_rows(t);
  long ci = segkit_table_column_index(t, "cluster");
  size_t nc = segkit_table_n_cols(t);
  segkit_column_arrays *cols = calloc(nc + 1, sizeof *cols);
  uint32_t *codes = calloc(n + 1, sizeof *codes);
  uint64_t *valid = calloc((n + 63) / 64 + 1, sizeof *valid);
  uint64_t off[MAX_ITEMS + 1];
  char dict[4096 + MAX_ITEMS];
  int rc = cols == NULL || codes == NULL || valid == NULL || ci < 0 ? CLI_EXIT_ENV : 0;
  off[0] = 0;
  for (size_t k = 0; rc == 0 && k < n_names; k++) {
    size_t len = strlen(names[k]) + 1;
    memcpy(dict + off[k], names[k], len);
    off[k + 1] = off[k] + len;
  }
  const segkit_column *cl = rc == 0 ? segkit_table_column(t, (size_t)ci) : NULL;
  /* the labels number clusters from 1, as cluster fit prints them */
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int64_t c = segkit_column_is_valid(cl, i) ? segkit_column_int64(cl)[i] - 1 : -1;
    if (c >= 0 && (size_t)c < n_names) {
      codes[i] = (uint32_t)c;
      valid[i / 64] |= UINT64_C(1) << (i % 64);
    }
  }
  size_t k = 0;
  for (size_t c = 0; rc == 0 && c < nc; c++) {
    if (strcmp(segkit_column_name(segkit_table_column(t, c)), "segment") != 0) {
      cols[k++] = segkit_column_as_arrays(segkit_table_column(t, c));
    }
  }
  segkit_table *out = NULL;
  if (rc == 0) {
    cols[k++] = (segkit_column_arrays){.name = "segment", .type = SEGKIT_TYPE_STRING,
                                       .data = codes, .validity = valid,
                                       .dict_size = (uint32_t)n_names, .dict_offsets = off,
                                       .dict_bytes = dict};
    if (segkit_table_from_arrays(n, k, cols, &out, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  segkit_import_request req = {.dataset = name, .mode = SEGKIT_IMPORT_REPLACE, .table = out,
                               .source = "segkit survey segment", .actor = "cli:survey"};
  segkit_import_outcome oc;
  if (rc == 0 && segkit_workspace_import(ws, &req, &oc, &err) != SEGKIT_OK) {
    rc = cli_report(&err);
  }
  segkit_table_free(out);
  segkit_table_free(t);
  free(cols);
  free(codes);
  free(valid);
  return rc;
}

int survey_segment(cli_args *a) {
  const char *dataset = cli_get(a, "dataset");
  if ((dataset == NULL) == (a->n_positional != 2)) {
    return cli_usage_error("survey", "give --dataset NAME or one FILE");
  }
  const char *method_s = cli_get(a, "method") != NULL ? cli_get(a, "method") : "kmeans";
  int method = segkit_cluster_method_parse(method_s);
  if (method != SEGKIT_CLUSTER_KMEANS && method != SEGKIT_CLUSTER_GMM &&
      method != SEGKIT_CLUSTER_LCA) {
    return cli_usage_error("survey", "--method must be kmeans, gmm or lca");
  }
  size_t k_lo = 0, k_hi = 0;
  if (!parse_k(cli_get(a, "k"), &k_lo, &k_hi)) {
    return cli_usage_error("survey", "--k must be a number >= 2 or a range A..B");
  }
  int64_t want_factors = 0;
  if (!cli_get_int(a, "factors", 0, MAX_ITEMS, &want_factors)) {
    return CLI_EXIT_USAGE;
  }
  const char *on = cli_get(a, "on") != NULL ? cli_get(a, "on") : "items";
  if (strcmp(on, "items") != 0 && strcmp(on, "factors") != 0) {
    return cli_usage_error("survey", "--on must be items or factors");
  }
  if (strcmp(on, "factors") == 0 && method == SEGKIT_CLUSTER_LCA) {
    return cli_usage_error("survey", "latent classes take the items' answers as categories: "
                                     "leave out --on factors");
  }
  if (strcmp(on, "factors") == 0 && cli_get(a, "save") != NULL) {
    return cli_usage_error("survey", "--save keeps a segmentation of the items (so it can type "
                                     "new respondents): leave out --on factors");
  }
  segkit_table *t = NULL;
  int rc = cli_load_named(a, "survey", dataset, dataset == NULL ? a->positional[1] : NULL, &t);
  char buf[8192];
  const char *items[MAX_ITEMS];
  size_t n_items = 0;
  if (rc == 0) {
    rc = items_of(a, t, buf, sizeof buf, items, &n_items);
  }
  cli_cluster_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.method = (segkit_cluster_method)method;
  for (size_t i = 0; i < n_items; i++) {
    spec.features[i] = items[i];
  }
  spec.n_features = n_items;
  spec.scale = SEGKIT_SCALE_ZSCORE;
  spec.missing = cli_get(a, "missing") != NULL && strcmp(cli_get(a, "missing"), "drop") == 0
                     ? SEGKIT_MISSING_DROP
                     : SEGKIT_MISSING_MEAN;
  /* the items as numbers for the factors (and k-means, mixtures); latent classes read the
   * same answers as categories */
  cli_cluster_spec num_spec = spec;
  num_spec.method = SEGKIT_CLUSTER_KMEANS;
  cli_cluster_data dnum;
  memset(&dnum, 0, sizeof dnum);
  if (rc == 0) {
    rc = cli_cluster_data_fit(t, &num_spec, &dnum);
  }
  cli_cluster_data dcat;
  memset(&dcat, 0, sizeof dcat);
  if (rc == 0 && method == SEGKIT_CLUSTER_LCA) {
    rc = cli_cluster_data_fit(t, &spec, &dcat);
  }
  cli_cluster_data d = method == SEGKIT_CLUSTER_LCA ? dcat : dnum;
  factors f;
  memset(&f, 0, sizeof f);
  if (rc == 0) {
    rc = factor_structure(&dnum, (size_t)want_factors, &f);
  }
  if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
    print_factors(&f, items);
  }
  /* the data the segments are found in: the items, or the kept component scores */
  segkit_cluster_data cd;
  cli_cluster_data_view(&d, &cd);
  double *scores = NULL;
  if (rc == 0 && strcmp(on, "factors") == 0) {
    double *all = malloc(d.n * f.p * sizeof *all);
    scores = malloc(d.n * f.k * sizeof *scores);
    if (all == NULL || scores == NULL) {
      rc = CLI_EXIT_ENV;
    } else {
      segkit_pca_project(f.pca, f.z, dnum.n, all);
      for (size_t i = 0; i < d.n; i++) {
        memcpy(scores + i * f.k, all + i * f.p, f.k * sizeof *scores);
      }
      cd.x = scores;
      cd.d = f.k;
    }
    free(all);
  }
  segkit_cluster_options o;
  segkit_cluster_options_init(&o);
  o.method = (segkit_cluster_method)method;
  o.n_threads = a->threads;
  segkit_error err;
  segkit_sweep *sw = NULL;
  segkit_cluster_model *m = NULL;
  const segkit_cluster_model *chosen = NULL;
  if (rc == 0 && k_lo != k_hi) {
    segkit_sweep_options so;
    segkit_sweep_options_init(&so);
    so.k_min = k_lo;
    so.k_max = k_hi;
    if (segkit_cluster_sweep(&cd, &o, &so, &sw, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    } else {
      size_t kr = segkit_sweep_recommended_k(sw);
      chosen = segkit_sweep_model(sw, kr - k_lo);
      if (a->format == CLI_FORMAT_TABLE) {
        printf("\nsegments: %s on the %s, k from %zu to %zu: %s\n", method_s, on, k_lo, k_hi,
               segkit_sweep_reason(sw));
      }
    }
  } else if (rc == 0) {
    o.k = k_lo;
    if (segkit_cluster_fit(&cd, &o, &m, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
    chosen = m;
    if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
      printf("\nsegments: %s on the %s, k = %zu\n", method_s, on, k_lo);
    }
  }
  json_t *summary = NULL;
  if (rc == 0) {
    cli_cluster_scores sc;
    cli_cluster_data view = d;
    if (scores != NULL) {
      view.x = scores;
      view.d = f.k;
      view.prep = NULL;
    }
    cli_cluster_score(chosen, &view, 0, a->threads, &sc);
    summary = cli_cluster_summary(chosen, &view, &sc, 0.05, "zscore");
  }
  if (rc == 0 && a->format == CLI_FORMAT_TABLE) {
    const size_t *sizes = segkit_cluster_model_sizes(chosen);
    const double *shares = segkit_cluster_model_shares(chosen);
    size_t k = segkit_cluster_model_k(chosen);
    printf("  respondents per segment:");
    for (size_t j = 0; j < k; j++) {
      printf("%s %zu: %zu (%.1f%%)", j > 0 ? "," : "", j + 1, sizes[j], 100 * shares[j]);
    }
    const json_t *sil = json_object_get(summary, "silhouette");
    if (json_is_number(sil)) {
      printf("\n  silhouette %.3f;", json_number_value(sil));
    } else {
      printf("\n ");
    }
    printf(" segkit survey profile --segments NAME --by cluster shows what sets each apart\n");
  }
  if (rc == 0 && a->format == CLI_FORMAT_JSON) {
    json_t *root = json_pack("{s:o, s:s, s:s, s:O}", "factors", factors_json(&f, items),
                             "method", method_s, "on", on, "segments", summary);
    if (sw != NULL) {
      json_object_set_new(root, "recommended_k",
                          json_integer((json_int_t)segkit_sweep_recommended_k(sw)));
      json_object_set_new(root, "reason", json_string(segkit_sweep_reason(sw)));
    }
    json_dumpf(root, stdout, CLI_JSON_FLAGS);
    printf("\n");
    json_decref(root);
  }
  /* --names: the segments' names, kept in the model and as a column of its labels */
  const char *names[MAX_ITEMS];
  size_t n_names = 0;
  char names_buf[4096];
  if (rc == 0 && cli_get(a, "names") != NULL) {
    snprintf(names_buf, sizeof names_buf, "%s", cli_get(a, "names"));
    if (strlen(cli_get(a, "names")) >= sizeof names_buf ||
        !cli_split_list(names_buf, names, MAX_ITEMS, &n_names) ||
        n_names != segkit_cluster_model_k(chosen)) {
      rc = cli_usage_error("survey", "--names needs one name per segment (%zu), comma-separated",
                           segkit_cluster_model_k(chosen));
    } else {
      json_t *list = json_array();
      for (size_t i = 0; i < n_names; i++) {
        json_array_append_new(list, json_string(names[i]));
      }
      json_object_set_new(summary, "segment_names", list);
    }
  }
  if (rc == 0 && cli_get(a, "save") != NULL) {
    segkit_workspace *ws = NULL;
    rc = cli_open_workspace(a, true, &ws);
    const char *id = cli_get(a, "id") != NULL ? cli_get(a, "id")
                                              : segkit_column_name(segkit_table_column(t, 0));
    long ki = segkit_table_column_index(t, id);
    if (rc == 0 && ki < 0) {
      rc = cli_usage_error("survey", "no id column '%s'", id);
    }
    if (rc == 0) {
      rc = cli_cluster_save(ws, cli_get(a, "save"), dataset, chosen, &d, &spec,
                            segkit_table_column(t, (size_t)ki), summary);
    }
    if (rc == 0 && n_names > 0) {
      rc = add_names(ws, cli_get(a, "save"), names, n_names);
    }
    if (rc == 0 && a->format == CLI_FORMAT_TABLE && !a->quiet) {
      printf("saved as model and dataset '%s' (key, cluster)\n", cli_get(a, "save"));
    }
    segkit_workspace_close(ws);
  }
  json_decref(summary);
  segkit_sweep_free(sw);
  segkit_cluster_model_free(m);
  free(scores);
  factors_free(&f);
  cli_cluster_data_free(&dnum);
  cli_cluster_data_free(&dcat);
  segkit_table_free(t);
  return rc;
}
