/* clv_int.h: the model object every customer-value model fills, and the optimiser they
 * share. One struct for all kinds so the getters, serialisation and the CLI treat them
 * alike. */
#ifndef SEGKIT_CLV_INT_H
#define SEGKIT_CLV_INT_H

#include "segkit/clv.h"

enum { SK__CLV_MAX_PARAMS = 4 };

struct segkit_clv_model {
  segkit_clv_kind kind;
  size_t n_params;
  double params[SK__CLV_MAX_PARAMS];   /* natural parameters, the papers' order */
  double se[SK__CLV_MAX_PARAMS];       /* standard errors (NaN when unknown) */
  double log_likelihood;
  double n;                            /* customers (weighted) fitted on */
  int iterations;
};

/* A new model of this kind with its parameter count set, NaN errors and likelihood. */
segkit_clv_model *sk__clv_model_new(segkit_clv_kind kind);

/* Negative log-likelihood (plus any penalty) at log-parameters logp; may return +INFINITY
 * or NaN where undefined (the optimiser treats both as "worse"). */
typedef double (*sk__clv_objective)(const double *logp, void *ctx);

/* Minimise f over k log-parameters with GSL's vector_bfgs2 (numerical gradient), from
 * `start` and then opt->starts - 1 further starts drawn around it from opt->seed; keep the
 * best. On success: best_logp (k values), *best_value (f there), *iterations of the kept
 * start, and se_natural (k values): standard errors of exp(logp) by the delta method from
 * the inverse numerical Hessian of f at the optimum (NaN when it is not positive definite).
 * SEGKIT_ERR_INTERNAL when no start reaches a finite value. */
segkit_status sk__clv_minimise(size_t k, sk__clv_objective f, void *ctx, const double *start,
                               const segkit_clv_fit_options *opt, double *best_logp,
                               double *best_value, int *iterations, double *se_natural,
                               segkit_error *err);

/* The objective with its exact gradient: returns f at logp as sk__clv_objective does and,
 * when grad is not NULL and f is finite, writes df/dlogp (k values) into grad. A model
 * that can differentiate its likelihood supplies one; the optimiser then uses it for the
 * search and for the Hessian (central differences of the gradient). */
typedef double (*sk__clv_objective_grad)(const double *logp, double *grad, void *ctx);

/* sk__clv_minimise with an optional exact gradient fg (NULL: numerical, as
 * sk__clv_minimise). f and fg must compute the same function. */
segkit_status sk__clv_minimise_grad(size_t k, sk__clv_objective f, sk__clv_objective_grad fg,
                                    void *ctx, const double *start,
                                    const segkit_clv_fit_options *opt, double *best_logp,
                                    double *best_value, int *iterations, double *se_natural,
                                    segkit_error *err);

/* The discounted expected purchases of segkit_clv_value without the spend: sum over steps
 * of (E[X(k step)] - E[X((k-1) step)]) / (1 + discount)^k (value.c); CLV is this times
 * the expected spend, and it depends on the history only, which batch.c exploits. */
double sk__clv_discounted_purchases(const segkit_clv_model *purchases, double frequency,
                                    double recency, double T, double horizon, double step,
                                    double discount);

#endif
