/* Private to src/metrics: the prepared rows the MRR engine runs on, shared between
 * mrr_input.c (validation and normalisation of the table) and mrr_movements.c (the
 * per-customer pass and the result). */
#ifndef SEGKIT_METRICS_INT_H
#define SEGKIT_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "segkit/metrics.h"

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
} sk__period_acc;

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

/* At most this many worker threads. */
#define SK__MRR_MAX_THREADS 16

/* Threads to use for n_items (rows or customers): an explicit count is honoured (tests use
 * it to show results do not depend on it); 0 = one per online CPU, but no more than one per
 * ~20k items, below which a thread costs more than it saves. */
int sk__mrr_thread_count(int asked, size_t n_items);

/* Round a non-negative amount of cents half to even. Returns 0 on success, -1 when v is
 * negative, not finite or too large for exact integer cents (> 2^53). */
int sk__round_half_even_cents(double v, int64_t *out);

#endif
