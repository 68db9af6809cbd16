/* segkit/clv.h: customer lifetime value and purchase-behaviour models — the probability
 * models of Fader and Hardie that the Python library `lifetimes` made popular.
 *
 *   summaries     per-customer (frequency, recency, T[, monetary]) from a transaction log
 *                 with a calibration end and an optional holdout (segkit_clv_summarise)
 *   BG/NBD        non-contractual repeat buying with dropout after a purchase (Fader,
 *                 Hardie & Lee 2005)
 *   Pareto/NBD    non-contractual repeat buying with dropout in continuous time (Schmittlein,
 *                 Morrison & Colombo 1987; Fader & Hardie's notes)
 *   Gamma-Gamma   spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV"), and CLV
 *                 combining it with BG/NBD or Pareto/NBD
 *   sBG           shifted-beta-geometric for contractual, discrete-period retention (Fader
 *                 & Hardie 2007)
 *
 * Definitions follow `lifetimes`: frequency = repeat purchases, i.e. distinct purchase
 * periods (days) after the first; recency = the customer's age at the last repeat purchase
 * (0 without one); T = age at the end of calibration; ages in the chosen time unit from the
 * first purchase. Likelihoods are evaluated over the distinct (frequency, recency, T)
 * triples with their counts, so a fit costs what its distinct triples cost.
 *
 * Fitting: maximum likelihood on log-parameters with GSL's BFGS (gsl_multimin
 * vector_bfgs2), several starts, standard errors from the numerical Hessian of the
 * log-likelihood at the optimum (delta method back to the natural parameters).
 *
 * Ownership: models and summaries are the caller's (free with the matching _free);
 * pointers from getters borrow. Inputs are only read. Objects are read-only once returned. */
#ifndef SEGKIT_CLV_H
#define SEGKIT_CLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-customer summaries (src/clv/summary.c) ---------------------------------------- */

typedef struct segkit_clv_summary_options {
  const char *customer;        /* column: int64 or string (required) */
  const char *date;            /* column: date or timestamp (required; a timestamp counts by
                                  its UTC day) */
  const char *amount;          /* column: int64 or float64, or NULL (no monetary value) */
  int32_t calibration_end;     /* day (days since 1970-01-01): purchases after it are holdout */
  int32_t observation_end;     /* last day of the holdout; = calibration_end for none */
  double days_per_unit;        /* 1 (days, default) or 7 (weeks) */
} segkit_clv_summary_options;

SEGKIT_API void segkit_clv_summary_options_init(segkit_clv_summary_options *opt);

/* Per customer with a purchase on or before calibration_end (customers first seen in the
 * holdout are left out and counted): frequency, recency, T as above; monetary = the mean
 * amount of the repeat purchase days (a day's purchases summed first; 0 without repeats),
 * as lifetimes' summary_data_from_transaction_data; frequency_holdout = purchase days in
 * (calibration_end, observation_end]; duration_holdout = its length in units. Rows with a
 * null customer or date are skipped and counted. The table has columns customer (input
 * name and type), frequency (int64), recency, T, monetary, frequency_holdout,
 * duration_holdout (float64). */
SEGKIT_API segkit_status segkit_clv_summarise(const segkit_table *transactions,
                                              const segkit_clv_summary_options *opt,
                                              segkit_table **out, size_t *n_skipped_out,
                                              segkit_error *err);

/* ---- models (src/clv/{bgnbd,paretonbd,gammagamma,sbg}.c) -------------------------------- */

typedef enum segkit_clv_kind {
  SEGKIT_CLV_BGNBD = 0,
  SEGKIT_CLV_PARETONBD,
  SEGKIT_CLV_GAMMAGAMMA,
  SEGKIT_CLV_SBG
} segkit_clv_kind;

/* "bgnbd", "paretonbd", "gammagamma", "sbg"; and back (-1 if unknown). */
SEGKIT_API const char *segkit_clv_kind_name(segkit_clv_kind k);
SEGKIT_API int segkit_clv_kind_parse(const char *name);

typedef struct segkit_clv_fit_options {
  int starts;                  /* optimiser starts, best kept; default 5 */
  int max_iter;                /* per start; default 1000 */
  double penalizer;            /* lifetimes' L2 penalty on the parameters; default 0 */
  uint64_t seed;               /* for the starts after the first; default 0 */
} segkit_clv_fit_options;

