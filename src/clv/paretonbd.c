/* paretonbd.c: the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) as derived in
 * Fader & Hardie's "A note on deriving the Pareto/NBD model and related expressions"
 * (2005): its log-likelihood and its maximum-likelihood fit.
 *
 * Per customer (note eqs. 18-20):
 *   L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A_0 ]
 *   A_0 = F(t_x) / (m+t_x)^(r+s+x) - F(T) / (m+T)^(r+s+x),  m = max(alpha, beta),
 *   F(y) = 2F1(r+s+x, k; r+s+x+1; |alpha-beta| / (m+y)),
 *   k = r+x when alpha < beta, s+1 otherwise,
 * so the hypergeometric argument always lies in [0, 1) (sk__clv_log_hyp2f1_a1: series,
 * or the 1 - z connection formula close to 1); A_0 is taken in logs as a difference of
 * two exponentials (log1p(-exp)). Equal alpha and beta
 * give z = 0 and F = 1, the closed form.
 *
 * Key design choice, as for BG/NBD: the fit mirrors lifetimes' ParetoNBDFitter (time
 * rescaled so the largest T is 1, parameters start at 1, penalty penalizer * (r^2 +
 * alpha_scaled^2 + s^2 + beta_scaled^2)). lifetimes adds that penalty to the *total*
 * negative log-likelihood here (it divides by the mean weight, which is 1 without
 * weights), unlike its BG/NBD fitter; we do the same, so weighted and expanded data give
 * the same fit.
 *
 * Gradient: numerical (the shared optimiser's central differences). The exact one needs
 * the derivatives of 2F1(r+s+x, k; r+s+x+1; z) with respect to its parameters, which have
 * no closed form (series of digamma-weighted terms, or a second hypergeometric function
 * per parameter); that is left for later. What is done for speed: the time-scaled
 * triples are computed once per fit, and the hypergeometric terms of A_0 — the bulk of
 * the cost — once per distinct (frequency, time) pair rather than twice per triple (see
 * paretonbd_ctx); the per-triple arithmetic is otherwise the one of
 * sk__clv_paretonbd_loglik, so the value is the same. Gamma functions come from GSL
 * (sk__clv_lngamma), not lgamma, which writes the global `signgam`. */
#include <math.h>
#include <stdlib.h>

#include "clv/purchases_int.h"

/* log(e^l1 - e^l2) for l1 >= l2; -INFINITY when they are equal (or rounding flips them). */
static double log_diff_exp(double l1, double l2) {
  if (!(l1 > l2)) {
    return isnan(l1) || isnan(l2) ? NAN : -INFINITY;
  }
  return l1 + log1p(-exp(l2 - l1));
}

double sk__clv_paretonbd_log_a0(const double *p, double x, double tx, double T) {
  double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  double lo = fmin(alpha, beta);
  double hi = fmax(alpha, beta);
  double k = alpha < beta ? r + x : s + 1.0;
  double rsx = r + s + x;
  double gap = hi - lo;
  double l1 = sk__clv_log_hyp2f1_a1(rsx, k, gap / (hi + tx)) - rsx * log(hi + tx);
  double l2 = sk__clv_log_hyp2f1_a1(rsx, k, gap / (hi + T)) - rsx * log(hi + T);
  return log_diff_exp(l1, l2);
}

double sk__clv_paretonbd_loglik(const double *p, double x, double tx, double T) {
  double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  double rsx = r + s + x;
  double a1 = sk__clv_lngamma(r + x) - sk__clv_lngamma(r) + r * log(alpha) + s * log(beta);
  double alive = -(r + x) * log(alpha + T) - s * log(beta + T);
  double log_a0 = sk__clv_paretonbd_log_a0(p, x, tx, T);
  if (isnan(log_a0)) {
    return NAN;
  }
  double died = log(s) - log(rsx) + log_a0;
  double top = fmax(alive, died);
  double low = fmin(alive, died);
  return a1 + top + log1p(exp(low - top));
}

/* The objective's prepared data. Triples come sorted by frequency; within each run of
 * equal frequency x, the terms F(y) / (m+y)^(r+s+x) of A_0 depend on (x, y) alone, and the
 * recencies and Ts of a run take few distinct values (whole days), so each distinct
 * (x, y) "pair" is evaluated once per evaluation and looked up by the triples. */
typedef struct paretonbd_ctx {
  const sk__clv_triples *d;
  double *tx;         /* scaled by max_T */
  double *T;
  size_t n_runs;
  size_t *run_end;    /* one past each run's last triple */
  size_t *pair_end;   /* one past each run's last pair */
  double *pair_y;     /* each pair's scaled time */
  double *pair_l;     /* per evaluation: log F(y) - (r+s+x) log(m+y) */
  size_t *i_tx;       /* each triple's pair for its recency, and for its T */
  size_t *i_T;
  double penalizer;
} paretonbd_ctx;

static void ctx_free(paretonbd_ctx *c) {
  free(c->tx);
  free(c->run_end);
  free(c->pair_end);
  free(c->pair_y);
  free(c->pair_l);
  free(c->i_tx);
}

static int compare_doubles(const void *pa, const void *pb) {
  double a = *(const double *)pa;
  double b = *(const double *)pb;
  return (a > b) - (a < b);
}

