/* segkit/metrics.h: SaaS revenue metrics — MRR per customer per month and the monthly
 * MRR movements (new, reactivation, expansion, contraction, churned) with the rates
 * derived from them (ARPU, logo churn, gross revenue churn, NRR, GRR), optionally split
 * by a group column (plan, billing interval, ...).
 *
 * Input is a subscription history table (one row per span of constant terms) read through
 * a column mapping, segkit_mrr_columns; arrays are turned into such a table with
 * segkit_table_from_arrays (segkit/table.h). Money is integer cents of the reporting
 * currency throughout, so movements reconcile exactly: every month, for the total and for
 * each group, start + new + reactivation + expansion - contraction - churned = end.
 * Every definition (normalisation factors, rounding, month-end snapshot, classification,
 * group attribution) is in docs/metrics.md, "MRR and movements".
 *
 * Ownership: segkit_mrr_compute returns a result the caller frees with
 * segkit_mrr_result_free; pointers from its getters borrow from it. The input table and
 * the options are only read (and not kept), so they may be freed after the call. A result
 * is read-only: any number of threads may read it. segkit_mrr_compute itself may use
 * several threads (options.n_threads); its output does not depend on their number. */
#ifndef SEGKIT_METRICS_H
#define SEGKIT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- months ------------------------------------------------------------------------- */

/* A calendar month as one integer: year * 12 + (month - 1); 2024-03 is 24290. */
SEGKIT_API int32_t segkit_month_index(int64_t year, unsigned month);
/* Inverse of segkit_month_index. */
SEGKIT_API void segkit_month_split(int32_t month_index, int64_t *year, unsigned *month);
/* Month index of a day (days since 1970-01-01). */
SEGKIT_API int32_t segkit_month_of_day(int32_t day);
/* Last day (days since 1970-01-01) of a month: the MRR snapshot day. */
SEGKIT_API int32_t segkit_month_last_day(int32_t month_index);

/* ---- input ---------------------------------------------------------------------------- */

/* Column names of the subscription table. NULL for an optional column means "absent".
 * Numeric columns may be int64 or float64; day columns date or timestamp (a timestamp
 * counts from its UTC day). */
typedef struct segkit_mrr_columns {
  const char *customer;         /* required; int64 or string */
  const char *unit_price;       /* required; price per unit per billing interval, major units */
  const char *quantity;         /* optional (absent = 1); seats */
  const char *interval;         /* required; string: day, week, month, year (also Stripe's
                                   daily, weekly, monthly, yearly, annual; any case) */
  const char *interval_count;   /* optional (absent = 1); integer >= 1 */
  const char *currency;         /* optional (absent = already in the reporting currency) */
  const char *start;            /* required; first day of service */
  const char *trial_end;        /* optional, nullable; first paid day (no MRR before it) */
  const char *end;              /* optional, nullable; first day without service (exclusive) */
  const char *discount_percent; /* optional, nullable (null = 0); 0..100 */
} segkit_mrr_columns;

/* The column names of the generated subscriptions.csv (docs/sample-data.md): customer_id,
 * unit_price, seats, billing_interval, interval_count, currency, started_at, trial_end,
 * ended_at, discount_percent. */
SEGKIT_API segkit_mrr_columns segkit_mrr_columns_default(void);

/* Exchange rate: 1 unit of `currency` = `rate` units of the reporting currency. */
typedef struct segkit_mrr_rate {
  const char *currency; /* matched ignoring case */
  double rate;          /* > 0 */
} segkit_mrr_rate;

/* How segkit_mrr_periods cuts the month range. Calendar quarters and years are aligned to
 * the calendar (Q1 = January..March) and clipped to the range, so the first and last
 * period may be partial (segkit_mrr_period.partial). */
typedef enum segkit_mrr_period_kind {
  SEGKIT_MRR_PERIOD_RANGE = 0,  /* one period: from_month..to_month */
  SEGKIT_MRR_PERIOD_MONTH,
  SEGKIT_MRR_PERIOD_QUARTER,
  SEGKIT_MRR_PERIOD_YEAR
} segkit_mrr_period_kind;

/* Tenure stages (by_tenure_stage): a customer's tenure at a month end is the number of days
 * from its first paid day (over its whole history) to that month's last day. */
#define SEGKIT_MRR_ONBOARDING_DAYS 30   /* onboarding: tenure < 30 days */
#define SEGKIT_MRR_GROWTH_DAYS 180      /* growth: 30 <= tenure < 180; mature: 180 and more */

