/* segkit/datetime.h: parsing and formatting of dates and timestamps.
 *
 * segkit stores every timestamp as int64 microseconds since 1970-01-01T00:00:00Z (UTC)
 * and every date as int32 days since 1970-01-01, proleptic Gregorian calendar, so
 * comparisons and differences are integer arithmetic. Inputs with a UTC offset are
 * converted to UTC; inputs without one are taken as UTC.
 *
 * Parsers are pure functions on a byte span (not NUL-terminated), allocate nothing,
 * never consult the locale or the TZ environment, and are safe from any thread.
 * A compiled segkit_time_format is immutable and may be shared across threads. */
#ifndef SEGKIT_DATETIME_H
#define SEGKIT_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEGKIT_US_PER_SEC INT64_C(1000000)
#define SEGKIT_US_PER_DAY INT64_C(86400000000)

/* Days since 1970-01-01 of a proleptic Gregorian civil date; month 1-12, day 1-31.
 * Does not validate; see segkit_date_valid. */
SEGKIT_API int32_t segkit_days_from_civil(int64_t year, unsigned month, unsigned day);
/* Inverse of segkit_days_from_civil. */
SEGKIT_API void segkit_civil_from_days(int32_t days, int64_t *year, unsigned *month,
                                       unsigned *day);
SEGKIT_API bool segkit_date_valid(int64_t year, unsigned month, unsigned day);

/* Strict ISO date "YYYY-MM-DD" (also "YYYY/MM/DD"). Years 0001-9999. */
SEGKIT_API bool segkit_parse_date(const char *s, size_t n, int32_t *days_out);

/* Timestamp in any of the automatic formats:
 *   YYYY-MM-DD                             (midnight UTC)
 *   YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]    (fraction up to 9 digits, kept to microseconds)
 *   ...followed by Z, +HH, +HH:MM or +HHMM (or -)   (converted to UTC)
 * Unix seconds are not recognised here, because an integer column is ambiguous; see
 * segkit_parse_unix_seconds. */
SEGKIT_API bool segkit_parse_timestamp(const char *s, size_t n, int64_t *us_out);

/* Integer or decimal Unix seconds ("1700000000", "1700000000.25"). */
SEGKIT_API bool segkit_parse_unix_seconds(const char *s, size_t n, int64_t *us_out);

/* A user-supplied format, strptime-like, for what the automatic formats do not cover.
 * Directives: %Y (4-digit year) %y (2-digit, 69-99 -> 19xx, else 20xx) %m %d (1 or 2
 * digits) %e (day, space padded) %H %M %S (1 or 2 digits) %I + %p (12-hour clock,
 * AM/PM) %f (fraction of a second, 1-9 digits) %b / %B (English month name, abbreviated
 * or full, any case) %j (day of year) %z (Z, +HH, +HH:MM, +HHMM) %s (Unix seconds)
 * %% (a percent sign). Any other character must match itself; a space matches one or
 * more spaces. */
typedef struct segkit_time_format segkit_time_format;

SEGKIT_API segkit_status segkit_time_format_new(const char *pattern, segkit_time_format **out,
                                                segkit_error *err);
SEGKIT_API void segkit_time_format_free(segkit_time_format *fmt);
/* Whether the pattern carries a time of day (then it suits timestamp columns). */
SEGKIT_API bool segkit_time_format_has_time(const segkit_time_format *fmt);
SEGKIT_API bool segkit_time_format_parse(const segkit_time_format *fmt, const char *s, size_t n,
                                         int64_t *us_out);

/* "YYYY-MM-DD"; buf needs 11 bytes (more for years beyond 9999). Returns length. */
SEGKIT_API size_t segkit_format_date(int32_t days, char *buf, size_t size);
/* "YYYY-MM-DDTHH:MM:SSZ", with ".ffffff" when there are microseconds; 32 bytes is enough. */
SEGKIT_API size_t segkit_format_timestamp(int64_t us, char *buf, size_t size);

/* Current time in microseconds since the epoch (UTC). */
SEGKIT_API int64_t segkit_now_us(void);

/* The UTC day (days since 1970-01-01) an instant falls on: floor division, so instants
 * before 1970 land on the day they belong to, not the one after. */
SEGKIT_API int32_t segkit_day_of_us(int64_t us);

#ifdef __cplusplus
}
#endif
#endif
