/* Step 8 of segkit demo: behavioural segments found by clustering rather than written as
 * rules — k-means on the RFM table step 7 stored (recency, frequency on a log scale,
 * monetary, winsorised at 1%, z-scored), four clusters kept as the model "behaviour", and
 * for each cluster how many of its customers have churned (their lifecycle stage), which
 * is what makes a cluster worth naming. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster_cli.h"

enum { DEMO_K = 4 };

typedef struct key_stage {
  int64_t key;
  bool churned;
} key_stage;

static int cmp_key_stage(const void *a, const void *b) {
  int64_t x = ((const key_stage *)a)->key;
  int64_t y = ((const key_stage *)b)->key;
  return (x > y) - (x < y);
}

/* Customers of the stages table with whether they are churned, sorted by key. */
static key_stage *churn_index(const segkit_table *stages, size_t *n) {
  long ki = segkit_table_column_index(stages, "customer_id");
  long si = segkit_table_column_index(stages, "stage");
  *n = 0;
  if (ki < 0 || si < 0) {
    return NULL;
  }
  const segkit_column *key = segkit_table_column(stages, (size_t)ki);
  const segkit_column *stage = segkit_table_column(stages, (size_t)si);
  if (segkit_column_int64(key) == NULL || segkit_column_codes(stage) == NULL) {
    return NULL;
  }
  int64_t churned = segkit_column_dict_find(stage, "churned", strlen("churned"));
  size_t rows = segkit_table_n_rows(stages);
  key_stage *v = malloc((rows + 1) * sizeof *v);
  for (size_t i = 0; v != NULL && i < rows; i++) {
    if (segkit_column_is_valid(key, i) && segkit_column_is_valid(stage, i)) {
      v[*n].key = segkit_column_int64(key)[i];
      v[*n].churned = churned >= 0 && segkit_column_codes(stage)[i] == (uint32_t)churned;
      (*n)++;
    }
  }
  if (v != NULL) {
    qsort(v, *n, sizeof *v, cmp_key_stage);
  }
  return v;
}

static void print_clusters(const segkit_cluster_model *m, const cli_cluster_data *d,
                           const segkit_column *key, const key_stage *idx, size_t n_idx) {
  size_t known[DEMO_K] = {0};
  size_t churned[DEMO_K] = {0};
  const int32_t *labels = segkit_cluster_model_labels(m);
  if (segkit_column_int64(key) == NULL) {
    idx = NULL; /* the generated ids are integers; anything else has no stages to match */
  }
  for (size_t i = 0; i < d->n && idx != NULL; i++) {
    key_stage probe = {segkit_column_int64(key)[d->row_index[i]], false};
    const key_stage *hit = bsearch(&probe, idx, n_idx, sizeof *idx, cmp_key_stage);
    if (hit != NULL) {
      known[labels[i]]++;
      churned[labels[i]] += hit->churned;
    }
  }
  static const char *const headers[] = {"cluster", "customers", "share", "days since purchase",
                                        "purchases", "net revenue", "churned now"};
  cli_grid *g = cli_grid_new(7, headers);
  const double *c = segkit_cluster_model_centroids(m);
  double units[3];
  for (size_t j = 0; g != NULL && j < DEMO_K; j++) {
    segkit_prep_inverse(d->prep, c + j * d->d, units);
    cli_grid_row(g);
    cli_grid_int(g, (int64_t)j + 1);
    cli_grid_int(g, (int64_t)segkit_cluster_model_sizes(m)[j]);
    char pct[32];
    snprintf(pct, sizeof pct, "%.1f%%", 100.0 * segkit_cluster_model_shares(m)[j]);
    cli_grid_text(g, pct);
    cli_grid_real(g, units[0], 0);
    cli_grid_real(g, units[1], 1);
    cli_grid_real(g, units[2], 0);
    snprintf(pct, sizeof pct, "%.1f%%",
             known[j] > 0 ? 100.0 * (double)churned[j] / (double)known[j] : 0.0);
    cli_grid_text(g, pct);
  }
  cli_grid_print(g, CLI_FORMAT_TABLE, stdout);
  cli_grid_free(g);
}

int cli_demo_clusters(segkit_workspace *ws, int n_threads) {
  segkit_table *rfm = NULL;
  segkit_table *stages = NULL;
  segkit_error err;
  segkit_dataset_list *have = NULL;
  if (segkit_workspace_dataset_info(ws, "rfm", &have, &err) != SEGKIT_OK) {
    printf("\n== 8. behavioural clusters: skipped (step 7 stored no RFM table)\n");
    return 0;
  }
  segkit_dataset_list_free(have);
  if (segkit_workspace_load(ws, "rfm", &rfm, &err) != SEGKIT_OK ||
      segkit_workspace_load(ws, "stages", &stages, &err) != SEGKIT_OK) {
    segkit_table_free(rfm);
    return cli_report(&err);
  }
  cli_cluster_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.method = SEGKIT_CLUSTER_KMEANS;
  static const char *const features[] = {"recency_days", "frequency", "monetary"};
  for (size_t i = 0; i < 3; i++) {
    spec.features[i] = features[i];
  }
  spec.n_features = 3;
  spec.log1p[0] = "frequency";
  spec.n_log1p = 1;
  spec.scale = SEGKIT_SCALE_ZSCORE;
  spec.missing = SEGKIT_MISSING_DROP;
  spec.winsor = 0.01;
  cli_cluster_data d;
  int rc = cli_cluster_data_fit(rfm, &spec, &d);
  segkit_cluster_model *m = NULL;
  if (rc == 0 && d.n < 10 * DEMO_K) {
    printf("\n== 8. behavioural clusters: too few customers to cluster (try --customers 20000)\n");
    cli_cluster_data_free(&d);
    segkit_table_free(rfm);
    segkit_table_free(stages);
    return 0;
  }
  if (rc == 0) {
    segkit_cluster_options o;
    segkit_cluster_options_init(&o);
    o.k = DEMO_K;
    o.n_threads = n_threads;
    segkit_cluster_data cd;
    cli_cluster_data_view(&d, &cd);
    if (segkit_cluster_fit(&cd, &o, &m, &err) != SEGKIT_OK) {
      rc = cli_report(&err);
    }
  }
  const segkit_column *key = NULL;
  if (rc == 0) {
    key = segkit_table_column(rfm, (size_t)segkit_table_column_index(rfm, "customer_id"));
    cli_cluster_scores s;
    memset(&s, 0, sizeof s);
    cli_cluster_score(m, &d, 0, n_threads, &s);
    json_t *summary = cli_cluster_summary(m, &d, &s, 0.05, "zscore");
    rc = cli_cluster_save(ws, "behaviour", "rfm", m, &d, &spec, key, summary);
    json_decref(summary);
    if (rc == 0) {
      printf("\n== 8. behavioural clusters: k-means on recency, log frequency and net revenue "
             "(segkit cluster; silhouette %.2f)\n",
             s.silhouette);
      size_t n_idx = 0;
      key_stage *idx = churn_index(stages, &n_idx);
      print_clusters(m, &d, key, idx, n_idx);
      free(idx);
      printf("(centroids in original units; saved as model 'behaviour' and dataset 'behaviour', "
             "so metrics --customers behaviour --by cluster splits churn and NRR by it)\n");
    }
  }
  segkit_cluster_model_free(m);
  cli_cluster_data_free(&d);
  segkit_table_free(rfm);
  segkit_table_free(stages);
  return rc;
}