typedef struct segkit_mrr_options {
  segkit_mrr_columns columns;
  const char *const *by;        /* columns of the subscription table to split by (any type;
                                   several = every combination of values), NULL for none */
  size_t n_by;
  bool by_tenure_stage;         /* also split by tenure stage (onboarding, growth, mature) at
                                   each month end, as the last key after the by columns */
  segkit_mrr_period_kind period;/* periods of segkit_mrr_periods (default: the whole range) */
  double conf_level;            /* level of the period rates' intervals; 0 = 0.95 */
  int64_t min_customers;        /* a group's period starting with fewer customers is flagged
                                   too_small; 0 = 30 */
  const segkit_mrr_rate *rates; /* required when columns.currency is set: every currency
                                   in the data must be listed (SEGKIT_ERR_NOT_FOUND names
                                   the first one that is not) */
  size_t n_rates;
  int32_t from_month;           /* first month reported (segkit_month_index) */
  int32_t to_month;             /* last month reported, >= from_month, at most 1200 months */
  int n_threads;                /* 0 = one per online CPU (at most 16); 1 = serial */
  bool keep_customer_mrr;       /* keep the per-customer month-end MRR matrix (8 bytes per
                                   customer per month + 8) for segkit_mrr_customer_mrr */
} segkit_mrr_options;

/* Defaults: segkit_mrr_columns_default(), no rates, no split, one period, months 0..0,
 * n_threads 0, keep_customer_mrr false. Set from_month and to_month. */
SEGKIT_API void segkit_mrr_options_init(segkit_mrr_options *opt);

/* Currency rates as people write them: "USD=1,EUR=1.08" inline, or the path of a file of
 * "currency,rate" lines (a first line "currency,..." is a header). At most `max` rates;
 * names (16 bytes each, currency codes) hold the currency strings rates[i].currency points
 * at. SEGKIT_ERR_USAGE naming the spec for anything else (no rate, a rate <= 0, a name of
 * 16 bytes or more, more than max). */
SEGKIT_API segkit_status segkit_mrr_rates_parse(const char *spec, segkit_mrr_rate *rates,
                                                char (*names)[16], size_t max, size_t *n,
                                                segkit_error *err);

/* ---- computing ------------------------------------------------------------------------- */

typedef struct segkit_mrr_result segkit_mrr_result;

/* Compute month-end MRR per customer and the movements for months from_month..to_month.
 * Errors (nothing is returned): a mapped column missing (SEGKIT_ERR_SCHEMA) or of the wrong
 * type (SEGKIT_ERR_TYPE), naming the column and the types expected; an unknown interval
 * name, an interval_count < 1, a negative or non-finite price or quantity, a discount
 * outside 0..100 (SEGKIT_ERR_PARSE, naming the column and the 1-based row); a currency
 * missing from the rates (SEGKIT_ERR_NOT_FOUND); a required column left unmapped or a bad
 * rate or month range (SEGKIT_ERR_USAGE); amounts adding up to more than INT64_MAX / 4
 * cents (SEGKIT_ERR_LIMIT). With several threads the error reported is still the first in
 * row order. Rows with a null in a required column or
 * with end < start are not errors: they are skipped and listed in the result
 * (segkit_mrr_skipped). */
SEGKIT_API segkit_status segkit_mrr_compute(const segkit_table *subscriptions,
                                            const segkit_mrr_options *opt,
                                            segkit_mrr_result **out, segkit_error *err);
SEGKIT_API void segkit_mrr_result_free(segkit_mrr_result *r);

/* ---- reading the result ---------------------------------------------------------------- */

/* One month of movements, all money in cents of the reporting currency, contraction and
 * churned as positive amounts. Ratios are NaN when their denominator is 0. */
typedef struct segkit_mrr_month {
  int32_t month;                /* segkit_month_index */
  int64_t start_cents;          /* MRR at the end of the previous month */
  int64_t new_cents;
  int64_t reactivation_cents;
  int64_t expansion_cents;
  int64_t contraction_cents;
  int64_t churned_cents;
  int64_t end_cents;            /* MRR at the end of this month */
  int64_t customers_start;      /* customers with MRR > 0 at the end of the previous month */
  int64_t customers_end;        /* active customers: MRR > 0 at the end of this month */
  int64_t n_new;
  int64_t n_reactivation;
  int64_t n_expansion;
  int64_t n_contraction;
  int64_t n_churned;
  double arpu_cents;            /* end_cents / customers_end */
  double logo_churn_rate;       /* n_churned / customers_start */
  double gross_revenue_churn;   /* (contraction + churned) / start */
  double nrr;                   /* (start + expansion - contraction - churned) / start */
  double grr;                   /* (start - contraction - churned) / start */
} segkit_mrr_month;

