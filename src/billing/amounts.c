/* Amounts and currencies: Stripe's minor units to major units.
 *
 * Stripe sends every amount as an integer in the currency's smallest unit ("minor unit"),
 * except for the zero-decimal currencies, whose amounts are whole units, and the
 * three-decimal ones, whose amounts are thousandths (docs.stripe.com/currencies, "Minor
 * units in API amounts"). The lists below are Stripe's, not ISO 4217's: Stripe treats
 * e.g. ISK and HUF as two-decimal in API amounts although ISO gives ISK zero decimals, and
 * treats UGX as zero-decimal. The key design choice: a table of the exceptions, with 100
 * for everything else, so a new two-decimal currency needs no change. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "billing/billing_int.h"

/* docs.stripe.com/currencies#zero-decimal */
static const char *const zero_decimal[] = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
                                           "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
/* docs.stripe.com/currencies#three-decimal */
static const char *const three_decimal[] = {"BHD", "JOD", "KWD", "OMR", "TND"};

static bool code_in(const char *code, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (strlen(code) == 3 && toupper((unsigned char)code[0]) == list[i][0] &&
        toupper((unsigned char)code[1]) == list[i][1] &&
        toupper((unsigned char)code[2]) == list[i][2]) {
      return true;
    }
  }
  return false;
}

int64_t segkit_stripe_minor_per_major(const char *currency) {
  if (currency == NULL) {
    return 100;
  }
  if (code_in(currency, zero_decimal, sizeof zero_decimal / sizeof zero_decimal[0])) {
    return 1;
  }
  if (code_in(currency, three_decimal, sizeof three_decimal / sizeof three_decimal[0])) {
    return 1000;
  }
  return 100;
}

char *sk__bill_currency_upper(const char *code) {
  char *s = sk__bill_strdup(code);
  for (size_t i = 0; s != NULL && s[i] != '\0'; i++) {
    s[i] = (char)toupper((unsigned char)s[i]);
  }
  return s;
}

double sk__bill_minor_to_major(double minor, const char *currency) {
  /* A division, not a multiplication by 0.01: 1999 / 100 is the double nearest 19.99,
   * 1999 * 0.01 is not always. */
  return minor / (double)segkit_stripe_minor_per_major(currency);
}

bool sk__bill_parse_decimal(const char *s, double *out) {
  if (s == NULL || *s == '\0') {
    return false;
  }
  /* Only [-+]digits[.digits]: strtod alone would also take "inf", "0x1p3", " 5". */
  size_t i = 0;
  if (s[i] == '-' || s[i] == '+') {
    i++;
  }
  size_t digits = 0;
  while (isdigit((unsigned char)s[i])) {
    i++;
    digits++;
  }
  if (s[i] == '.') {
    i++;
    while (isdigit((unsigned char)s[i])) {
      i++;
      digits++;
    }
  }
  if (s[i] != '\0' || digits == 0) {
    return false;
  }
  errno = 0;
  char *end = NULL;
  double v = strtod(s, &end);
  if (errno == ERANGE || end == s) {
    return false;
  }
  *out = v;
  return true;
}
