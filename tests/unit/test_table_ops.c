/* Whole-table operations: concat (dictionary merge checked by hand, bitmaps at every bit
 * offset, schema errors naming the column), take and filter (against plain loops). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/table.h"

static uint64_t next_random(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static const char *const names2[] = {"n", "s"};
static const segkit_type types2[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_STRING};

/* A table (n INT64, s STRING) from parallel arrays; NULL string = null row, and the
 * int column is null on the same rows. */
static segkit_table *make_table(const char *const *strs, size_t n, int64_t first_int) {
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(2, names2, types2, &b, NULL), SEGKIT_OK);
  for (size_t i = 0; i < n; i++) {
    segkit_column_builder *ci = segkit_table_builder_column(b, 0);
    segkit_column_builder *cs = segkit_table_builder_column(b, 1);
    if (strs[i] == NULL) {
      assert_int_equal(segkit_column_append_null(ci), SEGKIT_OK);
      assert_int_equal(segkit_column_append_null(cs), SEGKIT_OK);
    } else {
      assert_int_equal(segkit_column_append_int64(ci, first_int + (int64_t)i), SEGKIT_OK);
      assert_int_equal(segkit_column_append_string(cs, strs[i], strlen(strs[i])), SEGKIT_OK);
    }
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &t, NULL), SEGKIT_OK);
  return t;
}

static const char *string_at(const segkit_table *t, size_t col, size_t row) {
  const segkit_column *c = segkit_table_column(t, col);
  if (!segkit_column_is_valid(c, row)) {
    return NULL;
  }
  return segkit_column_dict_value(c, segkit_column_codes(c)[row], NULL);
}

/* ---- concat --------------------------------------------------------------------------- */

static void table_concat_merges_dictionaries(void **state) {
  (void)state;
  const char *a[] = {"x", "y", NULL, "x"};          /* dict x=0 y=1 */
  const char *b[] = {"z", "y", NULL, "w", "z"};     /* dict z=0 y=1 w=2 */
  const char *c[] = {"w", "v"};                     /* dict w=0 v=1 */
  segkit_table *parts[3] = {make_table(a, 4, 0), make_table(b, 5, 100), make_table(c, 2, 200)};
  segkit_table *t = NULL;
  segkit_error err;
  assert_int_equal(segkit_table_concat((const segkit_table *const *)parts, 3, &t, &err),
                   SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(t), 11);
  const segkit_column *s = segkit_table_column(t, 1);
  /* Merged dictionary by hand: part 0 keeps x=0 y=1; part 1 adds z=2, y is 1, w=3;
   * part 2: w is 3, adds v=4. Null rows hold code 0. */
  assert_int_equal(segkit_column_dict_size(s), 5);
  const char *dict[] = {"x", "y", "z", "w", "v"};
  for (uint32_t k = 0; k < 5; k++) {
    assert_string_equal(segkit_column_dict_value(s, k, NULL), dict[k]);
    assert_int_equal(segkit_column_dict_find(s, dict[k], 1), k);
  }
  const uint32_t want_codes[] = {0, 1, 0, 0, 2, 1, 0, 3, 2, 3, 4};
  assert_memory_equal(segkit_column_codes(s), want_codes, sizeof want_codes);
  assert_int_equal(segkit_column_null_count(s), 2);
  assert_int_equal(segkit_column_validity(s)[0], 0x7bb); /* rows 2 and 6 null */
  const segkit_column *n = segkit_table_column(t, 0);
  const int64_t want_ints[] = {0, 1, 0, 3, 100, 101, 0, 103, 104, 200, 201};
  assert_memory_equal(segkit_column_int64(n), want_ints, sizeof want_ints);
  assert_int_equal(segkit_column_null_count(n), 2);
  /* Parts are unchanged. */
  assert_int_equal(segkit_column_codes(segkit_table_column(parts[1], 1))[0], 0);
  assert_int_equal(segkit_column_dict_size(segkit_table_column(parts[1], 1)), 3);
  segkit_table_free(t);
  for (int i = 0; i < 3; i++) {
    segkit_table_free(parts[i]);
  }
}

