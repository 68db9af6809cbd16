/* segkit_table_from_arrays: round trip through the arrays form, copying, null-slot
 * normalisation, and a rejection (SEGKIT_ERR_SCHEMA naming the column) for each
 * invariant a corrupt stored blob could break. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/table.h"

/* A valid 5-row string column: dictionary "red", "", "blue" (offsets 0, 4, 5, 10),
 * codes 2 0 1 x 0 with row 3 null. */
static const char dict_bytes[] = "red\0\0blue";
static const uint64_t dict_off[] = {0, 4, 5, 10};
static const uint32_t codes[] = {2, 0, 1, 0, 0};
static const uint64_t validity_5[] = {0x17}; /* rows 0 1 2 4 */

static segkit_column_arrays string_col(void) {
  segkit_column_arrays c = {"colour", SEGKIT_TYPE_STRING, codes, validity_5, 3, dict_off,
                            dict_bytes};
  return c;
}

static segkit_status load(size_t n_rows, const segkit_column_arrays *cols, size_t n_cols,
                          segkit_table **out, segkit_error *err) {
  *out = NULL;
  return segkit_table_from_arrays(n_rows, n_cols, cols, out, err);
}

static void expect_schema_error(size_t n_rows, const segkit_column_arrays *col,
                                const char *message_part) {
  segkit_table *t;
  segkit_error err;
  segkit_status st = load(n_rows, col, 1, &t, &err);
  if (st != SEGKIT_ERR_SCHEMA) {
    fail_msg("status %d for a corrupt column (expected ERR_SCHEMA: %s)", (int)st, message_part);
  }
  assert_null(t);
  assert_string_equal(err.field, col->name);
  if (strstr(err.message, message_part) == NULL) {
    fail_msg("message \"%s\" lacks \"%s\"", err.message, message_part);
  }
}

static void table_from_arrays_valid_string_column(void **state) {
  (void)state;
  segkit_column_arrays c = string_col();
  segkit_table *t;
  assert_int_equal(load(5, &c, 1, &t, NULL), SEGKIT_OK);
  const segkit_column *col = segkit_table_column(t, 0);
  assert_int_equal(segkit_column_dict_size(col), 3);
  assert_int_equal(segkit_column_null_count(col), 1);
  assert_string_equal(segkit_column_dict_value(col, segkit_column_codes(col)[0], NULL), "blue");
  assert_string_equal(segkit_column_dict_value(col, segkit_column_codes(col)[2], NULL), "");
  assert_int_equal(segkit_column_dict_find(col, "red", 3), 0);
  assert_int_equal(segkit_column_dict_find(col, "blue", 4), 2);
  assert_int_equal(segkit_column_dict_find(col, "", 0), 1);
  /* Copied: the table does not point into the caller's arrays. */
  assert_ptr_not_equal(segkit_column_codes(col), codes);
  segkit_table_free(t);
}

/* Export a builder-made table of every type through the getters, load it back, and
 * compare slot by slot. */
