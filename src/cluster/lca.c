/* lca.c: latent class analysis, the model of poLCA (Linzer & Lewis 2011, J. Stat. Softw.
 * 42(10), eqs. 1-4): k classes with shares pi_c; within a class the items are independent,
 * item j categorical over its levels with probabilities theta_cjl. Fitted by EM
 * (Goodman 1974; poLCA's poLCA.R / poLCA.c), with restarts, weighted rows, and missing
 * answers (-1) left out of the likelihood and of the item's update, as poLCA with
 * na.rm = FALSE does.
 *
 * Key design choices:
 * - Starts as poLCA draws them: every class's distribution over every item's levels from
 *   uniform draws normalised to 1, shares equal. Each start has its own random stream
 *   (seed, start), so starts are independent of each other and of the thread count.
 * - Log space: a row's class log-likelihood is a sum of ln theta over its answered items,
 *   and posteriors come by log-sum-exp, so many items do not underflow (poLCA multiplies
 *   probabilities). theta may reach exactly 0 (boundary solutions are common: poLCA's
 *   3-class carcinoma has eight); ln 0 = -inf then rules the class out for that answer.
 * - One pass per iteration: the E-step of the current parameters gives the log-likelihood,
 *   the posteriors and the weighted answer counts per class, from which the M-step is
 *   exact (pi_c = N_c / W; theta_cjl = count_cjl / sum_l count_cjl over rows answering j).
 * - Stop when the log-likelihood (total, not per row, as poLCA) gains less than tol, or
 *   after max_iter M-steps. The kept parameters are those of the last M-step; the reported
 *   log-likelihood and posteriors are computed from exactly those parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/mixture_int.h"
#include "sample/sample_int.h"

enum { LCA_DEFAULT_RESTARTS = 10, LCA_DEFAULT_MAX_ITER = 1000 };
#define LCA_DEFAULT_TOL 1e-10
#define LCA_STREAM UINT64_C(0x6c6361) /* "lca": this method's random streams */

typedef struct lca_fit {
  const int32_t *cat;
  const double *w;        /* NULL = 1 */
  const int32_t *levels;
  size_t n, n_cat, k, sum_levels;
  size_t *offset;         /* n_cat */
  double total_w;
  double *pi;             /* k */
  double *theta;          /* k x sum_levels */
  double *log_pi;         /* k */
  double *log_theta;      /* k x sum_levels */
  double *resp;           /* n x k of the current start */
  sk__mix_pool pool;
} lca_fit;

/* Partial of a pass: [log-likelihood, N_c (k), weighted answer counts (k x sum_levels)]. */
static size_t pass_partial(const lca_fit *f) { return 1 + f->k + f->k * f->sum_levels; }

/* ln pi_c + sum over answered items of ln theta_c,j,answer. */
static void row_logprob(size_t k, size_t n_cat, size_t sum_levels, const size_t *offset,
                        const double *log_pi, const double *log_theta, const int32_t *yi,
                        double *lp) {
  for (size_t c = 0; c < k; c++) {
    const double *lt = log_theta + c * sum_levels;
    double s = log_pi[c];
    for (size_t j = 0; j < n_cat; j++)
      if (yi[j] >= 0)
        s += lt[offset[j] + (size_t)yi[j]];
    lp[c] = s;
  }
}