SEGKIT_API size_t segkit_mrr_n_months(const segkit_mrr_result *r);
/* Groups of the split (0 without by columns or tenure stages): every combination of the by
 * columns' values that occurs (in segkit_grouping order, table.h), times the three tenure
 * stages when by_tenure_stage is set. A group's keys are its values of the by columns
 * (text; a null is "(null)") and then its stage ("onboarding", "growth", "mature"); its
 * name is the keys joined by " / ". */
SEGKIT_API size_t segkit_mrr_n_groups(const segkit_mrr_result *r);
SEGKIT_API const char *segkit_mrr_group_name(const segkit_mrr_result *r, size_t group);
/* Keys per group: n_by, plus 1 with tenure stages. */
SEGKIT_API size_t segkit_mrr_n_keys(const segkit_mrr_result *r);
/* Name of key k: the by column's name, or "tenure_stage". */
SEGKIT_API const char *segkit_mrr_key_name(const segkit_mrr_result *r, size_t k);
SEGKIT_API const char *segkit_mrr_group_key(const segkit_mrr_result *r, size_t group, size_t k);

/* Pass as `group` for the totals. */
#define SEGKIT_MRR_ALL ((size_t)-1)

/* The n_months months of the totals (group SEGKIT_MRR_ALL) or of one group; NULL if group
 * is out of range. */
SEGKIT_API const segkit_mrr_month *segkit_mrr_months(const segkit_mrr_result *r, size_t group);

/* ---- periods: rates over a month, a quarter, a year or the whole range -------------------
 *
 * Per period (options.period) and group, the monthly movements summed, and the customers
 * active at the start of the period followed to its end. A customer belongs to the group
 * it has at the end of the month before the period (its group when the period starts).
 * Formulas: docs/metrics.md, "Rates over a period". Money in cents; ratios NaN when their
 * denominator is 0; intervals at options.conf_level. */
typedef struct segkit_mrr_period {
  int32_t first_month;          /* segkit_month_index */
  int32_t last_month;
  bool partial;                 /* a calendar quarter or year clipped by the range */
  /* movements: start of first_month, end of last_month, the months' movements summed */
  int64_t start_cents, new_cents, reactivation_cents, expansion_cents, contraction_cents,
      churned_cents, end_cents;
  int64_t customers_start, customers_end;
  int64_t n_new, n_reactivation, n_churned; /* churn and come-back events in the months */
  /* the customers_start customers, at the end of last_month */
  int64_t retained;             /* still active (a churn and a return inside counts as kept) */
  int64_t lost;                 /* customers_start - retained */
  int64_t retained_cents;       /* their MRR at the end */
  int64_t retained_capped_cents;/* sum over them of min(MRR at start, MRR at end) */
  double logo_churn;            /* lost / customers_start, with its Wilson interval */
  double logo_churn_low, logo_churn_high;
  double nrr;                   /* retained_cents / start_cents (cohort net revenue retention) */
  double nrr_low, nrr_high;     /* its interval: ratio estimator, delta method */
  double nrr_se;                /* the standard error behind that interval */
  double grr;                   /* retained_capped_cents / start_cents */
  double grr_low, grr_high;
  double grr_se;
  double revenue_churn;         /* 1 - grr */
  /* monthly averages over the period's months */
  int64_t customer_months;      /* sum of customers_start over the months */
  double monthly_churn;         /* n_churned / customer_months, with its Wilson interval */
  double monthly_churn_low, monthly_churn_high;
  int64_t active_months;        /* sum of customers_end over the months */
  int64_t mrr_month_sum_cents;  /* sum of end_cents over the months */
  double arpu_cents;            /* mrr_month_sum_cents / active_months */
  /* lifetime value over the period's months, ARPU / monthly churn (gross margin 1: the
   * simple LTV of segkit_ltv_compute on a result of these months); +inf with no churn and
   * some MRR. Its interval is exp(log LTV -/+ z ltv_log_se), the standard error of log LTV
   * by the delta method with customers as clusters, a group a domain of all the customers
   * with a month in the period (docs/metrics.md, "LTV of a segment"); NaN when churns,
   * MRR or customers are missing. */
  double ltv_cents;
  double ltv_low_cents, ltv_high_cents;
  double ltv_log_se;
  bool too_small;               /* customers_start < options.min_customers */
} segkit_mrr_period;

SEGKIT_API size_t segkit_mrr_n_periods(const segkit_mrr_result *r);
/* The n_periods periods of the totals (SEGKIT_MRR_ALL) or of one group; NULL if out of
 * range. */