/* Parts of sizes that put every part boundary at a different bit offset in the result
 * bitmap; bits and values compared with the parts row by row. */
static void table_concat_bitmap_offsets(void **state) {
  (void)state;
  const size_t sizes[] = {1, 63, 0, 64, 65, 7, 130, 2};
  enum { N_PARTS = sizeof sizes / sizeof sizes[0] };
  segkit_table *parts[N_PARTS];
  uint64_t seed = 3;
  char pool[8][4] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  for (size_t p = 0; p < N_PARTS; p++) {
    const char **strs = malloc((sizes[p] + 1) * sizeof *strs);
    for (size_t i = 0; i < sizes[p]; i++) {
      uint64_t r = next_random(&seed);
      strs[i] = r % 3 == 0 ? NULL : pool[(r >> 8) % (p + 1)];
    }
    parts[p] = make_table(strs, sizes[p], (int64_t)p * 1000);
    free(strs);
  }
  segkit_table *t = NULL;
  assert_int_equal(segkit_table_concat((const segkit_table *const *)parts, N_PARTS, &t, NULL),
                   SEGKIT_OK);
  size_t row = 0;
  size_t nulls = 0;
  for (size_t p = 0; p < N_PARTS; p++) {
    for (size_t i = 0; i < sizes[p]; i++, row++) {
      const char *want = string_at(parts[p], 1, i);
      const char *got = string_at(t, 1, row);
      if ((want == NULL) != (got == NULL) || (want != NULL && strcmp(want, got) != 0)) {
        fail_msg("part %zu row %zu: %s vs %s", p, i, want ? want : "null", got ? got : "null");
      }
      const segkit_column *n = segkit_table_column(t, 0);
      assert_int_equal(segkit_column_is_valid(n, row), want != NULL);
      assert_true(segkit_column_int64(n)[row] == (want ? (int64_t)(p * 1000 + i) : 0));
      if (want == NULL) {
        assert_int_equal(segkit_column_codes(segkit_table_column(t, 1))[row], 0);
        nulls++;
      }
    }
  }
  assert_int_equal(segkit_table_n_rows(t), row);
  assert_int_equal(segkit_column_null_count(segkit_table_column(t, 1)), nulls);
  /* No bit set past the last row. */
  const uint64_t *v = segkit_column_validity(segkit_table_column(t, 0));
  assert_int_equal(v[row / 64] >> (row % 64), 0);
  segkit_table_free(t);
  for (size_t p = 0; p < N_PARTS; p++) {
    segkit_table_free(parts[p]);
  }
}

static void table_concat_schema_mismatch(void **state) {
  (void)state;
  const char *strs[] = {"a"};
  segkit_table *good = make_table(strs, 1, 0);
  segkit_table *out = NULL;
  segkit_error err;

  const char *renamed[] = {"n", "label"};
  segkit_table_builder *b = NULL;
  assert_int_equal(segkit_table_builder_new(2, renamed, types2, &b, NULL), SEGKIT_OK);
  segkit_table *other_name = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &other_name, NULL), SEGKIT_OK);
  const segkit_table *p1[] = {good, other_name};
  assert_int_equal(segkit_table_concat(p1, 2, &out, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "s");
  assert_non_null(strstr(err.message, "'label'"));
  assert_non_null(strstr(err.message, "part 1"));

  const segkit_type retyped[] = {SEGKIT_TYPE_INT64, SEGKIT_TYPE_FLOAT64};
  assert_int_equal(segkit_table_builder_new(2, names2, retyped, &b, NULL), SEGKIT_OK);
  segkit_table *other_type = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &other_type, NULL), SEGKIT_OK);
  const segkit_table *p2[] = {good, good, other_type};
  assert_int_equal(segkit_table_concat(p2, 3, &out, &err), SEGKIT_ERR_SCHEMA);
  assert_string_equal(err.field, "s");
  assert_non_null(strstr(err.message, "float64"));
  assert_non_null(strstr(err.message, "string"));
  assert_non_null(strstr(err.message, "part 2"));

  assert_int_equal(segkit_table_builder_new(1, names2, types2, &b, NULL), SEGKIT_OK);
  segkit_table *narrow = NULL;
  assert_int_equal(segkit_table_builder_finish(b, &narrow, NULL), SEGKIT_OK);
  const segkit_table *p3[] = {good, narrow};
  assert_int_equal(segkit_table_concat(p3, 2, &out, &err), SEGKIT_ERR_SCHEMA);
  assert_non_null(strstr(err.message, "1 columns"));

  assert_int_equal(segkit_table_concat(p3, 0, &out, &err), SEGKIT_ERR_USAGE);
  assert_null(out);
  segkit_table_free(good);
  segkit_table_free(other_name);
  segkit_table_free(other_type);
  segkit_table_free(narrow);
}

