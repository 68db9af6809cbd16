/* gmm.c: Gaussian mixtures fitted by EM (Dempster, Laird & Rubin 1977; McLachlan & Peel
 * 2000, ch. 3), with full, diagonal or spherical covariances per component (mclust's VVV,
 * VVI and VII; scikit-learn's full, diag and spherical), weighted rows, and restarts.
 *
 * Key design choices:
 * - Start: k-means++ seeding (Arthur & Vassilvitskii 2007, D^2 sampling weighted by the row
 *   weights), each row hard-assigned to its nearest seed, then one M-step. No Lloyd
 *   iterations after the seeding: polishing every start to a k-means optimum makes the
 *   starts fall into the same basin (iris, diagonal covariances, 20 starts of a numpy
 *   prototype: after k-means none reaches the optimum -306.86, all stop at mclust's local
 *   one -307.18 or worse; from the raw seeding 9 of 20 reach it). Each start draws from
 *   its own stream (seed, start), so starts are independent of each other and of the
 *   thread count.
 * - One pass per E-step computes log-densities, responsibilities by log-sum-exp, the
 *   log-likelihood and the weighted sums for the new weights and means; a second pass sums
 *   the scatter around the new means (two passes, not sum x x^T minus the mean's square,
 *   which cancels badly when components sit far from the origin relative to their spread).
 * - Full covariances: per component the lower Cholesky factor M of the precision matrix
 *   (M M^T = Sigma^-1, from LAPACKE dpotrf / dpotri / dpotrf), so a row's Mahalanobis term
 *   is |(x - mu)^T M|^2, a triangular product, and log det Sigma^-1/2 = sum log diag M. The
 *   triangular products and the scatter run over tiles of 16 rows transposed into
 *   registers (vector extension, compiled for AVX2 and for baseline x86-64 and picked at
 *   load time): 3x faster than row by row (1 M x 16, k = 8: 0.9 -> 0.3 s per iteration on
 *   one core). The subtraction x - mu is kept (not x M - mu M as scikit-learn), so rows
 *   far from the origin lose no digits.
 * - reg_covar is added to every covariance diagonal (spherical: to the variance) after
 *   each M-step, as scikit-learn does. A start whose covariance is not positive definite
 *   (reg_covar 0 and a component on collinear or too few rows) is abandoned, and the fit
 *   fails only when every start is.
 * - Stop when the weighted mean log-likelihood per row changes by less than tol (in
 *   absolute value, scikit-learn's rule on its lower bound: with reg_covar > 0 the
 *   likelihood can fall on the way to the fixed point), or after max_iter M-steps. The
 *   kept parameters are those of the last M-step, and the reported log-likelihood,
 *   posteriors and labels are computed from exactly those parameters. */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/mixture_int.h"
#include "sample/sample_int.h"

enum { GMM_DEFAULT_RESTARTS = 10, GMM_DEFAULT_MAX_ITER = 300 };
#define GMM_DEFAULT_TOL 1e-6
#define GMM_STREAM UINT64_C(0x676d6d) /* "gmm": this method's random streams */
#define LOG_2PI 1.8378770664093454836

/* ==== parameters ====================================================================== */

/* What a log-density needs, borrowed from a fit or a model. */
typedef struct gmm_view {
  size_t k, d;
  segkit_gmm_covariance type;
  const double *mu;     /* k x d */
  const double *prec;   /* k blocks: lower factor of the precision, or 1 / sd */
  const double *lconst; /* k: ln pi_c + ln det(precision)^1/2 - d/2 ln 2 pi */
} gmm_view;

typedef struct gmm_params {
  double *pi, *mu, *cov, *prec, *logdet, *lconst;
} gmm_params;

static size_t cov_block(segkit_gmm_covariance type, size_t d) {
  return type == SEGKIT_GMM_FULL ? d * d : type == SEGKIT_GMM_DIAG ? d : 1;
}

static bool params_alloc(gmm_params *p, size_t k, size_t d, size_t blk) {
  p->pi = malloc(k * sizeof *p->pi);
  p->mu = malloc(k * d * sizeof *p->mu);
  p->cov = malloc(k * blk * sizeof *p->cov);
  p->prec = malloc(k * blk * sizeof *p->prec);
  p->logdet = malloc(k * sizeof *p->logdet);
  p->lconst = malloc(k * sizeof *p->lconst);
  return p->pi && p->mu && p->cov && p->prec && p->logdet && p->lconst;
}

