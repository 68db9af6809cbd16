/* segkit/cluster.h: the clustering engine — finds segments in data when no rule is known.
 *
 *   preprocessing  a table's chosen columns -> a dense matrix: z-score or robust scaling,
 *                  log1p, winsorising, one-hot categories, missing-value policy; the fitted
 *                  preprocessing is an object that transforms new rows the same way and maps
 *                  centroids back to original units (segkit_prep_*)
 *   methods        k-means (k-means++ greedy init, restarts, fused Lloyd or Hamerly bounds,
 *                  threads), mini-batch k-means, k-prototypes, Gaussian mixtures (spherical,
 *                  diagonal, full), latent class analysis (poLCA's model), Ward hierarchical
 *                  clustering; all return a segkit_cluster_model (segkit_cluster_fit)
 *   judging        silhouette, Calinski-Harabasz, Davies-Bouldin, adjusted Rand index,
 *                  bootstrap stability, and the k sweep with a recommendation
 *   mapping        PCA of any matrix (segkit_pca_*) for a 2-D map of a clustering
 *
 * Matrices are row-major doubles: row i, column j at x[i * d + j]. Labels are 0..k-1.
 * Categorical data (k-prototypes, LCA) are int32 codes 0..levels-1 per item, row-major
 * (row i, item j at cat[i * n_cat + j]); -1 is a missing answer (LCA skips it in the
 * likelihood, as poLCA does with na.rm = FALSE; k-prototypes refuses it).
 *
 * Determinism: for given data, options and seed, every method returns the same model
 * whatever n_threads is (per-thread partial sums are combined in a fixed order, random
 * draws come from the seeded generator in a fixed order).
 *
 * Ownership: models, prep objects, PCA results and sweep results are the caller's (free
 * with the matching _free); pointers from getters borrow from the object and live as long
 * as it. Input arrays and options are only read, never kept. Objects are read-only after
 * they are returned: any number of threads may read them at once. */
#ifndef SEGKIT_CLUSTER_H
#define SEGKIT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- preprocessing (src/cluster/prep*.c) ---------------------------------------------- */

typedef enum segkit_scale {
  SEGKIT_SCALE_ZSCORE = 0, /* (x - mean) / sd (population sd, ddof 0, as scikit-learn's
                              StandardScaler); a constant column gets sd 1 */
  SEGKIT_SCALE_NONE,
  SEGKIT_SCALE_ROBUST      /* (x - median) / IQR (quantiles by linear interpolation, as
                              numpy's default and scikit-learn's RobustScaler); IQR 0 -> 1 */
} segkit_scale;

typedef enum segkit_missing {
  SEGKIT_MISSING_DROP = 0, /* a row with a null in any feature is left out (and counted) */
  SEGKIT_MISSING_MEAN,     /* numeric nulls get the fitted mean (categorical: the mode) */
  SEGKIT_MISSING_MEDIAN,   /* numeric nulls get the fitted median (categorical: the mode) */
  SEGKIT_MISSING_MODE      /* every null gets the most frequent value (ties: smallest) */
} segkit_missing;

typedef struct segkit_prep_feature {
  const char *column;     /* a column of the table: int64, float64, bool -> numeric;
                             string -> categorical (one-hot) */
  bool log1p;             /* numeric: x -> log(1 + x) before anything else; x <= -1 is an
                             error naming the row */
  double winsor_lower;    /* numeric: clip to these quantiles of the fitting data, after
                             log1p and before scaling; 0 and 1 = no clipping */
  double winsor_upper;
  bool categorical;       /* treat an int64 column as categorical too */
} segkit_prep_feature;

typedef struct segkit_prep_options {
  const segkit_prep_feature *features;
  size_t n_features;
  segkit_scale scale;        /* numeric features (one-hot columns are never scaled) */
  segkit_missing missing;
  const char *weight_column; /* optional numeric column of row weights (>= 0, finite) */
  size_t max_levels;         /* categorical: more distinct values is an error (default 0 =
                                64), so an id column is not one-hot encoded by mistake */
} segkit_prep_options;

/* Defaults: no features, zscore, drop, no weights, max_levels 64. */
SEGKIT_API void segkit_prep_options_init(segkit_prep_options *opt);

typedef struct segkit_prep segkit_prep;

/* Fit the preprocessing on a table: per numeric feature the statistics of its scaling and
 * winsorising (over the rows kept, weights ignored), per categorical feature its levels in
 * first-seen order. Errors: a column missing (SEGKIT_ERR_SCHEMA), of a type that cannot be a
 * feature (SEGKIT_ERR_TYPE), too many levels or no rows left (SEGKIT_ERR_LIMIT), a bad value
 * (SEGKIT_ERR_PARSE naming column and 1-based row), bad options (SEGKIT_ERR_USAGE). */