/* Building in pieces and concatenating gives the same values as one build: the
 * parallel-import pattern. Strings are compared by value, codes by first appearance. */
static void table_concat_equals_single_build(void **state) {
  (void)state;
  enum { N = 200000, PIECES = 3, KEYS = 3000 };
  const char **strs = malloc(N * sizeof *strs);
  char (*keys)[16] = malloc(KEYS * sizeof *keys);
  for (int k = 0; k < KEYS; k++) {
    snprintf(keys[k], sizeof keys[k], "key-%d", k);
  }
  uint64_t seed = 11;
  for (size_t i = 0; i < N; i++) {
    uint64_t r = next_random(&seed);
    strs[i] = r % 10 == 0 ? NULL : keys[(r >> 16) % KEYS];
  }
  segkit_table *whole = make_table(strs, N, 0);
  segkit_table *parts[PIECES];
  size_t cut[PIECES + 1] = {0, 70001, 70001 + 64999, N};
  for (int p = 0; p < PIECES; p++) {
    parts[p] = make_table(strs + cut[p], cut[p + 1] - cut[p], (int64_t)cut[p]);
  }
  segkit_table *joined = NULL;
  const segkit_table *const *in = (const segkit_table *const *)parts;
  assert_int_equal(segkit_table_concat(in, PIECES, &joined, NULL), SEGKIT_OK);
  const segkit_column *a = segkit_table_column(whole, 1);
  const segkit_column *b = segkit_table_column(joined, 1);
  /* Builder-made parts: merged codes are in order of first appearance over all rows,
   * the same codes as the single build. */
  assert_int_equal(segkit_column_dict_size(a), segkit_column_dict_size(b));
  assert_memory_equal(segkit_column_codes(a), segkit_column_codes(b), N * sizeof(uint32_t));
  assert_memory_equal(segkit_column_validity(a), segkit_column_validity(b),
                      (N + 63) / 64 * sizeof(uint64_t));
  assert_memory_equal(segkit_column_int64(segkit_table_column(whole, 0)),
                      segkit_column_int64(segkit_table_column(joined, 0)), N * sizeof(int64_t));
  for (uint32_t k = 0; k < segkit_column_dict_size(a); k++) {
    assert_string_equal(segkit_column_dict_value(a, k, NULL),
                        segkit_column_dict_value(b, k, NULL));
  }
  segkit_table_free(whole);
  segkit_table_free(joined);
  for (int p = 0; p < PIECES; p++) {
    segkit_table_free(parts[p]);
  }
  free(strs);
  free(keys);
}

/* ---- take and filter ------------------------------------------------------------------ */