static void params_free(gmm_params *p) {
  free(p->pi);
  free(p->mu);
  free(p->cov);
  free(p->prec);
  free(p->logdet);
  free(p->lconst);
}

static void params_copy(gmm_params *dst, const gmm_params *src, size_t k, size_t d,
                        size_t blk) {
  memcpy(dst->pi, src->pi, k * sizeof *dst->pi);
  memcpy(dst->mu, src->mu, k * d * sizeof *dst->mu);
  memcpy(dst->cov, src->cov, k * blk * sizeof *dst->cov);
  memcpy(dst->prec, src->prec, k * blk * sizeof *dst->prec);
  memcpy(dst->logdet, src->logdet, k * sizeof *dst->logdet);
  memcpy(dst->lconst, src->lconst, k * sizeof *dst->lconst);
}

/* Precision factor of one component's covariance and ln det of it (= -1/2 ln det Sigma).
 * work holds d x d doubles. False when the covariance is not positive definite. */
static bool component_precision(segkit_gmm_covariance type, size_t d, const double *cov,
                                double *prec, double *logdet, double *work) {
  if (type == SEGKIT_GMM_SPHERICAL) {
    if (!(cov[0] > 0))
      return false;
    prec[0] = 1.0 / sqrt(cov[0]);
    *logdet = (double)d * log(prec[0]);
    return true;
  }
  if (type == SEGKIT_GMM_DIAG) {
    double s = 0;
    for (size_t j = 0; j < d; j++) {
      if (!(cov[j] > 0))
        return false;
      prec[j] = 1.0 / sqrt(cov[j]);
      s += log(prec[j]);
    }
    *logdet = s;
    return true;
  }
  /* Sigma = L L^T; Sigma^-1 from L (dpotri); its own lower factor M (dpotrf). */
  lapack_int nd = (lapack_int)d;
  memcpy(work, cov, d * d * sizeof *work);
  if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', nd, work, nd) != 0)
    return false;
  if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', nd, work, nd) != 0)
    return false;
  memcpy(prec, work, d * d * sizeof *prec);
  if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', nd, prec, nd) != 0)
    return false;
  double s = 0;
  for (size_t i = 0; i < d; i++) {
    for (size_t j = i + 1; j < d; j++)
      prec[i * d + j] = 0;
    s += log(prec[i * d + i]);
  }
  *logdet = s;
  return isfinite(s);
}

/* Per-component constant of the log-density. */
static void set_lconst(gmm_params *p, size_t k, size_t d) {
  for (size_t c = 0; c < k; c++)
    p->lconst[c] = log(p->pi[c]) + p->logdet[c] - 0.5 * (double)d * LOG_2PI;
}

/* ln pi_c + ln N(x | mu_c, Sigma_c) for every component; scratch holds d doubles. */
static void row_logprob(const gmm_view *g, const double *xi, double *lp, double *y) {
  size_t d = g->d;
  size_t blk = cov_block(g->type, d);
  for (size_t c = 0; c < g->k; c++) {
    const double *mu = g->mu + c * d;
    const double *p = g->prec + c * blk;
    double q = 0;
    if (g->type == SEGKIT_GMM_FULL) {
      /* y = (x - mu)^T M, M lower: y_j = sum_{i >= j} (x_i - mu_i) M_ij. */
      for (size_t j = 0; j < d; j++)
        y[j] = 0;
      for (size_t i = 0; i < d; i++) {
        double a = xi[i] - mu[i];
        const double *mrow = p + i * d;
        for (size_t j = 0; j <= i; j++)
          y[j] += a * mrow[j];
      }
      for (size_t j = 0; j < d; j++)
        q += y[j] * y[j];
    } else if (g->type == SEGKIT_GMM_DIAG) {
      for (size_t j = 0; j < d; j++) {
        double z = (xi[j] - mu[j]) * p[j];
        q += z * z;
      }
    } else {
      for (size_t j = 0; j < d; j++) {
        double z = xi[j] - mu[j];
        q += z * z;
      }
      q *= p[0] * p[0];
    }
    lp[c] = g->lconst[c] - 0.5 * q;
  }
}

/* ==== the passes ====================================================================== */

