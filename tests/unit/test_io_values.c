/* Reader building blocks: number and boolean parsing, UTF-8 validation, inference rules,
 * null spellings, message quoting.
 *
 * Expected values: glibc strtod/strtoll (correctly rounded, independent of segkit) on
 * many random inputs; an independent UTF-8 decoder written here from the definition
 * (decode the code point by bit masks, then require the shortest form, no surrogate, at
 * most U+10FFFF), run exhaustively on all 1-, 2- and 3-byte inputs; hand-written cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

/* xorshift64*: deterministic inputs for every run. */
static uint64_t rng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * UINT64_C(2685821657736338717);
}

/* ==== integers ========================================================================== */

static void io_values_int64_cases(void **state) {
  (void)state;
  int64_t v = 0;
  assert_int_equal(sk__parse_int64("0", 1, &v), SK__NUM_OK);
  assert_int_equal(v, 0);
  assert_int_equal(sk__parse_int64("-42", 3, &v), SK__NUM_OK);
  assert_int_equal(v, -42);
  assert_int_equal(sk__parse_int64("+7", 2, &v), SK__NUM_OK);
  assert_int_equal(v, 7);
  assert_int_equal(sk__parse_int64("9223372036854775807", 19, &v), SK__NUM_OK);
  assert_true(v == INT64_MAX);
  assert_int_equal(sk__parse_int64("-9223372036854775808", 20, &v), SK__NUM_OK);
  assert_true(v == INT64_MIN);
  assert_int_equal(sk__parse_int64("9223372036854775808", 19, &v), SK__NUM_RANGE);
  assert_int_equal(sk__parse_int64("-9223372036854775809", 20, &v), SK__NUM_RANGE);
  assert_int_equal(sk__parse_int64("18446744073709551616", 20, &v), SK__NUM_RANGE);
  assert_int_equal(sk__parse_int64("99999999999999999999999", 23, &v), SK__NUM_RANGE);
  assert_int_equal(sk__parse_int64("0000000000000000000000012", 25, &v), SK__NUM_OK);
  assert_int_equal(v, 12);
  assert_int_equal(sk__parse_int64("12345678", 8, &v), SK__NUM_OK); /* the SWAR path */
  assert_int_equal(v, 12345678);
  assert_int_equal(sk__parse_int64("1234567890123", 13, &v), SK__NUM_OK);
  assert_true(v == INT64_C(1234567890123));
  const char *bad[] = {"", "-", "+", "1a", " 1", "1 ", "1.0", "1e3", "0x10", "--1",
                       "1234567a", "12345678a", "123456789012345678901x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(sk__parse_int64(bad[i], strlen(bad[i]), &v), SK__NUM_SYNTAX);
  }
}

static void io_values_int64_random_vs_strtoll(void **state) {
  (void)state;
  uint64_t s = 12345;
  char buf[64];
  for (int i = 0; i < 200000; i++) {
    uint64_t r = rng_next(&s);
    int digits = 1 + (int)(r % 21);
    size_t n = 0;
    if (r >> 60 == 0) {
      buf[n++] = '-';
    } else if (r >> 60 == 1) {
      buf[n++] = '+';
    }
    for (int d = 0; d < digits; d++) {
      buf[n++] = (char)('0' + rng_next(&s) % 10);
    }
    buf[n] = '\0';
    errno = 0;
    char *end = NULL;
    long long want = strtoll(buf, &end, 10);
    int64_t got = 0;
    sk__num_status st = sk__parse_int64(buf, n, &got);
    if (errno == ERANGE) {
      assert_int_equal(st, SK__NUM_RANGE);
    } else {
      assert_int_equal(st, SK__NUM_OK);
      assert_true(got == want);
    }
  }
}

/* ==== decimals ========================================================================== */

static void check_float(const char *text) {
  double got = 0;
  sk__num_status st = sk__parse_float64(text, strlen(text), &got);
  errno = 0;
  char *end = NULL;
  double want = strtod(text, &end);
  assert_true(*end == '\0');
  if (!isfinite(want)) {
    assert_int_equal(st, SK__NUM_RANGE);
    return;
  }
  if (st != SK__NUM_OK) {
    fail_msg("%s: status %d", text, st);
  }
  if (memcmp(&got, &want, sizeof got) != 0) {
    fail_msg("%s: got %.17g want %.17g", text, got, want);
  }
}

