/* The tolerant date rule of type inference (src/io/infer.c), on files made here whose
 * answers follow from the rule by hand: 99% of at least 100 sampled values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/datetime.h"
#include "segkit/io.h"

/* n_rows rows "i,DATE", where the rows listed in bad[] hold a malformed date instead. */
static char *dates_csv(size_t n_rows, const size_t *bad, size_t n_bad, const char *bad_text,
                       bool timestamps, size_t *len) {
  size_t cap = 64 + n_rows * 48;
  char *buf = malloc(cap);
  size_t used = (size_t)snprintf(buf, cap, "id,day\n");
  for (size_t i = 0; i < n_rows; i++) {
    bool is_bad = false;
    for (size_t k = 0; k < n_bad; k++) {
      is_bad = is_bad || bad[k] == i;
    }
    char day[40];
    int32_t d = segkit_days_from_civil(2024, 1, 1) + (int32_t)i;
    segkit_format_date(d, day, sizeof day);
    if (timestamps && i % 2 == 0) {
      strcat(day, "T10:00:00Z");
    }
    used += (size_t)snprintf(buf + used, cap - used, "%zu,%s\n", i + 1, is_bad ? bad_text : day);
  }
  *len = used;
  return buf;
}

static segkit_read_result *read_skip(const char *csv, size_t len) {
  segkit_read_options opt;
  segkit_read_options_init(&opt);
  opt.on_error = SEGKIT_ON_ERROR_QUARANTINE;
  segkit_read_result *res = NULL;
  segkit_error err;
  assert_int_equal(segkit_csv_read_buffer(csv, len, &opt, &res, &err), SEGKIT_OK);
  return res;
}

/* 200 values, 2 malformed: 198/200 = 99% -> date; both malformed rows rejected, with the
 * line (header is line 1, row i is line i + 2). */
static void io_infer_dates_with_typos_stay_dates(void **state) {
  (void)state;
  size_t bad[] = {10, 150};
  size_t len;
  char *csv = dates_csv(200, bad, 2, "2024-02-30", false, &len);
  segkit_read_result *res = read_skip(csv, len);
  const segkit_table *t = segkit_read_result_table(res);
  assert_int_equal(segkit_column_type(segkit_table_column(t, 1)), SEGKIT_TYPE_DATE);
  const segkit_read_counts *c = segkit_read_result_counts(res);
  assert_int_equal(c->rows_imported, 198);
  assert_int_equal(c->rejected_by_reason[SEGKIT_REJECT_BAD_VALUE], 2);
  assert_int_equal(segkit_read_result_reject(res, 0)->line, 12);
  assert_int_equal(segkit_read_result_reject(res, 1)->line, 152);
  assert_string_equal(segkit_read_result_reject(res, 0)->field, "day");
  segkit_read_result_free(res);
  free(csv);
}

/* 200 values, 3 malformed: 197/200 = 98.5% < 99% -> string, nothing rejected. */
static void io_infer_too_many_typos_is_string(void **state) {
  (void)state;
  size_t bad[] = {1, 2, 3};
  size_t len;
  char *csv = dates_csv(200, bad, 3, "05/03/2024", false, &len);
  segkit_read_result *res = read_skip(csv, len);
  assert_int_equal(segkit_column_type(segkit_table_column(segkit_read_result_table(res), 1)),
                   SEGKIT_TYPE_STRING);
  assert_int_equal(segkit_read_result_counts(res)->rows_rejected, 0);
  segkit_read_result_free(res);
  free(csv);
}

/* 99 values, 1 malformed: fewer than 100 values -> strict -> string. */
static void io_infer_small_samples_are_strict(void **state) {
  (void)state;
  size_t bad[] = {5};
  size_t len;
  char *csv = dates_csv(99, bad, 1, "2024-13-05", false, &len);
  segkit_read_result *res = read_skip(csv, len);
  assert_int_equal(segkit_column_type(segkit_table_column(segkit_read_result_table(res), 1)),
                   SEGKIT_TYPE_STRING);
  segkit_read_result_free(res);
  free(csv);
}

/* Dates and timestamps mixed, 1 typo in 300: timestamps fit 299/300 -> timestamp. */
static void io_infer_mixed_timestamps_with_typo(void **state) {
  (void)state;
  size_t bad[] = {299};
  size_t len;
  char *csv = dates_csv(300, bad, 1, "yesterday", true, &len);
  segkit_read_result *res = read_skip(csv, len);
  assert_int_equal(segkit_column_type(segkit_table_column(segkit_read_result_table(res), 1)),
                   SEGKIT_TYPE_TIMESTAMP);
  assert_int_equal(segkit_read_result_counts(res)->rows_imported, 299);
  segkit_read_result_free(res);
  free(csv);
}

/* Numbers get no tolerance: 1 non-number in 500 keeps the column a string. */
static void io_infer_numbers_are_strict(void **state) {
  (void)state;
  size_t cap = 500 * 16 + 16;
  char *csv = malloc(cap);
  size_t used = (size_t)snprintf(csv, cap, "zip\n");
  for (int i = 0; i < 500; i++) {
    used += (size_t)snprintf(csv + used, cap - used, "%s\n", i == 250 ? "02134" : "90210");
  }
  segkit_read_result *res = read_skip(csv, used);
  assert_int_equal(segkit_column_type(segkit_table_column(segkit_read_result_table(res), 0)),
                   SEGKIT_TYPE_STRING);
  segkit_read_result_free(res);
  free(csv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_infer_dates_with_typos_stay_dates),
      cmocka_unit_test(io_infer_too_many_typos_is_string),
      cmocka_unit_test(io_infer_small_samples_are_strict),
      cmocka_unit_test(io_infer_mixed_timestamps_with_typo),
      cmocka_unit_test(io_infer_numbers_are_strict),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