typedef struct gmm_fit {
  const double *x;
  const double *w;      /* NULL = 1 */
  size_t n, d, k, blk;
  segkit_gmm_covariance type;
  double reg;
  double total_w;
  gmm_params cur;
  double *resp;         /* n x k of the current start */
  const double *seeds;  /* k x d, for the initial hard assignment */
  sk__mix_pool pool;
} gmm_fit;

static gmm_view fit_view(const gmm_fit *f) {
  gmm_view g = {f->k, f->d, f->type, f->cur.mu, f->cur.prec, f->cur.lconst};
  return g;
}

/* Partial of the E-step: [log-likelihood, N_c (k), sum of w r x (k x d)]. */
static size_t estep_partial(const gmm_fit *f) { return 1 + f->k + f->k * f->d; }

static void add_moments(const gmm_fit *f, const double *xi, const double *r, double wi,
                        double *partial) {
  double *nk = partial + 1;
  double *sx = partial + 1 + f->k;
  for (size_t c = 0; c < f->k; c++) {
    double wr = wi * r[c];
    if (wr == 0)
      continue;
    nk[c] += wr;
    double *s = sx + c * f->d;
    for (size_t j = 0; j < f->d; j++)
      s[j] += wr * xi[j];
  }
}

/* Rows per tile of the full-covariance kernels: the triangular product and the scatter run
 * across the TILE rows of a tile in the innermost loop (fixed length, contiguous), which
 * the compiler vectorises; per row the inner loops would be short and of varying length. */
#define TILE 16

/* The two kernels that hold most of the time are compiled twice, for AVX2 and for any
 * x86-64, and the loader picks one (GCC function multiversioning); elsewhere, in
 * AddressSanitizer builds (ifunc resolvers run before its start-up) and with clang (clang
 * 14 leaves the resolvers of static clones undefined under LTO), plain functions. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define HOT_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define HOT_KERNEL
#endif

/* Scratch doubles the passes need per worker: three d x TILE tiles (or a d-vector). */
static size_t scratch_doubles(size_t d) { return 3 * d * TILE + d; }
static size_t d_tile(const gmm_fit *f) { return f->d * TILE; }

/* Rows [i0, i0 + m) (m <= TILE) of x transposed into xt (d x TILE, zero-padded), once
 * per tile, so the per-component loops below read contiguous vectors. */
static void load_tile(const double *x, size_t d, size_t i0, size_t m, double *xt) {
  for (size_t r = 0; r < TILE; r++)
    for (size_t j = 0; j < d; j++)
      xt[j * TILE + r] = r < m ? x[(i0 + r) * d + j] : 0.0;
}

/* Four doubles in one register (GCC/clang vector extension; lowered to two SSE2 registers
 * on the default target), so the tile loops are written as the vector code they are. */
typedef double v4d __attribute__((vector_size(32)));
enum { TILE_V = TILE / 4 };

/* Log-probabilities of a tile of m rows for full covariances into out (m rows of k):
 * D = x - mu_c (d x TILE), y = M_c^T D, q = |y|^2. The fit writes them to the rows'
 * responsibilities, assignment to a tile buffer: the same arithmetic either way. */
HOT_KERNEL static void full_tile_logprob(const gmm_view *g, size_t m, const double *xt,
                                         double *out, double *scratch) {
  size_t d = g->d;
  size_t blk = d * d;
  v4d *dt = (v4d *)scratch;
  const v4d *xv = (const v4d *)xt;
  for (size_t c = 0; c < g->k; c++) {
    const double *mu = g->mu + c * d;
    const double *mc = g->prec + c * blk;
    for (size_t j = 0; j < d; j++)
      for (size_t v = 0; v < TILE_V; v++)
        dt[j * TILE_V + v] = xv[j * TILE_V + v] - mu[j];
    /* y_j = sum_{i >= j} D_i M_ij, one output row at a time so it stays in registers
     * while the D rows stream past. */
    v4d q[TILE_V] = {{0}};
    for (size_t j = 0; j < d; j++) {
      v4d y[TILE_V] = {{0}};
      for (size_t i = j; i < d; i++) {
        v4d mij = (v4d){0, 0, 0, 0} + mc[i * d + j];
        for (size_t v = 0; v < TILE_V; v++)
          y[v] += dt[i * TILE_V + v] * mij;
      }
      for (size_t v = 0; v < TILE_V; v++)
        q[v] += y[v] * y[v];
    }
    for (size_t r = 0; r < m; r++)
      out[r * g->k + c] = g->lconst[c] - 0.5 * q[r / 4][r % 4];
  }
}

