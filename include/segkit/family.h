/* segkit/family.h: predefined segment families — RFM, lifecycle, value tiers and
 * engagement. Each family labels every customer of its input and returns a segkit_table
 * keyed by customer (one row per customer, ascending key), which the segment layer turns
 * into segments.
 *
 *   RFM          from a transactions log as of a day: recency, frequency, monetary,
 *                quintile scores 1-5 and the named RFM segments (segkit_rfm_compute)
 *   lifecycle    from an MRR result at a month end: onboarding, growth, mature, churned,
 *                reactivated (segkit_lifecycle_compute)
 *   value tiers  quantiles or given cut-points of a per-customer value: MRR, ARPU or
 *                lifetime revenue (segkit_tiers_compute and its value sources)
 *   engagement   from an events log: active, at-risk, dormant (segkit_engagement_compute)
 *
 * Every definition (what counts, scores, ties, cut-points, the rule table) is in
 * docs/segments.md.
 *
 * Quantile scores, everywhere in this module: n customers, k scores; sort the values
 * ascending and cut the sorted list as SQL's NTILE(k) does (the first n mod k tiles get one
 * row more); a value's score is the tile of the FIRST of its ties in that order, so equal
 * values always get equal scores. Equivalently: with p = the number of customers whose
 * value is strictly smaller, score = NTILE's tile of position p (0-based). The k - 1
 * cut-points ("edges") are the sorted values at the last position of NTILE's tiles
 * 1..k-1; score = 1 + the number of edges strictly below the value.
 *
 * Customers: an int64 customer column keys by value, a string column by dictionary code
 * (the order of segkit_revenue_customer_key); the output's customer column has the input
 * column's name and type.
 *
 * Ownership: results and tables returned are the caller's (free with the matching _free);
 * pointers from getters borrow from the result. Inputs and options are only read and not
 * kept. Results are read-only: any number of threads may read them. Computations may use
 * several threads (n_threads); their output does not depend on the number. */
#ifndef SEGKIT_FAMILY_H
#define SEGKIT_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/metrics.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- RFM (src/family/rfm.c) ----------------------------------------------------------
 *
 * Rows of the transactions table are read as the revenue engine reads them (metrics.h,
 * "revenue from transactions"): direction from the kind column (charge / payment / sale /
 * invoice vs refund / credit / chargeback, any case) or, without one, from the sign; each
 * amount converted once to integer cents, |amount| x 100 x rate rounded half to even.
 * A row counts when its UTC day is in since..as_of. Per customer:
 *   recency_days = as_of - the day of its last charge of more than 0 cents;
 *   frequency    = its number of charges of more than 0 cents;
 *   monetary     = net cents: charges - refunds (may be <= 0).
 * Customers are those with at least one such charge; a customer with only refunds or zero
 * charges in the window is counted in segkit_rfm_n_without_charge and left out. Scores
 * 1-5 are quantile scores (above) of: the last charge day (so 5 = most recent), frequency,
 * monetary. The segment is the first rule of the rule table whose score ranges hold the
 * customer's r, f and m, or "Others". */

typedef struct segkit_rfm_columns {
  const char *customer;  /* required; int64 or string */
  const char *date;      /* required; date or timestamp (a timestamp counts from its UTC day) */
  const char *amount;    /* required; int64 or float64, major units */
  const char *kind;      /* optional; string (NULL = the sign decides) */
  const char *currency;  /* optional; string (NULL = already the reporting currency) */
} segkit_rfm_columns;

/* customer_id, timestamp, amount, kind, and no currency (generated transactions.csv,
 * docs/sample-data.md; set currency = "currency" and rates to convert). */
SEGKIT_API segkit_rfm_columns segkit_rfm_columns_default(void);

/* One row of a segment rule table: inclusive score ranges (1..5). */
typedef struct segkit_rfm_rule {
  const char *name;
  uint8_t r_lo, r_hi, f_lo, f_hi, m_lo, m_hi;
} segkit_rfm_rule;

/* The default table (docs/segments.md): 11 segments, in evaluation order. *n gets 11. */
SEGKIT_API const segkit_rfm_rule *segkit_rfm_rules_default(size_t *n);

typedef struct segkit_rfm_options {
  segkit_rfm_columns columns;
  int32_t as_of;                   /* day (days since 1970-01-01): rows after it are
                                      ignored; recency counts to it */
  int32_t since;                   /* first day counted (default INT32_MIN: no limit) */
  const segkit_mrr_rate *rates;    /* required when columns.currency is set */
  size_t n_rates;
  bool negative_charge_is_refund;  /* as segkit_revenue_options (default false: an error) */
  const segkit_rfm_rule *rules;    /* NULL = segkit_rfm_rules_default */
  size_t n_rules;                  /* 1..64 when rules is set */
  int n_threads;                   /* 0 = one per online CPU (at most 16); 1 = serial */
} segkit_rfm_options;