SEGKIT_API segkit_status segkit_prep_fit(const segkit_table *t, const segkit_prep_options *opt,
                                         segkit_prep **out, segkit_error *err);
SEGKIT_API void segkit_prep_free(segkit_prep *p);

/* Output dimension: one per numeric feature, one per level of each categorical feature. */
SEGKIT_API size_t segkit_prep_dims(const segkit_prep *p);
/* Name of output column j: the column name, or "column=level" for one-hot columns. */
SEGKIT_API const char *segkit_prep_dim_name(const segkit_prep *p, size_t j);
SEGKIT_API segkit_scale segkit_prep_scale(const segkit_prep *p);

/* Transform a table with the fitted preprocessing (same columns by name, any row count)
 * into a new n_out x dims matrix (*x_out, the caller frees with free()). row_index_out
 * (may be NULL) gets, for each output row, its 0-based row in t (the caller frees);
 * weights_out (may be NULL) the row weights (all 1 without a weight column; the caller
 * frees). Under SEGKIT_MISSING_DROP rows with nulls are left out; a categorical value not
 * seen in fitting gets all-zero one-hot columns and is counted in *n_unseen_out (may be
 * NULL). */
SEGKIT_API segkit_status segkit_prep_transform(const segkit_prep *p, const segkit_table *t,
                                               double **x_out, size_t *n_out,
                                               size_t **row_index_out, double **weights_out,
                                               size_t *n_unseen_out, segkit_error *err);

/* Map a point of the transformed space (dims values) back to original units: numeric
 * features unscaled (and expm1 after log1p), one-hot columns copied (a centroid's value is
 * the share of its rows with that level). out has dims values. */
SEGKIT_API void segkit_prep_inverse(const segkit_prep *p, const double *point, double *out);

/* Serialise to a JSON document (malloc'd, the caller frees) and back, so a saved model
 * transforms new rows exactly as at fitting (doubles written with 17 significant digits). */
SEGKIT_API segkit_status segkit_prep_to_json(const segkit_prep *p, char **json_out,
                                             segkit_error *err);
SEGKIT_API segkit_status segkit_prep_from_json(const char *json, segkit_prep **out,
                                               segkit_error *err);

/* ---- data handed to a method ---------------------------------------------------------- */

typedef struct segkit_cluster_data {
  const double *x;          /* n x d numeric matrix (NULL when d == 0) */
  size_t n;                 /* rows */
  size_t d;                 /* numeric columns */
  const int32_t *cat;       /* n x n_cat categorical codes (k-prototypes, LCA); else NULL */
  size_t n_cat;
  const int32_t *levels;    /* n_cat level counts (codes are 0..levels[j]-1) */
  const double *weights;    /* n row weights (>= 0) or NULL for all 1 */
} segkit_cluster_data;

/* ---- fitting (src/cluster/{kmeans,minibatch,kprototypes,gmm,lca,ward}*.c) -------------- */

typedef enum segkit_cluster_method {
  SEGKIT_CLUSTER_KMEANS = 0,
  SEGKIT_CLUSTER_MINIBATCH,
  SEGKIT_CLUSTER_KPROTOTYPES,
  SEGKIT_CLUSTER_GMM,
  SEGKIT_CLUSTER_LCA,
  SEGKIT_CLUSTER_WARD
} segkit_cluster_method;

/* "kmeans", "minibatch", "kprototypes", "gmm", "lca", "ward"; and back (-1 if unknown). */
SEGKIT_API const char *segkit_cluster_method_name(segkit_cluster_method m);
SEGKIT_API int segkit_cluster_method_parse(const char *name);

typedef enum segkit_kmeans_algorithm {
  SEGKIT_KMEANS_AUTO = 0,  /* the implementation chooses from n, d and k; the choice is
                              stated in the model (segkit_cluster_model_algorithm) */
  SEGKIT_KMEANS_LLOYD,     /* every distance every iteration, fused with argmin and sums */
  SEGKIT_KMEANS_HAMERLY    /* bounds skip most distance computations; same result */
} segkit_kmeans_algorithm;

typedef enum segkit_gmm_covariance {
  SEGKIT_GMM_FULL = 0,     /* mclust "VVV" */
  SEGKIT_GMM_DIAG,         /* mclust "VVI" */
  SEGKIT_GMM_SPHERICAL     /* mclust "VII" */
} segkit_gmm_covariance;