/* Responsibilities of row i from its log-probabilities (already in its resp row), and its
 * share of the E-step sums. */
static void finish_row(gmm_fit *f, size_t i, double *partial) {
  double *r = f->resp + i * f->k;
  double wi = f->w ? f->w[i] : 1.0;
  double ll = sk__mix_normalise(r, f->k);
  if (ll == -INFINITY) {
    /* Every density underflowed (a row far from all components): give it to the
     * components by weight so the sums stay finite; the log-likelihood turns -inf and
     * the start is abandoned. */
    for (size_t c = 0; c < f->k; c++)
      r[c] = f->cur.pi[c];
  }
  if (wi > 0)
    partial[0] += wi * ll;
  add_moments(f, f->x + i * f->d, r, wi, partial);
}

static void estep_block(void *ctx, size_t r0, size_t r1, double *partial, double *scratch) {
  gmm_fit *f = ctx;
  gmm_view g = fit_view(f);
  if (f->type == SEGKIT_GMM_FULL) {
    for (size_t i0 = r0; i0 < r1; i0 += TILE) {
      size_t m = r1 - i0 < TILE ? r1 - i0 : TILE;
      double *xt = scratch + d_tile(f);
      load_tile(f->x, f->d, i0, m, xt);
      full_tile_logprob(&g, m, xt, f->resp + i0 * f->k, scratch);
      for (size_t r = 0; r < m; r++)
        finish_row(f, i0 + r, partial);
    }
    return;
  }
  for (size_t i = r0; i < r1; i++) {
    row_logprob(&g, f->x + i * f->d, f->resp + i * f->k, scratch);
    finish_row(f, i, partial);
  }
}

/* The start: every row to its nearest seed (ties to the smallest), responsibilities one-hot. */
static void init_block(void *ctx, size_t r0, size_t r1, double *partial, double *scratch) {
  (void)scratch;
  gmm_fit *f = ctx;
  for (size_t i = r0; i < r1; i++) {
    const double *xi = f->x + i * f->d;
    double *r = f->resp + i * f->k;
    size_t best = 0;
    double best_d2 = INFINITY;
    for (size_t c = 0; c < f->k; c++) {
      const double *s = f->seeds + c * f->d;
      double d2 = 0;
      for (size_t j = 0; j < f->d; j++)
        d2 += (xi[j] - s[j]) * (xi[j] - s[j]);
      if (d2 < best_d2) {
        best_d2 = d2;
        best = c;
      }
    }
    for (size_t c = 0; c < f->k; c++)
      r[c] = c == best ? 1.0 : 0.0;
    add_moments(f, xi, r, f->w ? f->w[i] : 1.0, partial);
  }
}

/* Scatter of a tile of full-covariance rows around mean c into acc (lower triangle):
 * acc_ab += sum_r (w r_rc D_ar) D_br. */
HOT_KERNEL static void full_tile_scatter(const gmm_fit *f, size_t i0, size_t m, size_t c,
                                         const double *xt, double *acc, double *scratch) {
  size_t d = f->d;
  v4d *dt = (v4d *)scratch;
  v4d *vt = (v4d *)(scratch + d * TILE);
  const v4d *xv = (const v4d *)xt;
  v4d wr[TILE_V];
  bool any = false;
  for (size_t r = 0; r < TILE; r++) {
    double w = r < m ? (f->w ? f->w[i0 + r] : 1.0) * f->resp[(i0 + r) * f->k + c] : 0.0;
    wr[r / 4][r % 4] = w;
    any = any || w != 0;
  }
  if (!any)
    return;
  const double *mu = f->cur.mu + c * d;
  for (size_t j = 0; j < d; j++)
    for (size_t v = 0; v < TILE_V; v++) {
      v4d dv = xv[j * TILE_V + v] - mu[j];
      dt[j * TILE_V + v] = dv;
      vt[j * TILE_V + v] = wr[v] * dv;
    }
  for (size_t a = 0; a < d; a++) {
    const v4d *va = vt + a * TILE_V;
    for (size_t b = 0; b <= a; b++) {
      const v4d *db = dt + b * TILE_V;
      v4d s = va[0] * db[0];
      for (size_t v = 1; v < TILE_V; v++)
        s += va[v] * db[v];
      acc[a * d + b] += (s[0] + s[1]) + (s[2] + s[3]);
    }
  }
}