/* Defaults: segkit_rfm_columns_default(), as_of 0 (set it), since INT32_MIN, no rates,
 * negative charges an error, default rules, n_threads 0. */
SEGKIT_API void segkit_rfm_options_init(segkit_rfm_options *opt);

typedef struct segkit_rfm_result segkit_rfm_result;

/* Errors (nothing returned): a mapped column missing (SEGKIT_ERR_SCHEMA) or of the wrong
 * type (SEGKIT_ERR_TYPE); an unknown kind, a non-finite amount, a negative amount on a
 * charge row, an amount of 2^52 cents or more (SEGKIT_ERR_PARSE, naming the column and the
 * 1-based row; the first in row order whatever the threads); a currency missing from the
 * rates (SEGKIT_ERR_NOT_FOUND); since > as_of, a bad rate or rule (SEGKIT_ERR_USAGE); a
 * customer's sums overflowing int64 (SEGKIT_ERR_LIMIT). Rows with a null customer, date,
 * amount, kind or currency (when mapped) are skipped and counted (segkit_rfm_rows_skipped).
 * Rows outside since..as_of are checked but not counted. */
SEGKIT_API segkit_status segkit_rfm_compute(const segkit_table *transactions,
                                            const segkit_rfm_options *opt,
                                            segkit_rfm_result **out, segkit_error *err);
SEGKIT_API void segkit_rfm_result_free(segkit_rfm_result *r);

/* Customers scored, in ascending key order, and the per-customer arrays (n values each). */
SEGKIT_API size_t segkit_rfm_n_customers(const segkit_rfm_result *r);
SEGKIT_API const int64_t *segkit_rfm_keys(const segkit_rfm_result *r);
SEGKIT_API const int32_t *segkit_rfm_recency_days(const segkit_rfm_result *r);
SEGKIT_API const int64_t *segkit_rfm_frequency(const segkit_rfm_result *r);
SEGKIT_API const int64_t *segkit_rfm_monetary_cents(const segkit_rfm_result *r);
/* Scores 1..5. */
SEGKIT_API const uint8_t *segkit_rfm_r(const segkit_rfm_result *r);
SEGKIT_API const uint8_t *segkit_rfm_f(const segkit_rfm_result *r);
SEGKIT_API const uint8_t *segkit_rfm_m(const segkit_rfm_result *r);
/* Segment of each customer: index into the rule table, or n_rules for "Others". */
SEGKIT_API const uint16_t *segkit_rfm_segment(const segkit_rfm_result *r);
/* Index of the customer with this key, or -1. */
SEGKIT_API long segkit_rfm_customer_find(const segkit_rfm_result *r, int64_t key);

/* Segments: the rules in order, then "Others" (n_rules + 1 entries). */
SEGKIT_API size_t segkit_rfm_n_segments(const segkit_rfm_result *r);
SEGKIT_API const char *segkit_rfm_segment_name(const segkit_rfm_result *r, size_t segment);
SEGKIT_API size_t segkit_rfm_segment_count(const segkit_rfm_result *r, size_t segment);

/* Which measure's cut-points. */
typedef enum segkit_rfm_measure {
  SEGKIT_RFM_RECENCY = 0,  /* edges are last-charge days (days since 1970-01-01) */
  SEGKIT_RFM_FREQUENCY,    /* edges are charge counts */
  SEGKIT_RFM_MONETARY      /* edges are net cents */
} segkit_rfm_measure;
/* The 4 edges of a measure: score = 1 + the number of edges strictly below the value.
 * Returns the number written (0 when there are no customers). */
SEGKIT_API size_t segkit_rfm_edges(const segkit_rfm_result *r, segkit_rfm_measure m,
                                   int64_t edges[4]);

SEGKIT_API size_t segkit_rfm_rows_skipped(const segkit_rfm_result *r);
/* Rows in since..as_of (after skips). */
SEGKIT_API size_t segkit_rfm_rows_counted(const segkit_rfm_result *r);
/* Customers with counted rows but no charge above 0 cents (left out). */
SEGKIT_API size_t segkit_rfm_n_without_charge(const segkit_rfm_result *r);

