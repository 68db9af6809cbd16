/* bgnbd.c: the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy
 * way"): its log-likelihood, the exact gradient of it, and its maximum-likelihood fit.
 *
 * Per customer (eq. 6, in logs):
 *   LL = lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
 *        + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]
 * with the last logarithm taken as a log-sum-exp so neither power under- or overflows.
 * With A3 = -(r+x) ln(alpha+T), A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x) and the
 * share w4 = e^A4 / (e^A3 + e^A4) (0 when x = 0), w3 = 1 - w4, the derivatives are
 *   dLL/dr     = psi(r+x) - psi(r) + ln alpha - w3 ln(alpha+T) - w4 ln(alpha+t_x)
 *   dLL/dalpha = r/alpha - (r+x) [w3/(alpha+T) + w4/(alpha+t_x)]
 *   dLL/da     = psi(a+b) - psi(a+b+x) + w4/a
 *   dLL/db     = psi(a+b) + psi(b+x) - psi(b) - psi(a+b+x) - w4/(b+x-1)
 * and the optimiser gets them times the parameter (it works on log-parameters).
 *
 * Key design choices. The fit runs exactly as lifetimes' BetaGeoFitter does, so results
 * (including a penalised fit) can be compared with it: time is rescaled so the largest T
 * is 1, the parameters start at 1, and the objective is lifetimes' mean negative
 * log-likelihood plus penalizer * (r^2 + alpha_scaled^2 + a^2 + b^2) — multiplied by the
 * total weight, which leaves the minimiser unchanged but makes the curvature the observed
 * information, so the shared optimiser's Hessian gives the usual standard errors. The
 * reported log-likelihood is recomputed unpenalised in the caller's time unit.
 * For speed the objective is prepared once: scaled times, and the triples (sorted by
 * frequency) split into runs of equal frequency, whose gamma and digamma terms depend on
 * the frequency alone and are evaluated once per run with the run's total weight. Recency
 * and T take few distinct values (whole days), so ln(alpha + t) and 1/(alpha + t) are
 * computed once per distinct time per evaluation and looked up by index; each triple then
 * costs an exponential and a log1p. Large fits (10^5 triples and more) split the triples
 * into fixed blocks of BLOCK triples summed apart and added in block order, the blocks
 * shared among worker threads: the sums, and so the fit, do not depend on the thread
 * count. Gamma functions come from
 * GSL (sk__clv_lngamma), not lgamma, which writes the global `signgam` and so is not
 * thread-safe. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clv/purchases_int.h"
#include "core/core_int.h"

/* Log-parameters beyond this are treated as undefined: exp(300) ~ 1e130 keeps every
 * gamma and digamma argument well inside GSL's error-free range. */
static const double MAX_LOG_PARAM = 300.0;

/* Triples per block of the sums (fixed: the block partition decides the rounding), and
 * the fewest triples per extra thread (a thread is started per evaluation). */
enum { BLOCK = 8192, TRIPLES_PER_THREAD = 32768 };

double sk__clv_bgnbd_loglik(const double *p, double x, double tx, double T) {
  double r = p[0], alpha = p[1], a = p[2], b = p[3];
  double a1 = sk__clv_lngamma(r + x) - sk__clv_lngamma(r) + r * log(alpha);
  double a2 = sk__clv_lngamma(a + b) + sk__clv_lngamma(b + x) - sk__clv_lngamma(b) -
              sk__clv_lngamma(a + b + x);
  double a3 = -(r + x) * log(alpha + T);
  if (x <= 0.0) {
    return a1 + a2 + a3;
  }
  double a4 = log(a) - log(b + x - 1.0) - (r + x) * log(alpha + tx);
  double hi = fmax(a3, a4);
  double lo = fmin(a3, a4);
  return a1 + a2 + hi + log1p(exp(lo - hi));
}

/* Sums of the log-likelihood and its derivatives in the natural parameters. */
typedef struct sums {
  double ll, r, alpha, a, b;
} sums;

