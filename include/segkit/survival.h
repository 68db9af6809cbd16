/* segkit/survival.h: time-to-event analysis of customers (how long until they churn).
 *
 * Kaplan-Meier survival curves per group with Greenwood standard errors, log-scale 95%
 * (or any level) confidence bands and the median lifetime; the log-rank test between
 * groups; the Wilson score interval for a proportion (churn rates). Numbers match R's
 * `survival` package (survfit, summary.survfit, print.survfit, survdiff): the formulas and
 * their sources are in docs/metrics.md, section "Survival".
 *
 * Input is a segkit_surv_input: plain arrays the caller owns (durations, 0/1 event flags,
 * optional group codes). segkit_surv_data_from_table() builds one from a table and owns
 * the arrays it makes; the view it hands out borrows from it.
 *
 * Ownership: the caller frees what _fit/_from_table return with the matching _free
 * (_free(NULL) is a no-op). Curve pointers borrow from the segkit_km and die with it.
 * Threads: the functions keep no global state; results are read-only once returned, so
 * any number of threads may read them; GSL's error handler is never invoked. */
#ifndef SEGKIT_SURVIVAL_H
#define SEGKIT_SURVIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- input ------------------------------------------------------------------------ */

/* n subjects. Exactly one of time_f64 / time_i64 is non-NULL; durations must be finite
 * and >= 0 (SEGKIT_ERR_USAGE naming the array index otherwise). event[i] is 1 when subject i's
 * event (churn, death) was observed at time[i], 0 when it was censored then (any non-zero
 * byte counts as 1). group may be NULL (one group); otherwise group[i] < n_groups.
 * Equal durations are ties only when exactly equal (R merges doubles closer than
 * ~1.5e-8 relative; round durations first if that matters). */
typedef struct segkit_surv_input {
  size_t n;
  const double *time_f64;
  const int64_t *time_i64;
  const uint8_t *event;
  const uint32_t *group;
  uint32_t n_groups;
} segkit_surv_input;

/* Columns to take from a table. time: INT64 or FLOAT64. event: BOOL (true = event), INT64
 * (event when the value equals event_value; e.g. R's lung status uses 2 = dead), or STRING
 * when event_string is set (event when the value equals it, e.g. Churn = "Yes").
 * by: n_by group columns of any type (n_by = 0: one group "all"); a group is a combination
 * of their values, numbered in ascending order of the values (segkit_grouping, table.h;
 * strings byte-wise, as R's factor() in the C locale), at most 64 columns. */
typedef struct segkit_surv_columns {
  const char *time;
  const char *event;
  int64_t event_value;
  const char *const *by;
  size_t n_by;
  const char *event_string; /* NULL unless the event column is a STRING column */
} segkit_surv_columns;

typedef struct segkit_surv_data segkit_surv_data;

/* Build the input from a table. Rows with a null time or event are skipped and counted
 * (segkit_surv_data_skipped_null), as are rows with a null in a by column
 * (..._skipped_null_group);
 * R's survfit drops such rows the same way. Errors: SEGKIT_ERR_NOT_FOUND (no such
 * column), SEGKIT_ERR_TYPE (a column of the wrong type; the message says which types are
 * accepted), SEGKIT_ERR_USAGE (a negative or non-finite duration: 1-based table row and value
 * named in the message),
 * SEGKIT_ERR_NOMEM. err->field names the column involved. */
SEGKIT_API segkit_status segkit_surv_data_from_table(const segkit_table *t,
                                                     const segkit_surv_columns *cols,
                                                     segkit_surv_data **out, segkit_error *err);
SEGKIT_API void segkit_surv_data_free(segkit_surv_data *d);
/* A view of the arrays, borrowed from d. */
SEGKIT_API segkit_surv_input segkit_surv_data_input(const segkit_surv_data *d);
SEGKIT_API size_t segkit_surv_data_skipped_null(const segkit_surv_data *d);
SEGKIT_API size_t segkit_surv_data_skipped_null_group(const segkit_surv_data *d);
/* Label of group g: its values joined by " / " ("1", "Month-to-month / Yes"; "all" without
 * by columns); NULL if g is out of range. Borrowed from d. */
SEGKIT_API const char *segkit_surv_data_group_label(const segkit_surv_data *d, uint32_t g);
/* The by columns' count, and group g's value of column k (text as segkit_grouping_value
 * gives it); NULL when out of range. Borrowed from d. */