typedef struct segkit_cluster_options {
  segkit_cluster_method method;
  size_t k;                /* clusters / components / classes, >= 1 (>= 2 for scores) */
  int restarts;            /* independent starts, best kept (k-means: lowest inertia;
                              gmm/lca: highest log-likelihood); default 10 (lca 10, ward 1) */
  int max_iter;            /* default 300 (lca 1000, minibatch: passes over the data 100) */
  double tol;              /* k-means: stop when the sum of squared centroid moves is below
                              tol x the mean per-column variance (scikit-learn's rule),
                              default 1e-4; gmm: when the per-row mean log-likelihood
                              changes by less than tol (absolute; default 1e-6, as
                              scikit-learn); lca: when the total log-likelihood gains less
                              than tol (default 1e-10, as poLCA) */
  uint64_t seed;           /* default 0 */
  int n_threads;           /* 0 = one per online CPU (at most 16); 1 = serial */
  segkit_kmeans_algorithm algorithm;
  size_t batch_size;       /* minibatch: rows per step, default 1024 */
  segkit_gmm_covariance covariance;
  double reg_covar;        /* gmm: added to covariance diagonals, default 1e-6 */
  double gamma;            /* k-prototypes: weight of a categorical mismatch; default 0 =
                              half the mean sd of the numeric columns (Huang 1997) */
} segkit_cluster_options;

SEGKIT_API void segkit_cluster_options_init(segkit_cluster_options *opt);

typedef struct segkit_cluster_model segkit_cluster_model;

/* Fit the method of opt to the data. Errors: k > the number of distinct rows or n == 0
 * (SEGKIT_ERR_LIMIT), data of the wrong shape for the method (numeric for kmeans,
 * minibatch, gmm, ward; categorical for lca; both for kprototypes), non-finite values,
 * codes out of range, negative weights (SEGKIT_ERR_USAGE naming the row and column),
 * ward with n > 20000 (SEGKIT_ERR_LIMIT), allocation failure (SEGKIT_ERR_NOMEM). A fit
 * that hits max_iter is returned, with segkit_cluster_model_converged false. */
SEGKIT_API segkit_status segkit_cluster_fit(const segkit_cluster_data *data,
                                            const segkit_cluster_options *opt,
                                            segkit_cluster_model **out, segkit_error *err);
SEGKIT_API void segkit_cluster_model_free(segkit_cluster_model *m);

SEGKIT_API segkit_cluster_method segkit_cluster_model_method(const segkit_cluster_model *m);
SEGKIT_API size_t segkit_cluster_model_k(const segkit_cluster_model *m);
SEGKIT_API size_t segkit_cluster_model_d(const segkit_cluster_model *m);
SEGKIT_API size_t segkit_cluster_model_n_cat(const segkit_cluster_model *m);
/* Rows of the fitting data and their labels (hard assignment: nearest centroid / most
 * probable component or class; ties to the smallest label). */
SEGKIT_API size_t segkit_cluster_model_n(const segkit_cluster_model *m);
SEGKIT_API const int32_t *segkit_cluster_model_labels(const segkit_cluster_model *m);
/* Rows per cluster (k values) and weighted shares (k values summing to 1; mixture
 * proportions for gmm and lca). */
SEGKIT_API const size_t *segkit_cluster_model_sizes(const segkit_cluster_model *m);
SEGKIT_API const double *segkit_cluster_model_shares(const segkit_cluster_model *m);
/* k x d centroids / component means in the fitted (transformed) space; NULL for lca. */
SEGKIT_API const double *segkit_cluster_model_centroids(const segkit_cluster_model *m);
/* Weighted sum of squared distances of rows to their centroid, in the fitted space (all
 * methods with numeric data; k-prototypes adds gamma x mismatches). */
SEGKIT_API double segkit_cluster_model_inertia(const segkit_cluster_model *m);
/* gmm and lca: log-likelihood, free parameters, BIC = -2LL + p ln n, AIC = -2LL + 2p
 * (lower is better); NaN for the other methods. */
SEGKIT_API double segkit_cluster_model_log_likelihood(const segkit_cluster_model *m);
SEGKIT_API size_t segkit_cluster_model_n_params(const segkit_cluster_model *m);
SEGKIT_API double segkit_cluster_model_bic(const segkit_cluster_model *m);
SEGKIT_API double segkit_cluster_model_aic(const segkit_cluster_model *m);
/* gmm and lca: n x k posterior probabilities; NULL for the others. */
SEGKIT_API const double *segkit_cluster_model_posteriors(const segkit_cluster_model *m);
/* lca and gmm: relative entropy of the classification, 1 - sum_i sum_c (-p_ic ln p_ic) /
 * (n ln k), in 0..1 (1 = every row certain of its class; as Mplus reports it); NaN for the
 * others and for k = 1. */