static void table_take(void **state) {
  (void)state;
  const char *strs[] = {"a", NULL, "b", "c", NULL, "a"};
  segkit_table *t = make_table(strs, 6, 10);
  const uint32_t rows[] = {5, 0, 1, 1, 3, 4, 2, 5};
  segkit_table *r = NULL;
  assert_int_equal(segkit_table_take(t, rows, 8, &r, NULL), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(r), 8);
  const int64_t want_ints[] = {15, 10, 0, 0, 13, 0, 12, 15};
  assert_memory_equal(segkit_column_int64(segkit_table_column(r, 0)), want_ints,
                      sizeof want_ints);
  for (size_t i = 0; i < 8; i++) {
    const char *want = strs[rows[i]];
    const char *got = string_at(r, 1, i);
    assert_true((want == NULL) == (got == NULL));
    if (want != NULL) {
      assert_string_equal(got, want);
    }
  }
  assert_int_equal(segkit_column_null_count(segkit_table_column(r, 1)), 3);
  assert_int_equal(segkit_column_validity(segkit_table_column(r, 1))[0], 0xd3);
  segkit_table_free(r);

  segkit_error err;
  const uint32_t bad[] = {0, 6};
  r = NULL;
  assert_int_equal(segkit_table_take(t, bad, 2, &r, &err), SEGKIT_ERR_USAGE);
  assert_null(r);
  assert_non_null(strstr(err.message, "6"));
  assert_int_equal(segkit_table_take(t, NULL, 0, &r, NULL), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(r), 0);
  assert_int_equal(segkit_table_n_cols(r), 2);
  assert_non_null(segkit_column_codes(segkit_table_column(r, 1)));
  segkit_table_free(r);
  segkit_table_free(t);
}

/* 200 000 rows (several 64 Ki filter chunks) with a random keep mask against a plain
 * loop; every kept row's value, validity and string. */
static void table_filter(void **state) {
  (void)state;
  enum { N = 200000 };
  const char **strs = malloc(N * sizeof *strs);
  const char *pool[] = {"p", "q", "r", "s", ""};
  uint8_t *keep = malloc(N);
  uint64_t seed = 5;
  for (size_t i = 0; i < N; i++) {
    uint64_t r = next_random(&seed);
    strs[i] = r % 7 == 0 ? NULL : pool[(r >> 8) % 5];
    keep[i] = (uint8_t)((r >> 20) % 3 == 0 ? 0 : (r >> 24)); /* any non-zero byte keeps */
    if ((r >> 20) % 3 != 0 && keep[i] == 0) {
      keep[i] = 1;
    }
  }
  segkit_table *t = make_table(strs, N, 0);
  segkit_table *f = NULL;
  assert_int_equal(segkit_table_filter(t, keep, &f, NULL), SEGKIT_OK);
  size_t out = 0;
  size_t nulls = 0;
  const segkit_column *n = segkit_table_column(f, 0);
  for (size_t i = 0; i < N; i++) {
    if (!keep[i]) {
      continue;
    }
    const char *got = string_at(f, 1, out);
    if ((strs[i] == NULL) != (got == NULL) || (got != NULL && strcmp(got, strs[i]) != 0)) {
      fail_msg("kept row %zu (source %zu) differs", out, i);
    }
    assert_true(segkit_column_int64(n)[out] == (strs[i] ? (int64_t)i : 0));
    nulls += strs[i] == NULL;
    out++;
  }
  assert_int_equal(segkit_table_n_rows(f), out);
  assert_int_equal(segkit_column_null_count(n), nulls);
  assert_int_equal(segkit_column_null_count(segkit_table_column(f, 1)), nulls);
  segkit_table_free(f);

  memset(keep, 0, N);
  assert_int_equal(segkit_table_filter(t, keep, &f, NULL), SEGKIT_OK);
  assert_int_equal(segkit_table_n_rows(f), 0);
  segkit_table_free(f);
  segkit_table_free(t);
  free(strs);
  free(keep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_concat_merges_dictionaries),
      cmocka_unit_test(table_concat_bitmap_offsets),
      cmocka_unit_test(table_concat_schema_mismatch),
      cmocka_unit_test(table_concat_equals_single_build),
      cmocka_unit_test(table_take),
      cmocka_unit_test(table_filter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
