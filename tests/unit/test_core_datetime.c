/* Dates and timestamps: calendar arithmetic against a day-by-day walk of the calendar,
 * hand-computed instants, formatting, compiled formats, and every row of
 * tests/data/core/datetime_reference.csv (expected values from Python's datetime, see
 * make_datetime_reference.py there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "testkit.h"

#define US_PER_SEC INT64_C(1000000)

/* ---- calendar ------------------------------------------------------------------------- */

static void core_datetime_days_from_civil_hand_values(void **state) {
  (void)state;
  assert_int_equal(segkit_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(segkit_days_from_civil(1969, 12, 31), -1);
  /* 30 years (7 of them leap: 1972..1996) + Jan 31 + Feb 28 days: 10957 + 59 = 11016. */
  assert_int_equal(segkit_days_from_civil(2000, 2, 29), 11016);
  /* 54 years with 13 leap days = 19723, + 31 + 29 + 4 = 19787. */
  assert_int_equal(segkit_days_from_civil(2024, 3, 5), 19787);
  /* Proleptic ordinal of 1970-01-01 is 719163 (0001-01-01 is ordinal 1). */
  assert_int_equal(segkit_days_from_civil(1, 1, 1), -719162);
  assert_int_equal(segkit_days_from_civil(9999, 12, 31), 2932896);
  assert_int_equal(segkit_days_from_civil(0, 12, 31), -719163);
  assert_int_equal(segkit_days_from_civil(INT64_C(99999999), 1, 1), INT32_MAX);
  assert_int_equal(segkit_days_from_civil(-INT64_C(99999999), 1, 1), INT32_MIN);
}

/* Walk every day from 0001-01-01 to 9999-12-31 with a plain month-length table and check
 * both conversions against the running day number. */
static void core_datetime_civil_walk_all_days(void **state) {
  (void)state;
  static const unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int32_t n = -719162;
  for (int64_t y = 1; y <= 9999; y++) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    for (unsigned m = 1; m <= 12; m++) {
      unsigned dim = month_days[m - 1] + (m == 2 && leap);
      for (unsigned d = 1; d <= dim; d++, n++) {
        if (segkit_days_from_civil(y, m, d) != n) {
          fail_msg("days_from_civil(%lld-%u-%u) != %d", (long long)y, m, d, n);
        }
        int64_t yy;
        unsigned mm;
        unsigned dd;
        segkit_civil_from_days(n, &yy, &mm, &dd);
        if (yy != y || mm != m || dd != d) {
          fail_msg("civil_from_days(%d) = %lld-%u-%u", n, (long long)yy, mm, dd);
        }
      }
      assert_false(segkit_date_valid(y, m, dim + 1));
      assert_true(segkit_date_valid(y, m, dim));
    }
  }
  assert_int_equal(n, 2932897);
}

static void core_datetime_date_valid(void **state) {
  (void)state;
  assert_true(segkit_date_valid(2000, 2, 29));
  assert_true(segkit_date_valid(2024, 2, 29));
  assert_false(segkit_date_valid(1900, 2, 29));
  assert_false(segkit_date_valid(2023, 2, 29));
  assert_false(segkit_date_valid(2024, 0, 1));
  assert_false(segkit_date_valid(2024, 13, 1));
  assert_false(segkit_date_valid(2024, 1, 0));
  assert_false(segkit_date_valid(2024, 4, 31));
}

/* ---- automatic formats ---------------------------------------------------------------- */

static int64_t ts(const char *s) {
  int64_t us = INT64_MIN;
  if (!segkit_parse_timestamp(s, strlen(s), &us)) {
    return INT64_MIN;
  }
  return us;
}

