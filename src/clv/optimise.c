/* optimise.c: the maximum-likelihood minimiser every customer-value model shares.
 *
 * The models hand over a negative log-likelihood on log-parameters (so every parameter
 * stays positive without constraints) and this file minimises it with GSL's
 * vector_bfgs2 from several starts, keeping the lowest finite value. Key design choice:
 * a model may hand over its exact gradient (sk__clv_minimise_grad), which the search and
 * the Hessian then use (one evaluation per point instead of 2k + 1); without one,
 * gradients and the Hessian are numerical (central differences with steps scaled to the
 * parameter), so a model only has to write its likelihood. Values where the likelihood is
 * undefined (+INFINITY, NaN) are mapped to one large finite value before GSL sees them,
 * which makes the line search back off instead of interpolating through infinities.
 *
 * Starts: the caller's start, then opt->starts - 1 starts drawn uniformly within a factor
 * e of it (log-space offsets in [-1, 1]) from a splitmix64 stream seeded by opt->seed, so
 * a fit is deterministic for a seed. Starts after the first stop as soon as they come
 * within SAME_OPTIMUM (in log-parameters) of the best point so far without a lower value:
 * they are running into the optimum already found, and polishing it again would only
 * cost time (the first start is polished fully). The test assumes a start that comes
 * within 1% of the best point in every parameter is in its basin; a start heading for an
 * optimum elsewhere, or below the best value, runs to the end. When
 * BFGS stalls (GSL_ENOPROG) before the gradient test passes, the start is restarted from
 * its current point a few times, which resets the quasi-Newton matrix that
 * numerical-gradient noise tends to spoil.
 *
 * Standard errors: the Hessian of f in log space at the optimum (central differences of
 * the exact gradient when there is one, else of f), inverted through its
 * Cholesky factor (own code: k <= 4, and GSL's factorisation would call the GSL error
 * handler on a matrix that is not positive definite), then the delta method:
 * var(theta_i) = theta_i^2 [H^-1]_ii. f should therefore be the total (not mean)
 * negative log-likelihood for the errors to be the usual asymptotic ones.
 *
 * GSL errors: the minimiser only reports status codes from iterate; only its allocation
 * can reach the GSL error handler (on out-of-memory). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include "clv/clv_int.h"

enum {
  DEFAULT_STARTS = 5,
  DEFAULT_MAX_ITER = 1000,
  MAX_STALL_RESTARTS = 5
};

/* What GSL sees instead of +INFINITY or NaN: larger than any likelihood we evaluate, yet
 * small enough that the line search's cubic interpolation does not overflow. */
static const double UNDEFINED_VALUE = 1e30;
/* Relative central-difference steps: ~cbrt(eps) for gradients, ~eps^(1/4) for Hessians. */
static const double GRAD_STEP = 6e-6;
static const double HESS_STEP = 1e-4;
/* Gradient-norm tolerance, relative to max(1, |f|). */
static const double GRAD_TOL = 1e-7;
/* A later start this close (max-norm, log-parameters) to the best point, and not lower,
 * has found the same optimum: 1e-2 is 1 % in every parameter, well inside the basin. */
static const double SAME_OPTIMUM = 1e-2;
/* Step for the Hessian from differences of an exact gradient. */
static const double HESS_GRAD_STEP = 1e-5;

typedef struct objective_ctx {
  size_t k;
  sk__clv_objective f;
  sk__clv_objective_grad fg;  /* NULL: numerical gradient */
  void *ctx;
  double x[SK__CLV_MAX_PARAMS];  /* scratch point for differences */
  /* With an exact gradient: the last point evaluated, its value and gradient. GSL's line
   * search asks for f at a trial point and then for the gradient at the same point; the
   * exact gradient costs little more than f, so f computes both and the gradient request
   * is served from here. */
  bool cached;
  double cache_x[SK__CLV_MAX_PARAMS];
  double cache_f;
  double cache_g[SK__CLV_MAX_PARAMS];
} objective_ctx;