/* Scatter around the current means: k blocks of the covariance layout (full: lower
 * triangle only). */
static void scatter_block(void *ctx, size_t r0, size_t r1, double *partial, double *scratch) {
  gmm_fit *f = ctx;
  size_t d = f->d;
  if (f->type == SEGKIT_GMM_FULL) {
    for (size_t i0 = r0; i0 < r1; i0 += TILE) {
      size_t m = r1 - i0 < TILE ? r1 - i0 : TILE;
      double *xt = scratch + 2 * d_tile(f);
      load_tile(f->x, d, i0, m, xt);
      for (size_t c = 0; c < f->k; c++)
        full_tile_scatter(f, i0, m, c, xt, partial + c * f->blk, scratch);
    }
    return;
  }
  double *diff = scratch;
  for (size_t i = r0; i < r1; i++) {
    const double *xi = f->x + i * d;
    const double *r = f->resp + i * f->k;
    double wi = f->w ? f->w[i] : 1.0;
    for (size_t c = 0; c < f->k; c++) {
      double wr = wi * r[c];
      if (wr == 0)
        continue;
      const double *mu = f->cur.mu + c * d;
      double *acc = partial + c * f->blk;
      for (size_t j = 0; j < d; j++)
        diff[j] = xi[j] - mu[j];
      if (f->type == SEGKIT_GMM_DIAG) {
        for (size_t j = 0; j < d; j++)
          acc[j] += wr * diff[j] * diff[j];
      } else {
        double sq = 0;
        for (size_t j = 0; j < d; j++)
          sq += diff[j] * diff[j];
        acc[0] += wr * sq;
      }
    }
  }
}

/* ==== M-step ========================================================================== */

/* Weights and means from [ll, N_c, sums]. N_c gets 10 eps, as scikit-learn, so an empty
 * component divides by a positive number (its mean is then 0 and it dies out). */
static void mstep_means(gmm_fit *f, const double *sums) {
  const double *nk = sums + 1;
  const double *sx = sums + 1 + f->k;
  double tot = 0;
  for (size_t c = 0; c < f->k; c++)
    tot += nk[c] + 10 * DBL_EPSILON;
  for (size_t c = 0; c < f->k; c++) {
    double nc = nk[c] + 10 * DBL_EPSILON;
    f->cur.pi[c] = nc / tot;
    for (size_t j = 0; j < f->d; j++)
      f->cur.mu[c * f->d + j] = sx[c * f->d + j] / nc;
  }
}

/* Covariances from the scatter sums, then precisions and the log-density constants. False
 * when a covariance is not positive definite. */
static bool mstep_covariances(gmm_fit *f, const double *nk, const double *scatter,
                              double *work) {
  size_t d = f->d;
  for (size_t c = 0; c < f->k; c++) {
    double nc = nk[c] + 10 * DBL_EPSILON;
    const double *s = scatter + c * f->blk;
    double *cov = f->cur.cov + c * f->blk;
    if (f->type == SEGKIT_GMM_FULL) {
      for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b <= a; b++) {
          double v = s[a * d + b] / nc;
          cov[a * d + b] = v;
          cov[b * d + a] = v;
        }
      for (size_t a = 0; a < d; a++)
        cov[a * d + a] += f->reg;
    } else if (f->type == SEGKIT_GMM_DIAG) {
      for (size_t j = 0; j < d; j++)
        cov[j] = s[j] / nc + f->reg;
    } else {
      cov[0] = s[0] / (nc * (double)d) + f->reg;
    }
    if (!component_precision(f->type, d, cov, f->cur.prec + c * f->blk, &f->cur.logdet[c],
                             work))
      return false;
  }
  set_lconst(&f->cur, f->k, d);
  return true;
}

/* ==== one start ======================================================================= */

/* k-means++ seeding weighted by the row weights: the first seed with probability
 * proportional to w_i, each next with probability proportional to w_i D(x_i)^2. False when
 * fewer than k distinct rows carry weight. dist holds n doubles. */
