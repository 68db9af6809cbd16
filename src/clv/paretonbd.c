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
 * the same fit. */
#include <math.h>

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
  double a1 = lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta);
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

typedef struct paretonbd_ctx {
  const sk__clv_triples *d;
  double penalizer;
} paretonbd_ctx;

static double paretonbd_objective(const double *logp, void *vctx) {
  const paretonbd_ctx *c = vctx;
  const sk__clv_triples *d = c->d;
  double p[4];
  double penalty = 0.0;
  for (int i = 0; i < 4; i++) {
    p[i] = exp(logp[i]);
    if (!(p[i] > 0.0) || !isfinite(p[i])) {
      return INFINITY;
    }
    penalty += p[i] * p[i];
  }
  double ll = 0.0;
  for (size_t i = 0; i < d->n; i++) {
    ll += d->w[i] *
          sk__clv_paretonbd_loglik(p, d->x[i], d->tx[i] / d->max_T, d->T[i] / d->max_T);
  }
  return -ll + c->penalizer * penalty;
}

segkit_status sk__clv_fit_paretonbd(const sk__clv_triples *d,
                                    const segkit_clv_fit_options *opt, segkit_clv_model *m,
                                    segkit_error *err) {
  paretonbd_ctx ctx = {.d = d, .penalizer = opt != NULL ? opt->penalizer : 0.0};
  /* alpha and beta are time scales: back to the caller's unit. */
  static const int scaled[] = {1, 3};
  return sk__clv_fit_four(d, paretonbd_objective, &ctx, opt, scaled, 2, sk__clv_paretonbd_loglik, m, err);
}
