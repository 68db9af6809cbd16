/* sbg.c: the shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie
 * 2007, "How to project customer retention", J. Interactive Marketing 21(1)): fitting on
 * survivor counts, survival S(t) and expected lifetime.
 *
 * Each customer churns at the end of a period with probability theta, constant for that
 * customer, theta ~ Beta(alpha, beta) across customers. With T the period in which a
 * customer churns (T = 1, 2, ...):
 *   P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)          (paper, eq. 5)
 *   S(t)     = P(T > t) = B(alpha, beta + t) / B(alpha, beta)       (paper, eq. 6)
 * and the log-likelihood of survivor counts n_0 >= n_1 >= ... >= n_k is
 *   LL = sum_{t=1..k} (n_{t-1} - n_t) ln P(T = t) + n_k ln S(k)        (paper, eq. 7).
 *
 * Key design choice: the fit maximises the likelihood over log(alpha), log(beta) with the
 * shared optimiser (sk__clv_minimise) on the total negative log-likelihood, so its
 * numerical Hessian gives standard errors directly; lifetimes' L2 penalty (defined on the
 * mean log-likelihood) is added as n_0 * penalizer * (alpha^2 + beta^2), which has the same
 * minimiser. Expected lifetime uses the telescoping identity
 *   sum_{t=0..H-1} S(t) = [(alpha + beta - 1) - S(H) (alpha + beta + H - 1)] / (alpha - 1)
 * (check: with f(t) = S(t)(alpha+beta+t-1)/(alpha-1), f(t) - f(t+1) = S(t) because
 * S(t+1)/S(t) = (beta+t)/(alpha+beta+t)), so long horizons cost O(1); short ones are summed
 * term by term, which is exact near alpha = 1 where the identity cancels. */
/* lgamma_r (glibc, BSD): lgamma writes the global signgam, a data race when fits run
 * on several threads at once. */
#define _DEFAULT_SOURCE 1
#include <math.h>
#include <stdlib.h>

#include "clv/clv_int.h"

/* Horizons up to this many periods are summed directly; longer ones use the identity. */
#define SBG_DIRECT_SUM_MAX 1000000.0

static double log_gamma(double x) {
  int sign = 0;
  return lgamma_r(x, &sign);
}

static double log_beta(double a, double b) {
  return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
}

/* ==== fitting ============================================================================== */

/* Customers who churned at the end of period t (churned[t], t = 1..n_periods; churned[0]
 * unused) and customers seen alive after t periods whose next renewal is not known yet
 * (censored[t], t = 0..n_periods). */
typedef struct sbg_data {
  const double *churned;
  const double *censored;
  size_t n_periods;
  double penalty_scale; /* customers * penalizer */
} sbg_data;

/* ln of (beta + i) / (alpha + beta + i), the chance of renewing after period i + 1, as
 * log1p of minus the churn chance: exact even when alpha and beta are huge (a cohort with
 * one churn rate for everyone drives both towards infinity), where differences of lgamma
 * values would cancel to nothing. */
static double log_renew(double alpha, double beta, double i) {
  return log1p(-alpha / (alpha + beta + i));
}

/* Log-likelihood (paper eq. 7, generalised to customers censored at different periods as
 * in Fader & Hardie's multi-cohort note) at natural parameters; -INFINITY where undefined.
 * Built by the paper's recursion rather than Beta functions: ln S(0) = 0,
 * ln P(T = t) = ln S(t - 1) + ln(alpha / (alpha + beta + t - 1)),
 * ln S(t) = ln S(t - 1) + ln((beta + t - 1) / (alpha + beta + t - 1)). */
static double sbg_log_likelihood(const sbg_data *d, double alpha, double beta) {
  double log_s = 0.0; /* ln S(t) */
  double ll = 0.0; /* censored[0] adds ln S(0) = 0 */
  for (size_t t = 1; t <= d->n_periods; t++) {
    double i = (double)t - 1.0;
    if (d->churned[t] > 0)
      ll += d->churned[t] * (log_s + log(alpha / (alpha + beta + i)));
    log_s += log_renew(alpha, beta, i);
    if (d->censored[t] > 0)
      ll += d->censored[t] * log_s;
  }
  return isfinite(ll) ? ll : -INFINITY;
}