static size_t find_time(const double *y, size_t lo, size_t hi, double t) {
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (y[mid] <= t) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/* Scaled times, runs of equal frequency and their distinct (x, y) pairs. */
static bool ctx_prepare(paretonbd_ctx *c, const sk__clv_triples *d) {
  size_t n = d->n;
  c->tx = malloc(2 * n * sizeof *c->tx);
  c->run_end = malloc(n * sizeof *c->run_end);
  c->pair_end = malloc(n * sizeof *c->pair_end);
  c->pair_y = malloc(2 * n * sizeof *c->pair_y);
  c->pair_l = malloc(2 * n * sizeof *c->pair_l);
  c->i_tx = malloc(2 * n * sizeof *c->i_tx);
  if (!c->tx || !c->run_end || !c->pair_end || !c->pair_y || !c->pair_l || !c->i_tx) {
    return false;
  }
  c->T = c->tx + n;
  c->i_T = c->i_tx + n;
  for (size_t i = 0; i < n; i++) {
    c->tx[i] = d->tx[i] / d->max_T;
    c->T[i] = d->T[i] / d->max_T;
    if (i == 0 || d->x[i] != d->x[i - 1]) {
      c->n_runs++;
    }
    c->run_end[c->n_runs - 1] = i + 1;
  }
  size_t n_pairs = 0;
  size_t start = 0;
  for (size_t k = 0; k < c->n_runs; k++) {
    size_t end = c->run_end[k];
    size_t first = n_pairs;
    double *y = c->pair_y + first;
    size_t m = 0;
    for (size_t i = start; i < end; i++) {
      y[m++] = c->tx[i];
      y[m++] = c->T[i];
    }
    qsort(y, m, sizeof *y, compare_doubles);
    size_t u = 0;
    for (size_t j = 0; j < m; j++) {
      if (u == 0 || y[j] != y[u - 1]) {
        y[u++] = y[j];
      }
    }
    n_pairs += u;
    c->pair_end[k] = n_pairs;
    for (size_t i = start; i < end; i++) {
      c->i_tx[i] = find_time(c->pair_y, first, n_pairs, c->tx[i]);
      c->i_T[i] = find_time(c->pair_y, first, n_pairs, c->T[i]);
    }
    start = end;
  }
  return true;
}

static double paretonbd_objective(const double *logp, void *vctx) {
  paretonbd_ctx *c = vctx;
  const sk__clv_triples *d = c->d;
  double p[4];
  double penalty = 0.0;
  for (int i = 0; i < 4; i++) {
    p[i] = exp(logp[i]);
    if (!(fabs(logp[i]) <= 300.0)) {
      return INFINITY;
    }
    penalty += p[i] * p[i];
  }
  double r = p[0], alpha = p[1], s = p[2], beta = p[3];
  double lo = fmin(alpha, beta);
  double hi = fmax(alpha, beta);
  double gap = hi - lo;
  double lg_r = sk__clv_lngamma(r);
  double ll = 0.0;
  size_t start = 0, pair = 0;
  for (size_t k = 0; k < c->n_runs; k++) {
    double x = d->x[start];
    double rsx = r + s + x;
    double kk = alpha < beta ? r + x : s + 1.0;
    /* The terms of sk__clv_paretonbd_loglik and _log_a0, in the same order. */
    for (; pair < c->pair_end[k]; pair++) {
      double y = c->pair_y[pair];
      c->pair_l[pair] = sk__clv_log_hyp2f1_a1(rsx, kk, gap / (hi + y)) - rsx * log(hi + y);
    }
    double a1 = sk__clv_lngamma(r + x) - lg_r + r * log(alpha) + s * log(beta);
    double log_s_rsx = log(s) - log(rsx);
    for (size_t i = start; i < c->run_end[k]; i++) {
      double alive = -(r + x) * log(alpha + c->T[i]) - s * log(beta + c->T[i]);
      double log_a0 = log_diff_exp(c->pair_l[c->i_tx[i]], c->pair_l[c->i_T[i]]);
      if (isnan(log_a0)) {
        return NAN;
      }
      double died = log_s_rsx + log_a0;
      double top = fmax(alive, died);
      double low = fmin(alive, died);
      ll += d->w[i] * (a1 + top + log1p(exp(low - top)));
    }
    start = c->run_end[k];
  }
  return -ll + c->penalizer * penalty;
}

segkit_status sk__clv_fit_paretonbd(const sk__clv_triples *d,
                                    const segkit_clv_fit_options *opt, segkit_clv_model *m,
                                    segkit_error *err) {
  paretonbd_ctx ctx = {.d = d, .penalizer = opt != NULL ? opt->penalizer : 0.0};
  if (d->n == 0 || !ctx_prepare(&ctx, d)) {
    ctx_free(&ctx);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu distinct customers", d->n);
  }
  /* alpha and beta are time scales: back to the caller's unit. */
  static const int scaled[] = {1, 3};
  segkit_status st = sk__clv_fit_four(d, paretonbd_objective, NULL, &ctx, opt, scaled, 2,
                                      sk__clv_paretonbd_loglik, m, err);
  ctx_free(&ctx);
  return st;
}