static void pass_block(void *ctx, size_t r0, size_t r1, double *partial, double *scratch) {
  (void)scratch;
  lca_fit *f = ctx;
  size_t k = f->k;
  double *nk = partial + 1;
  double *counts = partial + 1 + k;
  for (size_t i = r0; i < r1; i++) {
    const int32_t *yi = f->cat + i * f->n_cat;
    double *r = f->resp + i * k;
    double wi = f->w ? f->w[i] : 1.0;
    row_logprob(k, f->n_cat, f->sum_levels, f->offset, f->log_pi, f->log_theta, yi, r);
    double ll = sk__mix_normalise(r, k);
    if (ll == -INFINITY) {
      /* Only a row of weight 0 can be impossible under every class (a row with weight
       * gave its answers positive probability in some class); it keeps the shares. */
      for (size_t c = 0; c < k; c++)
        r[c] = f->pi[c];
    }
    if (wi == 0)
      continue;
    partial[0] += wi * ll;
    for (size_t c = 0; c < k; c++) {
      double wr = wi * r[c];
      if (wr == 0)
        continue;
      nk[c] += wr;
      double *cc = counts + c * f->sum_levels;
      for (size_t j = 0; j < f->n_cat; j++)
        if (yi[j] >= 0)
          cc[f->offset[j] + (size_t)yi[j]] += wr;
    }
  }
}

static void set_logs(lca_fit *f) {
  for (size_t c = 0; c < f->k; c++)
    f->log_pi[c] = log(f->pi[c]);
  for (size_t i = 0; i < f->k * f->sum_levels; i++)
    f->log_theta[i] = log(f->theta[i]);
}

/* poLCA's start: theta from U(0,1) draws normalised per class and item, equal shares. */
static void random_start(lca_fit *f, sk__rng *rng) {
  for (size_t c = 0; c < f->k; c++) {
    f->pi[c] = 1.0 / (double)f->k;
    for (size_t j = 0; j < f->n_cat; j++) {
      double *t = f->theta + c * f->sum_levels + f->offset[j];
      double s = 0;
      for (int32_t l = 0; l < f->levels[j]; l++) {
        /* (0, 1]: a start never holds an exact zero. */
        t[l] = 1.0 - sk__rng_uniform(rng);
        s += t[l];
      }
      for (int32_t l = 0; l < f->levels[j]; l++)
        t[l] /= s;
    }
  }
  set_logs(f);
}

/* M-step from the pass sums. A class or item with no weight keeps its probabilities (an
 * emptied class stays dead: pi_c = 0). */
static void mstep(lca_fit *f, const double *sums) {
  const double *nk = sums + 1;
  const double *counts = sums + 1 + f->k;
  for (size_t c = 0; c < f->k; c++) {
    f->pi[c] = nk[c] / f->total_w;
    for (size_t j = 0; j < f->n_cat; j++) {
      size_t base = c * f->sum_levels + f->offset[j];
      double s = 0;
      for (int32_t l = 0; l < f->levels[j]; l++)
        s += counts[base + (size_t)l];
      if (!(s > 0))
        continue;
      for (int32_t l = 0; l < f->levels[j]; l++)
        f->theta[base + (size_t)l] = counts[base + (size_t)l] / s;
    }
  }
  set_logs(f);
}

typedef struct start_result {
  double ll;
  int iterations;
  bool converged;
} start_result;

static start_result run_start(lca_fit *f, double *sums, int max_iter, double tol) {
  start_result res = {-INFINITY, 0, false};
  size_t np = pass_partial(f);
  sk__mix_pool_run(&f->pool, pass_block, f, np, sums);
  double ll = sums[0];
  for (int it = 1; it <= max_iter; it++) {
    mstep(f, sums);
    sk__mix_pool_run(&f->pool, pass_block, f, np, sums);
    double gain = sums[0] - ll;
    ll = sums[0];
    res.iterations = it;
    if (gain < tol) {
      res.converged = true;
      break;
    }
  }
  res.ll = ll;
  return res;
}

/* ==== the model ======================================================================= */

typedef struct lca_state {
  lca_fit f;
  double *sums;
  double *best_pi, *best_theta, *best_resp;
} lca_state;

static void state_free(lca_state *s) {
  lca_fit *f = &s->f;
  free(f->offset);
  free(f->pi);
  free(f->theta);
  free(f->log_pi);
  free(f->log_theta);
  free(f->resp);
  sk__mix_pool_free(&f->pool);
  free(s->sums);
  free(s->best_pi);
  free(s->best_theta);
  free(s->best_resp);
}

