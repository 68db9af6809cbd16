/* Type inference rules: which column types a value fits, and which type a column gets.
 *
 * A column starts with every candidate type (bool, int64, float64, date, timestamp) and
 * each sampled non-null value removes the types it does not fit; the column gets the
 * first type left in that order, or string. Only types still in the running are tried,
 * so once a column is string its values cost nothing. The rules (documented in
 * docs/io.md and tested in tests/unit/test_io_infer.c):
 *   bool       true/false, t/f, yes/no in any case; not 0/1, which are int64
 *   int64      [+-]digits within range; a number with a redundant leading zero ("007",
 *              "02134") is a code and stays a string unless the type is fixed
 *   float64    decimal or exponent notation, finite; integers also fit; inf and nan do
 *              not (they would make a column of names like "Nan" numeric)
 *   date       YYYY-MM-DD (or YYYY/MM/DD), or options.date_format without a time part
 *   timestamp  the automatic ISO formats of segkit/datetime.h, or options.date_format;
 *              a date also fits, so a column mixing dates and timestamps is timestamp
 * Unix seconds are never inferred (an integer column is ambiguous); a caller who fixes a
 * column to timestamp gets integers read as Unix seconds.
 *
 * One exception to "every value fits": a date or timestamp column with a few typos
 * (2024-02-30, 05/03/2024 among ISO dates) stays a date or timestamp column when at least
 * 99% of at least 100 sampled values fit, and the typos become bad_value rejects. A
 * string column would keep them but lose what the column means: every tenure, cohort and
 * recency computed later needs the dates, and a reject names the bad row, where a silent
 * fall-back to text names nothing. Numbers get no such tolerance: a value that does not
 * parse as a number may be a code ("02134" keeps its zero only as a string), so a column
 * with any non-number stays a string. */
#include "io/io_int.h"

#define BIT(t) (1u << (t))

unsigned sk__infer_value(const char *s, size_t n, unsigned candidates,
                         const sk__infer_formats *f) {
  unsigned fits = 0;
  if (candidates & BIT(SEGKIT_TYPE_BOOL)) {
    bool b;
    if (sk__parse_bool(s, n, false, &b)) {
      return BIT(SEGKIT_TYPE_BOOL) & candidates;
    }
  }
  if (candidates & (BIT(SEGKIT_TYPE_INT64) | BIT(SEGKIT_TYPE_FLOAT64))) {
    if (!sk__has_leading_zero(s, n)) {
      int64_t i;
      sk__num_status st = sk__parse_int64(s, n, &i);
      if (st == SK__NUM_OK) {
        fits |= BIT(SEGKIT_TYPE_INT64) | BIT(SEGKIT_TYPE_FLOAT64);
      } else {
        double d;
        if (sk__parse_float64(s, n, &d) == SK__NUM_OK) {
          fits |= BIT(SEGKIT_TYPE_FLOAT64);
        }
      }
      if (fits != 0) {
        return fits & candidates; /* a number is not a date */
      }
    }
  }
  if (candidates & (BIT(SEGKIT_TYPE_DATE) | BIT(SEGKIT_TYPE_TIMESTAMP))) {
    int32_t days;
    int64_t us;
    if (segkit_parse_date(s, n, &days)) {
      fits |= BIT(SEGKIT_TYPE_DATE) | BIT(SEGKIT_TYPE_TIMESTAMP);
    } else if (segkit_parse_timestamp(s, n, &us)) {
      fits |= BIT(SEGKIT_TYPE_TIMESTAMP);
    }
    if (f != NULL && f->fmt != NULL && segkit_time_format_parse(f->fmt, s, n, &us)) {
      fits |= f->fmt_has_time ? BIT(SEGKIT_TYPE_TIMESTAMP)
                              : BIT(SEGKIT_TYPE_DATE) | BIT(SEGKIT_TYPE_TIMESTAMP);
    }
  }
  return fits & candidates;
}

segkit_type sk__infer_pick(unsigned candidates, bool seen_value) {
  static const segkit_type order[] = {SEGKIT_TYPE_BOOL, SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64,
                                      SEGKIT_TYPE_DATE, SEGKIT_TYPE_TIMESTAMP};
  if (!seen_value) {
    return SEGKIT_TYPE_STRING; /* an all-null sample says nothing */
  }
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    if (candidates & BIT(order[i])) {
      return order[i];
    }
  }
  return SEGKIT_TYPE_STRING;
}

segkit_type sk__infer_pick_tolerant(uint64_t n_values, uint64_t n_dates, uint64_t n_timestamps) {
  if (n_values < 100) {
    return SEGKIT_TYPE_STRING; /* too few values to call the misfits typos */
  }
  if (n_dates * 100 >= n_values * 99) {
    return SEGKIT_TYPE_DATE;
  }
  if (n_timestamps * 100 >= n_values * 99) {
    return SEGKIT_TYPE_TIMESTAMP;
  }
  return SEGKIT_TYPE_STRING;
}
