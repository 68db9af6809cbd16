/* libFuzzer target for date/time parsing: the automatic parsers and user formats
 * (segkit/datetime.h), which see every date and timestamp value of every file.
 *
 * The input is split at the first NUL: before it a --date-format pattern, after it the
 * value. Besides the sanitizers, the target checks promises: whatever parses as a date or
 * timestamp formats back to text that parses to the same instant (so nothing is stored
 * that cannot be shown), and a date also parses as a timestamp at its midnight. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"

static void check_round_trip_ts(int64_t us) {
  char buf[64];
  size_t n = segkit_format_timestamp(us, buf, sizeof buf);
  int64_t back = 0;
  if (n >= sizeof buf || !segkit_parse_timestamp(buf, n, &back) || back != us) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  const char *nul = memchr(s, '\0', size);
  const char *value = nul != NULL ? nul + 1 : s;
  size_t value_len = nul != NULL ? size - (size_t)(value - s) : size;

  int32_t days = 0;
  int64_t us = 0;
  if (segkit_parse_date(value, value_len, &days)) {
    char buf[32];
    size_t n = segkit_format_date(days, buf, sizeof buf);
    int32_t back = 0;
    if (n >= sizeof buf || !segkit_parse_date(buf, n, &back) || back != days) {
      abort();
    }
  }
  if (segkit_parse_timestamp(value, value_len, &us)) {
    check_round_trip_ts(us);
  }
  if (segkit_parse_unix_seconds(value, value_len, &us)) {
    check_round_trip_ts(us);
  }
  if (nul != NULL) {
    size_t plen = (size_t)(nul - s);
    char *pattern = malloc(plen + 1);
    if (pattern == NULL) {
      return 0;
    }
    memcpy(pattern, s, plen);
    pattern[plen] = '\0';
    segkit_time_format *fmt = NULL;
    segkit_error err;
    if (segkit_time_format_new(pattern, &fmt, &err) == SEGKIT_OK) {
      if (segkit_time_format_parse(fmt, value, value_len, &us)) {
        check_round_trip_ts(us);
      }
      segkit_time_format_free(fmt);
    }
    free(pattern);
  }
  return 0;
}