/* The result as a table: customer (the transactions' customer column: name and type),
 * recency_days (int64), frequency (int64), monetary (float64, major units: cents / 100),
 * r, f, m (int64), rfm (string, "545"), segment (string). transactions must be the table
 * r was computed from. */
SEGKIT_API segkit_status segkit_rfm_table(const segkit_rfm_result *r,
                                          const segkit_table *transactions,
                                          segkit_table **out, segkit_error *err);

/* RFM of a transactions CSV file, end to end (src/family/rfm_csv.c). Plain files (no
 * quotes, one unambiguous delimiter, integer customer ids, values that parse, known kinds
 * and currencies) take a fast path that reads only the mapped fields; anything else is read
 * by segkit_csv_read (defaults, opt->n_threads) and scored by segkit_rfm_compute, with
 * their errors. On every file segkit_csv_read accepts, the result is the same as
 * segkit_csv_read + segkit_rfm_compute (tests/fuzz/fuzz_rfm_csv.c checks it); the fast path
 * does not look at the columns it does not use, so a defect there (bad UTF-8, a value of
 * the wrong type) does not stop it. table_out (may be NULL) gets segkit_rfm_table's table;
 * fast_out (may be NULL) says whether the fast path was taken. SEGKIT_ERR_IO when the file
 * cannot be opened. */
SEGKIT_API segkit_status segkit_rfm_from_csv(const char *path, const segkit_rfm_options *opt,
                                             segkit_rfm_result **out, segkit_table **table_out,
                                             bool *fast_out, segkit_error *err);

/* ---- lifecycle (src/family/lifecycle.c) ----------------------------------------------
 *
 * Stage of every customer of an MRR result (computed with keep_customer_mrr) at the end
 * of a month of its range, from the month-end MRR matrix and the customer's first paid day
 * (docs/metrics.md, "Tenure stage": the earliest paid start of its rows paid at some month
 * end, over the whole history):
 *   churned      no MRR at the month end, MRR at an earlier month end;
 *   reactivated  MRR at the month end, and its current run of active month ends began
 *                within the last reactivated_months months with a reactivation (no MRR
 *                at the month end before, MRR at some month end before that);
 *   onboarding   otherwise with MRR: tenure 0-29 days (SEGKIT_MRR_ONBOARDING_DAYS);
 *   growth       tenure 30-179 days; mature: 180 days and more.
 * Tenure = the month's last day - the first paid day. Customers never paid by that month
 * end (trials, future starts) are not in the table. */

typedef struct segkit_lifecycle_options {
  int32_t month;              /* segkit_month_index in from_month..to_month of the result;
                                 default (0) = to_month */
  int reactivated_months;     /* default (0) = 1: only this month's reactivations */
} segkit_lifecycle_options;

SEGKIT_API void segkit_lifecycle_options_init(segkit_lifecycle_options *opt);

/* Stage names, in enum order. */
typedef enum segkit_lifecycle_stage {
  SEGKIT_LIFECYCLE_ONBOARDING = 0,
  SEGKIT_LIFECYCLE_GROWTH,
  SEGKIT_LIFECYCLE_MATURE,
  SEGKIT_LIFECYCLE_CHURNED,
  SEGKIT_LIFECYCLE_REACTIVATED,
  SEGKIT_LIFECYCLE_COUNT
} segkit_lifecycle_stage;
SEGKIT_API const char *segkit_lifecycle_stage_name(segkit_lifecycle_stage s);

/* Table columns: customer (subscriptions' column), stage (string), tenure_days (int64),
 * mrr_cents (int64, at the month end), first_paid (date). subscriptions and columns must
 * be those r was computed from (columns NULL = segkit_mrr_columns_default()). counts may
 * be NULL, else gets the customers per stage. SEGKIT_ERR_USAGE without keep_customer_mrr
 * or for a month outside the range. */
SEGKIT_API segkit_status segkit_lifecycle_compute(const segkit_mrr_result *r,
                                                  const segkit_table *subscriptions,
                                                  const segkit_mrr_columns *columns,
                                                  const segkit_lifecycle_options *opt,
                                                  segkit_table **out,
                                                  size_t counts[SEGKIT_LIFECYCLE_COUNT],
                                                  segkit_error *err);

/* ---- value tiers (src/family/tiers.c) ------------------------------------------------
 *
 * A tier per customer from a numeric per-customer value column: either quantile tiers
 * (n_tiers quantile scores, as defined above: tier 1 lowest) or tiers from given ascending
 * cut-points c_1 < ... < c_{k-1}: tier 1 + the number of cut-points <= value (so a value
 * equal to a cut-point is in the upper tier). Null values get a null tier. */

