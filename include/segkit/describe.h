/* segkit/describe.h: data-quality profile of a table.
 *
 * segkit_describe() reads a table once per column and reports, per column: type, null
 * share, exact distinct count, min, max, mean, standard deviation and quartiles (numeric,
 * date and timestamp columns), the most frequent values, and the suspicious values a
 * reviewer should look at: negative amounts, dates in the future or before 1990, and
 * outliers beyond Tukey's far-out fences (Q1 - k*IQR, Q3 + k*IQR, k = 3 by default).
 * With a key column it also counts duplicate keys.
 *
 * The profile is plain data owned by the caller (free with segkit_table_profile_free);
 * the table is only read, so several profiles may be computed at once. Definitions of
 * every statistic are in docs/metrics.md ("Data quality"). */
#ifndef SEGKIT_DESCRIBE_H
#define SEGKIT_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"
#include "segkit/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct segkit_describe_options {
  const char *key;      /* column whose values should be unique, or NULL */
  size_t top_n;         /* most frequent values reported per column (default 5) */
  double fence_k;       /* outlier fence multiplier on the IQR (default 3.0) */
  int64_t now_us;       /* "the future" starts here (default 0 = current time) */
  int32_t min_date_days;/* dates before this are suspicious (default 1990-01-01) */
} segkit_describe_options;

SEGKIT_API void segkit_describe_options_init(segkit_describe_options *opt);

typedef struct segkit_top_value {
  char *value;          /* the value as text (dates ISO 8601, floats shortest round-trip) */
  int64_t count;
} segkit_top_value;

typedef struct segkit_column_profile {
  char *name;
  segkit_type type;
  int64_t n_rows;
  int64_t n_null;
  double null_share;    /* n_null / n_rows, 0 for an empty table */
  int64_t n_distinct;   /* distinct non-null values (floats: by value, -0 == 0) */
  bool has_range;       /* min/max/quartiles set (some non-null value exists; numeric,
                           date, timestamp and bool columns) */
  char *min;            /* as text; NULL when !has_range (strings: NULL too) */
  char *max;
  bool has_moments;     /* mean/stddev set (numeric and bool columns, n >= 1) */
  double mean;          /* dates and timestamps: not set */
  double stddev;        /* sample standard deviation (n - 1), 0 when n == 1 */
  double q1, median, q3;/* numeric: linear interpolation between order statistics
                           (type 7, the default of R and NumPy); dates/timestamps: as
                           days / microseconds since the epoch */
  size_t n_top;
  segkit_top_value *top;/* most frequent non-null values, count descending, then value */
  /* Suspicious values. */
  int64_t n_negative;   /* numeric columns: values < 0 */
  bool negative_suspicious; /* negatives in a column named like an amount (amount, price,
                               revenue, mrr, arr, total, cost, fee, paid, spend, value)
                               or in a column that is otherwise >= 99% non-negative */
  int64_t n_future;     /* date/timestamp columns: after now */
  int64_t n_before_min_date; /* date/timestamp columns: before min_date_days */
  int64_t n_outliers_low;  /* numeric: below Q1 - k*IQR */
  int64_t n_outliers_high; /* numeric: above Q3 + k*IQR */
  double fence_low, fence_high; /* NaN (and no outliers counted) when IQR is 0 or the
                                   column has at most 2 distinct values */
  bool fences_log_scale;   /* fences from quartiles of log x: more than 10 distinct values,
                              the order statistic under Q1 positive, and Bowley skewness
                              (Q3 + Q1 - 2 median) / IQR > 0.25; values <= 0 fall below */
  int64_t n_empty_strings; /* string columns: "" values (not null) */
} segkit_column_profile;

/* A start-like column (name contains start, begin, created, signup, opened or from) and an
 * end-like one (end, cancel, churn, close, expire, until or to as a word), both date or
 * timestamp: rows with both values where end < start. */
typedef struct segkit_order_check {
  char *start_column;
  char *end_column;
  int64_t n_compared;     /* rows where both are non-null */
  int64_t n_end_before_start;
} segkit_order_check;

typedef struct segkit_table_profile {
  int64_t n_rows;
  size_t n_cols;
  segkit_column_profile *columns;
  char *key;                 /* the key column, or NULL */
  int64_t n_duplicate_keys;  /* distinct key values that occur more than once */
  int64_t n_rows_with_duplicate_key; /* rows whose key occurs more than once */
  int64_t n_null_keys;
  size_t n_duplicate_examples;
  segkit_top_value *duplicate_examples; /* up to 5 duplicated keys with their counts */
  /* Order checks between date/timestamp columns whose names say one starts and the other
   * ends something (see segkit_order_check): rows where the end is before the start. */
  size_t n_order_checks;
  struct segkit_order_check *order_checks;
} segkit_table_profile;

SEGKIT_API segkit_status segkit_describe(const segkit_table *t, const segkit_describe_options *opt,
                                         segkit_table_profile **out, segkit_error *err);
SEGKIT_API void segkit_table_profile_free(segkit_table_profile *p);

#ifdef __cplusplus
}
#endif
#endif