static double sbg_objective(const double *logp, void *ctx) {
  const sbg_data *d = ctx;
  double alpha = exp(logp[0]);
  double beta = exp(logp[1]);
  if (!(alpha > 0) || !(beta > 0) || !isfinite(alpha) || !isfinite(beta))
    return INFINITY;
  double penalty = d->penalty_scale * (alpha * alpha + beta * beta);
  return -sbg_log_likelihood(d, alpha, beta) + penalty;
}

static segkit_status check_options(const segkit_clv_fit_options *opt, segkit_error *err) {
  if (opt->starts < 1)
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "starts",
                               "starts must be at least 1 (got %d)", opt->starts);
  if (opt->max_iter < 1)
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "max_iter",
                               "max_iter must be at least 1 (got %d)", opt->max_iter);
  if (!isfinite(opt->penalizer) || opt->penalizer < 0)
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "penalizer",
                               "penalizer must be a finite number >= 0 (got %g)",
                               opt->penalizer);
  return SEGKIT_OK;
}

static segkit_status check_survivors(const double *alive, size_t n_periods, segkit_error *err) {
  if (!alive)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "alive must not be NULL");
  if (n_periods == 0)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "no periods to fit on (expected n_periods >= 1)");
  for (size_t t = 0; t <= n_periods; t++) {
    if (!isfinite(alive[t]) || alive[t] < 0)
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "alive",
                                 "alive[%zu] = %g is not a finite count >= 0", t, alive[t]);
    if (t > 0 && alive[t] > alive[t - 1])
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "alive",
                                 "alive[%zu] = %g exceeds alive[%zu] = %g (survivor counts "
                                 "must not increase)",
                                 t, alive[t], t - 1, alive[t - 1]);
  }
  if (!(alive[0] > 0))
    return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "alive",
                               "alive[0] must be > 0 (customers at the start)");
  return SEGKIT_OK;
}

/* The fit on churn and censoring counts already checked; n = customers. */
static segkit_status fit_counts(const sbg_data *d, double n, const segkit_clv_fit_options *opt,
                                segkit_clv_model **out, segkit_error *err) {
  const double start[2] = {0.0, 0.0}; /* alpha = beta = 1: theta uniform */
  double logp[2];
  double value = 0;
  int iterations = 0;
  double se[2];
  segkit_status s = sk__clv_minimise(2, sbg_objective, (void *)d, start, opt, logp, &value,
                                     &iterations, se, err);
  if (s != SEGKIT_OK)
    return s;
  segkit_clv_model *m = sk__clv_model_new(SEGKIT_CLV_SBG);
  if (!m)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the model");
  m->params[0] = exp(logp[0]);
  m->params[1] = exp(logp[1]);
  m->se[0] = se[0];
  m->se[1] = se[1];
  m->log_likelihood = sbg_log_likelihood(d, m->params[0], m->params[1]);
  m->n = n;
  m->iterations = iterations;
  *out = m;
  return SEGKIT_OK;
}

segkit_status segkit_clv_fit_retention(const double *alive, size_t n_periods,
                                       const segkit_clv_fit_options *opt,
                                       segkit_clv_model **out, segkit_error *err) {
  if (!out)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "out must not be NULL");
  segkit_clv_fit_options defaults;
  segkit_clv_fit_options_init(&defaults);
  if (!opt)
    opt = &defaults;
  segkit_status s = check_options(opt, err);
  if (s != SEGKIT_OK)
    return s;
  s = check_survivors(alive, n_periods, err);
  if (s != SEGKIT_OK)
    return s;
  /* a single cohort: alive[t-1] - alive[t] churned at the end of period t, and the
   * alive[n] survivors are censored after n periods */
  double *churned = calloc(2 * (n_periods + 1), sizeof *churned);
  if (!churned)
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the survivor counts");
  double *censored = churned + n_periods + 1;
  for (size_t t = 1; t <= n_periods; t++)
    churned[t] = alive[t - 1] - alive[t];
  censored[n_periods] = alive[n_periods];
  sbg_data d = {.churned = churned, .censored = censored, .n_periods = n_periods,
                .penalty_scale = alive[0] * opt->penalizer};
  s = fit_counts(&d, alive[0], opt, out, err);
  free(churned);
  return s;
}