SEGKIT_API const segkit_mrr_period *segkit_mrr_periods(const segkit_mrr_result *r,
                                                       size_t group);

/* Period `period` of the customers in a union of groups (selected: n_groups flags), as if
 * they were one group: every rate and interval as for a group (a customer counts in the
 * group it has when the period starts). A segment against the rest of the customers is
 * the group against the union of the others; a value of one by column against the rest is
 * the union of the groups with that value. Exact: the sums are added, nothing is
 * recomputed. SEGKIT_ERR_USAGE for a period out of range. */
SEGKIT_API segkit_status segkit_mrr_period_select(const segkit_mrr_result *r, const bool *selected,
                                                  size_t period, segkit_mrr_period *out,
                                                  segkit_error *err);

/* Covariance of log LTV (segkit_mrr_period.ltv_cents) of two disjoint unions of groups a
 * and b over period `period`: not zero when customers move between them in the period (a
 * month counts in the group the customer has when it starts). With the two ltv_log_se,
 * the standard error of the log of their ratio is sqrt(se_a^2 + se_b^2 - 2 cov). NaN when
 * either LTV has no standard error. SEGKIT_ERR_USAGE for a group in both, or a period out
 * of range. */
SEGKIT_API segkit_status segkit_mrr_ltv_covariance(const segkit_mrr_result *r, const bool *a,
                                                   const bool *b, size_t period, double *cov,
                                                   segkit_error *err);

/* Monthly logo survival by months since start of the customers that start in the range
 * (inactive at the end of from_month - 1; a customer's group is its group at its first
 * active month end), as segkit_cohorts_survival defines it but per group: arrays of *n
 * values, k = 0 .. *n - 1, *n = the last k with at_risk > 0, plus 1; at_risk[0] is the
 * number of customers starting in the range (0: no curve) and churned[0] = 0, S(0) = 1.
 * NULL arrays and *n = 0 if group is out of range. Any out pointer may be NULL. */
SEGKIT_API void segkit_mrr_survival(const segkit_mrr_result *r, size_t group, size_t *n,
                                    const int64_t **at_risk, const int64_t **churned,
                                    const double **survival);

/* Customers: every distinct customer key among the rows used, in ascending key order (for
 * a string customer column, the key is the value's dictionary code in the input table). */
SEGKIT_API size_t segkit_mrr_n_customers(const segkit_mrr_result *r);
SEGKIT_API int64_t segkit_mrr_customer_key(const segkit_mrr_result *r, size_t customer);
/* Index of the customer with this key, or -1. */
SEGKIT_API long segkit_mrr_customer_find(const segkit_mrr_result *r, int64_t key);
/* Month-end MRR in cents of one customer: n_months + 1 values, for the end of
 * from_month - 1, from_month, ..., to_month. NULL unless keep_customer_mrr was set or when
 * customer is out of range. */
SEGKIT_API const int64_t *segkit_mrr_customer_mrr(const segkit_mrr_result *r, size_t customer);

/* The segment of a customer at its first month end with MRR in the range, for customers
 * without MRR at the end of from_month - 1 (those starting in the range); otherwise, and
 * when r has no split or no per-customer MRR (keep_customer_mrr), SEGKIT_MRR_NO_GROUP. */
#define SEGKIT_MRR_NO_GROUP UINT32_MAX
SEGKIT_API uint32_t segkit_mrr_customer_start_group(const segkit_mrr_result *r,
                                                    size_t customer);

/* Why an input row was not used. */
typedef enum segkit_mrr_skip_reason {
  SEGKIT_MRR_SKIP_NULL = 0,          /* a required column is null (field names it) */
  SEGKIT_MRR_SKIP_END_BEFORE_START,  /* end < start */
  SEGKIT_MRR_SKIP_COUNT
} segkit_mrr_skip_reason;

typedef struct segkit_mrr_skip {
  size_t row;                        /* 0-based row of the input table */
  segkit_mrr_skip_reason reason;
  const char *field;                 /* the column involved (borrowed from the result) */
} segkit_mrr_skip;

/* Skipped rows in row order; *n gets their number. */
SEGKIT_API const segkit_mrr_skip *segkit_mrr_skipped(const segkit_mrr_result *r, size_t *n);
/* Rows used (input rows minus skipped rows). */
SEGKIT_API size_t segkit_mrr_rows_used(const segkit_mrr_result *r);

