/* Calendar months as integers (year * 12 + month - 1), the unit of every MRR series.
 *
 * Key design choice: a month is a plain int32 so month arithmetic (previous month, the
 * month span of a subscription row) is integer addition, and the snapshot day of a month
 * is derived from segkit_days_from_civil rather than from a table of month lengths. */
#include "segkit/datetime.h"
#include "segkit/metrics.h"

int32_t segkit_month_index(int64_t year, unsigned month) {
  return (int32_t)(year * 12 + (int64_t)month - 1);
}

void segkit_month_split(int32_t month_index, int64_t *year, unsigned *month) {
  /* Floor division so months before year 0 still split correctly. */
  int64_t y = month_index >= 0 ? month_index / 12 : -((-(int64_t)month_index + 11) / 12);
  *year = y;
  *month = (unsigned)(month_index - y * 12) + 1;
}

int32_t segkit_month_of_day(int32_t day) {
  int64_t y;
  unsigned m;
  unsigned d;
  segkit_civil_from_days(day, &y, &m, &d);
  return segkit_month_index(y, m);
}

int32_t segkit_month_last_day(int32_t month_index) {
  int64_t y;
  unsigned m;
  segkit_month_split(month_index + 1, &y, &m);
  return segkit_days_from_civil(y, m, 1) - 1;
}
