/* Error object: formatting of locations, status table consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segkit/error.h"

static void core_error_format_full_location(void **state) {
  (void)state;
  segkit_error err;
  segkit_status s = segkit_error_set_at(&err, SEGKIT_ERR_TYPE, "tx.csv", 12, 17, "amount",
                                        "\"abc\" is not a number (expected float64)");
  assert_int_equal(s, SEGKIT_ERR_TYPE);
  char buf[1024];
  size_t n = segkit_error_format(&err, buf, sizeof buf);
  assert_string_equal(buf, "tx.csv:12:17: field 'amount': \"abc\" is not a number (expected float64)");
  assert_int_equal(n, strlen(buf));
}

static void core_error_format_without_location(void **state) {
  (void)state;
  segkit_error err;
  segkit_error_set(&err, SEGKIT_ERR_NOMEM, "no memory for %d rows", 5);
  char buf[256];
  segkit_error_format(&err, buf, sizeof buf);
  assert_string_equal(buf, "no memory for 5 rows");
  segkit_error_set_at(&err, SEGKIT_ERR_IO, "missing.csv", 0, 0, NULL, "cannot open");
  segkit_error_format(&err, buf, sizeof buf);
  assert_string_equal(buf, "missing.csv: cannot open");
}

static void core_error_truncates_long_paths(void **state) {
  (void)state;
  char path[1000];
  memset(path, 'p', sizeof path - 1);
  path[sizeof path - 1] = '\0';
  segkit_error err;
  segkit_error_set_at(&err, SEGKIT_ERR_PARSE, path, 1, 1, NULL, "x");
  assert_int_equal(strlen(err.file), sizeof err.file - 1);
  char small[8];
  size_t need = segkit_error_format(&err, small, sizeof small);
  assert_true(need > sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
}

static void core_error_status_table(void **state) {
  (void)state;
  assert_string_equal(segkit_status_name(SEGKIT_OK), "OK");
  assert_string_equal(segkit_status_name(SEGKIT_ERR_PARSE), "ERR_PARSE");
  assert_int_equal(segkit_status_exit_class(SEGKIT_ERR_USAGE), 2);
  assert_int_equal(segkit_status_exit_class(SEGKIT_ERR_TYPE), 3);
  assert_int_equal(segkit_status_exit_class(SEGKIT_ERR_IO), 4);
  assert_int_equal(segkit_status_exit_class(SEGKIT_ERR_INTERNAL), 5);
  assert_string_equal(segkit_status_name((segkit_status)999), "ERR_UNKNOWN");
  assert_null(NULL == segkit_status_message((segkit_status)-1) ? "null" : NULL);
  assert_int_equal(segkit_error_set(NULL, SEGKIT_ERR_IO, "ignored"), SEGKIT_ERR_IO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(core_error_format_full_location),
      cmocka_unit_test(core_error_format_without_location),
      cmocka_unit_test(core_error_truncates_long_paths),
      cmocka_unit_test(core_error_status_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