typedef struct segkit_tiers_options {
  size_t n_tiers;              /* 2..100; default 4 (quartiles); with cuts: n_cuts + 1 */
  const double *cuts;          /* NULL = quantiles */
  size_t n_cuts;
  const char *const *labels;   /* n_tiers labels, lowest first; NULL = "T1", "T2", ... */
} segkit_tiers_options;

SEGKIT_API void segkit_tiers_options_init(segkit_tiers_options *opt);

/* Input: a table with a customer column and a numeric (int64 or float64) value column,
 * one row per customer. Output: the customer column, the value column (as given), tier
 * (int64), tier_label (string). cuts_out (may be NULL) gets the n_tiers - 1 cut-points
 * used (for quantiles: the edges; score = 1 + edges strictly below). SEGKIT_ERR_USAGE for
 * a bad option (cuts not strictly increasing or not finite, wrong label count). */
SEGKIT_API segkit_status segkit_tiers_compute(const segkit_table *values, const char *customer,
                                              const char *value, const segkit_tiers_options *opt,
                                              segkit_table **out, double *cuts_out,
                                              segkit_error *err);

/* Value sources: a table (customer, value) for segkit_tiers_compute. */
typedef enum segkit_value_measure {
  SEGKIT_VALUE_MRR = 0,  /* month-end MRR in cents at `month` (customers with MRR > 0) */
  SEGKIT_VALUE_ARPU      /* mean month-end MRR in cents over the customer's active month
                            ends from from_month to `month` */
} segkit_value_measure;

/* From an MRR result with keep_customer_mrr (month as segkit_lifecycle_options.month):
 * columns customer (subscriptions' column) and "mrr_cents" (int64) or "arpu_cents"
 * (float64). Customers without MRR in the months used are left out. */
SEGKIT_API segkit_status segkit_value_from_mrr(const segkit_mrr_result *r,
                                               const segkit_table *subscriptions,
                                               const char *customer_column,
                                               segkit_value_measure measure, int32_t month,
                                               segkit_table **out, segkit_error *err);
/* Lifetime net revenue (segkit_revenue_customer_net): columns customer (transactions'
 * column) and "revenue_cents" (int64). */
SEGKIT_API segkit_status segkit_value_from_revenue(const segkit_revenue_result *r,
                                                   const segkit_table *transactions,
                                                   const char *customer_column,
                                                   segkit_table **out, segkit_error *err);

/* ---- engagement (src/family/engagement.c) --------------------------------------------
 *
 * From an events log (customer, timestamp or date), as of a day: for each customer with an
 * event on or before as_of, days_since_last = as_of - the day of its last event, and
 * events_in_window = its events in the window_days days ending at as_of (as_of included).
 *   active   days_since_last <= active_days and events_in_window >= active_min_events;
 *   dormant  days_since_last > dormant_days;
 *   at_risk  otherwise. */

typedef struct segkit_engagement_options {
  const char *customer;        /* default "customer_id" */
  const char *timestamp;       /* default "timestamp" */
  int32_t as_of;               /* day; events after it are ignored */
  int32_t window_days;         /* default 30 */
  int32_t active_days;         /* default 7 */
  int64_t active_min_events;   /* default 2 */
  int32_t dormant_days;        /* default 30 */
  int n_threads;               /* as for RFM */
} segkit_engagement_options;

SEGKIT_API void segkit_engagement_options_init(segkit_engagement_options *opt);

typedef enum segkit_engagement_state {
  SEGKIT_ENGAGEMENT_ACTIVE = 0,
  SEGKIT_ENGAGEMENT_AT_RISK,
  SEGKIT_ENGAGEMENT_DORMANT,
  SEGKIT_ENGAGEMENT_COUNT
} segkit_engagement_state;
/* "active", "at_risk", "dormant". */
SEGKIT_API const char *segkit_engagement_state_name(segkit_engagement_state s);

/* Table: customer, days_since_last (int64), events_in_window (int64), state (string).
 * Rows with a null customer or timestamp are skipped. SEGKIT_ERR_USAGE for window_days or
 * active_days < 1, active_days > window_days, dormant_days < active_days or
 * active_min_events < 1. counts may be NULL. */
SEGKIT_API segkit_status segkit_engagement_compute(const segkit_table *events,
                                                   const segkit_engagement_options *opt,
                                                   segkit_table **out,
                                                   size_t counts[SEGKIT_ENGAGEMENT_COUNT],
                                                   segkit_error *err);

#ifdef __cplusplus
}
#endif
#endif
