/* bgnbd.c: the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy
 * way"): its log-likelihood and its maximum-likelihood fit.
 *
 * Per customer (eq. 6, in logs):
 *   LL = lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
 *        + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]
 * with the last logarithm taken as a log-sum-exp so neither power under- or overflows.
 *
 * Key design choice: the fit runs exactly as lifetimes' BetaGeoFitter does, so results
 * (including a penalised fit) can be compared with it: time is rescaled so the largest T
 * is 1, the parameters start at 1, and the objective is lifetimes' mean negative
 * log-likelihood plus penalizer * (r^2 + alpha_scaled^2 + a^2 + b^2) — multiplied by the
 * total weight, which leaves the minimiser unchanged but makes the curvature the observed
 * information, so the shared optimiser's Hessian gives the usual standard errors. The
 * reported log-likelihood is recomputed unpenalised in the caller's time unit. */
#include <math.h>

#include "clv/purchases_int.h"

double sk__clv_bgnbd_loglik(const double *p, double x, double tx, double T) {
  double r = p[0], alpha = p[1], a = p[2], b = p[3];
  double a1 = lgamma(r + x) - lgamma(r) + r * log(alpha);
  double a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
  double a3 = -(r + x) * log(alpha + T);
  if (x <= 0.0) {
    return a1 + a2 + a3;
  }
  double a4 = log(a) - log(b + x - 1.0) - (r + x) * log(alpha + tx);
  double hi = fmax(a3, a4);
  double lo = fmin(a3, a4);
  return a1 + a2 + hi + log1p(exp(lo - hi));
}

typedef struct bgnbd_ctx {
  const sk__clv_triples *d;
  double penalizer;
} bgnbd_ctx;

/* Negative log-likelihood (scaled time) plus lifetimes' penalty, times the total weight. */
static double bgnbd_objective(const double *logp, void *vctx) {
  const bgnbd_ctx *c = vctx;
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
    ll += d->w[i] * sk__clv_bgnbd_loglik(p, d->x[i], d->tx[i] / d->max_T, d->T[i] / d->max_T);
  }
  return -ll + c->penalizer * penalty * d->total_w;
}

segkit_status sk__clv_fit_bgnbd(const sk__clv_triples *d, const segkit_clv_fit_options *opt,
                                segkit_clv_model *m, segkit_error *err) {
  bgnbd_ctx ctx = {.d = d, .penalizer = opt != NULL ? opt->penalizer : 0.0};
  /* alpha is a time scale: back to the caller's unit. */
  static const int scaled[] = {1};
  return sk__clv_fit_four(d, bgnbd_objective, &ctx, opt, scaled, 1, sk__clv_bgnbd_loglik, m, err);
}