/* ---- cohorts (src/metrics/cohorts.c) ----------------------------------------------------
 *
 * Cohort tables from an MRR result computed with keep_customer_mrr = true. A customer's
 * cohort is the first month of the result's range (from_month..to_month) at whose end it
 * has MRR > 0. Customers already active at the end of from_month - 1 started before the
 * range: their cohort is unknown, so they are left out (counted in
 * segkit_cohorts_n_left_out); a customer inactive at the end of from_month - 1 counts from
 * its first active month in the range even if it had been a customer before (start the
 * range at or before the first subscription for exact cohorts). For cohort month c and
 * k = 0, 1, ... months since c, up to to_month (later cells are absent, not zero):
 *   active(k)  = cohort customers with MRR > 0 at the end of c + k (a customer who churned
 *                and came back counts as retained in every month it has MRR);
 *   logo retention(k)    = active(k) / size;
 *   revenue retention(k) = cohort MRR at the end of c + k / cohort MRR at the end of c
 *                          (above 1 with expansion).
 * Only months with at least one new customer form a cohort, in month order. The pooled
 * survival of the cohorts (segkit_cohorts_survival) counts a customer as churned at the
 * first month end after its start with MRR 0, whatever happens later.
 * Formulas: docs/metrics.md, "Cohorts and LTV". The object is read-only after compute;
 * pointers from its getters borrow from it. */

typedef struct segkit_cohorts segkit_cohorts;

/* SEGKIT_ERR_USAGE when r was computed without keep_customer_mrr (or an argument is NULL);
 * SEGKIT_ERR_NOMEM. *out is written only on success; free it with segkit_cohorts_free. */
SEGKIT_API segkit_status segkit_cohorts_compute(const segkit_mrr_result *r,
                                                segkit_cohorts **out, segkit_error *err);
SEGKIT_API void segkit_cohorts_free(segkit_cohorts *c);
/* Cohorts by segment instead of start month ("by any attribute"): a customer starting in the
 * range belongs to the segment it has at its first active month end
 * (segkit_mrr_customer_start_group); r needs keep_customer_mrr and a split
 * (SEGKIT_ERR_USAGE otherwise). Cell k counts the cohort's customers observed k months
 * after their own start (start + k <= to_month, segkit_cohorts_observed):
 *   logo retention(k)    = active(k) / observed(k);
 *   revenue retention(k) = their MRR at start + k / their MRR at their start.
 * Cohorts are the segments with at least one starter, in segment order; a cohort's cells
 * run to the longest observation of its customers. segkit_cohorts_month gives 0 here and
 * segkit_cohorts_group the segment. The pooled survival is the same as by month. */
SEGKIT_API segkit_status segkit_cohorts_compute_by_segment(const segkit_mrr_result *r,
                                                           segkit_cohorts **out,
                                                           segkit_error *err);
/* Segment of a cohort (segkit_mrr_group_name), or SIZE_MAX for month cohorts. */
SEGKIT_API size_t segkit_cohorts_group(const segkit_cohorts *c, size_t cohort);
/* Customers observed in each cell (n_cells values): the cohort size for month cohorts. */
SEGKIT_API const int64_t *segkit_cohorts_observed(const segkit_cohorts *c, size_t cohort);

SEGKIT_API size_t segkit_cohorts_n(const segkit_cohorts *c);
/* Customers active at the end of from_month - 1 (cohort before the range, left out). */
SEGKIT_API size_t segkit_cohorts_n_left_out(const segkit_cohorts *c);
/* The following take a cohort index < segkit_cohorts_n; out of range gives 0 / NULL. */
SEGKIT_API int32_t segkit_cohorts_month(const segkit_cohorts *c, size_t cohort);
SEGKIT_API int64_t segkit_cohorts_size(const segkit_cohorts *c, size_t cohort);
/* Cells k = 0 .. n_cells - 1 (n_cells = to_month - cohort month + 1). */
SEGKIT_API size_t segkit_cohorts_n_cells(const segkit_cohorts *c, size_t cohort);
SEGKIT_API const int64_t *segkit_cohorts_active(const segkit_cohorts *c, size_t cohort);
SEGKIT_API const int64_t *segkit_cohorts_mrr_cents(const segkit_cohorts *c, size_t cohort);
SEGKIT_API const double *segkit_cohorts_logo_retention(const segkit_cohorts *c,
                                                       size_t cohort);
/* NaN in every cell if the cohort MRR at k = 0 were 0 (cannot happen: size > 0). */
SEGKIT_API const double *segkit_cohorts_revenue_retention(const segkit_cohorts *c,
                                                          size_t cohort);