struct sk__clv_bgnbd_objective {
  size_t n;
  const double *x;
  const double *w;
  double *tx;         /* scaled by max_T */
  double *T;          /* scaled by max_T */
  size_t n_times;     /* distinct scaled times (recencies and Ts together) */
  double *times;      /* ascending */
  uint32_t *i_tx;     /* index of each triple's recency in times */
  uint32_t *i_T;
  double *log_at;     /* per evaluation: ln(alpha + times[j]) */
  double *inv_at;     /* and 1 / (alpha + times[j]) */
  size_t n_blocks;
  sums *partial;      /* per evaluation: each block's sums */
  size_t n_runs;      /* runs of equal frequency */
  size_t *run_end;    /* one past each run's last triple */
  double *run_w;      /* each run's total weight */
  double total_w;
  double penalizer;
};

static int compare_doubles(const void *pa, const void *pb) {
  double a = *(const double *)pa;
  double b = *(const double *)pb;
  return (a > b) - (a < b);
}

static uint32_t time_index(const double *times, size_t n, double t) {
  size_t lo = 0, hi = n;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (times[mid] <= t) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (uint32_t)lo;
}

/* The distinct scaled times and each triple's indices into them (or, when most times are
 * distinct, every triple's own two times). */
static bool index_times(sk__clv_bgnbd_objective *o) {
  size_t n = o->n;
  if (n == 0 || n > UINT32_MAX / 2) {
    return n == 0;
  }
  o->times = malloc(2 * n * sizeof *o->times);
  o->i_tx = malloc(2 * n * sizeof *o->i_tx);
  if (o->times == NULL || o->i_tx == NULL) {
    return false;
  }
  o->i_T = o->i_tx + n;
  memcpy(o->times, o->tx, 2 * n * sizeof *o->times);
  qsort(o->times, 2 * n, sizeof *o->times, compare_doubles);
  size_t m = 0;
  for (size_t i = 0; i < 2 * n; i++) {
    if (m == 0 || o->times[i] != o->times[m - 1]) {
      o->times[m++] = o->times[i];
    }
  }
  /* Mostly distinct times (continuous ages): a shared table would only turn sequential
   * reads into random ones, so each triple gets its own two entries, in triple order. */
  bool shared = m <= n;
  if (!shared) {
    m = 2 * n;
    memcpy(o->times, o->tx, 2 * n * sizeof *o->times);
  }
  o->n_times = m;
  o->log_at = malloc(2 * m * sizeof *o->log_at);
  if (o->log_at == NULL) {
    return false;
  }
  o->inv_at = o->log_at + m;
  for (size_t i = 0; i < n; i++) {
    o->i_tx[i] = shared ? time_index(o->times, m, o->tx[i]) : (uint32_t)i;
    o->i_T[i] = shared ? time_index(o->times, m, o->T[i]) : (uint32_t)(n + i);
  }
  return true;
}

void sk__clv_bgnbd_objective_free(sk__clv_bgnbd_objective *o) {
  if (o == NULL) {
    return;
  }
  free(o->tx);
  free(o->times);
  free(o->i_tx);
  free(o->log_at);
  free(o->run_end);
  free(o->run_w);
  free(o->partial);
  free(o);
}

segkit_status sk__clv_bgnbd_objective_new(const sk__clv_triples *d, double penalizer,
                                          sk__clv_bgnbd_objective **out, segkit_error *err) {
  sk__clv_bgnbd_objective *o = calloc(1, sizeof *o);
  size_t n = d->n;
  if (o != NULL) {
    o->tx = malloc(2 * (n > 0 ? n : 1) * sizeof *o->tx);
    o->run_end = malloc((n > 0 ? n : 1) * sizeof *o->run_end);
    o->run_w = malloc((n > 0 ? n : 1) * sizeof *o->run_w);
  }
  if (o == NULL || o->tx == NULL || o->run_end == NULL || o->run_w == NULL) {
    sk__clv_bgnbd_objective_free(o);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the BG/NBD objective");
  }
  o->n = n;
  o->x = d->x;
  o->w = d->w;
  o->T = o->tx + n;
  o->total_w = d->total_w;
  o->penalizer = penalizer;
  for (size_t i = 0; i < n; i++) {
    o->tx[i] = d->tx[i] / d->max_T;
    o->T[i] = d->T[i] / d->max_T;
    if (i == 0 || d->x[i] != d->x[i - 1]) {
      o->run_w[o->n_runs++] = 0.0;
    }
    o->run_end[o->n_runs - 1] = i + 1;
    o->run_w[o->n_runs - 1] += d->w[i];
  }
  o->n_blocks = (n + BLOCK - 1) / BLOCK;
  o->partial = calloc(o->n_blocks > 0 ? o->n_blocks : 1, sizeof *o->partial);
  if (o->partial == NULL || !index_times(o)) {
    sk__clv_bgnbd_objective_free(o);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the BG/NBD objective");
  }
  *out = o;
  return SEGKIT_OK;
}


