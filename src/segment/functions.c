/* Functions of the rule language: the name tables the checker and the SQL writer share,
 * and the per-value helpers the evaluator calls (string tests, ASCII case mapping, UTF-8
 * length, calendar month arithmetic). Case mapping is ASCII-only and length counts UTF-8
 * code points, as SQLite's lower()/length() do, so rule and SQL agree on the same data. */
#include <string.h>

#include "segkit/datetime.h"
#include "segment/segment_int.h"

static const char *const func_names[SK__F_COUNT_] = {
    [SK__F_STARTS_WITH] = "starts_with", [SK__F_ENDS_WITH] = "ends_with",
    [SK__F_CONTAINS] = "contains",       [SK__F_LOWER] = "lower",
    [SK__F_UPPER] = "upper",             [SK__F_LENGTH] = "length",
    [SK__F_MATCHES] = "matches",         [SK__F_ABS] = "abs",
    [SK__F_ROUND] = "round",             [SK__F_DAYS_SINCE] = "days_since",
    [SK__F_COALESCE] = "coalesce",       [SK__F_YEAR] = "year",
    [SK__F_MONTH] = "month",             [SK__F_IN_SEGMENT] = "in_segment",
    [SK__F_DATE] = "date",               [SK__F_TIMESTAMP] = "timestamp",
};

static const char *const agg_names[] = {"count", "sum",   "min",  "max",
                                        "avg",   "first", "last", "exists"};

const char *sk__func_name(sk__func f) {
  return f < SK__F_COUNT_ ? func_names[f] : "?";
}

const char *sk__agg_name(sk__agg_kind a) {
  return (size_t)a < sizeof agg_names / sizeof agg_names[0] ? agg_names[a] : "?";
}

bool sk__func_lookup(const char *name, size_t len, sk__func *out) {
  for (int f = 0; f < SK__F_COUNT_; f++) {
    if (strlen(func_names[f]) == len && memcmp(func_names[f], name, len) == 0) {
      *out = (sk__func)f;
      return true;
    }
  }
  return false;
}

bool sk__agg_lookup(const char *name, size_t len, sk__agg_kind *out) {
  for (size_t a = 0; a < sizeof agg_names / sizeof agg_names[0]; a++) {
    if (strlen(agg_names[a]) == len && memcmp(agg_names[a], name, len) == 0) {
      *out = (sk__agg_kind)a;
      return true;
    }
  }
  return false;
}

void sk__offer_function_names(sk__suggest *s) {
  for (int f = 0; f < SK__F_COUNT_; f++) {
    sk__suggest_offer(s, func_names[f]);
  }
  for (size_t a = 0; a < sizeof agg_names / sizeof agg_names[0]; a++) {
    sk__suggest_offer(s, agg_names[a]);
  }
  sk__suggest_offer(s, "now");
  sk__suggest_offer(s, "used");
}

const char *sk__vtype_name(sk__vtype t) {
  static const char *const names[SK__V_COUNT] = {"null",   "bool", "int64",     "float64",
                                                 "string", "date", "timestamp", "duration"};
  return t < SK__V_COUNT ? names[t] : "?";
}

/* ---- calendar arithmetic --------------------------------------------------------- */

/* Add calendar months to a date, clamping the day to the month's last (2025-01-31 + 1mo
 * = 2025-02-28, as PostgreSQL does). Years outside 1..9999 give INT32_MIN (null). */
int32_t sk__add_months_days(int32_t days, int64_t months) {
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  segkit_civil_from_days(days, &y, &m, &d);
  int64_t total = y * 12 + (int64_t)(m - 1) + months;
  int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
  unsigned nm = (unsigned)(total - ny * 12) + 1;
  if (ny < 1 || ny > 9999) {
    return INT32_MIN;
  }
  static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned last = mdays[nm - 1];
  if (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0)) {
    last = 29;
  }
  return segkit_days_from_civil(ny, nm, d > last ? last : d);
}

int64_t sk__add_months_us(int64_t us, int64_t months) {
  /* floor division and its remainder, without negating or multiplying back (both can
   * overflow near INT64_MIN) */
  int64_t day = us / SEGKIT_US_PER_DAY;
  int64_t rest = us % SEGKIT_US_PER_DAY;
  if (rest < 0) {
    day--;
    rest += SEGKIT_US_PER_DAY;
  }
  if (day < INT32_MIN || day > INT32_MAX) {
    return INT64_MIN;
  }
  int32_t nd = sk__add_months_days((int32_t)day, months);
  int64_t out = 0;
  if (nd == INT32_MIN || __builtin_mul_overflow((int64_t)nd, SEGKIT_US_PER_DAY, &out) ||
      __builtin_add_overflow(out, rest, &out) || out == INT64_MIN) {
    return INT64_MIN; /* null: out of years 1-9999 or of int64 */
  }
  return out;
}