SEGKIT_API size_t segkit_surv_data_n_by(const segkit_surv_data *d);
SEGKIT_API const char *segkit_surv_data_group_value(const segkit_surv_data *d, uint32_t g,
                                                    size_t k);

/* ---- Kaplan-Meier ----------------------------------------------------------------- */

/* One group's curve: one point per distinct time at which an event or a censoring
 * happens (what R's summary(survfit(...), censored = TRUE) lists), times ascending.
 * Arrays have n_points entries. */
typedef struct segkit_km_curve {
  size_t n_subjects;
  size_t n_events;
  size_t n_points;
  const double *time;
  const size_t *n_risk;     /* subjects with time >= this time */
  const size_t *n_event;    /* events at this time */
  const size_t *n_censor;   /* censorings at this time */
  const double *surv;       /* S(t), product-limit estimate */
  const double *std_err;    /* Greenwood standard error of S(t) (summary.survfit's
                               std.err); NaN once S(t) = 0 */
  const double *se_log;     /* standard error of -log S(t) (survfit()$std.err); +inf
                               once S(t) = 0 */
  const double *lower;      /* confidence band, conf.type = "log": S exp(-+z se_log), */
  const double *upper;      /* upper capped at 1; NaN once S(t) = 0 */
  double median;            /* print.survfit's median; NaN when S never reaches 0.5 */
} segkit_km_curve;

typedef struct segkit_km segkit_km;

/* Fit a curve per group. conf_level in (0, 1), 0 = the default 0.95. Groups with no
 * subjects get an empty curve (n_points 0, median NaN). Durations are sorted once, by
 * an LSD radix sort of (group, time) that skips byte positions all keys share, then each
 * group is one pass. Errors: SEGKIT_ERR_USAGE (bad arguments, the array index named), NOMEM. */
SEGKIT_API segkit_status segkit_km_fit(const segkit_surv_input *in, double conf_level,
                                       segkit_km **out, segkit_error *err);
SEGKIT_API void segkit_km_free(segkit_km *km);
SEGKIT_API uint32_t segkit_km_n_groups(const segkit_km *km);
/* Curve of group g (NULL if out of range), borrowed from km. */
SEGKIT_API const segkit_km_curve *segkit_km_group(const segkit_km *km, uint32_t g);

/* ---- log-rank test ---------------------------------------------------------------- */

/* R's survdiff(rho = 0). observed/expected/n_subjects have one entry per group. Groups
 * with expected = 0 (no subjects, or all censored before the first event) are left out
 * of the statistic, as survdiff does; df = (groups left in) - 1. chi2 is computed from
 * the (df x df) variance-covariance matrix (Mantel 1966) by LU decomposition. */
typedef struct segkit_logrank {
  uint32_t n_groups;
  double *observed;
  double *expected;
  size_t *n_subjects;
  double chi2;
  uint32_t df;
  double p_value;           /* upper tail of chi-square(df); NaN when df = 0 */
} segkit_logrank;

/* Test from fitted curves (km must have >= 2 groups with subjects; SEGKIT_ERR_USAGE
 * otherwise). SEGKIT_ERR_INTERNAL if the variance matrix is numerically singular. */
SEGKIT_API segkit_status segkit_logrank_test(const segkit_km *km, segkit_logrank **out,
                                             segkit_error *err);
SEGKIT_API void segkit_logrank_free(segkit_logrank *lr);

/* ---- comparing groups at equal strata --------------------------------------------- */

/* The log-rank test within strata (R's survdiff(Surv(t, e) ~ group + strata(s))): O, E and
 * V are summed over the strata, each computed from the stratum's own risk sets, so a group
 * is compared with the others only at equal stratum (plan, billing interval, ...).
 * stratum[i] < n_strata for each of in->n rows (NULL: one stratum, the plain test).
 * Errors: SEGKIT_ERR_USAGE (fewer than 2 groups with subjects, a stratum out of range, the
 * row named), NOMEM. */
SEGKIT_API segkit_status segkit_logrank_stratified(const segkit_surv_input *in,
                                                   const uint32_t *stratum, uint32_t n_strata,
                                                   segkit_logrank **out, segkit_error *err);

