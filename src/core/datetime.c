/* Civil dates, the automatic timestamp formats, Unix seconds and ISO formatting.
 *
 * Key design choice: the automatic formats have fixed field positions, so the parser
 * reads digits at known offsets (no scanning, no sscanf, no strtod, no locale) and
 * validates each field with unsigned compares; a typical "2024-03-05T10:11:12Z" costs a
 * couple of dozen branch-predictable instructions plus the calendar arithmetic. All
 * calendar conversion goes through segkit_days_from_civil, Howard Hinnant's
 * days_from_civil algorithm ("chrono-Compatible Low-Level Date Algorithms",
 * https://howardhinnant.github.io/date_algorithms.html), written out here for C.
 *
 * Validation is strict: years 0001-9999, month 1-12, day within its month (leap years
 * by the Gregorian rule), hour 0-23, minute 0-59, second 0-59, UTC offsets up to
 * +/-18:00. A leap second ("23:59:60") is rejected rather than folded into the next
 * minute or clamped to :59.999999: our instants are POSIX microseconds, which have no
 * leap seconds, and silently moving a value would make it compare wrongly with its
 * neighbours; rejecting it surfaces the row to the user instead. */
#include "segkit/datetime.h"

#include <time.h>

#include "core/core_int.h"

/* Years whose day numbers fit in int32 with room to spare (int32 days cover about
 * +/-5.88 million years); outside, segkit_days_from_civil saturates. */
#define SK_MAX_ABS_YEAR INT64_C(5000000)

/* ---- calendar arithmetic ------------------------------------------------------------ */

static bool is_leap(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned sk__days_in_month(int64_t year, unsigned month) {
  static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) {
    return 0;
  }
  if (month == 2 && is_leap(year)) {
    return 29;
  }
  return days[month - 1];
}

/* Hinnant's days_from_civil: shift the year to start on March 1 so the leap day is the
 * last day of the (shifted) year, split into 400-year eras of 146097 days, and count
 * days within the era with the 153-day five-month pattern of month lengths. */