static void io_values_float64_cases(void **state) {
  (void)state;
  const char *cases[] = {"0", "-0", "0.0", "-0.0", "49.00", "12.5", ".5", "5.", "-.5",
                         "1e3", "1E-3", "1e+22", "1e23", "1.5e25", "9007199254740992",
                         "9007199254740993", "9007199254740995", "0.1", "0.2", "0.3",
                         "123456789012345678", "1234567890123456789",
                         "12345678901234567890", "1234567890123456789012345678901234567890",
                         "0.000000000000000000000000000001", "1.7976931348623157e308",
                         "1.7976931348623158e308", "2.2250738585072011e-308",
                         "2.2250738585072014e-308", "4.9e-324", "2.4703282292062327e-324",
                         "2.4703282292062328e-324", "1e-400", "3.14159265358979323846264338",
                         "-1e22", "1e-22", "1e-23", "0.0000001", "100000000000000000000000",
                         "0e999999999999", "1e0000000000000000000000005",
                         "8.98846567431158e307", "179769313486231580793728971405301e276"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    check_float(cases[i]);
  }
  double v = 0;
  assert_int_equal(sk__parse_float64("1e309", 5, &v), SK__NUM_RANGE);
  assert_int_equal(sk__parse_float64("-1.8e308", 8, &v), SK__NUM_RANGE);
  const char *bad[] = {"", ".", "-", "+", "e5", "1e", "1e+", "1.2.3", "inf", "nan", "NaN",
                       "Infinity", "-inf", "0x1p3", "1,5", " 1", "1 ", "1e5x", "1d"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sk__num_status st = sk__parse_float64(bad[i], strlen(bad[i]), &v);
    if (st != SK__NUM_SYNTAX) {
      fail_msg("'%s' should be a syntax error, got %d", bad[i], st);
    }
  }
}

/* Random decimals of every shape (short and long mantissas, small and huge exponents,
 * leading/trailing zeros) must be bit-identical to strtod. */
static void io_values_float64_random_vs_strtod(void **state) {
  (void)state;
  uint64_t s = 987654321;
  char buf[96];
  for (int i = 0; i < 300000; i++) {
    uint64_t r = rng_next(&s);
    size_t n = 0;
    if (r & 1) {
      buf[n++] = '-';
    }
    int int_digits = (int)(rng_next(&s) % (r & 2 ? 24 : 8));
    int frac_digits = (int)(rng_next(&s) % (r & 4 ? 24 : 6));
    if (int_digits == 0 && frac_digits == 0) {
      int_digits = 1;
    }
    for (int d = 0; d < int_digits; d++) {
      buf[n++] = (char)('0' + rng_next(&s) % 10);
    }
    if (frac_digits > 0 || (r & 8)) {
      buf[n++] = '.';
    }
    for (int d = 0; d < frac_digits; d++) {
      buf[n++] = (char)('0' + rng_next(&s) % 10);
    }
    if (r & 16) {
      int e = (int)(rng_next(&s) % (r & 32 ? 700 : 40)) - (r & 32 ? 350 : 20);
      n += (size_t)snprintf(buf + n, sizeof buf - n, "e%d", e);
    }
    buf[n] = '\0';
    check_float(buf);
  }
}

/* Exact decimals of the kind money columns hold: every cents value 0.00 .. 99999.99
 * in steps must equal strtod (the fast path divides by 100). */
static void io_values_float64_cents(void **state) {
  (void)state;
  char buf[32];
  for (int cents = 0; cents < 10000000; cents += 7) {
    snprintf(buf, sizeof buf, "%d.%02d", cents / 100, cents % 100);
    double got = 0;
    assert_int_equal(sk__parse_float64(buf, strlen(buf), &got), SK__NUM_OK);
    double want = strtod(buf, NULL);
    assert_true(memcmp(&got, &want, sizeof got) == 0);
  }
}

/* ==== booleans, trimming, leading zeros, nulls ========================================= */

static void io_values_bool(void **state) {
  (void)state;
  struct {
    const char *s;
    bool digits;
    bool ok;
    bool value;
  } cases[] = {{"true", false, true, true},  {"TRUE", false, true, true},
               {"True", false, true, true},  {"false", false, true, false},
               {"FaLsE", false, true, false}, {"t", false, true, true},
               {"F", false, true, false},    {"yes", false, true, true},
               {"YES", false, true, true},   {"no", false, true, false},
               {"No", false, true, false},   {"1", false, false, false},
               {"0", false, false, false},   {"1", true, true, true},
               {"0", true, true, false},     {"y", false, false, false},
               {"n", false, false, false},   {"truee", false, false, false},
               {"tru", false, false, false}, {"", false, false, false},
               {"on", false, false, false},  {"2", true, false, false}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool v = !cases[i].value;
    bool ok = sk__parse_bool(cases[i].s, strlen(cases[i].s), cases[i].digits, &v);
    assert_int_equal(ok, cases[i].ok);
    if (ok) {
      assert_int_equal(v, cases[i].value);
    }
  }
}

