/* CSV reader against independent implementations: fixtures and expected values written
 * by tests/data/io/make_reference.py with Python's csv module (fields of RFC 4180 files
 * in four dialects), Python's float() (decimals), and pandas (column types and values).
 * Regenerate with /usr/bin/python3 tests/data/io/make_reference.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_testkit.h"
#include "testkit.h"

static json_t *load_reference(void) {
  json_error_t jerr;
  json_t *ref = json_load_file(SEGKIT_TEST_DATA "/io/reference.json", 0, &jerr);
  if (ref == NULL) {
    fail_msg("reference.json: %s", jerr.text);
  }
  return ref;
}

static segkit_read_result *read_fixture(const char *name, const segkit_read_options *o) {
  char path[512];
  snprintf(path, sizeof path, "%s/io/%s", SEGKIT_TEST_DATA, name);
  segkit_read_result *r = NULL;
  segkit_error err;
  if (segkit_csv_read(path, o, &r, &err) != SEGKIT_OK) {
    char buf[1200];
    segkit_error_format(&err, buf, sizeof buf);
    fail_msg("%s", buf);
  }
  return r;
}

static void check_rfc_file(json_t *f, size_t buffer, int threads, bool detect) {
  const char *name = json_string_value(json_object_get(f, "name"));
  const char *delim = json_string_value(json_object_get(f, "delimiter"));
  json_t *header = json_object_get(f, "header");
  json_t *rows = json_object_get(f, "rows");
  size_t ncols = json_array_size(header);
  segkit_type_override types[16];
  for (size_t c = 0; c < ncols; c++) {
    types[c].column = json_string_value(json_array_get(header, c));
    types[c].type = SEGKIT_TYPE_STRING;
  }
  const char *none[1] = {NULL};
  segkit_read_options o;
  segkit_read_options_init(&o);
  o.delimiter = detect ? 0 : delim[0];
  o.types = types;
  o.n_types = ncols;
  o.null_values = none;
  o.n_null_values = 0;
  o.buffer_bytes = buffer;
  o.n_threads = threads;
  segkit_read_result *r = read_fixture(name, &o);
  if (segkit_read_result_delimiter(r) != delim[0]) {
    fail_msg("%s: delimiter '%c', Python wrote '%c'", name, segkit_read_result_delimiter(r),
             delim[0]);
  }
  const segkit_table *t = segkit_read_result_table(r);
  assert_int_equal(segkit_table_n_cols(t), ncols);
  if (segkit_table_n_rows(t) != json_array_size(rows)) {
    fail_msg("%s: %zu rows, Python read %zu", name, segkit_table_n_rows(t),
             json_array_size(rows));
  }
  for (size_t i = 0; i < json_array_size(rows); i++) {
    json_t *row = json_array_get(rows, i);
    for (size_t c = 0; c < ncols; c++) {
      json_t *cell = json_array_get(row, c);
      const char *want = json_string_value(cell);
      size_t want_len = json_string_length(cell);
      const segkit_column *col = segkit_table_column(t, c);
      if (!segkit_column_is_valid(col, i)) {
        /* Python reads an empty field as ""; segkit reads an unquoted one as null. */
        if (want_len != 0) {
          fail_msg("%s row %zu col %zu: null, Python read \"%s\"", name, i, c, want);
        }
        continue;
      }
      size_t n = 0;
      const char *got = segkit_column_dict_value(col, segkit_column_codes(col)[i], &n);
      if (n != want_len || memcmp(got, want, n) != 0) {
        fail_msg("%s row %zu col %zu: [%.*s], Python read [%s]", name, i, c, (int)n, got, want);
      }
    }
  }
  assert_int_equal(segkit_read_result_counts(r)->rows_rejected, 0);
  segkit_read_result_free(r);
}