static void table_from_arrays_round_trip(void **state) {
  (void)state;
  const char *names[] = {"i", "f", "b", "ts", "d", "s"};
  const segkit_type types[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64, SEGKIT_TYPE_BOOL,
                               SEGKIT_TYPE_TIMESTAMP, SEGKIT_TYPE_DATE, SEGKIT_TYPE_STRING};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(6, names, types, &b, NULL), SEGKIT_OK);
  char buf[16];
  enum { N = 1000 };
  for (int r = 0; r < N; r++) {
    for (size_t j = 0; j < 6; j++) {
      segkit_column_builder *c = segkit_table_builder_column(b, j);
      if ((r + (int)j) % 9 == 0) {
        assert_int_equal(segkit_column_append_null(c), SEGKIT_OK);
        continue;
      }
      int len = snprintf(buf, sizeof buf, "v%d", r % 37);
      segkit_status st = j == 0 || j == 3 ? segkit_column_append_int64(c, r * 1000003LL)
                         : j == 1         ? segkit_column_append_float64(c, r / 3.0)
                         : j == 2         ? segkit_column_append_bool(c, r % 2)
                         : j == 4         ? segkit_column_append_date(c, -r)
                                          : segkit_column_append_string(c, buf, (size_t)len);
      assert_int_equal(st, SEGKIT_OK);
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  segkit_column_arrays cols[6];
  const void *data[6];
  for (size_t j = 0; j < 6; j++) {
    const segkit_column *c = segkit_table_column(t, j);
    data[j] = j == 0   ? (const void *)segkit_column_int64(c)
              : j == 1 ? (const void *)segkit_column_float64(c)
              : j == 2 ? (const void *)segkit_column_bool(c)
              : j == 3 ? (const void *)segkit_column_timestamp(c)
              : j == 4 ? (const void *)segkit_column_date(c)
                       : (const void *)segkit_column_codes(c);
    cols[j] = (segkit_column_arrays){names[j], types[j], data[j], segkit_column_validity(c),
                                     segkit_column_dict_size(c), NULL, NULL};
    if (types[j] == SEGKIT_TYPE_STRING) {
      segkit_column_dict_arrays(c, &cols[j].dict_offsets, &cols[j].dict_bytes);
    }
  }
  segkit_table *u = NULL;
  segkit_error err;
  if (segkit_table_from_arrays(N, 6, cols, &u, &err) != SEGKIT_OK) {
    fail_msg("%s: %s", err.field, err.message);
  }
  const size_t sizes[] = {8, 8, 1, 8, 4, 4};
  for (size_t j = 0; j < 6; j++) {
    const segkit_column *a = segkit_table_column(t, j);
    const segkit_column *c = segkit_table_column(u, j);
    assert_string_equal(segkit_column_name(c), names[j]);
    assert_int_equal(segkit_column_type(c), types[j]);
    assert_int_equal(segkit_column_null_count(c), segkit_column_null_count(a));
    assert_memory_equal(segkit_column_validity(c), segkit_column_validity(a),
                        (N + 63) / 64 * 8);
    const void *copy = j == 0   ? (const void *)segkit_column_int64(c)
                       : j == 1 ? (const void *)segkit_column_float64(c)
                       : j == 2 ? (const void *)segkit_column_bool(c)
                       : j == 3 ? (const void *)segkit_column_timestamp(c)
                       : j == 4 ? (const void *)segkit_column_date(c)
                                : (const void *)segkit_column_codes(c);
    assert_memory_equal(copy, data[j], N * sizes[j]);
  }
  const segkit_column *s = segkit_table_column(u, 5);
  assert_int_equal(segkit_column_dict_size(s), 37);
  for (int k = 0; k < 37; k++) {
    int len = snprintf(buf, sizeof buf, "v%d", k);
    int64_t code = segkit_column_dict_find(s, buf, (size_t)len);
    assert_true(code >= 0);
    assert_string_equal(segkit_column_dict_value(s, (uint32_t)code, NULL), buf);
  }
  segkit_table_free(t);
  segkit_table_free(u);
}

/* Validity NULL means all valid; garbage in null slots becomes 0. */
static void table_from_arrays_normalises(void **state) {
  (void)state;
  const int64_t ints[] = {5, 999, 7, -3};
  const uint64_t valid[] = {0x5}; /* rows 1 and 3 null */
  const uint8_t bools[] = {1, 77, 0, 200}; /* out-of-range bytes only in null rows */
  const uint32_t bad_codes[] = {0, 4000000000u, 0, 9}; /* garbage only in null rows */
  segkit_column_arrays cols[4] = {
      {"all", SEGKIT_TYPE_INT64, ints, NULL, 0, NULL, NULL},
      {"some", SEGKIT_TYPE_INT64, ints, valid, 0, NULL, NULL},
      {"flag", SEGKIT_TYPE_BOOL, bools, valid, 0, NULL, NULL},
      {"s", SEGKIT_TYPE_STRING, bad_codes, valid, 3, dict_off, dict_bytes},
  };
  segkit_table *t;
  segkit_error err;
  if (load(4, cols, 4, &t, &err) != SEGKIT_OK) {
    fail_msg("%s", err.message);
  }
  const segkit_column *all = segkit_table_column(t, 0);
  assert_int_equal(segkit_column_null_count(all), 0);
  assert_int_equal(segkit_column_validity(all)[0], 0xf);
  assert_memory_equal(segkit_column_int64(all), ints, sizeof ints);
  const int64_t want[] = {5, 0, 7, 0};
  assert_memory_equal(segkit_column_int64(segkit_table_column(t, 1)), want, sizeof want);
  assert_int_equal(segkit_column_null_count(segkit_table_column(t, 1)), 2);
  const uint8_t want_b[] = {1, 0, 0, 0};
  assert_memory_equal(segkit_column_bool(segkit_table_column(t, 2)), want_b, 4);
  const uint32_t want_c[] = {0, 0, 0, 0};
  assert_memory_equal(segkit_column_codes(segkit_table_column(t, 3)), want_c, sizeof want_c);
  segkit_table_free(t);

  /* Zero rows: NULL data is fine and getters still return non-NULL pointers. */
  segkit_column_arrays empty[2] = {{"x", SEGKIT_TYPE_DATE, NULL, NULL, 0, NULL, NULL},
                                   {"y", SEGKIT_TYPE_STRING, NULL, NULL, 0, dict_off, NULL}};
  assert_int_equal(load(0, empty, 2, &t, NULL), SEGKIT_OK);
  assert_non_null(segkit_column_date(segkit_table_column(t, 0)));
  assert_non_null(segkit_column_validity(segkit_table_column(t, 1)));
  assert_int_equal(segkit_column_dict_size(segkit_table_column(t, 1)), 0);
  segkit_table_free(t);
}

static void table_from_arrays_rejects_bad_codes(void **state) {
  (void)state;
  segkit_column_arrays c = string_col();
  const uint32_t over[] = {2, 0, 3, 0, 0}; /* 3 == dict_size, on a valid row */
  c.data = over;
  expect_schema_error(5, &c, "code 3");
  c.dict_size = 0;
  c.data = codes;
  c.dict_offsets = dict_off; /* off[0] == 0: an empty dictionary, but rows are valid */
  expect_schema_error(5, &c, "code 2");
}

static void table_from_arrays_rejects_bad_dictionary(void **state) {
  (void)state;
  segkit_column_arrays c = string_col();
  const uint64_t not_zero[] = {1, 4, 5, 10};
  c.dict_offsets = not_zero;
  expect_schema_error(5, &c, "start at 1");

  c = string_col();
  const uint64_t backwards[] = {0, 5, 4, 10};
  c.dict_offsets = backwards;
  expect_schema_error(5, &c, "not increasing");

  c = string_col();
  const uint64_t empty_entry[] = {0, 4, 4, 10}; /* an entry without even its NUL */
  c.dict_offsets = empty_entry;
  expect_schema_error(5, &c, "not increasing");

  c = string_col();
  const char no_nul[] = "redX\0blue"; /* entry 0's terminator replaced */
  c.dict_bytes = no_nul;
  expect_schema_error(5, &c, "entry 0 has no NUL");

  c = string_col();
  const char dup_bytes[] = "red\0\0red";
  const uint64_t dup_off[] = {0, 4, 5, 9};
  c.dict_bytes = dup_bytes;
  c.dict_offsets = dup_off;
  expect_schema_error(5, &c, "entries 0 and 2 are equal");

  c = string_col();
  const char nul_dup[] = "a\0b\0a\0b\0"; /* "a\0b" twice, embedded NUL included */
  const uint64_t nul_off[] = {0, 4, 8};
  const uint32_t zeros[] = {0, 0, 0, 0, 0};
  c.dict_bytes = nul_dup;
  c.dict_offsets = nul_off;
  c.dict_size = 2;
  c.data = zeros;
  expect_schema_error(5, &c, "entries 0 and 1 are equal");

  c = string_col();
  c.dict_offsets = NULL;
  expect_schema_error(5, &c, "offsets");

  c = string_col();
  c.dict_bytes = NULL;
  expect_schema_error(5, &c, "without its bytes");
}

static void table_from_arrays_rejects_bad_bits_and_bools(void **state) {
  (void)state;
  segkit_column_arrays c = string_col();
  const uint64_t past_end[] = {0x37}; /* bit 5 set in a 5-row column */
  c.validity = past_end;
  expect_schema_error(5, &c, "past the last row");

  const uint8_t bools[] = {0, 1, 2};
  segkit_column_arrays b = {"flag", SEGKIT_TYPE_BOOL, bools, NULL, 0, NULL, NULL};
  expect_schema_error(3, &b, "row 2");
}

static void table_from_arrays_rejects_bad_schema(void **state) {
  (void)state;
  const int64_t ints[] = {1, 2};
  segkit_column_arrays dup[2] = {{"a", SEGKIT_TYPE_INT64, ints, NULL, 0, NULL, NULL},
                                 {"a", SEGKIT_TYPE_INT64, ints, NULL, 0, NULL, NULL}};
  segkit_table *t;
  segkit_error err;
  assert_int_equal(load(2, dup, 2, &t, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "a");
  segkit_column_arrays bad_type = {"z", (segkit_type)42, ints, NULL, 0, NULL, NULL};
  expect_schema_error(2, &bad_type, "type");
  segkit_column_arrays no_data = {"z", SEGKIT_TYPE_INT64, NULL, NULL, 0, NULL, NULL};
  assert_int_equal(load(2, &no_data, 1, &t, &err), SEGKIT_ERR_USAGE);
  assert_null(t);
  /* n_rows * 8 overflows size_t: refused before anything is read or allocated. */
  segkit_column_arrays huge = {"big", SEGKIT_TYPE_INT64, ints, NULL, 0, NULL, NULL};
  assert_int_equal(load(SIZE_MAX / 4, &huge, 1, &t, &err), SEGKIT_ERR_NOMEM);
  assert_string_equal(err.field, "big");
  assert_non_null(strstr(err.message, "exceed"));
  assert_null(t);
}

/* Taking arrays: n = 128 (validity given with exactly 2 words, one fewer than a table
 * column keeps, so it is copied) and n = 100 (2 words, adopted as is). Row i holds i * 3,
 * null when i % 7 == 0; a string column with codes i % 3 into {"a", "bb", "ccc"}. */
static void table_from_arrays_take_owns_or_returns(void **state) {
  (void)state;
  const size_t sizes[] = {128, 100};
  for (size_t k = 0; k < 2; k++) {
    size_t n = sizes[k];
    int64_t *data = malloc(n * sizeof *data);
    uint32_t *str_codes = malloc(n * sizeof *codes);
    uint64_t *valid = calloc((n + 63) / 64, sizeof *valid);
    uint64_t *valid2 = calloc((n + 63) / 64, sizeof *valid2);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++) {
      data[i] = (int64_t)i * 3;
      str_codes[i] = (uint32_t)(i % 3);
      if (i % 7 != 0) {
        valid[i / 64] |= UINT64_C(1) << (i % 64);
      }
      valid2[i / 64] |= UINT64_C(1) << (i % 64);
    }
    static const uint64_t off[] = {0, 2, 5, 9};
    static const char bytes[] = "a\0bb\0ccc\0";
    segkit_column_arrays cols[2] = {
        {"x", SEGKIT_TYPE_INT64, data, valid, 0, NULL, NULL},
        {"s", SEGKIT_TYPE_STRING, str_codes, valid2, 3, off, bytes},
    };
    segkit_table *t = NULL;
    segkit_error err;
    assert_int_equal(segkit_table_from_arrays_take(n, 2, cols, &t, &err), SEGKIT_OK);
    const segkit_column *x = segkit_table_column(t, 0);
    const segkit_column *s = segkit_table_column(t, 1);
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++) {
      bool v = i % 7 != 0;
      nulls += !v;
      assert_int_equal(segkit_column_is_valid(x, i), v);
      assert_int_equal(segkit_column_int64(x)[i], v ? (int64_t)i * 3 : 0);
      assert_string_equal(segkit_column_dict_value(s, segkit_column_codes(s)[i], NULL),
                          i % 3 == 0 ? "a" : i % 3 == 1 ? "bb" : "ccc");
    }
    assert_int_equal(segkit_column_null_count(x), nulls);
    segkit_table_free(t); /* frees data, codes, valid, valid2: ASan reports a double free or leak */
  }
  /* Failure (a code beyond the dictionary): the caller still owns and frees everything. */
  size_t n = 64;
  int64_t *data = calloc(n, sizeof *data);
  uint32_t *str_codes = calloc(n, sizeof *codes);
  uint64_t *valid = calloc(1, sizeof *valid);
  valid[0] = ~UINT64_C(0);
  str_codes[5] = 9;
  static const uint64_t off[] = {0, 2};
  segkit_column_arrays cols[2] = {
      {"x", SEGKIT_TYPE_INT64, data, valid, 0, NULL, NULL},
      {"s", SEGKIT_TYPE_STRING, str_codes, NULL, 1, off, "a"},
  };
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_from_arrays_take(n, 2, cols, &t, &err), SEGKIT_ERR_SCHEMA);
  assert_null(t);
  assert_int_equal(valid[0], ~UINT64_C(0));
  free(data);
  free(str_codes);
  free(valid);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_from_arrays_take_owns_or_returns),
      cmocka_unit_test(table_from_arrays_valid_string_column),
      cmocka_unit_test(table_from_arrays_round_trip),
      cmocka_unit_test(table_from_arrays_normalises),
      cmocka_unit_test(table_from_arrays_rejects_bad_codes),
      cmocka_unit_test(table_from_arrays_rejects_bad_dictionary),
      cmocka_unit_test(table_from_arrays_rejects_bad_bits_and_bools),
      cmocka_unit_test(table_from_arrays_rejects_bad_schema),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