static void io_values_trim_and_leading_zero(void **state) {
  (void)state;
  const char *s = " \t 12 \t";
  size_t n = strlen(s);
  sk__trim(&s, &n);
  assert_int_equal(n, 2);
  assert_memory_equal(s, "12", 2);
  s = "   ";
  n = 3;
  sk__trim(&s, &n);
  assert_int_equal(n, 0);
  assert_true(sk__has_leading_zero("007", 3));
  assert_true(sk__has_leading_zero("-01", 3));
  assert_true(sk__has_leading_zero("00.5", 4));
  assert_false(sk__has_leading_zero("0", 1));
  assert_false(sk__has_leading_zero("0.5", 3));
  assert_false(sk__has_leading_zero("-0", 2));
  assert_false(sk__has_leading_zero("10", 2));
  assert_false(sk__has_leading_zero("0e5", 3));
}

static void io_values_null_spellings(void **state) {
  (void)state;
  segkit_read_options opt;
  segkit_read_options_init(&opt);
  sk__nulls nl;
  sk__nulls_init(&nl, &opt);
  assert_true(sk__nulls_match(&nl, "NA", 2));
  assert_true(sk__nulls_match(&nl, "N/A", 3));
  assert_true(sk__nulls_match(&nl, "NULL", 4));
  assert_true(sk__nulls_match(&nl, "null", 4));
  assert_false(sk__nulls_match(&nl, "Null", 4));
  assert_false(sk__nulls_match(&nl, "NAN", 3));
  assert_false(sk__nulls_match(&nl, "na", 2));
  assert_false(sk__nulls_match(&nl, "USD", 3));
  const char *mine[] = {"-", "missing", ""};
  opt.null_values = mine;
  opt.n_null_values = 3;
  sk__nulls_init(&nl, &opt);
  assert_true(sk__nulls_match(&nl, "-", 1));
  assert_true(sk__nulls_match(&nl, "missing", 7));
  assert_false(sk__nulls_match(&nl, "NA", 2));
  opt.n_null_values = 0; /* none at all */
  sk__nulls_init(&nl, &opt);
  assert_false(sk__nulls_match(&nl, "-", 1));
}

/* ==== UTF-8 ============================================================================= */

/* Reference: length of the valid sequence at s[0..n), 0 if invalid. Decodes first, then
 * checks the code point (a different method from utf8.c's table of byte ranges). */
static size_t ref_utf8_len(const uint8_t *s, size_t n) {
  uint8_t b = s[0];
  if (b < 0x80) {
    return 1;
  }
  size_t len;
  uint32_t cp;
  if ((b & 0xE0) == 0xC0) {
    len = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (n < len) {
    return 0;
  }
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

static size_t ref_find_invalid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t len = ref_utf8_len(s + i, n - i);
    if (len == 0) {
      return i;
    }
    i += len;
  }
  return n;
}

static void io_values_utf8_cases(void **state) {
  (void)state;
  struct {
    const char *s;
    size_t bad; /* SIZE_MAX = valid */
  } cases[] = {
      {"plain ascii", SIZE_MAX},
      {"caf\xC3\xA9", SIZE_MAX},
      {"\xE2\x82\xAC 5", SIZE_MAX},
      {"\xF0\x9D\x84\x9E", SIZE_MAX},
      {"\xF4\x8F\xBF\xBF", SIZE_MAX},             /* U+10FFFF */
      {"\xED\x9F\xBF\xEE\x80\x80", SIZE_MAX},     /* U+D7FF, U+E000 around the surrogates */
      {"ab\xC0\x80", 2},                         /* overlong NUL */
      {"\xC1\xBF", 0},                           /* overlong */
      {"\xE0\x80\x80", 0},                       /* overlong 3-byte */
      {"\xE0\x9F\xBF", 0},
      {"\xF0\x80\x80\x80", 0},                   /* overlong 4-byte */
      {"\xF0\x8F\xBF\xBF", 0},
      {"x\xED\xA0\x80", 1},                      /* surrogate D800 */
      {"\xED\xBF\xBF", 0},                       /* surrogate DFFF */
      {"\xF4\x90\x80\x80", 0},                   /* U+110000 */
      {"\xF5\x80\x80\x80", 0},
      {"\xFF", 0},
      {"\x80", 0},                               /* lone continuation */
      {"abc\xE2\x82", 3},                        /* truncated at the end */
      {"\xF0\x9D\x84", 0},
      {"\xC3", 0},
      {"\xC3\x28", 0},                           /* bad continuation */
      {"0123456789abcdef0123456789abcdef01234\xFE tail", 37}, /* after the SIMD skip */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const uint8_t *s = (const uint8_t *)cases[i].s;
    size_t n = strlen(cases[i].s);
    size_t want = cases[i].bad == SIZE_MAX ? n : cases[i].bad;
    size_t got = sk__utf8_find_invalid(s, n);
    if (got != want) {
      fail_msg("case %zu: first invalid byte at %zu, expected %zu", i, got, want);
    }
  }
}