static void core_datetime_parse_timestamp_hand_values(void **state) {
  (void)state;
  assert_int_equal(ts("1970-01-01"), 0);
  assert_int_equal(ts("1970-01-01T00:00:01Z"), US_PER_SEC);
  /* 2024-03-05 is day 19787: 19787 * 86400 = 1709596800 s; 10:11:12 adds 36672 s =
   * 1709633472 s local; at UTC+02:00 the UTC instant is 7200 s earlier: 1709626272 s. */
  assert_int_equal(ts("2024-03-05T10:11:12Z"), INT64_C(1709633472) * US_PER_SEC);
  assert_int_equal(ts("2024-03-05T10:11:12+02:00"), INT64_C(1709626272) * US_PER_SEC);
  assert_int_equal(ts("2024-03-05T10:11:12+0200"), INT64_C(1709626272) * US_PER_SEC);
  assert_int_equal(ts("2024-03-05T10:11:12+02"), INT64_C(1709626272) * US_PER_SEC);
  assert_int_equal(ts("2024-03-05 10:11:12-01:30"), INT64_C(1709638872) * US_PER_SEC);
  assert_int_equal(ts("2024-03-05T10:11"), INT64_C(1709633460) * US_PER_SEC);
  /* Fractions: up to 9 digits, truncated (not rounded) to microseconds. */
  assert_int_equal(ts("1970-01-01T00:00:00.5"), 500000);
  assert_int_equal(ts("1970-01-01T00:00:00.1234569"), 123456);
  assert_int_equal(ts("1970-01-01T00:00:00.000000999"), 0);
  assert_int_equal(ts("1969-12-31T23:59:59.75Z"), -250000);
}

static void core_datetime_parse_timestamp_rejects(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "2023-02-29",
                       "2024-03-05T24:00:00",
                       "2024-03-05T23:59:60", /* leap seconds are rejected, see datetime.c */
                       "2024-13-05",
                       "2024-03-05T10:11:12Zjunk",
                       "2024-1-5",
                       "2024-03-05T10:11:12+25:00",
                       "2024-03-05T10:11:12+18:30",
                       "0000-06-01",
                       "2024-03-05T10:11:12.1234567890"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t us = 42;
    if (segkit_parse_timestamp(bad[i], strlen(bad[i]), &us)) {
      fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(us, 42); /* output untouched on failure */
  }
  /* The span is not NUL-terminated: a valid prefix of a longer buffer parses. */
  int64_t us;
  assert_true(segkit_parse_timestamp("2024-03-05T10:11:12Zjunk", 20, &us));
  assert_int_equal(us, INT64_C(1709633472) * US_PER_SEC);
}

static void core_datetime_parse_date(void **state) {
  (void)state;
  int32_t d = 0;
  assert_true(segkit_parse_date("2000-02-29", 10, &d));
  assert_int_equal(d, 11016);
  assert_true(segkit_parse_date("2000/02/29", 10, &d));
  assert_int_equal(d, 11016);
  assert_false(segkit_parse_date("2000-02/29", 10, &d));
  assert_false(segkit_parse_date("2001-02-29", 10, &d));
  assert_false(segkit_parse_date("2000-02-29T", 11, &d));
}

static void core_datetime_parse_unix_seconds(void **state) {
  (void)state;
  int64_t us = 0;
  assert_true(segkit_parse_unix_seconds("1700000000", 10, &us));
  assert_int_equal(us, INT64_C(1700000000) * US_PER_SEC);
  assert_true(segkit_parse_unix_seconds("1700000000.25", 13, &us));
  assert_int_equal(us, INT64_C(1700000000250000));
  assert_true(segkit_parse_unix_seconds("-1.5", 4, &us));
  assert_int_equal(us, -1500000);
  assert_false(segkit_parse_unix_seconds("", 0, &us));
  assert_false(segkit_parse_unix_seconds("1e9", 3, &us));
  assert_false(segkit_parse_unix_seconds("253402300800", 12, &us)); /* year 10000 */
}

/* ---- formatting ----------------------------------------------------------------------- */