/* The terms of one run of frequency x that do not depend on t_x or T, times its weight. */
static void run_terms(const double *p, double x, double wsum, bool want_grad, sums *s) {
  double r = p[0], alpha = p[1], a = p[2], b = p[3];
  s->ll += wsum * r * log(alpha);
  s->r += wsum * log(alpha);
  s->alpha += wsum * r / alpha;
  if (x <= 0.0) {
    return;
  }
  s->ll += wsum * (sk__clv_lngamma(r + x) - sk__clv_lngamma(r) + sk__clv_lngamma(a + b) +
                   sk__clv_lngamma(b + x) - sk__clv_lngamma(b) - sk__clv_lngamma(a + b + x));
  if (!want_grad) {
    return;
  }
  double psi_abx = sk__clv_digamma(a + b + x);
  double psi_ab = sk__clv_digamma(a + b);
  s->r += wsum * (sk__clv_digamma(r + x) - sk__clv_digamma(r));
  s->a += wsum * (psi_ab - psi_abx);
  s->b += wsum * (psi_ab + sk__clv_digamma(b + x) - sk__clv_digamma(b) - psi_abx);
}

/* The log-sum-exp terms of the triples [i0, i1), all of frequency x. */
static void triple_terms(const sk__clv_bgnbd_objective *o, const double *p, size_t i0,
                         size_t i1, bool want_grad, sums *s) {
  double r = p[0], a = p[2], b = p[3];
  double x = o->x[i0];
  double rx = r + x;
  const double *lg = o->log_at;
  const double *inv = o->inv_at;
  if (x <= 0.0) {
    for (size_t i = i0; i < i1; i++) {
      double l3 = lg[o->i_T[i]];
      s->ll -= o->w[i] * rx * l3;
      s->r -= o->w[i] * l3;
      s->alpha -= o->w[i] * rx * inv[o->i_T[i]];
    }
    return;
  }
  double lab = log(a) - log(b + x - 1.0);
  double ll = 0.0, gr = 0.0, galpha = 0.0, w4sum = 0.0;
  for (size_t i = i0; i < i1; i++) {
    uint32_t ju = o->i_tx[i];
    uint32_t jv = o->i_T[i];
    double l4 = lg[ju];
    double l3 = lg[jv];
    double dlt = lab + rx * (l3 - l4); /* A4 - A3 */
    double w = o->w[i];
    double e = exp(-fabs(dlt));
    double w4;
    if (dlt > 0.0) {
      ll += w * (lab - rx * l4 + log1p(e));
      w4 = 1.0 / (1.0 + e);
    } else {
      ll += w * (-rx * l3 + log1p(e));
      w4 = e / (1.0 + e);
    }
    if (want_grad) {
      double w3 = 1.0 - w4;
      gr -= w * (w3 * l3 + w4 * l4);
      galpha -= w * (w3 * inv[jv] + w4 * inv[ju]);
      w4sum += w * w4;
    }
  }
  s->ll += ll;
  s->r += gr;
  s->alpha += rx * galpha;
  s->a += w4sum / a;
  s->b -= w4sum / (b + x - 1.0);
}

/* The triple terms of block b into o->partial[b]. */
static void block_terms(const sk__clv_bgnbd_objective *o, const double *p, size_t b,
                        bool want_grad) {
  size_t i = b * BLOCK;
  size_t end = i + BLOCK < o->n ? i + BLOCK : o->n;
  /* The run holding triple i: the first whose end is past it. */
  size_t lo = 0, hi = o->n_runs - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (o->run_end[mid] > i) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  sums s = {0};
  for (size_t k = lo; i < end; k++) {
    size_t stop = o->run_end[k] < end ? o->run_end[k] : end;
    triple_terms(o, p, i, stop, want_grad, &s);
    i = stop;
  }
  o->partial[b] = s;
}