SEGKIT_API void segkit_clv_fit_options_init(segkit_clv_fit_options *opt);

typedef struct segkit_clv_model segkit_clv_model;

/* BG/NBD or Pareto/NBD on n customers' (frequency, recency, T); weights (may be NULL)
 * count each row that many times (for pre-aggregated data). Errors: a negative frequency,
 * recency > T, recency > 0 with frequency 0, a non-finite value (SEGKIT_ERR_USAGE naming
 * the row); n == 0 (SEGKIT_ERR_LIMIT); no start converged (SEGKIT_ERR_INTERNAL with the
 * optimiser's reason). */
SEGKIT_API segkit_status segkit_clv_fit_purchases(segkit_clv_kind kind, const double *frequency,
                                                  const double *recency, const double *T,
                                                  const double *weights, size_t n,
                                                  const segkit_clv_fit_options *opt,
                                                  segkit_clv_model **out, segkit_error *err);
/* Gamma-Gamma on the customers with frequency > 0 and monetary > 0 (others ignored and
 * counted in segkit_clv_model_n). */
SEGKIT_API segkit_status segkit_clv_fit_spend(const double *frequency, const double *monetary,
                                              size_t n, const segkit_clv_fit_options *opt,
                                              segkit_clv_model **out, segkit_error *err);
/* sBG on survivor counts: alive[0] = customers at the start, alive[t] = still active after
 * t periods (non-increasing), t = 0..n_periods. */
SEGKIT_API segkit_status segkit_clv_fit_retention(const double *alive, size_t n_periods,
                                                  const segkit_clv_fit_options *opt,
                                                  segkit_clv_model **out, segkit_error *err);
/* sBG on customers observed for different lengths (several cohorts, a subscription
 * history): churned[t] customers churned at the end of period t (t = 1..n_periods; index 0
 * is ignored), censored[t] were still customers after t periods with their next renewal
 * not yet known (t = 0..n_periods; a customer in its first period is censored[0] and adds
 * nothing). A single cohort's survivor counts are churned[t] = alive[t-1] - alive[t] and
 * censored[n] = alive[n]. Errors: a negative or non-finite count (SEGKIT_ERR_USAGE naming
 * it); no customers, or none churned (SEGKIT_ERR_LIMIT: nothing to estimate churn from). */
SEGKIT_API segkit_status segkit_clv_fit_retention_counts(const double *churned,
                                                         const double *censored,
                                                         size_t n_periods,
                                                         const segkit_clv_fit_options *opt,
                                                         segkit_clv_model **out,
                                                         segkit_error *err);
SEGKIT_API void segkit_clv_model_free(segkit_clv_model *m);

SEGKIT_API segkit_clv_kind segkit_clv_model_kind(const segkit_clv_model *m);
/* Parameters in the papers' order and names: BG/NBD r, alpha, a, b; Pareto/NBD r, alpha,
 * s, beta; Gamma-Gamma p, q, gamma (lifetimes calls it v); sBG alpha, beta. */
SEGKIT_API size_t segkit_clv_model_n_params(const segkit_clv_model *m);
SEGKIT_API const char *segkit_clv_model_param_name(const segkit_clv_model *m, size_t i);
SEGKIT_API double segkit_clv_model_param(const segkit_clv_model *m, size_t i);
/* Standard error of parameter i (NaN when the Hessian is not invertible). */
SEGKIT_API double segkit_clv_model_std_error(const segkit_clv_model *m, size_t i);
SEGKIT_API double segkit_clv_model_log_likelihood(const segkit_clv_model *m);
/* Customers (weighted) the model was fitted on. */
SEGKIT_API double segkit_clv_model_n(const segkit_clv_model *m);
SEGKIT_API int segkit_clv_model_iterations(const segkit_clv_model *m);

/* ---- predictions (purchase models) ---------------------------------------------------------- */

/* Probability that a customer with this history is still alive at T. */
SEGKIT_API double segkit_clv_p_alive(const segkit_clv_model *m, double frequency,
                                     double recency, double T);
/* Expected purchases in the next t units for a customer with this history. */
SEGKIT_API double segkit_clv_expected_purchases(const segkit_clv_model *m, double t,
                                                double frequency, double recency, double T);
/* Expected purchases of a new customer in (0, t]: E[X(t)]. */
SEGKIT_API double segkit_clv_expected_purchases_new(const segkit_clv_model *m, double t);
/* Gamma-Gamma: expected mean spend per transaction of a customer. */
SEGKIT_API double segkit_clv_expected_spend(const segkit_clv_model *spend, double frequency,
                                            double monetary);