/* Every 1-, 2- and 3-byte input, and random 4-byte ones, agree with the reference. */
static void io_values_utf8_exhaustive(void **state) {
  (void)state;
  uint8_t s[8];
  for (unsigned a = 0; a < 256; a++) {
    s[0] = (uint8_t)a;
    assert_int_equal(sk__utf8_find_invalid(s, 1), ref_find_invalid(s, 1));
    for (unsigned b = 0; b < 256; b++) {
      s[1] = (uint8_t)b;
      assert_int_equal(sk__utf8_find_invalid(s, 2), ref_find_invalid(s, 2));
      if (a < 0xC0) {
        continue; /* a 3-byte input starting with ASCII or a continuation byte reduces
                     to shorter cases already covered */
      }
      for (unsigned c = 0; c < 256; c++) {
        s[2] = (uint8_t)c;
        size_t got = sk__utf8_find_invalid(s, 3);
        size_t want = ref_find_invalid(s, 3);
        if (got != want) {
          fail_msg("%02x %02x %02x: got %zu want %zu", a, b, c, got, want);
        }
      }
    }
  }
  uint64_t st = 77;
  for (int i = 0; i < 2000000; i++) {
    uint64_t r = rng_next(&st);
    s[0] = (uint8_t)(0xE0 + (r & 0x1F));
    s[1] = (uint8_t)(r >> 8);
    s[2] = (uint8_t)(0x80 + ((r >> 16) & 0x3F) + ((r >> 22) & 1 ? 0x40 : 0));
    s[3] = (uint8_t)(0x80 + ((r >> 24) & 0x3F) + ((r >> 30) & 1 ? 0x40 : 0));
    s[4] = (uint8_t)(r >> 32);
    size_t n = 1 + (size_t)((r >> 40) % 5);
    assert_int_equal(sk__utf8_find_invalid(s, n), ref_find_invalid(s, n));
  }
}

/* ==== inference rules =================================================================== */

#define B(t) (1u << (t))

static void io_values_infer_value(void **state) {
  (void)state;
  const unsigned all = SK__INFER_ALL;
  assert_int_equal(sk__infer_value("true", 4, all, NULL), B(SEGKIT_TYPE_BOOL));
  assert_int_equal(sk__infer_value("No", 2, all, NULL), B(SEGKIT_TYPE_BOOL));
  assert_int_equal(sk__infer_value("1", 1, all, NULL),
                   B(SEGKIT_TYPE_INT64) | B(SEGKIT_TYPE_FLOAT64));
  assert_int_equal(sk__infer_value("-12", 3, all, NULL),
                   B(SEGKIT_TYPE_INT64) | B(SEGKIT_TYPE_FLOAT64));
  assert_int_equal(sk__infer_value("12.5", 4, all, NULL), B(SEGKIT_TYPE_FLOAT64));
  assert_int_equal(sk__infer_value("1e3", 3, all, NULL), B(SEGKIT_TYPE_FLOAT64));
  assert_int_equal(sk__infer_value("99999999999999999999", 20, all, NULL),
                   B(SEGKIT_TYPE_FLOAT64)); /* beyond int64: float64 */
  assert_int_equal(sk__infer_value("007", 3, all, NULL), 0u);
  assert_int_equal(sk__infer_value("02134", 5, all, NULL), 0u);
  assert_int_equal(sk__infer_value("inf", 3, all, NULL), 0u);
  assert_int_equal(sk__infer_value("nan", 3, all, NULL), 0u);
  assert_int_equal(sk__infer_value("2024-01-31", 10, all, NULL),
                   B(SEGKIT_TYPE_DATE) | B(SEGKIT_TYPE_TIMESTAMP));
  assert_int_equal(sk__infer_value("2024-01-31T09:30:00Z", 20, all, NULL),
                   B(SEGKIT_TYPE_TIMESTAMP));
  assert_int_equal(sk__infer_value("2024-01-31 09:30:00", 19, all, NULL),
                   B(SEGKIT_TYPE_TIMESTAMP));
  assert_int_equal(sk__infer_value("2024-02-30", 10, all, NULL), 0u);
  assert_int_equal(sk__infer_value("hello", 5, all, NULL), 0u);
  /* Only the candidates asked about are reported. */
  assert_int_equal(sk__infer_value("1", 1, B(SEGKIT_TYPE_FLOAT64), NULL),
                   B(SEGKIT_TYPE_FLOAT64));
  assert_int_equal(sk__infer_value("true", 4, B(SEGKIT_TYPE_INT64), NULL), 0u);
}

