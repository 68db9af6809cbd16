/* purchases_int.h: what the purchase models (BG/NBD, Pareto/NBD) share across
 * purchases.c, bgnbd.c, paretonbd.c and predict.c: the collapsed data they fit on, their
 * per-triple log-likelihoods and the Gauss hypergeometric series. */
#ifndef SEGKIT_CLV_PURCHASES_INT_H
#define SEGKIT_CLV_PURCHASES_INT_H

#include "clv/clv_int.h"

/* Distinct (frequency, recency, T) triples with their summed weights, in ascending
 * (frequency, recency, T) order (so equal frequencies are consecutive). */
typedef struct sk__clv_triples {
  size_t n;
  const double *x;    /* frequency */
  const double *tx;   /* recency */
  const double *T;
  const double *w;    /* weights, all > 0 */
  double total_w;
  double max_T;       /* > 0: the fit runs in time units of max_T, as lifetimes does */
  double *block;      /* the one allocation behind x, tx, T, w (sk__clv_triples_free) */
} sk__clv_triples;

/* Check n customers' rows (errors as segkit_clv_fit_purchases documents, naming the row)
 * and collapse them into distinct triples: a hash table keyed by the triple that grows
 * with the distinct count, so the extra memory is O(distinct), not O(n); the distinct
 * triples are then sorted. Rows of weight 0 are dropped; SEGKIT_ERR_LIMIT when none is
 * left. max_T may be 0 (the caller decides). Free with sk__clv_triples_free. */
segkit_status sk__clv_collapse(const double *frequency, const double *recency, const double *T,
                               const double *weights, size_t n, sk__clv_triples *out,
                               segkit_error *err);
void sk__clv_triples_free(sk__clv_triples *d);

/* ln Gamma(y) for y > 0 without touching the global `signgam` that lgamma writes (GSL's
 * own implementation); NaN for y <= 0 or NaN, the Stirling value for huge y (where GSL
 * would report an overflow through its error handler). */
double sk__clv_lngamma(double y);
/* digamma(y) for finite y > 0 (gsl_sf_psi; -1/y below 1e-300, where GSL would overflow),
 * NaN otherwise. */
double sk__clv_digamma(double y);

/* The BG/NBD objective on prepared triples (time scaled by max_T, the gamma-function
 * terms evaluated once per distinct frequency): lifetimes' penalised negative
 * log-likelihood times the total weight, as the fit minimises, and its exact gradient
 * with respect to the log-parameters. */
typedef struct sk__clv_bgnbd_objective sk__clv_bgnbd_objective;
segkit_status sk__clv_bgnbd_objective_new(const sk__clv_triples *d, double penalizer,
                                          sk__clv_bgnbd_objective **out, segkit_error *err);
void sk__clv_bgnbd_objective_free(sk__clv_bgnbd_objective *o);
/* An sk__clv_objective_grad: ctx is the sk__clv_bgnbd_objective, whose per-evaluation
 * scratch it writes (one evaluation at a time per objective; it may itself use threads). */
double sk__clv_bgnbd_objective_eval(const double *logp, double *grad, void *ctx);

/* Fit into m (kind and n_params already set): params, se, log_likelihood, iterations. */
segkit_status sk__clv_fit_bgnbd(const sk__clv_triples *d, const segkit_clv_fit_options *opt,
                                segkit_clv_model *m, segkit_error *err);
segkit_status sk__clv_fit_paretonbd(const sk__clv_triples *d,
                                    const segkit_clv_fit_options *opt, segkit_clv_model *m,
                                    segkit_error *err);

/* Log-likelihood of one customer at natural parameters p (papers' order). */
double sk__clv_bgnbd_loglik(const double *p, double x, double tx, double T);

/* The common end of the two purchase-model fits: minimise `objective` over the 4
 * log-parameters (with its exact gradient objective_grad, or NULL) from lifetimes' start
 * (all 1), put the natural parameters and standard
 * errors into m, scale the time-scale parameters (indices `scaled`, n_scaled of them) back
 * from "largest T = 1" to the caller's unit, and recompute the unpenalised log-likelihood
 * with `loglik` over the triples. */
segkit_status sk__clv_fit_four(const sk__clv_triples *d, sk__clv_objective objective,
                               sk__clv_objective_grad objective_grad, void *ctx,
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