static void core_datetime_format(void **state) {
  (void)state;
  char buf[64];
  assert_int_equal(segkit_format_date(0, buf, sizeof buf), 10);
  assert_string_equal(buf, "1970-01-01");
  segkit_format_date(-1, buf, sizeof buf);
  assert_string_equal(buf, "1969-12-31");
  segkit_format_date(11016, buf, sizeof buf);
  assert_string_equal(buf, "2000-02-29");
  segkit_format_date(-719163, buf, sizeof buf);
  assert_string_equal(buf, "0000-12-31");
  segkit_format_date(2932897, buf, sizeof buf);
  assert_string_equal(buf, "10000-01-01");

  assert_int_equal(segkit_format_timestamp(0, buf, sizeof buf), 20);
  assert_string_equal(buf, "1970-01-01T00:00:00Z");
  segkit_format_timestamp(-1, buf, sizeof buf);
  assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
  segkit_format_timestamp(INT64_C(1709626272) * US_PER_SEC, buf, sizeof buf);
  assert_string_equal(buf, "2024-03-05T08:11:12Z");
  segkit_format_timestamp(INT64_C(1709626272000001), buf, sizeof buf);
  assert_string_equal(buf, "2024-03-05T08:11:12.000001Z");
  /* Extremes must not overflow and must fit in 32 bytes. */
  assert_true(segkit_format_timestamp(INT64_MIN, buf, sizeof buf) < 32);
  assert_true(segkit_format_timestamp(INT64_MAX, buf, sizeof buf) < 32);
  assert_string_equal(buf, "294247-01-10T04:00:54.775807Z");

  /* snprintf contract: truncated copy, full length returned. */
  char small[5];
  assert_int_equal(segkit_format_timestamp(0, small, sizeof small), 20);
  assert_string_equal(small, "1970");
  assert_int_equal(segkit_format_date(0, NULL, 0), 10);
}

/* splitmix64: a tiny deterministic generator for the round trips. */
static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void core_datetime_format_parse_round_trip(void **state) {
  (void)state;
  uint64_t seed = 7;
  const int64_t lo = INT64_C(-62135596800000000);
  const int64_t span = INT64_C(315537897600000000); /* years 0001..9999 */
  for (int i = 0; i < 200000; i++) {
    int64_t us = lo + (int64_t)(next_random(&seed) % (uint64_t)span);
    if (i % 2 == 0) {
      us -= us % US_PER_SEC; /* half without a fraction */
    }
    char buf[40];
    size_t n = segkit_format_timestamp(us, buf, sizeof buf);
    int64_t back;
    if (!segkit_parse_timestamp(buf, n, &back) || back != us) {
      fail_msg("round trip of %lld via \"%s\"", (long long)us, buf);
    }
  }
}

/* ---- compiled formats ----------------------------------------------------------------- */

static void core_datetime_format_compile_errors(void **state) {
  (void)state;
  const char *bad[] = {"",       "%Q",          "%Y-%",        "%m/%d",     "%I:%M %Y",
                       "%Y %p",  "%s %Y",       "%Y-%j-%d",    "%Y %Y",     "%H %I %p %Y",
                       "%s%z"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    segkit_time_format *fmt = NULL;
    segkit_error err;
    segkit_status st = segkit_time_format_new(bad[i], &fmt, &err);
    if (st != SEGKIT_ERR_USAGE) {
      fail_msg("pattern \"%s\" gave status %d", bad[i], (int)st);
    }
    assert_null(fmt);
    assert_true(strlen(err.message) > 0);
  }
  segkit_error err;
  segkit_time_format *fmt = NULL;
  assert_int_equal(segkit_time_format_new("%Y-%m-%d %Q", &fmt, &err), SEGKIT_ERR_USAGE);
  assert_non_null(strstr(err.message, "%Q"));
}

static void core_datetime_format_has_time(void **state) {
  (void)state;
  const struct {
    const char *pattern;
    bool has_time;
  } cases[] = {{"%d/%m/%Y", false}, {"%Y-%j", false},      {"%Y-%m-%d %H:%M", true},
               {"%s", true},         {"%b %d %Y", false}, {"%m/%d/%y %I %p", true}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    segkit_time_format *fmt;
    assert_int_equal(segkit_time_format_new(cases[i].pattern, &fmt, NULL), SEGKIT_OK);
    assert_int_equal(segkit_time_format_has_time(fmt), cases[i].has_time);
    segkit_time_format_free(fmt);
  }
  segkit_time_format_free(NULL);
}

