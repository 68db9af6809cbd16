/* purchases_int.h: what the purchase models (BG/NBD, Pareto/NBD) share across
 * purchases.c, bgnbd.c, paretonbd.c and predict.c: the collapsed data they fit on, their
 * per-triple log-likelihoods and the Gauss hypergeometric series. */
#ifndef SEGKIT_CLV_PURCHASES_INT_H
#define SEGKIT_CLV_PURCHASES_INT_H

#include "clv/clv_int.h"

/* Distinct (frequency, recency, T) triples with their summed weights. */
typedef struct sk__clv_triples {
  size_t n;
  const double *x;    /* frequency */
  const double *tx;   /* recency */
  const double *T;
  const double *w;    /* weights, all > 0 */
  double total_w;
  double max_T;       /* > 0: the fit runs in time units of max_T, as lifetimes does */
} sk__clv_triples;

/* Fit into m (kind and n_params already set): params, se, log_likelihood, iterations. */
segkit_status sk__clv_fit_bgnbd(const sk__clv_triples *d, const segkit_clv_fit_options *opt,
                                segkit_clv_model *m, segkit_error *err);
segkit_status sk__clv_fit_paretonbd(const sk__clv_triples *d,
                                    const segkit_clv_fit_options *opt, segkit_clv_model *m,
                                    segkit_error *err);

/* Log-likelihood of one customer at natural parameters p (papers' order). */
double sk__clv_bgnbd_loglik(const double *p, double x, double tx, double T);

/* The common end of the two purchase-model fits: minimise `objective` over the 4
 * log-parameters from lifetimes' start (all 1), put the natural parameters and standard
 * errors into m, scale the time-scale parameters (indices `scaled`, n_scaled of them) back
 * from "largest T = 1" to the caller's unit, and recompute the unpenalised log-likelihood
 * with `loglik` over the triples. */
segkit_status sk__clv_fit_four(const sk__clv_triples *d, sk__clv_objective objective, void *ctx,
                               const segkit_clv_fit_options *opt, const int *scaled,
                               size_t n_scaled,
                               double (*loglik)(const double *p, double x, double tx, double T),
                               segkit_clv_model *m, segkit_error *err);
double sk__clv_paretonbd_loglik(const double *p, double x, double tx, double T);
/* log A_0 of Fader & Hardie's Pareto/NBD note (eqs. 19-20); -INFINITY when tx == T. */
double sk__clv_paretonbd_log_a0(const double *p, double x, double tx, double T);

/* Gauss 2F1(a, b; c; z) for 0 <= z < 1 by its power series; NaN when it does not
 * converge within the term budget or c is a non-positive integer. */
double sk__clv_hyp2f1(double a, double b, double c, double z);

/* log 2F1(a, b; a+1; z), 0 <= z < 1, a > 0: the Pareto/NBD case; the series, or near
 * z = 1 the connection formula to 1 - z, where the series would need millions of terms. */
double sk__clv_log_hyp2f1_a1(double a, double b, double z);

#endif
