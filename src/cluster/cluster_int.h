/* cluster_int.h: the model object every clustering method fills, and the helpers the
 * method files share. One struct for all methods, so assignment, serialisation, scores
 * and the CLI treat a model the same whatever fitted it; fields a method does not use stay
 * NULL / NaN / 0. */
#ifndef SEGKIT_CLUSTER_INT_H
#define SEGKIT_CLUSTER_INT_H

#include "segkit/cluster.h"

struct segkit_cluster_model {
  segkit_cluster_method method;
  segkit_kmeans_algorithm algorithm; /* k-means family: the one used */
  size_t k, d, n_cat;
  int32_t *levels;          /* n_cat level counts (lca, kprototypes) */

  size_t n;                 /* fitting rows (0 for a model loaded from JSON) */
  int32_t *labels;          /* n */
  double *posteriors;       /* n x k (gmm, lca) */

  size_t *sizes;            /* k */
  double *shares;           /* k */
  double *centroids;        /* k x d (not lca) */
  int32_t *modes;           /* k x n_cat (kprototypes) */
  double gamma;             /* kprototypes mismatch weight */

  segkit_gmm_covariance covariance_type;
  double *covariances;      /* gmm: k blocks of d*d (full), d (diag) or 1 (spherical) */
  double *precision_chol;   /* gmm: what assignment needs, same layout as covariances
                               (full: lower Cholesky factor of each precision matrix,
                               diag/spherical: 1 / sd); may be NULL until computed */
  double *item_probs;       /* lca: for class c, item j, level l at
                               item_probs[c * sum_levels + offset[j] + l] */
  size_t *item_offset;      /* lca: n_cat offsets into a class's block */
  size_t sum_levels;        /* lca: sum of levels */

  double *merges;           /* ward: (n - 1) x 4 */

  double inertia;
  double log_likelihood;    /* NaN when not a likelihood method */
  size_t n_params;
  double entropy;           /* NaN when not applicable */
  int iterations;
  bool converged;
  int best_start;
};

/* A zeroed model with NaN likelihood and entropy; NULL on allocation failure. */
segkit_cluster_model *sk__cluster_model_new(segkit_cluster_method method, size_t k, size_t d,
                                            size_t n_cat);

/* Fill sizes and shares from labels (and weights, NULL = 1). Returns false on allocation
 * failure. */
bool sk__cluster_model_tally(segkit_cluster_model *m, const double *weights);

/* Per-method fitters, called by segkit_cluster_fit after the common checks (n >= 1,
 * k >= 1, shapes, finite values, weights >= 0, codes in range). */
segkit_status sk__kmeans_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                             segkit_cluster_model **out, segkit_error *err);
segkit_status sk__minibatch_fit(const segkit_cluster_data *data,
                                const segkit_cluster_options *opt, segkit_cluster_model **out,
                                segkit_error *err);
segkit_status sk__kprototypes_fit(const segkit_cluster_data *data,
                                  const segkit_cluster_options *opt,
                                  segkit_cluster_model **out, segkit_error *err);
segkit_status sk__gmm_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                          segkit_cluster_model **out, segkit_error *err);
segkit_status sk__lca_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                          segkit_cluster_model **out, segkit_error *err);
segkit_status sk__ward_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                           segkit_cluster_model **out, segkit_error *err);

/* Per-method assignment of new rows, called by segkit_cluster_assign after shape checks. */
segkit_status sk__kmeans_assign(const segkit_cluster_model *m, const segkit_cluster_data *data,
                                int32_t *labels, segkit_error *err);
segkit_status sk__kprototypes_assign(const segkit_cluster_model *m,
                                     const segkit_cluster_data *data, int32_t *labels,
                                     segkit_error *err);
segkit_status sk__gmm_assign(const segkit_cluster_model *m, const segkit_cluster_data *data,
                             int32_t *labels, segkit_error *err);
segkit_status sk__lca_assign(const segkit_cluster_model *m, const segkit_cluster_data *data,
                             int32_t *labels, segkit_error *err);

#endif