static bool state_alloc(lca_state *s, const segkit_cluster_data *data,
                        const segkit_cluster_options *opt) {
  lca_fit *f = &s->f;
  f->cat = data->cat;
  f->w = data->weights;
  f->levels = data->levels;
  f->n = data->n;
  f->n_cat = data->n_cat;
  f->k = opt->k;
  f->offset = malloc(f->n_cat * sizeof *f->offset);
  if (!f->offset)
    return false;
  f->sum_levels = 0;
  for (size_t j = 0; j < f->n_cat; j++) {
    f->offset[j] = f->sum_levels;
    f->sum_levels += (size_t)data->levels[j];
  }
  size_t k = f->k, kl = f->k * f->sum_levels, n = f->n;
  f->pi = malloc(k * sizeof *f->pi);
  f->theta = malloc(kl * sizeof *f->theta);
  f->log_pi = malloc(k * sizeof *f->log_pi);
  f->log_theta = malloc(kl * sizeof *f->log_theta);
  f->resp = malloc(n * k * sizeof *f->resp);
  s->sums = malloc(pass_partial(f) * sizeof *s->sums);
  s->best_pi = malloc(k * sizeof *s->best_pi);
  s->best_theta = malloc(kl * sizeof *s->best_theta);
  s->best_resp = malloc(n * k * sizeof *s->best_resp);
  bool ok = sk__mix_pool_init(&f->pool, n, opt->n_threads, pass_partial(f), 0);
  return ok && f->pi && f->theta && f->log_pi && f->log_theta && f->resp && s->sums &&
         s->best_pi && s->best_theta && s->best_resp;
}

static segkit_status fill_model(lca_state *s, start_result best, int best_start,
                                segkit_cluster_model **out, segkit_error *err) {
  lca_fit *f = &s->f;
  size_t k = f->k, n = f->n;
  segkit_cluster_model *m = sk__cluster_model_new(SEGKIT_CLUSTER_LCA, k, 0, f->n_cat);
  if (!m)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "lca: no memory for the model");
  m->n = n;
  m->labels = malloc(n * sizeof *m->labels);
  m->levels = malloc(f->n_cat * sizeof *m->levels);
  if (!m->labels || !m->levels) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "lca: no memory for the model");
  }
  memcpy(m->levels, f->levels, f->n_cat * sizeof *m->levels);
  m->item_offset = f->offset;
  f->offset = NULL;
  m->sum_levels = f->sum_levels;
  m->item_probs = s->best_theta;
  s->best_theta = NULL;
  m->posteriors = s->best_resp;
  s->best_resp = NULL;
  for (size_t i = 0; i < n; i++)
    m->labels[i] = sk__mix_argmax(m->posteriors + i * k, k);
  if (!sk__cluster_model_tally(m, f->w)) {
    segkit_cluster_model_free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "lca: no memory for the model");
  }
  /* shares are the class proportions; sizes stay the label tally. */
  memcpy(m->shares, s->best_pi, k * sizeof *m->shares);
  size_t free_per_class = 0;
  for (size_t j = 0; j < f->n_cat; j++)
    free_per_class += (size_t)f->levels[j] - 1;
  m->n_params = (k - 1) + k * free_per_class; /* poLCA's npar without covariates */
  m->log_likelihood = best.ll;
  m->entropy = sk__mix_entropy(m->posteriors, f->w, n, k);
  m->iterations = best.iterations;
  m->converged = best.converged;
  m->best_start = best_start;
  *out = m;
  return SEGKIT_OK;
}