static void core_datetime_format_hand_values(void **state) {
  (void)state;
  segkit_time_format *fmt;
  int64_t us;
  assert_int_equal(segkit_time_format_new("%m/%d/%y %I:%M %p", &fmt, NULL), SEGKIT_OK);
  /* 2024-03-05 22:11 = 1709596800 + 22*3600 + 11*60 = 1709676660 s. */
  assert_true(segkit_time_format_parse(fmt, "3/5/24 10:11 PM", 15, &us));
  assert_int_equal(us, INT64_C(1709676660) * US_PER_SEC);
  assert_false(segkit_time_format_parse(fmt, "3/5/24 10:11", 12, &us));
  segkit_time_format_free(fmt);

  assert_int_equal(segkit_time_format_new("%d %B %Y %% %H:%M %z", &fmt, NULL), SEGKIT_OK);
  const char *s = "05   march 2024 % 10:11 -01:00"; /* a space matches several */
  assert_true(segkit_time_format_parse(fmt, s, strlen(s), &us));
  assert_int_equal(us, INT64_C(1709637060) * US_PER_SEC); /* 1709633460 + 3600 */
  segkit_time_format_free(fmt);
}

/* ---- reference table ------------------------------------------------------------------ */

/* Split one CSV line (RFC 4180 quoting, no newlines inside fields) into 3 fields, in
 * place; returns the number of fields found. */
static int split_csv3(char *line, char *fields[3]) {
  int n = 0;
  char *p = line;
  while (n < 3) {
    char *out = p;
    fields[n++] = out;
    if (*p == '"') {
      p++;
      for (;;) {
        if (*p == '\0') {
          return -1;
        }
        if (*p == '"' && p[1] == '"') {
          *out++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          *out++ = *p++;
        }
      }
    } else {
      while (*p != ',' && *p != '\0') {
        *out++ = *p++;
      }
    }
    char sep = *p;
    *out = '\0';
    if (sep != ',') {
      break;
    }
    p++;
  }
  return n;
}

static bool run_reference(const char *parser, const char *input, int64_t *us) {
  size_t n = strlen(input);
  if (strcmp(parser, "timestamp") == 0) {
    return segkit_parse_timestamp(input, n, us);
  }
  if (strcmp(parser, "unix") == 0) {
    return segkit_parse_unix_seconds(input, n, us);
  }
  if (strcmp(parser, "date") == 0) {
    int32_t days;
    if (!segkit_parse_date(input, n, &days)) {
      return false;
    }
    *us = (int64_t)days * SEGKIT_US_PER_DAY;
    return true;
  }
  if (strncmp(parser, "format:", 7) == 0) {
    segkit_time_format *fmt;
    segkit_error err;
    if (segkit_time_format_new(parser + 7, &fmt, &err) != SEGKIT_OK) {
      fail_msg("pattern \"%s\": %s", parser + 7, err.message);
    }
    bool ok = segkit_time_format_parse(fmt, input, n, us);
    segkit_time_format_free(fmt);
    return ok;
  }
  fail_msg("unknown parser \"%s\"", parser);
  return false;
}