static double eval_raw(objective_ctx *oc, const double *x) {
  double v = oc->f(x, oc->ctx);
  return isfinite(v) ? v : INFINITY;
}

static double clamp_value(double v) {
  return isfinite(v) && v < UNDEFINED_VALUE ? v : UNDEFINED_VALUE;
}

static double step_for(double x, double rel) {
  return rel * fmax(1.0, fabs(x));
}

/* Central difference in coordinate i at x (value fx there); one-sided where a neighbour
 * is undefined, zero where both are. */
static double partial(objective_ctx *oc, const double *x, double fx, size_t i) {
  double h = step_for(x[i], GRAD_STEP);
  memcpy(oc->x, x, oc->k * sizeof *x);
  oc->x[i] = x[i] + h;
  double fp = eval_raw(oc, oc->x);
  oc->x[i] = x[i] - h;
  double fm = eval_raw(oc, oc->x);
  bool ok_p = isfinite(fp);
  bool ok_m = isfinite(fm);
  if (ok_p && ok_m) {
    return (fp - fm) / (2.0 * h);
  }
  if (!isfinite(fx)) {
    return 0.0;
  }
  if (ok_p) {
    return (fp - fx) / h;
  }
  if (ok_m) {
    return (fx - fm) / h;
  }
  return 0.0;
}

static void gradient_at(objective_ctx *oc, const double *x, double fx, double *g) {
  for (size_t i = 0; i < oc->k; i++) {
    g[i] = isfinite(fx) ? partial(oc, x, fx, i) : 0.0;
  }
}

static double value_and_gradient(objective_ctx *oc, const double *x, double *grad);

/* value_and_gradient through the one-point cache (exact gradients only). */
static double cached_value_and_gradient(objective_ctx *oc, const double *x, double *grad) {
  if (oc->cached && memcmp(x, oc->cache_x, oc->k * sizeof *x) == 0) {
    memcpy(grad, oc->cache_g, oc->k * sizeof *grad);
    return oc->cache_f;
  }
  double fx = value_and_gradient(oc, x, grad);
  memcpy(oc->cache_x, x, oc->k * sizeof *x);
  memcpy(oc->cache_g, grad, oc->k * sizeof *grad);
  oc->cache_f = fx;
  oc->cached = true;
  return fx;
}

static double gsl_f(const gsl_vector *v, void *params) {
  objective_ctx *oc = params;
  double x[SK__CLV_MAX_PARAMS];
  for (size_t i = 0; i < oc->k; i++) {
    x[i] = gsl_vector_get(v, i);
  }
  if (oc->fg != NULL) {
    double grad[SK__CLV_MAX_PARAMS];
    return clamp_value(cached_value_and_gradient(oc, x, grad));
  }
  return clamp_value(eval_raw(oc, x));
}

/* f and its gradient at x: the exact one when the model has it and it is finite there,
 * else central differences. */
static double value_and_gradient(objective_ctx *oc, const double *x, double *grad) {
  if (oc->fg == NULL) {
    double fx = eval_raw(oc, x);
    gradient_at(oc, x, fx, grad);
    return fx;
  }
  double fx = oc->fg(x, grad, oc->ctx);
  if (!isfinite(fx)) {
    for (size_t i = 0; i < oc->k; i++) {
      grad[i] = 0.0;
    }
    return INFINITY;
  }
  for (size_t i = 0; i < oc->k; i++) {
    if (!isfinite(grad[i])) {
      gradient_at(oc, x, fx, grad);
      break;
    }
  }
  return fx;
}