/* Pooled logo survival by months since start, product-limit over all cohorts (Kaplan &
 * Meier 1958 on monthly data): for k >= 1, at_risk(k) = customers observed at the end of
 * start + k (start + k <= to_month) and continuously active at the ends of start .. start +
 * k - 1; churned(k) = those of them with MRR 0 at the end of start + k; S(0) = 1,
 * S(k) = S(k - 1) x (1 - churned(k) / at_risk(k)). Arrays of *n values, k = 0 .. *n - 1,
 * *n = the last k with at_risk > 0, plus 1 (at_risk(0) = churned(0) = 0 by convention;
 * *n = 1 when no customer is observed a month after its start). Any pointer may be NULL. */
SEGKIT_API void segkit_cohorts_survival(const segkit_cohorts *c, size_t *n,
                                        const int64_t **at_risk, const int64_t **churned,
                                        const double **survival);

/* ---- LTV (src/metrics/ltv.c) -------------------------------------------------------------
 *
 * Customer lifetime value two ways, over the months of an MRR result, for the totals or one
 * group, in cents of the reporting currency; formulas in docs/metrics.md, "Cohorts and
 * LTV". The survival curve is segkit_mrr_survival's (for the totals, the same curve as
 * segkit_cohorts_survival). */

typedef struct segkit_ltv_options {
  double gross_margin;          /* 0..1, default 1 */
  int horizon_months;           /* H of the survival-based LTV, 1..1200, default 60 */
} segkit_ltv_options;

SEGKIT_API void segkit_ltv_options_init(segkit_ltv_options *opt);

typedef struct segkit_ltv {
  double gross_margin;
  int horizon_months;
  /* inputs of both: ARPU weighted by active customers = sum of end MRR / sum of active
   * customers over the months */
  int64_t mrr_cents_sum;        /* sum over months of end_cents */
  int64_t customer_months;      /* sum over months of customers_end */
  double arpu_cents;            /* NaN when customer_months = 0 */
  /* (a) simple: ARPU x margin / churn */
  int64_t churned;              /* sum over months of n_churned */
  int64_t customer_months_start;/* sum over months of customers_start */
  double monthly_churn;         /* churned / customer_months_start; NaN when 0 / 0 */
  double ltv_simple_cents;      /* +inf when churn is 0 and ARPU > 0; NaN when undefined */
  /* (b) survival-based: sum over t < H of S(t) x ARPU x margin */
  size_t n_observed;            /* S(t) from the cohorts for t < n_observed (see
                                   segkit_cohorts_survival); 0 when there is no cohort */
  double survival_sum_observed; /* sum of S(t) over t < min(H, n_observed) */
  double survival_sum;          /* sum of S(t) over t < H, S extended past the observed
                                   months by S(t) = S(n_observed - 1) x (1 - monthly_churn)^
                                   (t - n_observed + 1) */
  double ltv_survival_cents;    /* survival_sum x ARPU x margin; NaN when undefined */
} segkit_ltv;

/* group: SEGKIT_MRR_ALL or a group index. opt NULL = defaults. SEGKIT_ERR_USAGE for a
 * margin outside 0..1, a horizon outside 1..1200 or a group out of range. *out written
 * only on success. */
SEGKIT_API segkit_status segkit_ltv_compute(const segkit_mrr_result *r, size_t group,
                                            const segkit_ltv_options *opt, segkit_ltv *out,
                                            segkit_error *err);

/* ---- customer lifetimes (src/metrics/lifetimes.c) ------------------------------------
 *
 * One row per customer from an MRR result computed with keep_customer_mrr = true: the
 * customer-snapshot shape segkit_rates_by_group and Kaplan-Meier (segkit/survival.h) take.
 * Months are month ends of the result's range, from the end of from_month - 1 to the end of
 * to_month. For a customer with MRR > 0 at some month end: first = the first such month end,
 * last = the last; churned = no MRR at the end of to_month; tenure_months = last - first + 1
 * when churned (its paying months, gaps of a reactivation included), else to_month - first
 * + 1 (censored: still a customer). started_before_range = MRR > 0 already at the end of
 * from_month - 1: its true start is earlier, so its tenure is left-truncated (leave such
 * rows out of survival estimates, or start the range at the first subscription).
 * Customers never active in the range are not in the table.
 * Columns: customer (the subscription table's customer column, int64 or string), first_month
 * (date: the first day of the first month with MRR), tenure_months (int64), churned (bool),
 * started_before_range (bool). subscriptions must be the table r was computed from. */
SEGKIT_API segkit_status segkit_mrr_lifetimes(const segkit_mrr_result *r,
                                              const segkit_table *subscriptions,
                                              const char *customer_column, segkit_table **out,
                                              segkit_error *err);