static void core_datetime_reference_table(void **state) {
  (void)state;
  size_t size;
  char *text = tu_read_file(SEGKIT_TEST_DATA "/core/datetime_reference.csv", &size);
  assert_non_null(text);
  size_t rows = 0;
  size_t invalid = 0;
  size_t failures = 0;
  char *save = NULL;
  char *line = strtok_r(text, "\n", &save);
  assert_string_equal(line, "parser,input,expected");
  /* strtok_r skips empty lines, but the generator never writes one: an empty input is
   * written as a quoted "" field. */
  for (line = strtok_r(NULL, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *f[3];
    assert_int_equal(split_csv3(line, f), 3);
    bool want_ok = strcmp(f[2], "invalid") != 0;
    int64_t want = want_ok ? strtoll(f[2], NULL, 10) : 0;
    int64_t got = 0;
    bool ok = run_reference(f[0], f[1], &got);
    if (ok != want_ok || (ok && got != want)) {
      if (failures++ < 20) {
        print_message("%s \"%s\": expected %s, got %s %lld\n", f[0], f[1], f[2],
                      ok ? "ok" : "invalid", (long long)got);
      }
    }
    rows++;
    invalid += !want_ok;
  }
  free(text);
  assert_int_equal(failures, 0);
  assert_true(rows >= 5000);
  assert_true(invalid >= 500);
  assert_true(rows - invalid >= 4000);
}

/* Random bytes and random mutations of a valid stamp must never be misread past their
 * span (ASan checks) nor crash. */
static void core_datetime_parse_garbage(void **state) {
  (void)state;
  uint64_t seed = 99;
  char buf[40];
  for (int i = 0; i < 100000; i++) {
    memcpy(buf, "2024-03-05T10:11:12.123+05:30", 29);
    size_t n = next_random(&seed) % 30;
    size_t flips = next_random(&seed) % 3;
    for (size_t k = 0; k < flips && n > 0; k++) {
      buf[next_random(&seed) % n] = (char)next_random(&seed);
    }
    char *heap = malloc(n > 0 ? n : 1); /* exact-size copy: ASan catches over-reads */
    memcpy(heap, buf, n);
    int64_t us;
    int32_t d;
    (void)segkit_parse_timestamp(heap, n, &us);
    (void)segkit_parse_date(heap, n, &d);
    (void)segkit_parse_unix_seconds(heap, n, &us);
    free(heap);
  }
}

static void core_datetime_now(void **state) {
  (void)state;
  int64_t now = segkit_now_us();
  assert_true(now > INT64_C(1704067200) * US_PER_SEC);  /* after 2024-01-01 */
  assert_true(now < INT64_C(4102444800) * US_PER_SEC);  /* before 2100-01-01 */
}

/* An offset can carry a local time at either end of years 0001-9999 outside them; such an
 * instant could not be printed as a 4-digit year, so it is refused (found by fuzz_datetime).
 * By hand: 9999-12-31T23:59:59-18:00 is 10000-01-01T17:59:59Z; 0001-01-01T00:00:00+01:00 is
 * 0000-12-31T23:00:00Z; the same times with offsets that keep them inside parse. */
static void core_datetime_offsets_cannot_leave_the_range(void **state) {
  (void)state;
  int64_t us = 0;
  const char *out[] = {"9999-12-31T23:59:59-18:00", "0001-01-01T00:00:00+01:00",
                       "9999-12-31T23:59:59.999999-00:01"};
  for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
    assert_false(segkit_parse_timestamp(out[i], strlen(out[i]), &us));
  }
  const char *in = "9999-12-31T23:59:59+18:00";
  assert_true(segkit_parse_timestamp(in, strlen(in), &us));
  /* 9999-12-31T05:59:59Z: days_from_civil(9999,12,31) = 2932896. */
  assert_true(us == ((int64_t)2932896 * 86400 + 5 * 3600 + 59 * 60 + 59) * 1000000);
  segkit_time_format *f = NULL;
  segkit_error err;
  assert_int_equal(segkit_time_format_new("%Y-%m-%d %H:%M %z", &f, &err), SEGKIT_OK);
  const char *v = "0001-01-01 00:30 +01:00";
  assert_false(segkit_time_format_parse(f, v, strlen(v), &us));
  segkit_time_format_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(core_datetime_days_from_civil_hand_values),
      cmocka_unit_test(core_datetime_civil_walk_all_days),
      cmocka_unit_test(core_datetime_date_valid),
      cmocka_unit_test(core_datetime_parse_timestamp_hand_values),
      cmocka_unit_test(core_datetime_parse_timestamp_rejects),
      cmocka_unit_test(core_datetime_parse_date),
      cmocka_unit_test(core_datetime_parse_unix_seconds),
      cmocka_unit_test(core_datetime_format),
      cmocka_unit_test(core_datetime_format_parse_round_trip),
      cmocka_unit_test(core_datetime_format_compile_errors),
      cmocka_unit_test(core_datetime_format_has_time),
      cmocka_unit_test(core_datetime_format_hand_values),
      cmocka_unit_test(core_datetime_reference_table),
      cmocka_unit_test(core_datetime_parse_garbage),
      cmocka_unit_test(core_datetime_now),
      cmocka_unit_test(core_datetime_offsets_cannot_leave_the_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