static void io_reference_rfc4180_files_match_python_csv(void **state) {
  (void)state;
  json_t *ref = load_reference();
  json_t *files = json_object_get(ref, "rfc");
  assert_true(json_array_size(files) >= 10);
  for (size_t k = 0; k < json_array_size(files); k++) {
    json_t *f = json_array_get(files, k);
    check_rfc_file(f, 0, 1, false);
    check_rfc_file(f, 64, 2, false);
    check_rfc_file(f, 29, 3, false);
    if (json_array_size(json_object_get(f, "header")) > 1) {
      check_rfc_file(f, 0, 1, true); /* detection finds the delimiter Python wrote */
    }
  }
  json_decref(ref);
}

static void io_reference_decimals_match_python_float(void **state) {
  (void)state;
  json_t *ref = load_reference();
  json_t *values = json_object_get(json_object_get(ref, "numbers"), "values");
  for (int threads = 1; threads <= 2; threads++) {
    segkit_read_options o;
    segkit_read_options_init(&o);
    o.n_threads = threads;
    o.buffer_bytes = 256;
    segkit_read_result *r = read_fixture("numbers.csv", &o);
    const segkit_table *t = segkit_read_result_table(r);
    assert_string_equal(iot_schema(t), "id:int64,value:float64");
    assert_int_equal(segkit_table_n_rows(t), json_array_size(values));
    const double *got = segkit_column_float64(segkit_table_column(t, 1));
    for (size_t i = 0; i < json_array_size(values); i++) {
      double want = strtod(json_string_value(json_array_get(values, i)), NULL);
      if (memcmp(&got[i], &want, sizeof want) != 0) {
        fail_msg("row %zu: %.17g, Python %.17g", i, got[i], want);
      }
    }
    segkit_read_result_free(r);
  }
  json_decref(ref);
}

static void io_reference_types_match_pandas(void **state) {
  (void)state;
  json_t *ref = load_reference();
  json_t *ty = json_object_get(ref, "types");
  segkit_read_options o;
  segkit_read_options_init(&o);
  segkit_read_result *r = read_fixture("types.csv", &o);
  const segkit_table *t = segkit_read_result_table(r);
  json_t *types = json_object_get(ty, "types");
  const char *key;
  json_t *v;
  json_object_foreach(types, key, v) {
    long i = segkit_table_column_index(t, key);
    assert_true(i >= 0);
    const char *got = segkit_type_name(segkit_column_type(segkit_table_column(t, (size_t)i)));
    if (strcmp(got, json_string_value(v)) != 0) {
      fail_msg("column %s: %s, pandas %s", key, got, json_string_value(v));
    }
  }
  json_t *count = json_object_get(ty, "count");
  json_t *price = json_object_get(ty, "price");
  json_t *active = json_object_get(ty, "active");
  json_t *days = json_object_get(ty, "days");
  json_t *at = json_object_get(ty, "at");
  assert_int_equal(segkit_table_n_rows(t), json_array_size(count));
  char cell[64];
  for (size_t i = 0; i < json_array_size(count); i++) {
    assert_true(segkit_column_int64(segkit_table_column(t, 0))[i] ==
                json_integer_value(json_array_get(count, i)));
    double want = strtod(json_string_value(json_array_get(price, i)), NULL);
    assert_true(segkit_column_float64(segkit_table_column(t, 1))[i] == want);
    assert_int_equal(segkit_column_bool(segkit_table_column(t, 2))[i],
                     json_is_true(json_array_get(active, i)));
    iot_cell(t, i, 4, cell, sizeof cell);
    assert_string_equal(cell, json_string_value(json_array_get(days, i)));
    iot_cell(t, i, 5, cell, sizeof cell);
    assert_string_equal(cell, json_string_value(json_array_get(at, i)));
  }
  segkit_read_result_free(r);
  json_decref(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(io_reference_rfc4180_files_match_python_csv),
      cmocka_unit_test(io_reference_decimals_match_python_float),
      cmocka_unit_test(io_reference_types_match_pandas),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
