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

#endif
