/* mixture_int.h: what the two likelihood methods (gmm.c, lca.c) share — a pass over the
 * rows cut into blocks whose partial sums are combined in block order, the relative
 * entropy of a posterior matrix, and poLCA's goodness-of-fit statistics (lca.c).
 *
 * Key design choice: the blocks depend on the data's shape only (n and the size of one
 * partial), never on the number of threads. Each block is summed serially in row order into
 * its own partial, threads take contiguous runs of blocks, and the caller adds the partials
 * in block order, so every EM iterate is bit-identical whatever n_threads is. */
#ifndef SEGKIT_MIXTURE_INT_H
#define SEGKIT_MIXTURE_INT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "core/core_int.h"

/* ---- block passes -------------------------------------------------------------------- */

/* Rows per block at least this many (a block is the unit of work and of summation), at
 * most this many blocks (so partials stay small), and at most this many doubles of
 * partials in all (k x d x d covariance sums can be large). */
#define SK__MIX_MIN_BLOCK_ROWS 4096
#define SK__MIX_MAX_BLOCKS 64
#define SK__MIX_MAX_PARTIAL_DOUBLES ((size_t)1 << 22)

/* Sums rows [r0, r1) into partial (zeroed by the caller, n_partial doubles); scratch is
 * the calling worker's own buffer. */
typedef void (*sk__mix_block_fn)(void *ctx, size_t r0, size_t r1, double *partial,
                                 double *scratch);

typedef struct sk__mix_pool {
  size_t n;               /* rows */
  size_t n_blocks;
  int n_workers;
  size_t partial_cap;     /* doubles per block partial (rounded up to 8) */
  double *partials;       /* n_blocks x partial_cap */
  size_t scratch_size;    /* doubles per worker */
  double *scratch;        /* n_workers x scratch_size */
} sk__mix_pool;

typedef struct sk__mix_job {
  const sk__mix_pool *pool;
  sk__mix_block_fn fn;
  void *ctx;
  size_t b0, b1;          /* blocks of this worker */
  size_t n_partial;
  double *scratch;
} sk__mix_job;

/* Blocks for n rows with partials of partial_cap doubles; depends on nothing else. */
static inline size_t sk__mix_block_count(size_t n, size_t partial_cap) {
  size_t nb = (n + SK__MIX_MIN_BLOCK_ROWS - 1) / SK__MIX_MIN_BLOCK_ROWS;
  if (nb > SK__MIX_MAX_BLOCKS)
    nb = SK__MIX_MAX_BLOCKS;
  size_t cap = partial_cap > 0 ? SK__MIX_MAX_PARTIAL_DOUBLES / partial_cap : nb;
  if (nb > cap)
    nb = cap;
  return nb > 0 ? nb : 1;
}

static inline bool sk__mix_pool_init(sk__mix_pool *p, size_t n, int n_threads,
                                     size_t partial_cap, size_t scratch_size) {
  memset(p, 0, sizeof *p);
  p->n = n;
  p->n_blocks = sk__mix_block_count(n, partial_cap);
  int nw = sk__worker_count(n_threads, n, 2 * SK__MIX_MIN_BLOCK_ROWS);
  if ((size_t)nw > p->n_blocks)
    nw = (int)p->n_blocks;
  p->n_workers = nw > 0 ? nw : 1;
  /* Each worker's partials and scratch start on their own cache lines (8 doubles), so
   * threads never write to one line (false sharing halved the speed of the inner loops). */
  p->partial_cap = (partial_cap + 7) / 8 * 8;
  p->scratch_size = (scratch_size + 7) / 8 * 8 + 8;
  p->partials = aligned_alloc(64, (p->n_blocks * p->partial_cap + 8) * sizeof *p->partials);
  p->scratch = aligned_alloc(64, ((size_t)p->n_workers * p->scratch_size + 8) *
                                     sizeof *p->scratch);
  return p->partials && p->scratch;
}

static inline void sk__mix_pool_free(sk__mix_pool *p) {
  free(p->partials);
  free(p->scratch);
  p->partials = NULL;
  p->scratch = NULL;
}

static inline void *sk__mix_worker(void *arg) {
  sk__mix_job *job = arg;
  const sk__mix_pool *p = job->pool;
  for (size_t b = job->b0; b < job->b1; b++) {
    double *partial = p->partials + b * p->partial_cap;
    memset(partial, 0, job->n_partial * sizeof *partial);
    size_t r0 = p->n * b / p->n_blocks;
    size_t r1 = p->n * (b + 1) / p->n_blocks;
    job->fn(job->ctx, r0, r1, partial, job->scratch);
  }
  return NULL;
}

/* Run fn over every block and add the partials (n_partial <= partial_cap doubles) in
 * block order into sum (may be NULL when n_partial is 0). */