/* ---- a customer's state on a day (src/metrics/customer_state.c) ------------------------
 *
 * One row per customer of a subscription history with its state on day `as_of_day` (days
 * since 1970-01-01): the derived fields segment rules use. A row runs on day D when
 * paid_start <= D < end (the MRR definition, by day rather than at month ends), with rows
 * prepared exactly as segkit_mrr_compute prepares them (opt: columns, rates, by columns;
 * months and periods are ignored). Columns:
 *   <customer>   the subscription table's customer column, as it is (int64 or string)
 *   mrr          float64, major units of the reporting currency: rows running on D
 *   arr          float64, 12 x mrr
 *   active       bool, mrr > 0
 *   first_paid   date: the earliest paid start of a row with MRR > 0 that started paying by
 *                D; null when none has
 *   tenure_days  int64: D - first_paid; null when first_paid is
 *   churned_on   date: for a customer not active on D that paid before, the latest end of
 *                its rows (its first day without service); null otherwise
 *   <by columns> string, one per opt->by column: the values of the running row with the
 *                most MRR (ties: the later paid start, then the earlier row); null when not
 *                active
 * Customers whose rows are all skipped (segkit_mrr_compute's skip rules) are not in the
 * table. Errors as segkit_mrr_compute. *out belongs to the caller. */
SEGKIT_API segkit_status segkit_mrr_customer_state(const segkit_table *subscriptions,
                                                   const segkit_mrr_options *opt,
                                                   int32_t as_of_day, segkit_table **out,
                                                   segkit_error *err);

/* ---- revenue from transactions (src/metrics/revenue.c) ---------------------------------
 *
 * Cash revenue from a transactions log (one row per money movement: a charge or a
 * refund), per period (calendar months, or periods of 2, 3, 4, 6 or 12 months aligned to
 * the calendar: 3 = quarters) and per group (every combination of the values of one or
 * more columns). Cash basis: a row counts in the period of its own date, so a
 * refund lowers the revenue of the period it was paid out in, not that of the charge it
 * refunds (closed periods never change when a refund comes in later). Money is integer
 * cents of the reporting currency: each row's amount is converted once, |amount| x 100 x
 * rate rounded half to even (the MRR engine's rule), and everything after is integer
 * sums, so in every period net = charges - refunds and the groups add up to the total
 * exactly. Definitions: docs/metrics.md, "Revenue from transactions".
 *
 * Direction of a row: with a kind column, charge / payment / sale / invoice are charges and
 * refund / credit / chargeback refunds (any case; anything else is an error naming the row
 * and the value); a refund's amount counts by its magnitude (ledgers store refunds with
 * either sign); a negative amount on a charge row is an error unless
 * negative_charge_is_refund is set, which makes it a refund of the magnitude. Without a
 * kind column the sign decides: amount >= 0 a charge, < 0 a refund of -amount.
 *
 * Ownership and threads as for segkit_mrr_compute: the result is the caller's (free with
 * segkit_revenue_result_free), getters borrow from it, it is read-only and any number of
 * threads may read it; the output does not depend on options.n_threads. */

typedef struct segkit_revenue_columns {
  const char *customer;            /* required; int64 or string */
  const char *date;                /* required; date or timestamp (a timestamp counts
                                      from its UTC day) */
  const char *amount;              /* required; int64 or float64, major units */
  const char *currency;            /* optional (absent = already the reporting currency) */
  const char *kind;                /* optional; string (absent = the sign decides) */
  const char *const *group;        /* optional; n_group columns to split by (any type) */
  size_t n_group;                  /* 0..8 */
} segkit_revenue_columns;

/* The columns of the generated transactions.csv (docs/sample-data.md): customer_id,
 * timestamp, amount, currency, kind; no group. */
SEGKIT_API segkit_revenue_columns segkit_revenue_columns_default(void);

typedef struct segkit_revenue_options {
  segkit_revenue_columns columns;
  const segkit_mrr_rate *rates;    /* required when columns.currency is set, as for MRR */
  size_t n_rates;
  int32_t from_month;              /* first month (segkit_month_index); widened down to the
                                      start of its period */
  int32_t to_month;                /* last month, >= from_month; widened up to the end of
                                      its period; at most 1200 months in all, within the
                                      years 0..9999 */
  int period_months;               /* 1 (months, the default), 2, 3 (quarters), 4, 6, 12 */
  bool negative_charge_is_refund;  /* see above; default false (an error) */
  int n_threads;                   /* 0 = one per online CPU (at most 16); 1 = serial */
} segkit_revenue_options;

/* Defaults: segkit_revenue_columns_default(), no rates, months 0..0, period_months 1,
 * negative charges an error, n_threads 0. Set from_month and to_month. */
SEGKIT_API void segkit_revenue_options_init(segkit_revenue_options *opt);

