/* gammagamma.c: the Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005,
 * "RFM and CLV: Using iso-value curves for customer base analysis", J. Marketing Research
 * 42; Fader & Hardie, "The Gamma-Gamma Model of Monetary Value", 2013 note): fitting on
 * (frequency x, mean repeat spend mbar) and the conditional expected spend.
 *
 * A customer's transaction values are Gamma(p, nu); nu ~ Gamma(q, gamma) across customers.
 * The likelihood of a customer's mean of x transactions (note, eq. 1a) is
 *   L = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * gamma^q mbar^(p x - 1) x^(p x)
 *       / (gamma + x mbar)^(p x + q)
 * and the conditional expectation of the customer's mean spend (note, eq. 5) is
 *   E[M | x, mbar] = (q - 1)/(p x + q - 1) * gamma p/(q - 1) + p x/(p x + q - 1) * mbar
 *                  = p (gamma + x mbar) / (p x + q - 1),
 * a weighted average of the population mean gamma p / (q - 1) and the customer's mbar.
 *
 * Key design choice: as lifetimes, only customers with a repeat purchase and positive spend
 * enter the likelihood; parameters are fitted on their logs with the shared optimiser on
 * the total negative log-likelihood (so the numerical Hessian gives standard errors), and
 * lifetimes' L2 penalty, defined on the mean, is added as n * penalizer * sum(param^2),
 * which has the same minimiser. */
/* lgamma_r (glibc, BSD): lgamma writes the global signgam, a data race when fits run
 * on several threads at once. */
#define _DEFAULT_SOURCE 1
#include <math.h>
#include <stdlib.h>

#include "clv/clv_int.h"

static double log_gamma(double x) {
  int sign = 0;
  return lgamma_r(x, &sign);
}

typedef struct gg_data {
  const double *x;    /* frequency of the customers used */
  const double *m;    /* their mean repeat spend */
  size_t n;
  double penalty_scale; /* n * penalizer */
} gg_data;

/* Log-likelihood (note eq. 1a) summed over the customers; -INFINITY where undefined. */
static double gg_log_likelihood(const gg_data *d, double p, double q, double gamma) {
  double common = -log_gamma(q) + q * log(gamma);
  double ll = 0.0;
  for (size_t i = 0; i < d->n; i++) {
    double x = d->x[i];
    double m = d->m[i];
    double px = p * x;
    ll += log_gamma(px + q) - log_gamma(px) + common + (px - 1.0) * log(m) + px * log(x) -
          (px + q) * log(gamma + x * m);
  }
  return isfinite(ll) ? ll : -INFINITY;
}

static double gg_objective(const double *logp, void *ctx) {
  const gg_data *d = ctx;
  double p = exp(logp[0]);
  double q = exp(logp[1]);
  double gamma = exp(logp[2]);
  if (!(p > 0) || !(q > 0) || !(gamma > 0) || !isfinite(p) || !isfinite(q) || !isfinite(gamma))
    return INFINITY;
  double penalty = d->penalty_scale * (p * p + q * q + gamma * gamma);
  return -gg_log_likelihood(d, p, q, gamma) + penalty;
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

/* Every row finite, frequency >= 0; rows usable (x > 0, m > 0) counted in *n_used. */
static segkit_status check_rows(const double *frequency, const double *monetary, size_t n,
                                size_t *n_used, segkit_error *err) {
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(frequency[i]) || frequency[i] < 0)
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, (int64_t)i + 1, 0, "frequency",
                                 "row %zu: frequency %g is not a finite number >= 0", i,
                                 frequency[i]);
    if (!isfinite(monetary[i]))
      return segkit_error_set_at(err, SEGKIT_ERR_USAGE, NULL, (int64_t)i + 1, 0, "monetary",
                                 "row %zu: monetary value %g is not finite", i, monetary[i]);
    if (frequency[i] > 0 && monetary[i] > 0)
      used++;
  }
  *n_used = used;
  return SEGKIT_OK;
}

/* Mean of the usable customers' spend, for the starting point. */
static double mean_spend(const gg_data *d) {
  double sum = 0.0;
  for (size_t i = 0; i < d->n; i++)
    sum += d->m[i];
  return sum / (double)d->n;
}

segkit_status segkit_clv_fit_spend(const double *frequency, const double *monetary, size_t n,
                                   const segkit_clv_fit_options *opt, segkit_clv_model **out,
                                   segkit_error *err) {
  if (!out || (n > 0 && (!frequency || !monetary)))
    return segkit_error_set(err, SEGKIT_ERR_USAGE,
                            "frequency, monetary and out must not be NULL");
  segkit_clv_fit_options defaults;
  segkit_clv_fit_options_init(&defaults);
  if (!opt)
    opt = &defaults;
  segkit_status s = check_options(opt, err);
  if (s != SEGKIT_OK)
    return s;
  size_t n_used = 0;
  s = check_rows(frequency, monetary, n, &n_used, err);
  if (s != SEGKIT_OK)
    return s;
  if (n_used == 0)
    return segkit_error_set(err, SEGKIT_ERR_LIMIT,
                            "no customer with frequency > 0 and monetary > 0 to fit on");

  double *x = malloc(n_used * sizeof *x);
  double *m = malloc(n_used * sizeof *m);
  if (!x || !m) {
    free(x);
    free(m);
    return segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for %zu customers", n_used);
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (frequency[i] > 0 && monetary[i] > 0) {
      x[k] = frequency[i];
      m[k] = monetary[i];
      k++;
    }
  }
  gg_data d = {.x = x, .m = m, .n = n_used, .penalty_scale = (double)n_used * opt->penalizer};
  /* p = q = 1 and gamma near the mean spend: the right scale for gamma, whatever the currency */
  const double start[3] = {0.0, 0.0, log(mean_spend(&d))};
  double logp[3];
  double value = 0;
  int iterations = 0;
  double se[3];
  s = sk__clv_minimise(3, gg_objective, &d, start, opt, logp, &value, &iterations, se, err);
  segkit_clv_model *model = NULL;
  if (s == SEGKIT_OK) {
    model = sk__clv_model_new(SEGKIT_CLV_GAMMAGAMMA);
    if (!model)
      s = segkit_error_set(err, SEGKIT_ERR_NOMEM, "no memory for the model");
  }
  if (s == SEGKIT_OK) {
    for (size_t i = 0; i < 3; i++) {
      model->params[i] = exp(logp[i]);
      model->se[i] = se[i];
    }
    model->log_likelihood = gg_log_likelihood(&d, model->params[0], model->params[1],
                                              model->params[2]);
    model->n = (double)n_used;
    model->iterations = iterations;
    *out = model;
  }
  free(x);
  free(m);
  return s;
}

double segkit_clv_expected_spend(const segkit_clv_model *spend, double frequency,
                                 double monetary) {
  if (!spend || spend->kind != SEGKIT_CLV_GAMMAGAMMA)
    return NAN;
  if (!isfinite(frequency) || frequency < 0 || !isfinite(monetary) || monetary < 0)
    return NAN;
  double p = spend->params[0];
  double q = spend->params[1];
  double gamma = spend->params[2];
  /* the population mean gamma p / (q - 1) exists only for q > 1 */
  if (!(q > 1.0))
    return NAN;
  return p * (gamma + frequency * monetary) / (p * frequency + q - 1.0);
}