static inline void sk__mix_pool_run(sk__mix_pool *p, sk__mix_block_fn fn, void *ctx,
                                    size_t n_partial, double *sum) {
  sk__mix_job jobs[SK__MAX_WORKERS] = {{0}};
  int nw = p->n_workers < 1 ? 1 : p->n_workers;
  if (nw > SK__MAX_WORKERS)
    nw = SK__MAX_WORKERS;
  for (int t = 0; t < nw; t++) {
    jobs[t].pool = p;
    jobs[t].fn = fn;
    jobs[t].ctx = ctx;
    jobs[t].b0 = p->n_blocks * (size_t)t / (size_t)nw;
    jobs[t].b1 = p->n_blocks * (size_t)(t + 1) / (size_t)nw;
    jobs[t].n_partial = n_partial;
    jobs[t].scratch = p->scratch + (size_t)t * p->scratch_size;
  }
  sk__run_workers(sk__mix_worker, jobs, sizeof jobs[0], nw);
  if (n_partial == 0)
    return;
  memcpy(sum, p->partials, n_partial * sizeof *sum);
  for (size_t b = 1; b < p->n_blocks; b++) {
    const double *partial = p->partials + b * p->partial_cap;
    for (size_t i = 0; i < n_partial; i++)
      sum[i] += partial[i];
  }
}

/* ---- small shared formulas ----------------------------------------------------------- */

/* Most probable column of a row of k values; ties go to the smallest index. */
static inline int32_t sk__mix_argmax(const double *row, size_t k) {
  size_t best = 0;
  for (size_t c = 1; c < k; c++)
    if (row[c] > row[best])
      best = c;
  return (int32_t)best;
}

/* Turn k log-probabilities into posteriors in place and return log(sum exp(lp)) (the
 * row's log-likelihood), subtracting the maximum first so nothing overflows. A row with
 * every entry -inf returns -inf and is left to the caller. */
static inline double sk__mix_normalise(double *lp, size_t k) {
  double mx = lp[0];
  for (size_t c = 1; c < k; c++)
    if (lp[c] > mx)
      mx = lp[c];
  if (mx == -INFINITY)
    return -INFINITY;
  double s = 0;
  for (size_t c = 0; c < k; c++) {
    lp[c] = exp(lp[c] - mx);
    s += lp[c];
  }
  for (size_t c = 0; c < k; c++)
    lp[c] /= s;
  return mx + log(s);
}

/* W = sum_i w_i, the weighted row count (weights NULL = 1, so W = n). */
static inline double sk__mix_total_weight(const double *w, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; i++)
    total += w ? w[i] : 1.0;
  return total;
}

/* Relative entropy of the classification (Ramaswamy et al. 1993, as Mplus reports it):
 * 1 - sum_i w_i sum_c (-p_ic ln p_ic) / (W ln k), W = sum_i w_i (weights NULL = 1, so
 * W = n and this is the formula of cluster.h). NaN for k = 1 (0 / 0) or W = 0. */
static inline double sk__mix_entropy(const double *post, const double *w, size_t n, size_t k) {
  if (k < 2)
    return NAN;
  double h = 0;
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    double wi = w ? w[i] : 1.0;
    double hi = 0;
    for (size_t c = 0; c < k; c++) {
      double p = post[i * k + c];
      if (p > 0)
        hi -= p * log(p);
    }
    h += wi * hi;
    total += wi;
  }
  if (!(total > 0))
    return NAN;
  return 1.0 - h / (total * log((double)k));
}

/* ---- LCA goodness of fit (lca_fit.c) ------------------------------------------------- */

/* poLCA's fit statistics of an LCA model against the response patterns of data (Linzer &
 * Lewis 2011, sec. 2; poLCA.R): over the fully observed rows only (N_obs of them, weighted
 * when data has weights), with f_p the count of pattern p and e_p = N_obs x P(p) its
 * expected count under the model,
 *   G^2 = 2 sum_p f_p ln(f_p / e_p)                     (observed patterns only)
 *   X^2 = sum_p (f_p - e_p)^2 / e_p + (N_obs - sum_p e_p) (unobserved cells add e_p each)
 * and residual df = min(n, prod_j levels_j - 1) - n_params. */
typedef struct sk__lca_gof {
  double g2;
  double x2;
  double n_complete;        /* N_obs: fully observed rows (weighted) */
  size_t n_patterns;        /* distinct fully observed patterns */
  double resid_df;
} sk__lca_gof;

segkit_status sk__lca_goodness_of_fit(const segkit_cluster_model *m,
                                      const segkit_cluster_data *data, sk__lca_gof *out,
                                      segkit_error *err);

#endif