typedef struct block_job {
  const sk__clv_bgnbd_objective *o;
  const double *p;
  size_t b0, b1;
  bool want_grad;
} block_job;

static void *block_worker(void *arg) {
  const block_job *j = arg;
  for (size_t b = j->b0; b < j->b1; b++) {
    block_terms(j->o, j->p, b, j->want_grad);
  }
  return NULL;
}

/* Every block's sums, on as many threads as pay off. */
static void all_blocks(const sk__clv_bgnbd_objective *o, const double *p, bool want_grad) {
  int workers = sk__worker_count(0, o->n, TRIPLES_PER_THREAD);
  if (workers > SK__MAX_WORKERS) {
    workers = SK__MAX_WORKERS;
  }
  if (workers > (int)o->n_blocks) {
    workers = (int)o->n_blocks;
  }
  if (workers <= 1) {
    block_job j = {o, p, 0, o->n_blocks, want_grad};
    block_worker(&j);
    return;
  }
  block_job jobs[SK__MAX_WORKERS];
  for (int w = 0; w < workers; w++) {
    jobs[w] = (block_job){o, p, o->n_blocks * (size_t)w / (size_t)workers,
                          o->n_blocks * (size_t)(w + 1) / (size_t)workers, want_grad};
  }
  sk__run_workers(block_worker, jobs, sizeof jobs[0], workers);
}

double sk__clv_bgnbd_objective_eval(const double *logp, double *grad, void *ctx) {
  const sk__clv_bgnbd_objective *o = ctx;
  double p[4];
  double penalty = 0.0;
  for (int i = 0; i < 4; i++) {
    if (!(fabs(logp[i]) <= MAX_LOG_PARAM)) {
      return INFINITY;
    }
    p[i] = exp(logp[i]);
    penalty += p[i] * p[i];
  }
  bool want_grad = grad != NULL;
  sk__clv_bgnbd_objective *mo = ctx;
  for (size_t j = 0; j < o->n_times; j++) {
    double v = p[1] + o->times[j];
    mo->log_at[j] = log(v);
    mo->inv_at[j] = 1.0 / v;
  }
  all_blocks(o, p, want_grad);
  sums s = {0};
  for (size_t b = 0; b < o->n_blocks; b++) {
    s.ll += o->partial[b].ll;
    s.r += o->partial[b].r;
    s.alpha += o->partial[b].alpha;
    s.a += o->partial[b].a;
    s.b += o->partial[b].b;
  }
  size_t start = 0;
  for (size_t k = 0; k < o->n_runs; k++) {
    run_terms(p, o->x[start], o->run_w[k], want_grad, &s);
    start = o->run_end[k];
  }
  double pen = o->penalizer * o->total_w;
  double f = -s.ll + pen * penalty;
  if (want_grad) {
    const double dp[4] = {s.r, s.alpha, s.a, s.b};
    for (int i = 0; i < 4; i++) {
      grad[i] = -p[i] * dp[i] + 2.0 * pen * p[i] * p[i];
    }
  }
  return f;
}

static double bgnbd_value(const double *logp, void *ctx) {
  return sk__clv_bgnbd_objective_eval(logp, NULL, ctx);
}

segkit_status sk__clv_fit_bgnbd(const sk__clv_triples *d, const segkit_clv_fit_options *opt,
                                segkit_clv_model *m, segkit_error *err) {
  sk__clv_bgnbd_objective *o = NULL;
  segkit_status st =
      sk__clv_bgnbd_objective_new(d, opt != NULL ? opt->penalizer : 0.0, &o, err);
  if (st != SEGKIT_OK) {
    return st;
  }
  /* alpha is a time scale: back to the caller's unit. */
  static const int scaled[] = {1};
  st = sk__clv_fit_four(d, bgnbd_value, sk__clv_bgnbd_objective_eval, o, opt, scaled, 1,
                        sk__clv_bgnbd_loglik, m, err);
  sk__clv_bgnbd_objective_free(o);
  return st;
}
