/* Private to src/metrics. Three parts:
 * - the pieces both transaction engines (MRR: mrr_*.c; cash revenue: revenue_*.c) run on,
 *   kept in one place so a fix to one engine's grouping, threading or column handling is a
 *   fix to both: column mapping (columns.c), worker threads over row ranges and their
 *   in-row-order join (parallel.c), rows put in customer order (customer_order.c);
 * - the prepared rows and the result of the MRR engine, shared between mrr_input.c
 *   (validation and normalisation of the table), mrr_movements.c (the per-customer pass)
 *   and mrr_groups.c (groups and periods);
 * - the mapping, rows and result of the revenue engine, shared between revenue_input.c,
 *   revenue_periods.c and revenue.c. */
#ifndef SEGKIT_METRICS_INT_H
#define SEGKIT_METRICS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/datetime.h"
#include "core/core_int.h"
#include "segkit/metrics.h"

/* ==== shared: column mapping (columns.c) ================================================= */

/* What a mapped column must hold; the error for another type names the expected types. */
typedef enum sk__col_kind {
  SK__COL_NUMBER, /* int64 or float64 */
  SK__COL_DAY,    /* date or timestamp */
  SK__COL_STRING, /* string */
  SK__COL_KEY     /* int64 or string (a customer id) */
} sk__col_kind;

typedef struct sk__colref {
  const segkit_column *col; /* NULL when an optional column is not mapped */
  segkit_type type;
  const char *name;         /* as mapped (borrowed from the options), or NULL */
} sk__colref;

/* Look up column `name` (the engine's `role`, for messages) and check its type. NULL name:
 * SEGKIT_ERR_USAGE when required, else an unmapped column (out->col = NULL). Missing:
 * SEGKIT_ERR_SCHEMA; wrong type: SEGKIT_ERR_TYPE; both name the column. */
segkit_status sk__find_column(const segkit_table *t, const char *name, const char *role,
                              bool required, sk__col_kind kind, sk__colref *out,
                              segkit_error *err);

/* Rate per currency dictionary code (0 = not in the rates: an error only for a row that
 * uses it) after checking every rate; *out is malloc'd, the caller frees it. */
segkit_status sk__resolve_rates(const segkit_column *currency, const segkit_mrr_rate *rates,
                                size_t n_rates, double **out, segkit_error *err);

/* Copy the mapped names of f[0..n) into out[0..n) (NULL where unmapped): results keep
 * their own copies, as skips and error messages outlive the caller's options. The caller
 * frees out[] on failure too. */
segkit_status sk__copy_column_names(const sk__colref *f, int n, char **out, segkit_error *err);
char *sk__dup_string(const char *s);

/* The per-row accessors are inline: they run once per row and column in the hot loops. */
static inline bool sk__is_null(const sk__colref *c, size_t row) {
  return c->col != NULL && !segkit_column_is_valid(c->col, row);
}

static inline double sk__number_at(const sk__colref *c, size_t row) {
  if (c->type == SEGKIT_TYPE_INT64) {
    return (double)segkit_column_int64(c->col)[row];
  }
  return segkit_column_float64(c->col)[row];
}

/* A timestamp counts from its UTC day (floor division: instants before 1970 too). Every
 * int64 timestamp's day fits in int32 (|us| / 86400e6 < 1.1e8). */
static inline int32_t sk__day_at(const sk__colref *c, size_t row) {
  if (c->type == SEGKIT_TYPE_DATE) {
    return segkit_column_date(c->col)[row];
  }
  /* inline rather than segkit_day_of_us: this runs once per row */
  int64_t us = segkit_column_timestamp(c->col)[row];
  int64_t d = us / SEGKIT_US_PER_DAY;
  if (us % SEGKIT_US_PER_DAY < 0) {
    d -= 1;
  }
  return (int32_t)d;
}

/* Customer key in unsigned order: int64 ids and dictionary codes alike, xor the sign bit,
 * so sorting the keys as uint64 sorts the ids as int64 (sk__customer_offsets undoes it). */
static inline uint64_t sk__customer_key_at(const sk__colref *c, size_t row) {
  if (c->type == SEGKIT_TYPE_STRING) {
    return (uint64_t)segkit_column_codes(c->col)[row] ^ (UINT64_C(1) << 63);
  }
  return (uint64_t)segkit_column_int64(c->col)[row] ^ (UINT64_C(1) << 63);
}

