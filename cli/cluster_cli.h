/* cluster_cli.h: what segkit cluster's files share — the parsed feature options and the
 * data handed to a method, built from a table for fitting or from a saved model for
 * typing new rows (cluster_data.c). */
#ifndef SEGKIT_CLUSTER_CLI_H
#define SEGKIT_CLUSTER_CLI_H

#include <jansson.h>

#include "cli.h"
#include "segkit/cluster.h"

enum { CLI_CLUSTER_MAX_FEATURES = 128, CLI_CLUSTER_MAX_LEVELS = 64 };

typedef struct cli_cluster_spec {
  segkit_cluster_method method;
  char features_buf[4096];
  const char *features[CLI_CLUSTER_MAX_FEATURES];
  size_t n_features;
  char log1p_buf[4096];
  const char *log1p[CLI_CLUSTER_MAX_FEATURES];
  size_t n_log1p;
  segkit_scale scale;
  segkit_missing missing;
  double winsor;             /* 0 = no clipping */
  const char *weight;
} cli_cluster_spec;

typedef struct cli_cluster_data {
  segkit_prep *prep;         /* NULL when every feature is a category */
  double *x;                 /* n x d */
  size_t n, d;
  int32_t *cat;              /* n x n_cat codes (-1 missing, LCA only) */
  size_t n_cat;
  int32_t *levels;
  json_t *cat_levels;        /* [{"column", "levels": [text...]}] */
  size_t *row_index;         /* row of the table of each data row */
  double *weights;
  size_t n_dropped;          /* table rows left out (a missing value, an unseen category) */
  size_t n_unseen;           /* category values not seen in fitting */
} cli_cluster_data;

/* --features, --log1p, --scale, --missing, --winsor, --weight (s->method set by the
 * caller first). 0 or a usage exit code. */
int cli_cluster_spec_parse(cli_args *a, cli_cluster_spec *s);
/* Fit the preprocessing and the category levels on t and build the data. */
int cli_cluster_data_fit(const segkit_table *t, const cli_cluster_spec *s, cli_cluster_data *d);
/* The data of new rows through a saved preprocessing (JSON, may be null) and levels. */
int cli_cluster_data_apply(const segkit_table *t, const cli_cluster_spec *s, json_t *prep_json,
                           json_t *cat_levels, cli_cluster_data *d);
void cli_cluster_data_view(const cli_cluster_data *d, segkit_cluster_data *out);
void cli_cluster_data_free(cli_cluster_data *d);

/* Distance scores of a fitted model on its data (NaN where they do not apply: categories,
 * k < 2); stability is the caller's (stab_boot 0 = not computed). */
typedef struct cli_cluster_scores {
  double silhouette, ch, db;
  size_t silhouette_rows;
  double stab_mean, stab_sd;
  int stab_boot;
} cli_cluster_scores;
void cli_cluster_score(const segkit_cluster_model *m, const cli_cluster_data *d, uint64_t seed,
                       int threads, cli_cluster_scores *s);
/* The summary JSON fit prints and show reads back (sizes, shares, centroids in original
 * units or item probabilities, scores). */
json_t *cli_cluster_summary(const segkit_cluster_model *m, const cli_cluster_data *d,
                            const cli_cluster_scores *s, double min_share, const char *scale);
/* Keep a fitted model (kind "cluster") and its labels as dataset `name`. 0 or an exit code. */
int cli_cluster_save(segkit_workspace *ws, const char *name, const char *dataset,
                     const segkit_cluster_model *m, const cli_cluster_data *d,
                     const cli_cluster_spec *spec, const segkit_column *key, json_t *summary);

#endif