int32_t segkit_days_from_civil(int64_t year, unsigned month, unsigned day) {
  if (year > SK_MAX_ABS_YEAR) {
    return INT32_MAX;
  }
  if (year < -SK_MAX_ABS_YEAR) {
    return INT32_MIN;
  }
  int64_t y = year - (month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;                                   /* [0, 399] */
  int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9; /* March = 0 */
  int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;           /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
  return (int32_t)(era * 146097 + doe - 719468);
}

/* Hinnant's civil_from_days, the inverse of the above. */
void segkit_civil_from_days(int32_t days, int64_t *year, unsigned *month, unsigned *day) {
  int64_t z = (int64_t)days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                                        /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* [0, 365] */
  int64_t mp = (5 * doy + 2) / 153;                                      /* [0, 11] */
  unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (m <= 2);
  *month = m;
  *day = d;
}

bool segkit_date_valid(int64_t year, unsigned month, unsigned day) {
  if (year > SK_MAX_ABS_YEAR || year < -SK_MAX_ABS_YEAR) {
    return false;
  }
  return day >= 1 && day <= sk__days_in_month(year, month);
}

int64_t sk__civil_to_us(int32_t days, unsigned hour, unsigned minute, unsigned second,
                        uint32_t micros, int32_t offset_seconds) {
  int64_t secs = (int64_t)days * 86400 + (int64_t)(hour * 3600 + minute * 60 + second) -
                 offset_seconds;
  return secs * SEGKIT_US_PER_SEC + micros;
}

/* ---- parsing -------------------------------------------------------------------------- */

/* Value of an ASCII digit, or something > 9 for any other byte. */
static inline unsigned digit_of(char c) {
  return (unsigned)(unsigned char)c - (unsigned)'0';
}

static inline bool read2(const char *s, unsigned *out) {
  unsigned a = digit_of(s[0]);
  unsigned b = digit_of(s[1]);
  if ((a > 9) | (b > 9)) {
    return false;
  }
  *out = a * 10 + b;
  return true;
}

static inline bool read4(const char *s, unsigned *out) {
  unsigned hi;
  unsigned lo;
  if (!read2(s, &hi) || !read2(s + 2, &lo)) {
    return false;
  }
  *out = hi * 100 + lo;
  return true;
}

/* "YYYY?MM?DD" at s (10 bytes available), both separators equal to sep. */
static bool parse_ymd(const char *s, char sep, int32_t *days_out) {
  unsigned year;
  unsigned month;
  unsigned day;
  if (s[4] != sep || s[7] != sep) {
    return false;
  }
  if (!read4(s, &year) || !read2(s + 5, &month) || !read2(s + 8, &day)) {
    return false;
  }
  if (year == 0 || month - 1 > 11 || day == 0 || day > sk__days_in_month(year, month)) {
    return false;
  }
  *days_out = segkit_days_from_civil(year, month, day);
  return true;
}

bool segkit_parse_date(const char *s, size_t n, int32_t *days_out) {
  if (n != 10) {
    return false;
  }
  char sep = s[4];
  if (sep != '-' && sep != '/') {
    return false;
  }
  return parse_ymd(s, sep, days_out);
}

size_t sk__parse_utc_offset(const char *s, size_t n, int32_t *seconds_east) {
  if (n == 0) {
    return 0;
  }
  if (s[0] == 'Z' || s[0] == 'z') {
    *seconds_east = 0;
    return 1;
  }
  if ((s[0] != '+' && s[0] != '-') || n < 3) {
    return 0;
  }
  unsigned hours;
  unsigned minutes = 0;
  if (!read2(s + 1, &hours)) {
    return 0;
  }
  size_t used = 3;
  if (n >= 6 && s[3] == ':') {
    if (!read2(s + 4, &minutes)) {
      return 0;
    }
    used = 6;
  } else if (n >= 5 && digit_of(s[3]) <= 9) {
    if (!read2(s + 3, &minutes)) {
      return 0;
    }
    used = 5;
  }
  if (minutes > 59 || hours * 60 + minutes > 18 * 60) {
    return 0;
  }
  int32_t secs = (int32_t)(hours * 3600 + minutes * 60);
  *seconds_east = s[0] == '-' ? -secs : secs;
  return used;
}

/* Digits of a fraction of a second at s[0..n): 1 to 9 digits, truncated to
 * microseconds. Returns the digits read, 0 if none or too many. */
static size_t read_fraction(const char *s, size_t n, uint32_t *micros_out) {
  static const uint32_t scale[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  uint32_t micros = 0;
  size_t i = 0;
  while (i < n && digit_of(s[i]) <= 9) {
    if (i < 6) {
      micros = micros * 10 + digit_of(s[i]);
    }
    i++;
  }
  if (i == 0 || i > 9) {
    return 0;
  }
  *micros_out = micros * scale[i < 6 ? i : 6];
  return i;
}

/* Positions in "YYYY-MM-DDTHH:MM:SS": 10 = 'T', 13 and 16 = ':', 19 = end of seconds. */
bool segkit_parse_timestamp(const char *s, size_t n, int64_t *us_out) {
  int32_t days;
  if (n < 10 || !parse_ymd(s, '-', &days)) {
    return false;
  }
  if (n == 10) {
    *us_out = (int64_t)days * SEGKIT_US_PER_DAY;
    return true;
  }
  char t = s[10];
  if ((t != 'T' && t != ' ' && t != 't') || n < 16 || s[13] != ':') {
    return false;
  }
  unsigned hour;
  unsigned minute;
  unsigned second = 0;
  uint32_t micros = 0;
  if (!read2(s + 11, &hour) || !read2(s + 14, &minute) || hour > 23 || minute > 59) {
    return false;
  }
  size_t pos = 16;
  if (pos < n && s[pos] == ':') {
    if (n < 19 || !read2(s + 17, &second) || second > 59) {
      return false;
    }
    pos = 19;
    if (pos < n && s[pos] == '.') {
      size_t digits = read_fraction(s + pos + 1, n - pos - 1, &micros);
      if (digits == 0) {
        return false;
      }
      pos += 1 + digits;
    }
  }
  int32_t offset = 0;
  if (pos < n && sk__parse_utc_offset(s + pos, n - pos, &offset) != n - pos) {
    return false;
  }
  int64_t us = sk__civil_to_us(days, hour, minute, second, micros, offset);
  if (!sk__us_in_range(us)) {
    return false; /* an offset moved it outside years 0001-9999 (fuzzing found this) */
  }
  *us_out = us;
  return true;
}

bool segkit_parse_unix_seconds(const char *s, size_t n, int64_t *us_out) {
  size_t i = 0;
  bool negative = n > 0 && s[0] == '-';
  if (negative) {
    i = 1;
  }
  size_t first = i;
  int64_t secs = 0;
  /* 12 digits already exceed the year-9999 limit, so stopping there cannot overflow. */
  while (i < n && digit_of(s[i]) <= 9 && i - first < 13) {
    secs = secs * 10 + digit_of(s[i]);
    i++;
  }
  if (i == first || i - first > 12) {
    return false;
  }
  uint32_t micros = 0;
  if (i < n && s[i] == '.') {
    size_t digits = read_fraction(s + i + 1, n - i - 1, &micros);
    if (digits == 0) {
      return false;
    }
    i += 1 + digits;
  }
  if (i != n) {
    return false;
  }
  int64_t us = secs * SEGKIT_US_PER_SEC + micros;
  if (negative) {
    us = -us;
  }
  if (us < SK_MIN_UNIX_SECONDS * SEGKIT_US_PER_SEC ||
      us > SK_MAX_UNIX_SECONDS * SEGKIT_US_PER_SEC + 999999) {
    return false;
  }
  *us_out = us;
  return true;
}

/* ---- formatting ----------------------------------------------------------------------- */

static char *put2(char *p, unsigned v) {
  p[0] = (char)('0' + v / 10);
  p[1] = (char)('0' + v % 10);
  return p + 2;
}

/* Year with at least 4 digits and a '-' for years before 1 BC (year 0 is 1 BC). */
static char *put_year(char *p, int64_t year) {
  char tmp[24];
  size_t n = 0;
  uint64_t v = year < 0 ? (uint64_t)0 - (uint64_t)year : (uint64_t)year;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < 4) {
    tmp[n++] = '0';
  }
  if (year < 0) {
    *p++ = '-';
  }
  while (n > 0) {
    *p++ = tmp[--n];
  }
  return p;
}

static char *put_date(char *p, int32_t days) {
  int64_t year;
  unsigned month;
  unsigned day;
  segkit_civil_from_days(days, &year, &month, &day);
  p = put_year(p, year);
  *p++ = '-';
  p = put2(p, month);
  *p++ = '-';
  return put2(p, day);
}

/* snprintf's contract: copy what fits with a NUL, return the full length. */
static size_t emit(const char *text, size_t len, char *buf, size_t size) {
  if (size > 0) {
    size_t copy = len < size - 1 ? len : size - 1;
    for (size_t i = 0; i < copy; i++) {
      buf[i] = text[i];
    }
    buf[copy] = '\0';
  }
  return len;
}

size_t segkit_format_date(int32_t days, char *buf, size_t size) {
  char text[32];
  char *end = put_date(text, days);
  return emit(text, (size_t)(end - text), buf, size);
}

size_t segkit_format_timestamp(int64_t us, char *buf, size_t size) {
  int64_t days = us / SEGKIT_US_PER_DAY;
  int64_t rem = us % SEGKIT_US_PER_DAY;
  if (rem < 0) { /* floor division: instants before 1970 belong to the earlier day */
    rem += SEGKIT_US_PER_DAY;
    days -= 1;
  }
  unsigned secs_of_day = (unsigned)(rem / SEGKIT_US_PER_SEC);
  unsigned micros = (unsigned)(rem % SEGKIT_US_PER_SEC);
  char text[48];
  char *p = put_date(text, (int32_t)days); /* |days| <= 2^63 / 8.64e10, fits int32 */
  *p++ = 'T';
  p = put2(p, secs_of_day / 3600);
  *p++ = ':';
  p = put2(p, secs_of_day / 60 % 60);
  *p++ = ':';
  p = put2(p, secs_of_day % 60);
  if (micros != 0) {
    *p++ = '.';
    for (unsigned div = 100000; div > 0; div /= 10) {
      *p++ = (char)('0' + micros / div % 10);
    }
  }
  *p++ = 'Z';
  return emit(text, (size_t)(p - text), buf, size);
}

int32_t segkit_day_of_us(int64_t us) {
  int64_t d = us / SEGKIT_US_PER_DAY;
  if (us % SEGKIT_US_PER_DAY < 0) {
    d -= 1;
  }
  return (int32_t)d;
}

int64_t segkit_now_us(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
    return 0; /* cannot happen for CLOCK_REALTIME on POSIX; no abort in a library */
  }
  return (int64_t)ts.tv_sec * SEGKIT_US_PER_SEC + ts.tv_nsec / 1000;
}