static void io_values_infer_value_date_format(void **state) {
  (void)state;
  segkit_time_format *fmt = NULL;
  segkit_error err;
  assert_int_equal(segkit_time_format_new("%d/%m/%Y", &fmt, &err), SEGKIT_OK);
  sk__infer_formats f = {fmt, false};
  assert_int_equal(sk__infer_value("31/01/2024", 10, SK__INFER_ALL, &f),
                   B(SEGKIT_TYPE_DATE) | B(SEGKIT_TYPE_TIMESTAMP));
  assert_int_equal(sk__infer_value("2024-01-31", 10, SK__INFER_ALL, &f),
                   B(SEGKIT_TYPE_DATE) | B(SEGKIT_TYPE_TIMESTAMP));
  assert_int_equal(sk__infer_value("31/13/2024", 10, SK__INFER_ALL, &f), 0u);
  segkit_time_format_free(fmt);
  assert_int_equal(segkit_time_format_new("%d/%m/%Y %H:%M", &fmt, &err), SEGKIT_OK);
  f.fmt = fmt;
  f.fmt_has_time = true;
  assert_int_equal(sk__infer_value("31/01/2024 10:15", 16, SK__INFER_ALL, &f),
                   B(SEGKIT_TYPE_TIMESTAMP));
  segkit_time_format_free(fmt);
}

static void io_values_infer_pick(void **state) {
  (void)state;
  assert_int_equal(sk__infer_pick(SK__INFER_ALL, false), SEGKIT_TYPE_STRING);
  assert_int_equal(sk__infer_pick(SK__INFER_ALL, true), SEGKIT_TYPE_BOOL);
  assert_int_equal(sk__infer_pick(B(SEGKIT_TYPE_INT64) | B(SEGKIT_TYPE_FLOAT64), true),
                   SEGKIT_TYPE_INT64);
  assert_int_equal(sk__infer_pick(B(SEGKIT_TYPE_FLOAT64), true), SEGKIT_TYPE_FLOAT64);
  assert_int_equal(sk__infer_pick(B(SEGKIT_TYPE_DATE) | B(SEGKIT_TYPE_TIMESTAMP), true),
                   SEGKIT_TYPE_DATE);
  assert_int_equal(sk__infer_pick(B(SEGKIT_TYPE_TIMESTAMP), true), SEGKIT_TYPE_TIMESTAMP);
  assert_int_equal(sk__infer_pick(0, true), SEGKIT_TYPE_STRING);
}

/* ==== message quoting =================================================================== */

static void io_values_quote_value(void **state) {
  (void)state;
  char buf[64];
  sk__quote_value(buf, sizeof buf, "abc", 3, 40);
  assert_string_equal(buf, "abc");
  sk__quote_value(buf, sizeof buf, "a\"b\\c\nd\t\x01", 9, 40);
  assert_string_equal(buf, "a\\\"b\\\\c\\nd\\t\\x01");
  sk__quote_value(buf, sizeof buf, "caf\xC3\xA9 \xFF", 7, 40);
  assert_string_equal(buf, "caf\xC3\xA9 \\xff"); /* valid UTF-8 kept, bad bytes escaped */
  sk__quote_value(buf, sizeof buf, "0123456789", 10, 4);
  assert_string_equal(buf, "0123...");
  assert_true(sk__utf8_valid((const uint8_t *)buf, strlen(buf)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_values_int64_cases),
      cmocka_unit_test(io_values_int64_random_vs_strtoll),
      cmocka_unit_test(io_values_float64_cases),
      cmocka_unit_test(io_values_float64_random_vs_strtod),
      cmocka_unit_test(io_values_float64_cents),
      cmocka_unit_test(io_values_bool),
      cmocka_unit_test(io_values_trim_and_leading_zero),
      cmocka_unit_test(io_values_null_spellings),
      cmocka_unit_test(io_values_utf8_cases),
      cmocka_unit_test(io_values_utf8_exhaustive),
      cmocka_unit_test(io_values_infer_value),
      cmocka_unit_test(io_values_infer_value_date_format),
      cmocka_unit_test(io_values_infer_pick),
      cmocka_unit_test(io_values_quote_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