static bool choose_seeds(const gmm_fit *f, sk__rng *rng, double *seeds, double *dist) {
  size_t n = f->n;
  size_t d = f->d;
  for (size_t i = 0; i < n; i++)
    dist[i] = INFINITY;
  for (size_t c = 0; c < f->k; c++) {
    double total = 0;
    for (size_t i = 0; i < n; i++) {
      double wi = f->w ? f->w[i] : 1.0;
      total += c == 0 ? wi : wi * dist[i];
    }
    if (!(total > 0))
      return false;
    double u = sk__rng_uniform(rng) * total;
    size_t pick = n;
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
      double wi = f->w ? f->w[i] : 1.0;
      double p = c == 0 ? wi : wi * dist[i];
      if (p <= 0)
        continue;
      pick = i; /* the last positive one, should rounding carry u past the end */
      acc += p;
      if (u < acc)
        break;
    }
    const double *xp = f->x + pick * d;
    memcpy(seeds + c * d, xp, d * sizeof *seeds);
    for (size_t i = 0; i < n; i++) {
      const double *xi = f->x + i * d;
      double d2 = 0;
      for (size_t j = 0; j < d; j++)
        d2 += (xi[j] - xp[j]) * (xi[j] - xp[j]);
      if (d2 < dist[i])
        dist[i] = d2;
    }
  }
  return true;
}

typedef struct start_result {
  bool ok;          /* false: a covariance went singular or the likelihood non-finite */
  double ll;
  int iterations;
  bool converged;
} start_result;

typedef struct gmm_buffers {
  double *esums;    /* estep_partial doubles */
  double *csums;    /* k x blk */
  double *work;     /* d x d */
} gmm_buffers;

/* M-step from the E-step sums in b->esums: means, scatter pass, covariances. */
static bool mstep(gmm_fit *f, gmm_buffers *b) {
  mstep_means(f, b->esums);
  sk__mix_pool_run(&f->pool, scatter_block, f, f->k * f->blk, b->csums);
  return mstep_covariances(f, b->esums + 1, b->csums, b->work);
}

static start_result run_start(gmm_fit *f, gmm_buffers *b, int max_iter, double tol) {
  start_result res = {false, -INFINITY, 0, false};
  sk__mix_pool_run(&f->pool, init_block, f, estep_partial(f), b->esums);
  if (!mstep(f, b))
    return res;
  sk__mix_pool_run(&f->pool, estep_block, f, estep_partial(f), b->esums);
  double ll = b->esums[0];
  if (!isfinite(ll))
    return res;
  for (int it = 1; it <= max_iter; it++) {
    if (!mstep(f, b))
      return res;
    sk__mix_pool_run(&f->pool, estep_block, f, estep_partial(f), b->esums);
    double next = b->esums[0];
    if (!isfinite(next))
      return res;
    double change = (next - ll) / f->total_w;
    ll = next;
    res.iterations = it;
    /* |change|, not the gain: with reg_covar > 0 the M-step is not the likelihood's
     * maximiser, the likelihood may fall on the way to the fixed point, and stopping at
     * the first fall would return a point that is not one (scikit-learn's rule too). */
    if (fabs(change) < tol) {
      res.converged = true;
      break;
    }
  }
  res.ok = true;
  res.ll = ll;
  return res;
}

/* ==== the model ======================================================================= */

static size_t gmm_n_params(segkit_gmm_covariance type, size_t k, size_t d) {
  size_t cov = type == SEGKIT_GMM_FULL   ? k * d * (d + 1) / 2
               : type == SEGKIT_GMM_DIAG ? k * d
                                         : k;
  return (k - 1) + k * d + cov;
}

static segkit_status fill_model(const gmm_fit *f, const gmm_params *best, double **best_resp,
                                start_result res, int best_start, segkit_cluster_model **out,
                                segkit_error *err) {
  size_t n = f->n;
  size_t k = f->k;
  size_t d = f->d;
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_GMM, k, d, 0);
  if (!m)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "gmm: no memory for the model");
  m->n = n;
  m->covariance_type = f->type;
  m->labels = malloc(n * sizeof *m->labels);
  m->centroids = malloc(k * d * sizeof *m->centroids);
  m->covariances = malloc(k * f->blk * sizeof *m->covariances);
  m->precision_chol = malloc(k * f->blk * sizeof *m->precision_chol);
  if (!m->labels || !m->centroids || !m->covariances || !m->precision_chol) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "gmm: no memory for the model");
  }
  m->posteriors = *best_resp;
  *best_resp = NULL;
  memcpy(m->centroids, best->mu, k * d * sizeof *m->centroids);
  memcpy(m->covariances, best->cov, k * f->blk * sizeof *m->covariances);
  memcpy(m->precision_chol, best->prec, k * f->blk * sizeof *m->precision_chol);
  double inertia = 0;
  for (size_t i = 0; i < n; i++) {
    int32_t c = sk__mix_argmax(m->posteriors + i * k, k);
    m->labels[i] = c;
    const double *xi = f->x + i * d;
    const double *mu = best->mu + (size_t)c * d;
    double d2 = 0;
    for (size_t j = 0; j < d; j++)
      d2 += (xi[j] - mu[j]) * (xi[j] - mu[j]);
    inertia += (f->w ? f->w[i] : 1.0) * d2;
  }
  if (!sk__cluster_model_tally(m, f->w)) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "gmm: no memory for the model");
  }
  /* shares are the mixing proportions; sizes stay the label tally. */
  memcpy(m->shares, best->pi, k * sizeof *m->shares);
  m->inertia = inertia;
  m->log_likelihood = res.ll;
  m->n_params = gmm_n_params(f->type, k, d);
  m->entropy = sk__mix_entropy(m->posteriors, f->w, n, k);
  m->iterations = res.iterations;
  m->converged = res.converged;
  m->best_start = best_start;
  *out = m;
  return SEGKIT_OK;
}