/* CLV over horizon units, discounted per unit at `discount` (lifetimes' customer_lifetime_
 * value: sum over steps of expected purchases in the step x expected spend / (1 +
 * discount)^step, with steps of `step` units). */
SEGKIT_API double segkit_clv_value(const segkit_clv_model *purchases,
                                   const segkit_clv_model *spend, double frequency,
                                   double recency, double T, double monetary, double horizon,
                                   double step, double discount);
/* sBG: probability of surviving t periods, and the expected lifetime in periods
 * (truncated at horizon periods; 0 = the infinite sum where it converges). */
SEGKIT_API double segkit_clv_survival(const segkit_clv_model *m, double t);
SEGKIT_API double segkit_clv_expected_lifetime(const segkit_clv_model *m, double horizon);

/* ---- predictions for many customers at once (src/clv/batch.c) ------------------------- */

typedef struct segkit_clv_predict_options {
  double horizon;    /* time units ahead for expected purchases and value (> 0; default 52) */
  double step;       /* value: discounting step in time units (default 4: four weeks) */
  double discount;   /* value: discount rate per step (default 0) */
  int n_threads;     /* 0 = one per CPU; results do not depend on it */
} segkit_clv_predict_options;

SEGKIT_API void segkit_clv_predict_options_init(segkit_clv_predict_options *opt);

/* For n customers: p_alive, expected purchases over the horizon and, with a Gamma-Gamma
 * spend model (may be NULL), expected spend per purchase and discounted value (as
 * segkit_clv_value). Each output array (n values, caller-allocated) may be NULL to skip it;
 * expected_spend and value need spend and monetary (NaN monetary counts as 0). A history
 * that is not valid (recency > T, negative values) gives NaN in its row. Errors
 * (SEGKIT_ERR_USAGE): not a purchase model, spend not a Gamma-Gamma model, an option out
 * of range. */
SEGKIT_API segkit_status segkit_clv_predict(const segkit_clv_model *purchases,
                                            const segkit_clv_model *spend,
                                            const double *frequency, const double *recency,
                                            const double *T, const double *monetary,
                                            size_t n, const segkit_clv_predict_options *opt,
                                            double *p_alive, double *expected_purchases,
                                            double *expected_spend, double *value,
                                            segkit_error *err);

/* ---- checks against a holdout period (src/clv/holdout.c) ------------------------------- */

/* One row of the calibration/holdout comparison of Fader, Hardie & Lee (2005, fig. 5):
 * the customers with this many calibration repeat purchases (the last row: this many or
 * more), their mean actual purchases in the holdout, and the model's mean conditional
 * expectation for the same customers over their holdout durations. */
typedef struct segkit_clv_holdout_row {
  int frequency;       /* calibration frequency; the last row holds this and above */
  double customers;    /* customers in the group */
  double actual;       /* mean purchases in the holdout (NaN for an empty group) */
  double expected;     /* mean expected purchases in the holdout (NaN for an empty group) */
} segkit_clv_holdout_row;

/* Fills rows[0..max_group] (max_group >= 0: groups 0, 1, ..., max_group-or-more) from n
 * customers' calibration (frequency, recency, T) and holdout (purchases, duration) with a
 * purchase model; *total_out (may be NULL) gets the sums over all customers: customers,
 * actual and expected purchases (not means). Errors (SEGKIT_ERR_USAGE): not a purchase
 * model, a negative or non-finite value naming the row, a duration <= 0. */
SEGKIT_API segkit_status segkit_clv_holdout_table(const segkit_clv_model *m,
                                                  const double *frequency,
                                                  const double *recency, const double *T,
                                                  const double *frequency_holdout,
                                                  const double *duration_holdout, size_t n,
                                                  int max_group, segkit_clv_holdout_row *rows,
                                                  segkit_clv_holdout_row *total_out,
                                                  segkit_error *err);

/* Serialise and back (parameters, standard errors, log-likelihood, n). */
SEGKIT_API segkit_status segkit_clv_model_to_json(const segkit_clv_model *m, char **json_out,
                                                  segkit_error *err);
SEGKIT_API segkit_status segkit_clv_model_from_json(const char *json, segkit_clv_model **out,
                                                    segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