static void gsl_fdf(const gsl_vector *v, void *params, double *f, gsl_vector *g) {
  objective_ctx *oc = params;
  double x[SK__CLV_MAX_PARAMS];
  double grad[SK__CLV_MAX_PARAMS];
  for (size_t i = 0; i < oc->k; i++) {
    x[i] = gsl_vector_get(v, i);
  }
  double fx = oc->fg != NULL ? cached_value_and_gradient(oc, x, grad)
                             : value_and_gradient(oc, x, grad);
  for (size_t i = 0; i < oc->k; i++) {
    gsl_vector_set(g, i, grad[i]);
  }
  *f = clamp_value(fx);
}

static void gsl_df(const gsl_vector *v, void *params, gsl_vector *g) {
  double f;
  gsl_fdf(v, params, &f, g);
}

/* splitmix64 (Steele, Lea & Flood 2014): tiny, seedable, good enough for start offsets. */
static uint64_t splitmix64(uint64_t *state) {
  *state += UINT64_C(0x9E3779B97F4A7C15);
  uint64_t z = *state;
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static double uniform_pm1(uint64_t *state) {
  return (double)(splitmix64(state) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

typedef struct run_result {
  double x[SK__CLV_MAX_PARAMS];
  double value;
  int iterations;
  int gsl_status;  /* last status from iterate, for the error message */
} run_result;

static bool gradient_small(const gsl_vector *g, double f) {
  return gsl_multimin_test_gradient(g, GRAD_TOL * fmax(1.0, fabs(f))) == GSL_SUCCESS;
}

/* Whether the minimiser's point is the optimum `best` already found (NULL: none yet). */
static bool at_known_optimum(const gsl_multimin_fdfminimizer *s, const run_result *best) {
  if (best == NULL || !isfinite(best->value) || s->f < best->value) {
    return false;
  }
  const gsl_vector *x = gsl_multimin_fdfminimizer_x(s);
  for (size_t i = 0; i < x->size; i++) {
    if (!(fabs(gsl_vector_get(x, i) - best->x[i]) < SAME_OPTIMUM)) {
      return false;
    }
  }
  return true;
}

/* One BFGS run from x0; the caller owns the minimiser state s. A later start (best not
 * NULL) stops early on reaching the optimum best already holds. */
static void run_start(gsl_multimin_fdfminimizer *s, gsl_multimin_function_fdf *fdf,
                      gsl_vector *x0, int max_iter, const run_result *best,
                      run_result *out) {
  size_t k = fdf->n;
  out->iterations = 0;
  out->gsl_status = GSL_SUCCESS;
  gsl_multimin_fdfminimizer_set(s, fdf, x0, 0.1, 0.1);
  int stalls = 0;
  while (out->iterations < max_iter) {
    if (gradient_small(gsl_multimin_fdfminimizer_gradient(s), s->f) ||
        at_known_optimum(s, best)) {
      break;
    }
    double before = s->f;
    int status = gsl_multimin_fdfminimizer_iterate(s);
    out->iterations++;
    out->gsl_status = status;
    if (status == GSL_SUCCESS) {
      continue;
    }
    /* Stalled: restart from here (fresh quasi-Newton matrix), unless restarts stop
     * helping. */
    stalls = s->f < before ? 0 : stalls + 1;
    if (stalls >= MAX_STALL_RESTARTS) {
      break;
    }
    gsl_vector_memcpy(x0, gsl_multimin_fdfminimizer_x(s));
    gsl_multimin_fdfminimizer_set(s, fdf, x0, 0.01, 0.1);
  }
  const gsl_vector *xb = gsl_multimin_fdfminimizer_x(s);
  for (size_t i = 0; i < k; i++) {
    out->x[i] = gsl_vector_get(xb, i);
  }
  out->value = s->f;
}

/* Hessian of f in log space by central differences at x (value fx). false when a needed
 * value is undefined. */
static bool hessian_at(objective_ctx *oc, const double *x, double fx,
                       double h_out[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS]) {
  size_t k = oc->k;
  double h[SK__CLV_MAX_PARAMS];
  for (size_t i = 0; i < k; i++) {
    h[i] = step_for(x[i], HESS_STEP);
  }
  for (size_t i = 0; i < k; i++) {
    for (size_t j = i; j < k; j++) {
      double v;
      memcpy(oc->x, x, k * sizeof *x);
      if (i == j) {
        oc->x[i] = x[i] + h[i];
        double fp = eval_raw(oc, oc->x);
        oc->x[i] = x[i] - h[i];
        double fm = eval_raw(oc, oc->x);
        v = (fp - 2.0 * fx + fm) / (h[i] * h[i]);
      } else {
        double s[4];
        const double si[4] = {1, 1, -1, -1};
        const double sj[4] = {1, -1, 1, -1};
        for (int c = 0; c < 4; c++) {
          memcpy(oc->x, x, k * sizeof *x);
          oc->x[i] = x[i] + si[c] * h[i];
          oc->x[j] = x[j] + sj[c] * h[j];
          s[c] = eval_raw(oc, oc->x);
        }
        v = (s[0] - s[1] - s[2] + s[3]) / (4.0 * h[i] * h[j]);
      }
      if (!isfinite(v)) {
        return false;
      }
      h_out[i][j] = v;
      h_out[j][i] = v;
    }
  }
  return true;
}

/* Diagonal of A^-1 for a symmetric k x k A through A = L L'; false if A is not positive
 * definite. [A^-1]_ii = sum_m (L^-1)_mi^2. */
static bool inverse_diagonal(size_t k, double a[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS],
                             double *diag) {
  double l[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS] = {{0}};
  for (size_t j = 0; j < k; j++) {
    double d = a[j][j];
    for (size_t m = 0; m < j; m++) {
      d -= l[j][m] * l[j][m];
    }
    if (!(d > 0.0)) {
      return false;
    }
    l[j][j] = sqrt(d);
    for (size_t i = j + 1; i < k; i++) {
      double v = a[i][j];
      for (size_t m = 0; m < j; m++) {
        v -= l[i][m] * l[j][m];
      }
      l[i][j] = v / l[j][j];
    }
  }
  /* Columns of L^-1 by forward substitution on unit vectors. */
  double linv[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS] = {{0}};
  for (size_t c = 0; c < k; c++) {
    for (size_t i = c; i < k; i++) {
      double v = i == c ? 1.0 : 0.0;
      for (size_t m = c; m < i; m++) {
        v -= l[i][m] * linv[m][c];
      }
      linv[i][c] = v / l[i][i];
    }
  }
  for (size_t i = 0; i < k; i++) {
    double s = 0.0;
    for (size_t m = i; m < k; m++) {
      s += linv[m][i] * linv[m][i];
    }
    diag[i] = s;
  }
  return true;
}

/* Hessian from central differences of the exact gradient (2k gradients), symmetrised.
 * false when a gradient is undefined. */
static bool hessian_from_gradient(objective_ctx *oc, const double *x,
                                  double h_out[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS]) {
  size_t k = oc->k;
  double col[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS];
  for (size_t j = 0; j < k; j++) {
    double h = step_for(x[j], HESS_GRAD_STEP);
    double gp[SK__CLV_MAX_PARAMS];
    double gm[SK__CLV_MAX_PARAMS];
    memcpy(oc->x, x, k * sizeof *x);
    oc->x[j] = x[j] + h;
    double fp = value_and_gradient(oc, oc->x, gp);
    oc->x[j] = x[j] - h;
    double fm = value_and_gradient(oc, oc->x, gm);
    if (!isfinite(fp) || !isfinite(fm)) {
      return false;
    }
    for (size_t i = 0; i < k; i++) {
      col[i][j] = (gp[i] - gm[i]) / (2.0 * h);
    }
  }
  for (size_t i = 0; i < k; i++) {
    for (size_t j = 0; j < k; j++) {
      h_out[i][j] = 0.5 * (col[i][j] + col[j][i]);
      if (!isfinite(h_out[i][j])) {
        return false;
      }
    }
  }
  return true;
}

static void standard_errors(objective_ctx *oc, const double *x, double fx, double *se) {
  double h[SK__CLV_MAX_PARAMS][SK__CLV_MAX_PARAMS];
  double diag[SK__CLV_MAX_PARAMS];
  bool have_h = oc->fg != NULL ? hessian_from_gradient(oc, x, h) : hessian_at(oc, x, fx, h);
  bool ok = isfinite(fx) && have_h && inverse_diagonal(oc->k, h, diag);
  for (size_t i = 0; i < oc->k; i++) {
    se[i] = ok ? exp(x[i]) * sqrt(diag[i]) : NAN;
  }
}

segkit_status sk__clv_minimise(size_t k, sk__clv_objective f, void *ctx, const double *start,
                               const segkit_clv_fit_options *opt, double *best_logp,
                               double *best_value, int *iterations, double *se_natural,
                               segkit_error *err) {
  return sk__clv_minimise_grad(k, f, NULL, ctx, start, opt, best_logp, best_value, iterations,
                               se_natural, err);
}

segkit_status sk__clv_minimise_grad(size_t k, sk__clv_objective f, sk__clv_objective_grad fg,
                                    void *ctx, const double *start,
                                    const segkit_clv_fit_options *opt, double *best_logp,
                                    double *best_value, int *iterations, double *se_natural,
                                    segkit_error *err) {
  if (k == 0 || k > SK__CLV_MAX_PARAMS || f == NULL || start == NULL) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "minimiser called with %zu parameters",
                            k);
  }
  int starts = opt != NULL && opt->starts > 0 ? opt->starts : DEFAULT_STARTS;
  int max_iter = opt != NULL && opt->max_iter > 0 ? opt->max_iter : DEFAULT_MAX_ITER;
  uint64_t rng = opt != NULL ? opt->seed : 0;

  objective_ctx oc = {.k = k, .f = f, .fg = fg, .ctx = ctx};
  gsl_multimin_function_fdf fdf = {
      .f = gsl_f, .df = gsl_df, .fdf = gsl_fdf, .n = k, .params = &oc};
  gsl_multimin_fdfminimizer *s =
      gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, k);
  gsl_vector *x0 = gsl_vector_alloc(k);
  if (s == NULL || x0 == NULL) {
    gsl_multimin_fdfminimizer_free(s);
    gsl_vector_free(x0);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the minimiser");
  }

  run_result best = {.value = INFINITY};
  int last_status = GSL_SUCCESS;
  for (int st = 0; st < starts; st++) {
    for (size_t i = 0; i < k; i++) {
      double offset = st == 0 ? 0.0 : uniform_pm1(&rng);
      gsl_vector_set(x0, i, start[i] + offset);
    }
    run_result r;
    run_start(s, &fdf, x0, max_iter, st == 0 ? NULL : &best, &r);
    last_status = r.gsl_status;
    /* Re-evaluate: the clamped value GSL holds cannot tell "huge" from "undefined". */
    double v = eval_raw(&oc, r.x);
    if (isfinite(v) && v < best.value) {
      best = r;
      best.value = v;
    }
  }
  gsl_multimin_fdfminimizer_free(s);
  gsl_vector_free(x0);

  if (!isfinite(best.value)) {
    return segkit_error_set(err, SEGKIT_ERR_INTERNAL,
                            "no optimiser start reached a finite likelihood (%d starts; last "
                            "GSL status: %s)",
                            starts, gsl_strerror(last_status));
  }
  memcpy(best_logp, best.x, k * sizeof *best_logp);
  *best_value = best.value;
  if (iterations != NULL) {
    *iterations = best.iterations;
  }
  if (se_natural != NULL) {
    standard_errors(&oc, best.x, best.value, se_natural);
  }
  return SEGKIT_OK;
}