segkit_status sk__lca_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt,
                          segkit_cluster_model **out, segkit_error *err) {
  int restarts = opt->restarts > 0 ? opt->restarts : LCA_DEFAULT_RESTARTS;
  int max_iter = opt->max_iter > 0 ? opt->max_iter : LCA_DEFAULT_MAX_ITER;
  double tol = opt->tol > 0 ? opt->tol : LCA_DEFAULT_TOL;
  lca_state s;
  memset(&s, 0, sizeof s);
  if (!state_alloc(&s, data, opt)) {
    state_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "lca: no memory for %zu rows x %zu "
                            "classes", data->n, opt->k);
  }
  lca_fit *f = &s.f;
  f->total_w = sk__mix_total_weight(f->w, f->n);
  if (!(f->total_w > 0)) {
    state_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "lca: every row has weight 0");
  }
  start_result best = {-INFINITY, 0, false};
  int best_start = -1;
  for (int start = 0; start < restarts; start++) {
    sk__rng rng;
    sk__rng_init(&rng, opt->seed, LCA_STREAM, (uint64_t)start);
    random_start(f, &rng);
    start_result res = run_start(f, s.sums, max_iter, tol);
    if (!(res.ll > best.ll))
      continue;
    best = res;
    best_start = start;
    memcpy(s.best_pi, f->pi, f->k * sizeof *s.best_pi);
    memcpy(s.best_theta, f->theta, f->k * f->sum_levels * sizeof *s.best_theta);
    double *t = s.best_resp;
    s.best_resp = f->resp;
    f->resp = t;
  }
  if (best_start < 0) {
    state_free(&s);
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                            "lca: no start reached a finite log-likelihood");
  }
  segkit_status st = fill_model(&s, best, best_start, out, err);
  state_free(&s);
  return st;
}

/* ==== assignment ====================================================================== */

typedef struct assign_ctx {
  const int32_t *cat;
  size_t k, n_cat, sum_levels;
  const size_t *offset;
  const double *log_pi, *log_theta;
  const double *shares;
  int32_t *labels;
} assign_ctx;

static void assign_block(void *ctx, size_t r0, size_t r1, double *partial, double *scratch) {
  (void)partial;
  assign_ctx *a = ctx;
  for (size_t i = r0; i < r1; i++) {
    row_logprob(a->k, a->n_cat, a->sum_levels, a->offset, a->log_pi, a->log_theta,
                a->cat + i * a->n_cat, scratch);
    /* A row impossible under every class (an answer no class gives, e.g. a level unseen
     * in fitting) goes to the largest class, as such a row does in the fit. */
    bool lost = sk__mix_normalise(scratch, a->k) == -INFINITY;
    a->labels[i] = sk__mix_argmax(lost ? a->shares : scratch, a->k);
  }
}

segkit_status sk__lca_assign(const segkit_cluster_model *m, const segkit_cluster_data *data,
                             int32_t *labels, segkit_error *err) {
  if (!m->item_probs || !m->levels || !m->shares)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "lca: the model has no parameters");
  size_t k = m->k;
  size_t sum_levels = 0;
  size_t *offset = malloc((m->n_cat ? m->n_cat : 1) * sizeof *offset);
  for (size_t j = 0; offset && j < m->n_cat; j++) {
    offset[j] = sum_levels; /* from the levels: a model read from JSON has no offsets */
    sum_levels += (size_t)m->levels[j];
  }
  double *log_pi = malloc(k * sizeof *log_pi);
  double *log_theta = malloc((k * sum_levels + 1) * sizeof *log_theta);
  sk__mix_pool pool;
  bool ok = sk__mix_pool_init(&pool, data->n, 0, 0, k);
  if (!ok || !offset || !log_pi || !log_theta) {
    free(offset);
    free(log_pi);
    free(log_theta);
    sk__mix_pool_free(&pool);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "lca: no memory to assign rows");
  }
  for (size_t c = 0; c < k; c++)
    log_pi[c] = log(m->shares[c]);
  for (size_t i = 0; i < k * sum_levels; i++)
    log_theta[i] = log(m->item_probs[i]);
  assign_ctx a = {data->cat, k,         m->n_cat,  sum_levels, offset,
                  log_pi,    log_theta, m->shares, labels};
  sk__mix_pool_run(&pool, assign_block, &a, 0, NULL);
  free(offset);
  free(log_pi);
  free(log_theta);
  sk__mix_pool_free(&pool);
  return SEGKIT_OK;
}