/* Cox proportional hazards with one binary covariate, group 1 against group 0 of a
 * two-group input, stratified (a baseline hazard per stratum) or not: R's
 * coxph(Surv(t, e) ~ group + strata(s)) with its default Efron handling of ties, fitted
 * by Newton-Raphson on the partial likelihood. Hazard ratio exp(beta) with its Wald
 * interval exp(beta -/+ z se), se = 1 / sqrt(information at beta). */
typedef struct segkit_cox {
  double beta;                /* log hazard ratio of group 1 vs group 0 */
  double se;
  double hazard_ratio;
  double hr_low, hr_high;     /* at conf_level */
  double z, p_value;          /* Wald test of beta = 0 */
  double loglik_null, loglik; /* partial log-likelihood at 0 and at beta */
  int iterations;
  bool infinite;              /* a group without events: beta runs off to -/+inf (R warns
                                 the same way); beta, se and the interval are not finite */
  size_t n, events;
} segkit_cox;

/* in->n_groups must be 2 (SEGKIT_ERR_USAGE otherwise); stratum as for the stratified
 * log-rank; conf_level in (0, 1), 0 = 0.95. */
SEGKIT_API segkit_status segkit_cox_two_groups(const segkit_surv_input *in,
                                               const uint32_t *stratum, uint32_t n_strata,
                                               double conf_level, segkit_cox *out,
                                               segkit_error *err);

/* ---- Wilson score interval -------------------------------------------------------- */

/* 100*level% Wilson (1927) score interval for successes out of trials, without
 * continuity correction. level in (0, 1), 0 = 0.95. SEGKIT_ERR_USAGE when trials = 0
 * or successes > trials. */
SEGKIT_API segkit_status segkit_wilson_interval(uint64_t successes, uint64_t trials,
                                                double level, double *lower, double *upper,
                                                segkit_error *err);

/* ---- rates by group ---------------------------------------------------------------- */

/* The share of rows with an event (churn) per group, with its Wilson interval: the
 * customer-snapshot view (one row per customer, a churned flag) of public churn data sets.
 * Groups are the combinations of values of the `by` columns (STRING, INT64 or BOOL; a null
 * value is its own group, shown as "(null)"), in ascending order of the values (strings
 * byte-wise, numbers numerically, nulls last). The flag column is BOOL (true = event),
 * INT64 compared with flag_value, or STRING compared with flag_string; rows whose flag is
 * null are skipped and counted. */
typedef struct segkit_rate_columns {
  const char *const *by;   /* group columns; n_by = 0 for one group over all rows */
  size_t n_by;
  const char *flag;
  int64_t flag_value;
  const char *flag_string; /* NULL unless the flag column is a STRING column */
} segkit_rate_columns;

typedef struct segkit_group_rate {
  const char *const *key;  /* n_by values as text, borrowed from the result */
  int64_t n;               /* rows in the group (flag not null) */
  int64_t events;
  double rate;             /* events / n */
  double ci_low;           /* Wilson interval at the requested level */
  double ci_high;
  bool too_small;          /* n < min_n: too few to conclude from */
} segkit_group_rate;

typedef struct segkit_group_rates segkit_group_rates;

/* level in (0, 1) (0 = 0.95); min_n: groups below it are flagged too_small (0 = 30).
 * Errors name the column: SEGKIT_ERR_NOT_FOUND, SEGKIT_ERR_TYPE (with the types accepted),
 * SEGKIT_ERR_USAGE, SEGKIT_ERR_NOMEM. */
SEGKIT_API segkit_status segkit_rates_by_group(const segkit_table *t,
                                               const segkit_rate_columns *cols, double level,
                                               int64_t min_n, segkit_group_rates **out,
                                               segkit_error *err);
SEGKIT_API void segkit_group_rates_free(segkit_group_rates *r);
SEGKIT_API size_t segkit_group_rates_n(const segkit_group_rates *r);
/* Group i (ascending key order), borrowed from r; NULL if out of range. */
SEGKIT_API const segkit_group_rate *segkit_group_rates_get(const segkit_group_rates *r, size_t i);
/* All rows together, as one more group with no key. */
SEGKIT_API const segkit_group_rate *segkit_group_rates_overall(const segkit_group_rates *r);
SEGKIT_API size_t segkit_group_rates_skipped_null(const segkit_group_rates *r);

#ifdef __cplusplus
}
#endif
#endif