typedef struct segkit_revenue_result segkit_revenue_result;

/* Errors (nothing is returned): a mapped column missing (SEGKIT_ERR_SCHEMA) or of the
 * wrong type (SEGKIT_ERR_TYPE); a kind value not recognised, a non-finite amount, a
 * negative amount on a charge row (SEGKIT_ERR_PARSE, naming the column, the 1-based row
 * and the value); a currency missing from the rates (SEGKIT_ERR_NOT_FOUND); an unmapped
 * required column, a bad rate, month range or period length (SEGKIT_ERR_USAGE); amounts
 * adding up to more than INT64_MAX / 4 cents, more than 2^22 group x period cells or
 * 2^19 groups (SEGKIT_ERR_LIMIT). The error reported is the first in row order, whatever the
 * threads. Rows with a null customer, date, amount, currency or kind (when mapped) are
 * skipped and listed (segkit_revenue_skipped); rows dated outside the (widened) range are
 * not counted. */
SEGKIT_API segkit_status segkit_revenue_compute(const segkit_table *transactions,
                                                const segkit_revenue_options *opt,
                                                segkit_revenue_result **out,
                                                segkit_error *err);
SEGKIT_API void segkit_revenue_result_free(segkit_revenue_result *r);

/* One period, money in cents of the reporting currency, refunds as a positive amount.
 * Ratios are NaN when their denominator is 0. */
typedef struct segkit_revenue_period {
  int32_t first_month;             /* segkit_month_index of the period's first month */
  int64_t charges_cents;           /* gross charges */
  int64_t refunds_cents;
  int64_t net_cents;               /* charges_cents - refunds_cents */
  int64_t n_charges;
  int64_t n_refunds;
  int64_t paying_customers;        /* distinct customers with a charge > 0 cents in the
                                      period (and group); a customer in two groups counts
                                      in both, so groups need not add up to the total */
  double net_per_paying_cents;     /* net_cents / paying_customers */
  double refund_rate;              /* refunds_cents / charges_cents */
} segkit_revenue_period;

SEGKIT_API size_t segkit_revenue_n_periods(const segkit_revenue_result *r);
SEGKIT_API int segkit_revenue_period_months(const segkit_revenue_result *r);
/* The widened range: first month of the first period, last month of the last one. */
SEGKIT_API int32_t segkit_revenue_from_month(const segkit_revenue_result *r);
SEGKIT_API int32_t segkit_revenue_to_month(const segkit_revenue_result *r);

/* Groups: the combinations of group column values present in the table, numbered as
 * segkit_grouping numbers them (table.h: value order, column by column; a null is a value
 * of its own, text "(null)", after the others). */
SEGKIT_API size_t segkit_revenue_n_groups(const segkit_revenue_result *r);
/* Value of group column `col` (0..n_group - 1) in a group; NULL when out of range. */
SEGKIT_API const char *segkit_revenue_group_value(const segkit_revenue_result *r, size_t group,
                                                  size_t col);

/* Pass as `group` for the totals. */
#define SEGKIT_REVENUE_ALL ((size_t)-1)

/* The n_periods periods of the totals or of one group; NULL if group is out of range. */
SEGKIT_API const segkit_revenue_period *segkit_revenue_periods(const segkit_revenue_result *r,
                                                               size_t group);

/* Customers with at least one counted row (usable, dated in the range), in ascending key
 * order (int64 value, or dictionary code of a string customer column), with their net
 * revenue over the whole range: the lifetime revenue of value tiers. */
SEGKIT_API size_t segkit_revenue_n_customers(const segkit_revenue_result *r);
SEGKIT_API int64_t segkit_revenue_customer_key(const segkit_revenue_result *r, size_t customer);
/* Index of the customer with this key, or -1. */
SEGKIT_API long segkit_revenue_customer_find(const segkit_revenue_result *r, int64_t key);
/* All n_customers lifetime net amounts in cents, in customer order. */
SEGKIT_API const int64_t *segkit_revenue_customer_net(const segkit_revenue_result *r);

/* Skipped rows in row order (reason SEGKIT_MRR_SKIP_NULL, field the null column). */
SEGKIT_API const segkit_mrr_skip *segkit_revenue_skipped(const segkit_revenue_result *r,
                                                         size_t *n);
/* Rows not skipped, and of those the rows dated in the range (counted). */
SEGKIT_API size_t segkit_revenue_rows_used(const segkit_revenue_result *r);
SEGKIT_API size_t segkit_revenue_rows_counted(const segkit_revenue_result *r);

#ifdef __cplusplus
}
#endif
#endif