typedef struct gmm_state {
  gmm_fit f;
  gmm_params best;
  gmm_buffers b;
  double *best_resp;
  double *seeds;
  double *dist;
} gmm_state;

static void state_free(gmm_state *s) {
  params_free(&s->f.cur);
  params_free(&s->best);
  sk__mix_pool_free(&s->f.pool);
  free(s->f.resp);
  free(s->best_resp);
  free(s->b.esums);
  free(s->b.csums);
  free(s->b.work);
  free(s->seeds);
  free(s->dist);
}

static bool state_alloc(gmm_state *s, const segkit_cluster_data *data,
                        const segkit_cluster_options *opt) {
  gmm_fit *f = &s->f;
  f->x = data->x;
  f->w = data->weights;
  f->n = data->n;
  f->d = data->d;
  f->k = opt->k;
  f->type = opt->covariance;
  f->blk = cov_block(f->type, f->d);
  f->reg = opt->reg_covar;
  size_t n = f->n, k = f->k, d = f->d;
  size_t ep = estep_partial(f);
  size_t cp = k * f->blk;
  bool ok = params_alloc(&f->cur, k, d, f->blk) && params_alloc(&s->best, k, d, f->blk);
  ok = sk__mix_pool_init(&f->pool, n, opt->n_threads, ep > cp ? ep : cp,
                         scratch_doubles(d)) &&
       ok;
  f->resp = malloc(n * k * sizeof *f->resp);
  s->best_resp = malloc(n * k * sizeof *s->best_resp);
  s->b.esums = malloc(ep * sizeof *s->b.esums);
  s->b.csums = malloc(cp * sizeof *s->b.csums);
  s->b.work = malloc(d * d * sizeof *s->b.work);
  s->seeds = malloc(k * d * sizeof *s->seeds);
  s->dist = malloc(n * sizeof *s->dist);
  f->seeds = s->seeds;
  return ok && f->resp && s->best_resp && s->b.esums && s->b.csums && s->b.work && s->seeds &&
         s->dist;
}

segkit_status sk__gmm_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                          segkit_cluster_model **out, segkit_error *err) {
  if ((unsigned)opt->covariance > SEGKIT_GMM_SPHERICAL)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "gmm: unknown covariance type %d",
                            (int)opt->covariance);
  int restarts = opt->restarts > 0 ? opt->restarts : GMM_DEFAULT_RESTARTS;
  int max_iter = opt->max_iter > 0 ? opt->max_iter : GMM_DEFAULT_MAX_ITER;
  double tol = opt->tol > 0 ? opt->tol : GMM_DEFAULT_TOL;
  gmm_state s;
  memset(&s, 0, sizeof s);
  if (!state_alloc(&s, data, opt)) {
    state_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "gmm: no memory for %zu rows x %zu "
                            "components", data->n, opt->k);
  }
  gmm_fit *f = &s.f;
  f->total_w = sk__mix_total_weight(f->w, f->n);
  if (!(f->total_w > 0)) {
    state_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "gmm: every row has weight 0");
  }
  start_result best = {false, -INFINITY, 0, false};
  int best_start = -1;
  for (int start = 0; start < restarts; start++) {
    sk__rng rng;
    sk__rng_init(&rng, opt->seed, GMM_STREAM, (uint64_t)start);
    if (!choose_seeds(f, &rng, s.seeds, s.dist)) {
      state_free(&s);
      return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                              "gmm: k = %zu but fewer distinct rows (with weight > 0)", f->k);
    }
    start_result res = run_start(f, &s.b, max_iter, tol);
    if (!res.ok || !(res.ll > best.ll))
      continue;
    best = res;
    best_start = start;
    params_copy(&s.best, &f->cur, f->k, f->d, f->blk);
    double *t = s.best_resp;
    s.best_resp = f->resp;
    f->resp = t;
  }
  if (best_start < 0) {
    state_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "gmm: every start ended with a singular covariance (a component "
                            "on too few or collinear rows); raise reg_covar or lower k");
  }
  segkit_status st = fill_model(f, &s.best, &s.best_resp, best, best_start, out, err);
  state_free(&s);
  return st;
}

