/* Number and boolean parsing for the readers, without locale or strtod in the hot path.
 *
 * Integers: optional sign and ASCII digits, eight digits at a time with the SWAR
 * conversion of Lemire ("Fast numeric string to int", 2018) when eight are available;
 * up to 19 significant digits fit a uint64_t without overflow, so the range check is one
 * comparison at the end.
 *
 * Decimals: the digits are gathered into a uint64_t mantissa m and a power of ten e. When
 * m < 2^53 and |e| <= 22, both m and 10^|e| are exact doubles and one IEEE multiply or
 * divide gives the correctly rounded result (Clinger, "How to read floating point numbers
 * accurately", PLDI 1990, the fast path). Typical data ("49.00", "12.5", "1e-3") always
 * takes it. Anything else (more than 19 significant digits, large exponents) goes to
 * strtod on a NUL-terminated copy, in the "C" locale so a caller's setlocale() cannot
 * change the decimal point. Infinite and NaN results are refused: they poison sums and
 * means downstream, and an overflowing literal is almost always a data error. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

/* ==== integers ============================================================================ */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SK_SWAR_DIGITS 1
#else
#define SK_SWAR_DIGITS 0
#endif

#if SK_SWAR_DIGITS
/* Whether the 8 bytes are all ASCII digits. */
static inline bool eight_digits(uint64_t w) {
  return ((w & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
          (((w + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
         UINT64_C(0x3333333333333333);
}

/* Value of 8 ASCII digits, first digit most significant. */
static inline uint64_t eight_digits_value(uint64_t w) {
  w = (w & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
  w = (w & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
  return (w & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
}
#endif

/* Digits s[i..n) into *v (which must be 0); false on a non-digit. At most 19 digits. */
static inline bool digits_value(const char *s, size_t i, size_t n, uint64_t *v) {
  uint64_t acc = 0;
#if SK_SWAR_DIGITS
  while (n - i >= 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (!eight_digits(w)) {
      return false;
    }
    acc = acc * 100000000u + eight_digits_value(w);
    i += 8;
  }
#endif
  for (; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) {
      return false;
    }
    acc = acc * 10 + d;
  }
  *v = acc;
  return true;
}

sk__num_status sk__parse_int64(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == n) {
    return SK__NUM_SYNTAX;
  }
  while (i < n - 1 && s[i] == '0') {
    i++; /* leading zeros do not count towards the 19 digits */
  }
  if (n - i > 19) {
    for (size_t k = i; k < n; k++) {
      if ((unsigned)(unsigned char)s[k] - '0' > 9) {
        return SK__NUM_SYNTAX;
      }
    }
    return SK__NUM_RANGE;
  }
  uint64_t v = 0;
  if (!digits_value(s, i, n, &v)) {
    return SK__NUM_SYNTAX;
  }
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1u) {
      return SK__NUM_RANGE;
    }
    *out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
    return SK__NUM_OK;
  }
  if (v > (uint64_t)INT64_MAX) {
    return SK__NUM_RANGE;
  }
  *out = (int64_t)v;
  return SK__NUM_OK;
}

bool sk__has_leading_zero(const char *s, size_t n) {
  size_t i = 0;
  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    i = 1;
  }
  return i + 1 < n && s[i] == '0' && (unsigned)(unsigned char)s[i + 1] - '0' <= 9;
}

/* ==== decimals ============================================================================ */

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t int_pow10[16] = {1u,
                                       10u,
                                       100u,
                                       1000u,
                                       10000u,
                                       100000u,
                                       1000000u,
                                       10000000u,
                                       100000000u,
                                       1000000000u,
                                       10000000000u,
                                       100000000000u,
                                       1000000000000u,
                                       10000000000000u,
                                       100000000000000u,
                                       1000000000000000u};

/* The "C" locale, created once per process and never freed: a constant of the process
 * like the tables above, used only on the slow path. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_create(void) {
  c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod of s[0..n), known to match the decimal grammar, in the "C" locale. */
static sk__num_status slow_decimal(const char *s, size_t n, double *out) {
  char stack_buf[128];
  char *buf = stack_buf;
  if (n >= sizeof stack_buf) {
    buf = malloc(n + 1);
    if (buf == NULL) {
      return SK__NUM_RANGE; /* cannot tell; the caller reports the value as unreadable */
    }
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  pthread_once(&c_locale_once, c_locale_create);
  locale_t old = (locale_t)0;
  if (c_locale != (locale_t)0) {
    old = uselocale(c_locale);
  }
  char *end = NULL;
  double v = strtod(buf, &end);
  if (c_locale != (locale_t)0) {
    uselocale(old);
  }
  bool all = end == buf + n;
  if (buf != stack_buf) {
    free(buf);
  }
  if (!all) {
    return SK__NUM_SYNTAX;
  }
  if (!isfinite(v)) {
    return SK__NUM_RANGE;
  }
  *out = v;
  return SK__NUM_OK;
}

sk__num_status sk__parse_float64(const char *s, size_t n, double *out) {
  size_t i = 0;
  bool neg = false;
  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  uint64_t mant = 0;
  int sig = 0;            /* significant digits in mant */
  bool dropped = false;   /* a digit did not fit in mant */
  int64_t exp10 = 0;
  bool any_digit = false;
  for (; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) {
      break;
    }
    any_digit = true;
    if (sig < 19) {
      mant = mant * 10 + d;
      sig += mant != 0;
    } else {
      exp10++;
      dropped = true;
    }
  }
  if (i < n && s[i] == '.') {
    i++;
    for (; i < n; i++) {
      unsigned d = (unsigned)(unsigned char)s[i] - '0';
      if (d > 9) {
        break;
      }
      any_digit = true;
      if (sig < 19) {
        mant = mant * 10 + d;
        sig += mant != 0;
        exp10--;
      } else {
        dropped = true;
      }
    }
  }
  if (!any_digit) {
    return SK__NUM_SYNTAX;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
      eneg = s[i] == '-';
      i++;
    }
    if (i == n) {
      return SK__NUM_SYNTAX;
    }
    int64_t e = 0;
    for (; i < n; i++) {
      unsigned d = (unsigned)(unsigned char)s[i] - '0';
      if (d > 9) {
        return SK__NUM_SYNTAX;
      }
      if (e < 100000000) {
        e = e * 10 + d; /* beyond any double's range; clamped so it cannot overflow */
      }
    }
    exp10 += eneg ? -e : e;
  }
  if (i != n) {
    return SK__NUM_SYNTAX;
  }
  if (mant == 0 && !dropped) {
    *out = neg ? -0.0 : 0.0;
    return SK__NUM_OK;
  }
  if (!dropped && mant < (UINT64_C(1) << 53)) {
    if (exp10 >= -22 && exp10 <= 22) {
      double v = (double)mant;
      v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
      *out = neg ? -v : v;
      return SK__NUM_OK;
    }
    /* 1.5e25: move the excess of the exponent into the mantissa while it stays exact. */
    if (exp10 > 22 && exp10 - 22 < 16) {
      uint64_t p = int_pow10[exp10 - 22];
      if (mant <= ((UINT64_C(1) << 53) - 1) / p) {
        double v = (double)(mant * p) * 1e22;
        if (isfinite(v)) {
          *out = neg ? -v : v;
          return SK__NUM_OK;
        }
      }
    }
  }
  return slow_decimal(s, n, out);
}

/* ==== booleans and helpers ================================================================ */

static inline char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool equals_lower(const char *s, size_t n, const char *word) {
  for (size_t i = 0; i < n; i++) {
    if (lower_ascii(s[i]) != word[i]) {
      return false;
    }
  }
  return word[n] == '\0';
}

bool sk__parse_bool(const char *s, size_t n, bool allow_digits, bool *out) {
  switch (n) {
    case 1:
      if (allow_digits && (s[0] == '1' || s[0] == '0')) {
        *out = s[0] == '1';
        return true;
      }
      if (equals_lower(s, 1, "t") || equals_lower(s, 1, "f")) {
        *out = lower_ascii(s[0]) == 't';
        return true;
      }
      return false;
    case 2:
      if (equals_lower(s, 2, "no")) {
        *out = false;
        return true;
      }
      return false;
    case 3:
      if (equals_lower(s, 3, "yes")) {
        *out = true;
        return true;
      }
      return false;
    case 4:
      if (equals_lower(s, 4, "true")) {
        *out = true;
        return true;
      }
      return false;
    case 5:
      if (equals_lower(s, 5, "false")) {
        *out = false;
        return true;
      }
      return false;
    default:
      return false;
  }
}

void sk__trim(const char **s, size_t *n) {
  const char *p = *s;
  size_t len = *n;
  while (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
    p++;
    len--;
  }
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
    len--;
  }
  *s = p;
  *n = len;
}

/* ==== null spellings ====================================================================== */

static const char *const default_nulls[] = {"NA", "N/A", "NULL", "null"};

void sk__nulls_init(sk__nulls *nl, const segkit_read_options *opt) {
  if (opt->null_values != NULL) {
    nl->values = opt->null_values;
    nl->n = opt->n_null_values;
  } else {
    nl->values = default_nulls;
    nl->n = sizeof default_nulls / sizeof default_nulls[0];
  }
  nl->len_mask = 0;
  nl->long_values = false;
  memset(nl->first, 0, sizeof nl->first);
  for (size_t i = 0; i < nl->n; i++) {
    if (nl->values[i] == NULL || nl->values[i][0] == '\0') {
      continue; /* "" is null anyway (unquoted empty field) */
    }
    unsigned char b = (unsigned char)nl->values[i][0];
    nl->first[b >> 6] |= UINT64_C(1) << (b & 63);
    size_t len = strlen(nl->values[i]);
    if (len < 64) {
      nl->len_mask |= UINT64_C(1) << len;
    } else {
      nl->long_values = true;
    }
  }
}

bool sk__nulls_match_slow(const sk__nulls *nl, const char *s, size_t n) {
  for (size_t i = 0; i < nl->n; i++) {
    const char *v = nl->values[i];
    if (v != NULL && strlen(v) == n && memcmp(v, s, n) == 0) {
      return true;
    }
  }
  return false;
}