SEGKIT_API double segkit_cluster_model_entropy(const segkit_cluster_model *m);
/* gmm: covariances of component c (full: d x d; diag: d; spherical: 1 value). */
SEGKIT_API segkit_gmm_covariance segkit_cluster_model_covariance_type(
    const segkit_cluster_model *m);
SEGKIT_API const double *segkit_cluster_model_covariance(const segkit_cluster_model *m,
                                                         size_t c);
/* lca: probabilities of item j's levels in class c (levels[j] values summing to 1). */
SEGKIT_API const double *segkit_cluster_model_item_probs(const segkit_cluster_model *m,
                                                         size_t c, size_t j);
SEGKIT_API const int32_t *segkit_cluster_model_levels(const segkit_cluster_model *m);
/* kprototypes: k x n_cat modes. */
SEGKIT_API const int32_t *segkit_cluster_model_modes(const segkit_cluster_model *m);
/* ward: the n - 1 merges in order, as scipy's linkage matrix (a, b, height, size per merge,
 * 4 doubles; clusters numbered as scipy numbers them). */
SEGKIT_API const double *segkit_cluster_model_merges(const segkit_cluster_model *m);
/* Iterations of the kept start, whether it converged, which start won (0-based), and the
 * k-means algorithm used. */
SEGKIT_API int segkit_cluster_model_iterations(const segkit_cluster_model *m);
SEGKIT_API bool segkit_cluster_model_converged(const segkit_cluster_model *m);
SEGKIT_API int segkit_cluster_model_best_start(const segkit_cluster_model *m);
SEGKIT_API segkit_kmeans_algorithm segkit_cluster_model_algorithm(const segkit_cluster_model *m);

/* Assign new rows (same d / n_cat / levels as the model) to the model's clusters: nearest
 * centroid (k-means, minibatch, ward: nearest cluster mean), nearest prototype, most
 * probable component or class. labels gets data->n values. */
SEGKIT_API segkit_status segkit_cluster_assign(const segkit_cluster_model *m,
                                               const segkit_cluster_data *data,
                                               int32_t *labels, segkit_error *err);

/* Serialise the fitted model without its per-row arrays (labels, posteriors) and back;
 * a loaded model assigns exactly as the original (segkit_cluster_model_n is 0). */
SEGKIT_API segkit_status segkit_cluster_model_to_json(const segkit_cluster_model *m,
                                                      char **json_out, segkit_error *err);
SEGKIT_API segkit_status segkit_cluster_model_from_json(const char *json,
                                                        segkit_cluster_model **out,
                                                        segkit_error *err);

/* ---- judging a clustering (src/cluster/scores*.c) ------------------------------------- */

/* Mean silhouette (Rousseeuw 1987; a singleton cluster's row scores 0, as scikit-learn
 * and R's cluster) of labels over x. With sample_size > 0 and n > sample_size, over a
 * uniform sample of sample_size rows drawn with seed (distances within the sample, as
 * scikit-learn's silhouette_score(sample_size=...)); *used_out gets the rows used.
 * Requires 2 <= k <= n - 1. */
SEGKIT_API segkit_status segkit_silhouette(const double *x, size_t n, size_t d,
                                           const int32_t *labels, size_t k,
                                           size_t sample_size, uint64_t seed, int n_threads,
                                           double *score_out, size_t *used_out,
                                           segkit_error *err);
/* Calinski-Harabasz and Davies-Bouldin as scikit-learn defines them. */
SEGKIT_API segkit_status segkit_calinski_harabasz(const double *x, size_t n, size_t d,
                                                  const int32_t *labels, size_t k,
                                                  double *score_out, segkit_error *err);
SEGKIT_API segkit_status segkit_davies_bouldin(const double *x, size_t n, size_t d,
                                               const int32_t *labels, size_t k,
                                               double *score_out, segkit_error *err);
/* Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same n rows (labels
 * any non-negative int32). */
SEGKIT_API segkit_status segkit_adjusted_rand(const int32_t *a, const int32_t *b, size_t n,
                                              double *ari_out, segkit_error *err);

/* Stability: fit opt on n_boot bootstrap resamples (seeded), assign every row of data with
 * each fitted model, and average the adjusted Rand index over all pairs of those full
 * labelings. *mean_out and *sd_out get the mean and standard deviation over pairs. */