/* ==== assignment ====================================================================== */

typedef struct assign_ctx {
  gmm_view g;
  const double *x;
  const double *shares;
  int32_t *labels;
} assign_ctx;

/* Labels as the fit makes them: the same log-density kernels, normalised to posteriors,
 * then the most probable (ties to the smallest). Scratch: a k x TILE buffer and the
 * kernels' tiles. */
static void assign_block(void *ctx, size_t r0, size_t r1, double *partial, double *scratch) {
  (void)partial;
  assign_ctx *a = ctx;
  size_t k = a->g.k;
  size_t d = a->g.d;
  double *lp = scratch;
  double *work = scratch + k * TILE;
  for (size_t i0 = r0; i0 < r1; i0 += TILE) {
    size_t m = r1 - i0 < TILE ? r1 - i0 : TILE;
    if (a->g.type == SEGKIT_GMM_FULL) {
      double *xt = work + d * TILE;
      load_tile(a->x, d, i0, m, xt);
      full_tile_logprob(&a->g, m, xt, lp, work);
    } else {
      for (size_t r = 0; r < m; r++)
        row_logprob(&a->g, a->x + (i0 + r) * d, lp + r * k, work);
    }
    for (size_t r = 0; r < m; r++) {
      /* A row where every density underflows goes by the shares, as in the fit. */
      bool lost = sk__mix_normalise(lp + r * k, k) == -INFINITY;
      a->labels[i0 + r] = sk__mix_argmax(lost ? a->shares : lp + r * k, k);
    }
  }
}

segkit_status sk__gmm_assign(const segkit_cluster_model *m, const segkit_cluster_data *data,
                             int32_t *labels, segkit_error *err) {
  size_t k = m->k;
  size_t d = m->d;
  size_t blk = cov_block(m->covariance_type, d);
  if (!m->centroids || !m->covariances || !m->shares)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "gmm: the model has no parameters");
  double *prec = malloc(k * blk * sizeof *prec);
  double *lconst = malloc(k * sizeof *lconst);
  double *work = malloc(d * d * sizeof *work);
  sk__mix_pool pool;
  bool ok = sk__mix_pool_init(&pool, data->n, 0, 0, k * TILE + scratch_doubles(d)) &&
            prec && lconst && work;
  if (!ok) {
    free(prec);
    free(lconst);
    free(work);
    sk__mix_pool_free(&pool);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "gmm: no memory to assign rows");
  }
  /* A model read back from JSON may carry covariances only: rebuild the factors. */
  segkit_status st = SEGKIT_OK;
  for (size_t c = 0; c < k && st == SEGKIT_OK; c++) {
    double logdet = 0;
    if (!component_precision(m->covariance_type, d, m->covariances + c * blk, prec + c * blk,
                             &logdet, work)) {
      st = segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "gmm: component %zu has a covariance that is not positive "
                            "definite",
                            c + 1);
      break;
    }
    if (m->precision_chol)
      memcpy(prec + c * blk, m->precision_chol + c * blk, blk * sizeof *prec);
    lconst[c] = log(m->shares[c]) + logdet - 0.5 * (double)d * LOG_2PI;
  }
  if (st == SEGKIT_OK) {
    assign_ctx a = {{k, d, m->covariance_type, m->centroids, prec, lconst}, data->x,
                    m->shares, labels};
    sk__mix_pool_run(&pool, assign_block, &a, 0, NULL);
  }
  free(prec);
  free(lconst);
  free(work);
  sk__mix_pool_free(&pool);
  return st;
}