/* Floor of a / b for b > 0: month indices before year 0 are negative, and calendar
 * periods (quarters, years) must start on multiples of their length there too. */
static inline int32_t sk__floor_div(int32_t a, int32_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ==== shared: worker threads (parallel.c) ================================================ */

/* Threads come from core (sk__worker_count, sk__run_workers); the engines use one per
 * ~20k rows or customers at most, below which a thread costs more than it saves. */
#define SK__MRR_MAX_THREADS SK__MAX_WORKERS
static inline int sk__mrr_thread_count(int asked, size_t n_items) {
  return sk__worker_count(asked, n_items, 20000);
}

/* One contiguous range of input rows converted by one thread. Kept rows are written to the
 * engine's arrays from index r0 on (compacted within the range), then moved into place in
 * range order, so rows, skips and the error reported (the first in row order: every
 * earlier range converted without one) do not depend on the number of ranges. */
typedef struct sk__row_range {
  size_t r0, r1;            /* input rows [r0, r1) */
  size_t n_kept;            /* rows written from r0 on */
  segkit_mrr_skip *skips;
  size_t n_skips, skip_cap;
  int64_t total;            /* sum of the kept rows' magnitudes in cents */
  segkit_status status;     /* the first error in the range stops it */
  segkit_error err;
} sk__row_range;

/* Zero rr[0..np) and cut rows 0..n_rows into np ranges of near-equal size. */
void sk__row_ranges_init(sk__row_range *rr, int np, size_t n_rows);
/* Record that `row` is skipped; `field` is borrowed (the column name kept by the result).
 * Only a failed allocation fails (SEGKIT_ERR_NOMEM in r->err). */
segkit_status sk__row_range_skip(sk__row_range *r, size_t row, segkit_mrr_skip_reason reason,
                                 const char *field);
/* The first range's error in row order (copied to *err), or SEGKIT_OK. */
segkit_status sk__row_ranges_first_error(const sk__row_range *rr, int np, segkit_error *err);
/* Whether the ranges' totals add up to at most limit (each is at most limit already). */
bool sk__row_ranges_total_fits(const sk__row_range *rr, int np, int64_t limit);
/* Concatenate the ranges' skips in row order into one malloc'd array. */
segkit_status sk__row_ranges_join_skips(const sk__row_range *rr, int np, segkit_mrr_skip **out,
                                        size_t *n_out, segkit_error *err);
void sk__row_ranges_free(sk__row_range *rr, int np);

/* ==== shared: customer order (customer_order.c) ========================================== */

/* Whether the keys are already in order (exports by customer usually are). */
bool sk__keys_sorted(const uint64_t *key, size_t n);

/* Stable LSD radix sort of the keys, carrying each row's index. On success *keys is the
 * sorted array (the old one freed) and *perm_out (malloc'd) the input row of each sorted
 * position; on failure both are unchanged. */
segkit_status sk__sort_by_key(uint64_t **keys, size_t n, uint32_t **perm_out,
                              segkit_error *err);

/* Customer boundaries of keys in order: *off_out (n_customers + 1 row offsets) and
 * *keys_out (each customer's id, the sign bit put back), both malloc'd. */
segkit_status sk__customer_offsets(const uint64_t *key, size_t n, size_t **off_out,
                                   int64_t **keys_out, size_t *n_customers,
                                   segkit_error *err);

/* Cut customers 0..n_customers into nt ranges [first[t], first[t + 1]) of about the same
 * number of rows (so heavy customers spread evenly); first has nt + 1 entries. */
void sk__customer_ranges(const size_t *off, size_t n_customers, int nt, size_t *first);

/* Index of key in the sorted keys[0..n), or -1. */
long sk__customer_find(const int64_t *keys, size_t n, int64_t key);

/* ==== MRR ================================================================================ */

/* Columns of segkit_mrr_columns, in that order (names in error messages and skips). */
enum {
  SK__MRR_F_CUSTOMER = 0,
  SK__MRR_F_UNIT_PRICE,
  SK__MRR_F_QUANTITY,
  SK__MRR_F_INTERVAL,
  SK__MRR_F_INTERVAL_COUNT,
  SK__MRR_F_CURRENCY,
  SK__MRR_F_START,
  SK__MRR_F_TRIAL_END,
  SK__MRR_F_END,
  SK__MRR_F_DISCOUNT,
  SK__MRR_F_COUNT
};

/* One entry per usable row, in input row order. A row is paid (counted in MRR) on every
 * day d with paid_start <= d < end; the months whose last day falls in that span are
 * first_month..last_month (empty when first_month > last_month). */
typedef struct sk__mrr_rows {
  size_t n;              /* usable rows */
  size_t n_input;        /* rows of the input table */
  uint64_t *key;         /* customer key mapped to unsigned order (int64 ^ sign bit) */
  int64_t *mrr_cents;    /* normalised monthly amount, reporting currency, >= 0 */
  int32_t *first_month;
  int32_t *last_month;
  int32_t *paid_start;   /* first paid day: tie-break for a customer's group */
  int32_t *end_day;      /* first day without service, INT32_MAX when open */
  uint32_t *group;       /* index of the row's by-column values, 0 without by columns */
  segkit_grouping *grouping; /* of the input rows by the by columns, or NULL */
  segkit_mrr_skip *skips;
  size_t n_skips;
  char *field_names[SK__MRR_F_COUNT]; /* copies of the mapped column names (or NULL) */
} sk__mrr_rows;

/* Per-thread sums of the per-customer pass for one period of one group: the customers
 * active at the period's start followed to its end. */
/* Exact sums of squared cents: a customer's MRR squared reaches 2^62 and a million of them
 * overflow int64, while floating sums would depend on the order of addition (and so on the
 * thread count). */
__extension__ typedef __int128 sk__i128;

typedef struct sk__period_acc {
  int64_t customers_start;
  int64_t start_cents;
  int64_t retained;
  int64_t retained_cents;
  int64_t retained_capped_cents;
  /* for the ratio estimators' variance (NRR, GRR): over the starting customers, x = MRR
   * at the start, y = at the end, c = min(x, y) */
  sk__i128 sum_xx, sum_yy, sum_xy, sum_cc, sum_xc;
  /* for the variance of the LTV (ltv_moments.c): the products of the customers' a, b, c, d
   * (sk__ltv_index); in the totals' block also the customers with a month of the period
   * (the design's N, which every group shares) */
  int64_t ltv_customers;
  sk__i128 ltv_m[10];
} sk__period_acc;

/* ==== LTV moments (ltv_moments.c) ========================================================
 *
 * LTV = (A / B) / (C / D) over a period's months: A = month-end MRR summed, B = active month
 * ends, C = churns, D = customer-months at risk. Each sum is over customers, and a
 * customer's months can fall in several groups (a month belongs to its group at the start),
 * so the variance of a union of groups needs, besides each group's products, the products
 * of one customer's parts in two groups: kept per pair of groups that any customer visited
 * in the period (few: most customers stay in one group). */
enum { SK__LTV_A = 0, SK__LTV_B, SK__LTV_C, SK__LTV_D };

/* One customer's part of a period in one group. */
typedef struct sk__ltv_part {
  uint32_t group;
  int64_t v[4];
} sk__ltv_part;

typedef struct sk__ltv_pair {
  uint32_t period, g, h; /* g < h; g == UINT32_MAX marks a free slot while counting */
  sk__i128 s[4][4];      /* over the customers in both: sum of X in g times Y in h */
} sk__ltv_pair;

/* While counting: an open-addressing table (cap a power of two, or 0). After
 * sk__ltv_pairs_finish: n entries sorted by (period, g, h). */
typedef struct sk__ltv_pairs {
  sk__ltv_pair *e;
  size_t n, cap;
} sk__ltv_pairs;

/* Position of the product X * Y (X <= Y) in ltv_m. */
static inline size_t sk__ltv_index(size_t x, size_t y) {
  static const unsigned char k[4][4] = {{0, 1, 2, 3}, {1, 4, 5, 6}, {2, 5, 7, 8}, {3, 6, 8, 9}};
  return k[x][y];
}

/* Add a customer's parts of `period` (n_parts, distinct groups; 0 = none) to the block
 * accumulators: each part to its group's block (groups + 1 + group, when split), their sum
 * to the totals (total), and every two parts to the pairs. Returns -1 when out of memory. */
int sk__ltv_count(sk__period_acc *total, sk__period_acc *groups, size_t n_periods, uint32_t period,
                  const sk__ltv_part *parts, size_t n_parts, sk__ltv_pairs *pairs);
/* Add every entry of `from` to `into` (both counting tables). -1 when out of memory. */
int sk__ltv_pairs_merge(sk__ltv_pairs *into, const sk__ltv_pairs *from);
/* Compact and sort a counting table; off (n_periods + 1, malloc'd) gets where each
 * period's entries start. -1 when out of memory. */
int sk__ltv_pairs_finish(sk__ltv_pairs *p, size_t n_periods, size_t **off);
void sk__ltv_pairs_free(sk__ltv_pairs *p);
/* Add into acc->ltv_m the products of the customers' parts in two selected groups, so
 * that acc holds the moments of the union of the selected groups. */
void sk__ltv_union_moments(const segkit_mrr_result *r, size_t period, const bool *selected,
                           sk__period_acc *acc);
/* LTV, its standard error on the log scale and interval, from the block's sums (period p's
 * A, B, C, D filled from the months) and moments; n_design = customers with a month in
 * the period (all groups): the groups are domains of one sample of customers. */
void sk__ltv_derive(segkit_mrr_period *p, const sk__period_acc *a, int64_t n_design, double z);

struct segkit_mrr_result {
  int32_t from_month;
  size_t n_months;
  size_t n_groups;             /* 0 without a split */
  size_t n_keys;               /* by columns (+ 1 with tenure stages) */
  char **key_names;            /* n_keys */
  char **group_keys;           /* n_groups x n_keys */
  char **group_names;          /* n_groups */
  bool tenure_stages;
  segkit_mrr_month *months;    /* (n_groups + 1) blocks of n_months: totals, then groups */
  size_t n_periods;
  int32_t *period_first;       /* n_periods first months */
  int32_t *period_last;
  sk__period_acc *period_acc;  /* (n_groups + 1) x n_periods */
  sk__ltv_pairs ltv_pairs;     /* finished: sorted by (period, g, h) */
  size_t *ltv_pair_off;        /* n_periods + 1 */
  double conf_level;           /* of the periods' intervals (the options', defaulted) */
  int64_t min_customers;
  segkit_mrr_period *periods;  /* (n_groups + 1) x n_periods */
  int64_t *surv_at_risk;       /* (n_groups + 1) x (n_months + 1) */
  int64_t *surv_churned;
  double *surv_curve;
  size_t *surv_n;              /* n_groups + 1 */
  size_t n_customers;
  int64_t *customer_key;
  int64_t *customer_mrr;       /* n_customers x (n_months + 1), or NULL */
  uint32_t *customer_start_group; /* n_customers, with customer_mrr and a split, or NULL */
  segkit_mrr_skip *skips;      /* taken from the rows */
  size_t n_skips;
  size_t rows_used;
  char *field_names[SK__MRR_F_COUNT];
};

/* Add b's sums into a: the additive fields of a month (counts and money; not its rates),
 * and every field of a period accumulator. Thread results are merged, and unions of groups
 * summed, with these. */
void sk__mrr_month_add(segkit_mrr_month *a, const segkit_mrr_month *b);
void sk__period_acc_add(sk__period_acc *o, const sk__period_acc *a);

/* Group names, keys, periods and their accumulators of a result whose from_month,
 * n_months and tenure_stages are set (mrr_groups.c); the grouping may be NULL. */
segkit_status sk__mrr_layout(segkit_mrr_result *r, const segkit_grouping *grouping,
                             const segkit_mrr_options *opt, segkit_error *err);
/* After the pass: derive the periods' rates and the survival curves from the sums. */
segkit_status sk__mrr_finish_periods(segkit_mrr_result *r, const segkit_mrr_options *opt,
                                     segkit_error *err);
/* Stage of a tenure in days: 0 onboarding, 1 growth, 2 mature. */
uint32_t sk__tenure_stage(int32_t days);

/* Validate the table against the mapping and build the rows; on failure *rows is left
 * empty (freed). */
segkit_status sk__mrr_rows_build(const segkit_table *t, const segkit_mrr_options *opt,
                                 sk__mrr_rows *rows, segkit_error *err);
void sk__mrr_rows_free(sk__mrr_rows *rows);

/* Round a non-negative amount of cents half to even. Returns 0 on success, -1 when v is
 * negative, not finite or too large for exact integer cents (> 2^53). */
int sk__round_half_even_cents(double v, int64_t *out);

/* ==== revenue ============================================================================ */

/* Slot of a counted row: group << 13 | period << 2 | kind (periods < 2048). */
#define SK__REV_SLOT_PERIOD_BITS 11
#define SK__REV_KIND_CHARGE 0u   /* a charge of 0 cents: counted, but not a paying charge */
#define SK__REV_KIND_PAYING 1u   /* a charge of more than 0 cents */
#define SK__REV_KIND_REFUND 2u
/* Every sum is at most the sum of all counted rows' magnitudes; bounding that keeps all
 * int64 arithmetic (net = charges - refunds included) free of overflow. */
#define SK__REV_TOTAL_LIMIT (INT64_MAX / 4)

/* Columns of segkit_revenue_columns, in that order (names in error messages and skips). */
enum {
  SK__REV_F_CUSTOMER = 0,
  SK__REV_F_DATE,
  SK__REV_F_AMOUNT,
  SK__REV_F_CURRENCY,
  SK__REV_F_KIND,
  SK__REV_F_COUNT
};

/* The transactions table as the engine reads it: the mapped columns, the dictionaries
 * resolved once, the calendar of periods and the groups of the rows. */
typedef struct sk__rev_mapping {
  sk__colref f[SK__REV_F_COUNT];
  size_t n_group_cols;
  double *rate_of_code;        /* per currency dictionary code; <= 0 = not in the rates */
  int8_t *kind_of_code;        /* per kind dictionary code: 1 charge, -1 refund, 0 unknown */
  bool negative_is_refund;
  /* periods */
  int32_t from_month;          /* widened */
  size_t n_periods;
  int period_months;
  int32_t day0;                /* first day of the range */
  size_t n_days;
  uint16_t *period_of_day;     /* n_days entries */
  /* groups */
  segkit_grouping *grouping;   /* NULL without group columns */
  const uint32_t *group_of_row;
  size_t n_groups;
} sk__rev_mapping;

/* The counted rows: three flat arrays, in input row order after pass 1. */
typedef struct sk__rev_rows {
  size_t n_input;
  uint64_t *key;               /* customer key in unsigned order (sk__customer_key_at) */
  uint32_t *slot;              /* group << 13 | period << 2 | kind */
  int64_t *cents;              /* + charge, - refund */
  size_t n;                    /* counted rows, after compaction */
} sk__rev_rows;

struct segkit_revenue_result {
  int32_t from_month;          /* widened */
  int period_months;
  size_t n_periods;
  size_t n_groups;
  size_t n_group_cols;
  char **group_values;         /* n_groups x n_group_cols malloc'd strings */
  segkit_revenue_period *periods; /* (n_groups + 1) blocks of n_periods: totals, groups */
  size_t n_customers;
  int64_t *customer_key;
  int64_t *customer_net;
  segkit_mrr_skip *skips;
  size_t n_skips;
  size_t rows_used;
  size_t rows_counted;
  char *field_names[SK__REV_F_COUNT];
};

/* revenue_input.c: map the columns and resolve the currencies and kinds. */
segkit_status sk__rev_map_columns(const segkit_table *t, const segkit_revenue_options *opt,
                                  sk__rev_mapping *m, segkit_error *err);
/* revenue_input.c, pass 1: check and convert every row on threads into r (key, slot,
 * cents of the rows dated in the range, in row order); fills res's skips, rows_used and
 * rows_counted. res->field_names must be set (the skips borrow them). */
segkit_status sk__rev_rows_build(const sk__rev_mapping *m, int n_threads, sk__rev_rows *r,
                                 segkit_revenue_result *res, segkit_error *err);
void sk__rev_rows_free(sk__rev_rows *r);
void sk__rev_mapping_free(sk__rev_mapping *m);

/* revenue_periods.c: the calendar of periods (widening the range), the groups and their
 * cell limit. */
segkit_status sk__rev_build_periods(sk__rev_mapping *m, const segkit_revenue_options *opt,
                                    segkit_error *err);
segkit_status sk__rev_build_groups(const segkit_table *t, const segkit_revenue_columns *c,
                                   sk__rev_mapping *m, segkit_error *err);
/* revenue_periods.c, pass 2: group the rows by customer (reordering r) and sum them into
 * res's periods and customers. */
segkit_status sk__rev_aggregate(sk__rev_rows *r, const sk__rev_mapping *m, int n_threads,
                                segkit_revenue_result *res, segkit_error *err);
/* SEGKIT_OK when net = charges - refunds add up across groups and customers. */
segkit_status sk__rev_check_invariants(const segkit_revenue_result *r);

#endif