segkit_status segkit_clv_fit_retention_counts(const double *churned, const double *censored,
                                              size_t n_periods,
                                              const segkit_clv_fit_options *opt,
                                              segkit_clv_model **out, segkit_error *err) {
  if (!out || !churned || !censored)
    return segkit_error_set(err, SEGKIT_ERR_USAGE, "churned, censored and out must not be NULL");
  segkit_clv_fit_options defaults;
  segkit_clv_fit_options_init(&defaults);
  if (!opt)
    opt = &defaults;
  segkit_status s = check_options(opt, err);
  if (s != SEGKIT_OK)
    return s;
  double n = 0;
  double n_churned = 0;
  for (size_t t = 0; t <= n_periods; t++) {
    if (!isfinite(censored[t]) || censored[t] < 0)
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "censored",
                                 "censored[%zu] = %g is not a finite count >= 0", t,
                                 censored[t]);
    double c = t > 0 ? churned[t] : 0.0;
    if (!isfinite(c) || c < 0)
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, 0, 0, "churned",
                                 "churned[%zu] = %g is not a finite count >= 0", t, c);
    n += censored[t] + c;
    n_churned += c;
  }
  if (!(n > 0))
    return segkit_error_set(err, SEGKIT_ERR_LIMIT, "no customers to fit on");
  if (!(n_churned > 0))
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "no customer churned: the churn rate cannot be estimated (the "
                            "likelihood keeps rising as alpha falls to 0)");
  sbg_data d = {.churned = churned, .censored = censored, .n_periods = n_periods,
                .penalty_scale = n * opt->penalizer};
  return fit_counts(&d, n, opt, out, err);
}

/* ==== predictions ========================================================================== */

/* Whole periods up to this many are taken by the product, longer or fractional ones from
 * Beta functions. */
#define SBG_PRODUCT_MAX 1000000.0

double segkit_clv_survival(const segkit_clv_model *m, double t) {
  if (!m || m->kind != SEGKIT_CLV_SBG || !(t >= 0) || isinf(t))
    return NAN;
  double alpha = m->params[0];
  double beta = m->params[1];
  if (t == floor(t) && t <= SBG_PRODUCT_MAX) {
    double log_s = 0.0;
    for (double i = 0; i < t; i += 1.0)
      log_s += log_renew(alpha, beta, i);
    return exp(log_s);
  }
  return exp(log_beta(alpha, beta + t) - log_beta(alpha, beta));
}

/* psi(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 6, then the
 * asymptotic series (Abramowitz & Stegun 6.3.18), accurate to ~1e-15 there. */
static double digamma(double x) {
  double shift = 0.0;
  while (x < 6.0) {
    shift -= 1.0 / x;
    x += 1.0;
  }
  double inv2 = 1.0 / (x * x);
  double series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 / 240)));
  return shift + log(x) - 0.5 / x - series;
}

/* sum_{t=0..n-1} S(t), term by term with S(t+1) = S(t) (beta + t) / (alpha + beta + t). */
static double direct_sum(double alpha, double beta, double n) {
  double s = 1.0;
  double sum = 0.0;
  for (double t = 0; t < n; t += 1.0) {
    sum += s;
    s *= (beta + t) / (alpha + beta + t);
  }
  return sum;
}

/* Expected periods a new customer stays, counting the first: E[min(T, H)] = sum_{t<H} S(t)
 * for a horizon of H whole periods; E[T] itself for horizon 0 (or infinity). */
double segkit_clv_expected_lifetime(const segkit_clv_model *m, double horizon) {
  if (!m || m->kind != SEGKIT_CLV_SBG || !(horizon >= 0))
    return NAN;
  double alpha = m->params[0];
  double beta = m->params[1];
  if (horizon == 0 || isinf(horizon)) {
    /* E[T] = E[1 / theta] = (alpha + beta - 1) / (alpha - 1), finite only for alpha > 1 */
    return alpha > 1.0 ? (alpha + beta - 1.0) / (alpha - 1.0) : INFINITY;
  }
  double n = floor(horizon); /* whole periods: the model is discrete */
  if (n <= SBG_DIRECT_SUM_MAX)
    return direct_sum(alpha, beta, n);
  if (fabs(alpha - 1.0) < 1e-6) {
    /* alpha = 1: S(t) = beta / (beta + t), so the sum is beta (psi(beta + n) - psi(beta)) */
    return beta * (digamma(beta + n) - digamma(beta));
  }
  double s_n = exp(log_beta(alpha, beta + n) - log_beta(alpha, beta));
  return ((alpha + beta - 1.0) - s_n * (alpha + beta + n - 1.0)) / (alpha - 1.0);
}