SEGKIT_API segkit_status segkit_cluster_stability(const segkit_cluster_data *data,
                                                  const segkit_cluster_options *opt,
                                                  int n_boot, uint64_t seed,
                                                  double *mean_out, double *sd_out,
                                                  segkit_error *err);

/* The k sweep: fit opt for every k in k_min..k_max and score each. */
typedef struct segkit_sweep_options {
  size_t k_min, k_max;        /* 2 <= k_min <= k_max */
  size_t silhouette_sample;   /* exact silhouette up to this many rows, sampled beyond;
                                 default 20000 */
  int stability_boot;         /* bootstrap resamples for stability; default 10; 0 = skip */
  double min_share;           /* clusters with a smaller weighted share are flagged;
                                 default 0.05 */
} segkit_sweep_options;

SEGKIT_API void segkit_sweep_options_init(segkit_sweep_options *opt);

typedef struct segkit_sweep segkit_sweep;

SEGKIT_API segkit_status segkit_cluster_sweep(const segkit_cluster_data *data,
                                              const segkit_cluster_options *opt,
                                              const segkit_sweep_options *sopt,
                                              segkit_sweep **out, segkit_error *err);
SEGKIT_API void segkit_sweep_free(segkit_sweep *s);
/* Entries k_min..k_max, in order; index i is k = k_min + i. */
SEGKIT_API size_t segkit_sweep_n(const segkit_sweep *s);
typedef struct segkit_sweep_row {
  size_t k;
  double inertia;
  double silhouette;          /* NaN when it cannot be computed */
  size_t silhouette_rows;     /* rows it was computed on (n, or the sample) */
  double calinski_harabasz;
  double davies_bouldin;
  double bic, aic;            /* NaN for methods without a likelihood */
  double log_likelihood;
  double stability_mean, stability_sd; /* NaN when skipped */
  size_t n_small;             /* clusters under min_share */
} segkit_sweep_row;
SEGKIT_API const segkit_sweep_row *segkit_sweep_row_at(const segkit_sweep *s, size_t i);
/* The fitted model of row i (owned by the sweep). */
SEGKIT_API const segkit_cluster_model *segkit_sweep_model(const segkit_sweep *s, size_t i);
/* Recommended k and a one-sentence reason (owned by the sweep), e.g. "k = 4: lowest BIC"
 * or "k = 3: highest silhouette (0.55) among k with stability >= 0.8 and no cluster under
 * 5%". The rule is documented in docs/clustering.md. */
SEGKIT_API size_t segkit_sweep_recommended_k(const segkit_sweep *s);
SEGKIT_API const char *segkit_sweep_reason(const segkit_sweep *s);

/* ---- PCA (src/cluster/pca.c) ---------------------------------------------------------- */

typedef struct segkit_pca segkit_pca;

/* PCA of the n x d matrix x (centred, not scaled; scale first with segkit_prep) by the
 * eigen-decomposition of its covariance (LAPACKE dsyevr), keeping n_components <= d
 * components. Component signs are fixed so each component's largest-magnitude loading is
 * positive. */
SEGKIT_API segkit_status segkit_pca_fit(const double *x, size_t n, size_t d,
                                        size_t n_components, segkit_pca **out,
                                        segkit_error *err);
SEGKIT_API void segkit_pca_free(segkit_pca *p);
SEGKIT_API size_t segkit_pca_n_components(const segkit_pca *p);
/* n_components x d loadings (unit vectors), explained variance (ddof 1, as scikit-learn)
 * and its ratio, per component. */
SEGKIT_API const double *segkit_pca_components(const segkit_pca *p);
SEGKIT_API const double *segkit_pca_explained_variance(const segkit_pca *p);
SEGKIT_API const double *segkit_pca_explained_ratio(const segkit_pca *p);
/* Project m rows of d columns onto the components: out gets m x n_components values. */
SEGKIT_API void segkit_pca_project(const segkit_pca *p, const double *x, size_t m,
                                   double *out);

/* The varimax rotation (Kaiser 1958) of a p x k loading matrix (row-major: item i's
 * loading on factor j at i * k + j), as R's stats::varimax(x, normalize, eps) computes it
 * (src/cluster/varimax.c): rotated gets p x k loadings, rotation (may be NULL) the k x k
 * orthogonal matrix (rotated = loadings x rotation). normalize: Kaiser's row
 * normalisation (R's default TRUE); eps: R's default 1e-5. k = 1 returns the loadings. */
SEGKIT_API segkit_status segkit_varimax(const double *loadings, size_t p, size_t k,
                                        bool normalize, double eps, double *rotated,
                                        double *rotation, segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
